"""Sweeps: every combination of some settings, each trained with several seeds, and a
verdict on whether a difference between two combinations is real or run-to-run noise.

Two runs of the same settings differ (LeNet-5 here: 98.99–99.09% test accuracy across
seeds), so one run against one run says little. Each combination is run with N seeds;
two combinations are compared by the difference of their mean test accuracies with a 95%
confidence interval (Welch's t, unequal variances).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, fields, replace

from core.config import TrainConfig

#: Settings a sweep may vary (the rest of a TrainConfig is the run's, not the question's).
SWEEPABLE = ("form", "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "nesterov",
             "weight_decay", "schedule", "warmup", "augment", "deslant",
             "early_stopping", "val_split", "mixed_precision")
#: Power of the seed estimate: seeds that would find the observed difference 80% of the time.
POWER_Z = 0.8416


def parse_param(text: str) -> tuple[str, list]:
    """``"optimizer=adam,sgd"`` → ``("optimizer", ["adam", "sgd"])``, each value of the
    setting's own type (``lr`` may stand for ``learning_rate``).

    Raises:
        ValueError: an unknown setting, no values, or a value of the wrong type.
    """
    name, sep, values = text.partition("=")
    name = {"lr": "learning_rate"}.get(name.strip().replace("-", "_"), name.strip().replace("-", "_"))
    if not sep or name not in SWEEPABLE:
        raise ValueError(f"--param takes NAME=V1,V2 with NAME one of {', '.join(SWEEPABLE)}. Received: {text!r}")
    kind = type(next(f.default for f in fields(TrainConfig) if f.name == name))
    parsed = []
    for raw in (v.strip() for v in values.split(",")):
        if not raw:
            continue
        try:
            if kind is bool:
                if raw.lower() not in ("true", "false", "on", "off", "1", "0", "yes", "no"):
                    raise ValueError(raw)
                parsed.append(raw.lower() in ("true", "on", "1", "yes"))
            else:
                parsed.append(kind(raw))
        except ValueError:
            raise ValueError(f"--param {name} takes {kind.__name__} values. Received: {raw!r}") from None
    if len(parsed) < 1 or len(set(parsed)) != len(parsed):
        raise ValueError(f"--param {name} needs distinct values separated by commas. Received: {text!r}")
    return name, parsed


def combinations(params: dict[str, list]) -> list[dict]:
    """Every combination of the values, in the order given (the first is the baseline)."""
    names = list(params)
    return [dict(zip(names, values)) for values in itertools.product(*(params[n] for n in names))]


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (0.5 < p < 1)."""
    low, high = 0.0, 1e4
    for _ in range(200):  # bisection on the distribution function
        mid = (low + high) / 2
        if _t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    return 1.0 - 0.5 * _betainc(df / 2, 0.5, x)


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function (continued fraction, Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _betainc(b, a, 1 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)) / a
    f, c, d = 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        if i == 0:
            numerator = 1.0
        elif i % 2 == 0:
            numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + numerator * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + numerator / (c if abs(c) > 1e-300 else 1e-300)
        f *= c * d
        if abs(1.0 - c * d) < 1e-12:
            break
    return front * (f - 1.0)


