"""Training in a child process (``main.py train --events``), for multi-worker runs.

A multi-worker strategy must be made before TensorFlow runs anything in its process,
and the window's process has long since loaded a model; so the window trains this
machine's share in a child process and follows it through JSON lines. The worker has
the signals of :class:`gui.workers.training_worker.TrainingWorker`; it is moved to a ``QThread``
whose event loop runs the ``QProcess``. :meth:`stop` and :meth:`abort` only set flags, so
they may be called from any thread.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal, Slot

from cli.events import parse_event
from core.training.config import TrainConfig

MAIN = Path(__file__).resolve().parent.parent.parent / "main.py"
#: After asking the child to stop, how long to wait before killing it (window closing).
ABORT_GRACE_MS = 3000


def train_arguments(config: TrainConfig, save_to: str | None) -> list[str]:
    """The ``main.py train`` command line of a config: every setting, so that each worker
    process trains what the window shows (a resumed run is refused by the config itself:
    multi-worker runs start afresh)."""
    args = ["train", config.arch, "--device", config.device, "--form", config.form, "--dataset", config.dataset,
            "--epochs", str(config.epochs), "--batch-size", str(config.batch_size),
            "--optimizer", config.optimizer, "--lr", repr(float(config.learning_rate)),
            "--momentum", repr(float(config.momentum)), "--weight-decay", repr(float(config.weight_decay)),
            "--schedule", config.schedule, "--warmup", str(config.warmup),
            "--early-stopping", str(config.early_stopping), "--val-split", repr(float(config.val_split)),
            "--seed", str(config.seed), "--strategy", config.strategy,
            "--worker-timeout", repr(float(config.worker_timeout)), "--events"]
    args.append("--augment" if config.augment else "--no-augment")
    args.append("--deslant" if config.deslant else "--no-deslant")
    if config.nesterov:
        args.append("--nesterov")
    # A fine-tuning run takes the saved model's architecture options from its file.
    if config.options.get("batch_norm") is not None and not config.start_from:
        args.append("--batch-norm" if config.options["batch_norm"] else "--no-batch-norm")
    if config.options.get("inception_version") and not config.start_from:
        args += ["--inception", config.options["inception_version"]]
    if config.mixed_precision != "off":
        args += ["--mixed-precision", config.mixed_precision]
    if config.limit:
        args += ["--limit", str(config.limit)]
    if config.strategy == "multiworker":
        args += ["--workers", ",".join(config.workers), "--worker-index", str(config.worker_index)]
    if config.devices:
        args += ["--devices", ",".join(config.devices)]
    if config.scale_lr:
        args.append("--scale-lr")
    if config.checkpoint:
        args += ["--checkpoint", config.checkpoint]
    if config.tensorboard:
        args += ["--tensorboard", config.tensorboard]
    if config.image_size:
        args += ["--image-size", "x".join(str(v) for v in config.image_size)]
    if config.color_mode:
        args += ["--color-mode", config.color_mode]
    if config.start_from:
        args += ["--start-from", config.start_from]
    if config.input_stats is not None:
        args += ["--input-stats", json.dumps(config.input_stats)]
    if save_to:  # the window names the file in its library
        args += ["--save", save_to, "--no-library"]
    return args


class ProcessTrainingWorker(QObject):
    """Runs one training session in a child process; lives in a ``QThread``."""

    #: The library file the run was saved as, once saved (a plain value, set in the
    #: worker's thread: the window reads it after the thread has ended).
    saved_to: str | None = None

    status = Signal(str)
    started_on = Signal(dict)  # strategy, replicas, learning_rate, chief, worker
    progress = Signal(dict)
    epoch_done = Signal(dict)
    snapshot = Signal(dict)  # never emitted: the trained model arrives as a file
    model_saved = Signal(str)  # the chief's saved model, for the canvas
    returned = Signal(dict)  # the run's result
    failed = Signal(str)
    cancelled = Signal(str)  # never emitted: the child process reports a stopped run as a result
    finished = Signal()  # always last
    paused = Signal(bool)

    #: The child process cannot be paused (the other workers would wait for it).
    can_pause = False

    def __init__(self, config: TrainConfig, data=None, last_model_path: str | None = None):
        super().__init__()
        self.config = config
        self.last_model_path = last_model_path
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._process: QProcess | None = None
        self._buffer = b""
        self._errors: list[str] = []
        self._result: dict | None = None
        self._stop_sent = False

    # Called from any thread: flags only.
    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    @property
    def is_paused(self) -> bool:
        return False

    def stop(self) -> None:
        self._stop.set()

    def abort(self) -> None:
        self._abort.set()
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @Slot()
    def run(self):
        self.status.emit("Starting the training process…")
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments([str(MAIN), *train_arguments(self.config, self.last_model_path)])
        process.setWorkingDirectory(str(MAIN.parent))
        process.readyReadStandardOutput.connect(self._read_events)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._on_exit)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check_flags)
        self._poll.start()
        if self.config.strategy == "multiworker":
            self.status.emit(f"Waiting for the other workers ({', '.join(self.config.workers)})…")
        process.start()

    def _check_flags(self):
        process = self._process
        if process is None or process.state() == QProcess.ProcessState.NotRunning:
            return
        if self._stop.is_set() and not self._stop_sent:
            self._stop_sent = True
            process.write(b"stop\n")
            if self._abort.is_set():
                QTimer.singleShot(ABORT_GRACE_MS, process.kill)

    def _read_events(self):
        self._buffer += bytes(self._process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            parsed = parse_event(line)
            if parsed is None:
                continue  # not ours (a library printing)
            kind, event = parsed
            if kind == "batch":
                self.progress.emit(event)
            elif kind == "epoch":
                self.epoch_done.emit(event)
            elif kind == "start":
                self.started_on.emit(event)
                self.status.emit(f"Training on {event['replicas']} replicas…")
            elif kind == "result":
                self._result = event

    def _read_errors(self):
        text = bytes(self._process.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.startswith("error:") or line.startswith("warning:"):
                self._errors.append(line.split(":", 1)[1].strip())

    def _on_error(self, error):
        if error == QProcess.ProcessError.FailedToStart:
            self.failed.emit(f"Could not start the training process ({self._process.errorString()}).")
            self._finish()

    def _on_exit(self, code: int, status):
        self._read_events()
        self._read_errors()
        if self._abort.is_set():
            pass  # the window is closing
        elif code == 0 and self._result is not None:
            result = self._result
            result.setdefault("save_error", None)
            if not result.get("chief"):
                result["save_error"] = None
            if result.get("saved_to"):
                self.saved_to = result["saved_to"]
                self.model_saved.emit(result["saved_to"])
            self.returned.emit(result)
        else:
            message = self._errors[-1] if self._errors else f"the training process ended with status {code}"
            self.failed.emit(message[0].upper() + message[1:])
        self._finish()

    def _finish(self):
        self._poll.stop()
        self.finished.emit()
