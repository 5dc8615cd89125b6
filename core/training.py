"""Training as a plain function with progress callbacks and a stop flag.

The same code serves the window (wrapped by a Qt worker in ``gui/``), the command line
and scripts::

    config = TrainConfig(arch="lenet5", epochs=3)
    result = run_training(config, on_epoch=print)
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import numpy as np

from core.datasets import DATASETS, Dataset, load_dataset
from core.device import graph_lock
from core.registry import ARCHITECTURES, get_arch

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
SCHEDULES = {"constant": "Constant", "cosine": "Cosine decay"}

BatchCallback = Callable[[dict], None]
EpochCallback = Callable[[dict], None]
SnapshotCallback = Callable[[list], None]


class SettingsError(ValueError):
    """Training settings that cannot be used.

    Attributes:
        errors: maps each bad field of :class:`TrainConfig` to a message for the user.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainConfig:
    """Everything that decides a training run."""

    arch: str = "lenet5"
    form: str = "compact"
    options: dict = field(default_factory=dict)
    dataset: str = "mnist"
    epochs: int = 3
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    schedule: str = "cosine"
    val_split: float = 0.1
    limit: int | None = None
    seed: int = 0

    @classmethod
    def for_arch(cls, arch: str, **overrides) -> "TrainConfig":
        """The architecture's default settings, with ``overrides`` applied."""
        d = get_arch(arch).defaults
        values = dict(
            arch=arch, epochs=d.epochs, batch_size=d.batch_size, optimizer=d.optimizer,
            learning_rate=d.learning_rate, schedule=d.schedule,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def model_options(self) -> dict:
        """Keyword arguments of :func:`core.registry.build_model` besides shape and classes.

        GoogLeNet trains with its auxiliary heads, as in the paper.
        """
        options = dict(self.options)
        if self.arch in ARCHITECTURES and "aux" in ARCHITECTURES[self.arch].options:
            options["aux"] = True
        return {"form": self.form, **options}

    def errors(self) -> dict[str, str]:
        """Returns a message for every field that cannot be used (empty when all can)."""
        errors: dict[str, str] = {}

        def integer(name, low, high):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                errors[name] = f"must be a whole number from {low} to {high}, not {value!r}"
            elif not low <= value <= high:
                errors[name] = f"must be from {low} to {high}, not {value}"

        def number(name, low, high, low_open=True):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                errors[name] = f"must be a number, not {value!r}"
            elif not math.isfinite(value):
                errors[name] = f"must be a finite number, not {value}"
            elif (value <= low if low_open else value < low) or value > high:
                bracket = "(" if low_open else "["
                errors[name] = f"must be in {bracket}{low:g}, {high:g}], not {value:g}"

        if self.arch not in ARCHITECTURES:
            errors["arch"] = f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}"
        elif not isinstance(self.options, dict) or set(self.options) - set(ARCHITECTURES[self.arch].options):
            allowed = ", ".join(ARCHITECTURES[self.arch].options) or "none"
            errors["options"] = f"{self.arch} takes the options {allowed}, not {self.options!r}"
        if self.form not in ("reference", "compact"):
            errors["form"] = f"must be 'reference' or 'compact', not {self.form!r}"
        if self.dataset not in DATASETS:
            errors["dataset"] = f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}"
        integer("epochs", 1, 1000)
        integer("batch_size", 1, 65536)
        if self.optimizer not in OPTIMIZERS:
            errors["optimizer"] = f"must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}"
        number("learning_rate", 0.0, 10.0)
        if self.schedule not in SCHEDULES:
            errors["schedule"] = f"must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}"
        number("val_split", 0.0, 0.5, low_open=False)
        if self.limit is not None:
            integer("limit", 2, 10_000_000)
        integer("seed", 0, 2**31 - 1)
        return errors

    def validate(self) -> None:
        """Raises :class:`SettingsError` unless every field can be used."""
        errors = self.errors()
        if errors:
            raise SettingsError(errors)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class TrainResult:
    """What a finished (or stopped) run leaves."""

    config: TrainConfig
    model: object
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_completed: int = 0
    stopped: bool = False
    train_seconds: float = 0.0
    images_per_second: float = 0.0
    test_loss: float | None = None
    test_accuracy: float | None = None

    def summary_dict(self) -> dict:
        """Plain data describing the run (for JSON and signals)."""
        return {
            "arch": self.config.arch,
            "dataset": self.config.dataset,
            "epochs": self.epochs_completed,
            "stopped": self.stopped,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "train_seconds": round(self.train_seconds, 3),
            "images_per_second": round(self.images_per_second, 1),
            "history": self.history,
        }


