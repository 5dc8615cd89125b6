"""Image-classification datasets, loaded from local files only.

MNIST ships with the application (``resources/datasets/mnist.npz``). Fashion-MNIST is
read from the Keras cache or from Debian's ``dataset-fashion-mnist`` package when either
is present; nothing here ever downloads.

Images are kept as ``uint8`` arrays of shape ``(N, H, W, C)``: every model of the zoo
starts with its own rescaling layer, so the raw pixel values are what a model consumes.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from core.data.dataset import Dataset, DatasetInfo, DatasetUnavailableError
from core.paths import RESOURCES, keras_datasets_dir
from core.reading.preprocess import DIGIT_CLASS_NAMES

MNIST_PATH = RESOURCES / "datasets" / "mnist.npz"

FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: Where ``keras.datasets.cifar10.load_data()`` downloads and extracts CIFAR-10 (Keras 3),
#: and the folder inside; Keras 2 extracted the folder straight into ``datasets``.
CIFAR10_TARGET = "cifar-10-batches-py-target"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_BYTES = 170_498_071
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def cifar10_dirs() -> list[Path]:
    """Folders searched, in order, for CIFAR-10's batches (where Keras 3, then Keras 2, keep them)."""
    cache = keras_datasets_dir()
    return [cache / CIFAR10_TARGET / CIFAR10_FOLDER, cache / CIFAR10_FOLDER]


def find_cifar10() -> Path | None:
    for folder in cifar10_dirs():
        if all((folder / name).is_file() for name in CIFAR10_FILES):
            return folder
    return None


def fashion_mnist_dirs() -> list[Path]:
    """Folders searched, in order, for the Fashion-MNIST IDX files."""
    return [
        keras_datasets_dir() / "fashion-mnist",
        Path("/usr/share/datasets/fashion-mnist"),
    ]


def augmented_by_default(name: str) -> bool:
    """Digits (strokes, shifts, rotations) and colour photos (crops and flips) train with
    augmentation by default; other datasets without."""
    try:
        info = get_dataset_info(name)
    except ValueError:
        return False
    return info is not None and (is_digit_dataset(name) or info.input_shape[-1] == 3)


def is_digit_dataset(name: str) -> bool:
    """Whether a dataset's classes are the digits 0-9 (its models read drawn digits)."""
    info = DATASETS.get(name)
    return info is not None and tuple(info.class_names) == DIGIT_CLASS_NAMES


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist", "MNIST digits", (28, 28, 1), DIGIT_CLASS_NAMES,
        "70,000 handwritten digits (LeCun, Cortes, Burges), shipped with the application.",
    ),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", "Fashion-MNIST", (28, 28, 1), FASHION_CLASS_NAMES,
        "70,000 greyscale photos of clothing (Zalando Research), 10 classes.",
    ),
    "cifar10": DatasetInfo(
        "cifar10", "CIFAR-10", (32, 32, 3), CIFAR10_CLASS_NAMES,
        "60,000 32×32 colour photos in 10 classes (Krizhevsky, 2009), read from Keras's cache "
        "(~/.keras/datasets); downloaded only when you ask (170 MB).",
        train_size=50_000,
    ),
    "my_digits": DatasetInfo(
        "my_digits", "My digits", (28, 28, 1), DIGIT_CLASS_NAMES,
        "Your own drawings, saved with \"This is a …\" under the canvas, mixed with 3,000 MNIST "
        "digits so that the model learns your handwriting and keeps reading everyone's. "
        "Validation: some of your drawings held out; test: MNIST's test set.",
        train_size=4000,
    ),
}


