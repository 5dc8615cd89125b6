"""Training as a plain function with progress callbacks and a stop flag.

The same code serves the window (wrapped by a Qt worker in ``gui/``), the command line
and scripts::

    config = TrainConfig(arch="lenet5", epochs=3)
    result = run_training(config, on_epoch=print)

The settings and their checks are in :mod:`core.training.config`, the augmentation in
:mod:`core.data.augment`, the callbacks in :mod:`core.training.callbacks`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

from core.data.augment import augmented_batches
from core.training.callbacks import checkpoint_callback_class, output_names, progress_callback_class, stop_agreement
from core.training.config import SettingsError, TrainConfig
from core.data.datasets import Dataset, load_dataset
from core.runtime.device import graph_lock
from core.runtime.distribute import WorkerFailure, is_chief, is_worker_failure
from core.models.registry import get_arch
from core.training.compiling import (build_metrics_eagerly, compile_model, effective_learning_rate,
                                     replica_count)
from core.training.schedules import PLATEAU_FACTOR, PLATEAU_PATIENCE

BatchCallback = Callable[[dict], None]
EpochCallback = Callable[[dict], None]
SnapshotCallback = Callable[[list], None]


class TrainingDiverged(RuntimeError):
    """The loss became NaN, infinite or enormous (see :data:`core.training.callbacks.DIVERGED_LOSS`)."""


class TrainingOutOfMemory(RuntimeError):
    """The device ran out of memory during training."""


@dataclass
class TrainResult:
    """What a finished (or stopped) run leaves."""

    config: TrainConfig
    model: object
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_completed: int = 0
    stopped: bool = False
    stopped_early: bool = False
    checkpoint_error: str | None = None
    train_seconds: float = 0.0
    images_per_second: float = 0.0
    test_loss: float | None = None
    test_accuracy: float | None = None
    training_state: dict | None = None
    schedule_epochs: int = 0
    resumed_after: int = 0
    fine_tune: dict | None = None
    warning: str | None = None
    state_epoch: int | None = None

    def summary_dict(self) -> dict:
        """Plain data describing the run (for JSON and signals)."""
        return {
            "arch": self.config.arch,
            "dataset": self.config.dataset,
            "epochs": self.epochs_completed,
            "stopped": self.stopped,
            "stopped_early": self.stopped_early,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "train_seconds": round(self.train_seconds, 3),
            "images_per_second": round(self.images_per_second, 1),
            "warning": self.warning,
            "history": self.history,
        }


#: Images converted to a tensor per piece (see :func:`host_tensor`).
CONVERT_CHUNK = 2048


def host_tensor(array, dtype: str | None = "float32"):
    """``array`` as a tensor in host memory, made piece by piece.

    Converting a NumPy array to a tensor copies it while holding the GIL: all of MNIST at
    once (170 MB as float32, in ``fit``'s data adapter) froze the window for about 60 ms
    as training started. Pieces of a few MB let the UI thread run in between; casting and
    joining them runs in TensorFlow, without the GIL.
    """
    import tensorflow as tf

    with tf.device("/cpu:0"):
        parts = []
        for i in range(0, max(len(array), 1), CONVERT_CHUNK):
            part = tf.convert_to_tensor(array[i:i + CONVERT_CHUNK])
            parts.append(tf.cast(part, dtype) if dtype is not None else part)
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)


def targets(model, y):
    """Labels in the structure the model's outputs need (one copy per head)."""
    names = output_names(model)
    return y if len(names) == 1 else {n: y for n in names}


def train_model(
    model,
    data: Dataset,
    config: TrainConfig,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    on_snapshot: SnapshotCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    should_pause: Callable[[], bool] | None = None,
    report_interval: float = 0.1,
    on_start: Callable[[dict], None] | None = None,
    plain_copy=None,
    state=None,
) -> TrainResult:
    """Trains a built model on a loaded dataset.

    Args:
        model: an uncompiled (or compiled) Keras model taking raw pixels.
        data: the dataset, as returned by :func:`core.data.datasets.load_dataset`.
        config: settings; validated here.
        on_batch: called at most every ``report_interval`` seconds and at the end of each
            epoch with ``epoch``, ``epochs``, ``batch``, ``batches``, ``loss`` and
            ``accuracy`` (means over the batches since the last report), ``epoch_loss`` and
            ``epoch_accuracy`` (means since the epoch began), ``images_per_second``,
            ``learning_rate``, ``elapsed`` and ``progress`` (0 to 1).
        on_epoch: called after each epoch with ``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy``, ``learning_rate``, ``seconds``, ``images_per_second`` and
            ``complete`` (False for an epoch cut short by a stop).
        on_snapshot: called after each complete epoch with the weights (NumPy arrays), a
            copy that other threads may use while training goes on. It runs in the
            training thread with :data:`core.runtime.device.graph_lock` held, so it may build a
            model to hand over to another thread.
        should_stop: polled after every batch; training ends within a batch once it
            returns True, keeping the weights as they are.
        should_pause: polled after every batch; while it returns True the training thread
            sleeps (no CPU used), and the pause counts neither in images per second nor
            in the ETA.
        on_start: called once before the first batch with ``strategy``, ``replicas``,
            ``learning_rate`` (after scaling), ``chief`` and ``worker`` (index or None).
        plain_copy: for multi-worker training, a model of the same architecture built
            outside the strategy: checkpoints and the result are this copy holding the
            trained weights (saving a model of the cluster would need the other workers).
        state: a :class:`core.training.resume.TrainingState` to go on from (its weights already
            in ``model``): the optimiser's state, the schedule's position and the history
            are restored, and ``config.epochs`` more epochs follow the saved ones.

    Raises:
        SettingsError: for unusable settings.
        TrainingDiverged: when the loss becomes NaN or infinite.
        TrainingOutOfMemory: when the device runs out of memory.
    """
    import keras

    from core.runtime.device import load_tensorflow
    from core.runtime.distribute import training_scope
    from core.models.registry import inference_model

    load_tensorflow()  # configured once (pipelines without autotuning, see core.runtime.tfdata)

    def export(trained):
        if plain_copy is None:
            return inference_model(trained)
        plain_copy.set_weights(trained.get_weights())
        return inference_model(plain_copy)

    config.validate()
    initial_epoch = state.epochs_completed if state else 0
    total_epochs = initial_epoch + config.epochs
    schedule_epochs = max(total_epochs, state.schedule_epochs) if state else config.epochs
    # A resumed run must not see its first epochs' shuffles again.
    seed = config.seed + initial_epoch
    keras.utils.set_random_seed(seed)
    replicas = replica_count(config)
    if config.batch_size % replicas:
        raise SettingsError({"batch_size": f"must be a multiple of the {replicas} devices that train "
                                           f"together, not {config.batch_size}"})
    chief = is_chief(config)
    # Every device must get an equal share of each batch (MirroredStrategy fails on the
    # uneven last batch of validation): leave out the last few images (fewer than replicas).
    n_train = len(data.x_train) // replicas * replicas
    if n_train == 0:
        raise SettingsError({"limit": "leaves no training images"})
    streamed = getattr(data.x_train, "streamed", False)  # a large folder, read from disk as it trains
    if streamed:
        sample_x, sample_y = host_tensor(data.x_train[:replicas]), host_tensor(data.y_train[:replicas], None)
    else:
        x_train, y_train = host_tensor(data.x_train[:n_train]), host_tensor(data.y_train[:n_train], None)
        sample_x, sample_y = x_train[:replicas], y_train[:replicas]
    steps = math.ceil(n_train / config.batch_size)
    validation = None
    n_val = len(data.x_val) // replicas * replicas
    if n_val:
        validation = (host_tensor(data.x_val[:n_val]), targets(model, host_tensor(data.y_val[:n_val], None)))
    monitor = "val_loss" if validation else "loss"
    from core.training.diagnosis import learning_problem

    arch = get_arch(config.arch)
    progress = progress_callback_class()(
        total_epochs, steps, config.batch_size, n_train, report_interval,
        on_batch, on_epoch, on_snapshot, should_stop, should_pause,
        agree=stop_agreement(config) if config.strategy == "multiworker" else None,
        initial_epoch=initial_epoch,
        diagnose=lambda info: learning_problem(info, data.num_classes, effective_learning_rate(config, replicas),
                                               arch.defaults.learning_rate, arch.name),
    )
    if state:
        progress.history = {k: list(v) for k, v in state.history.items()}
        progress.epochs_completed = initial_epoch
    callbacks = [progress]
    early = None
    if config.early_stopping:
        from core.training.callbacks import best_state_early_stopping_class

        early = best_state_early_stopping_class()(monitor="val_loss", patience=config.early_stopping)
        callbacks.append(early)
    if config.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE, min_lr=1e-7))
    checkpoint = None
    if config.checkpoint and chief:  # one writer: the other workers hold the same weights
        checkpoint = checkpoint_callback_class()(config.checkpoint, monitor, {
            "arch": config.arch, "arch_name": get_arch(config.arch).name, "dataset": config.dataset,
            "class_names": list(data.info.class_names), "input_shape": list(data.input_shape),
            "config": config.to_dict(), "schedule_epochs": schedule_epochs,
        }, export, lambda: progress.history)
        callbacks.append(checkpoint)
    if config.tensorboard and chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=config.tensorboard, update_freq="epoch"))
    if on_start:
        on_start({"strategy": "mirrored" if config.device == "all" else config.strategy,
                  "replicas": replicas, "learning_rate": effective_learning_rate(config, replicas),
                  "chief": chief,
                  "worker": config.worker_index if config.strategy == "multiworker" else None})
    start = time.perf_counter()
    stream_cache = None  # a streamed folder's decoded images, on disk for the run
    # fit traces its steps and creates tf.data iterators every epoch: no other thread
    # may build graphs meanwhile (see core.runtime.device.graph_lock).
    try:
        with graph_lock, training_scope(config):
            compile_model(model, config, steps, replicas, schedule_epochs)
            if state:
                from core.training.resume import restore_optimizer

                try:
                    restore_optimizer(model.optimizer, state)
                except ValueError as e:
                    raise SettingsError({"resume": f"cannot go on from {config.resume}: {e}"}) from e
            build_metrics_eagerly(model, sample_x, targets(model, sample_y))
            if streamed:
                augment = None
                if config.augment:
                    from core.data.augment import augment_batch, crop_and_flip_batch

                    augment = crop_and_flip_batch if data.input_shape[-1] == 3 else augment_batch
                stream_cache = tempfile.mkdtemp(prefix="cnn-studio-decoded-")
                inputs = (data.x_train.batches(data.y_train, config.batch_size, seed, augment,
                                               lambda y: targets(model, y), count=n_train,
                                               cache_dir=stream_cache),)
                fit_args = {"shuffle": False}  # the pipeline shuffles
            elif config.augment:
                inputs = (augmented_batches(x_train, targets(model, y_train), config.batch_size, seed,
                                             photos=data.input_shape[-1] == 3),)
                fit_args = {"shuffle": False}  # the pipeline shuffles
            else:
                inputs = (x_train, targets(model, y_train))
                fit_args = {"batch_size": config.batch_size, "shuffle": True}
            with warnings.catch_warnings():
                # A streamed folder's batches are counted in its first epoch (files that cannot
                # be decoded are skipped), which Keras reports as "ran out of data": expected.
                warnings.filterwarnings("ignore", message="Your input ran out of data")
                model.fit(*inputs, initial_epoch=initial_epoch, epochs=total_epochs, validation_data=validation,
                          verbose=0, callbacks=callbacks, **fit_args)
    except Exception as e:
        if config.strategy == "multiworker" and is_worker_failure(e):
            raise WorkerFailure(
                "Another worker stopped or cannot be reached, so training stopped here too "
                f"({type(e).__name__}: {str(e).strip().splitlines()[-1][:200]}). Check the other "
                "workers' output, then start every worker again."
            ) from e
        if isinstance(e, MemoryError) or type(e).__name__ == "ResourceExhaustedError":
            raise TrainingOutOfMemory(
                f"Out of memory at batch size {config.batch_size}: training stopped. Try a smaller "
                "batch size" + (", or the compact form." if config.form == "reference" else ".")
            ) from e
        raise
    finally:
        if stream_cache is not None:
            shutil.rmtree(stream_cache, ignore_errors=True)
    seconds = time.perf_counter() - start - progress.paused_seconds
    if progress.diverged:
        raise TrainingDiverged(
            "The loss became NaN, infinite or enormous, so training stopped. "
            f"Try a lower learning rate (now {config.learning_rate:g}), e.g. "
            f"{config.learning_rate / 10:g}."
        )
    result = TrainResult(
        config=config, model=export(model), history=progress.history,
        epochs_completed=progress.epochs_completed, stopped=progress.stop_requested,
        stopped_early=bool(config.early_stopping) and not progress.stop_requested
        and progress.epochs_completed < total_epochs,
        train_seconds=seconds,
        images_per_second=progress.images_seen / seconds if seconds > 0 else 0.0,
        checkpoint_error=checkpoint.error if checkpoint else None,
        schedule_epochs=schedule_epochs, resumed_after=initial_epoch, warning=progress.warning,
    )
    if progress.epochs_completed >= 1:
        from core.training.resume import capture

        result.training_state = capture(model)
        restored = early.restored_epoch if early is not None else None
        if result.training_state and restored is not None and restored > initial_epoch \
                and restored != progress.epochs_completed and early.best_optimizer is not None:
            # The best epoch's weights are the model's now: its optimiser state goes with them.
            result.training_state["optimizer"] = early.best_optimizer
            result.state_epoch = restored
    return result


