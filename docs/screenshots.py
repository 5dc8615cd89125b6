"""Makes the README's and the guide's screenshots from the real window, so that they stay
true: a short LeNet-5 run on MNIST, then a 3 drawn on the canvas with mouse events.

Runs offscreen (no display needed; or under Xvfb with ``--display``), with a throw-away
model library and settings, and writes ``docs/screenshots/window.png`` and, with each
theme, ``window-light.png`` and ``window-dark.png``.

    .venv/bin/python docs/screenshots.py [--epochs 2] [--images 6000] [--display]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
#: A 3 as a hand draws it on the 280×280 canvas (one stroke).
THREE = [(85, 65), (130, 45), (178, 60), (185, 100), (155, 128), (120, 135), (160, 142), (192, 175),
         (185, 215), (140, 240), (85, 225)]


def _environment(use_display: bool) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="cnn-studio-screenshots-"))
    if not use_display:
        screen = scratch / "screen.json"
        screen.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1920, "height": 1080,
                                                   "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    os.environ["CNN_STUDIO_LIBRARY"] = str(scratch / "library")
    os.environ["CNN_STUDIO_SETTINGS"] = str(scratch / "settings.ini")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))


def _wait(app, condition, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def _draw(canvas, points, steps: int = 8) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def send(kind, point, button, buttons):
        p = QPointF(*point)
        QApplication.sendEvent(canvas, QMouseEvent(kind, p, canvas.mapToGlobal(p), button, buttons,
                                                   Qt.KeyboardModifier.NoModifier))

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    scale = canvas.width() / 280
    points = [(x * scale, y * scale) for x, y in points]
    send(QEvent.Type.MouseButtonPress, points[0], left, left)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in range(1, steps + 1):
            send(QEvent.Type.MouseMove, (x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps), none, left)
    send(QEvent.Type.MouseButtonRelease, points[-1], left, none)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", default="2")
    parser.add_argument("--images", default="6000")
    parser.add_argument("--display", action="store_true", help="use the real display (e.g. Xvfb), not offscreen")
    args = parser.parse_args()
    _environment(args.display)

    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication(sys.argv)
    app.setApplicationName("CNN Studio")
    window = MainWindow(start_engine=False)
    window.resize(1440, 860)
    window.show()
    window.start_engine()
    _wait(app, lambda: window.model_info is not None, 120)
    panel = window.settings
    panel.epochs.setValue(int(args.epochs))
    panel.set_advanced_visible(True)
    panel.limit.setValue(int(args.images))
    panel.set_advanced_visible(False)
    finished = []
    window.training_finished.connect(finished.append)
    window.start_training()
    _wait(app, lambda: finished and not window.is_training, 900)
    window.canvas.clear()
    _draw(window.canvas, THREE)
    _wait(app, lambda: window.last_prediction is not None, 30)
    for _ in range(30):  # let the plots' timer draw the last points
        app.processEvents()
        time.sleep(0.02)
    OUT.mkdir(parents=True, exist_ok=True)
    themes = getattr(window, "set_theme", None)
    shots = [("window.png", None)] + ([("window-light.png", "light"), ("window-dark.png", "dark")] if themes else [])
    for name, theme in shots:
        if theme:
            window.set_theme(theme)
            for _ in range(20):
                app.processEvents()
                time.sleep(0.02)
        window.grab().save(str(OUT / name))
        print(OUT / name)
    window.close()


if __name__ == "__main__":
    main()
