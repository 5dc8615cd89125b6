"""The Help menu: the keyboard shortcuts and About."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from gui.commands import make_action


class HelpMenu:
    """The Help menu's actions of :class:`gui.main_window.MainWindow` (mixed into it)."""

    def help_actions(self) -> list:
        self.shortcuts_action = make_action(
            self, "&Keyboard shortcuts", "Ctrl+/", self.show_shortcuts,
            "Every keyboard shortcut of the window, in a list you can search.")
        return [self.shortcuts_action, None, make_action(self, "&About", None, self.show_about, "About CNN Studio.")]

    def show_shortcuts(self) -> None:
        from gui.dialogs.shortcuts_dialog import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()

    def show_about(self):
        QMessageBox.about(
            self, "About CNN Studio",
            "<b>CNN Studio</b><p>Train classic image classifiers, read them layer by layer, "
            "and watch them read your handwriting.</p><p>MNIST: LeCun, Cortes &amp; Burges, "
            "CC BY-SA 3.0.</p>",
        )
