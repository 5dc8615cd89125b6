"""Time to accuracy: seconds from Start to the first epoch end with ≥ 99.0% MNIST test accuracy.

Trains the default digit model with its default settings (as the window's Start does) on
the full MNIST training set, already loaded. After every epoch the test accuracy is
measured on a copy of the weights; the time that measuring takes is not counted. Runs
``--runs`` times (new seed each) and prints the median on its last line. Target (issue
"Fast and responsive"): at most 30 s.

    .venv/bin/python benchmarks/time_to_accuracy.py [--runs 3] [--target 0.99] [--arch lenet5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def time_to_accuracy(arch: str, data, target: float, seed: int, max_epochs: int | None) -> tuple[float, int, list]:
    """(seconds to the first epoch end at ``target``, that epoch, accuracies per epoch)."""
    from core.inspect.evaluation import evaluate_classifier
    from core.models.registry import build_model
    from core.training.config import TrainConfig
    from core.training.loop import run_training

    config = TrainConfig.for_arch(arch, seed=seed, epochs=max_epochs)
    start = time.perf_counter()
    not_counted = 0.0
    accuracies: list[float] = []
    reached: list[tuple[float, int]] = []
    stop = [False]

    def on_snapshot(weights):
        nonlocal not_counted
        now = time.perf_counter()
        model = build_model(arch, data.input_shape, data.num_classes, **config.model_options())
        model.set_weights(weights)
        accuracy = evaluate_classifier(model, data.x_test, data.y_test)["accuracy"]
        accuracies.append(accuracy)
        if accuracy >= target and not reached:
            reached.append((now - start - not_counted, len(accuracies)))
            stop[0] = True
        not_counted += time.perf_counter() - now

    run_training(config, data=data, evaluate=False, on_snapshot=on_snapshot, should_stop=lambda: stop[0])
    seconds, epoch = reached[0] if reached else (float("inf"), 0)
    return seconds, epoch, accuracies


def main() -> None:
    from core.models.registry import DEFAULT_ARCH

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--arch", default=DEFAULT_ARCH)
    parser.add_argument("--epochs", type=int, help="at most this many epochs (default: the architecture's)")
    args = parser.parse_args()

    from core.data.datasets import load_dataset
    from core.runtime.device import load_tensorflow
    from core.training.config import TrainConfig

    load_tensorflow()
    config = TrainConfig.for_arch(args.arch)
    data = load_dataset("mnist", val_split=config.val_split, seed=config.seed)
    times = []
    for run in range(args.runs):
        seconds, epoch, accuracies = time_to_accuracy(args.arch, data, args.target, run, args.epochs)
        times.append(seconds)
        shown = ", ".join(f"{100 * a:.2f}%" for a in accuracies)
        print(f"run {run + 1} (seed {run}): {seconds:.1f} s to {100 * args.target:.1f}% at epoch {epoch}; "
              f"test accuracy per epoch {shown}", flush=True)
    print(f"time to {100 * args.target:.1f}% test accuracy ({args.arch}, median of {args.runs}): "
          f"{statistics.median(times):.1f} s")


if __name__ == "__main__":
    main()
