"""The settings panel's defaults: Reset to defaults, an architecture's own settings, the
recipes of More settings ▸ Recipe, and the warm-up that follows a shorter run."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.training.config import TrainConfig
from core.data.datasets import augmented_by_default, is_digit_dataset
from core.models.registry import get_arch


class SettingsDefaults:
    """Mixed into :class:`gui.panels.settings_panel.SettingsPanel`, whose fields it fills."""

    def reset_defaults(self) -> None:
        """Every setting back to its default, the architecture kept: its hyperparameters,
        and the compact form, MNIST, every image, one device, no logs."""
        base = TrainConfig()
        self.form.setCurrentIndex(self.form.findData(base.form))
        self.dataset.setCurrentIndex(self.dataset.findData(base.dataset))
        self.strategy.setCurrentIndex(self.strategy.findData(base.strategy))
        self.device.setCurrentIndex(max(0, self.device.findData(base.device)))
        for i in range(self.devices.count()):
            self.devices.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.workers.clear()
        self.worker_index.setValue(base.worker_index)
        self.scale_lr.setChecked(base.scale_lr)
        self.tensorboard.clear()
        self.limit.setValue(0)
        self.keep_epochs.setChecked(True)  # the compact form's default
        self.apply_defaults(self.current_arch())
        self.check()

    def apply_dataset_defaults(self) -> None:
        """Digits train with augmentation and deslanted, colour photos with crops and flips;
        other datasets with neither."""
        dataset = self.dataset.currentData() or TrainConfig.dataset
        self.augment.setChecked(augmented_by_default(dataset))
        self.deslant.setChecked(is_digit_dataset(dataset))

    def apply_defaults(self, arch_id: str) -> None:
        """Sets every hyperparameter to the architecture's defaults."""
        d = get_arch(arch_id).defaults
        self.recipe.setCurrentIndex(0)  # the architecture's own settings, no recipe
        self.arch.blockSignals(True)
        self.arch.setCurrentIndex(self.arch.findData(arch_id))
        self.arch.blockSignals(False)
        self.epochs.setValue(d.epochs)
        self.batch_size.setValue(d.batch_size)
        self.optimizer.setCurrentIndex(self.optimizer.findData(d.optimizer))
        self.learning_rate.setText(f"{d.learning_rate:g}")
        self.schedule.setCurrentIndex(self.schedule.findData(d.schedule))
        base = TrainConfig()
        self.momentum.setText(f"{base.momentum:g}")
        self.nesterov.setChecked(base.nesterov)
        self.weight_decay.setText(f"{base.weight_decay:g}")
        self.warmup.setValue(min(d.warmup, max(0, d.epochs - 1)))
        self.apply_dataset_defaults()
        self.early_stopping.setValue(base.early_stopping)
        self.val_split.setText(f"{base.val_split:g}")
        self.seed.setValue(base.seed)
        self.mixed_precision.setCurrentIndex(self.mixed_precision.findData(base.mixed_precision))

    def _apply_recipe(self) -> None:
        key = self.recipe.currentData()
        if key is None:
            self.apply_defaults(self.current_arch())
        else:
            c = TrainConfig.for_arch(self.current_arch(), recipe=key, epochs=self.epochs.value())
            self.optimizer.setCurrentIndex(self.optimizer.findData(c.optimizer))
            for edit, value in ((self.learning_rate, c.learning_rate), (self.momentum, c.momentum),
                                (self.weight_decay, c.weight_decay)):
                edit.setText(f"{value:g}")
            self.nesterov.setChecked(c.nesterov)
            self.schedule.setCurrentIndex(self.schedule.findData(c.schedule))
            self.batch_size.setValue(c.batch_size)
            self.warmup.setValue(c.warmup)
        self.check()

    def _fit_default_warmup(self, epochs: int) -> None:
        """The architecture's own warm-up shrinks with a run too short for it (one epoch:
        none); a warm-up the user chose is left, and marked when too long."""
        default = get_arch(self.current_arch()).defaults.warmup
        if default and epochs <= self.warmup.value() <= default:
            self.warmup.setValue(max(0, epochs - 1))