def make_optimizer(config: TrainConfig, steps_per_epoch: int):
    """Builds the Keras optimiser (with its learning-rate schedule) of a config."""
    import keras

    lr = float(config.learning_rate)
    if config.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            lr, decay_steps=max(1, config.epochs * steps_per_epoch), alpha=0.01
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr)


AUX_LOSS_WEIGHT = 0.3


def output_names(model) -> list[str]:
    """Names of the model's outputs: the main one first, then auxiliary heads."""
    return [t._keras_history.operation.name for t in model.outputs]


def compile_model(model, config: TrainConfig, steps_per_epoch: int) -> None:
    """Compiles for integer labels; auxiliary heads get loss weight 0.3 (GoogLeNet)."""
    names = output_names(model)
    if len(names) == 1:
        model.compile(optimizer=make_optimizer(config, steps_per_epoch),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss={n: "sparse_categorical_crossentropy" for n in names},
        loss_weights={n: 1.0 if i == 0 else AUX_LOSS_WEIGHT for i, n in enumerate(names)},
        metrics={names[0]: ["accuracy"]},
    )


def targets(model, y):
    """Labels in the structure the model's outputs need (one copy per head)."""
    names = output_names(model)
    return y if len(names) == 1 else {n: y for n in names}


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


def _progress_callback_class():
    import keras

    class Progress(keras.callbacks.Callback):
        """Turns Keras's callbacks into plain-data progress at a bounded rate.

        Per-batch values are read (which waits for the step) at most every
        ``interval`` seconds, so reporting does not slow training. The loss reported per
        batch is the mean over the batches since the previous report.
        """

        def __init__(self, epochs, steps, batch_size, n_train, interval, on_batch, on_epoch,
                     on_snapshot, should_stop):
            super().__init__()
            self.epochs, self.steps, self.batch_size = epochs, steps, batch_size
            self.n_train = n_train
            self.interval = interval
            self.on_batch, self.on_epoch, self.on_snapshot = on_batch, on_epoch, on_snapshot
            self.should_stop = should_stop or (lambda: False)
            self.stop_requested = False
            self.diverged = False
            self.history: dict[str, list[float]] = {}
            self.epochs_completed = 0
            self.train_start = None
            self.images_seen = 0

        def _stop(self):
            self.stop_requested = True
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

        def on_train_batch_end(self, batch, logs=None):
            done = batch + 1
            if self.should_stop():
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
            if not math.isfinite(loss):
                self.diverged = True
                self._stop()
            elapsed_epoch = now - self.epoch_start
            rate = seen / elapsed_epoch if elapsed_epoch > 0 else 0.0
            if self.on_batch:
                self.on_batch({
                    "epoch": self.epoch, "epochs": self.epochs,
                    "batch": done, "batches": self.steps,
                    "loss": recent_loss, "accuracy": recent_acc,
                    "epoch_loss": loss, "epoch_accuracy": acc,
                    "images_per_second": rate,
                    "elapsed": now - self.train_start,
                    "progress": (self.epoch + done / self.steps) / self.epochs,
                })
            self.last_report, self.last_seen = now, seen
            self.last_sum, self.last_acc_sum = loss * seen, acc * seen

        def on_test_batch_begin(self, batch, logs=None):
            if self.should_stop():
                self.stop_requested = True
                self.model.stop_evaluating = True

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            seconds = time.perf_counter() - self.epoch_start
            seen = self.last_seen if self.stop_requested else self.n_train
            info = {
                "epoch": epoch, "epochs": self.epochs, "seconds": seconds,
                "images_per_second": seen / seconds if seconds > 0 else 0.0,
                "complete": not self.stop_requested,
            }
            info.update(main_metrics(logs, self.main_output))
            self.images_seen += seen
            if not math.isfinite(info.get("loss", 0.0)):
                self.diverged = True
                self._stop()
                return
            if not self.stop_requested:
                self.epochs_completed = epoch + 1
                for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                    if key in info:
                        self.history.setdefault(key, []).append(info[key])
                if self.on_snapshot:
                    self.on_snapshot(self.model.get_weights())
            if self.on_epoch:
                self.on_epoch(info)

    return Progress


