"""The settings of a training run and their checks: the one source of every range and
choice, used by the trainer, the command line and the window's settings panel."""

from __future__ import annotations

import math
from pathlib import Path
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from core.data.datasets import DATASETS
from core.runtime.distribute import DEFAULT_WORKER_TIMEOUT, check_strategy
from core.models.networks import is_network
from core.models.registry import ARCHITECTURES, get_arch
from core.training.schedules import SCHEDULES

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
MIXED_PRECISION = {
    "off": "Off (float32)",
    "auto": "Automatic (float16 on a GPU, bfloat16 on a CPU)",
    "float16": "float16 (GPU)",
    "bfloat16": "bfloat16",
}

#: Presets of training settings, as their sources trained the networks. ``cifar``: the
#: CIFAR-10 tutorial the CIFAR forms come from (SGD with Nesterov momentum 0.9, weight
#: decay 5e-4, the rate ÷10 at 50% and 75% of the run; 100-150 epochs there).
RECIPES = {
    "cifar": ("CIFAR tutorial recipe", dict(optimizer="sgd", learning_rate=0.1, momentum=0.9, nesterov=True,
                                            weight_decay=5e-4, schedule="step", batch_size=128, warmup=0)),
}


#: The largest side a folder's images may be read at (the default is at most
#: :data:`core.data.folders.MAX_SIDE`).
MAX_FOLDER_SIDE = 512


