"""Train ▸ Add image folder… and Download CIFAR-10…: bringing a dataset into the list."""

from __future__ import annotations

from pathlib import Path

from gui.commands import warn


class DatasetActions:
    """The dataset menu actions of :class:`gui.panels.training_panel.TrainingPanel` (mixed
    into it: they use its settings, its status signal and its training state)."""

    def add_image_folder(self) -> None:
        """Train ▸ Add image folder…: checks the folder, says what it holds (or why it cannot
        be a dataset), and picks it in the dataset list."""
        from gui.files import ask_folder

        path = ask_folder(self, "A folder with one subfolder of images per class")
        if path:
            self.add_image_folder_at(path)

    def open_download_dialog(self) -> None:
        """Train ▸ Download CIFAR-10… (and Download… beside the dataset): says the size and
        the place, and downloads only when the user clicks Download."""
        from gui.dialogs.download_dialog import DownloadDialog

        if self.download_dialog is None:
            self.download_dialog = DownloadDialog(self)
            self.download_dialog.downloaded.connect(self._on_cifar10_downloaded)
        elif not self.download_dialog.running:
            self.download_dialog.refresh()
        self.download_dialog.show()
        self.download_dialog.raise_()

    def _on_cifar10_downloaded(self) -> None:
        box = self.settings.dataset
        box.refresh()
        if not self.is_training:
            box.setCurrentIndex(box.findData("cifar10"))
        self.settings.check()
        self.status.emit("CIFAR-10 is downloaded: pick an architecture and Start.", 8000)

    def add_image_folder_at(self, path: str) -> bool:
        from core.data.datasets import folder_scan, get_dataset_info
        from core.data.folders import FolderDatasetError

        path = str(Path(path).resolve())
        try:
            folder_scan(path)
        except FolderDatasetError as e:
            warn(self, "This folder cannot be a dataset", str(e))
            return False
        self.settings.dataset.add_folder(path)
        info = get_dataset_info(path)
        h, w, c = info.input_shape
        self.status.emit(f"Added {info.description}; read at {h}×{w}{' colour' if c == 3 else ' grey'}. "
                         "Start trains on it.", 8000)
        return True
