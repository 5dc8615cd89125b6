"""A large folder of images streamed from disk while it trains, never held in memory.

The training images of a folder dataset too large for memory (see
:data:`core.data.folders.STREAM_ABOVE_BYTES`) are a :class:`StreamedImages`: the list of
their files, which reads the few images that are asked for by index (a sample for the
statistics, the first batch) and makes the ``tf.data`` pipeline that training consumes,
the same path as ``keras.utils.image_dataset_from_directory``: the files are shuffled
every epoch, decoded and resized in parallel by TensorFlow (PNG, JPEG, BMP; GIF, TIFF and
WebP through OpenCV, as the images kept in memory are read), batched and prefetched. A file that cannot be decoded is
skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.reading.imagefiles import read_image_at

#: Decoded images shuffled together when later epochs read them back from the disk cache.
SHUFFLE_BUFFER = 10_000
#: Formats TensorFlow decodes itself; the others (GIF, TIFF, WebP) go through OpenCV.
TF_FORMATS = (".png", ".jpg", ".jpeg", ".bmp")


class StreamedImages:
    """The training images of a folder, as files: ``len``, ``shape``, ``dtype`` and indexing
    like a ``uint8`` array of shape ``(N, H, W, C)`` (indexing reads those files)."""

    streamed = True
    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, paths, input_shape):
        self.paths = [Path(p) for p in paths]
        self.input_shape = tuple(int(d) for d in input_shape)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.paths), *self.input_shape)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            image = read_image_at(self.paths[index], self.input_shape)
            return image if image is not None else np.zeros(self.input_shape, np.uint8)
        picked = self.paths[index] if isinstance(index, slice) else [self.paths[i] for i in np.asarray(index)]
        out = StreamedImages(picked, self.input_shape)
        return np.stack([out[i] for i in range(len(out))]) if len(out) else np.zeros((0, *self.input_shape), np.uint8)

    def batches(self, labels, batch_size: int, seed: int, augment=None, to_targets=None, count=None,
                cache_dir=None):
        """A shuffled ``tf.data`` pipeline of ``(float32 images, labels)`` batches.

        Args:
            labels: one class index per file.
            augment: None, or a function ``(images, seed pair) -> images`` applied to each
                batch with its own seeds (as :func:`core.data.augment.augmented_batches` does).
            to_targets: maps a batch of labels to the structure the model's outputs need.
            count: only the first this many files.
            cache_dir: a folder where the first epoch writes the decoded images, which the
                next epochs read back instead of decoding every file again (on disk, not in
                memory; shuffled there in a buffer of :data:`SHUFFLE_BUFFER` images). The
                caller deletes it after training.
        """
        import tensorflow as tf

        from core.runtime.tfdata import without_autotune

        height, width, channels = self.input_shape
        chosen = self.paths[:count]
        paths = [str(p) for p in chosen]
        native = [p.suffix.lower() in TF_FORMATS for p in chosen]
        files = tf.data.Dataset.from_tensor_slices((paths, np.asarray(labels[:len(chosen)], np.int64), native))
        files = files.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)

        def read_with_opencv(path):
            image = read_image_at(Path(path.decode()), self.input_shape)
            if image is None:
                raise ValueError(f"cannot read {path!r}")
            return image

        def load(path, label, tf_decodes):
            def decode():
                data = tf.io.read_file(path)
                image = tf.cond(
                    tf.io.is_jpeg(data),  # the accurate transform, as OpenCV's libjpeg decodes
                    lambda: tf.io.decode_jpeg(data, channels=channels, dct_method="INTEGER_ACCURATE"),
                    lambda: tf.io.decode_image(data, channels=channels, expand_animations=False))
                # Area averaging, as OpenCV's INTER_AREA reads the images kept in memory
                # (an image already at the size comes out unchanged).
                image = tf.image.resize(image, (height, width), method="area")
                return tf.cast(tf.round(image), tf.uint8)

            def opencv():
                return tf.numpy_function(read_with_opencv, [path], tf.uint8, stateful=False)

            image = tf.cond(tf_decodes, decode, opencv)
            image.set_shape(self.input_shape)
            return image, label

        ds = files.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False).ignore_errors()
        if cache_dir is not None:
            ds = ds.cache(str(Path(cache_dir) / "decoded")).shuffle(
                min(len(paths), SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
        if augment is not None:
            seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
            ds = tf.data.Dataset.zip((ds, seeds)).map(
                lambda batch, pair: (augment(tf.cast(batch[0], tf.float32), pair), batch[1]),
                num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = ds.map(lambda images, y: (tf.cast(images, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE)
        if to_targets is not None:
            ds = ds.map(lambda images, y: (images, to_targets(y)))
        return without_autotune(ds.prefetch(tf.data.AUTOTUNE))
