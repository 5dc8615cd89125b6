"""The window's smaller windows that look into the data and the model: the augmentation
preview, a sweep, the learning-rate finder, and why the model reads a test image as it does."""

from __future__ import annotations

from core.models.registry import get_arch


class InspectWindows:
    """Opens them for :class:`gui.main_window.MainWindow` (mixed into it)."""

    def open_augmentation_preview(self) -> None:
        """More settings ▸ Preview…: the training images as the pipeline feeds them."""
        from gui.dialogs.augment_preview import AugmentPreview

        if getattr(self, "augment_preview", None) is None:
            self.augment_preview = AugmentPreview(self.settings, self)
            self.augment_preview.requested.connect(self.engine.preview_augmentation)
            self.engine.augmentation_ready.connect(self.augment_preview.show_batch)
            self.engine.augmentation_failed.connect(self.augment_preview.show_error)
        self.augment_preview.show()
        self.augment_preview.raise_()

    def open_sweep(self) -> None:
        """Train ▸ Sweep…: a dialog that sweeps settings starting from the panel's."""
        from gui.dialogs.sweep_dialog import SweepDialog

        if self.is_training or not self.settings.check():
            self.statusBar().showMessage("Fix the settings marked in red first (the sweep starts from them).", 6000)
            return
        self.sweep_dialog = SweepDialog(self.settings.config(), self.library_dir(), self)
        self.sweep_dialog.finished.connect(self.library.refresh)
        self.sweep_dialog.show()

    def open_image_explanation(self, image, title: str) -> None:
        """A test image clicked (the Evaluation tab's gallery, the Map): its heat map, in a
        window of its own."""
        from gui.dialogs.explain_image import ExplainImageDialog
        from gui.workers.engine import next_request_id

        if getattr(self, "image_explanation", None) is None:
            self.image_explanation = ExplainImageDialog(self)
            self.image_explanation.requested.connect(self.engine.explain)
            self.engine.explanation_ready.connect(self.image_explanation.show_explanation)
        self.image_explanation.choice.set_method(self.canvas_panel.why_choice.current_method())
        self.image_explanation.explain(image, title, next_request_id())
        self.image_explanation.show()
        self.image_explanation.raise_()

    def open_lr_finder(self) -> None:
        """Train ▸ Find learning rate…: the range test of the panel's settings."""
        from gui.dialogs.lr_finder_dialog import LrFinderDialog

        if self.is_training or not self.settings.check():
            self.statusBar().showMessage("Fix the settings marked in red first (the test uses them)." if
                                         not self.is_training else "Training is running: find a rate when it "
                                         "has finished.", 6000)
            return
        if getattr(self, "lr_finder", None) is None:
            self.lr_finder = LrFinderDialog(self)
            self.lr_finder.use_rate.connect(self.use_learning_rate)
        config = self.settings.config()
        self.lr_finder.start(config, f"{get_arch(config.arch).name} on {config.dataset}")
        self.lr_finder.show()
        self.lr_finder.raise_()

    def use_learning_rate(self, rate: float) -> None:
        """Puts ``rate`` in the panel's Learning rate field."""
        self.settings.learning_rate.setText(f"{rate:.2g}")
        self.statusBar().showMessage(f"Learning rate set to {rate:.2g} (Start trains with it).", 6000)
