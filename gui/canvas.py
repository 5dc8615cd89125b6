"""The drawing canvas: black ink on white paper, drawn with the mouse or a tablet pen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


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
        self._undo: list[tuple[QImage, bool]] = []
        self._redo: list[tuple[QImage, bool]] = []
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
        self.setToolTip("Draw a digit with the left mouse button. Right-click or press Delete to "
                        "clear. Drop an image file here to read it. A digit key saves the drawing "
                        "as that digit in My digits.")

    @property
    def is_empty(self) -> bool:
        return self._empty

    def clear(self) -> None:
        if self._empty:
            return
        self._remember()
        self._image.fill(QColor("white"))
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
        self._undo.append((self._image.copy(), self._empty))
        del self._undo[:-self.UNDO_DEPTH]
        self._redo.clear()
        self.history_changed.emit()

    def _restore(self, source: list, target: list) -> None:
        if not source:
            return
        target.append((self._image.copy(), self._empty))
        self._image, self._empty = source.pop()
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

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.file_dropped.emit(files[0])

    def set_overlay(self, heat: np.ndarray | None) -> None:
        """Shows a heat map (0 to 1, the canvas's size) in red over the drawing; None hides it."""
        if heat is None:
            self._overlay = None
        else:
            h, w = heat.shape
            rgba = np.zeros((h, w, 4), np.uint8)
            rgba[..., 0] = 230
            rgba[..., 1] = 40
            rgba[..., 2] = 20
            rgba[..., 3] = (np.clip(heat, 0, 1) ** 0.7 * 190).astype(np.uint8)
            self._overlay = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    @property
    def has_overlay(self) -> bool:
        return self._overlay is not None

    def save_png(self, path: str) -> bool:
        """Writes the drawing as a PNG (dark ink on white); False when it could not."""
        return self._image.save(path, "PNG")

    def image_array(self) -> np.ndarray:
        """Returns a copy of the drawing as a (H, W) ``uint8`` array, ink dark."""
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

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if len(text) == 1 and text.isdigit() and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.digit_key.emit(text)
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
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
            painter.drawImage(0, 0, self._overlay)
        if self._empty:
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
        painter.setPen(QColor(180, 180, 180))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
