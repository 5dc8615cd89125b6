"""Saliency and feature maps on the bundled LeNet-5."""

import numpy as np
import pytest

from core.inspect.explain import feature_grid, feature_map_layers, feature_maps, saliency, saliency_on_drawing
from core.reading.preprocess import mnist_style_with_transform, prepare
from tests.digits import draw_digit


@pytest.fixture(scope="module")
def lenet(request):
    from core.storage.modelio import load_model
    from tests.helpers import BUNDLED_MODEL

    return load_model(BUNDLED_MODEL).model


def test_the_transform_maps_the_drawing_onto_the_digit():
    drawing = draw_digit("7", offset=(60, -20), scale=0.6)
    digit, transform = mnist_style_with_transform(drawing)
    ys, xs = np.nonzero(drawing < 128)
    u, v = transform @ np.array([xs.mean(), ys.mean(), 1.0])
    assert abs(u - 13.5) < 1.0 and abs(v - 13.5) < 1.0  # the ink's centre lands at the centre
    corner = transform @ np.array([xs.min(), ys.min(), 1.0])
    assert corner.min() >= 2.5  # the crop sits inside the 28×28 field, with the MNIST margin


def test_saliency_lights_up_the_ink_and_maps_back_onto_the_drawing(lenet):
    drawing = draw_digit("7")
    model_input, digit = prepare(drawing, (28, 28, 1))
    sal = saliency(lenet, model_input)
    assert sal.shape == (28, 28) and sal.dtype == np.float32
    assert sal.max() == pytest.approx(1.0) and sal.min() >= 0
    near_ink = digit > 0
    assert sal[near_ink].mean() > 1.8 * sal[~near_ink].mean()
    _, transform = mnist_style_with_transform(drawing)
    back = saliency_on_drawing(sal, transform, drawing.shape)
    assert back.shape == (280, 280) and back.max() == pytest.approx(1.0)
    import cv2

    ink = drawing < 128
    assert back[ink].mean() > 1.8 * back[~ink].mean()
    # the strongest pixel of the digit lands on the strongest place of the drawing
    v, u = np.unravel_index(sal.argmax(), sal.shape)
    x, y = cv2.invertAffineTransform(transform) @ np.array([u, v, 1.0])
    assert back[int(round(y)), int(round(x))] > 0.8


def test_feature_maps_of_a_chosen_layer_as_a_grid(lenet):
    layers = feature_map_layers(lenet)
    assert layers and all(lenet.get_layer(n).output.shape[1] > 1 for n in layers)
    model_input, _ = prepare(draw_digit("4"), (28, 28, 1))
    first = layers[0]
    maps = feature_maps(lenet, model_input, first)
    expected = tuple(lenet.get_layer(first).output.shape[1:])
    assert maps.shape == expected and maps.std() > 0
    grid = feature_grid(maps, cell=20, gap=2)
    columns = int(np.ceil(np.sqrt(maps.shape[-1])))
    assert grid.dtype == np.uint8 and grid.shape[1] == columns * 22 - 2
    with pytest.raises(ValueError, match="no layer of feature maps named 'nope'"):
        feature_maps(lenet, model_input, "nope")


def test_precision_recall_and_f1_of_each_class_and_their_macro_means():
    from core.inspect.evaluation import class_scores, evaluation_rows

    # rows: true class; columns: predicted. Class 2 is never predicted, class 3 never occurs.
    matrix = [[8, 2, 0, 0],
              [1, 4, 0, 0],
              [1, 1, 0, 0],
              [0, 0, 0, 0]]
    scores = class_scores(matrix)
    assert scores["precision"] == [0.8, 4 / 7, None, None]
    assert scores["recall"] == [0.8, 0.8, 0.0, None]
    assert scores["f1"][0] == pytest.approx(0.8) and scores["f1"][1] == pytest.approx(2 / 3)
    assert scores["f1"][2] == 0.0 and scores["f1"][3] is None  # never found: 0; never there: undefined
    assert scores["macro"]["precision"] == pytest.approx((0.8 + 4 / 7) / 2)
    assert scores["macro"]["recall"] == pytest.approx(1.6 / 3)
    rows = evaluation_rows({**scores, "confusion_matrix": matrix, "count": 17, "accuracy": 12 / 17}, "abcd")
    assert rows[0] == ["class", "test images", "precision", "recall", "f1"]
    assert rows[3] == ["c", 2, "", "0.0000", "0.0000"] and rows[-1] == ["accuracy", 17, "", "0.7059", ""]
    assert rows[-2][0] == "macro average" and rows[-2][1] == 17