def get_dataset_info(dataset_id: str, image_size=None, color_mode: str | None = None) -> DatasetInfo:
    """Returns the description of a dataset id such as ``"mnist"``, or of a folder of
    images (its path: see :mod:`core.data.folders`).

    Args:
        image_size, color_mode: for a folder, the (height, width) and ``"rgb"`` or
            ``"grayscale"`` to read its images at; None: chosen from the images.

    Raises:
        ValueError: an unknown name, or a folder that cannot be a dataset (the message
            says why).
    """
    if dataset_id in DATASETS:
        return DATASETS[dataset_id]
    from core.data.folders import TEST_SPLIT, is_image_folder

    if isinstance(dataset_id, str) and is_image_folder(dataset_id):
        scan = folder_scan(dataset_id)
        counts = scan.counts()
        height, width, channels = scan.input_shape
        if image_size:
            height, width = (int(d) for d in image_size)
        if color_mode:
            channels = COLOR_MODES[color_mode]
        return DatasetInfo(
            str(scan.root), scan.root.name, (height, width, channels), tuple(scan.class_names),
            f"{len(scan.files):,} images in {len(counts)} classes from {scan.root} ("
            + ", ".join(f"{name}: {n}" for name, n in counts.items()) + ")",
            train_size=len(scan.files) - sum(int(round(n * TEST_SPLIT)) for n in counts.values()),
        )
    raise ValueError(
        f"Unknown dataset. Expected one of {', '.join(DATASETS)}, or a folder of images. "
        f"Received: dataset={dataset_id!r}"
    )


#: How a folder's images may be read (Keras's names): channels.
COLOR_MODES = {"rgb": 3, "grayscale": 1}

_SCANS: dict = {}


def folder_scan(path: str):
    """The scan of a folder of images, kept while the folder is unchanged.

    Raises:
        core.data.folders.FolderDatasetError: the folder cannot be a dataset.
    """
    from core.data.folders import scan_folder

    root = Path(path).expanduser()
    try:
        stamp = (root.stat().st_mtime, tuple(sorted((p.name, p.stat().st_mtime) for p in root.iterdir())))
    except OSError:
        stamp = None
    cached = _SCANS.get(str(root))
    if cached is not None and stamp is not None and cached[0] == stamp:
        return cached[1]
    scan = scan_folder(root)
    _SCANS[str(root)] = (stamp, scan)
    return scan


def availability(dataset_id: str) -> str | None:
    """Returns None when the dataset can be loaded, else a message saying what to do.

    Only checks that the files exist, so it is cheap enough for the UI thread.
    """
    from core.data.folders import FolderDatasetError, is_image_folder

    if dataset_id not in DATASETS and is_image_folder(dataset_id):
        try:
            folder_scan(dataset_id)
        except FolderDatasetError as e:
            return str(e)
        return None
    get_dataset_info(dataset_id)
    if dataset_id == "my_digits":
        from core.data.my_digits import availability as my_digits_availability

        return availability("mnist") or my_digits_availability()
    if dataset_id == "cifar10":
        if find_cifar10() is not None:
            return None
        return (
            "CIFAR-10 is not in Keras's cache. Download it (170 MB) with Train ▸ Download CIFAR-10… in the "
            "window or 'main.py train --dataset cifar10 --download', or put the "
            f"extracted '{CIFAR10_FOLDER}' folder of cifar-10-python.tar.gz (from "
            f"{CIFAR10_ORIGIN}) in {keras_datasets_dir() / CIFAR10_TARGET}."
        )
    if dataset_id == "mnist":
        if MNIST_PATH.is_file():
            return None
        return (
            f"MNIST is missing from {MNIST_PATH}. Reinstall the application or copy "
            "mnist.npz (the Keras layout) to that path."
        )
    if _find_fashion_dir() is not None:
        return None
    places = " or ".join(str(p) for p in fashion_mnist_dirs())
    return (
        "Fashion-MNIST is not installed and this application never downloads data. "
        "Install it with 'sudo apt-get install dataset-fashion-mnist', or copy the four "
        f"*-idx?-ubyte.gz files from github.com/zalandoresearch/fashion-mnist to {places}."
    )


def _find_fashion_dir() -> Path | None:
    for folder in fashion_mnist_dirs():
        if all((folder / name).is_file() for name in FASHION_FILES.values()):
            return folder
    return None