def _mean_var(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return mean, var


def compare(a: list[float], b: list[float], confidence: float = 0.95) -> dict:
    """Compares two samples (test accuracies over seeds): ``difference`` (mean of b minus
    mean of a), its ``low``–``high`` confidence interval (Welch's t), a ``verdict``, and
    ``seeds_needed``: the seeds per combination that would likely settle it (None when the
    interval already does, or when no difference was seen)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"a verdict needs at least 2 runs on each side. Received: {len(a)} and {len(b)}")
    (mean_a, var_a), (mean_b, var_b) = _mean_var(a), _mean_var(b)
    difference = mean_b - mean_a
    se2 = var_a / len(a) + var_b / len(b)
    if se2 == 0:
        low = high = difference
    else:
        df = se2 ** 2 / ((var_a / len(a)) ** 2 / (len(a) - 1) + (var_b / len(b)) ** 2 / (len(b) - 1))
        half = t_quantile(0.5 + confidence / 2, df) * math.sqrt(se2)
        low, high = difference - half, difference + half
    real = low > 0 or high < 0
    seeds_needed = None
    if not real and difference != 0:
        z = t_quantile(0.5 + confidence / 2, 1e6)
        spread = (var_a + var_b) / 2
        seeds_needed = max(len(a), len(b)) + 1
        if spread > 0:
            seeds_needed = max(seeds_needed, math.ceil(2 * (z + POWER_Z) ** 2 * spread / difference ** 2))
    verdict = ("a real difference" if real else
               "within run-to-run noise — more seeds would tell" + (f" (about {seeds_needed} per combination)"
                                                                  if seeds_needed else ""))
    return {"difference": difference, "low": low, "high": high, "verdict": verdict, "real": real,
            "seeds_needed": seeds_needed}


@dataclass
class Combination:
    """The runs of one combination of settings."""

    params: dict
    runs: list[dict] = field(default_factory=list)  # each: seed, test_accuracy, best_val_loss, epoch_seconds, history

    def stat(self, key: str) -> tuple[float | None, float | None]:
        values = [r[key] for r in self.runs if r.get(key) is not None]
        if not values:
            return None, None
        mean, var = _mean_var(values)
        return mean, math.sqrt(var)

    def band(self, key: str) -> dict | None:
        """The mean ± standard deviation over the runs of a per-epoch curve, for the epochs
        every run reached: ``{"epochs", "mean", "std"}`` (None without such a curve)."""
        curves = [r["history"][key] for r in self.runs if (r.get("history") or {}).get(key)]
        if not curves:
            return None
        length = min(len(c) for c in curves)
        stats = [_mean_var([c[i] for c in curves]) for i in range(length)]
        return {"epochs": list(range(1, length + 1)), "mean": [m for m, _ in stats],
                "std": [math.sqrt(v) for _, v in stats]}

    def summary(self) -> dict:
        mean, std = self.stat("test_accuracy")
        loss, _ = self.stat("best_val_loss")
        seconds, _ = self.stat("epoch_seconds")
        bands = {key: self.band(key) for key in ("val_accuracy", "val_loss")}
        return {"params": self.params, "runs": len(self.runs), "test_accuracy_mean": mean,
                "test_accuracy_std": std, "best_val_loss_mean": loss, "epoch_seconds_mean": seconds,
                "curves": {k: v for k, v in bands.items() if v}}


def label(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def run_sweep(base: TrainConfig, params: dict[str, list], seeds: int, *, data=None, on_run=None,
              on_result=None, should_stop=None, **callbacks) -> list[Combination]:
    """Trains every combination of ``params`` with ``seeds`` seeds (``base.seed``,
    ``base.seed + 1``, …), one run after another.

    Args:
        base: the settings the combinations change.
        on_run: called before each run with ``(k, total, params, seed)``.
        on_result: called after each run with ``(params, seed, TrainResult)`` (to save it).
        should_stop: ends the sweep after the current run's batch; finished runs are kept.
        **callbacks: passed to :func:`core.training.run_training`.

    Raises:
        core.config.SettingsError: a combination that cannot be trained (checked before
            the first run).
    """
    from core.training import run_training

    if seeds < 1:
        raise ValueError(f"seeds must be at least 1. Received: seeds={seeds}")
    combos = [Combination(p) for p in combinations(params)]
    configs = [[replace(base, **c.params, seed=base.seed + s) for s in range(seeds)] for c in combos]
    for row in configs:
        row[0].validate()
    total, k = len(combos) * seeds, 0
    for combo, row in zip(combos, configs):
        for config in row:
            if should_stop and should_stop():
                return combos
            k += 1
            if on_run:
                on_run(k, total, combo.params, config.seed)
            result = run_training(config, data=data, should_stop=should_stop, **callbacks)
            if result.stopped:
                return combos
            history = result.history
            epochs = max(1, result.epochs_completed)
            combo.runs.append({"seed": config.seed, "test_accuracy": result.test_accuracy,
                               "best_val_loss": min(history["val_loss"]) if history.get("val_loss") else None,
                               "epoch_seconds": result.train_seconds / epochs,
                               "history": {k: list(v) for k, v in history.items()}})
            if on_result:
                on_result(combo.params, config.seed, result)
    return combos


def verdicts(combos: list[Combination]) -> list[dict]:
    """Each combination against the first (the baseline), on test accuracy."""
    out = []
    base = combos[0] if combos else None
    for other in combos[1:]:
        a = [r["test_accuracy"] for r in base.runs if r["test_accuracy"] is not None]
        b = [r["test_accuracy"] for r in other.runs if r["test_accuracy"] is not None]
        if len(a) < 2 or len(b) < 2:
            continue
        result = compare(a, b)
        out.append({"a": label(base.params), "b": label(other.params), **{k: result[k] for k in (
            "difference", "low", "high", "verdict", "seeds_needed")}})
    return out


def draw_bands(figure, summaries: list[dict]) -> None:
    """Draws each combination's validation curves on a matplotlib ``Figure`` (cleared
    first): the mean over its seeds as a line, mean ± one standard deviation as a band."""
    figure.clear()
    acc_ax, loss_ax = figure.subplots(1, 2)
    for i, s in enumerate(summaries):
        colour = f"C{i % 10}"
        for key, ax in (("val_accuracy", acc_ax), ("val_loss", loss_ax)):
            band = (s.get("curves") or {}).get(key)
            if not band:
                continue
            x, mean, std = band["epochs"], band["mean"], band["std"]
            ax.plot(x, mean, "-o", color=colour, markersize=3, label=f"{label(s['params'])} ({s['runs']} runs)")
            ax.fill_between(x, [m - d for m, d in zip(mean, std)], [m + d for m, d in zip(mean, std)],
                            color=colour, alpha=0.2, linewidth=0)
    from core.compare import epoch_axes

    acc_ax.set_title("Validation accuracy (mean ± std over seeds)", fontsize=9)
    loss_ax.set_title("Validation loss", fontsize=9)
    epoch_axes(acc_ax, loss_ax)
    if acc_ax.lines:
        acc_ax.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
