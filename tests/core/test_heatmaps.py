"""Grad-CAM and occlusion beside saliency, on the bundled LeNet-5 and a colour model."""

import numpy as np
import pytest

from core.inspect.heatmaps import (METHODS, default_gradcam_layer, explain_input, explain_picture, gradcam,
                                   heat_overlay, heat_summary, occlusion)
from tests.digits import draw_digit


@pytest.fixture(scope="module")
def lenet():
    from core.storage.modelio import load_model
    from tests.helpers import BUNDLED_MODEL

    return load_model(BUNDLED_MODEL).model


@pytest.mark.parametrize("method", ["gradcam", "occlusion"])
def test_a_digit_drawn_in_one_half_gets_the_mass_there(lenet, method):
    for side, half in ((-45, "left"), (155, "right")):
        for digit in "0123456789":
            drawing = draw_digit(digit, offset=(side, 30), scale=0.6, width=24)
            explained = explain_picture(lenet, drawing, method, photo=False)
            assert explained.heat.shape == drawing.shape and explained.heat.max() == pytest.approx(1.0)
            summary = heat_summary(explained.heat)
            assert summary["halves"][half] > 0.95, (digit, half, summary)
            ys, xs = np.nonzero(drawing < 128)
            centre = summary["centre_of_mass"]  # …near the digit, not in a corner of the half
            assert xs.min() - 20 <= centre["x"] <= xs.max() + 20 and ys.min() - 20 <= centre["y"] <= ys.max() + 20


def test_occlusion_finds_the_strokes_that_make_the_digit(lenet):
    """Covering the ink lowers the score, covering the background barely does: most of the
    occlusion map lies within the ink's bounding box."""
    on_box = []
    for digit in "0123456789":
        drawing = draw_digit(digit, offset=(-56, 30), scale=0.6, width=24)
        heat = explain_picture(lenet, drawing, "occlusion", photo=False).heat
        ys, xs = np.nonzero(drawing < 128)
        on_box.append(heat[ys.min():ys.max() + 1, xs.min():xs.max() + 1].sum() / heat.sum())
    assert np.median(on_box) > 0.6, on_box


def test_gradcam_weighs_the_last_convolution_placed_by_its_receptive_fields(lenet):
    assert default_gradcam_layer(lenet) == "block2_conv1"  # before the pooling: its maps are finer
    x = np.zeros((28, 28, 1), np.float32)
    x[4:24, 12:16] = 255  # a "1"
    cam = gradcam(lenet, x)
    assert cam.shape == (28, 28) and cam.dtype == np.float32 and cam.min() >= 0
    same = gradcam(lenet, x, layer="block1_conv1")
    assert same.shape == (28, 28)
    with pytest.raises(ValueError, match="Received: layer='fc1'"):
        gradcam(lenet, x, layer="fc1")


def test_occlusion_covers_the_image_with_patches(lenet):
    x = np.zeros((28, 28, 1), np.float32)
    x[4:24, 12:16] = 255
    heat = occlusion(lenet, x)
    assert heat.shape == (28, 28) and heat.max() == pytest.approx(1.0)
    assert heat[:, 10:18].mean() > heat[:, :4].mean()  # the stroke matters more than the margin


def test_an_mlp_has_no_maps_for_gradcam_but_the_other_methods_work():
    import keras

    from core.models.registry import build_model

    keras.utils.set_random_seed(0)
    mlp = build_model("mlp", (28, 28, 1), 10, form="compact")
    x = np.random.default_rng(0).uniform(0, 255, (28, 28, 1)).astype(np.float32)
    with pytest.raises(ValueError, match="no convolution"):
        explain_input(mlp, x, "gradcam")
    for method in ("saliency", "occlusion"):
        assert explain_input(mlp, x, method).shape == (28, 28)
    with pytest.raises(ValueError, match="Received: method='lime'"):
        explain_input(mlp, x, "lime")
    assert set(METHODS) == {"saliency", "gradcam", "occlusion"}


def test_a_colour_model_explains_a_photo_at_the_photos_size():
    import keras

    from core.models.registry import build_model

    keras.utils.set_random_seed(0)
    model = build_model("lenet5", (32, 32, 3), 10, form="compact")
    photo = np.zeros((90, 120, 3), np.uint8)
    photo[20:70, 10:50] = (220, 40, 40)  # a red block on the left
    for method in METHODS:
        explained = explain_picture(model, photo, method, photo=True)
        assert explained.heat.shape == (90, 120)
        assert explained.model_heat.shape == (32, 32)
    overlay = heat_overlay(photo, explained.heat)
    assert overlay.shape == (90, 120, 3) and overlay.dtype == np.uint8


def test_heat_summary_says_where_the_mass_lies():
    heat = np.zeros((10, 20), np.float32)
    heat[2, 3] = 1.0
    heat[6, 3] = 1.0
    summary = heat_summary(heat)
    assert summary["width"] == 20 and summary["height"] == 10
    assert summary["centre_of_mass"] == {"x": 3.0, "y": 4.0}
    assert summary["halves"] == {"left": 1.0, "right": 0.0, "top": 0.5, "bottom": 0.5}
    assert heat_summary(np.zeros((4, 4)))["centre_of_mass"] is None
