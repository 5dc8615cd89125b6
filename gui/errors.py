"""No silent failures: the window's log file and its exception hook.

An exception raised in a slot does not stop Qt; PySide hands it to ``sys.excepthook``
and the window goes on. The hook installed here writes the traceback to the log file in
the application's data folder and shows the person one readable message (what failed,
where the details are), so a button that failed says so instead of looking dead.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("cnn_studio")

LOG_NAME = "cnn-studio.log"


def log_path() -> Path:
    """The log file: ``cnn-studio.log`` in the application's data folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home()) / LOG_NAME


def setup_logging(path: Path | None = None) -> Path:
    """Sends the ``cnn_studio`` loggers to ``path`` (default :func:`log_path`), kept to a
    few rotated files of 1 MB. Returns the path (also when the folder cannot be written:
    then messages go to standard error only)."""
    path = Path(path or log_path())
    for handler in list(log.handlers):
        if getattr(handler, "cnn_studio", False):
            log.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.cnn_studio = True
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


class ExceptionReporter(QObject):
    """``sys.excepthook`` for the window: logs the traceback and tells the person.

    Exceptions from other threads are shown through a queued signal, in the UI thread.
    """

    _report = Signal(str)

    def __init__(self, window: QWidget, path: Path):
        super().__init__(window)
        self.window = window
        self.path = path
        self.box: QMessageBox | None = None
        self.count = 0
        self._previous = None
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self.hook
        self.window.destroyed.connect(self.uninstall)

    def uninstall(self, *_) -> None:
        if sys.excepthook == self.hook:
            sys.excepthook = self._previous or sys.__excepthook__

    def hook(self, kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            (self._previous or sys.__excepthook__)(kind, value, tb)
            return
        log.error("Unhandled exception\n%s", "".join(traceback.format_exception(kind, value, tb)))
        traceback.print_exception(kind, value, tb)
        self._report.emit(f"{kind.__name__}: {value}")

    def _show(self, what: str) -> None:
        self.count += 1
        text = (f"Something went wrong, and that action did not finish:\n\n{what}\n\n"
                f"The window keeps working. The details are in {self.path}; please include them "
                "when you report this.")
        if self.count > 1:
            text += f"\n\n({self.count} errors so far.)"
        if self.box is None:
            self.box = QMessageBox(QMessageBox.Icon.Warning, "Something went wrong", text,
                                   QMessageBox.StandardButton.Ok, self.window)
            self.box.setModal(False)
        self.box.setText(text)
        self.box.show()
        self.window.statusBar().showMessage(f"Error: {what} (details in {self.path})", 15000)


def install_exception_hook(window: QWidget, path: Path | None = None) -> ExceptionReporter:
    """Logs to ``path`` (default :func:`log_path`) and reports exceptions in ``window``."""
    reporter = ExceptionReporter(window, setup_logging(path))
    reporter.install()
    return reporter
