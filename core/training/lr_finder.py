"""The learning-rate range test (Smith, 2017, "Cyclical Learning Rates for Training Neural
Networks", section 3.3): a short run whose rate rises exponentially from tiny to large,
one step at a time, the loss of each step recorded. The loss first stays flat (too low a
rate), then falls, then blows up; a good rate lies where it falls fastest.

    result = find_learning_rate(TrainConfig(arch="lenet5", limit=6000))
    result["suggested_lr"]
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from core.data.datasets import Dataset, load_dataset
from core.runtime.device import graph_lock
from core.training.config import TrainConfig

#: The range tried, and its steps.
START_LR, END_LR, STEPS = 1e-6, 1.0, 200
#: Exponential smoothing of the recorded losses (fastai's 0.98 is for a thousand steps).
SMOOTHING = 0.9
#: The test ends once the smoothed loss exceeds this many times its lowest.
BLOW_UP = 4.0


def learning_rates(start: float, end: float, steps: int) -> np.ndarray:
    """The rate of each step, rising exponentially from ``start`` to ``end``."""
    return start * (end / start) ** (np.arange(steps) / max(1, steps - 1))


def smoothed(losses) -> np.ndarray:
    """The losses smoothed exponentially, with the bias of the first steps corrected."""
    out, average = [], 0.0
    for i, loss in enumerate(losses, start=1):
        average = SMOOTHING * average + (1 - SMOOTHING) * float(loss)
        out.append(average / (1 - SMOOTHING ** i))
    return np.asarray(out)


def steepest(lrs, losses) -> float | None:
    """Where the smoothed loss falls fastest against log(rate), before its lowest point
    (what comes after is the blow-up); None when it never falls."""
    lrs, loss = np.asarray(lrs, float), smoothed(losses)
    lowest = int(np.argmin(loss))
    if lowest < 3 or not np.isfinite(loss[:lowest + 1]).all():
        return None
    slope = np.gradient(loss[:lowest + 1], np.log(lrs[:lowest + 1]))
    fastest = int(np.argmin(slope[1:])) + 1  # the first point's slope is one-sided
    return float(lrs[fastest]) if slope[fastest] < 0 else None


def suggest(lrs, losses) -> float | None:
    """The rate to train with: a tenth of the rate at the smoothed loss's lowest point
    (beyond which it blows up), and not below where it falls fastest; None when it never
    falls.

    The steepest point alone (:func:`steepest`) lies where the loss has only begun to fall:
    on LeNet-5 it was 4× below the best of a grid of short runs, while this lands within
    about 2× of it (``tests/core/test_lr_finder.py``).
    """
    fastest = steepest(lrs, losses)
    if fastest is None:
        return None
    lowest = float(np.asarray(lrs)[int(np.argmin(smoothed(losses)))])
    return max(lowest / 10, fastest)


def find_learning_rate(
    config: TrainConfig,
    *,
    data: Dataset | None = None,
    model=None,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    steps: int = STEPS,
    on_step: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Runs the range test with the config's optimiser, batch size and data.

    Args:
        config: the run's settings (its learning rate and schedule are not used).
        data: an already loaded dataset, to skip loading.
        model: the model to test; built from the config when None (with its start
            weights when it fine-tunes). Its weights are put back afterwards.
        on_step: called after each step with ``step``, ``steps``, ``lr`` and ``loss``.
        should_stop: polled after every step; the test ends early when it returns True.

    Returns:
        ``lrs`` and ``losses`` (one per step run), ``smoothed``, ``suggested_lr`` (see
        :func:`suggest`; None when the loss never fell), ``steepest_lr`` (see :func:`steepest`),
        ``stopped`` and ``blew_up``.

    Raises:
        core.training.config.SettingsError: for unusable settings.
        ValueError: for a range or a step count that makes no sense.
    """
    if not (0 < start_lr < end_lr) or steps < 10:
        raise ValueError("the range must rise from a positive rate, over at least 10 steps. Received: "
                         f"start_lr={start_lr!r}, end_lr={end_lr!r}, steps={steps!r}")
    import keras

    from core.runtime.device import load_tensorflow
    from core.runtime.tfdata import without_autotune
    from core.training.callbacks import output_names
    from core.training.compiling import AUX_LOSS_WEIGHT, make_optimizer
    from core.training.loop import build_network_checked, host_tensor, targets

    config.validate()
    load_tensorflow()
    if data is None:
        data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit, seed=config.seed,
                            **config.dataset_options())
    keras.utils.set_random_seed(config.seed)
    if model is None:
        from core.training.resume import put_start_weights

        if config.input_stats is None and data.input_shape[-1] == 3:
            from core.models.common import pixel_statistics

            config = dataclasses.replace(config, input_stats=pixel_statistics(data.x_train, seed=config.seed))
        with graph_lock:
            model = build_network_checked(config, data)
            put_start_weights(model, config, None)
    import tensorflow as tf

    weights = model.get_weights()
    trial = dataclasses.replace(config, learning_rate=start_lr, schedule="constant", warmup=0, strategy="default",
                                device="auto" if config.device == "all" else config.device)
    batch = min(config.batch_size, len(data.x_train))
    if getattr(data.x_train, "streamed", False):  # a large folder, read from disk as training reads it
        images = data.x_train.batches(np.asarray(data.y_train), batch, config.seed).unbatch()
    else:
        images = tf.data.Dataset.from_tensor_slices(
            (host_tensor(data.x_train), host_tensor(np.asarray(data.y_train), None))
        ).shuffle(min(len(data.x_train), 20_000), seed=config.seed)
    # Batches of one size, so that each step's loss can be told from Keras's running mean.
    stream = without_autotune(images.repeat().batch(batch, drop_remainder=True)
                              .map(lambda x, y: (x, targets(model, y))))
    lrs = learning_rates(start_lr, end_lr, steps)
    record = {"lrs": [], "losses": [], "stopped": False, "blew_up": False}

    class RangeTest(keras.callbacks.Callback):
        """Sets each step's rate; the running mean Keras reports gives each step's loss."""

        def __init__(self):
            super().__init__()
            self.mean, self.best = 0.0, math.inf

        def on_train_batch_begin(self, step, logs=None):
            self.model.optimizer.learning_rate.assign(float(lrs[step]))

        def on_train_batch_end(self, step, logs=None):
            mean = float(logs["loss"])
            loss = (step + 1) * mean - step * self.mean  # every batch has the same size
            self.mean = mean
            record["lrs"].append(float(lrs[step]))
            record["losses"].append(loss)
            if on_step:
                on_step({"step": step + 1, "steps": steps, "lr": float(lrs[step]), "loss": loss})
            current = smoothed(record["losses"])[-1]
            self.best = min(self.best, current)
            if not math.isfinite(loss) or current > BLOW_UP * self.best:
                record["blew_up"] = True
                self.model.stop_training = True
            elif should_stop and should_stop():
                record["stopped"] = True
                self.model.stop_training = True

    try:
        with graph_lock:
            names = output_names(model)
            # One step per call: every step gets its own rate and reports its loss.
            model.compile(optimizer=make_optimizer(trial, steps), steps_per_execution=1,
                          loss={n: "sparse_categorical_crossentropy" for n in names},
                          loss_weights={n: 1.0 if i == 0 else AUX_LOSS_WEIGHT for i, n in enumerate(names)})
            model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False, callbacks=[RangeTest()])
    finally:
        model.set_weights(weights)
    record["smoothed"] = [float(v) for v in smoothed(record["losses"])]
    record["suggested_lr"] = suggest(record["lrs"], record["losses"])
    record["steepest_lr"] = steepest(record["lrs"], record["losses"])
    return record
