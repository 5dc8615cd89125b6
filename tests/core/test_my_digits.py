"""My digits: labelled drawings saved as a folder dataset, and the dataset that mixes
them with MNIST."""

import cv2
import numpy as np
import pytest

from core.data.datasets import DatasetUnavailableError, availability, load_dataset
from core.data.my_digits import (MIN_EXAMPLES, OWN_SHARE, REPLAY_IMAGES, counts, load_examples, save_example)
from tests.digits import draw_digit


@pytest.fixture
def folder(tmp_path, monkeypatch):
    path = tmp_path / "My digits"
    monkeypatch.setenv("CNN_STUDIO_MY_DIGITS", str(path))
    return path


def test_a_drawing_is_kept_as_seen_and_as_drawn(folder):
    seen = save_example("7", draw_digit("7"))
    assert seen.parent == folder / "seen" / "7"
    assert cv2.imread(str(seen), cv2.IMREAD_GRAYSCALE).shape == (28, 28)
    (drawn,) = (folder / "drawn" / "7").iterdir()
    assert drawn.name == seen.name and cv2.imread(str(drawn), cv2.IMREAD_GRAYSCALE).shape == (280, 280)
    assert counts() == {**{d: 0 for d in "0123456789"}, "7": 1}
    with pytest.raises(ValueError, match="A label is a digit"):
        save_example("x", draw_digit("7"))
    with pytest.raises(ValueError, match="empty"):
        save_example("7", np.full((280, 280), 255, np.uint8))


def test_unreadable_files_are_skipped_and_counted(folder):
    for d in "01":
        save_example(d, draw_digit(d))
    (folder / "seen" / "1" / "broken.png").write_bytes(b"not a png")
    x, y, skipped = load_examples()
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.uint8 and sorted(y) == [0, 1] and skipped == 1


def test_my_digits_needs_enough_drawings_of_two_digits(folder):
    for _ in range(MIN_EXAMPLES):
        save_example("1", draw_digit("1"))
    assert "of two digits or more" in availability("my_digits")
    with pytest.raises(DatasetUnavailableError, match="This is a"):
        load_dataset("my_digits")
    save_example("0", draw_digit("0"))
    assert availability("my_digits") is None


def test_the_dataset_mixes_my_digits_with_mnist(folder):
    for d in "0147":
        for width in (8, 18, 28):
            save_example(d, draw_digit(d, width=width))
    data = load_dataset("my_digits", seed=1)
    n_val = len(data.x_val)
    assert n_val >= 2 and len(data.x_val) + 0 == len(data.y_val)
    own = 12 - n_val
    extra = len(data.x_train) - REPLAY_IMAGES
    assert extra % own == 0 and abs(extra / len(data.x_train) - OWN_SHARE) < 0.05  # a quarter of the mix
    assert data.x_train.shape[1:] == (28, 28, 1) and data.x_test.shape == (10000, 28, 28, 1)
    assert set(data.y_val) <= {0, 1, 4, 7} and data.info.name == "My digits"
