"""Augmentation for training, in a stateless ``tf.data`` pipeline (used by the trainer and
the benchmarks):

* digits: thinner and thicker strokes, small rotations, zooms and shifts of a share of
  each batch;
* colour photos: the CIFAR recipe, a random crop of the image padded by 4 pixels and a
  random horizontal flip, for every image.
"""

from __future__ import annotations

import math

# Mild on purpose: ±10% of each, tried, cost more MNIST accuracy and read other
# handwriting worse (benchmarks/drawn_digits.py).
AUGMENT_SHIFT = 0.05  # of the image side
AUGMENT_ROTATION = 5 / 360  # of a turn: ±5 degrees
AUGMENT_ZOOM = 0.05
#: The share of training images augmented (a new draw every batch). All of them cost
#: MNIST accuracy (98.8% after LeNet-5's 5 epochs instead of 99.3%); 30% keeps 99.1-99.2%
#: and still reads other handwriting far better (benchmarks/drawn_digits.py).
AUGMENT_FRACTION = 0.3


def stroke_width_change(images, choice):
    """Thins (``choice`` 0) or thickens (2) the strokes of white-on-black images by a pixel
    on each side (grey-level erosion or dilation, 3×3), or leaves them (1); ``choice`` has
    one value per image, shape (N, 1, 1, 1). People draw with pens thinner and thicker
    than MNIST's."""
    import tensorflow as tf

    thick = tf.nn.max_pool2d(images, 3, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    return tf.where(choice == 0, thin, tf.where(choice == 2, thick, images))


def random_geometry(seed, n, height: int, width: int):
    """For ``n`` images, the rows ``(n, 8)`` of a projective transform each: a random
    rotation (±5°), zoom (±5%) and shift (±5% of the side) about the centre, one matrix
    for all three (a single resampling)."""
    import tensorflow as tf

    u = tf.random.stateless_uniform([n, 4], seed=seed, minval=-1.0, maxval=1.0)
    angle = u[:, 0] * (AUGMENT_ROTATION * 2 * math.pi)
    scale = 1.0 + u[:, 1] * AUGMENT_ZOOM
    dx, dy = u[:, 2] * AUGMENT_SHIFT * width, u[:, 3] * AUGMENT_SHIFT * height
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # Output pixel (x, y) reads input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2).
    a0, a1 = scale * tf.cos(angle), -scale * tf.sin(angle)
    b0, b1 = scale * tf.sin(angle), scale * tf.cos(angle)
    a2, b2 = cx - a0 * cx - a1 * cy - dx, cy - b0 * cx - b1 * cy - dy
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(images, seed):
    """Augments :data:`AUGMENT_FRACTION` of a batch of white-on-black images (N, H, W, C),
    float: a random stroke width, rotation, zoom and shift each, black filling in; the
    other images are returned unchanged. Stateless: the same ``seed`` (two integers)
    gives the same batch, in any thread and under any distribution strategy."""
    import keras
    import tensorflow as tf

    height, width = int(images.shape[1]), int(images.shape[2])
    seeds = tf.random.experimental.stateless_split(seed, 3)
    picked = tf.random.stateless_uniform([tf.shape(images)[0]], seed=seeds[0]) < AUGMENT_FRACTION
    where = tf.where(picked)  # (k, 1): only these are resampled, the costly part
    chosen = tf.gather_nd(images, where)
    k = tf.shape(chosen)[0]
    choice = tf.random.stateless_uniform([k, 1, 1, 1], seed=seeds[1], minval=0, maxval=3, dtype=tf.int32)
    changed = keras.ops.image.affine_transform(
        stroke_width_change(chosen, choice), random_geometry(seeds[2], k, height, width),
        interpolation="bilinear", fill_mode="constant", fill_value=0.0, data_format="channels_last")
    return tf.tensor_scatter_nd_update(images, where, changed)


#: Colour photos: the crop's padding, in pixels (the CIFAR recipe).
CROP_PADDING = 4


def crop_and_flip_batch(images, seed):
    """Every image of a batch shifted by up to :data:`CROP_PADDING` pixels each way, black
    filling in (a random crop of the padded image), and flipped left-right half the time;
    one nearest-neighbour resampling, stateless like :func:`augment_batch`."""
    import keras
    import tensorflow as tf

    width = int(images.shape[2])
    n = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    shift = tf.cast(tf.random.stateless_uniform([n, 2], seed=seeds[0], minval=-CROP_PADDING,
                                                maxval=CROP_PADDING + 1, dtype=tf.int32), tf.float32)
    flip = tf.random.stateless_uniform([n], seed=seeds[1]) < 0.5
    a0 = tf.where(flip, -1.0, 1.0)
    a2 = tf.where(flip, float(width - 1), 0.0) + shift[:, 0]
    ones, zeros = tf.ones_like(a0), tf.zeros_like(a0)
    rows = tf.stack([a0, zeros, a2, zeros, ones, shift[:, 1], zeros, zeros], axis=1)
    return keras.ops.image.affine_transform(images, rows, interpolation="nearest", fill_mode="constant",
                                            fill_value=0.0, data_format="channels_last")


def augmented_batches(x, y, batch_size: int, seed: int, photos: bool = False):
    """A shuffled, augmented, prefetched ``tf.data`` pipeline over tensors in memory.

    Batches are gathered by shuffled indices (no per-image work), and each is augmented
    with its own pair of seeds from a seeded random stream that differs every epoch:
    the same seed gives the same curves, and the map may run in parallel. ``photos``
    chooses crops and flips (:func:`crop_and_flip_batch`) over the digits' augmentation.
    """
    import tensorflow as tf

    from core.runtime.tfdata import without_autotune

    n = int(x.shape[0])
    indices = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()  # shared, not copied per batch

    def transform(batch, pair, arrays):
        images, labels = arrays
        picked = tf.nest.map_structure(lambda t: tf.gather(t, batch), labels)
        augment = crop_and_flip_batch if photos else augment_batch
        return augment(tf.gather(images, batch), pair), picked

    ds = tf.data.Dataset.zip((indices, seeds, data))
    ds = ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return without_autotune(ds.prefetch(tf.data.AUTOTUNE))



#: The training images a preview of the augmentation shows.
PREVIEW_IMAGES = 24


def preview_batch(x, y, count: int, seed: int, photos: bool = False):
    """``count`` training images as training will feed them: the first batch of
    :func:`augmented_batches` (the same pipeline, seeded alike) over the first ``count``
    images. Returns ``(images, labels)``: float32 pixels 0-255 and class indices."""
    import numpy as np

    picked = np.arange(min(count, len(x)))  # (a streamed folder's images are read by index)
    ds = augmented_batches(np.asarray(x[picked], np.float32), np.asarray(y)[picked], len(picked), seed,
                           photos=photos)
    images, labels = next(iter(ds))
    return np.asarray(images), np.asarray(labels)
