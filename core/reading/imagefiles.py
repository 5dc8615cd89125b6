"""Reading image files (PNG, JPEG, BMP, TIFF…) with errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

MAX_PIXELS = 100_000_000


class ImageFileError(ValueError):
    """An image file cannot be used; the message names the file and the reason."""


def read_image(path) -> np.ndarray:
    """Reads an image file as it is stored (greyscale, BGR or BGRA; 8 or 16 bits).

    Raises:
        ImageFileError: when the file is missing, empty, not an image, or too large.
    """
    path = Path(path)
    if not path.exists():
        raise ImageFileError(f"{path}: no such file.")
    if path.is_dir():
        raise ImageFileError(f"{path}: is a folder, not an image.")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ImageFileError(f"{path}: cannot be read ({e.strerror or e}).") from e
    if data.size == 0:
        raise ImageFileError(f"{path}: the file is empty.")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageFileError(f"{path}: not an image that can be read (PNG, JPEG, BMP, TIFF, WebP).")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageFileError(f"{path}: {image.shape[1]}×{image.shape[0]} pixels is too large to read.")
    return image


def read_image_at(path: Path, input_shape) -> np.ndarray | None:
    """One image file at ``input_shape`` (H, W, C): RGB or grey ``uint8``, resized with area
    interpolation (how a folder of images is read for training), or None when unreadable."""
    height, width, channels = input_shape
    image = cv2.imread(str(path), cv2.IMREAD_COLOR if channels == 3 else cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image[..., None]
