"""The window's smaller windows that look into the data and the model: the augmentation
preview, a sweep, and why the model reads a test image as it does."""

from __future__ import annotations


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

    def open_image_explanation(self, index: int, title: str) -> None:
        """Evaluation ▸ a gallery image clicked: its heat map, in a window of its own."""
        from gui.dialogs.explain_image import ExplainImageDialog
        from gui.workers.engine import next_request_id

        if getattr(self, "image_explanation", None) is None:
            self.image_explanation = ExplainImageDialog(self)
            self.image_explanation.requested.connect(self.engine.explain)
            self.engine.explanation_ready.connect(self.image_explanation.show_explanation)
        self.image_explanation.choice.set_method(self.canvas_panel.why_choice.current_method())
        self.image_explanation.explain(self.evaluation.result["test_images"][index], title, next_request_id())
        self.image_explanation.show()
        self.image_explanation.raise_()
