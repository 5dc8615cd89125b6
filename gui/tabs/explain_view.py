"""The Activations tab: the feature maps of a chosen layer for the current drawing."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
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
        self.message.setStyleSheet("color: #888;")  # readable on light and dark
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


class Explainer(QObject):
    """Asks the engine why the canvas reads what it reads: the saliency overlay (Why?) and
    the feature maps of the Activations tab, for the current drawing, one request at a time,
    and only while the overlay is on or the tab shows.

    Signals:
        request_explanation(int, object, bool, str): request id, drawing, whether saliency
            is wanted, the layer whose maps are wanted ("" for none).
    """

    request_explanation = Signal(int, object, bool, str)

    def __init__(self, panel, activations: ActivationsView, tabs, parent=None):
        super().__init__(parent)
        self.panel, self.activations, self.tabs = panel, activations, tabs
        self._explaining = False  # a request is with the engine
        self._explained_version = -1
        panel.reading_shown.connect(self.refresh)
        panel.why_button.toggled.connect(self._on_why_toggled)
        tabs.currentChanged.connect(self.refresh)
        activations.layer_changed.connect(self.refresh)

    def _wanted_layer(self) -> str | None:
        """The layer whose feature maps are wanted ("" while the layers are not known yet),
        or None when the Activations tab is hidden."""
        return self.activations.current_layer() if self.tabs.currentWidget() is self.activations else None

    def refresh(self, *_) -> None:
        want_saliency, layer = self.panel.why_button.isChecked(), self._wanted_layer()
        if self._explaining or not (want_saliency or layer is not None):
            return
        canvas = self.panel.canvas
        if canvas.is_empty:
            canvas.set_overlay(None)
            self.activations.show_grid(None, "Draw a digit on the canvas to see what each filter of a "
                                             "layer responds to.")
            return
        self._explaining = True
        self._explained_version = self.panel.canvas_version
        self.request_explanation.emit(0, canvas.image_array(), want_saliency, layer or "")

    def on_explanation(self, _request: int, result: dict) -> None:
        self._explaining = False
        self.activations.set_layers(result["layers"])  # may pick a layer: asked for below
        want_saliency, layer = self.panel.why_button.isChecked(), self._wanted_layer()
        canvas = self.panel.canvas
        if canvas.is_empty:
            canvas.set_overlay(None)
        elif want_saliency and result["saliency"] is not None:
            canvas.set_overlay(result["saliency"])
        if result["error"]:
            self.activations.show_grid(None, result["error"])
        elif result["grid"] is not None and result["layer"] == layer:
            self.activations.show_grid(result["grid"], f"Feature maps of {layer} for the drawing "
                                                       "(bright: strong response).")
        elif layer == "" and not result["layers"]:
            self.activations.show_grid(None, "This model has no layers of feature maps (an MLP sees "
                                             "the image as one row of numbers).")
        if self._explained_version != self.panel.canvas_version or (layer is not None and result["layer"] != layer):
            self.refresh()

    def _on_why_toggled(self, on: bool) -> None:
        if on:
            self.refresh()
        else:
            self.panel.canvas.set_overlay(None)
