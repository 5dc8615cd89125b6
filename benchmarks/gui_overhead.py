"""GUI overhead: images/s of the window's worker with live plots vs a plain model.fit.

Trains the same model (LeNet-5), data, batch size and epochs (a) in the application's
training worker with the window shown (offscreen) and its plots updating, and (b) with a
plain ``model.fit`` on NumPy arrays; alternates the two, and prints the median ratio
(a)/(b) on its last line.

    .venv/bin/python benchmarks/gui_overhead.py [--rounds 3] [--limit 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Runs trained here go to a throw-away model library, not the user's.
os.environ.setdefault("CNN_STUDIO_LIBRARY", tempfile.mkdtemp(prefix="cnn-studio-benchmark-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def plain_fit(data, config) -> float:
    import keras

    from core.runtime.device import graph_lock
    from core.models.registry import build_model
    from core.training.compiling import compile_model

    keras.utils.set_random_seed(config.seed)
    # The window's engine thread builds models too: never trace from two threads at once.
    with graph_lock:
        model = build_model(config.arch)
        x = data.x_train.astype("float32")
        steps = -(-len(x) // config.batch_size)
        compile_model(model, config, steps)
        start = time.perf_counter()
        model.fit(x, data.y_train, batch_size=config.batch_size, epochs=config.epochs,
                  validation_data=(data.x_val.astype("float32"), data.y_val), verbose=0)
        return len(x) * config.epochs / (time.perf_counter() - start)


def app_worker(window, qapp, data, config) -> float:
    results = []
    window.training_finished.connect(results.append)
    window.train(config, data)
    while not results:
        qapp.processEvents()
        time.sleep(0.002)
    window.training_finished.disconnect(results.append)
    while window.train_thread is not None:
        qapp.processEvents()
    return results[0]["images_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from core.data.datasets import load_dataset
    from core.training.config import TrainConfig
    from gui.main_window import MainWindow

    qapp = QApplication([])
    window = MainWindow()
    window.checkpoints_dir = lambda: None  # the plain fit saves nothing either
    window.show()
    data = load_dataset("mnist", limit=args.limit, test_limit=1000)
    config = TrainConfig.for_arch("lenet5", epochs=args.epochs, augment=False)  # the same work as plain fit
    plain_fit(data, config)  # warm-up: imports, kernels
    ratios = []
    for i in range(args.rounds):
        a = app_worker(window, qapp, data, config)
        b = plain_fit(data, config)
        ratios.append(a / b)
        print(f"round {i + 1}: app {a:,.0f} img/s, plain fit {b:,.0f} img/s, ratio {a / b:.3f}", flush=True)
    window.close()
    print(f"GUI overhead ratio (median of {args.rounds}): {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
