"""The drawing canvas: black ink on white paper, drawn with the mouse."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class DrawingCanvas(QWidget):
    """A square canvas the user draws a digit on.

    Strokes are straight segments between mouse samples with round caps and joins, so
    fast movements still give continuous lines. The right mouse button clears.

    Signals:
        changed: emitted after every change of the drawing (each mouse move while
            drawing, and on clear).
    """

    changed = Signal()

    def __init__(self, side: int = 280, pen_width: float = 18.0, parent=None):
        super().__init__(parent)
        self.pen_width = pen_width
        self._image = QImage(side, side, QImage.Format.Format_Grayscale8)
        self._image.fill(QColor("white"))
        self._last: QPointF | None = None
        self._empty = True
        self.setFixedSize(side, side)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit with the left mouse button. "
                        "Right-click or press Delete to clear.")

    @property
    def is_empty(self) -> bool:
        return self._empty

    def clear(self) -> None:
        self._image.fill(QColor("white"))
        self._empty = True
        self._last = None
        self.update()
        self.changed.emit()

    def image_array(self) -> np.ndarray:
        """Returns a copy of the drawing as a (H, W) ``uint8`` array, ink dark."""
        img = self._image
        arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
        return arr[:, : img.width()].copy()

    def _stroke_to(self, point: QPointF) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("black"), self.pen_width, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        start = self._last if self._last is not None else point
        if start == point:
            painter.drawPoint(point)
        else:
            painter.drawLine(start, point)
        painter.end()
        self._last = point
        self._empty = False
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self._stroke_to(event.position())
        elif event.button() == Qt.MouseButton.RightButton:
            self.clear()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._last is not None:
            self._stroke_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self._image)
        if self._empty:
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
        painter.setPen(QColor(180, 180, 180))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
