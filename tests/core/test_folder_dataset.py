"""A folder of images as a dataset: classes from the subfolders, the input shape from the
images, unreadable files skipped and counted, bad folders refused with the reason."""

import numpy as np
import pytest

from core.training.config import TrainConfig
from core.data.datasets import DatasetUnavailableError, availability, get_dataset_info, load_dataset
from core.data.folders import FolderDatasetError, scan_folder
from tests.folders import SHAPES, write_image_folder


def test_a_folder_of_images_is_a_dataset(tmp_path):
    root = write_image_folder(tmp_path / "shapes", per_class=20)
    (root / "cross" / "notes.png").write_bytes(b"not an image")
    (root / "cross" / "readme.txt").write_text("ignored: not an image file")
    info = get_dataset_info(str(root))
    assert info.class_names == SHAPES and info.input_shape == (48, 48, 3) and info.name == "shapes"
    assert availability(str(root)) is None and TrainConfig(dataset=str(root)).errors() == {}
    data = load_dataset(str(root), val_split=0.2)
    assert data.skipped == 1 and data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (48, 48, 3)
    assert len(data.x_test) == 9 and sorted(np.bincount(data.y_test)) == [3, 3, 3]  # 15% of every class
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 60
    # RGB, not OpenCV's BGR: the white paper stays white, the ink keeps its colour.
    assert tuple(data.x_test[0, 0, 0]) == (255, 255, 255)


def test_grey_images_are_read_with_one_channel(tmp_path):
    root = write_image_folder(tmp_path / "grey", per_class=6, size=20, colour=False)
    assert get_dataset_info(str(root)).input_shape == (20, 20, 1)


@pytest.mark.parametrize("make, message", [
    (lambda root: write_image_folder(root, classes=("only",)), "a classifier needs two or more"),
    (lambda root: (write_image_folder(root, per_class=3), (root / "empty").mkdir()), "hold no images"),
    (lambda root: None, "is not a folder"),
])
def test_bad_folders_are_refused_with_the_reason(tmp_path, make, message):
    root = tmp_path / "data"
    make(root)
    with pytest.raises(FolderDatasetError, match=message):
        scan_folder(root)
    assert message in availability(str(root))
    assert message in TrainConfig(dataset=str(root)).errors()["dataset"]
    with pytest.raises((DatasetUnavailableError, ValueError)):
        load_dataset(str(root))


def test_a_large_folder_streams_from_disk_with_the_same_images_and_trains(tmp_path, monkeypatch):
    import tensorflow as tf

    from core.data.folder_stream import StreamedImages
    from core.training.loop import run_training

    root = write_image_folder(tmp_path / "shapes", per_class=20)
    (root / "cross" / "broken.png").write_bytes(b"not an image")
    in_memory = load_dataset(str(root), val_split=0.2)
    monkeypatch.setattr("core.data.folders.STREAM_ABOVE_BYTES", 10_000)  # "large" here: 10 kB
    streamed = load_dataset(str(root), val_split=0.2)
    assert isinstance(streamed.x_train, StreamedImages) and streamed.x_train.shape[1:] == (48, 48, 3)
    # The same split; the validation and test images are read into memory as before.
    assert np.array_equal(streamed.x_test, in_memory.x_test) and np.array_equal(streamed.x_val, in_memory.x_val)
    # A broken training file is found only as it streams.
    assert len(streamed.x_train) - len(in_memory.x_train) == in_memory.skipped - streamed.skipped
    # TensorFlow decodes and resizes the files exactly as OpenCV reads them into memory
    # (PNG and JPEG alike), each image with its own label.
    batch = next(iter(streamed.x_train.batches(streamed.y_train, 64, seed=0)))
    images, labels = batch[0].numpy(), batch[1].numpy()
    assert len(images) == len(in_memory.x_train)  # every readable image once, the broken one skipped
    by_content = {in_memory.x_train[i].tobytes(): int(in_memory.y_train[i]) for i in range(len(in_memory.x_train))}
    assert all(by_content.get(images[i].astype(np.uint8).tobytes()) == labels[i] for i in range(len(images)))
    assert images.dtype == np.float32 and tf.is_tensor(batch[0])
    config = TrainConfig.for_arch("lenet5", dataset=str(root), epochs=2, batch_size=16, val_split=0.2)
    import tempfile
    from pathlib import Path

    before = set(Path(tempfile.gettempdir()).glob("cnn-studio-decoded-*"))
    result = run_training(config, data=streamed)  # the second epoch reads the decoded images back
    assert result.epochs_completed == 2 and result.test_accuracy is not None
    assert set(Path(tempfile.gettempdir()).glob("cnn-studio-decoded-*")) == before  # deleted after the run
    assert len(config.input_stats[0]) == 3  # colour: statistics from a sample of the streamed files


def test_the_test_images_stay_the_same_whatever_the_seed_and_limit_takes_a_share(tmp_path):
    from core.data.folders import split_files

    scan = scan_folder(write_image_folder(tmp_path / "shapes", per_class=40))
    _, _, test_a = split_files(scan, seed=1)
    train_b, val_b, test_b = split_files(scan, seed=2)
    assert test_a == test_b and len(test_a) == 18 and not set(test_a) & set(train_b + val_b)
    train_c, val_c, test_c = split_files(scan, seed=3, limit=51)
    assert len(train_c) + len(val_c) == 51 and set(test_c) < set(test_a) and len(test_c) == 9
