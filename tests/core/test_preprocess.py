import numpy as np
import pytest

from core.reading.preprocess import center_of_mass, fit_to_input, mnist_style, prepare, to_grayscale
from tests.digits import draw_digit


def ink_box(img, threshold=40):
    ys, xs = np.nonzero(img >= threshold)
    return xs.min(), ys.min(), xs.max(), ys.max()


def test_off_centre_digit_is_centred_by_its_centre_of_mass():
    img = draw_digit("7", scale=0.4, offset=(150, 10))  # small, in the top-right corner
    digit = mnist_style(img)
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    cx, cy = center_of_mass(digit)
    assert abs(cx - 13.5) < 0.6 and abs(cy - 13.5) < 0.6
    x0, y0, x1, y1 = ink_box(digit)
    assert max(x1 - x0, y1 - y0) + 1 in (19, 20, 21)  # longer side scaled to 20 px


def test_aspect_ratio_is_kept():
    digit = mnist_style(draw_digit("1"))
    x0, y0, x1, y1 = ink_box(digit)
    assert (y1 - y0) >= 18 and (x1 - x0) <= 8


@pytest.mark.parametrize("size", [28, 90, 1000])
def test_any_size_gives_the_same_kind_of_result(size):
    digit = mnist_style(draw_digit("0", size=size))
    assert digit.shape == (28, 28) and digit.max() > 150


def test_dark_on_light_and_light_on_dark_agree():
    dark_on_light = draw_digit("4")
    light_on_dark = 255 - dark_on_light
    a, b = mnist_style(dark_on_light), mnist_style(light_on_dark)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 2
    assert a[0, 0] == 0  # white ink on black, like MNIST


def test_empty_or_uniform_drawings_give_nothing():
    assert mnist_style(np.full((280, 280), 255, np.uint8)) is None
    assert mnist_style(np.zeros((50, 50), np.uint8)) is None
    noise = np.random.default_rng(0).integers(240, 256, (280, 280)).astype(np.uint8)
    assert mnist_style(noise) is None
    assert prepare(np.full((10, 10), 255, np.uint8)) is None


def test_specks_do_not_move_the_digit():
    clean = draw_digit("1")
    dusty = clean.copy()
    dusty[270:273, 5:8] = 0  # a speck in the corner
    assert np.abs(mnist_style(clean).astype(int) - mnist_style(dusty).astype(int)).max() <= 2


def test_grey_paper_and_colour_inputs():
    grey = draw_digit("7", ink=60, paper=170)
    assert mnist_style(grey) is not None
    bgr = np.repeat(draw_digit("7")[..., None], 3, axis=2)
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255 - draw_digit("7")  # black ink only where opaque, transparent paper
    for img in (bgr, rgba, draw_digit("7").astype(np.uint16) * 257):
        assert np.abs(mnist_style(img).astype(int) - mnist_style(draw_digit("7")).astype(int)).max() <= 3


def test_not_an_image_is_refused():
    with pytest.raises(ValueError, match="Received"):
        to_grayscale(np.zeros((5, 5, 7)))


def test_fit_to_input_adapts_size_and_channels():
    digit = mnist_style(draw_digit("0"))
    assert fit_to_input(digit, (28, 28, 1)).shape == (28, 28, 1)
    out = fit_to_input(digit, (32, 32, 3))
    assert out.shape == (32, 32, 3) and out.dtype == np.float32 and out.max() > 200


def five_with_a_separate_top_bar(size=280):
    import cv2

    img = np.full((size, size), 255, np.uint8)
    cv2.line(img, (110, 40), (200, 40), 0, 18, cv2.LINE_AA)  # the bar, not touching the body
    body = np.array([(105, 75), (100, 135), (160, 125), (195, 170), (175, 225), (100, 235)], np.int32)
    cv2.polylines(img, [body], False, 0, 18, cv2.LINE_AA)
    return img


