"""Reading a photo with a model of photos (CIFAR-10, Fashion-MNIST, a folder of images):
no digit preparation, just the image at the model's size and colour, as the training
images were read (area interpolation, RGB or grey)."""

from __future__ import annotations

import cv2
import numpy as np

from core.reading.preprocess import DIGIT_CLASS_NAMES

#: The longest side a photo is kept at for showing (and reading) in the window.
DISPLAY_SIDE = 512


def is_photo_model(class_names) -> bool:
    """Whether a model reads photos (its classes are not the digits 0-9)."""
    return tuple(class_names) != DIGIT_CLASS_NAMES


def photo_rgb(image: np.ndarray, longest_side: int = DISPLAY_SIDE) -> np.ndarray:
    """An image as read by :func:`core.reading.imagefiles.read_image` (grey, BGR or BGRA, 8 or 16
    bits) as an RGB ``uint8`` photo, transparent pixels on white, at most ``longest_side``
    pixels on its longest side.

    Raises:
        ValueError: the array is not an image.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)) or image.size == 0:
        raise ValueError(f"Expected a greyscale, BGR or BGRA image. Received: shape={image.shape}")
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / np.iinfo(image.dtype).max) \
            if np.issubdtype(image.dtype, np.integer) else np.clip(image * 255.0, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255.0
        rgb = (image[..., 2::-1].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    else:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    scale = longest_side / max(rgb.shape[:2])
    if scale < 1:
        rgb = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


def photo_input(rgb: np.ndarray, input_shape) -> np.ndarray:
    """An RGB ``uint8`` photo at a model's input shape (H, W, C): resized with area
    interpolation, grey when the model takes one channel; ``uint8``."""
    height, width, channels = (int(d) for d in input_shape)
    image = cv2.resize(np.ascontiguousarray(rgb, dtype=np.uint8), (width, height), interpolation=cv2.INTER_AREA)
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None]
    return image
