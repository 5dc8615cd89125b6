"""Sweeps: every combination of some settings, each trained with several seeds, and a
verdict on whether a difference between two combinations is real or run-to-run noise.

Two runs of the same settings differ (LeNet-5 here: 98.99–99.09% test accuracy across
seeds), so one run against one run says little. Each combination is run with N seeds;
two combinations are compared by the difference of their mean test accuracies with a 95%
confidence interval: the paired t-test where both ran the same seeds (a seed's luck then
cancels out), Welch's t-test (unequal variances) otherwise.

A run that fails (it diverged, ran out of memory) is reported with its reason; the other
runs are kept, saved and compared.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, fields, replace

from core.training.config import TrainConfig

#: Settings a sweep may vary (the rest of a TrainConfig is the run's, not the question's).
SWEEPABLE = ("form", "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "nesterov",
             "weight_decay", "schedule", "warmup", "augment", "deslant",
             "early_stopping", "val_split", "mixed_precision")


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
    mean = math.fsum(values) / len(values)
    if max(values) - min(values) <= 1e-12 * max(1.0, abs(mean)):
        return mean, 0.0  # equal values (not rounding's crumbs of a variance)
    var = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, var


WELCH = "Welch's t-test"
PAIRED = "paired t-test (same seeds)"


def seeds_for_power(difference: float, spread: float, at_least: int, paired: bool,
                    confidence: float = 0.95, power: float = 0.8) -> int:
    """The runs per combination with which a difference of ``difference`` would be found
    ``power`` of the time, at ``confidence``, by the same t-test: the smallest ``n`` with
    ``n ≥ k (t(1 - α/2, df) + t(power, df))² spread / difference²`` (``k`` 2 and
    ``df = 2n - 2`` for two samples, ``k`` 1 and ``df = n - 1`` for paired differences,
    ``spread`` their variance). The normal quantiles give a lower bound to start from."""
    k = 1 if paired else 2
    z = t_quantile(0.5 + confidence / 2, 1e6) + t_quantile(power, 1e6)
    n = max(at_least, 2, math.ceil(k * z * z * spread / difference ** 2))
    while n < 100_000:
        df = n - 1 if paired else 2 * n - 2
        t = t_quantile(0.5 + confidence / 2, df) + t_quantile(power, df)
        if n >= k * t * t * spread / difference ** 2:
            return n
        n += 1
    return n


def compare(a: list[float], b: list[float], confidence: float = 0.95, paired: bool = False) -> dict:
    """Compares two samples (test accuracies over seeds): ``difference`` (mean of b minus
    mean of a), its ``low``–``high`` confidence interval, a ``verdict``, ``real``, the
    ``test`` used, and ``seeds_needed``: the seeds per combination that would likely settle
    it (None when the interval already does, or when no difference was seen).

    Args:
        paired: ``a[i]`` and ``b[i]`` ran with the same seed: the paired t-test on their
            differences, which cancels what a seed does to both (fewer seeds needed);
            otherwise Welch's t-test (unequal variances).

    A spread of zero (every run of a side alike) tells nothing about run-to-run noise, so
    a difference then gets no verdict either way.
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"a verdict needs at least 2 runs on each side. Received: {len(a)} and {len(b)}")
    if paired and len(a) != len(b):
        raise ValueError(f"a paired comparison needs one run of each side per seed. Received: {len(a)} and {len(b)}")
    if paired:
        mean_d, var_d = _mean_var([y - x for x, y in zip(a, b)])
        difference, se2, df, spread = mean_d, var_d / len(a), len(a) - 1, var_d
    else:
        (mean_a, var_a), (mean_b, var_b) = _mean_var(a), _mean_var(b)
        difference = mean_b - mean_a
        se2 = var_a / len(a) + var_b / len(b)
        spread = (var_a + var_b) / 2
        df = se2 ** 2 / ((var_a / len(a)) ** 2 / (len(a) - 1) + (var_b / len(b)) ** 2 / (len(b) - 1)) if se2 else 0
    test = PAIRED if paired else WELCH
    if se2 == 0:
        verdict = ("no difference: every run gave the same accuracy" if difference == 0 else
                   "cannot tell: the runs " + ("differ by the same amount at every seed" if paired else
                                               "of each combination gave identical accuracies")
                   + ", so there is no run-to-run spread to judge the difference by")
        return {"difference": difference, "low": difference, "high": difference, "verdict": verdict,
                "real": False, "seeds_needed": None, "test": test}
    half = t_quantile(0.5 + confidence / 2, df) * math.sqrt(se2)
    low, high = difference - half, difference + half
    real = low > 0 or high < 0
    seeds_needed = None
    if not real and difference != 0:
        seeds_needed = seeds_for_power(difference, spread, max(len(a), len(b)) + 1, paired, confidence)
    verdict = ("a real difference" if real else
               "within run-to-run noise — more seeds would tell" + (f" (about {seeds_needed} per combination)"
                                                                  if seeds_needed else ""))
    return {"difference": difference, "low": low, "high": high, "verdict": verdict, "real": real,
            "seeds_needed": seeds_needed, "test": test}