class SettingsError(ValueError):
    """Training settings that cannot be used.

    Attributes:
        errors: maps each bad field of :class:`TrainConfig` to a message for the user.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


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
        schedule: one of :data:`core.training.schedules.SCHEDULES`.
        warmup: epochs of linear warm-up at the start (not with ``plateau``).
        augment: random stroke widths, shifts, rotations and zoom of a share
            (:data:`AUGMENT_FRACTION`) of the training images; on by default for digit
            datasets (see :meth:`for_arch`).
        deslant: straighten slanted digits in a first layer of the model (see
            :mod:`core.models.deslant`); on by default for digit datasets.
        early_stopping: stop when the validation loss has not improved for this many
            epochs and keep the best weights (0: off).
        device: ``"auto"``, or a TensorFlow device such as ``"cpu"``, ``"gpu:0"``;
            ``"all"`` is the mirrored strategy over every local GPU (or CPU device).
        strategy: one of :data:`core.runtime.distribute.STRATEGIES` (``default``, ``mirrored``,
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
        resume: a model file whose run goes on for ``epochs`` more epochs, with its
            weights, optimiser state, schedule position and history (see
            :mod:`core.training.resume`); the other settings must be that run's.
        start_from: a model file whose weights the run starts from, with a fresh
            optimiser (fine-tuning, on any dataset of the same image shape).
        input_stats: the per-channel mean and standard deviation of the training pixels,
            ``[[means…], [stds…]]``, with which the model standardises colour images. A colour
            run sets them from its training images when it starts (see :func:`run_training`);
            they are saved with the run, so a resumed run and every copy of the model use the
            same ones.
        image_size, color_mode: a folder dataset's images are read at this [height, width]
            and in ``"rgb"`` or ``"grayscale"`` (None: chosen from the images).
        schedule_start: the epoch at which the learning-rate schedule begins. A finished
            run that trains on (``resume``) gets a new schedule from there, from the rate it
            ended at (see :func:`core.training.resume.resume_config`): its old one, lengthened,
            would jump the rate back up.
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
    deslant: bool = False
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
    resume: str | None = None
    start_from: str | None = None
    input_stats: list | None = None
    image_size: list | None = None
    color_mode: str | None = None
    schedule_start: int = 0

    @classmethod
    def for_arch(cls, arch: str, recipe: str | None = None, **overrides) -> "TrainConfig":
        """The architecture's default settings, then a :data:`RECIPES` preset's when one
        is named, with ``overrides`` applied.

        Digit datasets train with augmentation by default (their models must read drawings),
        and colour photos with crops and flips (the CIFAR recipe).
        The default warm-up is shortened for runs too short for it (one epoch: none).
        """
        from core.data.datasets import augmented_by_default, is_digit_dataset

        d = get_arch(arch).defaults
        dataset = overrides.get("dataset") or cls.dataset
        values = dict(
            arch=arch, epochs=d.epochs, batch_size=d.batch_size, optimizer=d.optimizer,
            learning_rate=d.learning_rate, schedule=d.schedule, warmup=d.warmup,
            augment=augmented_by_default(dataset), deslant=is_digit_dataset(dataset),
        )
        if recipe is not None:
            if recipe not in RECIPES:
                raise ValueError(f"Unknown recipe; choose one of {', '.join(RECIPES)}. Received: recipe={recipe!r}")
            values.update(RECIPES[recipe][1])
        values.update({k: v for k, v in overrides.items() if v is not None})
        if overrides.get("warmup") is None and isinstance(values["epochs"], int):
            values["warmup"] = max(0, min(values["warmup"], values["epochs"] - 1))
        return cls(**values)

    def model_options(self) -> dict:
        """Keyword arguments of :func:`core.models.registry.build_model` besides shape and classes.

        GoogLeNet trains with its auxiliary heads, as in the paper.
        """
        options = dict(self.options)
        if self.arch in ARCHITECTURES and "aux" in ARCHITECTURES[self.arch].options:
            options["aux"] = True
        if self.input_stats is not None:
            options["input_stats"] = self.input_stats
        if self.deslant:
            options["deslant"] = True
        return {"form": self.form, **options}

    def dataset_options(self) -> dict:
        """The keyword arguments of :func:`core.data.datasets.load_dataset` (and
        ``get_dataset_info``) that say how a folder's images are read."""
        return {"image_size": self.image_size, "color_mode": self.color_mode}

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

        if is_network(self.arch):
            from core.models.networks import network_path, network_shape

            try:
                network_input, network_classes = network_shape(network_path(self.arch))
            except ValueError as e:
                errors["network"] = str(e)
            else:
                shape, classes = self._input_shape(), self._class_count()
                if shape is not None and tuple(shape) != tuple(network_input):
                    errors["network"] = (f"takes {'×'.join(map(str, network_input))} images; this dataset's are "
                                         f"{'×'.join(map(str, shape))}")
                elif classes is not None and classes != network_classes:
                    errors["network"] = f"gives {network_classes} class scores; this dataset has {classes} classes"
            if self.options:
                errors["options"] = f"a network file takes no options, not {self.options!r}"
        elif self.arch not in ARCHITECTURES:
            errors["arch"] = f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}"
        elif not isinstance(self.options, dict) or set(self.options) - set(ARCHITECTURES[self.arch].options):
            allowed = ", ".join(ARCHITECTURES[self.arch].options) or "none"
            errors["options"] = f"{self.arch} takes the options {allowed}, not {self.options!r}"
        if self.form not in ("reference", "compact"):
            errors["form"] = f"must be 'reference' or 'compact', not {self.form!r}"
        if self.dataset not in DATASETS:
            from core.data.datasets import availability
            from core.data.folders import is_image_folder

            if isinstance(self.dataset, str) and is_image_folder(self.dataset):
                problem = availability(self.dataset)
                if problem:
                    errors["dataset"] = f"cannot be used: {problem}"
            else:
                errors["dataset"] = (f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}, "
                                     "or a folder with one subfolder of images per class")
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
            if self.warmup >= self.epochs and not self.resume:  # a resumed run has warmed up
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
        from core.runtime.device import check_device_name

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
        for name in ("resume", "start_from"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str) or not value.endswith(".keras"):
                errors[name] = f"must be a model file (.keras), not {value!r}"
            elif not Path(value).expanduser().is_file():
                errors[name] = f"names no file: {value}"
        if self.input_stats is not None and not (
                isinstance(self.input_stats, (list, tuple)) and len(self.input_stats) == 2
                and all(isinstance(part, (list, tuple)) and len(part) == len(self.input_stats[0]) >= 1
                        for part in self.input_stats)
                and all(isinstance(v, (int, float)) and math.isfinite(v) for v in self.input_stats[0])
                and all(isinstance(v, (int, float)) and 0 < v < math.inf for v in self.input_stats[1])):
            errors["input_stats"] = f"must be [[means…], [positive standard deviations…]], not {self.input_stats!r}"
        from core.data.datasets import COLOR_MODES
        from core.data.folders import MIN_SIDE

        for name in ("image_size", "color_mode"):
            if getattr(self, name) is not None and self.dataset in DATASETS:
                errors[name] = f"applies to a folder of images; {self.dataset} has its own"
        if self.image_size is not None and "image_size" not in errors and not (
                isinstance(self.image_size, (list, tuple)) and len(self.image_size) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and MIN_SIDE <= v <= MAX_FOLDER_SIDE
                        for v in self.image_size)):
            errors["image_size"] = (f"must be a height and a width from {MIN_SIDE} to {MAX_FOLDER_SIDE} pixels, "
                                    f"not {self.image_size!r}")
        if self.color_mode is not None and "color_mode" not in errors and self.color_mode not in COLOR_MODES:
            errors["color_mode"] = f"must be one of {', '.join(COLOR_MODES)}, not {self.color_mode!r}"
        if not isinstance(self.deslant, bool):
            errors["deslant"] = f"must be true or false, not {self.deslant!r}"
        elif self.deslant and "dataset" not in errors and self._input_shape() is not None:
            from core.models.deslant import MAX_DESLANT_BYTES, deslant_bytes
            from core.models.summary import format_bytes

            height, width, channels = self._input_shape()
            if channels != 1:
                errors["deslant"] = "straightens greyscale digits; this dataset's images are in colour"
            elif "batch_size" not in errors and deslant_bytes(self.batch_size, height, width) > MAX_DESLANT_BYTES:
                errors["deslant"] = (
                    f"is for digits of about 28×28: at {height}×{width} a batch of {self.batch_size} needs "
                    f"{format_bytes(deslant_bytes(self.batch_size, height, width))} for it (memory grows with the "
                    f"cube of the side, over the {format_bytes(MAX_DESLANT_BYTES)} allowed). Turn it off, or read "
                    "the images smaller or in smaller batches")
        if self.resume and self.start_from:
            errors["start_from"] = "cannot be used with resume: a run either goes on or starts from weights"
        integer("schedule_start", 0, 1_000_000)
        if "schedule_start" not in errors and self.schedule_start and not self.resume:
            errors["schedule_start"] = "is where a resumed run's new schedule begins: it needs resume"
        if self.resume and self.strategy == "multiworker":
            errors["strategy"] = ("multiworker cannot resume a run: it goes on on this machine (default), or "
                                  "start a new multi-worker run from its weights (start from)")
        if "checkpoint" not in errors and self.checkpoint and not self.checkpoint.endswith(".keras"):
            errors["checkpoint"] = f"model files end in .keras, not {self.checkpoint!r}"
        return errors

    def _input_shape(self) -> tuple[int, int, int] | None:
        """The shape of the run's images (None when that cannot be told)."""
        from core.data.datasets import get_dataset_info

        try:
            return tuple(get_dataset_info(self.dataset, self.image_size, self.color_mode).input_shape)
        except Exception:  # an unusable dataset or option, reported under its own name
            return None

    def _class_count(self) -> int | None:
        """How many classes the run's dataset has (None when that cannot be told)."""
        from core.data.datasets import get_dataset_info

        try:
            return len(get_dataset_info(self.dataset, self.image_size, self.color_mode).class_names)
        except Exception:  # reported under the dataset's own name
            return None

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
