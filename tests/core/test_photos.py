"""Photos read by models of photos: the whole image at the model's size and colour, no
digit preparation."""

import numpy as np
import pytest

from core.reading.photos import is_photo_model, photo_input, photo_rgb


def test_any_stored_image_becomes_an_rgb_photo():
    bgr = np.zeros((10, 20, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's order
    assert tuple(photo_rgb(bgr)[0, 0]) == (0, 0, 200)
    grey = np.full((4, 4), 77, np.uint8)
    assert photo_rgb(grey).shape == (4, 4, 3) and tuple(photo_rgb(grey)[1, 1]) == (77, 77, 77)
    bgra = np.zeros((4, 4, 4), np.uint8)  # black but fully transparent: white paper shows
    assert tuple(photo_rgb(bgra)[0, 0]) == (255, 255, 255)
    deep = np.full((4, 4), 65535, np.uint16)
    assert photo_rgb(deep).dtype == np.uint8 and photo_rgb(deep)[0, 0, 0] == 255
    assert photo_rgb(np.zeros((2000, 1000, 3), np.uint8), longest_side=512).shape == (512, 256, 3)
    with pytest.raises(ValueError, match="Received"):
        photo_rgb(np.zeros((4, 4, 2), np.uint8))


def test_a_photo_is_read_at_the_models_size_and_colour():
    rgb = np.zeros((64, 48, 3), np.uint8)
    rgb[:32] = (255, 0, 0)
    colour = photo_input(rgb, (32, 24, 3))
    assert colour.shape == (32, 24, 3) and tuple(colour[0, 0]) == (255, 0, 0) and tuple(colour[-1, -1]) == (0, 0, 0)
    grey = photo_input(rgb, (16, 16, 1))
    assert grey.shape == (16, 16, 1) and grey[0, 0, 0] == 76  # red's luminance


def test_a_model_of_photos_reads_the_whole_photo_and_a_digit_model_the_ink(bundled_model_path):
    from core.reading.inference import Predictor, read_file_image
    from core.storage.modelio import load_model
    from core.models.registry import build_model
    from tests.digits import draw_digit

    assert is_photo_model(["cat", "dog"]) and not is_photo_model([str(i) for i in range(10)])
    photos = Predictor(build_model("lenet5", (32, 32, 3), 3, form="compact"), ["circle", "cross", "square"])
    bgr = np.full((100, 80, 3), 255, np.uint8)
    reading = read_file_image(photos, bgr)
    assert reading.images.shape == (1, 32, 32, 3) and reading.text in ("circle", "cross", "square")
    assert reading.probabilities.shape == (1, 3)
    digits = load_model(bundled_model_path)
    reading = read_file_image(Predictor(digits.model, digits.class_names), draw_digit("3"))
    assert reading.text == "3" and reading.images.shape == (1, 28, 28)
