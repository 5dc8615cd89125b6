import gzip
import struct

import numpy as np
import pytest

from core.data import datasets
from core.data.datasets import DatasetUnavailableError, availability, load_dataset, read_idx


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_loads_from_the_shipped_file_with_a_validation_split():
    data = load_dataset("mnist", val_split=0.1)
    assert data.x_train.shape == (54000, 28, 28, 1) and data.x_train.dtype == np.uint8
    assert data.x_val.shape == (6000, 28, 28, 1)
    assert data.x_test.shape == (10000, 28, 28, 1)
    assert data.num_classes == 10 and data.input_shape == (28, 28, 1)
    # the README's class counts of the test set
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # train and validation are disjoint and together the whole training set
    assert len(data.y_train) + len(data.y_val) == 60000


def test_limit_and_seed_are_deterministic():
    a = load_dataset("mnist", val_split=0.2, limit=500, seed=3)
    b = load_dataset("mnist", val_split=0.2, limit=500, seed=3)
    assert len(a.x_train) == 400 and len(a.x_val) == 100
    assert np.array_equal(a.y_train, b.y_train) and np.array_equal(a.x_val, b.x_val)


@pytest.mark.parametrize("kwargs", [{"val_split": 0.9}, {"val_split": -0.1}, {"limit": 1}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError, match="Received"):
        load_dataset("mnist", **kwargs)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="mnist"):
        load_dataset("imagenet")


def test_fashion_mnist_reads_idx_files_from_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "fashion_mnist_dirs", lambda: [tmp_path / "datasets" / "fashion-mnist"])
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 255, (50, 28, 28)))
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(50) % 10)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 255, (20, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(20) % 10)
    assert availability("fashion_mnist") is None
    data = load_dataset("fashion_mnist", val_split=0.2)
    assert data.x_train.shape == (40, 28, 28, 1) and data.x_test.shape == (20, 28, 28, 1)
    assert data.info.class_names[9] == "Ankle boot"


def test_missing_fashion_mnist_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "fashion_mnist_dirs", lambda: [tmp_path / "nothing"])
    message = availability("fashion_mnist")
    assert "apt-get install dataset-fashion-mnist" in message
    with pytest.raises(DatasetUnavailableError, match="never downloads"):
        load_dataset("fashion_mnist")


def test_truncated_idx_file_is_reported(tmp_path):
    path = tmp_path / "bad-idx3-ubyte.gz"
    write_idx(path, np.zeros((10, 28, 28)))
    raw = gzip.decompress(path.read_bytes())[:-100]
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(DatasetUnavailableError, match="truncated"):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetUnavailableError):
        read_idx(path)
