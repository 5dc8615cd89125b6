"""Turning a drawing or a photo of a digit into what a network expects.

The steps follow how MNIST itself was made (LeCun et al.): the digit is cropped to its
ink, scaled so that its longer side is 20 pixels (keeping the aspect ratio, with
anti-aliasing), placed in a 28×28 field and shifted so that its centre of mass is at the
centre. The result is white ink on black, like MNIST.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The classes of a digit model: what this module prepares drawings for.
DIGIT_CLASS_NAMES = tuple(str(i) for i in range(10))

MNIST_SIDE = 28
MNIST_BOX = 20
# Ink fainter than this (0-255, after background removal) counts as paper.
INK_THRESHOLD = 40
#: Strokes drawn thinner than this, in pixels of the 28×28 digit, are thickened to
#: :data:`MNIST_STROKE` first: a fine pen on a large canvas shrinks to faint one-pixel
#: lines that MNIST never shows (a LeNet-5 then read half the digits drawn with a 4 px pen
#: wrongly).
THIN_STROKE = 1.2
MNIST_STROKE = 2.0


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Returns a ``uint8`` greyscale copy of a greyscale, BGR or BGRA image of any dtype.

    Transparent pixels of a BGRA image are composited onto white (paper).

    Raises:
        ValueError: when the array is not an image.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)) or image.size == 0:
        raise ValueError(f"Expected a greyscale, BGR or BGRA image. Received: shape={image.shape}")
    if image.dtype == np.uint8:
        img = image.astype(np.float32)
    elif np.issubdtype(image.dtype, np.integer):
        img = image.astype(np.float32) * (255.0 / np.iinfo(image.dtype).max)
    else:
        img = np.nan_to_num(image.astype(np.float32))
        if img.max(initial=0.0) <= 1.0:
            img = img * 255.0
    if img.ndim == 3:
        color = img[..., :3]
        gray = color @ np.array([0.114, 0.587, 0.299], dtype=np.float32)  # BGR weights
        if img.shape[2] == 4:
            alpha = img[..., 3] / 255.0
            gray = gray * alpha + 255.0 * (1.0 - alpha)
        img = gray
    return np.clip(img, 0, 255).astype(np.uint8)


def ink_on_black(gray: np.ndarray) -> np.ndarray:
    """Makes ink white on black, whatever the polarity, and removes the background level.

    The background is taken as the median of the image's border: when it is light the
    image is inverted. Its level is then subtracted and the contrast stretched, so that a
    photo of grey paper gives a black background.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    img = gray.astype(np.float32)
    if background > 127:
        img = 255.0 - img
        background = 255.0 - background
    img = np.clip(img - background, 0, None)
    peak = float(img.max(initial=0.0))
    if peak > 0:
        img *= 255.0 / peak
    # Contrast is stretched only for ink clearly above the paper's noise.
    if peak < INK_THRESHOLD:
        img[:] = 0
    return img.astype(np.uint8)


