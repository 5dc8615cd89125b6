"""How a folder dataset's images are read: their size and colour mode, chosen from the
images and changeable (the "Image size" row of the settings, shown for folders only)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from core.training.config import MAX_FOLDER_SIDE
from core.data.folders import MIN_SIDE

COLOUR_CHOICES = (("Colour", "rgb"), ("Greyscale", "grayscale"))


class FolderOptions(QWidget):
    """Height × width and colour mode; :meth:`values` gives None for what is as the images
    suggest, so the run's settings say "from the images" unless the user changed it."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.height = QSpinBox()
        self.width = QSpinBox()
        for box, what in ((self.height, "height"), (self.width, "width")):
            box.setRange(MIN_SIDE, MAX_FOLDER_SIDE)
            box.setToolTip(f"The {what} the images are resized to (area interpolation). Larger keeps "
                           "detail and costs time; the default is the images' median size.")
            box.setAccessibleName(f"Image {what}")
            box.valueChanged.connect(self.changed)
        self.colour = QComboBox()
        for text, mode in COLOUR_CHOICES:
            self.colour.addItem(text, mode)
        self.colour.setToolTip("Read the images in colour (3 channels) or greyscale (1). The default "
                               "is colour when any image has colour.")
        self.colour.setAccessibleName("Colour mode")
        self.colour.currentIndexChanged.connect(self.changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.height, 1)
        row.addWidget(QLabel("×"))
        row.addWidget(self.width, 1)
        row.addWidget(QLabel("px"))
        row.addWidget(self.colour, 1)
        self._suggested = (32, 32, 3)

    def set_suggested(self, input_shape) -> None:
        """Shows the size and colour the images suggest (a folder was picked)."""
        self._suggested = tuple(int(d) for d in input_shape)
        for widget in (self.height, self.width, self.colour):
            widget.blockSignals(True)
        self.height.setValue(self._suggested[0])
        self.width.setValue(self._suggested[1])
        self.colour.setCurrentIndex(0 if self._suggested[2] == 3 else 1)
        for widget in (self.height, self.width, self.colour):
            widget.blockSignals(False)
        self.changed.emit()

    def values(self) -> tuple[list | None, str | None]:
        """``(image_size, color_mode)`` for :class:`core.training.config.TrainConfig`."""
        size = [self.height.value(), self.width.value()]
        mode = self.colour.currentData()
        suggested_mode = "rgb" if self._suggested[2] == 3 else "grayscale"
        return (None if tuple(size) == self._suggested[:2] else size,
                None if mode == suggested_mode else mode)