def test_a_row_of_digits_is_split_left_to_right():
    from core.reading.preprocess import prepare_digits, split_digits

    gap = np.full((280, 40), 255, np.uint8)
    row = np.hstack([draw_digit("4"), gap, draw_digit("1"), five_with_a_separate_top_bar(), gap, draw_digit("0")])
    rng = np.random.default_rng(0)
    for y, x in rng.integers(0, [280, row.shape[1]], size=(30, 2)):  # dust
        row[y, x] = 90
    crops = split_digits(row)
    assert len(crops) == 4  # the 5's two pieces make one digit
    widths = [c.shape[1] for c in crops]
    assert widths[1] < widths[0] / 2  # the 1 is second, narrow
    prepared = prepare_digits(row, (32, 32, 3))
    assert [p[0].shape for p in prepared] == [(32, 32, 3)] * 4
    assert all(p[1].shape == (28, 28) for p in prepared)
    # each digit prepared alone matches the digit prepared from the row
    alone = mnist_style(draw_digit("0"))
    assert np.abs(prepared[3][1].astype(int) - alone.astype(int)).mean() < 8
    # a photo: light ink on a dark, uneven background reads the same
    photo = (255 - row).astype(np.float32) * 0.6 + np.linspace(20, 60, row.shape[1])[None, :]
    assert len(split_digits(photo.astype(np.uint8))) == 4
    assert split_digits(np.full((50, 200), 255, np.uint8)) == []
    assert len(split_digits(draw_digit("4"))) == 1


@pytest.mark.parametrize("width", [3, 40])
def test_thin_and_thick_strokes_give_the_same_shape(width):
    normal = mnist_style(draw_digit("7"))
    other = mnist_style(draw_digit("7", width=width))
    # the same place and size on the 28×28 field: only the stroke width differs
    assert abs(center_of_mass(other)[0] - center_of_mass(normal)[0]) < 1.5
    assert abs(center_of_mass(other)[1] - center_of_mass(normal)[1]) < 1.5
    ox0, oy0, ox1, oy1 = ink_box(other)
    assert max(ox1 - ox0, oy1 - oy0) + 1 in (19, 20, 21)
    overlap = ((other > 60) & (normal > 60)).sum() / min((other > 60).sum(), (normal > 60).sum())
    assert overlap > 0.6



def _slanted(img, shear):
    """The drawing sheared by ``shear`` (x moves by shear × height above the bottom)."""
    import cv2

    h, w = img.shape
    matrix = np.float32([[1, -shear, shear * h / 2], [0, 1, 0]])
    return cv2.warpAffine(img, matrix, (w, h), borderValue=255)


DRAWN_KINDS = {
    "thin": dict(width=4), "thick": dict(width=40), "small": dict(scale=0.35, offset=(90, 90)),
    "off-centre": dict(scale=0.5, offset=(130, 5)), "usual": {},
}


@pytest.mark.parametrize("kind", [*DRAWN_KINDS, "slanted right", "slanted left"])
def test_the_default_model_reads_every_kind_of_drawing(kind, bundled_model_path):
    """The shipped model, through the canvas's preprocessing, reads each digit drawn thin,
    thick, small, off-centre and slanted both ways."""
    from core.reading.inference import Predictor
    from core.storage.modelio import load_model
    from tests.digits import DIGIT_STROKES

    predictor = _default_predictor(bundled_model_path, Predictor, load_model)
    images = []
    for digit in DIGIT_STROKES:
        if kind.startswith("slanted"):
            img = _slanted(draw_digit(digit, scale=0.8, offset=(28, 28)), 0.25 if kind.endswith("right") else -0.2)
        else:
            img = draw_digit(digit, **DRAWN_KINDS[kind])
        images.append(prepare(img)[0])
    read = predictor.predict_batch(np.stack(images)).argmax(axis=1)
    assert [str(d) for d in read] == list(DIGIT_STROKES)


def test_a_tiny_image_is_enlarged_with_sharp_strokes():
    """A 14-pixel drawing, enlarged to MNIST's 20-pixel box, keeps strokes as dark-cored
    as the same digit drawn large (cubic, not linear, interpolation)."""
    tiny = mnist_style(draw_digit("4", size=14, width=18))
    large = mnist_style(draw_digit("4"))
    assert tiny.max() >= 230  # the stroke's core stays bright, not smeared
    a, b = tiny.astype(float).ravel(), large.astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.75


_PREDICTORS = {}


def _default_predictor(path, predictor_class, load):
    if path not in _PREDICTORS:
        _PREDICTORS[path] = predictor_class(load(path).model)
    return _PREDICTORS[path]
