"""Layers shared by every architecture: the input, its normalisation, resizing, blocks."""

from __future__ import annotations

import contextlib
import contextvars

import keras
from keras import layers

NORMALIZATIONS = {
    # name: (scale, offset) applied to raw pixels in [0, 255]
    "unit": (1.0 / 255.0, 0.0),
    "symmetric": (1.0 / 127.5, -1.0),
}
FORMS = ("reference", "compact")

_DESLANT = contextvars.ContextVar("deslant", default=False)


@contextlib.contextmanager
def deslanted_inputs(enabled: bool = True):
    """Models built within it begin with a :class:`core.models.deslant.Deslant` layer,
    before their rescaling (see :func:`model_input`), and so every factory takes the option
    without a parameter of its own."""
    token = _DESLANT.set(bool(enabled))
    try:
        yield
    finally:
        _DESLANT.reset(token)


def check_form(form: str) -> str:
    if form not in FORMS:
        raise ValueError(f"form must be 'reference' or 'compact'. Received: form={form!r}")
    return form


def model_input(input_shape, normalization: str, min_size: int = 1, resize_to: int | None = None):
    """Creates the model's input and its normalisation.

    The normalisation is a layer of the model, so a saved model carries it and every
    caller feeds raw pixels. An input smaller than ``min_size`` on a side is resized up
    with padding (like ``tf.image.resize_with_pad``) to ``resize_to`` (default
    ``min_size``), which the summary shows as the layer ``resize_with_pad``. Within
    :func:`deslanted_inputs`, the layer ``deslant`` comes first.

    Returns:
        ``(inputs, x)``: the Keras input tensor and the tensor to build on.

    Raises:
        ValueError: an unknown normalisation, or deslanting asked of a colour input.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {', '.join(NORMALIZATIONS)}. "
            f"Received: normalization={normalization!r}"
        )
    inputs = x = keras.Input(shape=tuple(input_shape), name="image")
    if _DESLANT.get():
        from core.models.deslant import Deslant

        if input_shape[-1] != 1:
            raise ValueError(f"Deslanting works on greyscale images (1 channel). Received: "
                             f"{input_shape[-1]} channels")
        x = Deslant(name="deslant")(x)
    scale, offset = NORMALIZATIONS[normalization]
    x = layers.Rescaling(scale, offset, name="rescaling")(x)
    height, width = input_shape[0], input_shape[1]
    if min(height, width) < min_size:
        side = max(resize_to or min_size, height, width)
        x = layers.Resizing(side, side, pad_to_aspect_ratio=True, name="resize_with_pad")(x)
    return inputs, x


def pixel_statistics(images, sample: int = 5_000, seed: int = 0) -> list[list[float]]:
    """Per-channel mean and standard deviation of ``uint8`` images ``(N, H, W, C)`` (an
    array, or streamed images), in pixel units, from at most ``sample`` of them:
    ``[[means…], [stds…]]``."""
    import numpy as np

    if len(images) > sample:
        images = images[np.sort(np.random.default_rng(seed).choice(len(images), sample, replace=False))]
    images = np.asarray(images)
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    return [pixels.mean(axis=0).tolist(), np.maximum(pixels.std(axis=0), 1.0).tolist()]


def standardize_input(model, stats) -> None:
    """Makes a freshly built model standardise each channel, ``(x - mean) / std``, in its
    ``rescaling`` layer, so that the saved model carries the statistics (in its config) and
    every caller still feeds raw pixels.

    Must be called before the model is compiled or called (its graph is not traced yet).

    Raises:
        ValueError: statistics that do not match the model's channels.
    """
    mean, std = (list(map(float, part)) for part in stats)
    channels = int(model.inputs[0].shape[-1])
    if len(mean) != channels or len(std) != channels or min(std) <= 0:
        raise ValueError(f"input statistics must hold {channels} means and {channels} positive standard "
                         f"deviations. Received: {stats!r}")
    layer = model.get_layer("rescaling")
    layer.scale = [1.0 / s for s in std]
    layer.offset = [-m / s for m, s in zip(mean, std)]


def classifier(x, classes: int, name: str = "predictions"):
    """An output layer: softmax kept in float32 (safe under mixed precision)."""
    return layers.Dense(classes, activation="softmax", dtype="float32", name=name)(x)


def batch_norm_layer(name: str):
    """Batch normalisation whose moving statistics settle within a few hundred steps.

    Keras's default momentum 0.99 needs about a thousand steps before inference uses
    sensible statistics, so short runs (a few epochs of a small dataset) predict one
    class; 0.9 is PyTorch's default and the tutorials'. Parameters are the same.
    """
    return layers.BatchNormalization(momentum=0.9, name=name)


def conv(x, filters, kernel, name, strides=1, padding="same", activation="relu",
         batch_norm=False, weight_decay=None):
    """conv → (bn) → activation, with layers named ``name``, ``name_bn``, ``name_relu``.

    With batch normalisation the convolution is linear and the activation follows the
    normalisation, as in the VGG-BN and ResNet papers.
    """
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                      activation=None if batch_norm else activation,
                      kernel_regularizer=regularizer, name=name)(x)
    if batch_norm:
        x = batch_norm_layer(f"{name}_bn")(x)
        if activation:
            x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x