def build_network_checked(config: TrainConfig, data: Dataset):
    """The run's model; a network file whose layers do not fit together is a setting to fix
    (:class:`SettingsError` naming the layer), not a failure of the run."""
    from core.models.networks import NetworkError
    from core.models.registry import build_model

    try:
        return build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
    except NetworkError as e:
        raise SettingsError({"network": str(e)}) from None


def run_training(
    config: TrainConfig,
    *,
    data: Dataset | None = None,
    evaluate: bool = True,
    should_abort: Callable[[], bool] | None = None,
    **callbacks,
) -> TrainResult:
    """Loads the data, builds the model, trains it and measures it on the test set.

    Args:
        config: settings; validated before anything is loaded.
        data: an already loaded dataset, to skip loading.
        evaluate: measure test loss and accuracy after training.
        should_abort: when it returns True after training, the test evaluation is skipped
            (the window is closing).
        **callbacks: ``on_batch``, ``on_epoch``, ``on_snapshot``, ``should_stop``,
            ``should_pause``, ``on_start`` and ``report_interval``, passed to
            :func:`train_model`.
    """
    from core.runtime.device import load_tensorflow
    from core.inspect.evaluation import evaluate_classifier
    from core.models.registry import build_model

    config.validate()
    load_tensorflow()
    from core.runtime.distribute import get_strategy, training_scope

    try:
        # First: a multi-worker strategy must exist before TensorFlow runs anything.
        get_strategy(config)
    except ValueError as e:
        raise SettingsError({"devices" if config.devices else "strategy": str(e)}) from e
    if data is None:
        data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit,
                            seed=config.seed, **config.dataset_options())
    from core.runtime.device import dtype_policy, precision_policy_name, resolve_device

    try:
        resolve_device(config.device)
    except ValueError as e:
        raise SettingsError({"device": str(e)}) from e
    try:
        policy = precision_policy_name(config.mixed_precision, config.device)
    except ValueError as e:
        raise SettingsError({"mixed_precision": str(e)}) from e
    import keras

    if config.input_stats is None and data.input_shape[-1] == 3 and not config.resume:
        from core.models.common import pixel_statistics

        # Colour photos: each channel standardised with the training images' statistics.
        config.input_stats = pixel_statistics(data.x_train, seed=config.seed)
    keras.utils.set_random_seed(config.seed)  # the initial weights too
    plain = None
    if config.strategy == "multiworker":
        # A copy tied to no cluster: saving and evaluating it needs no other worker.
        with graph_lock, dtype_policy(policy):
            plain = build_model(config.arch, data.input_shape, data.num_classes, **config.model_options())
    from core.training.resume import put_start_weights, state_for

    state = state_for(config) if config.resume else None
    with graph_lock, training_scope(config), dtype_policy(policy):
        model = build_network_checked(config, data)
        fine_tune = put_start_weights(model, config, state)
    result = train_model(model, data, config, plain_copy=plain, state=state, **callbacks)
    result.fine_tune = fine_tune
    if evaluate and not (should_abort and should_abort()) and len(data.x_test):
        with graph_lock:
            scores = evaluate_classifier(result.model, data.x_test, data.y_test)
        result.test_loss, result.test_accuracy = scores["loss"], scores["accuracy"]
    return result

