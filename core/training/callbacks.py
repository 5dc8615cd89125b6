"""The Keras callbacks of a training run: progress reports at a bounded rate, pause and
stop (agreed by every worker of a multi-worker run), divergence, and best-so-far checkpoints."""

from __future__ import annotations

import math
import time

import numpy as np

def output_names(model) -> list[str]:
    """Names of the model's outputs: the main one first, then auxiliary heads."""
    return [t._keras_history.operation.name for t in model.outputs]


def main_metrics(logs: dict, main_output: str) -> dict:
    """``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` of the main output.

    Keras names a multi-output model's accuracy after the output
    (``predictions_accuracy``); the loss is the weighted total, as trained.
    """
    out = {}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        prefix = "val_" if key.startswith("val_") else ""
        for candidate in (key, f"{prefix}{main_output}_{key[len(prefix):]}"):
            if candidate in logs:
                out[key] = float(logs[candidate])
                break
    return out


#: Cross-entropy stays below about 16 (probabilities are clipped at 1e-7); a loss above
#: this comes from weights that blew up (through the L2 terms), which never recovers.
DIVERGED_LOSS = 1e6


def diverged(loss: float) -> bool:
    """Whether a training loss means the run has diverged (NaN, infinite or exploded)."""
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


def progress_callback_class():
    import keras

    class Progress(keras.callbacks.Callback):
        """Turns Keras's callbacks into plain-data progress at a bounded rate.

        Per-batch values are read (which waits for the step) at most every
        ``interval`` seconds, so reporting does not slow training. The loss reported per
        batch is the mean over the batches since the previous report.
        """

        def __init__(self, epochs, steps, batch_size, n_train, interval, on_batch, on_epoch,
                     on_snapshot, should_stop, should_pause=None, agree=None, initial_epoch=0, diagnose=None):
            """``epochs`` counts the epochs of a resumed run before ``initial_epoch`` too;
            ``diagnose(info)`` tells what is wrong with a run after a complete epoch (see
            :func:`core.training.diagnosis.learning_problem`), or None."""
            super().__init__()
            self.initial_epoch = initial_epoch
            self.diagnose = diagnose
            self.warning = None  # what diagnose said of the newest complete epoch
            # Multi-worker: every worker must stop after the same batch, or the others
            # wait for it in vain; `agree` turns this worker's wish into the cluster's.
            self.agree = agree
            self.should_pause = should_pause or (lambda: False)
            self.paused_seconds = 0.0
            self.epochs, self.steps, self.batch_size = epochs, steps, batch_size
            self.n_train = n_train
            self.interval = interval
            self.on_batch, self.on_epoch, self.on_snapshot = on_batch, on_epoch, on_snapshot
            self.should_stop = should_stop or (lambda: False)
            self.stop_requested = False  # training ends after this epoch (or within it)
            self.cut_short = False  # it ended within the epoch's training batches
            self.diverged = False
            self.history: dict[str, list[float]] = {}
            self.epochs_completed = 0
            self.train_start = None
            self.images_seen = 0

        def _stop(self):
            self.stop_requested = True
            self.cut_short = True
            self.model.stop_training = True

        def on_train_begin(self, logs=None):
            self.train_start = time.perf_counter()
            self.main_output = output_names(self.model)[0]

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_start = self.last_report = time.perf_counter()
            self.last_sum = 0.0
            self.last_acc_sum = 0.0
            self.last_seen = 0
            self.last_batch = 0

        def _wait_while_paused(self):
            """Sleeps (no CPU used) while paused; the pause does not count as training time."""
            if not self.should_pause() or self.should_stop():
                return
            began = time.perf_counter()
            while self.should_pause() and not self.should_stop():
                time.sleep(0.05)
            paused = time.perf_counter() - began
            self.paused_seconds += paused
            self.epoch_start += paused
            self.train_start += paused

        def learning_rate(self) -> float:
            """The optimiser's current learning rate (after schedule and plateau drops)."""
            try:
                return float(np.asarray(self.model.optimizer.learning_rate))
            except (AttributeError, TypeError, ValueError):
                return float("nan")

        def on_train_batch_end(self, batch, logs=None):
            # With several steps per call, Keras names the call's last step, past the
            # epoch's end for a short last call.
            done = min(batch + 1, self.steps)
            self._wait_while_paused()
            stop = self.should_stop()
            if self.agree is not None:
                stop = self.agree(stop)
            if stop:
                self._stop()
            now = time.perf_counter()
            if now - self.last_report < self.interval and done < self.steps:
                return
            seen = min(done * self.batch_size, self.n_train)
            metrics = main_metrics(logs, self.main_output)
            loss = metrics["loss"]
            acc = metrics.get("accuracy", float("nan"))
            recent = seen - self.last_seen
            # Keras reports the running mean over the epoch: recover the mean since the
            # previous report from the running sums.
            recent_loss = (loss * seen - self.last_sum) / recent if recent else loss
            recent_acc = (acc * seen - self.last_acc_sum) / recent if recent else acc
            if diverged(loss):
                self.diverged = True
                self._stop()
            elapsed_epoch = now - self.epoch_start
            rate = seen / elapsed_epoch if elapsed_epoch > 0 else 0.0
            # This session's share of its own epochs: a resumed run's earlier epochs took
            # none of its time, so they must not shorten the estimate.
            session = ((self.epoch - self.initial_epoch) + done / self.steps) / max(1, self.epochs - self.initial_epoch)
            elapsed = now - self.train_start
            if self.on_batch:
                self.on_batch({
                    "eta": elapsed * (1 - session) / session if session > 0 else 0.0,
                    "epoch": self.epoch, "epochs": self.epochs,
                    "batch": done, "batches": self.steps,
                    "loss": recent_loss, "accuracy": recent_acc,
                    "epoch_loss": loss, "epoch_accuracy": acc,
                    "images_per_second": rate,
                    "learning_rate": self.learning_rate(),
                    "elapsed": elapsed,
                    "progress": (self.epoch + done / self.steps) / self.epochs,
                })
            self.last_report, self.last_seen = now, seen
            self.last_sum, self.last_acc_sum = loss * seen, acc * seen

        def on_test_batch_begin(self, batch, logs=None):
            if self.agree is None and self.should_stop():
                if self.cut_short:  # the epoch is incomplete: its validation is not needed
                    self.model.stop_evaluating = True
                elif not self.stop_requested:
                    # A stop during validation: every training batch of the epoch is done,
                    # so the epoch counts; validation finishes and no epoch follows.
                    self.stop_requested = True
                    self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            seconds = time.perf_counter() - self.epoch_start
            seen = self.last_seen if self.cut_short else self.n_train
            info = {
                "epoch": epoch, "epochs": self.epochs, "seconds": seconds,
                "images_per_second": seen / seconds if seconds > 0 else 0.0,
                "complete": not self.cut_short,
                "learning_rate": self.learning_rate(),
            }
            info.update(main_metrics(logs, self.main_output))
            self.images_seen += seen
            if diverged(info.get("loss", 0.0)):
                self.diverged = True
                self._stop()
                return
            if not self.cut_short:
                self.epochs_completed = epoch + 1
                for key in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"):
                    if key in info:
                        self.history.setdefault(key, []).append(info[key])
                if self.diagnose is not None:
                    self.warning = self.diagnose(info)
                    if self.warning:
                        info["warning"] = self.warning
            if self.on_epoch:
                self.on_epoch(info)
            # After on_epoch, which has told the epoch's number.
            if not self.cut_short and self.on_snapshot:
                self.on_snapshot(self.model.get_weights())
            if self.agree is None and not self.stop_requested and self.should_stop():
                # Asked between epochs: none follows (fit would otherwise run a whole
                # call of several steps into the next one before it looked).
                self.stop_requested = True
                self.model.stop_training = True

    return Progress


