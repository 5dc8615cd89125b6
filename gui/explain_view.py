"""The Activations tab: the feature maps of a chosen layer for the current drawing."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget


class ActivationsView(QWidget):
    """A layer picker and the grid of that layer's feature maps (bright = strong).

    Signals:
        layer_changed(str): another layer was picked.
    """

    layer_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.setToolTip("The layer whose feature maps are shown, for the drawing on the canvas.")
        self.layer.currentIndexChanged.connect(lambda: self.layer_changed.emit(self.current_layer()))
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.message = QLabel("Draw a digit on the canvas to see what each filter of a layer responds to.")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555;")
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.image, 1)
        self.grid: np.ndarray | None = None

    def current_layer(self) -> str:
        return self.layer.currentData() or ""

    def set_layers(self, names: list[str]) -> None:
        """Offers these layers, keeping the current one when it is still there."""
        if [self.layer.itemData(i) for i in range(self.layer.count())] == list(names):
            return
        current = self.current_layer()
        self.layer.blockSignals(True)
        self.layer.clear()
        for name in names:
            self.layer.addItem(name, name)
        index = self.layer.findData(current)
        self.layer.setCurrentIndex(index if index >= 0 else min(1, len(names) - 1))
        self.layer.blockSignals(False)

    def show_grid(self, grid: np.ndarray | None, message: str = "") -> None:
        self.grid = grid
        if grid is None:
            self.image.clear()
        else:
            h, w = grid.shape
            image = QImage(np.ascontiguousarray(grid).data, w, h, w, QImage.Format.Format_Grayscale8).copy()
            self._pixmap = QPixmap.fromImage(image)
            self._rescale()
        self.message.setText(message)

    def _rescale(self) -> None:
        if self.grid is not None:
            self.image.setPixmap(self._pixmap.scaled(self.image.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.FastTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()
