"""The settings form read as a :class:`core.training.config.TrainConfig`, and checked: the
config's own checks, numbers typed as text, the dataset's availability and this machine's
devices, each message shown under its field."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from core.data.datasets import availability
from core.runtime.device import check_on_devices
from core.runtime.distribute import small_model_note
from core.training.config import TrainConfig

#: Settings that are numbers typed as text (so that "abc" or "nan" get a message).
NUMBER_FIELDS = ("learning_rate", "momentum", "weight_decay", "val_split")


class SettingsChecks:
    """Reading and checking of :class:`gui.panels.settings_panel.SettingsPanel` (mixed into
    it: it uses the panel's fields)."""

    @staticmethod
    def _number(edit: QLineEdit):
        text = edit.text().strip()
        try:
            return float(text)
        except ValueError:
            return text

    def config(self) -> TrainConfig:
        """The settings as they are (possibly invalid: see :meth:`errors`)."""
        return TrainConfig(
            arch=self.current_arch(), form=self.current_form(), dataset=self.dataset.currentData(),
            epochs=self.epochs.value(), batch_size=self.batch_size.value(),
            optimizer=self.optimizer.currentData(), learning_rate=self._number(self.learning_rate),
            schedule=self.schedule.currentData(), momentum=self._number(self.momentum),
            nesterov=self.nesterov.isChecked(), weight_decay=self._number(self.weight_decay),
            warmup=self.warmup.value(), augment=self.augment.isChecked(),
            deslant=self.deslant.isChecked(),
            early_stopping=self.early_stopping.value(), val_split=self._number(self.val_split),
            limit=self.limit.value() or None, seed=self.seed.value(),
            device=self.device.currentData() if self.strategy.currentData() == "default" else "auto",
            mixed_precision=self.mixed_precision.currentData(),
            tensorboard=self.tensorboard.text().strip() or None,
            strategy=self.strategy.currentData(),
            devices=self.ticked_devices() if self.strategy.currentData() == "mirrored" else [],
            workers=[w.strip() for w in self.workers.text().split(",") if w.strip()]
            if self.strategy.currentData() == "multiworker" else [],
            worker_index=self.worker_index.value(),
            scale_lr=self.scale_lr.isChecked() and self.strategy.currentData() != "default",
            **(dict(zip(("image_size", "color_mode"), self.folder_options.values()))
               if self.is_folder_dataset() else {}),
        )

    def errors(self) -> dict[str, str]:
        config = self.config()
        errors = config.errors()
        if "network" in errors:  # a network file of the Architecture list
            errors["arch"] = errors.pop("network")
        for name in NUMBER_FIELDS:
            value = getattr(config, name)
            if name in errors and isinstance(value, str):
                errors[name] = f"must be a number such as 0.001 or 3e-3, not {value!r}" if value else "is empty"
        problem = availability(config.dataset)
        if problem:
            errors["dataset"] = problem
        self.download_button.setVisible(config.dataset == "cifar10" and bool(problem))
        if self._device_names is not None:
            found = check_on_devices(config.device, config.strategy, config.devices, config.mixed_precision,
                                     self._device_names)
            errors.update({k: v for k, v in found.items() if k not in errors})
        return errors

    def check(self) -> bool:
        """Shows a message under each bad field; returns whether all are good."""
        errors = self.errors()
        for key, label in self.error_labels.items():
            label.setText(errors.get(key, ""))
            label.setVisible(key in errors)
        if set(errors) & {key for key in self.error_labels if self.advanced.isAncestorOf(self.error_labels[key])}:
            self.set_advanced_visible(True)  # never hide a message
        config = self.config()
        note = small_model_note(config.arch, config.form, config.strategy, config.device)
        self.strategy_note.setText(f"Note: {note}" if note else "")
        self.strategy_note.setVisible(bool(note))
        valid = not errors
        if valid != getattr(self, "_valid", None):
            self._valid = valid
            self.validity_changed.emit(valid)
        return valid
