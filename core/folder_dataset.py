"""A folder of images as a dataset: one subfolder per class, any common format and size.

    photos/
        cat/  001.jpg  002.png …
        dog/  a.jpg …

The class names are the subfolders' names (sorted). The input size and colour mode come
from the images (the median size, within 8-128 px; colour when any image has colour). The
images are read with OpenCV, resized (area interpolation) and kept in memory as ``uint8``;
a folder too large for that is refused with the reason. A share of each class is held out
as the test set, and the validation split is taken from the rest, as for the other datasets.

Bad content gets a clear report: a single class is refused, as is a class folder without
images; unreadable files are skipped and counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
#: The held-out test share of every class.
TEST_SPLIT = 0.15
#: Images sampled to choose the input size and colour mode.
SAMPLED = 64
MIN_SIDE, MAX_SIDE = 8, 128
#: The most pixels (height × width × channels × images) kept in memory: 2 GB.
MAX_BYTES = 2_000_000_000


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


def read_image(path: Path, input_shape) -> np.ndarray | None:
    """One image at ``input_shape`` (RGB or grey, ``uint8``), or None when unreadable."""
    height, width, channels = input_shape
    image = cv2.imread(str(path), cv2.IMREAD_COLOR if channels == 3 else cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image[..., None]


def load_folder(scan: FolderScan, seed: int = 0, limit: int | None = None):
    """Reads the images of a scanned folder.

    Returns:
        ``(x_train, y_train, x_test, y_test, skipped)``: the training images (validation
        not yet split off), the held-out test images, and how many files could not be read.

    Raises:
        FolderDatasetError: too large to keep in memory, or nothing readable.
    """
    files = scan.files
    rng = np.random.default_rng(seed)
    if limit is not None and limit < len(files):
        files = [files[i] for i in np.sort(rng.permutation(len(files))[:limit])]
    height, width, channels = scan.input_shape
    needed = len(files) * height * width * channels
    if needed > MAX_BYTES:
        raise FolderDatasetError(
            f"{scan.root} holds {len(files):,} images: {needed / 1e9:.1f} GB at {height}×{width}×{channels}, more "
            f"than the {MAX_BYTES / 1e9:.0f} GB kept in memory. Train on fewer (--limit, or Training images).")
    images, labels, skipped = [], [], 0
    for path, label in files:
        image = read_image(path, scan.input_shape)
        if image is None:
            skipped += 1
            continue
        images.append(image)
        labels.append(label)
    if not images:
        raise FolderDatasetError(f"None of the {len(files)} images in {scan.root} could be read.")
    x, y = np.stack(images), np.array(labels, dtype=np.int64)
    test = np.zeros(len(y), bool)
    for label in np.unique(y):  # the same share of every class
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[: int(round(len(members) * TEST_SPLIT))]] = True
    return x[~test], y[~test], x[test], y[test], skipped


FOLDERS_ENV = "CNN_STUDIO_IMAGE_FOLDERS"


def remembered_file() -> Path:
    """Where the window remembers the image folders added to its dataset list:
    ``$CNN_STUDIO_IMAGE_FOLDERS``, or ``image-folders.txt`` in the application's data folder."""
    from core.library import app_data_dir

    override = os.environ.get(FOLDERS_ENV)
    return Path(override).expanduser() if override else app_data_dir() / "image-folders.txt"


def remembered_folders() -> list[str]:
    """The folders added so far, oldest first (a missing or unreadable list is empty)."""
    try:
        lines = remembered_file().read_text(encoding="utf-8").splitlines()
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
            write_text_atomically(remembered_file(), "\n".join(folders + [path]) + "\n")
        except OSError:
            pass
