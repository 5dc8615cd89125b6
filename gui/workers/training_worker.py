"""A thin Qt wrapper around :func:`core.training.loop.run_training`.

The worker is a ``QObject`` moved to a ``QThread``; it never touches a widget and reports
through signals carrying plain data. :meth:`stop` and :meth:`abort` may be called from
any thread: they only set flags that the training callback reads.
"""

from __future__ import annotations

import threading
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from core.training.config import TrainConfig
from gui.workers.threads import run_reported

log = logging.getLogger("cnn_studio")


class TrainingWorker(QObject):
    """Runs one training session in the thread it is moved to."""

    #: The library file the run was saved as, once saved (a plain value, set in the
    #: worker's thread: the window reads it after the thread has ended).
    saved_to: str | None = None

    status = Signal(str)
    started_on = Signal(dict)  # strategy, replicas, learning_rate, chief, worker
    progress = Signal(dict)  # see core.training.loop.train_model's on_batch
    epoch_done = Signal(dict)  # see on_epoch
    snapshot = Signal(dict)  # arch, input_shape, classes, class_names, model (a copy), description
    returned = Signal(dict)  # TrainResult.summary_dict() plus metadata for saving
    failed = Signal(str)
    cancelled = Signal(str)  # stopped before training began: nothing trained or saved
    finished = Signal()  # always last, success or not

    paused = Signal(bool)

    can_pause = True

    def __init__(self, config: TrainConfig, data=None, library_folder: str | None = None):
        """Args:
            config: the settings (``config.checkpoint`` gets the best model so far).
            data: an already loaded dataset, to skip loading.
            library_folder: the model library, where the model is saved (under a new
                name) when training ends or is stopped.
        """
        super().__init__()
        self.config = config
        self._data = data
        self.library_folder = library_folder
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._pause = threading.Event()

    def pause(self) -> None:
        """Holds training after the current batch; the training thread sleeps."""
        if not self._pause.is_set():
            self._pause.set()
            self.paused.emit(True)

    def resume(self) -> None:
        if self._pause.is_set():
            self._pause.clear()
            self.paused.emit(False)

    @property
    def is_paused(self) -> bool:
        return self._pause.is_set()

    def stop(self) -> None:
        """Ends training within a batch, keeping the weights, then measures the model."""
        self._stop.set()

    def abort(self) -> None:
        """Ends training within a batch and skips the test evaluation (window closing)."""
        self._abort.set()
        self._stop.set()
        self._pause.clear()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @Slot()
    def run(self):
        run_reported(self._run, self.failed, self.finished, "Training failed")

    def _run(self):
        from core.data.datasets import load_dataset
        from core.runtime.device import graph_lock, load_tensorflow
        from core.storage.library import finish_run
        from core.models.registry import build_model, get_arch, inference_model
        from core.training.loop import run_training

        config = self.config
        config.validate()
        arch_name = get_arch(config.arch).name
        self.status.emit("Loading TensorFlow…")
        load_tensorflow()
        data = self._data
        if data is None:
            self.status.emit(f"Loading {config.dataset}…")
            data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit,
                                seed=config.seed, **config.dataset_options())
        if self._stop.is_set():
            self.cancelled.emit("Stopped before training began: nothing was trained or saved.")
            return
        self.status.emit(f"Training {arch_name} on {len(data.x_train):,} images…")
        class_names = list(data.info.class_names)
        base = {"arch": config.arch, "input_shape": list(data.input_shape),
                "classes": data.num_classes, "class_names": class_names}
        epochs_seen, total = [0], [config.epochs]  # total: the resumed run's epochs too

        def on_epoch(info):
            epochs_seen[0], total[0] = info["epoch"] + 1, info["epochs"]
            self.epoch_done.emit(info)

        def on_snapshot(weights):
            # on_epoch has just told this epoch's number (counted from the run's start, so a
            # resumed run's first snapshot is its epoch done + 1).
            if epochs_seen[0] >= total[0]:
                return  # the last epoch: the trained model itself is handed over below
            # Built here, in the thread that holds core.runtime.device.graph_lock: TensorFlow
            # cannot build graphs in two threads at once. The copy then belongs to the
            # receiver; this thread never touches it again.
            with graph_lock:
                model = build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
                model.set_weights(weights)
            self.snapshot.emit({**base, "model": inference_model(model), "epoch": epochs_seen[0],
                                "description": f"{arch_name}, after epoch {epochs_seen[0]}"})

        result = run_training(
            config, data=data, on_batch=self.progress.emit, on_epoch=on_epoch,
            on_snapshot=on_snapshot, should_stop=self._stop.is_set, should_pause=self._pause.is_set,
            should_abort=self._abort.is_set, on_start=self.started_on.emit,
        )
        if self._abort.is_set():  # the window is closing: what was trained is kept all the same
            run = finish_run(result, class_names, self.library_folder, library=bool(self.library_folder),
                             lock=graph_lock)
            self.saved_to = run.library_path  # read by the closing window (no signal is handled then)
            return
        summary = result.summary_dict()
        if self.library_folder:
            self.status.emit("Saving the model in the library…")
        run = finish_run(result, class_names, self.library_folder, library=bool(self.library_folder),
                         lock=graph_lock)
        self.saved_to = run.library_path
        summary.update(metadata=run.metadata, kept=run.kept, saved_to=run.library_path, save_error=run.library_error,
                       checkpoint_error=result.checkpoint_error,
                       checkpoint=config.checkpoint if config.checkpoint and Path(config.checkpoint).exists() else None)
        # Training is over (and the model saved), so the trained model itself is handed
        # over: the weights of the last epoch, of a cut-short one, or of the best one
        # (restored by early stopping).
        if result.stopped:
            description = f"{arch_name}, stopped in epoch {epochs_seen[0]}"
        elif result.stopped_early:
            description = f"{arch_name}, best epoch (early stopping)"
        else:
            description = f"{arch_name}, after epoch {result.epochs_completed}"
        # The epoch whose weights these are, when they are one epoch's (for the scrubber).
        epoch = None if result.stopped or result.stopped_early else result.epochs_completed
        self.snapshot.emit({**base, "model": result.model, "description": description, "epoch": epoch})
        self.returned.emit(summary)
