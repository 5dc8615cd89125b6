"""Training on several devices or machines with ``tf.distribute``.

Three strategies, named as on the command line (``main.py train --strategy``):

* ``default``: one device (the one :attr:`TrainConfig.device` names).
* ``mirrored``: :class:`tf.distribute.MirroredStrategy` over every local GPU (else every
  CPU device), or over the devices listed in :attr:`TrainConfig.devices`. A copy of the
  model on each device, gradients summed across them.
* ``multiworker``: :class:`tf.distribute.MultiWorkerMirroredStrategy` across machines.
  Every machine runs the same command with the same ``--workers host:port,...`` and its
  own ``--worker-index``; this module turns them into ``TF_CONFIG``. Worker 0 is the
  chief: only it writes checkpoints, logs and the saved model.

The batch size is always the global batch, split evenly across the replicas. Keras 3.15
does not run ``fit`` under a multi-worker strategy out of the box
(keras-team/keras#20585): :func:`_patch_keras_for_multiworker` fixes the two places.
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager

STRATEGIES = {
    "default": "One device",
    "mirrored": "Mirrored: every local GPU (or the ticked devices)",
    "multiworker": "Multi-worker: several machines",
}

#: Seconds a worker waits for the others (to join, or within a step) before it gives up.
DEFAULT_WORKER_TIMEOUT = 120

#: Architectures small in every form: spread over devices they wait more than they compute.
SMALL_ARCHITECTURES = ("mlp", "lenet5")


def small_model_note(arch: str, form: str, strategy: str, device: str = "auto") -> str | None:
    """A note (not an error) when several devices are asked to train a model this small:
    they spend more time exchanging gradients than computing (an MNIST CNN has been
    measured slower mirrored on two GPUs than on one). None otherwise."""
    if strategy == "default" and device != "all":
        return None
    if arch not in SMALL_ARCHITECTURES and form != "compact":
        return None
    return (f"this {'compact ' if form == 'compact' else ''}{arch} model is small: on several devices it "
            "usually trains slower than on one (they wait on each other more than they compute). "
            "One device is faster unless the batch is very large.")


_WORKER = re.compile(r"^(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")


class WorkerFailure(RuntimeError):
    """Another worker of a multi-worker run failed, or never joined."""


def parse_workers(text) -> list[str]:
    """``"host:port,host:port"`` (or a list of them) as a list of addresses.

    Raises:
        ValueError: for an address that is not ``host:port``, naming it.
    """
    items = text if isinstance(text, (list, tuple)) else str(text).split(",")
    workers = [str(w).strip() for w in items if str(w).strip()]
    for w in workers:
        m = _WORKER.match(w)
        if not m or not 0 < int(m["port"]) < 65536:
            raise ValueError(f"{w!r} is not host:port (e.g. 192.168.1.20:12345)")
    return workers


def check_strategy(strategy, device, devices, workers, worker_index, timeout) -> dict[str, str]:
    """Messages for the strategy fields of a :class:`core.training.loop.TrainConfig`."""
    errors: dict[str, str] = {}
    if strategy not in STRATEGIES:
        errors["strategy"] = f"must be one of {', '.join(STRATEGIES)}, not {strategy!r}"
        return errors
    if not isinstance(devices, (list, tuple)):
        errors["devices"] = f"must be a list of device names, not {devices!r}"
    elif strategy != "mirrored" and devices:
        errors["devices"] = "are chosen for the mirrored strategy only"
    elif devices:
        from core.runtime.device import check_device_name

        for name in devices:
            problem = check_device_name(name)
            if problem or name in ("auto", "all"):
                errors["devices"] = f"must name devices such as gpu:0 or cpu:1, not {name!r}"
                break
        else:
            if len(set(devices)) != len(devices):
                errors["devices"] = f"lists a device twice: {', '.join(devices)}"
            elif len(devices) < 2:
                errors["devices"] = "mirrored training needs at least 2 devices; with one, use the default strategy"
    if strategy != "default" and device not in ("auto", "all"):
        errors["device"] = (f"is for the default strategy; the {strategy} strategy uses "
                            + ("the ticked devices" if strategy == "mirrored" else "each worker's devices"))
    if strategy == "multiworker":
        try:
            parsed = parse_workers(workers or [])
        except ValueError as e:
            errors["workers"] = str(e)
        else:
            if len(parsed) < 2:
                errors["workers"] = "lists every worker as host:port, at least 2 (this one included)"
            elif len(set(parsed)) != len(parsed):
                errors["workers"] = "lists an address twice"
            elif isinstance(worker_index, bool) or not isinstance(worker_index, int) \
                    or not 0 <= worker_index < len(parsed):
                errors["worker_index"] = f"must be from 0 to {len(parsed) - 1} (this worker's place in " \
                                         f"the list), not {worker_index!r}"
    elif workers:
        errors["workers"] = "are for the multiworker strategy only"
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 5 <= timeout <= 3600:
        errors["worker_timeout"] = f"must be from 5 to 3600 seconds, not {timeout!r}"
    return errors


def tf_config(workers: list[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` of a cluster of ``workers``."""
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": int(index)}}


