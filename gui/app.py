"""Starting the application."""

from __future__ import annotations

import sys


def run(argv=None) -> int:
    """Opens the main window and runs the Qt event loop until it closes."""
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("CNN Studio")
    app.setOrganizationName("CNN Studio")
    window = MainWindow()
    window.show()
    return app.exec()
