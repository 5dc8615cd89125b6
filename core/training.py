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
from core.distribute import DEFAULT_WORKER_TIMEOUT, WorkerFailure, check_strategy, is_chief, is_worker_failure
from core.registry import ARCHITECTURES, get_arch
from core.schedules import PLATEAU_FACTOR, PLATEAU_PATIENCE, SCHEDULES, make_schedule

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
MIXED_PRECISION = {
    "off": "Off (float32)",
    "auto": "Automatic (float16 on a GPU, bfloat16 on a CPU)",
    "float16": "float16 (GPU)",
    "bfloat16": "bfloat16",
}

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
    """The loss became NaN, infinite or enormous (see :data:`DIVERGED_LOSS`)."""


class TrainingOutOfMemory(RuntimeError):
    """The device ran out of memory during training."""


def tensorboard_available() -> bool:
    """Whether TensorBoard logs can be written (TensorFlow 2.21 no longer installs it)."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


@dataclass
class TrainConfig:
    """Everything that decides a training run.

    Attributes (besides the obvious ones):
        momentum, nesterov: of SGD (the other optimisers ignore them).
        weight_decay: decoupled weight decay of the optimiser (0 for none).
        schedule: one of :data:`core.schedules.SCHEDULES`.
        warmup: epochs of linear warm-up at the start (not with ``plateau``).
        augment: random stroke widths, shifts, rotations and zoom of a share
            (:data:`AUGMENT_FRACTION`) of the training images; on by default for digit
            datasets (see :meth:`for_arch`).
        early_stopping: stop when the validation loss has not improved for this many
            epochs and keep the best weights (0: off).
        device: ``"auto"``, or a TensorFlow device such as ``"cpu"``, ``"gpu:0"``;
            ``"all"`` is the mirrored strategy over every local GPU (or CPU device).
        strategy: one of :data:`core.distribute.STRATEGIES` (``default``, ``mirrored``,
            ``multiworker``).
        devices: the devices mirrored training uses (empty: every local GPU, else CPU).
        workers, worker_index: every worker's ``host:port`` and this one's place in that
            list, for multi-worker training (worker 0 is the chief and writes the files).
        worker_timeout: seconds a worker waits for the others before it gives up.
        scale_lr: multiply the learning rate by the number of replicas (the linear
            scaling rule of Goyal et al., 2017), since the batch is the global batch.
        mixed_precision: one of :data:`MIXED_PRECISION`.
        checkpoint: a ``.keras`` path where the best model so far is written after each
            epoch that improves it (None: no checkpoint).
        tensorboard: a folder for TensorBoard logs (None: no logs).
    """

    arch: str = "lenet5"
    form: str = "compact"
    options: dict = field(default_factory=dict)
    dataset: str = "mnist"
    epochs: int = 5
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 4e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup: int = 0
    augment: bool = False
    early_stopping: int = 0
    val_split: float = 0.1
    limit: int | None = None
    seed: int = 0
    device: str = "auto"
    mixed_precision: str = "off"
    checkpoint: str | None = None
    tensorboard: str | None = None
    strategy: str = "default"
    devices: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    worker_index: int = 0
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT
    scale_lr: bool = False

    @classmethod
    def for_arch(cls, arch: str, **overrides) -> "TrainConfig":
        """The architecture's default settings, with ``overrides`` applied.

        Digit datasets train with augmentation by default: their models must read drawings.
        """
        from core.datasets import is_digit_dataset

        d = get_arch(arch).defaults
        values = dict(
            arch=arch, epochs=d.epochs, batch_size=d.batch_size, optimizer=d.optimizer,
            learning_rate=d.learning_rate, schedule=d.schedule,
            augment=is_digit_dataset(overrides.get("dataset") or cls.dataset),
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
        number("momentum", 0.0, 0.999, low_open=False)
        if not isinstance(self.nesterov, bool):
            errors["nesterov"] = f"must be true or false, not {self.nesterov!r}"
        elif self.nesterov and self.optimizer == "sgd" and self.momentum == 0:
            errors["nesterov"] = "needs a momentum above 0"
        number("weight_decay", 0.0, 0.1, low_open=False)
        if self.schedule not in SCHEDULES:
            errors["schedule"] = f"must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}"
        integer("warmup", 0, 1000)
        if "warmup" not in errors and "epochs" not in errors and self.warmup:
            if self.warmup >= self.epochs:
                errors["warmup"] = f"must be fewer epochs than the run ({self.epochs}), not {self.warmup}"
            elif self.schedule == "plateau":
                errors["warmup"] = "works with the constant, step and cosine schedules, not with plateau"
        if not isinstance(self.augment, bool):
            errors["augment"] = f"must be true or false, not {self.augment!r}"
        integer("early_stopping", 0, 1000)
        number("val_split", 0.0, 0.5, low_open=False)
        if "val_split" not in errors and self.val_split == 0 and "early_stopping" not in errors \
                and self.early_stopping:
            errors["early_stopping"] = "watches the validation loss: set a validation split above 0"
        if self.limit is not None:
            integer("limit", 2, 10_000_000)
        integer("seed", 0, 2**31 - 1)
        from core.device import check_device_name

        problem = check_device_name(self.device)
        if problem:
            errors["device"] = problem
        errors.update(check_strategy(self.strategy, self.device, self.devices, self.workers,
                                     self.worker_index, self.worker_timeout))
        if not isinstance(self.scale_lr, bool):
            errors["scale_lr"] = f"must be true or false, not {self.scale_lr!r}"
        if self.mixed_precision not in MIXED_PRECISION:
            errors["mixed_precision"] = f"must be one of {', '.join(MIXED_PRECISION)}, not {self.mixed_precision!r}"
        for name in ("checkpoint", "tensorboard"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                errors[name] = f"must be a path, not {value!r}"
        if "tensorboard" not in errors and self.tensorboard and not tensorboard_available():
            errors["tensorboard"] = ("needs the TensorBoard package, which is not installed: "
                                     "run `.venv/bin/pip install tensorboard`, or leave the log folder empty")
        if "checkpoint" not in errors and self.checkpoint and not self.checkpoint.endswith(".keras"):
            errors["checkpoint"] = f"model files end in .keras, not {self.checkpoint!r}"
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
    stopped_early: bool = False
    checkpoint_error: str | None = None
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
            "stopped_early": self.stopped_early,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "train_seconds": round(self.train_seconds, 3),
            "images_per_second": round(self.images_per_second, 1),
            "history": self.history,
        }


def replica_count(config: TrainConfig) -> int:
    """How many replicas train together under the config's strategy (1 on one device)."""
    from core.distribute import get_strategy, replicas_of

    return replicas_of(get_strategy(config))