def train_model(
    model,
    data: Dataset,
    config: TrainConfig,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    on_snapshot: SnapshotCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_interval: float = 0.1,
) -> TrainResult:
    """Trains a built model on a loaded dataset.

    Args:
        model: an uncompiled (or compiled) Keras model taking raw pixels.
        data: the dataset, as returned by :func:`core.datasets.load_dataset`.
        config: settings; validated here.
        on_batch: called at most every ``report_interval`` seconds and at the end of each
            epoch with ``epoch``, ``epochs``, ``batch``, ``batches``, ``loss`` and
            ``accuracy`` (means over the batches since the last report), ``epoch_loss`` and
            ``epoch_accuracy`` (means since the epoch began), ``images_per_second``,
            ``elapsed`` and ``progress`` (0 to 1).
        on_epoch: called after each epoch with ``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy``, ``seconds``, ``images_per_second`` and ``complete`` (False for
            an epoch cut short by a stop).
        on_snapshot: called after each complete epoch with the weights (NumPy arrays), a
            copy that other threads may use while training goes on. It runs in the
            training thread with :data:`core.device.graph_lock` held, so it may build a
            model to hand over to another thread.
        should_stop: polled after every batch; training ends within a batch once it
            returns True, keeping the weights as they are.

    Raises:
        SettingsError: for unusable settings.
        TrainingDiverged: when the loss becomes NaN or infinite.
    """
    import keras

    config.validate()
    keras.utils.set_random_seed(config.seed)
    x_train = data.x_train.astype("float32")
    n_train = len(x_train)
    if n_train == 0:
        raise SettingsError({"limit": "leaves no training images"})
    steps = math.ceil(n_train / config.batch_size)
    with graph_lock:
        compile_model(model, config, steps)
    validation = None
    if len(data.x_val):
        validation = (data.x_val.astype("float32"), targets(model, data.y_val))
    progress = _progress_callback_class()(
        config.epochs, steps, config.batch_size, n_train, report_interval,
        on_batch, on_epoch, on_snapshot, should_stop,
    )
    start = time.perf_counter()
    # fit traces its steps and creates tf.data iterators every epoch: no other thread
    # may build graphs meanwhile (see core.device.graph_lock).
    with graph_lock:
        model.fit(
            x_train, targets(model, data.y_train),
            batch_size=config.batch_size, epochs=config.epochs,
            validation_data=validation, shuffle=True, verbose=0,
            callbacks=[progress],
        )
    seconds = time.perf_counter() - start
    if progress.diverged:
        raise TrainingDiverged(
            "The loss became NaN or infinite, so training stopped. "
            f"Try a lower learning rate (now {config.learning_rate:g}), e.g. "
            f"{config.learning_rate / 10:g}."
        )
    from core.registry import inference_model

    return TrainResult(
        config=config, model=inference_model(model), history=progress.history,
        epochs_completed=progress.epochs_completed, stopped=progress.stop_requested,
        train_seconds=seconds,
        images_per_second=progress.images_seen / seconds if seconds > 0 else 0.0,
    )


def run_training(
    config: TrainConfig,
    *,
    data: Dataset | None = None,
    evaluate: bool = True,
    should_abort: Callable[[], bool] | None = None,
    **callbacks,
) -> TrainResult:
    """Loads the data, builds the model, trains it and measures it on the test set.

    Args:
        config: settings; validated before anything is loaded.
        data: an already loaded dataset, to skip loading.
        evaluate: measure test loss and accuracy after training.
        should_abort: when it returns True after training, the test evaluation is skipped
            (the window is closing).
        **callbacks: ``on_batch``, ``on_epoch``, ``on_snapshot``, ``should_stop`` and
            ``report_interval``, passed to :func:`train_model`.
    """
    from core.device import load_tensorflow
    from core.evaluation import evaluate_classifier
    from core.registry import build_model

    config.validate()
    load_tensorflow()
    if data is None:
        data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit,
                            seed=config.seed)
    with graph_lock:
        model = build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
    result = train_model(model, data, config, **callbacks)
    if evaluate and not (should_abort and should_abort()) and len(data.x_test):
        with graph_lock:
            scores = evaluate_classifier(result.model, data.x_test, data.y_test)
        result.test_loss, result.test_accuracy = scores["loss"], scores["accuracy"]
    return result
