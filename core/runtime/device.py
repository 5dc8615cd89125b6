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
        if _configured:
            import tensorflow as tf

            return tf
        with quiet_native_start_up():
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):
                try:
                    tf.config.experimental.set_memory_growth(gpu, True)
                except RuntimeError:
                    pass  # already initialised by the caller: keep its setting
            from core.runtime.tfdata import keras_arrays_without_autotune

            keras_arrays_without_autotune()
        _configured = True
    return tf


#: Set (to anything but "" or "0") to see TensorFlow's own start-up messages.
VERBOSE_ENV = "CNN_STUDIO_VERBOSE"
#: Lines of TensorFlow's native logging (absl): "I0000 00:00:17… port.cc:153] …".
_NATIVE_LOG_LINE = re.compile(r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\] |WARNING: All log messages "
                              r"before absl::InitializeLog\(\) is called|To enable the following instructions: )")


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


@contextmanager
def quiet_native_start_up():
    """Keeps TensorFlow's native start-up lines (oneDNN notices, "failed call to cuInit"
    on a machine without a GPU…) off the console: they are written to file descriptor 2
    before any setting can silence them. Other lines written meanwhile go through, and the
    dropped ones go to the ``cnn_studio.tensorflow`` logger. Does nothing when
    :func:`verbose`."""
    import logging
    import sys
    import tempfile

    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            log = logging.getLogger("cnn_studio.tensorflow")
            for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True):
                if _NATIVE_LOG_LINE.match(line):
                    log.info(line.rstrip())
                else:
                    os.write(2, line.encode("utf-8"))


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


def check_on_devices(device: str, strategy: str, devices: list, mixed_precision: str,
                     available: list[str]) -> dict[str, str]:
    """Messages for settings this machine cannot run, given the device names it has
    (the names of :func:`list_devices`): found before training starts, not after.

    Args:
        device, strategy, devices, mixed_precision: as in :class:`core.training.loop.TrainConfig`.
        available: the machine's device names (``auto``, ``all``, ``gpu:0``, ``cpu``…).
    """
    errors: dict[str, str] = {}
    gpus = [n for n in available if n.startswith("gpu")]
    cpus = [n for n in available if n.startswith("cpu")]
    if device not in ("auto",) and device not in available:
        have = ", ".join(n for n in available if n != "auto") or "the CPU"
        errors["device"] = f"this machine has no device {device!r}; it has {have}"
    if strategy == "mirrored" and not devices and len(gpus or cpus) < 2:
        errors["strategy"] = ("mirrored training needs several devices, and this machine has one: "
                              "use one device")
    for name in devices or []:
        if name not in available:
            errors["devices"] = f"this machine has no device {name!r}"
    on_gpu = device.startswith("gpu") or (device in ("auto", "all") and bool(gpus)) or \
        (strategy == "mirrored" and bool(gpus) and not any(n.startswith("cpu") for n in devices or []))
    if mixed_precision == "float16" and not on_gpu:
        errors["mixed_precision"] = ("float16 needs a GPU" + (", and this machine has none" if not gpus else
                                                              "; the chosen device is the CPU")
                                     + ": choose bfloat16 or automatic, or turn it off")
    return errors


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
    """Places the models built and trained inside on the named device. ("all" is not a
    device but the mirrored strategy: :func:`core.runtime.distribute.training_scope` makes it.)"""
    if name == "all":
        raise ValueError("'all' trains with the mirrored strategy: use core.runtime.distribute.training_scope")
    device = resolve_device(name)
    if device is None:
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
