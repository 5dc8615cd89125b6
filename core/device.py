"""Loading TensorFlow once, configured, and naming the device it computes on."""

from __future__ import annotations

import os
import re
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


_DEVICE_NAME = re.compile(r"^(cpu|gpu)(:\d+)?$")


def check_device_name(name) -> str | None:
    """A message when ``name`` is not ``"auto"``, ``"cpu"``, ``"gpu"`` or ``"cpu:N"``/``"gpu:N"``.

    Whether the device exists is checked when training starts (see :func:`device_scope`),
    since that needs TensorFlow.
    """
    if not isinstance(name, str) or not (name in ("auto", "all") or _DEVICE_NAME.match(name.lower())):
        return f"must be auto, all, cpu, gpu or a numbered device such as gpu:0, not {name!r}"
    return None


def list_devices() -> list[tuple[str, str]]:
    """The devices training can use, as (name for :class:`TrainConfig`, label) pairs.

    The first is ``"auto"`` (the first GPU, else the CPU); then each GPU, then each CPU
    TensorFlow sees (logical devices, so a CPU split for tests shows as several).
    """
    tf = load_tensorflow()
    gpus = tf.config.list_logical_devices("GPU")
    cpus = tf.config.list_logical_devices("CPU")
    devices = [("auto", f"Automatic ({'GPU' if gpus else 'CPU, no GPU found'})")]
    group = gpus if gpus else cpus
    if len(group) > 1:
        devices.append(("all", f"All {len(group)} {'GPUs' if gpus else 'CPU devices'} (mirrored)"))
    physical = tf.config.list_physical_devices("GPU")
    for i, device in enumerate(gpus):
        label = f"GPU {i}"
        if i < len(physical):
            details = tf.config.experimental.get_device_details(physical[i])
            label += f": {details.get('device_name', device.name)}"
        devices.append((f"gpu:{i}", label))
    for i, _ in enumerate(cpus):
        devices.append((f"cpu:{i}" if len(cpus) > 1 else "cpu", f"CPU {i}" if len(cpus) > 1 else "CPU"))
    return devices


def resolve_device(name: str) -> str | None:
    """The TensorFlow device string for a device name, or None for ``"auto"``.

    Raises:
        ValueError: when the machine has no such device; the message lists those it has.
    """
    if name == "auto":
        return None
    tf = load_tensorflow()
    if name == "all":
        group = mirrored_devices()
        if len(group) < 2:
            raise ValueError("'all' trains on several devices at once, and this machine has one "
                             f"({group[0] if group else 'none'}); choose auto")
        return "all"
    kind, _, index = name.lower().partition(":")
    found = tf.config.list_logical_devices(kind.upper())
    number = int(index or 0)
    if number >= len(found):
        have = ", ".join(n for n, _ in list_devices())
        raise ValueError(f"this machine has no device {name!r}; it has: {have}")
    return found[number].name


@contextmanager
def device_scope(name: str):
    """Places the models built and trained inside on the named device."""
    device = resolve_device(name)
    if device is None:
        yield
        return
    if device == "all":
        from core.distribute import mirrored_strategy

        with mirrored_strategy().scope():
            yield
        return
    tf = load_tensorflow()
    with tf.device(device):
        yield


def mirrored_devices() -> list[str]:
    """The devices ``"all"`` trains on: every GPU, else every (logical) CPU device."""
    tf = load_tensorflow()
    group = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [d.name for d in group]


def precision_policy_name(mode: str, device: str = "auto") -> str:
    """The Keras dtype policy of a mixed-precision setting on a device.

    Raises:
        ValueError: for float16 without a GPU (CPUs compute float16 slowly or not at all).
    """
    if mode == "off":
        return "float32"
    tf = load_tensorflow()
    on_gpu = device.startswith("gpu") or (device == "auto" and bool(tf.config.list_logical_devices("GPU")))
    if mode == "auto":
        return "mixed_float16" if on_gpu else "mixed_bfloat16"
    if mode == "float16" and not on_gpu:
        raise ValueError("float16 needs a GPU; on a CPU use bfloat16, or turn mixed precision off")
    return f"mixed_{mode}"


@contextmanager
def dtype_policy(name: str):
    """Builds layers with the Keras dtype policy ``name`` inside, then restores the old one."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