def remove_specks(ink: np.ndarray, min_fraction: float = 0.02) -> np.ndarray:
    """Clears connected blobs of ink much smaller than the largest one (dust, noise)."""
    mask = (ink >= INK_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 2:
        return ink
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, dtype=bool)
    keep[1:] = areas >= max(2, min_fraction * areas.max())
    # Dilated, so the faint anti-aliased edge of a kept stroke stays with it.
    kept = cv2.dilate(keep[labels].astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.where(kept > 0, ink, 0).astype(ink.dtype)


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    """Returns ``(x, y)`` of the intensity-weighted centre of an image."""
    m = cv2.moments(img.astype(np.float32))
    if m["m00"] == 0:
        h, w = img.shape
        return (w - 1) / 2.0, (h - 1) / 2.0
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def mnist_style(image: np.ndarray) -> np.ndarray | None:
    """Turns a drawing or photo of one digit into a 28×28 MNIST-like image.

    Args:
        image: greyscale, BGR or BGRA array of any size and dtype; dark ink on light
            paper or light ink on dark.

    Returns:
        A ``uint8`` array of shape (28, 28), white ink on black, or None when there is no
        ink (an empty drawing gets no prediction).
    """
    found = mnist_style_with_transform(image)
    return None if found is None else found[0]


def stroke_width(mask: np.ndarray) -> float:
    """The mean width of the strokes of a binary image, in pixels: twice the ink's area
    over its outline's length (a stroke of length L and width w has area L·w and an
    outline of about 2·L)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(mask.sum()) / outline if outline > 0 else 0.0


def thicken_thin_strokes(ink: np.ndarray, mask: np.ndarray, scale: float) -> tuple[np.ndarray, int]:
    """Widens strokes that would be thinner than :data:`THIN_STROKE` once the digit is
    scaled by ``scale``, to about :data:`MNIST_STROKE` (a dilation by a disc).

    Returns:
        The ink, padded by a margin on every side when widened, and that margin (0 when
        the strokes were wide enough and the ink is returned as it was).
    """
    width = stroke_width(mask)
    if width * scale >= THIN_STROKE:
        return ink, 0
    grow = int(round(MNIST_STROKE / scale - width))
    if grow < 2:
        return ink, 0
    size = grow | 1  # odd: the disc has a centre pixel
    margin = size
    padded = cv2.copyMakeBorder(ink, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(padded, disc), margin


def mnist_style_with_transform(image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`mnist_style`, and the 2×3 affine matrix that maps a point ``(x, y)`` of
    ``image`` to where it lands in the 28×28 digit (to map results back onto the drawing).
    """
    ink = remove_specks(ink_on_black(to_grayscale(image)))
    mask = ink >= INK_THRESHOLD
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    ink, margin = thicken_thin_strokes(
        ink, mask, MNIST_BOX / max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))
    if margin:
        ys, xs = np.nonzero(ink >= INK_THRESHOLD)
    crop = ink[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    ys, xs = ys - margin, xs - margin  # back in the image's own coordinates
    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # Enlarging a small image (a tiny photo, a low-resolution scan): cubic keeps its
    # strokes sharper than linear; 1.0 points more of the UCI digits read right.
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    digit = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    field = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    top, left = (MNIST_SIDE - new_h) // 2, (MNIST_SIDE - new_w) // 2
    field[top: top + new_h, left: left + new_w] = digit
    cx, cy = center_of_mass(field)
    centre = (MNIST_SIDE - 1) / 2.0
    shift = np.float32([[1, 0, centre - cx], [0, 1, centre - cy]])
    field = cv2.warpAffine(field, shift, (MNIST_SIDE, MNIST_SIDE), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    sx, sy = new_w / w, new_h / h
    transform = np.float32([
        [sx, 0, left - xs.min() * sx + (sx - 1) / 2 + centre - cx],
        [0, sy, top - ys.min() * sy + (sy - 1) / 2 + centre - cy],
    ])
    return np.clip(field, 0, 255).round().astype(np.uint8), transform


def fit_to_input(digit: np.ndarray, input_shape) -> np.ndarray:
    """Adapts a 28×28 digit to a model's input shape (H, W, C), as float32 pixels 0-255."""
    height, width, channels = (int(v) for v in input_shape)
    img = digit.astype(np.float32)
    if (height, width) != img.shape:
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.repeat(img[..., None], channels, axis=2)


def prepare(image: np.ndarray, input_shape=(28, 28, 1)) -> tuple[np.ndarray, np.ndarray] | None:
    """Preprocesses a drawing for a model.

    Returns:
        ``(model_input, digit)``: the float32 array of ``input_shape`` to feed and the
        28×28 ``uint8`` digit it came from (to show the user), or None for an empty
        drawing.
    """
    digit = mnist_style(image)
    if digit is None:
        return None
    return fit_to_input(digit, input_shape), digit


#: Two pieces of ink belong to one digit when their columns overlap by at least this
#: fraction of the narrower one (a 5's separate top bar, a 4 drawn in two strokes).
SAME_DIGIT_OVERLAP = 0.5


def split_digits(image: np.ndarray) -> list[np.ndarray]:
    """Splits an image of digits written in a row into one image per digit, left to right.

    Pieces of ink (connected components, specks removed) whose columns overlap belong to
    the same digit; digits that touch stay one piece.

    Args:
        image: greyscale, BGR or BGRA array; dark ink on light paper or the reverse.

    Returns:
        White-on-black ``uint8`` crops, one per digit (each with a margin), to give to
        :func:`mnist_style`; an empty list when there is no ink.
    """
    ink = remove_specks(ink_on_black(to_grayscale(image)))
    mask = (ink >= INK_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pieces = sorted(range(1, count), key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    groups: list[list[int]] = []  # component labels per digit
    spans: list[list[int]] = []  # [left, right] columns per digit
    for i in pieces:
        left = int(stats[i, cv2.CC_STAT_LEFT])
        right = left + int(stats[i, cv2.CC_STAT_WIDTH]) - 1
        if spans:
            g_left, g_right = spans[-1]
            overlap = min(right, g_right) - max(left, g_left) + 1
            narrower = min(right - left + 1, g_right - g_left + 1)
            if overlap >= SAME_DIGIT_OVERLAP * narrower:
                groups[-1].append(i)
                spans[-1] = [min(left, g_left), max(right, g_right)]
                continue
        groups.append([i])
        spans.append([left, right])
    # Keep the faint anti-aliased edges of each digit's strokes.
    near = cv2.dilate(labels.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int32)
    crops = []
    for members in groups:
        own = np.isin(labels, members) | (np.isin(near, members) & (mask == 0))
        ys, xs = np.nonzero(own)
        margin = max(2, (ys.max() - ys.min()) // 10)
        top, left = max(0, ys.min() - margin), max(0, xs.min() - margin)
        bottom, right = ys.max() + margin + 1, xs.max() + margin + 1
        crops.append(np.where(own, ink, 0)[top:bottom, left:right].astype(np.uint8))
    return crops


def prepare_digits(image: np.ndarray, input_shape=(28, 28, 1)) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`prepare` for each digit of a row of digits, left to right (see
    :func:`split_digits`)."""
    prepared = []
    for crop in split_digits(image):
        digit = mnist_style(crop)
        if digit is not None:
            prepared.append((fit_to_input(digit, input_shape), digit))
    return prepared


def ink_for_canvas(path, longest_side: int) -> np.ndarray | None:
    """The ink of an image file as white on black, shrunk so that its longer side is at
    most ``longest_side`` (a photo is large, the canvas small), or None when it holds no
    ink that could be a digit.

    Raises:
        core.reading.imagefiles.ImageFileError, ValueError: the file cannot be read as an image.
    """
    from core.reading.imagefiles import read_image

    gray = to_grayscale(read_image(path))
    if max(gray.shape) > longest_side:
        factor = longest_side / max(gray.shape)
        size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    ink = ink_on_black(gray)
    return ink if ink.max() >= INK_THRESHOLD else None
