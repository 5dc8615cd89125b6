"""The drawing canvas: black ink on white paper, drawn with the mouse or a tablet pen; for a
model of photos, an image area instead (open or drop a photo; it is shown in colour)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.dialogs.explain_image import HEAT_RGB, heat_strength


class DrawingCanvas(QWidget):
    """A square canvas the user draws a digit on.

    Strokes are straight segments between mouse samples with round caps and joins, so
    fast movements still give continuous lines. The right mouse button clears. A tablet
    pen's pressure thins and thickens the stroke. Every stroke and clear can be undone.

    Signals:
        changed: emitted after every change of the drawing (each mouse move while
            drawing, and on clear, undo and redo).
        history_changed: what can be undone or redone changed.
    """

    changed = Signal()
    history_changed = Signal()
    file_dropped = Signal(str)  # a file dragged onto the canvas
    open_requested = Signal()  # a click on the empty image area (photo mode): open an image
    digit_key = Signal(str)  # a digit key pressed while the canvas has the focus: "this is a …"

    MIN_PEN, MAX_PEN = 4, 40
    #: Strokes kept for undo.
    UNDO_DEPTH = 50

    def __init__(self, side: int = 280, pen_width: float = 18.0, parent=None):
        super().__init__(parent)
        self.pen_width = pen_width
        self.eraser = False
        self._pressure = 1.0
        self._overlay: QImage | None = None
        self._undo: list[tuple] = []  # (image, empty, photo)
        self._redo: list[tuple] = []
        self.photo_mode = False
        self._photo: np.ndarray | None = None  # photo mode: the RGB photo shown
        self._content = QRect(0, 0, side, side)  # where the drawing or photo is shown
        self._image = QImage(side, side, QImage.Format.Format_Grayscale8)
        self._image.fill(QColor("white"))
        self._last: QPointF | None = None
        self._empty = True
        self.setFixedSize(side, side)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(self.DRAW_TIP)

    @property
    def is_empty(self) -> bool:
        return self._empty

    DRAW_TIP = ("Draw a digit with the left mouse button. Right-click or press Delete to clear. Drop an "
                "image file here to read it. A digit key saves the drawing as that digit in My digits.")
    PHOTO_TIP = ("Click to open an image, or drop an image file here: the model reads it whole, at its "
                 "input size. Right-click or press Delete to clear.")

    def set_photo_mode(self, on: bool) -> None:
        """An image area for a model of photos (True), or the drawing canvas (False); what
        was on it goes, with its undo history."""
        if on == self.photo_mode:
            return
        self.photo_mode = on
        side = self._image.width()
        self._image = QImage(side, side, QImage.Format.Format_RGB888 if on else QImage.Format.Format_Grayscale8)
        self._image.fill(QColor("white"))
        self._photo, self._empty, self._last, self._overlay = None, True, None, None
        self._content = QRect(0, 0, side, side)
        self._undo.clear()
        self._redo.clear()
        self.setCursor(Qt.CursorShape.PointingHandCursor if on else Qt.CursorShape.CrossCursor)
        self.setToolTip(self.PHOTO_TIP if on else self.DRAW_TIP)
        self.history_changed.emit()
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        if self._empty:
            return
        self._remember()
        self._image.fill(QColor("white"))
        self._photo = None
        self._empty = True
        self._last = None
        self.update()
        self.changed.emit()

    # ----------------------------------------------------------------- tools
    def set_pen_width(self, width: float) -> None:
        self.pen_width = float(min(self.MAX_PEN, max(self.MIN_PEN, width)))

    def set_eraser(self, on: bool) -> None:
        self.eraser = bool(on)
        self.setCursor(Qt.CursorShape.PointingHandCursor if on else Qt.CursorShape.CrossCursor)

    # ----------------------------------------------------------------- undo
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _remember(self) -> None:
        """Keeps the drawing as it is before a change, for undo."""
        self._undo.append((self._image.copy(), self._empty, self._photo))
        del self._undo[:-self.UNDO_DEPTH]
        self._redo.clear()
        self.history_changed.emit()

    def _restore(self, source: list, target: list) -> None:
        if not source:
            return
        target.append((self._image.copy(), self._empty, self._photo))
        self._image, self._empty, self._photo = source.pop()
        self._content = self._photo_rect() if self._photo is not None else self.rect()
        self._last = None
        self.update()
        self.history_changed.emit()
        self.changed.emit()

    def undo(self) -> None:
        """Takes back the last stroke (or clear)."""
        self._restore(self._undo, self._redo)

    def redo(self) -> None:
        """Puts back the last stroke undone."""
        self._restore(self._redo, self._undo)

    def set_drawing(self, gray: np.ndarray) -> None:
        """Replaces the drawing by a dark-on-white ``uint8`` image of any size, scaled to
        fit (keeping its aspect ratio) and centred; undoable."""
        self._remember()
        h, w = gray.shape
        source = QImage(np.ascontiguousarray(gray, dtype=np.uint8).data, w, h, w,
                        QImage.Format.Format_Grayscale8).copy()
        side = self._image.width()
        scaled = source.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        self._image.fill(QColor("white"))
        painter = QPainter(self._image)
        painter.drawImage((side - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
        painter.end()
        self._empty = bool(self.image_array().min() == 255)
        self._last = None
        self.update()
        self.changed.emit()

    def _photo_rect(self) -> QRect:
        """Where the photo is shown: scaled to fit the area, keeping its aspect ratio, centred."""
        side = self._image.width()
        h, w = self._photo.shape[:2]
        scale = side / max(h, w)
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        return QRect((side - sw) // 2, (side - sh) // 2, sw, sh)

    def set_photo(self, rgb: np.ndarray) -> None:
        """Shows an RGB ``uint8`` photo (photo mode), scaled to fit; undoable."""
        self._remember()
        self._photo = np.ascontiguousarray(rgb, dtype=np.uint8)
        h, w = self._photo.shape[:2]
        source = QImage(self._photo.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._content = self._photo_rect()
        self._image.fill(QColor("white"))
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self._content, source)
        painter.end()
        self._empty = False
        self.update()
        self.changed.emit()

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.file_dropped.emit(files[0])

    def set_overlay(self, heat: np.ndarray | None) -> None:
        """Shows a heat map (0 to 1, any size: it is stretched over the drawing or the photo)
        in red; None hides it."""
        self.overlay_heat = heat
        if heat is None:
            self._overlay = None
        else:
            h, w = heat.shape
            rgba = np.zeros((h, w, 4), np.uint8)
            rgba[..., :3] = HEAT_RGB
            rgba[..., 3] = (heat_strength(heat) * 190).astype(np.uint8)
            self._overlay = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    @property
    def has_overlay(self) -> bool:
        return self._overlay is not None

    def save_png(self, path: str) -> bool:
        """Writes the drawing as a PNG (dark ink on white); False when it could not."""
        return self._image.save(path, "PNG")

    def image_array(self) -> np.ndarray:
        """Returns a copy of the drawing as a (H, W) ``uint8`` array, ink dark; in photo
        mode, of the photo (H, W, 3) RGB."""
        if self.photo_mode:
            return self._photo.copy() if self._photo is not None else np.full((1, 1, 3), 255, np.uint8)
        img = self._image
        arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
        return arr[:, : img.width()].copy()

    def _stroke_to(self, point: QPointF) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = max(1.0, self.pen_width * self._pressure)
        pen = QPen(QColor("white" if self.eraser else "black"), width, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        start = self._last if self._last is not None else point
        if start == point:
            painter.drawPoint(point)
        else:
            painter.drawLine(start, point)
        painter.end()
        self._last = point
        if self.eraser:
            self._empty = bool(self.image_array().min() == 255)
        else:
            self._empty = False
        self.update()
        self.changed.emit()

    def _begin_stroke(self, point: QPointF) -> None:
        if self.eraser and self._empty:
            return
        self._remember()
        self._last = None
        self._stroke_to(point)

    #: For Help ▸ Keyboard shortcuts: (keys, action, what it does), with the canvas in focus.
    FOCUS_PLACE = "Canvas"
    FOCUS_KEYS = (("0 … 9", "This is a …", "Say which digit the drawing is (My digits), with the canvas in focus."),)

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if not self.photo_mode and len(text) == 1 and text.isdigit() and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.digit_key.emit(text)
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.photo_mode and event.button() == Qt.MouseButton.LeftButton:
            self.open_requested.emit()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._pressure = 1.0
            self._begin_stroke(event.position())
        elif event.button() == Qt.MouseButton.RightButton:
            self.clear()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._last is not None:
            self._stroke_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A tablet pen: the pressure sets the width (a light touch draws at 30%)."""
        if self.photo_mode:
            event.ignore()  # comes again as a mouse event: a click opens an image
            return
        self._pressure = 0.3 + 0.7 * max(0.0, min(1.0, event.pressure()))
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin_stroke(event.position())
        elif kind == QTabletEvent.Type.TabletMove and self._last is not None:
            self._stroke_to(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._last = None
        event.accept()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self._image)
        if self._overlay is not None and not self._empty:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # a photo's heat map is small
            painter.drawImage(self._content, self._overlay)
        if self._empty:
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "Drop an image here,\nor click to open one" if self.photo_mode else "Draw a digit here")
        painter.setPen(QColor(180, 180, 180))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
