"""The dataset picker: every dataset, then the folders of images added with Train ▸ Add
image folder… (remembered). Those that cannot be loaded now are marked so, with what to do
in their tooltip, checked again each time the list opens: a download, new files in Keras's
cache or enough drawings in My digits make one available."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

from core.data.datasets import DATASETS, availability, get_dataset_info
from core.data.folders import remember_folder, remembered_folders


def unavailable_note(dataset_id: str) -> str:
    if dataset_id == "my_digits":
        return " (draw some first)"
    return " (cannot be used)" if dataset_id not in DATASETS else " (not installed)"


def folder_label(path: str) -> str:
    return f"{Path(path).name} (folder)"


class DatasetBox(QComboBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        for info in DATASETS.values():
            self.addItem(info.name, info.id)
        for path in remembered_folders():
            if Path(path).is_dir():
                self.addItem(folder_label(path), path)
        self.refresh()
        self.setToolTip("The images to learn from.")

    def refresh(self) -> None:
        """Marks the datasets that cannot be loaded now, and says why in their tooltip."""
        for i in range(self.count()):
            key = self.itemData(i)
            problem = availability(key)
            name = DATASETS[key].name if key in DATASETS else folder_label(key)[: -len(" (folder)")]
            description = DATASETS[key].description if key in DATASETS else (
                None if problem else get_dataset_info(key).description)
            suffix = unavailable_note(key) if problem else ("" if key in DATASETS else " (folder)")
            self.setItemText(i, name + suffix)
            self.setItemData(i, problem or description, 3)  # the tooltip role

    def add_folder(self, path: str) -> None:
        """Adds a folder of images to the list (remembered for next time) and picks it."""
        index = self.findData(path)
        if index < 0:
            self.addItem(folder_label(path), path)
            index = self.count() - 1
            remember_folder(path)
        self.refresh()
        self.setCurrentIndex(index)

    def showPopup(self) -> None:
        self.refresh()
        super().showPopup()
