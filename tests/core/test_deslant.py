"""Deslanting by image moments: a layer of digit models, on by default for digit datasets."""

import numpy as np
import pytest

from core.training.config import TrainConfig
from core.reading.preprocess import prepare
from tests.digits import draw_digit


def slanted(img, shear):
    import cv2

    h, w = img.shape
    return cv2.warpAffine(img, np.float32([[1, -shear, shear * h / 2], [0, 1, 0]]), (w, h), borderValue=255)


def moments(image):
    import cv2

    return cv2.moments(np.asarray(image, np.float32).reshape(image.shape[0], image.shape[1]))


def deslanted(images):
    from core.models.deslant import Deslant

    return Deslant()(np.asarray(images, np.float32)).numpy()


@pytest.mark.parametrize("shear", [0.35, -0.3])
@pytest.mark.parametrize("digit", ["1", "4", "7"])
def test_a_slanted_drawing_is_stood_upright_about_its_centre(digit, shear):
    upright = prepare(draw_digit(digit, width=18, scale=0.8, offset=(28, 28)), (28, 28, 1))[0]
    leaning = prepare(slanted(draw_digit(digit, width=18, scale=0.8, offset=(28, 28)), shear), (28, 28, 1))[0]
    before = moments(leaning)
    assert abs(before["mu11"] / before["mu02"]) > 0.1  # it does lean
    out = deslanted(leaning[None])[0]
    after = moments(out)
    assert abs(after["mu11"] / after["mu02"]) < 0.02
    assert after["m01"] / after["m00"] == pytest.approx(before["m01"] / before["m00"], abs=0.05)
    assert after["m00"] == pytest.approx(before["m00"], rel=0.05)  # ink kept, not cut off
    # Closer to the upright drawing's straightened self than the leaning one was.
    target = deslanted(upright[None])[0]
    assert np.abs(out - target).mean() < 0.6 * np.abs(leaning - target).mean()


def test_upright_and_empty_images_pass_unchanged():
    bar = np.zeros((1, 28, 28, 1), np.float32)
    bar[0, 4:24, 13:15] = 255.0  # a vertical stroke: no slant at all
    np.testing.assert_allclose(deslanted(bar), bar, atol=1e-3)
    empty = np.zeros((2, 28, 28, 1), np.float32)
    assert not deslanted(empty).any()
    flat = np.zeros((1, 28, 28, 1), np.float32)
    flat[0, 14, 4:24] = 255.0  # a horizontal stroke has no vertical spread: left alone
    np.testing.assert_allclose(deslanted(flat), flat, atol=1e-3)


def test_a_model_built_deslanted_carries_the_layer_through_a_file(tmp_path):
    from core.storage.modelio import load_model
    from core.models.registry import build_model

    model = build_model("lenet5", (28, 28, 1), 10, form="compact", deslant=True)
    assert [layer.name for layer in model.layers][:3] == ["image", "deslant", "rescaling"]
    plain = build_model("lenet5", (28, 28, 1), 10, form="compact")
    assert model.count_params() == plain.count_params()
    from core.models.summary import summarize

    rows = {row.name: row for row in summarize(model).rows}
    assert rows["deslant"].macs == 28 * 28 * 28  # its matmul counts in the Layers tab
    assert summarize(model).macs == summarize(plain).macs + 28 * 28 * 28
    path = tmp_path / "deslanted.keras"
    model.save(path)
    loaded = load_model(path).model
    assert loaded.get_layer("deslant")
    x = prepare(slanted(draw_digit("7", width=18), 0.3), (28, 28, 1))[0][None]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    # Its own graph: a layer's maps can be probed (the Activations view), and it converts to
    # TensorFlow Lite (no image-transform op).
    from core.inspect.explain import feature_map_layers, feature_maps

    assert feature_map_layers(model)[:2] == ["deslant", "block1_conv1"]
    assert feature_maps(model, x[0], "block1_conv1").shape == (26, 26, 6)
    with pytest.raises(ValueError, match="greyscale"):
        build_model("lenet5", (32, 32, 3), 10, form="compact", deslant=True)


def test_a_reading_shows_the_digit_as_the_deslanting_network_reads_it():
    """The canvas's "The network sees" image: upright, as the model's first layer made it,
    for one digit and for each digit of a row; the probabilities are the model's own."""
    from core.reading.inference import Predictor, read_digits
    from core.models.registry import build_model

    model = build_model("lenet5", (28, 28, 1), 10, form="compact", deslant=True)
    predictor = Predictor(model)
    assert predictor.deslants
    drawing = slanted(draw_digit("1", width=18, scale=0.8, offset=(28, 28)), 0.35)
    reading = read_digits(predictor, drawing)
    model_input, digit = prepare(drawing, (28, 28, 1))
    np.testing.assert_allclose(reading.probabilities[0], model.predict(model_input[None], verbose=0)[0], atol=1e-5)
    assert reading.images.shape == (1, 28, 28) and reading.images.dtype == np.uint8
    lean = moments(digit)
    seen = moments(reading.images[0])
    assert abs(lean["mu11"] / lean["mu02"]) > 0.1
    assert abs(seen["mu11"] / seen["mu02"]) < 0.03
    np.testing.assert_allclose(reading.images[0], np.clip(np.rint(deslanted(model_input[None])[0, ..., 0]), 0, 255), atol=1)
    row = np.full((280, 560), 255, np.uint8)
    row[:, :280], row[:, 280:] = drawing, slanted(draw_digit("7", width=18, scale=0.8, offset=(28, 28)), 0.35)
    two = read_digits(predictor, row, split=True)
    assert two.images.shape == (2, 28, 28) and two.probabilities.shape == (2, 10)
    assert all(abs(moments(image)["mu11"] / moments(image)["mu02"]) < 0.03 for image in two.images)


def test_digit_datasets_deslant_by_default_and_colour_refuses_it():
    assert TrainConfig.for_arch("lenet5").deslant
    assert TrainConfig.for_arch("lenet5").model_options()["deslant"] is True
    assert not TrainConfig.for_arch("lenet5", dataset="fashion_mnist").deslant
    assert not TrainConfig.for_arch("resnet18", dataset="cifar10").deslant
    assert not TrainConfig.for_arch("lenet5", deslant=False).model_options().get("deslant")
    errors = TrainConfig.for_arch("resnet18", dataset="cifar10", deslant=True).errors()
    assert "in colour" in errors["deslant"]
    assert "true or false" in TrainConfig(deslant="yes").errors()["deslant"]


def test_float16_precision_deslants_as_float32():
    from core.models.deslant import Deslant

    leaning = prepare(slanted(draw_digit("1", width=18, scale=0.8, offset=(28, 28)), 0.35), (28, 28, 1))[0][None]
    half = Deslant(dtype="mixed_float16")(leaning).numpy()
    assert half.dtype == np.float16 and np.isfinite(half).all()
    np.testing.assert_allclose(half.astype(np.float32), deslanted(leaning), atol=0.5)
