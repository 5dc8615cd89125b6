"""The training settings form: architecture, dataset and hyperparameters, checked live."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget,
)

from core.datasets import DATASETS, availability
from core.registry import ARCHITECTURES, DEFAULT_ARCH, get_arch
from core.training import OPTIMIZERS, SCHEDULES, TrainConfig

ERROR_STYLE = "color: #c0392b;"


class SettingsPanel(QWidget):
    """Edits a :class:`TrainConfig`; every value is checked as it is typed.

    Signals:
        arch_changed(str): a different architecture was picked.
        validity_changed(bool): whether the settings can be used now.
    """

    arch_changed = Signal(str)
    validity_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.arch = QComboBox()
        for info in ARCHITECTURES.values():
            self.arch.addItem(info.name, info.id)
            self.arch.setItemData(self.arch.count() - 1, info.description, 3)  # ToolTipRole
        self.arch.setToolTip("The network to train. Picking one applies its default settings.")
        self.form = QComboBox()
        self.form.addItem("Compact", "compact")
        self.form.addItem("Reference (as the paper)", "reference")
        self.form.setToolTip("Compact: the network's idea made small enough to train on MNIST in "
                             "minutes on a CPU. Reference: exactly as published (inputs resized to "
                             "its size), which may take hours per epoch without a GPU.")
        self.dataset = QComboBox()
        for info in DATASETS.values():
            problem = availability(info.id)
            self.dataset.addItem(info.name + (" (not installed)" if problem else ""), info.id)
            self.dataset.setItemData(self.dataset.count() - 1, problem or info.description, 3)
        self.dataset.setToolTip("The images to learn from.")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setToolTip("Passes over the training set.")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 65536)
        self.batch_size.setToolTip("Images per training step. Larger is faster per image "
                                   "but needs more memory and may generalise worse.")
        self.optimizer = QComboBox()
        for key, name in OPTIMIZERS.items():
            self.optimizer.addItem(name, key)
        self.optimizer.setToolTip("Adam adapts the step size per weight and is a safe default; "
                                  "SGD here uses momentum 0.9.")
        self.learning_rate = QLineEdit()
        self.learning_rate.setToolTip("Step size, e.g. 0.001 or 3e-3. Too large makes the loss "
                                      "explode; too small makes training slow.")
        self.schedule = QComboBox()
        for key, name in SCHEDULES.items():
            self.schedule.addItem(name, key)
        self.schedule.setToolTip("Cosine decay lowers the learning rate smoothly to 1% by the "
                                 "last step, which usually gains a few tenths of a percent.")

        self.error_labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label, widget in (
            ("arch", "&Architecture", self.arch), ("form", "&Form", self.form),
            ("dataset", "&Dataset", self.dataset),
            ("epochs", "&Epochs", self.epochs), ("batch_size", "&Batch size", self.batch_size),
            ("optimizer", "&Optimizer", self.optimizer), ("learning_rate", "&Learning rate", self.learning_rate),
            ("schedule", "Sc&hedule", self.schedule),
        ):
            error = QLabel()
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.error_labels[key] = error
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(error)
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)

        self.apply_defaults(DEFAULT_ARCH)
        self.arch.currentIndexChanged.connect(self._on_arch_changed)
        for signal in (self.dataset.currentIndexChanged, self.epochs.valueChanged,
                       self.batch_size.valueChanged, self.optimizer.currentIndexChanged,
                       self.learning_rate.textChanged, self.schedule.currentIndexChanged):
            signal.connect(self.check)
        self._valid = True
        self.check()

    def current_arch(self) -> str:
        return self.arch.currentData()

    def current_form(self) -> str:
        return self.form.currentData()

    def apply_defaults(self, arch_id: str) -> None:
        """Sets every hyperparameter to the architecture's defaults."""
        d = get_arch(arch_id).defaults
        self.arch.blockSignals(True)
        self.arch.setCurrentIndex(self.arch.findData(arch_id))
        self.arch.blockSignals(False)
        self.epochs.setValue(d.epochs)
        self.batch_size.setValue(d.batch_size)
        self.optimizer.setCurrentIndex(self.optimizer.findData(d.optimizer))
        self.learning_rate.setText(f"{d.learning_rate:g}")
        self.schedule.setCurrentIndex(self.schedule.findData(d.schedule))

    def _on_arch_changed(self) -> None:
        self.apply_defaults(self.current_arch())
        self.check()
        self.arch_changed.emit(self.current_arch())

    def _learning_rate(self):
        text = self.learning_rate.text().strip()
        try:
            return float(text)
        except ValueError:
            return text

    def config(self) -> TrainConfig:
        """The settings as they are (possibly invalid: see :meth:`errors`)."""
        return TrainConfig(
            arch=self.current_arch(), form=self.current_form(), dataset=self.dataset.currentData(),
            epochs=self.epochs.value(), batch_size=self.batch_size.value(),
            optimizer=self.optimizer.currentData(), learning_rate=self._learning_rate(),
            schedule=self.schedule.currentData(),
        )

    def errors(self) -> dict[str, str]:
        config = self.config()
        errors = config.errors()
        if "learning_rate" in errors and isinstance(config.learning_rate, str):
            errors["learning_rate"] = f"must be a number such as 0.001 or 3e-3, not {config.learning_rate!r}"
        problem = availability(config.dataset)
        if problem:
            errors["dataset"] = problem
        return errors

    def check(self) -> bool:
        """Shows a message under each bad field; returns whether all are good."""
        errors = self.errors()
        for key, label in self.error_labels.items():
            label.setText(errors.get(key, ""))
            label.setVisible(key in errors)
        valid = not errors
        if valid != getattr(self, "_valid", None):
            self._valid = valid
            self.validity_changed.emit(valid)
        return valid

    def set_locked(self, locked: bool) -> None:
        """Disables editing while training runs."""
        for widget in (self.arch, self.form, self.dataset, self.epochs, self.batch_size, self.optimizer,
                       self.learning_rate, self.schedule):
            widget.setEnabled(not locked)
