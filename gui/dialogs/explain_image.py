"""How to explain (the method, and Grad-CAM's layer) and the window that explains one test
image of the Evaluation tab's gallery."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.inspect.heatmaps import METHODS as METHOD_NAMES

METHOD_TIPS = {
    "saliency": "The gradient of the top class's score for each pixel, averaged over noisy copies (SmoothGrad).",
    "gradcam": "Grad-CAM: a convolution's feature maps, each weighed by how much it raises the top class.",
    "occlusion": "A grey patch slid over the image: where covering it lowers the top score most.",
}
DEFAULT_LAYER = ""  # Grad-CAM's layer: the last convolution
#: A heat map's colour over a drawing or an image.
HEAT_RGB = (230, 40, 20)


def heat_strength(heat: np.ndarray) -> np.ndarray:
    """How opaque a heat map (0 to 1) is drawn: weak heat still shows."""
    return np.clip(heat, 0, 1) ** 0.7


class HeatChoice(QWidget):
    """A method picker and, for Grad-CAM, the layer it weighs.

    Signals:
        changed: the method or the layer changed.
    """

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.method = QComboBox()
        self.method.setAccessibleName("Explain by")
        for key, name in METHOD_NAMES.items():
            self.method.addItem(name, key)
            self.method.setItemData(self.method.count() - 1, METHOD_TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.method.setToolTip("How Why? explains the reading: saliency, Grad-CAM or occlusion (Shift+W: the next).")
        self.layer = QComboBox()
        self.layer.setAccessibleName("Grad-CAM layer")
        self.layer.setToolTip("The layer Grad-CAM weighs (default: the last convolution).")
        self.layer.addItem("last convolution", DEFAULT_LAYER)
        self.layer.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.method)
        layout.addWidget(self.layer)
        self.method.currentIndexChanged.connect(self._on_method)
        self.layer.currentIndexChanged.connect(self.changed)

    def current_method(self) -> str:
        return self.method.currentData()

    def current_layer(self) -> str:
        """Grad-CAM's layer ("" for the last convolution)."""
        return self.layer.currentData() or DEFAULT_LAYER

    def set_method(self, key: str) -> None:
        index = self.method.findData(key)
        if index >= 0:
            self.method.setCurrentIndex(index)

    def next_method(self) -> None:
        self.method.setCurrentIndex((self.method.currentIndex() + 1) % self.method.count())

    def set_layers(self, names: list[str]) -> None:
        """Offers these layers to Grad-CAM, keeping the chosen one when it is still there."""
        wanted = [DEFAULT_LAYER, *names]
        if [self.layer.itemData(i) for i in range(self.layer.count())] == wanted:
            return
        current = self.current_layer()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItem("last convolution", DEFAULT_LAYER)
        for name in names:
            self.layer.addItem(name, name)
        self.layer.setCurrentIndex(max(0, self.layer.findData(current)))
        self.layer.blockSignals(False)
        if self.current_layer() != current:
            self.changed.emit()

    def _on_method(self) -> None:
        self.layer.setVisible(self.current_method() == "gradcam")
        self.changed.emit()


def heat_pixmap(image: np.ndarray, heat: np.ndarray | None, side: int = 280) -> QPixmap:
    """An image (grey (H, W) or RGB) enlarged to ``side`` pixels, the heat map over it in red."""
    import cv2

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    rgb = np.clip(rgb, 0, 255).astype(np.float32)
    if heat is not None:
        alpha = heat_strength(cv2.resize(np.asarray(heat, np.float32), rgb.shape[1::-1]))[..., None] * 0.75
        rgb = rgb * (1 - alpha) + np.float32(HEAT_RGB) * alpha
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    big = cv2.resize(rgb.astype(np.uint8), (round(w * scale), round(h * scale)), interpolation=cv2.INTER_NEAREST)
    big = np.ascontiguousarray(big)
    qimage = QImage(big.data, big.shape[1], big.shape[0], 3 * big.shape[1], QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage)


class ExplainImageDialog(QDialog):
    """One test image with its heat map, the method chosen here.

    Signals:
        requested(int, object, dict): (request id, the image as the model takes it, the
            options of :meth:`gui.workers.engine.Engine.explain`); answered by
            :meth:`show_explanation`.
    """

    requested = Signal(int, object, dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Why this reading")
        self.choice = HeatChoice()
        self.choice.method.setToolTip("How to explain the reading: saliency, Grad-CAM or occlusion.")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(280, 280)
        self.note = QLabel()
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(QLabel("Explain by:"))
        row.addWidget(self.choice, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.choice.changed.connect(self.refresh)
        self.image: np.ndarray | None = None
        self.heat: np.ndarray | None = None
        self.request_id = 0
        self.title = ""

    def explain(self, image: np.ndarray, title: str, request_id: int) -> None:
        """Shows ``image`` (as the model takes it) and asks for its explanation."""
        self.image, self.heat, self.title = np.asarray(image), None, title
        self.picture.setPixmap(heat_pixmap(self.image, None))
        self._ask(request_id)

    def refresh(self, *_args) -> None:
        if self.image is not None:
            from gui.workers.engine import next_request_id

            self._ask(next_request_id())

    def _ask(self, request_id: int) -> None:
        self.request_id = request_id
        self.note.setText(f"{self.title}: computing the {METHOD_NAMES[self.choice.current_method()]} map…")
        self.requested.emit(request_id, self.image, {"method": self.choice.current_method(),
                                                     "gradcam_layer": self.choice.current_layer(),
                                                     "prepared": True})

    def show_explanation(self, request_id: int, result: dict) -> None:
        if request_id != self.request_id:
            return
        self.choice.set_layers(result.get("gradcam_layers", []))
        if result["error"]:
            self.note.setText(f"<span style='color:#c0392b'>{result['error']}</span>")
            return
        self.heat = result["heat"]
        self.picture.setPixmap(heat_pixmap(self.image, self.heat))
        layer = f" on {result['gradcam_layer']}" if result.get("gradcam_layer") else ""
        self.note.setText(f"{self.title}: read as {result.get('reading', '?')}. In red, what drove that "
                          f"reading by {METHOD_NAMES[result['method']]}{layer}.")
