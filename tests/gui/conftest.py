from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.digits import DIGIT_STROKES


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A main window with TensorFlow loaded and the bundled model ready for the canvas.

    Its checkpoints and its model library are temporary folders, not the user's.
    """
    from gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "checkpoints_dir", lambda self: str(tmp_path / "checkpoints"))
    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    w = MainWindow(start_engine=False)
    qtbot.addWidget(w)
    # Engine signals come from another thread: wait on the window's state, not on them.
    w.start_engine()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=60_000)
    w.show()
    yield w
    w.close()
    assert not w.engine_thread.isRunning()
    assert w.train_thread is None or not w.train_thread.isRunning()


def mouse(widget, kind, point, button, buttons):
    event = QMouseEvent(kind, QPointF(*point), widget.mapToGlobal(QPointF(*point)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def draw_strokes(canvas, strokes, steps=8):
    """Draws with real mouse events: press, moves with the left button held, release."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for stroke in strokes:
        mouse(canvas, QEvent.Type.MouseButtonPress, stroke[0], left, left)
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in range(1, steps + 1):
                point = (x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps)
                mouse(canvas, QEvent.Type.MouseMove, point, none, left)
        mouse(canvas, QEvent.Type.MouseButtonRelease, stroke[-1], left, none)


def draw_digit_on(canvas, digit):
    draw_strokes(canvas, DIGIT_STROKES[digit])


@pytest.fixture
def dialogs(monkeypatch):
    """Answers the window's file and message dialogs (see tests.gui.userpath.Dialogs)."""
    from tests.gui.userpath import Dialogs

    return Dialogs(monkeypatch)


def run_metadata(arch, accuracy, epochs=3, seconds=20.0):
    """The training record of a run (as core.modelio.build_metadata writes it)."""
    val = [accuracy - 0.01 * (epochs - e) for e in range(1, epochs + 1)]
    return {
        "arch": arch, "arch_name": arch.upper(), "form": "compact", "dataset": "mnist",
        "class_names": [str(i) for i in range(10)], "input_shape": [28, 28, 1],
        "params": 167_594 if arch == "lenet5" else 235_146, "macs": 400_000, "epochs_completed": epochs,
        "test_accuracy": accuracy, "test_loss": 0.05, "train_seconds": seconds, "images_per_second": 9000.0,
        "train_accuracy": val[-1] + 0.005, "config": {"batch_size": 128, "optimizer": "adam", "learning_rate": 0.004},
        "history": {"loss": [0.5 / e for e in range(1, epochs + 1)], "val_loss": [0.4 / e for e in range(1, epochs + 1)],
                    "accuracy": [v + 0.005 for v in val], "val_accuracy": val},
    }


@pytest.fixture
def library(window, qtbot):
    """The window's library folder with two runs, a damaged file and a stray text file."""
    from core.library import save_run
    from core.registry import build_model

    folder = Path(window.library_dir())
    lenet = save_run(build_model("lenet5"), run_metadata("lenet5", 0.99), folder)
    mlp = save_run(build_model("mlp"), run_metadata("mlp", 0.97, epochs=4), folder)
    (folder / "broken.keras").write_bytes(b"PK\x03\x04 half a file")
    (folder / "notes.txt").write_text("not a model")
    window.show_library()
    qtbot.waitUntil(lambda: len(window.library.entries) == 4, timeout=5_000)
    return folder, lenet, mlp