def effective_learning_rate(config: TrainConfig, replicas: int) -> float:
    """The peak learning rate trained with: scaled by the replicas when asked."""
    return float(config.learning_rate) * (replicas if config.scale_lr else 1)


def make_optimizer(config: TrainConfig, steps_per_epoch: int, replicas: int = 1):
    """Builds the Keras optimiser (with its learning-rate schedule) of a config."""
    import keras

    lr = make_schedule(config.schedule, effective_learning_rate(config, replicas), config.epochs * steps_per_epoch,
                       config.warmup * steps_per_epoch)
    decay = float(config.weight_decay) or None
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=float(config.momentum), nesterov=config.nesterov,
                                    weight_decay=decay)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, weight_decay=decay)
    return keras.optimizers.Adam(lr, weight_decay=decay)


AUX_LOSS_WEIGHT = 0.3


def output_names(model) -> list[str]:
    """Names of the model's outputs: the main one first, then auxiliary heads."""
    return [t._keras_history.operation.name for t in model.outputs]


def compile_model(model, config: TrainConfig, steps_per_epoch: int, replicas: int = 1) -> None:
    """Compiles for integer labels; auxiliary heads get loss weight 0.3 (GoogLeNet)."""
    names = output_names(model)
    if len(names) == 1:
        model.compile(optimizer=make_optimizer(config, steps_per_epoch, replicas),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(
            optimizer=make_optimizer(config, steps_per_epoch, replicas),
            loss={n: "sparse_categorical_crossentropy" for n in names},
            loss_weights={n: 1.0 if i == 0 else AUX_LOSS_WEIGHT for i, n in enumerate(names)},
            metrics={names[0]: ["accuracy"]},
        )
    # The optimiser's slots are made now, eagerly: made by fit inside its first traced
    # step, their initialisers left graphs that TensorFlow never freed (≈5 MB a run).
    model.optimizer.build(model.trainable_variables)


def build_metrics_eagerly(model, x, y) -> None:
    """Makes the compiled loss trackers and metrics (their variables) from a sample batch,
    eagerly, as ``fit`` would inside a scratch graph: made there, their initialisers left
    graphs that were never freed (≈5 MB a run). Keras internals: any failure leaves the
    building to ``fit``."""
    try:
        y_pred = model(x, training=False)
        for compiled in (getattr(model, "_compile_loss", None), getattr(model, "_compile_metrics", None)):
            if compiled is not None and not compiled.built:
                compiled.build(y, y_pred)
    except Exception:  # noqa: BLE001 - fit builds them itself
        pass


#: Images converted to a tensor per piece (see :func:`host_tensor`).
CONVERT_CHUNK = 2048


def host_tensor(array, dtype: str | None = "float32"):
    """``array`` as a tensor in host memory, made piece by piece.

    Converting a NumPy array to a tensor copies it while holding the GIL: all of MNIST at
    once (170 MB as float32, in ``fit``'s data adapter) froze the window for about 60 ms
    as training started. Pieces of a few MB let the UI thread run in between; casting and
    joining them runs in TensorFlow, without the GIL.
    """
    import tensorflow as tf

    with tf.device("/cpu:0"):
        parts = []
        for i in range(0, max(len(array), 1), CONVERT_CHUNK):
            part = tf.convert_to_tensor(array[i:i + CONVERT_CHUNK])
            parts.append(tf.cast(part, dtype) if dtype is not None else part)
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)


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


