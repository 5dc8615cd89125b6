"""Help ▸ Keyboard shortcuts: every shortcut of the window in one searchable list, read
from the window's actions themselves (so the list cannot drift from what the keys do),
buttons' own keys, and the keys a widget handles while it has the focus (its class's
``FOCUS_KEYS``, written beside the code that handles them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QLineEdit, QMenu,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)


@dataclass(frozen=True)
class Shortcut:
    action: str
    keys: str
    where: str
    tip: str

    def matches(self, text: str) -> bool:
        """Whether ``text`` begins a word of the action, its keys, its place or its tip
        ("pen" finds "Thicker pen", not "Open")."""
        text = text.strip().lower()
        pattern = re.compile(r"(?<![a-z0-9])" + re.escape(text))
        return not text or any(pattern.search(field.lower()) for field in (self.action, self.keys, self.where, self.tip))


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _where(action, window) -> str:
    """The menu that holds ``action`` (a QAction or a button), else the tab it is on."""
    if isinstance(action, QAction):
        for owner in action.associatedObjects():
            if isinstance(owner, QMenu) and owner.title():
                return _plain(owner.title()) + " menu"
    widget = action.parent() if isinstance(action, QAction) else action
    tabs = getattr(window, "tabs", None)
    while isinstance(widget, QWidget) and widget is not window:
        if tabs is not None and tabs.indexOf(widget) >= 0:
            return _plain(tabs.tabText(tabs.indexOf(widget))) + " tab"
        widget = widget.parentWidget()
    return "Window"


def window_shortcuts(window) -> list[Shortcut]:
    """Every action of ``window`` (and its children) that has a shortcut, sorted by where
    it is, then by name."""
    found = {}
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if keys and action.text():
            row = Shortcut(_plain(action.text()), ", ".join(keys), _where(action, window), action.toolTip())
            found[(row.action, row.keys, row.where)] = row
    for button in window.findChildren(QAbstractButton):  # a button's own key (Refresh: F5)
        key = button.shortcut()
        if not key.isEmpty() and button.text():
            row = Shortcut(_plain(button.text()), key.toString(QKeySequence.SequenceFormat.NativeText),
                           _where(button, window), button.toolTip())
            found[(row.action, row.keys, row.where)] = row
    for widget in window.findChildren(QWidget):  # keys a widget handles while it has the focus
        for keys, name, tip in getattr(type(widget), "FOCUS_KEYS", ()):
            where = _where(widget, window)
            row = Shortcut(name, keys, getattr(type(widget), "FOCUS_PLACE", where) if where == "Window" else where, tip)
            found[(row.action, row.keys, row.where)] = row
    return sorted(found.values(), key=lambda r: (r.where, r.action))


class ShortcutsDialog(QDialog):
    """The list, with a search field that filters it as one types."""

    COLUMNS = ("Action", "Shortcut", "Where", "What it does")

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(760, 520)
        self.rows = window_shortcuts(window)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by action, key, menu or description…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type part of a name, a key (\"Ctrl+E\") or a menu: the list keeps what matches.")
        self.table = QTableWidget(len(self.rows), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for i, row in enumerate(self.rows):
            for j, text in enumerate((row.action, row.keys, row.where, row.tip)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
        header = self.table.horizontalHeader()
        for j in range(3):
            header.setSectionResizeMode(j, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.count = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.search, self.table, self.count, buttons):
            layout.addWidget(widget)
        self.search.textChanged.connect(self.filter)
        self.filter("")
        self.search.setFocus()

    def filter(self, text: str) -> None:
        shown = 0
        for i, row in enumerate(self.rows):
            hidden = not row.matches(text)
            self.table.setRowHidden(i, hidden)
            shown += not hidden
        total = len(self.rows)
        self.count.setText(f"{total} shortcuts" if shown == total else
                           f"{shown} of {total} shortcuts match \"{text.strip()}\"" if shown else
                           f"No shortcut matches \"{text.strip()}\".")

    def visible_rows(self) -> list[Shortcut]:
        return [row for i, row in enumerate(self.rows) if not self.table.isRowHidden(i)]
