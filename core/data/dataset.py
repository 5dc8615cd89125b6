"""What a dataset is: its description before loading (:class:`DatasetInfo`), its loaded
splits (:class:`Dataset`), and the error that says why one cannot be had."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DatasetUnavailableError(RuntimeError):
    """A dataset's files are missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class DatasetInfo:
    """What the window and the command line show about a dataset before loading it."""

    id: str
    name: str
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    description: str
    train_size: int = 60_000  # images in its training set, before the validation split

    def training_images(self, limit: int | None = None, val_split: float = 0.1) -> int:
        """How many images a run trains on: the first ``limit`` (or all), less the
        validation share."""
        total = min(limit, self.train_size) if limit else self.train_size
        return int(total * (1 - val_split))


@dataclass
class Dataset:
    """Train, validation and test splits of one dataset, as ``uint8`` images."""

    info: DatasetInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    skipped: int = 0  # files that could not be read (a folder of images)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.info.class_names)
