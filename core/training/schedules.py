"""Learning-rate schedules: constant, step decay and cosine, each with optional warm-up.

"Reduce on plateau" is not a function of the step: it is a callback that lowers a
constant rate (see :func:`core.training.loop.train_model`).

:func:`learning_rate_at` computes the same curve in plain Python, for plots drawn before
training starts and for tests.
"""

from __future__ import annotations

import math

SCHEDULES = {
    "constant": "Constant",
    "step": "Step decay (÷10 at 50% and 75%)",
    "plateau": "Reduce on plateau (÷10)",
    "cosine": "Cosine decay",
}

#: Step decay divides the rate by 10 at these fractions of the run (ResNet's recipe).
STEP_BOUNDARIES = (0.5, 0.75)
#: Cosine decay ends at this fraction of the starting rate.
COSINE_FLOOR = 0.01
#: Reduce on plateau: divide by 10 (the VGG paper) when the validation loss has not
#: improved for this many epochs.
PLATEAU_FACTOR = 0.1
PLATEAU_PATIENCE = 2


def learning_rate_at(kind: str, base: float, step: int, total_steps: int, warmup_steps: int = 0) -> float:
    """The learning rate of ``kind`` at optimizer step ``step`` (0-based), in Python.

    ``plateau`` is constant here: its drops depend on the validation loss.
    """
    total_steps = max(1, total_steps)
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    if kind == "step":
        factor = 0.1 ** sum(step >= b * total_steps for b in STEP_BOUNDARIES)
    elif kind == "cosine":
        span = max(1, total_steps - warmup_steps)
        progress = min(1.0, max(0.0, (step - warmup_steps) / span))
        factor = COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + math.cos(math.pi * progress))
    else:
        factor = 1.0
    return base * warm * factor


def make_schedule(kind: str, base: float, total_steps: int, warmup_steps: int = 0, start_step: int = 0):
    """A Keras learning-rate schedule, or ``base`` itself when the rate is constant.

    Returns a float for ``constant`` and ``plateau`` without warm-up, so that the
    optimizer's rate stays a variable that ``ReduceLROnPlateau`` can lower.

    ``start_step``: the optimiser step at which the schedule begins (a finished run that
    trains on gets a new schedule of its own, while its optimiser counts on).
    """
    if kind in ("constant", "plateau") and warmup_steps <= 0:
        return float(base)
    return _schedule_class()(kind, float(base), int(total_steps), int(warmup_steps), int(start_step))


_CLASS = None


def _schedule_class():
    """The Keras schedule class, defined on first use so that importing this is cheap."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="cnn_studio", name="StudioSchedule")
    class StudioSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """:func:`learning_rate_at` as a Keras schedule (registered: loads in safe mode)."""

        def __init__(self, kind, base, total_steps, warmup_steps=0, start_step=0):
            self.kind, self.base = kind, base
            self.total_steps, self.warmup_steps = max(1, total_steps), warmup_steps
            self.start_step = start_step

        def __call__(self, step):
            step = ops.cast(step, "float32") - float(self.start_step)
            total = float(self.total_steps)
            rate = ops.convert_to_tensor(self.base, "float32")
            if self.warmup_steps > 0:
                rate = rate * ops.minimum(1.0, (step + 1.0) / float(self.warmup_steps))
            if self.kind == "step":
                for boundary in STEP_BOUNDARIES:
                    rate = rate * ops.where(step >= boundary * total, 0.1, 1.0)
            elif self.kind == "cosine":
                span = max(1.0, total - self.warmup_steps)
                progress = ops.clip((step - self.warmup_steps) / span, 0.0, 1.0)
                rate = rate * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + ops.cos(math.pi * progress)))
            return rate

        def get_config(self):
            return {"kind": self.kind, "base": self.base, "total_steps": self.total_steps,
                    "warmup_steps": self.warmup_steps, "start_step": self.start_step}

    _CLASS = StudioSchedule
    return _CLASS