def best_state_early_stopping_class():
    import keras

    class BestStateEarlyStopping(keras.callbacks.EarlyStopping):
        """Keras's early stopping with restored best weights, which also keeps the
        optimiser's state of the best epoch: a run saved after it goes on (resumes) from
        weights and optimiser state of one and the same epoch (``best_epoch`` + 1)."""

        def __init__(self, **kwargs):
            super().__init__(restore_best_weights=True, **kwargs)
            self.best_optimizer = None

        def on_epoch_end(self, epoch, logs=None):
            before = self.best_weights
            super().on_epoch_end(epoch, logs)
            if self.best_weights is not before:  # a new best: its optimiser state goes with it
                self.best_optimizer = [np.array(v) for v in self.model.optimizer.variables]

        @property
        def restored_epoch(self) -> int | None:
            """The epochs completed when the restored weights were the model's (None: none kept)."""
            return self.best_epoch + 1 if self.best_weights is not None else None

    return BestStateEarlyStopping


def stop_agreement(config):
    """For multi-worker runs: a function that all workers call after each batch with
    whether they want to stop, and that returns True on all of them if any one does."""
    import tensorflow as tf

    from core.runtime.distribute import get_strategy

    strategy = get_strategy(config)

    def agree(stop: bool) -> bool:
        votes = strategy.reduce("SUM", tf.constant(1.0 if stop else 0.0), axis=None)
        return float(votes) > 0

    return agree


def checkpoint_callback_class():
    import keras

    class BestCheckpoint(keras.callbacks.Callback):
        """Writes the model atomically after each epoch that lowers the watched loss."""

        def __init__(self, path, monitor, metadata, export, history=None):
            super().__init__()
            self.path, self.monitor, self.metadata = path, monitor, metadata
            self.export = export
            self.history = history or dict
            self.best = math.inf
            self.error = None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(self.monitor)
            if value is None or not math.isfinite(value) or value >= self.best:
                return
            self.best = float(value)
            from core.storage.modelio import ModelFileError, save_model
            from core.storage.training_state import TRAINING_STATE_ENTRY, state_entry
            from core.training.resume import capture

            # The history and training state make the checkpoint resumable.
            metadata = {**self.metadata, "epochs_completed": epoch + 1, self.monitor: self.best,
                        "checkpoint": True, "history": self.history()}
            state = capture(self.model)
            try:
                save_model(self.export(self.model), self.path, metadata,
                           {TRAINING_STATE_ENTRY: state_entry(state)} if state else None)
            except ModelFileError as e:  # training goes on; the final save can go elsewhere
                self.error = str(e)

    return BestCheckpoint
