"""Training speed with tf.data's autotuning off (the studio's setting) and on.

The studio turns autotuning off in every pipeline (see core.runtime.tfdata: deleting an
autotuned iterator froze the window for seconds). This checks that it costs no speed:
one epoch of LeNet-5 on ``--images`` MNIST images, with augmentation (the digits'
default) and without, runs interleaved, ``--repeats`` times each; prints the median
seconds of each and, last, the ratio off/on of the augmented runs (≤ 1.05 is "no cost").

    .venv/bin/python benchmarks/tfdata_autotune.py [--images 12000] [--repeats 3]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from core.data.datasets import load_dataset
    from core.models.registry import build_model
    from core.runtime import tfdata
    from core.runtime.device import load_tensorflow
    from core.training.config import TrainConfig
    from core.training.loop import train_model

    load_tensorflow()
    untuned = tfdata.without_autotune
    data = load_dataset("mnist", val_split=0.1, limit=args.images, test_limit=100, seed=0)
    times: dict[tuple[bool, bool], list[float]] = {}
    for _ in range(args.repeats):
        for augment in (True, False):
            for autotune in (False, True):
                # "on" lets every pipeline tune itself, Keras's from arrays included.
                tfdata.without_autotune = (lambda ds: ds) if autotune else untuned
                config = TrainConfig.for_arch("lenet5", epochs=1, augment=augment, limit=args.images)
                start = time.perf_counter()
                train_model(build_model("lenet5"), data, config)
                times.setdefault((augment, autotune), []).append(time.perf_counter() - start)
    for (augment, autotune), seconds in sorted(times.items()):
        print(f"augment={augment!s:5} autotune={'on ' if autotune else 'off'}: "
              f"median {statistics.median(seconds):.2f} s of {[round(s, 2) for s in seconds]}")
    off, on = (statistics.median(times[(True, a)]) for a in (False, True))
    print(f"ratio off/on (augmented): {off / on:.2f}")


if __name__ == "__main__":
    main()
