"""A folder of images streamed from disk against the same images held in memory: training
images per second of each, and their ratio (target: streamed ≥ 0.8 × in memory).

Writes ``--images`` PNG files in class subfolders to a temporary folder: MNIST digits
(28×28 grey) for LeNet-5, the default digit model and the fastest network, whose
speed the pipeline must keep up with; and 32×32 colour photos (MNIST digits tinted) for
the compact ResNet-18, as a CIFAR-like folder trains. Each network trains for four epochs
from the folder read into memory and from the folder streamed, alternating, ``--rounds``
times; a run's rate is the median of its epochs 2-4 (the first includes tracing, and for
the streamed folder the decoding that later epochs read back from disk). The last line
gives the median ratios.

    .venv/bin/python benchmarks/folder_throughput.py [--rounds 5] [--images 6000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

CASES = (("lenet5", False), ("resnet18", True))  # (architecture, colour)


def write_folder(root: Path, n: int, colour: bool) -> Path:
    from core.data.datasets import load_dataset

    mnist = load_dataset("mnist", val_split=0.0, limit=n)
    tints = np.random.default_rng(0).integers(60, 256, (n, 3))
    for i, (image, label) in enumerate(zip(mnist.x_train, mnist.y_train)):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        if colour:
            image = cv2.resize(image, (32, 32), interpolation=cv2.INTER_AREA)[..., None] * (tints[i] / 255.0)
            image = image.astype(np.uint8)[..., ::-1]  # BGR for OpenCV
        cv2.imwrite(str(folder / f"{i}.png"), image)
    return root


def epoch_rate(arch: str, root: Path, stream: bool, batch: int) -> float:
    from core.training.config import TrainConfig
    from core.data.datasets import load_dataset
    from core.models.registry import build_model
    from core.training.loop import train_model

    data = load_dataset(str(root), val_split=0.05, stream=stream)
    assert getattr(data.x_train, "streamed", False) == stream
    rates = []
    config = TrainConfig.for_arch(arch, dataset=str(root), epochs=4, batch_size=batch, val_split=0.05)
    model = build_model(arch, data.input_shape, data.num_classes, **config.model_options())
    train_model(model, data, config, on_epoch=lambda e: rates.append(e["images_per_second"]))
    return statistics.median(rates[1:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)

    from core.runtime.device import load_tensorflow

    load_tensorflow()
    with tempfile.TemporaryDirectory() as tmp:
        folders = {arch: write_folder(Path(tmp) / arch, args.images, colour) for arch, colour in CASES}
        ratios: dict[str, list[float]] = {arch: [] for arch, _ in CASES}
        for round_ in range(1, args.rounds + 1):
            for arch, _colour in CASES:
                memory = epoch_rate(arch, folders[arch], False, args.batch)
                streamed = epoch_rate(arch, folders[arch], True, args.batch)
                ratios[arch].append(streamed / memory)
                print(f"round {round_}: {arch} in memory {memory:,.0f} img/s, streamed {streamed:,.0f} img/s, "
                      f"ratio {streamed / memory:.2f}", flush=True)
    print("streamed / in memory, median: " + ", ".join(
        f"{arch} {statistics.median(r):.2f}" for arch, r in ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
