"""Loading TensorFlow once, configured, and naming the device it computes on."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_configured = False

#: Held while a thread builds a model, traces a TensorFlow function or trains. Graph
#: building in one thread while another trains crashes the process (segfaults seen with
#: TF 2.21 and Keras 3.15 when the canvas's predictor was traced while ``fit`` ran, even
#: after its first epoch); eager calls and already-traced functions need no lock.
graph_lock = threading.RLock()


class GraphBusy(RuntimeError):
    """Another thread holds :data:`graph_lock` (training is running)."""


@contextmanager
def building_graphs(timeout: float | None = None):
    """Holds :data:`graph_lock`, waiting at most ``timeout`` seconds (None: forever).

    Raises:
        GraphBusy: when the lock could not be had in time.
    """
    if not graph_lock.acquire(timeout=-1 if timeout is None else timeout):
        raise GraphBusy("TensorFlow is busy training; this will be possible when training ends.")
    try:
        yield
    finally:
        graph_lock.release()


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
