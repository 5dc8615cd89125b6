"""Training speed on CIFAR-10-shaped data: images per second of the compact ResNet-18 and
VGG-16 for CIFAR, trained by the application's trainer on synthetic 32×32×3 images (the
speed does not depend on what the pixels show), with the CIFAR recipe's crops and flips
on, as by default for colour photos.

Each network trains ``--images`` images for two epochs, alternating, ``--rounds`` times;
the second epoch of each (the first includes tracing) is timed. Prints each round and, on
its last line, the median images per second of each network.

    .venv/bin/python benchmarks/cifar_throughput.py [--rounds 3] [--images 4096] [--batch 128]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

NETWORKS = ("resnet18", "vgg16_cifar")


def synthetic_cifar(n: int, seed: int = 0):
    """A dataset shaped like CIFAR-10: ``n`` training images, a few to validate and test."""
    from core.data.datasets import DATASETS, Dataset

    rng = np.random.default_rng(seed)

    def images(count):
        return rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, count)

    (x, y), (xv, yv), (xt, yt) = images(n), images(256), images(256)
    return Dataset(DATASETS["cifar10"], x, y, xv, yv, xt, yt)


def epoch_rate(arch: str, data, batch: int) -> float:
    """Images per second of the second epoch of a two-epoch run."""
    from core.training.config import TrainConfig
    from core.models.registry import build_model
    from core.training.loop import train_model

    rates = []
    config = TrainConfig.for_arch(arch, dataset="cifar10", epochs=2, batch_size=batch)
    model = build_model(arch, data.input_shape, data.num_classes, **config.model_options())
    train_model(model, data, config, on_epoch=lambda e: rates.append(e["images_per_second"]))
    return rates[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)

    from core.runtime.device import load_tensorflow

    load_tensorflow()
    data = synthetic_cifar(args.images)
    rates: dict[str, list[float]] = {arch: [] for arch in NETWORKS}
    for round_ in range(1, args.rounds + 1):
        for arch in NETWORKS:
            rates[arch].append(epoch_rate(arch, data, args.batch))
        print(f"round {round_}: " + ", ".join(f"{a} {rates[a][-1]:,.0f} img/s" for a in NETWORKS), flush=True)
    print("CIFAR-10-shaped training, median images/s: " + ", ".join(
        f"{a} {statistics.median(rates[a]):,.0f}" for a in NETWORKS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
