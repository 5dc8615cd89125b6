"""The epoch scrubber under the training curves: after a run, move back through its
epochs and the canvas, Why?, Activations and Evaluation use that epoch's weights."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from core.models.summary import format_bytes


class EpochScrubber(QWidget):
    """Signals:
        epoch_chosen(int): the person moved to this epoch.
    """

    epoch_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.epochs: list[int] = []
        self._training = False
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Weights of epoch")
        self.slider.setToolTip("Move back through the last run's epochs: the canvas, Why?, Activations and "
                               "Evaluation use the weights the network had after that epoch (← →).")
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.label = QLabel()
        self.label.setMinimumWidth(220)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 8, 4)
        row.addWidget(QLabel("Weights of epoch:"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_value)
        self.set_epochs([], 0)

    def set_epochs(self, epochs: list, size: int, note: str = "") -> None:
        """The epochs whose weights are kept (``size`` bytes in all; ``note``: what was let
        go to stay within the memory cap); the newest is shown."""
        self.epochs = list(epochs)
        self._note = note
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.epochs) - 1))
        self.slider.setValue(max(0, len(self.epochs) - 1))
        self.slider.blockSignals(False)
        self._size = size
        self._update()

    def set_training(self, training: bool) -> None:
        self._training = training
        self._update()

    def _update(self) -> None:
        usable = len(self.epochs) >= 2 and not self._training
        self.slider.setEnabled(usable)
        note = getattr(self, "_note", "")
        self.label.setToolTip(note[0].upper() + note[1:] + "." if note else "")
        if not self.epochs:
            self.label.setText("(not kept: " + note + ")" if note else "(after a run that keeps its epochs)")
        else:
            epoch = self.epochs[self.slider.value()]
            self.label.setText(f"{epoch} of {self.epochs[-1]} ({format_bytes(self._size)} kept"
                               + (f", {len(self.epochs)} epochs within the cap" if note else "") + ")"
                               + (" — training" if self._training else ""))

    def chosen_epoch(self) -> int | None:
        """The epoch the scrubber shows when it is not the newest (None otherwise)."""
        if len(self.epochs) < 2 or self.slider.value() == len(self.epochs) - 1:
            return None
        return self.epochs[self.slider.value()]

    def _on_value(self, index: int) -> None:
        self._update()
        if 0 <= index < len(self.epochs):
            self.epoch_chosen.emit(self.epochs[index])


def curves_page(plots_page: QWidget, scrubber: EpochScrubber) -> QWidget:
    """The Training curves tab: the plots above the scrubber."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plots_page, 1)
    layout.addWidget(scrubber)
    return page
