"""What a run sets up before its first step: the optimiser with its learning-rate
schedule, how many steps each call into TensorFlow runs, and compiling the model (its
auxiliary heads weighted as in GoogLeNet's paper)."""

from __future__ import annotations

from core.training.callbacks import output_names
from core.training.config import TrainConfig
from core.training.schedules import make_schedule


def replica_count(config: TrainConfig) -> int:
    """How many replicas train together under the config's strategy (1 on one device)."""
    from core.runtime.distribute import get_strategy, replicas_of

    return replicas_of(get_strategy(config))


def effective_learning_rate(config: TrainConfig, replicas: int) -> float:
    """The peak learning rate trained with: scaled by the replicas when asked."""
    return float(config.learning_rate) * (replicas if config.scale_lr else 1)


def make_optimizer(config: TrainConfig, steps_per_epoch: int, replicas: int = 1, schedule_epochs: int | None = None):
    """Builds the Keras optimiser (with its learning-rate schedule) of a config.

    ``schedule_epochs`` is the schedule's length (default ``config.epochs``): longer for
    a resumed run, whose schedule counts the epochs already trained. A schedule that
    begins later (``config.schedule_start``, a finished run trained on) spans only the
    epochs from there.
    """
    import keras

    start = config.schedule_start * steps_per_epoch
    total = (schedule_epochs or config.epochs) * steps_per_epoch - start
    lr = make_schedule(config.schedule, effective_learning_rate(config, replicas), total,
                       config.warmup * steps_per_epoch, start_step=start)
    decay = float(config.weight_decay) or None
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=float(config.momentum), nesterov=config.nesterov,
                                    weight_decay=decay)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, weight_decay=decay)
    return keras.optimizers.Adam(lr, weight_decay=decay)


AUX_LOSS_WEIGHT = 0.3
#: Training steps per call into TensorFlow (Keras ``steps_per_execution``) aim at about
#: this long by :func:`core.models.summary.estimate_training`: a small model's step is mostly
#: Python overhead (LeNet-5: ≈5 ms, most of it not arithmetic), while Stop and Pause are
#: answered between calls. LeNet-5 gets 14 steps a call, the count its time to 99% was
#: measured with; models with steps of 0.1 s or more get one or two.
EXECUTION_SECONDS = 0.15
MAX_STEPS_PER_EXECUTION = 32


#: An epoch still reports its progress at least this many times.
MIN_REPORTS_PER_EPOCH = 20


def steps_per_execution(model, batch_size: int, steps_per_epoch: int) -> int:
    """How many training steps to run per call: 1 for models whose step is long, and few
    enough that an epoch still reports :data:`MIN_REPORTS_PER_EPOCH` times."""
    from core.models.summary import estimate_training, summarize

    try:
        step = estimate_training(summarize(model), batch_size, batch_size)["seconds_per_epoch"]
    except Exception:  # a layer the counter does not know: one step at a time is safe
        return 1
    by_time = EXECUTION_SECONDS // max(step, 1e-9)
    return int(max(1, min(MAX_STEPS_PER_EXECUTION, by_time, steps_per_epoch // MIN_REPORTS_PER_EPOCH)))


def compile_model(model, config: TrainConfig, steps_per_epoch: int, replicas: int = 1,
                  schedule_epochs: int | None = None) -> None:
    """Compiles for integer labels; auxiliary heads get loss weight 0.3 (GoogLeNet)."""
    names = output_names(model)
    optimizer = make_optimizer(config, steps_per_epoch, replicas, schedule_epochs)
    # Keras cannot run several steps per call under a distribution strategy ("has_next"
    # fails inside the multi-step loop): one step per call there.
    distributed = config.strategy != "default" or config.device == "all"
    spe = 1 if distributed else steps_per_execution(model, config.batch_size, steps_per_epoch)
    if len(names) == 1:
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      steps_per_execution=spe)
    else:
        model.compile(
            optimizer=optimizer, steps_per_execution=spe,
            loss={n: "sparse_categorical_crossentropy" for n in names},
            loss_weights={n: 1.0 if i == 0 else AUX_LOSS_WEIGHT for i, n in enumerate(names)},
            metrics={names[0]: ["accuracy"]},
        )
    # The optimiser's slots are made now, eagerly: made by fit inside its first traced
    # step, their initialisers left graphs that TensorFlow never freed (≈5 MB a run).
    model.optimizer.build(model.trainable_variables)


def build_metrics_eagerly(model, x, y) -> None:
    """Makes the compiled loss trackers and metrics (their variables) from a sample batch,
    eagerly, as ``fit`` would inside a scratch graph: made there, their initialisers left
    graphs that were never freed (≈5 MB a run). Keras internals: any failure leaves the
    building to ``fit``."""
    try:
        y_pred = model(x, training=False)
        for compiled in (getattr(model, "_compile_loss", None), getattr(model, "_compile_metrics", None)):
            if compiled is not None and not compiled.built:
                compiled.build(y, y_pred)
    except Exception:  # noqa: BLE001 - fit builds them itself
        pass
