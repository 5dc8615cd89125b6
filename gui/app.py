"""Starting the application."""

from __future__ import annotations

import os
import sys
import time

#: When set to a file path, the window writes there (as "name seconds" lines, wall-clock
#: epoch times) when it is first painted and when TensorFlow is ready, then closes
#: itself once ready. Used by benchmarks/startup.py.
STARTUP_REPORT_ENV = "CNN_STUDIO_STARTUP_REPORT"


XCB_ADVICE = (
    "The window cannot open: Qt's X11 platform plugin needs libraries this system lacks "
    "(libxcb-cursor0 first of all).\nOn Debian or Ubuntu: sudo apt-get install libxcb-cursor0 "
    "libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libegl1\n"
    "On Fedora: sudo dnf install xcb-util-cursor. The command line works without them "
    "(python main.py --help).")


def missing_platform_libraries() -> list[str]:
    """The X11 libraries Qt's xcb plugin needs that cannot be found (Linux with a display
    and no other platform chosen); empty elsewhere."""
    import ctypes.util

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb") or not os.environ.get("DISPLAY"):
        return []
    if os.environ.get("WAYLAND_DISPLAY") and not platform:
        return []  # Qt picks Wayland first
    return [name for name in ("xcb-cursor", "xkbcommon-x11") if ctypes.util.find_library(name) is None]


def run(argv=None) -> int:
    """Opens the main window and runs the Qt event loop until it closes."""
    missing = missing_platform_libraries()
    if missing:
        print(XCB_ADVICE + f"\n(Missing: {', '.join('lib' + m for m in missing)}.)", file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from gui.errors import install_exception_hook
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("CNN Studio")
    app.setOrganizationName("CNN Studio")
    app.setDesktopFileName("cnn-studio")  # resources/cnn-studio.desktop, once installed
    from PySide6.QtGui import QIcon

    from core.paths import RESOURCES

    app.setWindowIcon(QIcon(str(RESOURCES / "icons" / "cnn-studio.svg")))
    window = MainWindow()
    install_exception_hook(window)
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
