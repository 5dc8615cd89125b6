"""Canvas latency: from a mouse-move event to the prediction of that drawing shown.

Opens the window (offscreen), loads a model for the canvas, and draws ``--strokes``
strokes of real ``QMouseEvent``s (digit shapes, a move every ``--interval`` ms, as a hand
moves a mouse), clearing between digits. For every move it measures the time until the
window shows a prediction made from a drawing that includes that move (the window keeps
one prediction in flight and always predicts the newest drawing). Prints the median and
95th percentile; the last line has the p95. Targets (issue "Fast and responsive"): p95 ≤
20 ms for LeNet-5, ≤ 60 ms for the compact ResNet-18.

    .venv/bin/python benchmarks/canvas_latency.py [--arch lenet5|resnet18|...] [--strokes 500]
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
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="lenet5", help="lenet5 uses the bundled model; others an untrained compact form")
    parser.add_argument("--strokes", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0, help="milliseconds between mouse moves")
    parser.add_argument("--moves", type=int, default=8, help="mouse moves per stroke segment")
    args = parser.parse_args()

    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from tests.digits import DIGIT_STROKES

    path = None
    if args.arch != "lenet5":
        # Built before the window exists: only the engine thread may use TensorFlow after.
        from core.storage.modelio import save_model
        from core.models.registry import build_model

        path = Path(tempfile.mkdtemp()) / f"{args.arch}.keras"
        save_model(build_model(args.arch, (28, 28, 1), 10, form="compact"), path,
                   {"arch": args.arch, "class_names": [str(i) for i in range(10)]})

    app = QApplication([])
    window = MainWindow()
    window.show()

    def pump_until(condition, timeout=120.0):
        end = time.perf_counter() + timeout
        while not condition():
            app.processEvents()
            if time.perf_counter() > end:
                raise TimeoutError("the window did not get there in time")

    pump_until(lambda: window.model_info is not None)
    if path is not None:
        window.request_load.emit(str(path))
        pump_until(lambda: window.model_info.get("path") == str(path))
    print(f"canvas model: {window.model_info['description']}", flush=True)

    canvas = window.canvas
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, point, button, buttons):
        event = QMouseEvent(kind, QPointF(*point), canvas.mapToGlobal(QPointF(*point)), button, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    latencies: list[float] = []
    pending: list[tuple[int, float]] = []  # (drawing version after the move, time of the move)

    def collect():
        app.processEvents()
        now = time.perf_counter()
        while pending and window.canvas_panel.shown_version >= pending[0][0]:
            latencies.append(now - pending.pop(0)[1])

    strokes = [s for digit in DIGIT_STROKES for s in DIGIT_STROKES[digit]]
    digit_of = [d for d in DIGIT_STROKES for _ in DIGIT_STROKES[d]]
    done = 0
    warmup = 20
    while done < args.strokes + warmup:
        i = done % len(strokes)
        if i == 0 or digit_of[i] != digit_of[i - 1]:
            canvas.clear()
            pump_until(lambda: not pending and window.canvas_panel.shown_version == window.canvas_panel.canvas_version, 10)
        stroke = strokes[i]
        send(QEvent.Type.MouseButtonPress, stroke[0], left, left)
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in range(1, args.moves + 1):
                point = (x0 + (x1 - x0) * t / args.moves, y0 + (y1 - y0) * t / args.moves)
                due = time.perf_counter() + args.interval / 1000
                sent = time.perf_counter()
                send(QEvent.Type.MouseMove, point, none, left)
                if done >= warmup:
                    pending.append((window.canvas_panel.canvas_version, sent))
                while time.perf_counter() < due:
                    collect()
        send(QEvent.Type.MouseButtonRelease, stroke[-1], left, none)
        pump_until(lambda: (collect(), not pending)[1], 10)
        done += 1
    window.close()
    ms = np.array(latencies) * 1000
    print(f"{len(ms)} mouse moves over {args.strokes} strokes, a move every {args.interval:g} ms: "
          f"median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms")
    print(f"canvas latency p95 ({args.arch}): {np.percentile(ms, 95):.1f} ms")


if __name__ == "__main__":
    main()
