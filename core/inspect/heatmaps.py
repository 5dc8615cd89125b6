"""Where a classifier looks: Grad-CAM and occlusion beside saliency, over a model input,
a drawing or a photo, as the window's Why? and ``main.py explain`` both show it.

- **Saliency** (:func:`core.inspect.explain.saliency`): the gradient of the top score
  with respect to each pixel, smoothed (SmoothGrad).
- **Grad-CAM** (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks
  via Gradient-based Localization"): a convolution's feature maps weighted by the mean
  gradient of the top class's logit over each map, summed, the negative part cut off.
- **Occlusion** (Zeiler & Fergus, 2014, "Visualizing and Understanding Convolutional
  Networks"): a grey patch (the image's mean colour) slid over the image; each pixel's heat
  is the mean drop in the top class's probability while a patch covers it.

Every map is a float32 array from 0 to 1 (1 where it is strongest). Everything runs
eagerly: no graph is built, so it may run while another thread trains.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import cv2
import numpy as np

from core.inspect.explain import feature_map_layers, output_layer, saliency, saliency_on_drawing

#: The methods, by their name on the command line, and their name for a person.
METHODS = {"saliency": "Saliency", "gradcam": "Grad-CAM", "occlusion": "Occlusion"}
#: Occlusion's patch covers this fraction of the image's shorter side…
OCCLUSION_PATCH = 0.25
#: …and moves by this fraction of the patch.
OCCLUSION_STRIDE = 1 / 3
#: Occluded copies predicted in one call.
OCCLUSION_BATCH = 64

_gradcam_models: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _normalised(heat: np.ndarray) -> np.ndarray:
    heat = np.maximum(np.nan_to_num(np.asarray(heat, np.float32)), 0)
    peak = float(heat.max()) if heat.size else 0.0
    return (heat / peak if peak > 0 else heat).astype(np.float32)


def gradcam_layers(model) -> list[str]:
    """The layers Grad-CAM can weigh: those whose output is feature maps larger than 1×1."""
    return feature_map_layers(model)


def default_gradcam_layer(model) -> str | None:
    """The last convolution's maps: the last layer of feature maps as fine as the last
    convolution's output (so a ResNet's block output after its skip, a LeNet's convolution
    before it is pooled); None for a model without feature maps."""
    names = gradcam_layers(model)
    convolutions = [n for n in names if "Conv" in type(model.get_layer(n)).__name__]
    if not convolutions:
        return names[-1] if names else None
    size = tuple(model.get_layer(convolutions[-1]).output.shape[1:3])
    after = names[names.index(convolutions[-1]):]
    return [n for n in after if tuple(model.get_layer(n).output.shape[1:3]) == size][-1]


def _centres(tensor) -> tuple[float, float, float, float] | None:
    """Where a layer's output cells sit on the model's input, by receptive-field arithmetic:
    ``(jump_y, offset_y, jump_x, offset_x)``, cell ``(i, j)`` centred on input pixel
    ``(offset_y + jump_y * i, offset_x + jump_x * j)``; None when a layer on the way is
    one whose geometry is not known (the map is then stretched over the input)."""
    op = tensor._keras_history[0]
    inputs = op.input if isinstance(op.input, (list, tuple)) else [op.input]
    if not inputs or op.__class__.__name__ == "InputLayer":
        return (1.0, 0.0, 1.0, 0.0)
    before = _centres(inputs[0])
    if before is None:
        return None
    name = op.__class__.__name__
    if any(kind in name for kind in ("Conv", "Pooling")) and "Global" not in name:
        kernel = getattr(op, "kernel_size", None) or getattr(op, "pool_size", None)
        strides, padding = op.strides, op.padding
        jump_y, off_y, jump_x, off_x = before
        out = []
        for axis, (jump, offset) in enumerate(((jump_y, off_y), (jump_x, off_x))):
            k = (kernel[axis] - 1) * (getattr(op, "dilation_rate", (1, 1))[axis]) + 1
            size_in, size_out = inputs[0].shape[1 + axis], tensor.shape[1 + axis]
            pad = max((size_out - 1) * strides[axis] + k - size_in, 0) // 2 if padding == "same" else 0
            out += [jump * strides[axis], offset + ((k - 1) / 2 - pad) * jump]
        return tuple(out)
    if tuple(inputs[0].shape[1:3]) != tuple(tensor.shape[1:3]):
        return None  # a layer that resizes: its geometry is not followed
    return before


def _on_input(cam: np.ndarray, model, layer: str, size: tuple[int, int]) -> np.ndarray:
    """A layer's cell map laid over the input (``size`` = height, width): each cell at the
    centre of its receptive field, linearly interpolated between them."""
    height, width = size
    centres = _centres(model.get_layer(layer).output)
    if centres is None:
        return cv2.resize(cam, (width, height), interpolation=cv2.INTER_LINEAR)
    jump_y, off_y, jump_x, off_x = centres
    to_cells = np.float32([[1 / jump_x, 0, -off_x / jump_x], [0, 1 / jump_y, -off_y / jump_y]])
    return cv2.warpAffine(cam, to_cells, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def _undo_deslant(cam: np.ndarray, model_input: np.ndarray) -> np.ndarray:
    """A map in the frame of a deslanted image (:class:`core.models.deslant.Deslant`), moved
    back onto the image as it was given: deslanting reads input pixel
    ``(x + shear * (y - cy), y)`` into pixel ``(x, y)``."""
    from core.models.deslant import MAX_SHEAR

    ink = np.asarray(model_input, np.float64).sum(axis=-1)
    total = ink.sum()
    if total <= 0:
        return cam
    ys, xs = np.mgrid[0:ink.shape[0], 0:ink.shape[1]]
    cy, cx = (ink * ys).sum() / total, (ink * xs).sum() / total
    mu11, mu02 = (ink * (xs - cx) * (ys - cy)).sum(), (ink * (ys - cy) ** 2).sum()
    shear = float(np.clip(mu11 / mu02, -MAX_SHEAR, MAX_SHEAR)) if mu02 > 1e-3 * total else 0.0
    # Given image pixel (u, y) held what the deslanted map shows at (u - shear * (y - cy), y).
    inverse = np.float32([[1, -shear, shear * cy], [0, 1, 0]])
    return cv2.warpAffine(cam, inverse, (cam.shape[1], cam.shape[0]), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _gradcam_model(model, layer_name: str):
    """A model from the input to ``layer_name``'s maps and to what the output layer gets
    (its logits are computed from that: a saturated softmax has no gradient left)."""
    import keras

    models = _gradcam_models.setdefault(model, {})
    if layer_name not in models:
        head = output_layer(model)
        logits_from_input = (isinstance(head, keras.layers.Dense)
                             and getattr(head.activation, "__name__", "") == "softmax")
        into = head.input if logits_from_input else model.outputs[0]
        models[layer_name] = (keras.Model(model.inputs[0], [model.get_layer(layer_name).output, into]),
                              head if logits_from_input else None)
    return models[layer_name]


def gradcam(model, model_input: np.ndarray, class_index: int | None = None, layer: str | None = None) -> np.ndarray:
    """Grad-CAM of ``class_index`` (default: the top class) on ``layer`` (default: the last
    convolution's, see :func:`default_gradcam_layer`), upsampled to the input's size and,
    for a model that deslants, sheared back onto the input as given.

    Args:
        model: a Keras model taking raw pixels and returning class probabilities.
        model_input: one input, shape (H, W, C), float pixels 0-255.

    Raises:
        ValueError: when the model has no feature maps (an MLP) or no such layer.
    """
    import tensorflow as tf

    names = gradcam_layers(model)
    if not names:
        raise ValueError(f"{model.name} has no convolution to weigh (it sees the image as one row of "
                         "numbers): use saliency or occlusion.")
    layer = layer or default_gradcam_layer(model)
    if layer not in names:
        raise ValueError(f"{model.name} has no layer of feature maps named {layer!r}; choose one of "
                         f"{', '.join(names)}. Received: layer={layer!r}")
    probe, head = _gradcam_model(model, layer)
    x = tf.constant(np.asarray(model_input, np.float32)[None])
    with tf.GradientTape() as tape:
        maps, into = probe(x, training=False)
        maps = tf.cast(maps, tf.float32)
        scores = tf.cast(into, tf.float32)
        if head is not None:
            scores = tf.matmul(scores, tf.cast(head.kernel, tf.float32)) + tf.cast(head.bias, tf.float32)
        if class_index is None:
            class_index = int(tf.argmax(scores[0]))
        score = scores[:, class_index]
    grads = tape.gradient(score, maps)[0].numpy()
    weights = grads.mean(axis=(0, 1))
    cam = np.maximum((maps[0].numpy() * weights).sum(axis=-1), 0)
    height, width = np.asarray(model_input).shape[:2]
    cam = _on_input(cam.astype(np.float32), model, layer, (height, width))
    if "deslant" in {layer.name for layer in model.layers}:
        cam = _undo_deslant(cam, model_input)
    return _normalised(cam)


def _positions(side: int, patch: int, stride: int) -> list[int]:
    last = max(0, side - patch)
    return sorted(set(range(0, last + 1, stride)) | {last})


def occlusion(model, model_input: np.ndarray, class_index: int | None = None, patch: int | None = None,
              stride: int | None = None) -> np.ndarray:
    """The drop in the top class's probability while a grey patch covers each pixel.

    Args:
        patch, stride: in pixels (default: a quarter of the shorter side, moved by a third of it).
    """
    x = np.asarray(model_input, np.float32)
    height, width = x.shape[:2]
    patch = patch or max(2, round(min(height, width) * OCCLUSION_PATCH))
    stride = stride or max(1, round(patch * OCCLUSION_STRIDE))
    grey = x.reshape(-1, x.shape[-1]).mean(axis=0)
    base = np.asarray(model(x[None], training=False))[0]
    if class_index is None:
        class_index = int(base.argmax())
    boxes = [(top, left) for top in _positions(height, patch, stride) for left in _positions(width, patch, stride)]
    drops = []
    for start in range(0, len(boxes), OCCLUSION_BATCH):
        batch = np.repeat(x[None], len(boxes[start:start + OCCLUSION_BATCH]), axis=0)
        for k, (top, left) in enumerate(boxes[start:start + OCCLUSION_BATCH]):
            batch[k, top:top + patch, left:left + patch] = grey
        drops.extend(base[class_index] - np.asarray(model(batch, training=False))[:, class_index])
    heat, covered = np.zeros((height, width), np.float32), np.zeros((height, width), np.float32)
    for (top, left), drop in zip(boxes, drops):
        heat[top:top + patch, left:left + patch] += max(float(drop), 0.0)
        covered[top:top + patch, left:left + patch] += 1
    return _normalised(heat / np.maximum(covered, 1))


def explain_input(model, model_input: np.ndarray, method: str, class_index: int | None = None,
                  layer: str | None = None) -> np.ndarray:
    """The heat map of ``method`` (a key of :data:`METHODS`) over one model input (H, W, C).

    Raises:
        ValueError: for an unknown method, or Grad-CAM on a model without feature maps.
    """
    if method == "saliency":
        return saliency(model, model_input, class_index)
    if method == "gradcam":
        return gradcam(model, model_input, class_index, layer)
    if method == "occlusion":
        return occlusion(model, model_input, class_index)
    raise ValueError(f"Unknown method; choose one of {', '.join(METHODS)}. Received: method={method!r}")


@dataclass
class Explanation:
    """A heat map over a picture and what the model read in it.

    Attributes:
        heat: (H, W) over the picture as given (a drawing, or a photo at its own size), 0 to 1.
        model_heat: the same over the model's input.
        probabilities: the model's output for the input explained.
        layer: the layer Grad-CAM weighed (None for the other methods).
    """

    heat: np.ndarray
    model_heat: np.ndarray
    probabilities: np.ndarray
    layer: str | None = None

    @property
    def class_index(self) -> int:
        return int(self.probabilities.argmax())


def explain_picture(model, picture: np.ndarray, method: str, photo: bool, layer: str | None = None):
    """Explains what ``model`` reads in a drawing or a photo, prepared as for reading.

    Args:
        picture: a photo (RGB ``uint8``) when ``photo``, else a drawing or scan of a digit
            (grey, BGR or BGRA), which is centred as MNIST's digits are.

    Returns:
        An :class:`Explanation`, or None when a drawing has no ink.
    """
    from core.reading.preprocess import fit_to_input, mnist_style_with_transform

    input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    if photo:
        from core.reading.photos import photo_input

        model_input, transform = photo_input(picture, input_shape).astype(np.float32), None
    else:
        found = mnist_style_with_transform(picture)
        if found is None:
            return None
        digit, transform = found
        model_input = fit_to_input(digit, input_shape)
    probabilities = np.asarray(model(model_input[None], training=False))[0]
    model_heat = explain_input(model, model_input, method, int(probabilities.argmax()), layer)
    layer = (layer or default_gradcam_layer(model)) if method == "gradcam" else None
    if transform is None:
        height, width = picture.shape[:2]
        heat = _normalised(cv2.resize(model_heat, (width, height), interpolation=cv2.INTER_LINEAR))
    else:
        heat = saliency_on_drawing(model_heat, transform, picture.shape)
    return Explanation(heat, model_heat, probabilities, layer)


def heat_summary(heat: np.ndarray) -> dict:
    """Where a heat map's mass lies: its size, the centre of mass and the peak (pixels,
    x right, y down), and the share of the mass in each half."""
    heat = np.asarray(heat, np.float64)
    height, width = heat.shape
    total = float(heat.sum())
    ys, xs = np.mgrid[0:height, 0:width]
    share = (lambda part: float(part.sum()) / total) if total > 0 else (lambda part: 0.0)
    peak_y, peak_x = np.unravel_index(int(heat.argmax()), heat.shape)
    return {
        "width": width, "height": height,
        "centre_of_mass": ({"x": float((heat * xs).sum() / total), "y": float((heat * ys).sum() / total)}
                           if total > 0 else None),
        "peak": {"x": int(peak_x), "y": int(peak_y)},
        "halves": {"left": share(heat[:, : width // 2]), "right": share(heat[:, width - width // 2:]),
                   "top": share(heat[: height // 2]), "bottom": share(heat[height - height // 2:])},
    }


def heat_overlay(picture: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The picture in grey, dimmed, with the heat map over it in colour (BGR ``uint8``, the
    picture's size; strong = yellow-white, for :func:`cv2.imwrite`)."""
    from core.reading.preprocess import to_grayscale

    grey = to_grayscale(picture)
    height, width = grey.shape
    heat = cv2.resize(np.asarray(heat, np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap(np.clip(heat * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
    base = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR).astype(np.float32) * 0.55
    alpha = np.clip(heat, 0, 1)[..., None] ** 0.5 * 0.85
    return np.clip(base * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
