"""A folder of images as a dataset: one subfolder per class, any common format and size.

    photos/
        cat/  001.jpg  002.png …
        dog/  a.jpg …

The class names are the subfolders' names (sorted). The input size and colour mode come
from the images (the median size, within 8-128 px; colour when any image has colour), unless
the user picks them. The images are read with OpenCV, resized (area interpolation) and kept
in memory as ``uint8``; training images that would take more than
:data:`STREAM_ABOVE_BYTES` are streamed from disk instead (:mod:`core.data.folder_stream`). A
share of each class is held out as the test set, and the validation split is taken from
the rest, as for the other datasets.

Bad content gets a clear report: a single class is refused, as is a class folder without
images; unreadable files are skipped and counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core.paths import image_folders_file
from core.reading.imagefiles import read_image_at

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
#: The held-out test share of every class.
TEST_SPLIT = 0.15
#: Images sampled to choose the input size and colour mode.
SAMPLED = 64
MIN_SIDE, MAX_SIDE = 8, 128
#: The most pixels (height × width × channels × images) kept in memory: 2 GB.
MAX_BYTES = 2_000_000_000
#: Training images taking more memory than this are streamed from disk as they train.
STREAM_ABOVE_BYTES = 1_000_000_000


class FolderDatasetError(ValueError):
    """The folder cannot be a dataset; the message says why and what to do."""


def is_image_folder(dataset_id: str) -> bool:
    """Whether a dataset id names a folder (the built-in datasets have short names)."""
    return os.sep in dataset_id or "/" in dataset_id


@dataclass
class FolderScan:
    """What a folder holds, found without reading the images' pixels (but a sample).

    Attributes:
        root: the folder.
        class_names: the subfolders with images, sorted.
        files: every image file and its class index.
        input_shape: the size and channels the images will be read at.
    """

    root: Path
    class_names: list[str] = field(default_factory=list)
    files: list[tuple[Path, int]] = field(default_factory=list)
    input_shape: tuple[int, int, int] = (32, 32, 3)

    def counts(self) -> dict[str, int]:
        out = {name: 0 for name in self.class_names}
        for _path, label in self.files:
            out[self.class_names[label]] += 1
        return out


def scan_folder(path) -> FolderScan:
    """Finds the classes and images of a folder and chooses the input shape.

    Raises:
        FolderDatasetError: not a folder, fewer than two classes, or a class without images.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FolderDatasetError(f"{root} is not a folder. Choose a folder with one subfolder of images per class.")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise FolderDatasetError(
            f"{root} has {len(classes)} class folder(s): a classifier needs two or more. Put the images of "
            "each class in a subfolder named after the class (cat/, dog/, …).")
    scan = FolderScan(root, [p.name for p in classes])
    empty = []
    for label, folder in enumerate(classes):
        images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not images:
            empty.append(folder.name)
        scan.files += [(p, label) for p in images]
    if empty:
        raise FolderDatasetError(
            f"These class folders of {root} hold no images (PNG, JPEG, BMP, GIF, TIFF, WebP): {', '.join(empty)}. "
            "Add images or remove the folders.")
    scan.input_shape = _choose_shape(scan.files)
    return scan


