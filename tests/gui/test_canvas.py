from PySide6.QtCore import QEvent, Qt

from gui.canvas import DrawingCanvas
from tests.gui.conftest import draw_strokes, mouse


def test_mouse_strokes_leave_ink_and_right_click_clears(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    assert canvas.is_empty and canvas.image_array().min() == 255
    with qtbot.waitSignal(canvas.changed):
        draw_strokes(canvas, [[(50, 50), (200, 200)]])
    img = canvas.image_array()
    assert img.shape == (280, 280) and not canvas.is_empty
    # a continuous line between the samples, not dots
    assert all(img[int(v), int(v)] < 50 for v in range(50, 200, 5))
    assert img[240, 40] == 255
    with qtbot.waitSignal(canvas.changed):
        mouse(canvas, QEvent.Type.MouseButtonPress, (10, 10), Qt.MouseButton.RightButton, Qt.MouseButton.RightButton)
    assert canvas.is_empty and canvas.image_array().min() == 255


def test_moving_without_a_button_draws_nothing(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    mouse(canvas, QEvent.Type.MouseMove, (100, 100), Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    assert canvas.is_empty
