"""Loading TensorFlow once, configured, and naming the device it computes on."""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_configured = False


def load_tensorflow():
    """Imports TensorFlow (≈4 s) and configures it once.

    GPUs get memory growth, so TensorFlow takes GPU memory as it needs it instead of
    all of it at start. Safe to call from any thread, any number of times.

    Returns:
        The ``tensorflow`` module.
    """
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _lock:
        import tensorflow as tf

        if not _configured:
            for gpu in tf.config.list_physical_devices("GPU"):
                try:
                    tf.config.experimental.set_memory_growth(gpu, True)
                except RuntimeError:
                    pass  # already initialised by the caller: keep its setting
            _configured = True
    return tf


def describe_device() -> str:
    """Returns the compute device in words, e.g. ``"GPU: NVIDIA A100"`` or ``"CPU"``."""
    tf = load_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return f"CPU ({os.cpu_count()} cores, no GPU found)"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    if len(names) == 1:
        return f"GPU: {names[0]}"
    return f"{len(names)} GPUs: {', '.join(names)}"
