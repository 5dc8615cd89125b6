"""Layers shared by every architecture: the input, its normalisation, resizing."""

from __future__ import annotations

import keras
from keras import layers

NORMALIZATIONS = {
    # name: (scale, offset) applied to raw pixels in [0, 255]
    "unit": (1.0 / 255.0, 0.0),
    "symmetric": (1.0 / 127.5, -1.0),
}


def model_input(input_shape, normalization: str, min_size: int = 1):
    """Creates the model's input and its normalisation.

    The normalisation is a layer of the model, so a saved model carries it and every
    caller feeds raw pixels. An input smaller than ``min_size`` on a side is resized
    up with padding (like ``tf.image.resize_with_pad``), which the summary shows.

    Returns:
        ``(inputs, x)``: the Keras input tensor and the tensor to build on.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {', '.join(NORMALIZATIONS)}. "
            f"Received: normalization={normalization!r}"
        )
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    scale, offset = NORMALIZATIONS[normalization]
    x = layers.Rescaling(scale, offset, name="rescaling")(inputs)
    height, width = input_shape[0], input_shape[1]
    if min(height, width) < min_size:
        side = max(min_size, height, width)
        x = layers.Resizing(side, side, pad_to_aspect_ratio=True, name="resize_with_pad")(x)
    return inputs, x


def classifier(x, classes: int):
    """The output layer: softmax kept in float32 (safe under mixed precision)."""
    return layers.Dense(classes, activation="softmax", dtype="float32", name="predictions")(x)