#: Cross-entropy stays below about 16 (probabilities are clipped at 1e-7); a loss above
#: this comes from weights that blew up (through the L2 terms), which never recovers.
DIVERGED_LOSS = 1e6


def diverged(loss: float) -> bool:
    """Whether a training loss means the run has diverged (NaN, infinite or exploded)."""
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


def _progress_callback_class():
    import keras

    class Progress(keras.callbacks.Callback):
        """Turns Keras's callbacks into plain-data progress at a bounded rate.

        Per-batch values are read (which waits for the step) at most every
        ``interval`` seconds, so reporting does not slow training. The loss reported per
        batch is the mean over the batches since the previous report.
        """

        def __init__(self, epochs, steps, batch_size, n_train, interval, on_batch, on_epoch,
                     on_snapshot, should_stop, should_pause=None, agree=None):
            super().__init__()
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
            done = batch + 1
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
            if self.on_batch:
                self.on_batch({
                    "epoch": self.epoch, "epochs": self.epochs,
                    "batch": done, "batches": self.steps,
                    "loss": recent_loss, "accuracy": recent_acc,
                    "epoch_loss": loss, "epoch_accuracy": acc,
                    "images_per_second": rate,
                    "learning_rate": self.learning_rate(),
                    "elapsed": now - self.train_start,
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
                if self.on_snapshot:
                    self.on_snapshot(self.model.get_weights())
            if self.on_epoch:
                self.on_epoch(info)

    return Progress


# Mild on purpose: ±10% of each, tried, cost more MNIST accuracy and read other
# handwriting worse (benchmarks/drawn_digits.py).
AUGMENT_SHIFT = 0.05  # of the image side
AUGMENT_ROTATION = 5 / 360  # of a turn: ±5 degrees
AUGMENT_ZOOM = 0.05
#: The share of training images augmented (a new draw every batch). All of them cost
#: MNIST accuracy (98.8% after LeNet-5's 5 epochs instead of 99.3%); 30% keeps 99.1-99.2%
#: and still reads other handwriting far better (benchmarks/drawn_digits.py).
AUGMENT_FRACTION = 0.3


def stroke_width_change(images, choice):
    """Thins (``choice`` 0) or thickens (2) the strokes of white-on-black images by a pixel
    on each side (grey-level erosion or dilation, 3×3), or leaves them (1); ``choice`` has
    one value per image, shape (N, 1, 1, 1). People draw with pens thinner and thicker
    than MNIST's."""
    import tensorflow as tf

    thick = tf.nn.max_pool2d(images, 3, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    return tf.where(choice == 0, thin, tf.where(choice == 2, thick, images))


def random_geometry(seed, n, height: int, width: int):
    """For ``n`` images, the rows ``(n, 8)`` of a projective transform each: a random
    rotation (±5°), zoom (±5%) and shift (±5% of the side) about the centre, one matrix
    for all three (a single resampling)."""
    import tensorflow as tf

    u = tf.random.stateless_uniform([n, 4], seed=seed, minval=-1.0, maxval=1.0)
    angle = u[:, 0] * (AUGMENT_ROTATION * 2 * math.pi)
    scale = 1.0 + u[:, 1] * AUGMENT_ZOOM
    dx, dy = u[:, 2] * AUGMENT_SHIFT * width, u[:, 3] * AUGMENT_SHIFT * height
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # Output pixel (x, y) reads input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2).
    a0, a1 = scale * tf.cos(angle), -scale * tf.sin(angle)
    b0, b1 = scale * tf.sin(angle), scale * tf.cos(angle)
    a2, b2 = cx - a0 * cx - a1 * cy - dx, cy - b0 * cx - b1 * cy - dy
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(images, seed):
    """Augments :data:`AUGMENT_FRACTION` of a batch of white-on-black images (N, H, W, C),
    float: a random stroke width, rotation, zoom and shift each, black filling in; the
    other images are returned unchanged. Stateless: the same ``seed`` (two integers)
    gives the same batch, in any thread and under any distribution strategy."""
    import tensorflow as tf

    height, width = int(images.shape[1]), int(images.shape[2])
    seeds = tf.random.experimental.stateless_split(seed, 3)
    picked = tf.random.stateless_uniform([tf.shape(images)[0]], seed=seeds[0]) < AUGMENT_FRACTION
    where = tf.where(picked)  # (k, 1): only these are resampled, the costly part
    chosen = tf.gather_nd(images, where)
    k = tf.shape(chosen)[0]
    choice = tf.random.stateless_uniform([k, 1, 1, 1], seed=seeds[1], minval=0, maxval=3, dtype=tf.int32)
    changed = tf.raw_ops.ImageProjectiveTransformV3(
        images=stroke_width_change(chosen, choice),
        transforms=random_geometry(seeds[2], k, height, width),
        output_shape=[height, width], fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    return tf.tensor_scatter_nd_update(images, where, changed)


def _augmented_batches(x, y, batch_size: int, seed: int):
    """A shuffled, augmented, prefetched ``tf.data`` pipeline over tensors in memory.

    Batches are gathered by shuffled indices (no per-image work), and each is augmented
    with its own pair of seeds from a seeded random stream that differs every epoch:
    the same seed gives the same curves, and the map may run in parallel.
    """
    import tensorflow as tf

    n = int(x.shape[0])
    indices = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()  # shared, not copied per batch

    def transform(batch, pair, arrays):
        images, labels = arrays
        picked = tf.nest.map_structure(lambda t: tf.gather(t, batch), labels)
        return augment_batch(tf.gather(images, batch), pair), picked

    ds = tf.data.Dataset.zip((indices, seeds, data))
    ds = ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _stop_agreement(config):
    """For multi-worker runs: a function that all workers call after each batch with
    whether they want to stop, and that returns True on all of them if any one does."""
    import tensorflow as tf

    from core.distribute import get_strategy

    strategy = get_strategy(config)

    def agree(stop: bool) -> bool:
        votes = strategy.reduce("SUM", tf.constant(1.0 if stop else 0.0), axis=None)
        return float(votes) > 0

    return agree


def _checkpoint_callback_class():
    import keras

    class BestCheckpoint(keras.callbacks.Callback):
        """Writes the model atomically after each epoch that lowers the watched loss."""

        def __init__(self, path, monitor, metadata, export):
            super().__init__()
            self.path, self.monitor, self.metadata = path, monitor, metadata
            self.export = export
            self.best = math.inf
            self.error = None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(self.monitor)
            if value is None or not math.isfinite(value) or value >= self.best:
                return
            self.best = float(value)
            from core.modelio import ModelFileError, save_model

            metadata = {**self.metadata, "epochs_completed": epoch + 1, self.monitor: self.best,
                        "checkpoint": True}
            try:
                save_model(self.export(self.model), self.path, metadata)
            except ModelFileError as e:  # training goes on; the final save can go elsewhere
                self.error = str(e)

    return BestCheckpoint


def train_model(
    model,
    data: Dataset,
    config: TrainConfig,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    on_snapshot: SnapshotCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    should_pause: Callable[[], bool] | None = None,
    report_interval: float = 0.1,
    on_start: Callable[[dict], None] | None = None,
    plain_copy=None,
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
            ``learning_rate``, ``elapsed`` and ``progress`` (0 to 1).
        on_epoch: called after each epoch with ``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy``, ``learning_rate``, ``seconds``, ``images_per_second`` and
            ``complete`` (False for an epoch cut short by a stop).
        on_snapshot: called after each complete epoch with the weights (NumPy arrays), a
            copy that other threads may use while training goes on. It runs in the
            training thread with :data:`core.device.graph_lock` held, so it may build a
            model to hand over to another thread.
        should_stop: polled after every batch; training ends within a batch once it
            returns True, keeping the weights as they are.
        should_pause: polled after every batch; while it returns True the training thread
            sleeps (no CPU used), and the pause counts neither in images per second nor
            in the ETA.
        on_start: called once before the first batch with ``strategy``, ``replicas``,
            ``learning_rate`` (after scaling), ``chief`` and ``worker`` (index or None).
        plain_copy: for multi-worker training, a model of the same architecture built
            outside the strategy: checkpoints and the result are this copy holding the
            trained weights (saving a model of the cluster would need the other workers).

    Raises:
        SettingsError: for unusable settings.
        TrainingDiverged: when the loss becomes NaN or infinite.
        TrainingOutOfMemory: when the device runs out of memory.
    """
    import keras

    from core.distribute import training_scope
    from core.registry import inference_model

    def export(trained):
        if plain_copy is None:
            return inference_model(trained)
        plain_copy.set_weights(trained.get_weights())
        return inference_model(plain_copy)

    config.validate()
    keras.utils.set_random_seed(config.seed)
    replicas = replica_count(config)
    if config.batch_size % replicas:
        raise SettingsError({"batch_size": f"must be a multiple of the {replicas} devices that train "
                                           f"together, not {config.batch_size}"})
    chief = is_chief(config)
    # Every device must get an equal share of each batch (MirroredStrategy fails on the
    # uneven last batch of validation): leave out the last few images (fewer than replicas).
    n_train = len(data.x_train) // replicas * replicas
    if n_train == 0:
        raise SettingsError({"limit": "leaves no training images"})
    x_train, y_train = host_tensor(data.x_train[:n_train]), host_tensor(data.y_train[:n_train], None)
    steps = math.ceil(n_train / config.batch_size)
    validation = None
    n_val = len(data.x_val) // replicas * replicas
    if n_val:
        validation = (host_tensor(data.x_val[:n_val]), targets(model, host_tensor(data.y_val[:n_val], None)))
    monitor = "val_loss" if validation else "loss"
    progress = _progress_callback_class()(
        config.epochs, steps, config.batch_size, n_train, report_interval,
        on_batch, on_epoch, on_snapshot, should_stop, should_pause,
        agree=_stop_agreement(config) if config.strategy == "multiworker" else None,
    )
    callbacks = [progress]
    if config.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping, restore_best_weights=True))
    if config.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE, min_lr=1e-7))
    checkpoint = None
    if config.checkpoint and chief:  # one writer: the other workers hold the same weights
        checkpoint = _checkpoint_callback_class()(config.checkpoint, monitor, {
            "arch": config.arch, "arch_name": get_arch(config.arch).name, "dataset": config.dataset,
            "class_names": list(data.info.class_names), "input_shape": list(data.input_shape),
            "config": config.to_dict(),
        }, export)
        callbacks.append(checkpoint)
    if config.tensorboard and chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=config.tensorboard, update_freq="epoch"))
    if on_start:
        on_start({"strategy": "mirrored" if config.device == "all" else config.strategy,
                  "replicas": replicas, "learning_rate": effective_learning_rate(config, replicas),
                  "chief": chief,
                  "worker": config.worker_index if config.strategy == "multiworker" else None})
    start = time.perf_counter()
    # fit traces its steps and creates tf.data iterators every epoch: no other thread
    # may build graphs meanwhile (see core.device.graph_lock).
    try:
        with graph_lock, training_scope(config):
            compile_model(model, config, steps, replicas)
            build_metrics_eagerly(model, x_train[:replicas], targets(model, y_train[:replicas]))
            if config.augment:
                inputs = (_augmented_batches(x_train, targets(model, y_train), config.batch_size,
                                             config.seed),)
                fit_args = {"shuffle": False}  # the pipeline shuffles
            else:
                inputs = (x_train, targets(model, y_train))
                fit_args = {"batch_size": config.batch_size, "shuffle": True}
            model.fit(*inputs, epochs=config.epochs, validation_data=validation, verbose=0,
                      callbacks=callbacks, **fit_args)
    except Exception as e:
        if config.strategy == "multiworker" and is_worker_failure(e):
            raise WorkerFailure(
                "Another worker stopped or cannot be reached, so training stopped here too "
                f"({type(e).__name__}: {str(e).strip().splitlines()[-1][:200]}). Check the other "
                "workers' output, then start every worker again."
            ) from e
        if isinstance(e, MemoryError) or type(e).__name__ == "ResourceExhaustedError":
            raise TrainingOutOfMemory(
                f"Out of memory at batch size {config.batch_size}: training stopped. Try a smaller "
                "batch size" + (", or the compact form." if config.form == "reference" else ".")
            ) from e
        raise
    seconds = time.perf_counter() - start - progress.paused_seconds
    if progress.diverged:
        raise TrainingDiverged(
            "The loss became NaN, infinite or enormous, so training stopped. "
            f"Try a lower learning rate (now {config.learning_rate:g}), e.g. "
            f"{config.learning_rate / 10:g}."
        )
    result = TrainResult(
        config=config, model=export(model), history=progress.history,
        epochs_completed=progress.epochs_completed, stopped=progress.stop_requested,
        stopped_early=bool(config.early_stopping) and not progress.stop_requested
        and progress.epochs_completed < config.epochs,
        train_seconds=seconds,
        images_per_second=progress.images_seen / seconds if seconds > 0 else 0.0,
        checkpoint_error=checkpoint.error if checkpoint else None,
    )
    return result


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
        **callbacks: ``on_batch``, ``on_epoch``, ``on_snapshot``, ``should_stop``,
            ``should_pause``, ``on_start`` and ``report_interval``, passed to
            :func:`train_model`.
    """
    from core.device import load_tensorflow
    from core.evaluation import evaluate_classifier
    from core.registry import build_model

    config.validate()
    load_tensorflow()
    from core.distribute import get_strategy, training_scope

    try:
        # First: a multi-worker strategy must exist before TensorFlow runs anything.
        get_strategy(config)
    except ValueError as e:
        raise SettingsError({"devices" if config.devices else "strategy": str(e)}) from e
    if data is None:
        data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit,
                            seed=config.seed)
    from core.device import dtype_policy, precision_policy_name, resolve_device

    try:
        resolve_device(config.device)
    except ValueError as e:
        raise SettingsError({"device": str(e)}) from e
    try:
        policy = precision_policy_name(config.mixed_precision, config.device)
    except ValueError as e:
        raise SettingsError({"mixed_precision": str(e)}) from e
    import keras

    keras.utils.set_random_seed(config.seed)  # the initial weights too
    plain = None
    if config.strategy == "multiworker":
        # A copy tied to no cluster: saving and evaluating it needs no other worker.
        with graph_lock, dtype_policy(policy):
            plain = build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
    with graph_lock, training_scope(config), dtype_policy(policy):
        model = build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
    result = train_model(model, data, config, plain_copy=plain, **callbacks)
    if evaluate and not (should_abort and should_abort()) and len(data.x_test):
        with graph_lock:
            scores = evaluate_classifier(result.model, data.x_test, data.y_test)
        result.test_loss, result.test_accuracy = scores["loss"], scores["accuracy"]
    return result

