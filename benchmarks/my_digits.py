"""Teach it my handwriting: does a fine-tune on fifty of someone's drawings read the rest
of their handwriting better, without forgetting MNIST?

"Someone" is the UCI optical digits (``benchmarks/data/optdigits.npz``: 13 writers not in
MNIST, the style the default model reads worst). Fifty of their digits (five of each) are
saved in a temporary My digits folder exactly as "This is a …" saves a drawing; the
bundled model is fine-tuned on them as Teach… does (My digits mixed with MNIST images,
the default fine-tune settings), and read before and after on a held-back fifty, on all
the other UCI digits, and on the MNIST test set.

    .venv/bin/python benchmarks/my_digits.py [--per-digit 5] [--epochs N] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=5, help="drawings saved per digit (default 5: fifty)")
    parser.add_argument("--epochs", type=int, default=None, help="fine-tune epochs (default: Teach…'s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ["CNN_STUDIO_MY_DIGITS"] = tempfile.mkdtemp(prefix="my-digits-benchmark-")

    import cv2

    from core.data.datasets import load_dataset
    from core.reading.inference import Predictor
    from core.storage.modelio import load_model
    from core.data.my_digits import save_example
    from core.training.resume import finetune_config
    from core.training.loop import run_training
    from drawn_digits import accuracy

    bundled = ROOT / "resources" / "models" / "lenet5_mnist.keras"
    opt = np.load(ROOT / "benchmarks" / "data" / "optdigits.npz")
    rng = np.random.default_rng(args.seed)
    taught, held, rest = [], [], np.ones(len(opt["y"]), bool)
    for digit in range(10):
        picks = rng.permutation(np.flatnonzero(opt["y"] == digit))[: 2 * args.per_digit]
        taught += list(picks[: args.per_digit])
        held += list(picks[args.per_digit:])
    rest[taught + held] = False
    for i in taught:  # as drawn: dark ink on light paper, canvas-sized
        drawing = 255 - cv2.resize(opt["x"][i], (280, 280), interpolation=cv2.INTER_CUBIC)
        save_example(str(int(opt["y"][i])), drawing)

    mnist = load_dataset("mnist", val_split=0.0)

    def scores(model) -> list[float]:
        predictor = Predictor(model)
        held_acc = accuracy(predictor, list(opt["x"][held]), opt["y"][held])
        rest_acc = accuracy(predictor, list(opt["x"][rest]), opt["y"][rest])
        mnist_acc = float((predictor.predict_batch(mnist.x_test.astype(np.float32)).argmax(axis=1)
                           == mnist.y_test).mean())
        return [held_acc, rest_acc, mnist_acc]

    before = scores(load_model(bundled).model)
    config = finetune_config(bundled, "my_digits", args.epochs, seed=args.seed)
    result = run_training(config)
    after = scores(result.model)
    print(f"fine-tune: {len(taught)} drawings, {config.epochs} epoch(s), lr {config.learning_rate:g}, "
          f"{result.train_seconds:.1f} s")
    print(f"{'':<8}{'held-back ' + str(len(held)):>16}{'other UCI ' + str(int(rest.sum())):>18}{'MNIST test':>12}")
    for name, row in (("before", before), ("after", after)):
        print(f"{name:<8}{100 * row[0]:>15.1f}%{100 * row[1]:>17.2f}%{100 * row[2]:>11.2f}%")
    print(f"held-back drawings read right: {100 * before[0]:.1f}% before, {100 * after[0]:.1f}% after the fine-tune")
    return 0


if __name__ == "__main__":
    sys.exit(main())
