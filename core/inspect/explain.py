"""Seeing why a network reads a drawing as it does: saliency and feature maps.

Saliency is the gradient of the predicted class's score with respect to the input pixels
(Simonyan, Vedaldi & Zisserman, 2014, "Deep Inside Convolutional Networks"), averaged
over a few noisy copies of the input (SmoothGrad, Smilkov et al., 2017), which gives a
far less speckled map. Everything here runs eagerly: no graph is built, so it may run
while another thread trains.
"""

from __future__ import annotations

import weakref

import cv2
import numpy as np

SMOOTHGRAD_SAMPLES = 8
SMOOTHGRAD_NOISE = 0.1  # of the input's range


def saliency(model, model_input: np.ndarray, class_index: int | None = None, seed: int = 0) -> np.ndarray:
    """How much each input pixel drove the score of ``class_index`` (default: the top class).

    Args:
        model: a Keras model taking raw pixels and returning class probabilities.
        model_input: one input, shape (H, W, C), float pixels 0-255.
        class_index: the class to explain; None for the predicted one.

    Returns:
        A float32 map of shape (H, W), 0 to 1 (1 at the most important pixel).
    """
    import tensorflow as tf

    x = np.asarray(model_input, dtype=np.float32)[None]
    if class_index is None:
        class_index = int(np.asarray(model(x, training=False))[0].argmax())
    rng = np.random.default_rng(seed)
    spread = SMOOTHGRAD_NOISE * max(1.0, float(x.max() - x.min()))
    noisy = x + rng.normal(0.0, spread, size=(SMOOTHGRAD_SAMPLES, *x.shape[1:])).astype(np.float32)
    batch = tf.constant(np.concatenate([x, noisy]))
    with tf.GradientTape() as tape:
        tape.watch(batch)
        scores = model(batch, training=False)[:, class_index]
    grads = np.abs(tape.gradient(scores, batch).numpy()).mean(axis=0).max(axis=-1)
    peak = float(grads.max())
    return (grads / peak if peak > 0 else grads).astype(np.float32)


def saliency_on_drawing(sal: np.ndarray, transform: np.ndarray, drawing_shape) -> np.ndarray:
    """Maps a saliency map of the model's input back onto the drawing.

    Args:
        sal: (H, W) map over the model input (the 28×28 digit, resized to the input).
        transform: the 2×3 matrix from the drawing to the 28×28 digit
            (:func:`core.reading.preprocess.mnist_style_with_transform`).
        drawing_shape: (height, width) of the drawing.
    """
    from core.reading.preprocess import MNIST_SIDE

    digit_map = cv2.resize(sal, (MNIST_SIDE, MNIST_SIDE), interpolation=cv2.INTER_AREA)
    height, width = drawing_shape[:2]
    back = cv2.warpAffine(digit_map, transform, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    peak = float(back.max())
    return (back / peak if peak > 0 else back).astype(np.float32)


def output_layer(model):
    """The layer that gives the model's (first) output."""
    return model.outputs[0]._keras_history[0]  # Keras exports no public name for a tensor's layer


def feature_map_layers(model) -> list[str]:
    """Names of the layers whose output is a stack of 2-D feature maps (H, W, C)."""
    names = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4 and shape[1] and shape[1] > 1 and type(layer).__name__ not in ("InputLayer", "Rescaling"):
            names.append(layer.name)
    return names


_probes: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def feature_maps(model, model_input: np.ndarray, layer_name: str) -> np.ndarray:
    """The output of one layer for one input, shape (h, w, channels).

    Raises:
        ValueError: when the model has no such layer, or its output is not feature maps.
    """
    import keras

    if layer_name not in feature_map_layers(model):
        raise ValueError(f"{model.name} has no layer of feature maps named {layer_name!r}. "
                         f"Received: layer_name={layer_name!r}")
    probes = _probes.setdefault(model, {})
    if layer_name not in probes:  # one probe per model and layer, kept while the model lives
        probes[layer_name] = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    out = probes[layer_name](np.asarray(model_input, dtype=np.float32)[None], training=False)
    return np.asarray(out[0], dtype=np.float32)


def feature_grid(maps: np.ndarray, max_maps: int = 64, cell: int = 48, gap: int = 2) -> np.ndarray:
    """Tiles feature maps (h, w, c) into one greyscale ``uint8`` image, each map scaled to
    its own range (bright = strong), at most ``max_maps`` of them, about square."""
    count = min(int(maps.shape[-1]), max_maps)
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.full((rows * (cell + gap) - gap, columns * (cell + gap) - gap), 40, np.uint8)
    for i in range(count):
        img = cv2.normalize(maps[..., i].astype(np.float32), None, 0, 255, cv2.NORM_MINMAX)  # a flat map: 0
        img = cv2.resize(img, (cell, cell), interpolation=cv2.INTER_NEAREST)
        r, c = divmod(i, columns)
        grid[r * (cell + gap): r * (cell + gap) + cell, c * (cell + gap): c * (cell + gap) + cell] = img
    return grid