def is_chief(config) -> bool:
    """Whether this process writes the files of a run (worker 0, or a one-machine run)."""
    return config.strategy != "multiworker" or config.worker_index == 0


_strategies: dict = {}
_strategy_lock = threading.Lock()


def get_strategy(config):
    """The ``tf.distribute`` strategy of a config, or None for one device.

    Strategies are made once per process and kept (TensorFlow allows one multi-worker
    strategy per process, made before anything else runs).

    Raises:
        ValueError: for devices this machine does not have.
        WorkerFailure: when the other workers do not join within the timeout.
    """
    mirrored = config.strategy == "mirrored" or (config.strategy == "default" and config.device == "all")
    if not mirrored and config.strategy != "multiworker":
        return None
    from core.runtime.device import load_tensorflow, resolve_device

    tf = load_tensorflow()
    if mirrored:
        return mirrored_strategy(tuple(resolve_device(name) for name in config.devices) or None)
    with _strategy_lock:
        key = ("multiworker", tuple(config.workers), config.worker_index)
        if key not in _strategies:
            if any(k[0] == "multiworker" for k in _strategies):
                raise ValueError("this process already joined another multi-worker cluster: "
                                 "start a new process for a new cluster")
            _strategies[key] = _join_cluster(tf, config)
        return _strategies[key]


def mirrored_strategy(devices: tuple | None = None):
    """A ``MirroredStrategy`` over ``devices`` (TensorFlow names), by default every local
    GPU, else every (logical) CPU device; one per set of devices.

    Raises:
        ValueError: when fewer than two devices would train.
    """
    from core.runtime.device import load_tensorflow, mirrored_devices

    tf = load_tensorflow()
    devices = tuple(devices or mirrored_devices())
    if len(devices) < 2:
        raise ValueError("mirrored training needs several devices, and this machine has one "
                         f"({devices[0] if devices else 'none'}): use the default strategy")
    with _strategy_lock:
        key = ("mirrored", devices)
        if key not in _strategies:
            # TensorFlow's collective all-reduce (the default) numbers its device groups
            # per process: a second set of devices would join a group already full. Only
            # the first set uses it; later ones copy through one device (or, on GPUs,
            # hierarchically), which needs no collective groups.
            first = not any(k[0] == "mirrored" for k in _strategies)
            if first:
                ops = None
            elif all("GPU" in d.upper() for d in devices):
                ops = tf.distribute.HierarchicalCopyAllReduce()
            else:
                ops = tf.distribute.ReductionToOneDevice()
            _strategies[key] = tf.distribute.MirroredStrategy(devices=list(devices), cross_device_ops=ops)
        return _strategies[key]


def _join_cluster(tf, config):
    workers = parse_workers(config.workers)
    os.environ["TF_CONFIG"] = json.dumps(tf_config(workers, config.worker_index))
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=float(config.worker_timeout))
    others = ", ".join(w for i, w in enumerate(workers) if i != config.worker_index)
    message = (f"\nerror: the other workers ({others}) did not join within {config.worker_timeout:g} s. "
               "Start the same command on every worker (each with its own --worker-index), check that "
               "the addresses and ports are right and reachable, then try again.\n")
    with _give_up_after(float(config.worker_timeout), message):
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        except RuntimeError as e:
            if "startup" in str(e) or "initialized" in str(e):
                raise ValueError("multi-worker training must start in a fresh process, before TensorFlow "
                                 "runs anything else: use `main.py train --strategy multiworker`") from e
            raise
    _patch_keras_for_multiworker()
    return strategy


