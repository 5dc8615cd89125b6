"""More settings ▸ Preview augmentation: a grid of training images as the pipeline will
feed them (computed by the engine with :func:`core.data.augment.preview_batch`, the same
code path as training), refreshed as the dataset, the augmentation switch or the seed
change."""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

_request_ids = itertools.count(1)


class AugmentPreview(QDialog):
    """Signals:
        requested(int, str, dict, int, bool): (request id, dataset, its options, seed,
            augment) for the engine; answered by :meth:`show_batch` or :meth:`show_error`.
    """

    requested = Signal(int, str, dict, int, bool)

    def __init__(self, settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preview augmentation")
        self.resize(640, 520)
        self.settings = settings
        self.extra_seed = 0  # Another batch: the next seeds after the panel's
        self.request_id = 0
        self.images: np.ndarray | None = None
        self.labels: list[str] = []
        self.note = QLabel("Preparing the images…")
        self.note.setWordWrap(True)
        self.figure = Figure(figsize=(6, 4), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.again = QPushButton("Another batch")
        self.again.setToolTip("Other random transformations (the seeds after the panel's seed).")
        self.again.clicked.connect(self.another_batch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.again, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(buttons)
        for signal in (settings.dataset.currentIndexChanged, settings.augment.toggled, settings.seed.valueChanged):
            signal.connect(self.refresh)

    def refresh(self, *_args) -> None:
        """Asks the engine for the batch the panel's settings give (while shown)."""
        if not self.isVisible():
            return
        if not self.settings.check():
            self.note.setText("Fix the settings marked in red first: the preview uses them.")
            return
        config = self.settings.config()
        self.request_id = next(_request_ids)
        self.note.setText("Preparing the images…")
        self.requested.emit(self.request_id, config.dataset, config.dataset_options(),
                            int(config.seed or 0) + self.extra_seed, bool(config.augment))

    def another_batch(self) -> None:
        self.extra_seed += 1
        self.refresh()

    def show_batch(self, request_id: int, images, labels, class_names: list, augmented: bool) -> None:
        if request_id != self.request_id:
            return  # an older request: the settings changed since
        self.images = np.asarray(images)
        self.labels = [str(class_names[int(i)]) for i in labels]
        self.note.setText(
            f"{len(self.images)} training images as the training pipeline feeds them (seed "
            f"{self.settings.seed.value() + self.extra_seed})." if augmented else
            "Augmentation is off (More settings ▸ Augment the images): training reads the images as they are.")
        self.figure.clear()
        grey = self.images.shape[-1] == 1
        for i, (image, label) in enumerate(zip(self.images, self.labels)):
            ax = self.figure.add_subplot(4, 6, i + 1)
            pixels = np.clip(image, 0, 255).astype(np.uint8)
            ax.imshow(pixels[..., 0] if grey else pixels, cmap="gray" if grey else None, vmin=0, vmax=255)
            ax.set_title(label, fontsize=8)
            ax.set_axis_off()
        self.canvas.draw_idle()

    def show_error(self, request_id: int, message: str) -> None:
        if request_id == self.request_id:
            self.note.setText(f"<span style='color:#c0392b'>{message}</span>")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()
