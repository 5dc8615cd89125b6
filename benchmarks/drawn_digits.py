"""How well digit models read handwriting that is not MNIST, with and without augmentation.

Trains LeNet-5 (or ``--arch``) with its default settings on the full MNIST training set,
once plain and once with augmentation (stroke width, shifts, rotations, zoom), deslanted as by
default (``--deslant off`` or ``both`` for the comparison), and measures each on:

* the MNIST test set;
* ``benchmarks/data/optdigits.npz``: the 1,797 handwritten digits of the UCI "Optical
  Recognition of Handwritten Digits" test set (Alpaydin & Kaynak; 13 writers, none from
  MNIST; CC BY 4.0), 8×8 counts of ink per 4×4 block, read through the canvas's own
  preprocessing;
* synthetic drawings: the test suite's mouse-drawn digits 0-9 with pens from 4 to 40 px on
  a 280 px canvas, small, off-centre and slanted both ways (250 drawings);
* printed digits in six typefaces, upright and italic (240 images): a style none of the
  models trained on, to check that a gain on handwriting is not one on a single benchmark.

    .venv/bin/python benchmarks/drawn_digits.py [--epochs 4] [--seed 0] [--arch lenet5] [--augment both|on|off]
        [--deslant on|off|both] [--lr RATE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def slanted(img, shear: float):
    """The drawing sheared by ``shear``: positive leans right, as most people write."""
    import cv2

    h, w = img.shape
    return cv2.warpAffine(img, np.float32([[1, -shear, shear * h / 2], [0, 1, 0]]), (w, h), borderValue=255)


def drawn_set():
    """Every digit of ``tests/digits.py``, drawn with pens from 4 to 40 px, full size,
    small and off-centre, and slanted right and left."""
    from tests.digits import DIGIT_STROKES, draw_digit

    images, labels = [], []
    for digit in DIGIT_STROKES:
        for width in (4, 8, 18, 28, 40):
            for scale, offset in ((1.0, (0, 0)), (0.4, (150, 10)), (0.6, (10, 100))):
                images.append(draw_digit(digit, width=width, scale=scale, offset=offset))
                labels.append(int(digit))
            for shear in (0.25, -0.2):
                images.append(slanted(draw_digit(digit, width=width, scale=0.8, offset=(28, 28)), shear))
                labels.append(int(digit))
    return images, np.array(labels)


def font_set():
    """Another style no model here trained on: the digits 0-9 in OpenCV's six Hershey
    faces (plain, serif, script), upright and italic, thin and bold (240 images)."""
    import cv2

    faces = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
             cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
    images, labels = [], []
    for face in faces:
        for italic in (0, cv2.FONT_ITALIC):
            for thickness in (2, 6):
                for digit in range(10):
                    img = np.full((160, 160), 255, np.uint8)
                    cv2.putText(img, str(digit), (40, 125), face | italic, 4, 0, thickness, cv2.LINE_AA)
                    images.append(img)
                    labels.append(digit)
    return images, np.array(labels)


def accuracy(predictor, images, labels) -> float:
    from core.reading.preprocess import prepare

    batch = np.stack([prepare(img, predictor.input_shape)[0] for img in images])
    return float((predictor.predict_batch(batch).argmax(axis=1) == labels).mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arch", default="lenet5", help="a digit model of the zoo, compact form")
    parser.add_argument("--augment", choices=("both", "on", "off"), default="both")
    parser.add_argument("--deslant", choices=("both", "on", "off"), default="on")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: the architecture's)")
    args = parser.parse_args(argv)

    from core.data.datasets import load_dataset
    from core.reading.inference import Predictor
    from core.training.config import TrainConfig
    from core.training.loop import run_training

    data = load_dataset("mnist", val_split=0.1, seed=args.seed)
    optdigits = np.load(ROOT / "benchmarks" / "data" / "optdigits.npz")
    drawings, drawn_labels = drawn_set()
    fonts, font_labels = font_set()
    print(f"{'augmentation':<14}{'deslant':<9}{'train s':>9}{'MNIST test':>12}{'optdigits':>11}{'drawn':>8}{'fonts':>8}")
    choices = {"both": (False, True), "on": (True,), "off": (False,)}
    for augment, deslant in ((a, d) for d in choices[args.deslant] for a in choices[args.augment]):
        config = TrainConfig.for_arch(args.arch, augment=augment, deslant=deslant, epochs=args.epochs, seed=args.seed,
                                      learning_rate=args.lr)
        started = time.perf_counter()
        result = run_training(config, data=data)
        seconds = time.perf_counter() - started
        predictor = Predictor(result.model)
        opt = accuracy(predictor, list(optdigits["x"]), optdigits["y"])
        drawn = accuracy(predictor, drawings, drawn_labels)
        typed = accuracy(predictor, fonts, font_labels)
        print(f"{'on' if augment else 'off':<14}{'on' if deslant else 'off':<9}{seconds:>9.1f}{100 * result.test_accuracy:>11.2f}%"
              f"{100 * opt:>10.2f}%{100 * drawn:>7.1f}%{100 * typed:>7.1f}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