def _choose_shape(files) -> tuple[int, int, int]:
    """The median size of a sample of the images (within the limits), and 3 channels when
    any of them has colour."""
    step = max(1, len(files) // SAMPLED)
    heights, widths, colour = [], [], False
    for path, _label in files[::step][:SAMPLED]:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            continue
        heights.append(image.shape[0])
        widths.append(image.shape[1])
        if image.ndim == 3 and image.shape[2] >= 3:
            b, g, r = image[..., 0], image[..., 1], image[..., 2]
            colour = colour or not (np.array_equal(b, g) and np.array_equal(g, r))
    if not heights:
        return 32, 32, 3

    def side(values):
        return int(min(MAX_SIDE, max(MIN_SIDE, np.median(values))))

    return side(heights), side(widths), 3 if colour else 1


def split_files(scan: FolderScan, seed: int = 0, limit: int | None = None, val_split: float = 0.1):
    """The files of each split: ``(train, validation, test)``, each a list of (path, label).

    The test set is :data:`TEST_SPLIT` of every class, the same whatever the run's seed,
    so that evaluating a model later never measures it on images it trained on. ``limit``
    then keeps that many of the other files at random (and the same share of the test
    images, always the same ones), and validation is a random ``val_split`` of those.
    """
    files = scan.files
    labels = np.array([label for _path, label in files], dtype=np.int64)
    fixed = np.random.default_rng(0)
    test = np.zeros(len(files), bool)
    for label in np.unique(labels):  # the same share of every class
        members = fixed.permutation(np.flatnonzero(labels == label))
        test[members[: int(round(len(members) * TEST_SPLIT))]] = True
    rest = np.flatnonzero(~test)
    tests = fixed.permutation(np.flatnonzero(test))
    rng = np.random.default_rng(seed)
    if limit is not None and limit < len(rest):
        tests = tests[: max(1, int(round(len(tests) * limit / len(rest))))]
        rest = np.sort(rng.permutation(rest)[:limit])
    order = rng.permutation(len(rest))
    n_val = int(round(len(rest) * val_split))
    val, train = np.sort(rest[order[:n_val]]), np.sort(rest[order[n_val:]])
    return [files[i] for i in train], [files[i] for i in val], [files[i] for i in np.sort(tests)]


def read_files(files, input_shape):
    """Reads images into memory: ``(x, y, skipped)``."""
    images, labels, skipped = [], [], 0
    for path, label in files:
        image = read_image_at(path, input_shape)
        if image is None:
            skipped += 1
            continue
        images.append(image)
        labels.append(label)
    x = np.stack(images) if images else np.zeros((0, *input_shape), np.uint8)
    return x, np.array(labels, dtype=np.int64), skipped


def load_folder(scan: FolderScan, seed: int = 0, limit: int | None = None, val_split: float = 0.1,
                input_shape=None, stream: bool | None = None) -> dict:
    """Reads the images of a scanned folder, or streams the training ones.

    Args:
        input_shape: the size and channels to read the images at (default: the scan's).
        stream: keep the training images on disk and stream them while training (see
            :mod:`core.data.folder_stream`); None streams when they would take more than
            :data:`STREAM_ABOVE_BYTES` of memory. Validation and test images are read.

    Returns:
        ``x_train``, ``y_train``, ``x_val``, ``y_val``, ``x_test``, ``y_test`` and
        ``skipped`` (files that could not be read; for streamed ones, found as they train).

    Raises:
        FolderDatasetError: too large even to stream (its validation and test images must
            fit in memory), or nothing readable.
    """
    shape = tuple(input_shape or scan.input_shape)
    train, val, test = split_files(scan, seed, limit, val_split)
    per_image = int(np.prod(shape))
    if stream is None:
        stream = len(train) * per_image > STREAM_ABOVE_BYTES
    kept = (len(val) + len(test) + (0 if stream else len(train))) * per_image
    if kept > MAX_BYTES:
        raise FolderDatasetError(
            f"{scan.root} holds {len(scan.files):,} images: {kept / 1e9:.1f} GB at {'×'.join(map(str, shape))} "
            f"for {'the validation and test images' if stream else 'all of them'}, more than the "
            f"{MAX_BYTES / 1e9:.0f} GB kept in memory. Train on fewer (--limit, or Training images), "
            "or at a smaller size.")
    out = {"skipped": 0}
    for name, files in (("val", val), ("test", test)) + ((("train", train),) if not stream else ()):
        out[f"x_{name}"], out[f"y_{name}"], skipped = read_files(files, shape)
        out["skipped"] += skipped
    if stream:
        from core.data.folder_stream import StreamedImages

        out["x_train"] = StreamedImages([p for p, _label in train], shape)
        out["y_train"] = np.array([label for _p, label in train], dtype=np.int64)
    if not len(out["x_train"]):
        raise FolderDatasetError(f"None of the {len(train)} training images in {scan.root} could be read.")
    return out


def remembered_folders() -> list[str]:
    """The folders added so far, oldest first (a missing or unreadable list is empty)."""
    try:
        lines = image_folders_file().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in dict.fromkeys(line.strip() for line in lines) if line]


def remember_folder(path: str) -> None:
    """Adds a folder to the remembered list (atomically; a failure only means it is not
    remembered next time)."""
    from core.atomic import write_text_atomically

    folders = remembered_folders()
    if path not in folders:
        try:
            write_text_atomically(image_folders_file(), "\n".join(folders + [path]) + "\n")
        except OSError:
            pass
