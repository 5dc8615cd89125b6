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