_WATCHER = """
import select, sys
ready, _, _ = select.select([sys.stdin], [], [], float(sys.argv[1]))
if not ready:
    sys.stderr.write(sys.argv[2])
    sys.stderr.flush()
"""


@contextmanager
def _give_up_after(seconds: float, message: str):
    """Ends the process with status 1 and ``message`` on stderr if the body still runs
    after ``seconds``.

    The multi-worker strategy waits for the other workers in C++ while holding the GIL,
    with SIGTERM blocked: no Python thread or signal handler can run meanwhile. So a tiny
    watcher process writes the message, and faulthandler's C-level timer (which needs no
    GIL) ends this process a moment later.
    """
    import faulthandler
    import subprocess
    import sys

    watcher = subprocess.Popen([sys.executable, "-I", "-S", "-c", _WATCHER, str(seconds), message],
                               stdin=subprocess.PIPE)
    sink = open(os.devnull, "w")  # faulthandler's stack dump is not for the user
    faulthandler.dump_traceback_later(seconds + 1.0, exit=True, file=sink)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        sink.close()
        watcher.stdin.close()  # the watcher sees the end of its input and leaves quietly
        watcher.wait()


def replicas_of(strategy) -> int:
    """Replicas that train together under ``strategy`` (1 without one)."""
    return int(strategy.num_replicas_in_sync) if strategy is not None else 1


@contextmanager
def training_scope(config):
    """Builds and trains inside: the strategy's scope, or the chosen device."""
    strategy = get_strategy(config)
    if strategy is not None:
        with strategy.scope():
            yield strategy
        return
    from core.runtime.device import device_scope

    with device_scope(config.device):
        yield None


def is_worker_failure(error: BaseException) -> bool:
    """Whether a TensorFlow error means another worker crashed or cannot be reached."""
    name = type(error).__name__
    text = str(error)
    return name in ("UnavailableError", "DeadlineExceededError", "AbortedError", "CancelledError") and (
        "task" in text or "worker" in text.lower() or "Collective" in text or "heartbeat" in text)


_patched = False


def _patch_keras_for_multiworker() -> None:
    """Lets Keras 3's ``fit`` run under ``MultiWorkerMirroredStrategy``.

    Two places fail (keras-team/keras#20585): building the model reduces the first batch
    across workers, which fails on distributed values; and reducing a step's scalar
    metrics across workers asks for ``axis=0`` of a scalar. The first now builds from
    this worker's own share of the batch; the second reduces scalars without an axis.
    Nothing changes for the other strategies.
    """
    global _patched
    if _patched:
        return
    try:
        from keras.src.backend.tensorflow import trainer as tf_trainer
    except ImportError:
        return
    reduce_per_replica = getattr(tf_trainer, "reduce_per_replica", None)
    multi = getattr(tf_trainer, "_collective_all_reduce_multi_worker", None)
    trainer = getattr(tf_trainer, "TensorFlowTrainer", None)
    if reduce_per_replica is None or multi is None or trainer is None:
        return  # another Keras: its own code runs
    import tensorflow as tf

    def reduce_scalars_without_axis(values, strategy, reduction="auto"):
        if multi(strategy) and reduction in ("auto", "mean"):
            def mean(v):
                rank = v.values[0].shape.rank if isinstance(v, tf.distribute.DistributedValues) else v.shape.rank
                return strategy.reduce("MEAN", v, axis=None if rank == 0 else 0)

            return tf.nest.map_structure(mean, values)
        return reduce_per_replica(values, strategy, reduction)

    original_build = trainer._maybe_symbolic_build

    def build_from_local_batch(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if strategy is None or not multi(strategy) or iterator is None:
            return original_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            batch = next(it)
            data_batch = tf.nest.map_structure(
                lambda v: strategy.experimental_local_results(v)[0]
                if isinstance(v, tf.distribute.DistributedValues) else v, batch)
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    tf_trainer.reduce_per_replica = reduce_scalars_without_axis
    trainer._maybe_symbolic_build = build_from_local_batch
    _patched = True
