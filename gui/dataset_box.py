"""The dataset picker: every dataset, those that cannot be loaded now marked so (with
what to do in their tooltip), checked again each time the list opens — a download, new
files in Keras's cache or enough drawings in My digits make one available."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from core.datasets import DATASETS, availability


def unavailable_note(dataset_id: str) -> str:
    return " (draw some first)" if dataset_id == "my_digits" else " (not installed)"


class DatasetBox(QComboBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        for info in DATASETS.values():
            self.addItem(info.name, info.id)
        self.refresh()
        self.setToolTip("The images to learn from.")

    def refresh(self) -> None:
        """Marks the datasets that cannot be loaded now, and says why in their tooltip."""
        for i in range(self.count()):
            info = DATASETS[self.itemData(i)]
            problem = availability(info.id)
            self.setItemText(i, info.name + (unavailable_note(info.id) if problem else ""))
            self.setItemData(i, problem or info.description, 3)  # the tooltip role

    def showPopup(self) -> None:
        self.refresh()
        super().showPopup()
