"""The Network tab's palette of layers and its table of layers, with the keys they keep
while they have the focus."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QListWidget, QTableWidget

from core.models.network_draft import PALETTE, PALETTE_TIPS

UNDO_KEYS = {QKeySequence.StandardKey.Undo: "undo", QKeySequence.StandardKey.Redo: "redo"}


class LayerTable(QTableWidget):
    """The layers; keeps Delete, Ctrl+Z and Ctrl+Y for the editor while it has the focus."""

    key_pressed = Signal(str)  # "delete", "undo", "redo", "link"
    FOCUS_KEYS = (("Del", "Delete layer", "Delete the selected layer, in the Network tab's table."),
                  ("Ctrl+Z", "Undo edit", "Take back the last edit of the network, in the Network tab."),
                  ("Ctrl+Y", "Redo edit", "Put back the edit undone, in the Network tab."),
                  ("L", "Link input", "Link a layer above to the selected one, in the Network tab's table."))

    def _action(self, event) -> str | None:
        for key, action in UNDO_KEYS.items():
            if event.matches(key):
                return action
        if event.key() == Qt.Key.Key_Y and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            return "redo"
        return {Qt.Key.Key_Delete: "delete", Qt.Key.Key_L: "link"}.get(event.key()) \
            if event.modifiers() == Qt.KeyboardModifier.NoModifier else None

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._action(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        action = self._action(event)
        if action:
            self.key_pressed.emit(action)
            return
        super().keyPressEvent(event)


class Palette(QListWidget):
    """The layers one can add: double-click or Enter adds the current one."""

    chosen = Signal(str)
    FOCUS_KEYS = (("Return", "Add layer", "Add the palette's layer after the selected one, in the Network tab."),)

    def __init__(self, parent=None):
        super().__init__(parent)
        for kind in PALETTE:
            self.addItem(kind)
            self.item(self.count() - 1).setToolTip(PALETTE_TIPS[kind])
        self.itemDoubleClicked.connect(lambda item: self.chosen.emit(item.text()))
        self.setToolTip("Layers to add: double-click one, or press Enter, to add it after the selected layer.")

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.chosen.emit(self.currentItem().text())
            return
        super().keyPressEvent(event)
