"""Train ▸ Download CIFAR-10…: the one download the application makes, when the user asks.

The size and the destination are stated before anything is fetched; the transfer (Keras's
``get_file``, see :func:`core.data.datasets.download_cifar10`) runs in a worker thread with a
progress bar and Cancel, and a cancelled or broken download goes on where it stopped.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from core.data.datasets import CIFAR10_BYTES, CIFAR10_ORIGIN, CIFAR10_TARGET, availability, cifar10_dirs
from core.paths import keras_datasets_dir
from core.data.download import partial_file
from gui.workers.threads import release_thread, run_reported, worker_thread

#: Seconds between two progress reports from the worker.
REPORT_INTERVAL = 0.1


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


class DownloadWorker(QObject):
    """Runs :func:`core.data.datasets.download_cifar10` in the thread it is moved to; signals only."""

    progress = Signal(float, float)  # bytes so far, total bytes (or -1)
    downloaded = Signal(str)  # the folder of the batches
    cancelled = Signal()
    failed = Signal(str)
    finished = Signal()

    def __init__(self):
        super().__init__()
        self._stop = threading.Event()
        self._last_report = 0.0

    def stop(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        run_reported(self._run, self.failed, self.finished, "Download failed")

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_report >= REPORT_INTERVAL or done == total:
            self._last_report = now
            self.progress.emit(float(done), float(total))

    def _run(self) -> None:
        from core.data.datasets import DatasetUnavailableError, download_cifar10
        from core.data.download import DownloadCancelled

        try:
            folder = download_cifar10(on_progress=self._report, should_stop=self._stop.is_set)
        except DownloadCancelled:
            self.cancelled.emit()
        except DatasetUnavailableError as e:
            self.failed.emit(str(e))
        else:
            self.downloaded.emit(str(folder))


def fetched_before() -> int:
    """Bytes a cancelled or broken download left for the next one to go on from."""
    part = keras_datasets_dir() / partial_file(f"{CIFAR10_TARGET}_archive")
    try:
        return part.stat().st_size
    except OSError:
        return 0


class DownloadDialog(QDialog):
    """Asks, then downloads CIFAR-10 into Keras's cache; ``downloaded`` when it is there."""

    downloaded = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Download CIFAR-10")
        self.thread: QThread | None = None
        self.worker: DownloadWorker | None = None
        host = CIFAR10_ORIGIN.split("/")[2]
        self.intro = QLabel(
            f"CIFAR-10 is 60,000 colour photos of 32×32 pixels in 10 classes. The download is "
            f"{megabytes(CIFAR10_BYTES)} from {host}; Keras checks it and unpacks it into "
            f"{cifar10_dirs()[0].parent}, where its own cifar10.load_data() looks too.")
        self.intro.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton("&Download")
        self.download_button.setDefault(True)
        self.download_button.setToolTip("Fetch CIFAR-10 now (170 MB); Cancel keeps what came for next time.")
        self.download_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the download (what came is kept), or close this window.")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        self.refresh()

    @property
    def running(self) -> bool:
        return self.thread is not None

    def refresh(self) -> None:
        """Shows what is there already (all of it, or part of a download that stopped)."""
        before = fetched_before()
        self.progress.setValue(int(1000 * min(1.0, before / CIFAR10_BYTES)))
        if availability("cifar10") is None:
            self.progress.setValue(1000)
            self.progress.setFormat("CIFAR-10 is already here")
            self.download_button.setEnabled(False)
            self.cancel_button.setText("Close")
            return
        self.download_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.progress.setFormat(f"{megabytes(before)} fetched before: the download goes on from there"
                                if before else "Not downloaded yet")

    @Slot()
    def start(self) -> None:
        """The Download button: fetches in a worker thread."""
        if self.running:
            return
        self.message.setText("")
        self.message.setStyleSheet("")
        self.download_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setFormat("Connecting…")
        self.worker = DownloadWorker()
        self.thread = worker_thread(self, self.worker, "download", self._on_thread_finished)
        self.worker.progress.connect(self._on_progress)
        self.worker.downloaded.connect(self._on_downloaded)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.failed.connect(self._on_failed)
        self.thread.start()

    @Slot()
    def cancel(self) -> None:
        """Cancel: stops a running download (keeping what came), else closes the window."""
        if self.running:
            self.worker.stop()
            self.progress.setFormat("Cancelling…")
        else:
            self.reject()

    def _on_progress(self, done: float, total: float) -> None:
        total = total if total > 0 else CIFAR10_BYTES
        self.progress.setValue(int(1000 * min(1.0, done / total)))
        if done >= total:
            self.progress.setFormat("Checking and unpacking…")
        else:
            self.progress.setFormat(f"{megabytes(done)} of {megabytes(total)} (%p%)")

    def _on_downloaded(self, folder: str) -> None:
        self.progress.setValue(1000)
        self.progress.setFormat("Done")
        self.message.setText(f"CIFAR-10 is ready in {folder}. Pick it in the dataset list and Start.")
        self.downloaded.emit()

    def _on_cancelled(self) -> None:
        self.progress.setFormat(f"Cancelled: {megabytes(fetched_before())} kept; Download goes on from there")
        self.message.setText("")

    def _on_failed(self, message: str) -> None:
        self.progress.setFormat("Failed")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(message)

    def _on_thread_finished(self) -> None:
        thread, self.thread, self.worker = self.thread, None, None
        release_thread(thread)
        done = availability("cifar10") is None
        self.download_button.setEnabled(not done)
        self.download_button.setText("Try again" if self.progress.format() == "Failed" else "&Download")
        self.cancel_button.setText("Close")

    def stop(self) -> None:
        """Ends a running download within a chunk (or the connection's time-out); what came
        is kept."""
        if self.worker is not None:
            self.worker.stop()
            self.progress.setFormat("Cancelling…")

    def stop_and_wait(self) -> None:
        """Ends a running download and waits for its thread, the window alive meanwhile."""
        from gui.workers.threads import wait_until_ended

        self.stop()
        wait_until_ended(lambda: [("the download", self.thread)], self, "Cancelling the download…")

    def reject(self) -> None:  # Esc and the window's close button too
        self.stop_and_wait()
        super().reject()

    def closeEvent(self, event) -> None:
        self.stop_and_wait()
        super().closeEvent(event)