def read_idx(path: Path | str) -> np.ndarray:
    """Reads an IDX file (optionally gzip-compressed) of unsigned bytes.

    Raises:
        DatasetUnavailableError: when the file is not a valid IDX file of ``uint8``.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DatasetUnavailableError(f"Cannot read {path}: {e}") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetUnavailableError(f"{path} is not an IDX file (bad magic number).")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise DatasetUnavailableError(
            f"{path} holds IDX type 0x{dtype_code:02x}; only unsigned bytes (0x08) are supported."
        )
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise DatasetUnavailableError(f"{path} is truncated (incomplete header).")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    expected = int(np.prod(shape)) if shape else 0
    if len(data) - header_end != expected:
        raise DatasetUnavailableError(
            f"{path} is truncated or padded: header says {expected} values, "
            f"file holds {len(data) - header_end}."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_end).reshape(shape)


def _load_arrays(dataset_id: str) -> dict[str, np.ndarray]:
    problem = availability(dataset_id)
    if problem:
        raise DatasetUnavailableError(problem)
    if dataset_id == "mnist":
        try:
            with np.load(MNIST_PATH, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in FASHION_FILES}
        except (OSError, KeyError, ValueError) as e:
            raise DatasetUnavailableError(
                f"{MNIST_PATH} is damaged ({e}). Reinstall the application."
            ) from e
        return arrays
    if dataset_id == "cifar10":
        return _read_cifar10(find_cifar10())
    folder = _find_fashion_dir()
    return {key: read_idx(folder / name) for key, name in FASHION_FILES.items()}


def _load_folder(info: DatasetInfo, val_split: float, limit: int | None, seed: int, stream=None) -> "Dataset":
    from core.data.folders import FolderDatasetError, load_folder

    try:
        parts = load_folder(folder_scan(info.id), seed=seed, limit=limit, val_split=val_split,
                            input_shape=info.input_shape, stream=stream)
    except FolderDatasetError as e:
        raise DatasetUnavailableError(str(e)) from e
    return Dataset(info=info, **parts)


def _read_cifar10(folder: Path) -> dict[str, np.ndarray]:
    """The batches as Keras's own reader reads them (``keras.datasets.cifar.load_batch``),
    channels last."""
    from keras.src.datasets.cifar import load_batch  # Keras exports no public name for it

    try:
        parts = [load_batch(str(folder / name)) for name in CIFAR10_FILES]
    except Exception as e:  # a damaged pickle raises anything
        raise DatasetUnavailableError(
            f"The CIFAR-10 files in {folder} are damaged ({type(e).__name__}: {e}). Delete the folder "
            "and download them again.") from e
    x_train = np.concatenate([x for x, _ in parts[:5]]).transpose(0, 2, 3, 1)
    y_train = np.concatenate([np.asarray(y) for _, y in parts[:5]])
    x_test, y_test = parts[5]
    return {"x_train": np.ascontiguousarray(x_train, dtype=np.uint8), "y_train": y_train,
            "x_test": np.ascontiguousarray(x_test.transpose(0, 2, 3, 1), dtype=np.uint8),
            "y_test": np.asarray(y_test)}


def download_cifar10(on_progress=None, should_stop=None) -> Path:
    """Fetches CIFAR-10 into Keras's cache with Keras's own ``get_file`` (its checksum, its
    extraction), exactly where ``keras.datasets.cifar10.load_data()`` puts it.

    The transfer can be cancelled and goes on where an earlier one stopped (see
    :mod:`core.data.download`); Keras's own progress bar is printed too.

    Args:
        on_progress: called with (bytes so far, total bytes or -1) as they arrive, in this
            thread; then checking and unpacking take a few seconds more.
        should_stop: polled between chunks; True cancels.

    Raises:
        core.data.download.DownloadCancelled: ``should_stop()`` returned True.
        DatasetUnavailableError: the download failed (no network, say); the message says
            where to put the files by hand.
    """
    import keras

    from core.data.download import DownloadCancelled, resumable_transfers

    try:
        keras_datasets_dir().mkdir(parents=True, exist_ok=True)  # else get_file falls back to /tmp
        with resumable_transfers(on_progress, should_stop):
            # The cache named explicitly: Keras reads KERAS_HOME once, at import.
            keras.utils.get_file(fname=CIFAR10_TARGET, origin=CIFAR10_ORIGIN, extract=True,
                                 file_hash=CIFAR10_SHA256, cache_dir=str(keras_datasets_dir().parent),
                                 cache_subdir=keras_datasets_dir().name)
    except DownloadCancelled:
        raise
    except Exception as e:  # no network, a proxy, a full disk… (Ctrl+C and exits go through)
        raise DatasetUnavailableError(
            f"CIFAR-10 could not be downloaded ({type(e).__name__}: {str(e)[:200]}). Check the network and "
            f"try again (a download goes on where the last one stopped), or download {CIFAR10_ORIGIN} "
            f"yourself and extract it into {keras_datasets_dir() / CIFAR10_TARGET} (it holds the "
            f"'{CIFAR10_FOLDER}' folder).") from e
    folder = find_cifar10()
    if folder is None:
        raise DatasetUnavailableError(f"The download finished but {cifar10_dirs()[0]} holds no CIFAR-10 batches.")
    return folder


def load_dataset(
    dataset_id: str = "mnist",
    *,
    val_split: float = 0.1,
    limit: int | None = None,
    test_limit: int | None = None,
    seed: int = 0,
    image_size=None,
    color_mode: str | None = None,
    stream: bool | None = None,
) -> Dataset:
    """Loads a dataset and splits a validation set off its training set.

    Args:
        dataset_id: a name of :data:`DATASETS`, or a folder of images.
        val_split: fraction of the training images held out for validation, in [0, 0.5].
        limit: if given, keep only this many training images (before the split), taken
            at random with ``seed``; useful for quick experiments.
        test_limit: if given, keep only the first this many test images.
        seed: seed of the shuffle that chooses the validation images.
        image_size, color_mode: a folder's images read at this (height, width) and in
            ``"rgb"`` or ``"grayscale"`` (None: chosen from the images).
        stream: a folder's training images streamed from disk (see
            :func:`core.data.folders.load_folder`; None: when they are large).

    Raises:
        ValueError: for an unknown id or an out-of-range argument.
        DatasetUnavailableError: when the files are missing or damaged.
    """
    info = get_dataset_info(dataset_id, image_size, color_mode)
    if not 0.0 <= val_split <= 0.5:
        raise ValueError(f"val_split must be between 0 and 0.5. Received: val_split={val_split}")
    if limit is not None and limit < 2:
        raise ValueError(f"limit must be at least 2. Received: limit={limit}")
    if dataset_id not in DATASETS:  # a folder of images
        return _load_folder(info, val_split, limit, seed, stream)
    if dataset_id == "my_digits":
        from core.data.my_digits import mixed_dataset

        mnist = _load_arrays("mnist")
        mnist = {k: v[..., None] if k.startswith("x") else v.astype(np.int64) for k, v in mnist.items()}
        return mixed_dataset(info, mnist, val_split, seed)
    arrays = _load_arrays(dataset_id)
    x_train, y_train = arrays["x_train"], arrays["y_train"].astype(np.int64)
    x_test, y_test = arrays["x_test"], arrays["y_test"].astype(np.int64)
    if x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x_train))
    if limit is not None:
        order = order[:limit]
    n_val = int(round(len(order) * val_split))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    if test_limit is not None:
        x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    return Dataset(
        info=info,
        x_train=x_train[train_idx], y_train=y_train[train_idx],
        x_val=x_train[val_idx], y_val=y_train[val_idx],
        x_test=x_test, y_test=y_test,
    )
