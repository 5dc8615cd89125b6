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
