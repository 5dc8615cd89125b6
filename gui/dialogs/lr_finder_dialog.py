"""Train ▸ Find learning rate…: the range test (:mod:`core.training.lr_finder`) of the
panel's settings in a worker thread, the loss against the rate on a log axis as it runs,
the suggested rate marked, and "Use this rate" to put it in the panel."""

from __future__ import annotations

import threading

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QPushButton, QVBoxLayout

from gui.workers.threads import release_thread, run_reported, worker_thread

#: The plot is redrawn at most this often while the test runs (ms).
REDRAW_MS = 200


class LrFinderWorker(QObject):
    """Runs :func:`core.training.lr_finder.find_learning_rate` in its thread; signals only."""

    step = Signal(dict)  # see find_learning_rate's on_step
    returned = Signal(dict)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config):
        super().__init__()
        self.config = config
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        run_reported(self._run, self.failed, self.finished, "Finding a learning rate failed")

    def _run(self) -> None:
        from core.training.lr_finder import find_learning_rate

        self.returned.emit(find_learning_rate(self.config, on_step=self.step.emit, should_stop=self._stop.is_set))


class LrFinderDialog(QDialog):
    """Signals:
        use_rate(float): "Use this rate" was clicked with the suggested rate.
    """

    use_rate = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Find a learning rate")
        # Modal: nothing else trains meanwhile, and the panel's settings stay those tested.
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(620, 480)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.progress = QProgressBar()
        self.figure = Figure(figsize=(6, 3.5), layout="constrained")
        self.plot = FigureCanvasQTAgg(self.figure)
        self.axes = self.figure.add_subplot()
        self.axes.set_xscale("log")
        self.axes.set_xlabel("learning rate")
        self.axes.set_ylabel("training loss")
        (self.raw_line,) = self.axes.plot([], [], alpha=0.3, label="each step")
        (self.smooth_line,) = self.axes.plot([], [], label="smoothed")
        self.marker = None
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the test now; the curve so far still suggests a rate if it can.")
        self.stop_button.clicked.connect(self.stop)
        self.use_button = QPushButton("Use this rate")
        self.use_button.setToolTip("Put the suggested rate in the training panel's Learning rate.")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.stop_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addWidget(buttons)
        self.thread: QThread | None = None
        self.worker: LrFinderWorker | None = None
        self.result: dict | None = None
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw)

    def start(self, config, description: str) -> None:
        """Runs the test of ``config`` (refused while one runs)."""
        if self.thread is not None:
            return
        self.result, self.lrs, self.losses = None, [], []
        self.use_button.setEnabled(False)
        if self.marker is not None:
            self.marker.remove()
            self.marker = None
        self.note.setText(f"{description}: training with the rate rising from 1e-6 to 1 over 200 steps, until "
                          "the loss blows up. The model is thrown away after (the panel's run starts afresh).")
        self.progress.setRange(0, 0)
        self.progress.setFormat("Loading the data…")
        self.worker = LrFinderWorker(config)
        self.thread = worker_thread(self, self.worker, "lr finder", self._on_thread_finished)
        self.worker.step.connect(self._on_step)
        self.worker.returned.connect(self._on_returned)
        self.worker.failed.connect(self._on_failed)
        self.stop_button.setEnabled(True)
        self.timer.start()
        self.thread.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.progress.setFormat("Stopping after this step…")

    def _on_step(self, step: dict) -> None:
        self.lrs.append(step["lr"])
        self.losses.append(step["loss"])
        self.progress.setRange(0, step["steps"])
        self.progress.setValue(step["step"])
        self.progress.setFormat(f"Step {step['step']} of {step['steps']}: rate {step['lr']:.1e}, "
                                f"loss {step['loss']:.3f}")

    def _redraw(self) -> None:
        from core.training.lr_finder import smoothed

        if not self.lrs:
            return
        smooth = smoothed(self.losses)
        self.raw_line.set_data(self.lrs, self.losses)
        self.smooth_line.set_data(self.lrs, smooth)
        self.axes.relim()
        self.axes.autoscale_view()
        # From 0 to a little above the first steps' loss: the blow-up's spike is cut off.
        self.axes.set_ylim(bottom=min(0, smooth.min()), top=max(1e-3, 1.5 * smooth[:10].max(), 2 * smooth.min()))
        self.plot.draw_idle()

    def _on_returned(self, result: dict) -> None:
        self.result = result
        self.lrs, self.losses = list(result["lrs"]), list(result["losses"])
        self._redraw()
        rate = result["suggested_lr"]
        ended = ("stopped" if result["stopped"] else "the loss blew up" if result["blew_up"]
                 else "the whole range ran")
        if rate is None:
            self.note.setText(f"{len(self.lrs)} steps ({ended}): the loss never fell, so there is no rate to "
                              "suggest. Check the data and the network, or let the test run longer.")
            return
        self.marker = self.axes.axvline(rate, color="#c0392b", linestyle="--", label=f"suggested: {rate:.2g}")
        self.axes.legend(fontsize=8)
        self.plot.draw_idle()
        self.note.setText(f"{len(self.lrs)} steps ({ended}). Suggested learning rate: <b>{rate:.2g}</b>, a tenth "
                          "of the rate where the loss was lowest (not below where it fell fastest). Click "
                          "Use this rate to train with it.")
        self.use_button.setEnabled(True)
        self.use_button.setDefault(True)

    def _on_failed(self, message: str) -> None:
        self.note.setText(f"<span style='color:#c0392b'>{message}</span>")

    def _on_thread_finished(self) -> None:
        release_thread(self.thread)
        self.thread, self.worker = None, None
        self.timer.stop()
        self.stop_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("Done" if self.result else "Ended")

    def _use(self) -> None:
        if self.result and self.result["suggested_lr"]:
            self.use_rate.emit(float(self.result["suggested_lr"]))
            self.accept()

    def reject(self) -> None:
        """Close: stops a running test first (its thread ends by itself)."""
        self.stop()
        super().reject()
