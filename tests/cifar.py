"""A small CIFAR-10 for tests, in the real layout and pickle format, and its archive (tests
never use the network)."""

import hashlib
import pickle
import tarfile

import numpy as np

from core.data.datasets import CIFAR10_FILES


def write_cifar10(keras_home, per_batch=12, seed=0):
    """A small CIFAR-10 in the layout and pickle format of cifar-10-python.tar.gz, where
    Keras 3 extracts it. Each image is one flat colour per channel, set by its label."""
    rng = np.random.default_rng(seed)
    folder = keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in CIFAR10_FILES:
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        planes = np.array([[25 * label, 255 - 25 * label, 100] for label in labels], np.uint8)
        data = np.repeat(planes, 1024, axis=1)  # rows of 3072: red plane, green, blue
        with open(folder / name, "wb") as f:
            pickle.dump({b"batch_label": name.encode(), b"labels": labels, b"data": data}, f)
    return folder


def cifar10_archive(tmp_path):
    """A small cifar-10-python.tar.gz in the real layout, and its SHA-256."""
    folder = write_cifar10(tmp_path / "source")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()
