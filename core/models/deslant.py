"""Deslanting: the classic MNIST "deskewing" by image moments, as a layer of the model.

People slant their digits by different amounts, and a digit model reads another person's
handwriting better when every image is first sheared upright. Because the shear is a layer
of the model (before its rescaling), the training images, the test set, the canvas and
``main.py predict`` all pass through the same one, and a saved model carries it.

Measured with LeNet-5's default run, 4 epochs (``benchmarks/drawn_digits.py --deslant both``,
seed 0): MNIST test 99.18% → 99.36%, UCI optical digits 95.16% → 95.94% (seeds 0-2 and
runs: 95.4-97.1%, mean 96.4%), printed digits 96.7% → 100%.
"""

from __future__ import annotations

import keras
from keras import layers, ops

#: The most memory one batch's shear weights may take. They are ``N × H × W × W`` floats,
#: the cube of the side: 11 MB for 128 MNIST digits, 134 MB at 64×64, 68 GB at 512×512.
#: Deslanting is meant for digits of about 28×28; above this it is refused, with the reason.
MAX_DESLANT_BYTES = 256 * 2**20


def deslant_bytes(batch: int, height: int, width: int) -> int:
    """Bytes of the shear weights (float32) that deslanting ``batch`` images of
    ``height`` × ``width`` takes at once."""
    return 4 * int(batch) * int(height) * int(width) * int(width)


#: The largest shear applied (a slant of 45°): a straight line of ink drawn flatter than
#: that is a stroke lying down (a 1, a 7's bar), not a slanted digit.
MAX_SHEAR = 1.0


@keras.saving.register_keras_serializable(package="cnn_studio", name="Deslant")
class Deslant(layers.Layer):
    """Shears each greyscale image horizontally so that its ink stands upright.

    For an image of ink intensities ``I(x, y)`` (bright strokes on a dark ground, raw
    pixels), the slant is ``mu11 / mu02``, the ratio of its central second moments; the
    image is sheared by minus that about the row of its centre of mass, which makes
    ``mu11`` zero and leaves that centre in place. Empty images pass unchanged.

    Reference: LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to
    document recognition", Proc. IEEE 1998 (the deslanted MNIST of their table of
    classifiers).
    """

    def call(self, images):
        # In float32 whatever the precision policy: the second moments of a 28×28 image reach
        # about 4e7, beyond float16's range.
        images = ops.cast(images, "float32")
        height, width = images.shape[1], images.shape[2]
        ink = ops.sum(images, axis=-1)  # (N, H, W)
        rows = ops.reshape(ops.arange(height, dtype=ink.dtype), (1, height, 1))
        cols = ops.reshape(ops.arange(width, dtype=ink.dtype), (1, 1, width))
        safe = ops.maximum(ops.sum(ink, axis=(1, 2)), 1e-6)
        cy = ops.sum(ink * rows, axis=(1, 2)) / safe
        cx = ops.sum(ink * cols, axis=(1, 2)) / safe
        dy = rows - ops.reshape(cy, (-1, 1, 1))
        dx = cols - ops.reshape(cx, (-1, 1, 1))
        mu11 = ops.sum(ink * dx * dy, axis=(1, 2))
        mu02 = ops.sum(ink * dy * dy, axis=(1, 2))
        shear = ops.where(mu02 > 1e-3 * safe, mu11 / ops.maximum(mu02, 1e-6), 0.0)
        shear = ops.clip(shear, -MAX_SHEAR, MAX_SHEAR)
        # Output pixel (x, y) reads input pixel (x + shear * (y - cy), y), linearly
        # interpolated along its row: a matrix of "tent" weights per row, zero outside the
        # image. Plain arithmetic and a matmul (unlike an image transform op), so the model
        # still converts to TensorFlow Lite.
        # The shear counts as given, not as a function of the pixels, for gradients:
        # a saliency map then shows the ink that drove the score, not the far background
        # pixels that weigh most in the moments.
        source = ops.stop_gradient(cols + ops.reshape(shear, (-1, 1, 1)) * dy)  # (N, H, W)
        columns = ops.reshape(ops.arange(width, dtype=ink.dtype), (1, 1, 1, width))
        weights = ops.relu(1.0 - ops.abs(ops.expand_dims(source, -1) - columns))  # (N, H, W, W)
        return ops.cast(ops.matmul(weights, ops.expand_dims(ink, -1)), self.compute_dtype)  # (N, H, W, 1)

    def compute_output_shape(self, input_shape):
        return input_shape

