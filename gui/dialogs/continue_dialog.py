"""Models ▸ Continue training… and Fine-tune…: a saved model trains on (see
:mod:`core.training.resume`).

Continuing goes on with the same run — its settings, optimiser state, schedule position
and history, so the curves go on from where they stopped. Fine-tuning starts a new run
from the model's weights with a fresh optimiser, on a dataset the user picks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QSpinBox, QVBoxLayout)

from core.data.datasets import DATASETS, availability
from core.storage.library import LibraryEntry
from core.storage.modelio import ModelFileError


class ContinueDialog(QDialog):
    """Asks how a saved model trains on, then emits the run's settings.

    Signals:
        accepted_config(object): the :class:`core.training.config.TrainConfig` to train with.
    """

    accepted_config = Signal(object)

    def __init__(self, entry: LibraryEntry, fine_tune: bool, parent=None, dataset: str | None = None):
        """Args:
            dataset: the dataset a fine-tune starts on (default: the model's own)."""
        super().__init__(parent)
        from core.training.resume import remaining_epochs

        self.entry, self.fine_tune = entry, fine_tune
        m = entry.metadata
        config = m.get("config") if isinstance(m.get("config"), dict) else {}
        from core.training.resume import resumable_epoch

        done = resumable_epoch(m) or 0
        self.setWindowTitle(f"{'Fine-tune' if fine_tune else 'Continue training'} — {entry.name}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setAccessibleName("Epochs")
        self.dataset = self.learning_rate = self.images = None
        if fine_tune:
            info = DATASETS.get(m.get("dataset") or "")
            dataset_name = info.name if info else m.get("dataset") or "an unknown dataset"
            text = (f"Starts a new run from the weights of <b>{entry.name}</b> ({m.get('arch_name') or m.get('arch')}, "
                    f"{done} epoch(s) on {dataset_name}) with a fresh optimiser. "
                    "Layers that do not fit the new dataset (the classifier, for other classes) start afresh.")
            self.dataset = QComboBox()
            self.dataset.setToolTip("The images to fine-tune on: any dataset with images of the model's shape.")
            for key, info in DATASETS.items():
                problem = availability(key)
                self.dataset.addItem(info.name if problem is None else f"{info.name} (not installed)", key)
                if problem:
                    self.dataset.model().item(self.dataset.count() - 1).setEnabled(False)
                    self.dataset.setItemData(self.dataset.count() - 1, problem, 0x03)  # tooltip role
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(dataset or m.get("dataset") or "mnist")))
            form.addRow("Dataset:", self.dataset)
            lr = float(config.get("learning_rate") or 1e-3)
            self.learning_rate = QDoubleSpinBox()
            self.learning_rate.setDecimals(6)
            self.learning_rate.setRange(1e-6, 1.0)
            self.learning_rate.setSingleStep(lr / 10)
            self.learning_rate.setValue(lr / 10)
            self.learning_rate.setToolTip("A tenth of the model's own rate by default: large steps would "
                                          "undo what it learned.")
            form.addRow("Learning rate:", self.learning_rate)
            self.images = QSpinBox()
            self.images.setRange(0, 10_000_000)
            self.images.setSingleStep(1000)
            self.images.setSpecialValueText("All")
            self.images.setToolTip("Train on only this many images (a quick try); All: the whole dataset.")
            form.addRow("Images:", self.images)
            self.epochs.setValue(max(1, int(config.get("epochs") or 2) // 2))
            ok_text = "Fine-tune"
        else:
            left = remaining_epochs(entry.path)
            planned = done + left
            text = (f"<b>{entry.name}</b> trained {done} of {planned} planned epoch(s). It goes on with the same "
                    "settings, optimiser state and learning-rate schedule; the curves continue from epoch "
                    f"{done}, and the result is saved as a new model.")
            if done < (m.get("epochs_completed") or 0):
                text += (f" Early stopping kept the weights of epoch {done}, the best: it goes on from there, "
                         "with that epoch's optimiser state.")
            self.epochs.setValue(left or 2)
            self.schedule_note = QLabel()
            self.schedule_note.setWordWrap(True)
            if not left:  # the note follows the number of epochs
                self.epochs.valueChanged.connect(self._show_new_schedule)
                self._show_new_schedule()
            ok_text = "Continue"
        self.epochs.setToolTip("How many more epochs to train.")
        form.addRow("More epochs:" if not fine_tune else "Epochs:", self.epochs)
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        if not fine_tune:
            layout.addWidget(self.schedule_note)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b03a2e")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.epochs.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _show_new_schedule(self) -> None:
        """A finished run gets a new schedule: says which, with the rates."""
        from core.training.resume import describe_new_schedule

        try:
            changed = describe_new_schedule(self.config())
        except (ModelFileError, ValueError):
            changed = None
        self.schedule_note.setText(f"{changed[0].upper()}{changed[1:]}." if changed else "")

    def config(self):
        """The settings this dialog describes.

        Raises:
            ModelFileError, ValueError: the model cannot train on so.
        """
        from core.training.resume import finetune_config, resume_config

        if self.fine_tune:
            return finetune_config(self.entry.path, self.dataset.currentData(), self.epochs.value(),
                                   learning_rate=self.learning_rate.value(), limit=self.images.value() or None)
        return resume_config(self.entry.path, self.epochs.value())

    def accept(self) -> None:
        try:
            config = self.config()
            config.validate()
        except (ModelFileError, ValueError) as e:  # SettingsError is a ValueError
            self.error.setText(str(e))
            return
        super().accept()
        self.accepted_config.emit(config)
