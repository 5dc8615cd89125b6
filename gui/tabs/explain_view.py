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
    """Asks the engine why the canvas reads what it reads: the heat map of Why? (by the
    method the panel's choice names) and the feature maps of the Activations tab, for the
    current drawing, one request at a time, and only while the overlay is on or the tab shows.

    Signals:
        request_explanation(int, object, dict): request id, drawing, the options of
            :func:`gui.workers.engine_inspect.explanation`.
    """

    request_explanation = Signal(int, object, dict)

    def __init__(self, panel, activations: ActivationsView, tabs, parent=None):
        super().__init__(parent)
        self.panel, self.activations, self.tabs = panel, activations, tabs
        self._request = 0  # the request with the engine (0: none)
        self._explained: tuple = ()  # what it asked for: the canvas's version and the options
        self.error = ""  # why the last heat map could not be made ("" when it was)
        panel.reading_shown.connect(self.refresh)
        panel.why_button.toggled.connect(self._on_why_toggled)
        panel.why_choice.changed.connect(self.refresh)
        tabs.currentChanged.connect(self.refresh)
        activations.layer_changed.connect(self.refresh)

    def _wanted_layer(self) -> str | None:
        """The layer whose feature maps are wanted ("" while the layers are not known yet),
        or None when the Activations tab is hidden."""
        return self.activations.current_layer() if self.tabs.currentWidget() is self.activations else None

    def _options(self) -> dict:
        choice = self.panel.why_choice
        return {"method": choice.current_method() if self.panel.why_button.isChecked() else "",
                "gradcam_layer": choice.current_layer(), "maps_layer": self._wanted_layer() or ""}

    def refresh(self, *_) -> None:
        options = self._options()
        if self._request or not (options["method"] or self._wanted_layer() is not None):
            return
        canvas = self.panel.canvas
        if canvas.is_empty:
            canvas.set_overlay(None)
            self.activations.show_grid(None, "Draw a digit on the canvas to see what each filter of a "
                                             "layer responds to.")
            return
        from gui.workers.engine import next_request_id

        self._request = next_request_id()
        self._explained = (self.panel.canvas_version, options)
        self.request_explanation.emit(self._request, canvas.image_array(), options)

    def on_explanation(self, request: int, result: dict) -> None:
        if request != self._request:
            return  # another asker's (a test image of the Evaluation tab)
        self._request = 0
        self.activations.set_layers(result["layers"])  # may pick a layer: asked for below
        self.panel.why_choice.set_layers(result["gradcam_layers"])
        options, layer = self._options(), self._wanted_layer()
        canvas = self.panel.canvas
        self.error = result["error"] if result["method"] and result["heat"] is None else ""
        if canvas.is_empty or not options["method"]:
            canvas.set_overlay(None)
        elif result["method"] == options["method"]:
            canvas.set_overlay(result["heat"])
        self.panel.show_why_error(self.error)
        if result["error"] and result["layer"]:
            self.activations.show_grid(None, result["error"])
        elif result["grid"] is not None and result["layer"] == layer:
            self.activations.show_grid(result["grid"], f"Feature maps of {layer} for the drawing "
                                                       "(bright: strong response).")
        elif layer == "" and not result["layers"]:
            self.activations.show_grid(None, "This model has no layers of feature maps (an MLP sees "
                                             "the image as one row of numbers).")
        if self._explained != (self.panel.canvas_version, options) or (layer is not None and result["layer"] != layer):
            self.refresh()

    def _on_why_toggled(self, on: bool) -> None:
        if on:
            self.refresh()
        else:
            self.panel.canvas.set_overlay(None)
            self.panel.show_why_error("")