@dataclass
class Combination:
    """The runs of one combination of settings."""

    params: dict
    runs: list[dict] = field(default_factory=list)  # each: seed, test_accuracy, best_val_loss, epoch_seconds, history
    failures: list[dict] = field(default_factory=list)  # each: seed, error (what the person reads)

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
                "curves": {k: v for k, v in bands.items() if v}, "failed": [dict(f) for f in self.failures]}


def failed_runs(combos: list[Combination]) -> list[dict]:
    """Every run that failed: its ``params``, ``seed`` and ``error``."""
    return [{"params": c.params, **f} for c in combos for f in c.failures]


def label(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def run_sweep(base: TrainConfig, params: dict[str, list], seeds: int, *, data=None, on_run=None,
              on_result=None, on_failure=None, should_stop=None, **callbacks) -> list[Combination]:
    """Trains every combination of ``params`` with ``seeds`` seeds (``base.seed``,
    ``base.seed + 1``, …), one run after another.

    Args:
        base: the settings the combinations change.
        on_run: called before each run with ``(k, total, params, seed)``.
        on_result: called after each run with ``(params, seed, TrainResult)`` (to save it).
        on_failure: called after a run that failed with ``(params, seed, message)``; the
            sweep goes on with the next run (high learning rates diverge, large batches
            run out of memory: exactly what people sweep).
        should_stop: ends the sweep after the current run's batch; finished runs are kept.
        **callbacks: passed to :func:`core.training.loop.run_training`.

    Raises:
        core.training.config.SettingsError: a combination that cannot be trained (checked before
            the first run).
        core.data.datasets.DatasetUnavailableError: the dataset cannot be read (no run could).
    """
    import logging

    from core.data.datasets import DatasetUnavailableError
    from core.training.failures import describe_failure
    from core.training.loop import run_training

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
            try:
                result = run_training(config, data=data, should_stop=should_stop, **callbacks)
            except DatasetUnavailableError:
                raise
            except Exception as e:  # this run failed; the others are kept
                logging.getLogger("cnn_studio").exception("Sweep run %s, seed %s failed", label(combo.params),
                                                          config.seed)
                message = describe_failure(e, "The run failed")
                combo.failures.append({"seed": config.seed, "error": message})
                if on_failure:
                    on_failure(combo.params, config.seed, message)
                continue
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
    """Each combination against the first (the baseline), on test accuracy: paired by seed
    where two or more seeds finished on both sides (a sweep runs the same seeds for every
    combination), Welch's t-test otherwise. Failed runs are left out."""
    out = []
    base = combos[0] if combos else None
    for other in combos[1:]:
        a = [r for r in base.runs if r["test_accuracy"] is not None]
        b = [r for r in other.runs if r["test_accuracy"] is not None]
        by_seed_a = {r["seed"]: r["test_accuracy"] for r in a if r.get("seed") is not None}
        by_seed_b = {r["seed"]: r["test_accuracy"] for r in b if r.get("seed") is not None}
        common = sorted(set(by_seed_a) & set(by_seed_b))
        if len(common) >= 2:
            result = compare([by_seed_a[s] for s in common], [by_seed_b[s] for s in common], paired=True)
        elif len(a) >= 2 and len(b) >= 2:
            result = compare([r["test_accuracy"] for r in a], [r["test_accuracy"] for r in b])
        else:
            continue
        out.append({"a": label(base.params), "b": label(other.params), **{k: result[k] for k in (
            "difference", "low", "high", "verdict", "seeds_needed", "test")}})
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
    from core.inspect.compare import epoch_axes

    acc_ax.set_title("Validation accuracy (mean ± std over seeds)", fontsize=9)
    loss_ax.set_title("Validation loss", fontsize=9)
    epoch_axes(acc_ax, loss_ax)
    if acc_ax.lines:
        acc_ax.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
