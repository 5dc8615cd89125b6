"""tf.data pipelines without autotuning: every pipeline training, validation and
evaluation read (the studio's own and those Keras makes from arrays).

An autotuned pipeline runs a tuning thread, and deleting its iterator waits for that
thread to wake, which takes up to the tuning period: it grows to many seconds over a
run. The wait holds the interpreter lock, and a finished run's iterator is often
deleted by the garbage collector, which in the window runs on the UI thread: the window
froze for 7 to 39 s (seen in the test suite, by a native stack of the frozen thread).
Without autotuning, parallel maps use every core and prefetching keeps a fixed buffer,
which is as fast for images held in memory.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_patched = False


def without_autotune(ds):
    """``ds`` with tf.data's autotuning off."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def keras_arrays_without_autotune() -> None:
    """Makes the pipelines Keras builds from NumPy arrays (``fit``, ``evaluate`` and
    ``predict`` given arrays) untuned too. Once a process; Keras is pinned (see
    requirements.txt) because this wraps one of its internal methods."""
    global _patched
    with _lock:
        if _patched:
            return
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

        make = ArrayDataAdapter.get_tf_dataset

        def get_tf_dataset(self):
            return without_autotune(make(self))

        ArrayDataAdapter.get_tf_dataset = get_tf_dataset
        _patched = True
