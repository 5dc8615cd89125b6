"""CIFAR-10 read from Keras's cache in its real format, and a download that never runs
in tests (no network): its failure says where to put the files."""

import json

import numpy as np
import pytest

from core.data.datasets import (CIFAR10_CLASS_NAMES, DatasetUnavailableError, availability, download_cifar10,
                                load_dataset)
from tests.cifar import write_cifar10


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def test_cifar10_is_read_from_the_keras_cache(keras_home):
    assert "--download" in availability("cifar10")
    write_cifar10(keras_home)
    assert availability("cifar10") is None
    data = load_dataset("cifar10", val_split=0.2)
    assert data.x_train.shape[1:] == (32, 32, 3) and data.x_train.dtype == np.uint8
    assert len(data.x_train) + len(data.x_val) == 60 and data.x_test.shape == (12, 32, 32, 3)
    assert data.info.class_names == CIFAR10_CLASS_NAMES
    # channels last, each channel its own plane: red = 25 × label, green = 255 − 25 × label
    label = int(data.y_test[0])
    assert tuple(data.x_test[0, 5, 7]) == (25 * label, 255 - 25 * label, 100)


def test_a_damaged_batch_is_reported(keras_home):
    folder = write_cifar10(keras_home)
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DatasetUnavailableError, match="damaged"):
        load_dataset("cifar10")


def test_without_a_network_the_download_says_where_to_put_the_files(keras_home):
    with pytest.raises(DatasetUnavailableError, match="extract it into") as caught:
        download_cifar10()
    assert "cifar-10-batches-py-target" in str(caught.value)


def test_the_cli_trains_on_cifar10_and_names_its_classes(keras_home, monkeypatch, tmp_path, capsys):
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    assert main.main(["train", "resnet18", "--dataset", "cifar10", "--epochs", "1"]) == 2
    assert "CIFAR-10 is not in Keras's cache" in capsys.readouterr().err
    assert main.main(["train", "resnet18", "--dataset", "cifar10", "--download", "--epochs", "1"]) == 1
    assert "could not be downloaded" in capsys.readouterr().err
    write_cifar10(keras_home)
    code = main.main(["train", "resnet18", "--dataset", "cifar10", "--download", "--epochs", "1",
                      "--batch-size", "16", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"] == "cifar10" and result["epochs"] == 1
    from core.storage.modelio import read_metadata

    record = read_metadata(result["library_path"])
    assert record["class_names"] == list(CIFAR10_CLASS_NAMES) and record["input_shape"] == [32, 32, 3]
    # Colour photos: the saved model standardises each channel with the training pixels'
    # statistics, and takes raw pixels like every other model.
    mean, std = record["config"]["input_stats"]
    assert len(mean) == len(std) == 3
    import keras

    model = keras.saving.load_model(result["library_path"], compile=False)
    rescaling = model.get_layer("rescaling")
    assert np.allclose(rescaling.scale, [1 / s for s in std])
    assert np.allclose(rescaling.offset, [-m / s for m, s in zip(mean, std)])


def test_pixel_statistics_standardise_each_channel():
    from core.models.common import pixel_statistics
    from core.models.registry import build_model

    rng = np.random.default_rng(0)
    images = np.stack([rng.normal(loc, scale, (40, 8, 8)) for loc, scale in ((200, 10), (50, 30), (128, 60))],
                      axis=-1).clip(0, 255).astype(np.uint8)
    stats = pixel_statistics(images)
    model = build_model("mlp", (8, 8, 3), 10, form="compact", input_stats=stats)
    out = np.asarray(model.get_layer("rescaling")(images.astype("float32"))).reshape(-1, 3)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-3) and np.allclose(out.std(axis=0), 1, atol=1e-3)
    with pytest.raises(ValueError, match="Received"):
        build_model("mlp", (8, 8, 3), 10, form="compact", input_stats=[[1, 2], [1, 1]])
