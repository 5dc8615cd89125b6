"""Training throughput: the application's headless trainer vs a tutorial-style ``model.fit``.

Trains the same model (LeNet-5, batch 128, Adam) on the same MNIST images three ways,
alternating, and times the second epoch of each (the first includes tracing):

- **app**: :func:`core.training.loop.train_model` (NumPy arrays in memory, progress callbacks on);
- **tutorial**: ``tf.data`` with a per-example ``map`` (cast, one-hot labels), shuffle,
  batch 128, ``categorical_crossentropy``, as the tutorials this product grew from;
- **limit**: one batch already in memory, repeated (no input pipeline at all): the most
  this machine trains this model at, the step time without input.

Prints each round, then on the last line the median ratio app/tutorial and how far the app
is from the limit. Target (issue "Fast and responsive"): app/tutorial ≥ 1.0.

    .venv/bin/python benchmarks/throughput.py [--rounds 3] [--arch lenet5] [--limit N]
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

BATCH = 128


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.began

    return EpochTimer()


def _model(arch, config, steps, one_hot: bool):
    import keras

    from core.models.registry import build_model
    from core.training.compiling import make_optimizer

    keras.utils.set_random_seed(0)
    model = build_model(arch, (28, 28, 1), 10, form="compact")
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    model.compile(optimizer=make_optimizer(config, steps), loss=loss, metrics=["accuracy"])
    return model


def app(arch, data, config) -> float:
    from core.models.registry import build_model
    from core.training.loop import train_model

    epochs = []
    model = build_model(arch, data.input_shape, data.num_classes, form="compact")
    train_model(model, data, config, on_epoch=epochs.append, on_batch=lambda p: None)
    return epochs[-1]["images_per_second"]


def tutorial(arch, data, config) -> float:
    import tensorflow as tf

    n = len(data.x_train)
    ds = tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.one_hot(y, 10)))
    ds = ds.shuffle(10_000).batch(BATCH)
    model = _model(arch, config, -(-n // BATCH), one_hot=True)
    timer = _epoch_timer()
    model.fit(ds, epochs=2, verbose=0, callbacks=[timer], shuffle=False)
    return n / timer.seconds


def limit(arch, data, config) -> float:
    import tensorflow as tf

    steps = -(-len(data.x_train) // BATCH)
    batch = (tf.constant(data.x_train[:BATCH], tf.float32), tf.constant(data.y_train[:BATCH]))
    ds = tf.data.Dataset.from_tensors(batch).repeat(steps)
    model = _model(arch, config, steps, one_hot=False)
    timer = _epoch_timer()
    model.fit(ds, epochs=2, verbose=0, callbacks=[timer], shuffle=False)
    return steps * BATCH / timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--arch", default="lenet5")
    parser.add_argument("--limit", type=int, help="train on only N images")
    args = parser.parse_args()

    from core.data.datasets import load_dataset
    from core.runtime.device import load_tensorflow
    from core.training.config import TrainConfig

    load_tensorflow()
    data = load_dataset("mnist", val_split=0.0, limit=args.limit)
    config = TrainConfig.for_arch(args.arch, epochs=2, batch_size=BATCH, val_split=0.0, limit=args.limit,
                                augment=False)  # the same work as the tutorial-style fit
    rows = {"app": [], "tutorial": [], "limit": []}
    for r in range(args.rounds):
        for name, run in (("app", app), ("tutorial", tutorial), ("limit", limit)):
            rows[name].append(run(args.arch, data, config))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f} img/s" for k, v in rows.items()), flush=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{args.arch} images/s, medians of {args.rounds}: app {med['app']:,.0f}, tutorial "
          f"{med['tutorial']:,.0f}, limit (no input) {med['limit']:,.0f}")
    print(f"throughput ratio app/tutorial: {med['app'] / med['tutorial']:.2f}; app at "
          f"{100 * med['app'] / med['limit']:.0f}% of the no-input limit")


if __name__ == "__main__":
    main()
