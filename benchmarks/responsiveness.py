"""Responsiveness: the longest gap between 10 ms Qt timer ticks on the UI thread while training.

Opens the window (offscreen), starts training LeNet-5 from the Start path (data already
loaded) at each batch size, and runs a 10 ms ``QTimer`` on the UI thread in the window's
own event loop until training has finished, live plots, progress and canvas snapshots
included. Prints, per batch size, the longest gap between ticks and the 99th percentile;
the last line has the worst gap. Target (issue "Fast and responsive"): ≤ 50 ms.

    .venv/bin/python benchmarks/responsiveness.py [--batch-sizes 32 512] [--limit 20000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Runs trained here go to a throw-away model library, not the user's.
os.environ.setdefault("CNN_STUDIO_LIBRARY", tempfile.mkdtemp(prefix="cnn-studio-benchmark-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 512])
    parser.add_argument("--limit", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from core.data.datasets import load_dataset
    from core.training.config import TrainConfig
    from gui.main_window import MainWindow

    app = QApplication([])
    window = MainWindow()
    window.checkpoints_dir = lambda: None  # measure the UI, not the disk
    window.show()
    loop = QEventLoop()
    wait = QTimer()
    wait.setInterval(20)
    wait.timeout.connect(lambda: window.model_info is not None and loop.quit())
    wait.start()
    loop.exec()
    wait.stop()
    data = load_dataset("mnist", val_split=0.1, limit=args.limit)

    worst = 0.0
    for batch_size in args.batch_sizes:
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        done = QEventLoop()
        window.training_finished.connect(done.quit)
        window.training_failed.connect(done.quit)
        timer.start()
        started = time.perf_counter()
        window.train(TrainConfig.for_arch("lenet5", epochs=args.epochs, batch_size=batch_size), data)
        done.exec()
        while window.train_thread is not None:  # the thread's last signals
            app.processEvents()
            time.sleep(0.005)
        timer.stop()
        window.training_finished.disconnect(done.quit)
        window.training_failed.disconnect(done.quit)
        gaps = np.diff(ticks) * 1000
        worst = max(worst, float(gaps.max()))
        long_gaps = [f"{g:.0f} ms at {ticks[i] - started:+.2f} s" for i, g in enumerate(gaps) if g > 50]
        if long_gaps:
            print(f"  gaps over 50 ms (time from Start): {', '.join(long_gaps)}")
        print(f"batch {batch_size}: {len(ticks)} ticks over {ticks[-1] - ticks[0]:.1f} s of training, longest gap "
              f"{gaps.max():.1f} ms, p99 {np.percentile(gaps, 99):.1f} ms, median {np.median(gaps):.1f} ms", flush=True)
    window.close()
    print(f"longest UI gap while training (batch sizes {', '.join(map(str, args.batch_sizes))}): {worst:.1f} ms")


if __name__ == "__main__":
    main()
