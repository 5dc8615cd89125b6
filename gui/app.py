"""Starting the application."""

from __future__ import annotations

import os
import sys
import time

#: When set to a file path, the window writes there (as "name seconds" lines, wall-clock
#: epoch times) when it is first painted and when TensorFlow is ready, then closes
#: itself once ready. Used by benchmarks/startup.py.
STARTUP_REPORT_ENV = "CNN_STUDIO_STARTUP_REPORT"


def run(argv=None) -> int:
    """Opens the main window and runs the Qt event loop until it closes."""
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("CNN Studio")
    app.setOrganizationName("CNN Studio")
    window = MainWindow()
    report = os.environ.get(STARTUP_REPORT_ENV)
    if report:
        _report_startup(window, report)
    window.show()
    return app.exec()


def _report_startup(window, path: str) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer

    def write(name: str) -> None:
        with open(path, "a") as f:
            f.write(f"{name} {time.time():.4f}\n")

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                write("painted")
                obj.removeEventFilter(self)
            return False

    window._first_paint = FirstPaint(window)
    window.installEventFilter(window._first_paint)

    # Polled on the UI thread: the engine's signal comes from its own thread.
    poll = QTimer(window)
    poll.setInterval(5)

    def check_ready():
        if not window.device_label.text().startswith("Device: loading"):
            poll.stop()
            write("ready")
            window.close()

    poll.timeout.connect(check_ready)
    poll.start()
