"""Telling a run that learns nothing: after an epoch, a loss still at the loss of guessing
or an accuracy still near chance, and what to try (the learning rate first).

A run that diverges (NaN) stops with :class:`core.training.loop.TrainingDiverged`; one whose
rate is merely too high (or too low) trains on at chance level and says nothing, which
is the case told here.
"""

from __future__ import annotations

import math

#: An accuracy within this many points of chance (1 / classes) is "near chance".
NEAR_CHANCE = 0.05
#: A loss above this share of the loss of guessing (ln classes) has not moved.
FLAT_LOSS = 0.95


def learning_problem(info: dict, classes: int, learning_rate: float, default_rate: float | None,
                     arch_name: str = "this architecture") -> str | None:
    """What to tell about a run whose complete epoch ended with ``info`` (``loss``,
    ``accuracy``, ``val_loss``, ``val_accuracy``, ``epoch``), or None when it learns.

    Args:
        classes: the dataset's number of classes (chance is one in ``classes``).
        learning_rate: the run's peak rate; ``default_rate``: the architecture's default.
    """
    if classes < 2:
        return None
    accuracy = info.get("val_accuracy", info.get("accuracy"))
    loss = info.get("loss")
    chance, guess_loss = 1 / classes, math.log(classes)
    near_chance = accuracy is not None and math.isfinite(accuracy) and accuracy < chance + NEAR_CHANCE
    flat = loss is not None and math.isfinite(loss) and loss >= FLAT_LOSS * guess_loss
    if not (near_chance or flat):
        return None
    which = "validation accuracy" if "val_accuracy" in info else "accuracy"
    seen = []
    if accuracy is not None:
        seen.append(f"the {which} is {100 * accuracy:.1f}% (guessing gives {100 * chance:.1f}%)")
    if loss is not None:
        seen.append(f"the loss {loss:.3f} (guessing gives {guess_loss:.3f})")
    rate = f"{learning_rate:g}"
    if default_rate and learning_rate > 3 * default_rate:
        advice = (f"The learning rate, {rate}, is the likely cause: it is too high, so every step overshoots. "
                  f"Try a lower rate: {arch_name}'s default, {default_rate:g}, or at least a tenth of this one, "
                  f"{learning_rate / 10:g}.")
    elif default_rate and learning_rate < default_rate / 3:
        advice = (f"The learning rate, {rate}, is the likely cause: it is too low to move the weights much. "
                  f"Try {arch_name}'s default, {default_rate:g}.")
    else:
        advice = (f"The learning rate, {rate}, is the likely cause: try a tenth of it, {learning_rate / 10:g}; "
                  "if it is right, the run may be too short to tell (more images or epochs).")
    return (f"The network learns nothing: after epoch {info.get('epoch', 0) + 1} " + " and ".join(seen)
            + ". " + advice)
