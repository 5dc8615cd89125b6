"""Showing a prediction: the top class, a bar per class, and what the model saw."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

ACCENT = QColor(33, 113, 181)
MUTED = QColor(158, 202, 225)


class ProbabilityBars(QWidget):
    """One horizontal bar per class, the most likely one highlighted.

    Painted directly (not with matplotlib), so an update costs well under a millisecond.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.class_names = [str(i) for i in range(10)]
        self.probabilities: np.ndarray | None = None
        self.setMinimumSize(220, 180)
        self.setToolTip("Probability the model gives to each class.")

    def sizeHint(self) -> QSize:
        return QSize(260, 200)

    def set_classes(self, names) -> None:
        self.class_names = list(names)
        self.probabilities = None
        self.update()

    def set_probabilities(self, probabilities) -> None:
        self.probabilities = None if probabilities is None else np.asarray(probabilities, dtype=float)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = max(1, len(self.class_names))
        metrics = painter.fontMetrics()
        label_w = min(max(metrics.horizontalAdvance(name) for name in self.class_names) + 8, 110)
        value_w = metrics.horizontalAdvance("100.0%") + 6
        row_h = self.height() / n
        bar_w = max(10.0, self.width() - label_w - value_w)
        best = int(self.probabilities.argmax()) if self.probabilities is not None else -1
        for i, name in enumerate(self.class_names):
            top = i * row_h
            painter.setPen(self.palette().windowText().color())
            text_rect = QRectF(0, top, label_w - 6, row_h)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 6))
            # The bar's empty track: a shade of the theme (light grey, or dark grey in the dark).
            painter.fillRect(QRectF(label_w, top + row_h * 0.2, bar_w, row_h * 0.6),
                             self.palette().color(QPalette.ColorRole.Midlight))
            if self.probabilities is None or i >= len(self.probabilities):
                continue
            p = float(self.probabilities[i])
            painter.fillRect(QRectF(label_w, top + row_h * 0.2, bar_w * p, row_h * 0.6),
                             ACCENT if i == best else MUTED)
            painter.drawText(QRectF(label_w + bar_w + 4, top, value_w, row_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{100 * p:.1f}%")
        painter.end()


class DigitPreview(QWidget):
    """The 28×28 image the network actually sees, enlarged without smoothing."""

    def __init__(self, scale: int = 4, parent=None):
        super().__init__(parent)
        self.scale = scale
        self._image: QImage | None = None
        self.setFixedSize(28 * scale + 2, 28 * scale + 2)
        self.setToolTip(self.DIGIT_TIP)

    DIGIT_TIP = ("What the network sees: your drawing cropped, scaled to 20 px, "
                 "and centred by its centre of mass in 28×28, like MNIST; a model that "
                 "deslants shows it sheared upright, as its first layer reads it.")
    PHOTO_TIP = "What the network sees: the image at the model's input size and colour."

    def set_photo_tip(self, photo: bool) -> None:
        self.setToolTip(self.PHOTO_TIP if photo else self.DIGIT_TIP)

    def set_digit(self, digit: np.ndarray | None) -> None:
        """Shows a grey (H, W) or RGB (H, W, 3) ``uint8`` image; None clears."""
        if digit is None:
            self._image = None
        else:
            digit = np.ascontiguousarray(digit, dtype=np.uint8)
            h, w = digit.shape[:2]
            colour = digit.ndim == 3
            self._image = QImage(digit.data, w, h, 3 * w if colour else w,
                                 QImage.Format.Format_RGB888 if colour else QImage.Format.Format_Grayscale8).copy()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if self._image is not None:
            painter.drawImage(self.rect().adjusted(1, 1, -1, -1), self._image)
        painter.setPen(QColor(120, 120, 120))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


class TopPrediction(QWidget):
    """The most likely class in large type, with its confidence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel("–")
        font = QFont()
        font.setPointSize(40)
        font.setBold(True)
        self.label.setFont(font)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence = QLabel("")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.confidence)

    def show_result(self, name: str | None, confidence: float | None, hint: str = "") -> None:
        if name is None:
            self.label.setText("–")
            self.confidence.setText(hint)
        else:
            self.label.setText(name)
            self.confidence.setText(f"{100 * confidence:.1f}% sure")
