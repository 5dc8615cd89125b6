"""Every compact form on MNIST: seconds per epoch and test accuracy after 3 epochs.

Trains each architecture's compact form with its default settings on the full MNIST
training set (minus the 10% validation split) and prints one line per architecture,
then the slowest epoch and the lowest accuracy on the last line. Targets (zoo issue):
at most about 2 minutes an epoch on 2 CPU cores, and at least 98.5% test accuracy.

    .venv/bin/python benchmarks/compact_zoo.py [ARCH ...] [--epochs 3] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from core.data.datasets import load_dataset
    from core.models.registry import ARCHITECTURES
    from core.training.config import TrainConfig
    from core.training.loop import run_training

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archs", nargs="*", default=list(ARCHITECTURES))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    data = load_dataset("mnist", limit=args.limit)
    worst_epoch, worst_acc = 0.0, 1.0
    for arch in args.archs:
        config = TrainConfig.for_arch(arch, form="compact", epochs=args.epochs, limit=args.limit, augment=False)
        epochs = []
        result = run_training(config, data=data, on_epoch=epochs.append)
        seconds = max(e["seconds"] for e in epochs)
        worst_epoch, worst_acc = max(worst_epoch, seconds), min(worst_acc, result.test_accuracy)
        print(f"{arch:16s} {result.model.count_params():>10,} params  epoch {seconds:6.1f} s  "
              f"({len(data.x_train) / seconds:,.0f} img/s)  test accuracy {100 * result.test_accuracy:.2f}% "
              f"after {config.epochs} epochs", flush=True)
    print(f"slowest epoch {worst_epoch:.1f} s, lowest test accuracy {100 * worst_acc:.2f}%")


if __name__ == "__main__":
    main()
