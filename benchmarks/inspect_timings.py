"""How long the window's looks inside a model take on this machine (issue 28): each Why?
method on a drawing, the Map of 2,000 test images and placing a drawing on it, and the
learning-rate finder's 200 steps on LeNet-5. Medians of repeated runs, after a first
(warm-up) run.

    .venv/bin/python benchmarks/inspect_timings.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_seconds(job, repeats: int) -> float:
    job()  # warm-up: traces, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from core.data.datasets import load_dataset
    from core.inspect.embedding import MAP_IMAGES, embedding_map
    from core.inspect.heatmaps import METHODS, explain_picture
    from core.storage.modelio import load_model
    from core.training.config import TrainConfig
    from core.training.lr_finder import find_learning_rate
    from tests.digits import draw_digit

    model = load_model(ROOT / "resources" / "models" / "lenet5_mnist.keras").model
    drawing = draw_digit("3")
    for method in METHODS:
        seconds = median_seconds(lambda: explain_picture(model, drawing, method, photo=False), 20)
        print(f"Why? by {METHODS[method]:<10} LeNet-5, one 280×280 drawing: {1000 * seconds:7.1f} ms")
    data = load_dataset("mnist", val_split=0.0)
    found = embedding_map(model, data.x_test, data.y_test)
    print(f"Map of {MAP_IMAGES} test images (LeNet-5):          "
          f"{median_seconds(lambda: embedding_map(model, data.x_test, data.y_test), 3):7.2f} s")
    image = data.x_test[0]
    print(f"Placing one drawing on the map:                {1000 * median_seconds(lambda: found.place(image), 50):7.1f} ms")
    config = TrainConfig.for_arch("lenet5", limit=6000)
    print(f"Learning-rate finder, LeNet-5 (≤200 steps of 128): "
          f"{median_seconds(lambda: find_learning_rate(config), 2):5.1f} s")


if __name__ == "__main__":
    main()
