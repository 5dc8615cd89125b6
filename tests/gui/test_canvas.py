from PySide6.QtCore import QEvent, Qt

from gui.panels.canvas import DrawingCanvas
from tests.gui.userpath import draw_strokes, mouse


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


def ink_width(canvas, row=140):
    """Dark pixels across a row: the width of a vertical stroke crossing it."""
    return int((canvas.image_array()[row] < 128).sum())


def test_undo_redo_clear_and_the_eraser(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    assert not canvas.can_undo and not canvas.can_redo
    draw_strokes(canvas, [[(80, 40), (80, 240)]])
    first = canvas.image_array()
    draw_strokes(canvas, [[(200, 40), (200, 240)]])
    both = canvas.image_array()
    assert canvas.can_undo
    with qtbot.waitSignal(canvas.changed):
        canvas.undo()
    assert (canvas.image_array() == first).all() and canvas.can_redo
    canvas.redo()
    assert (canvas.image_array() == both).all()
    canvas.clear()
    assert canvas.is_empty
    canvas.undo()  # a clear can be taken back too
    assert not canvas.is_empty and (canvas.image_array() == both).all()
    # the eraser removes ink; erasing everything leaves an empty canvas
    canvas.set_eraser(True)
    canvas.set_pen_width(40)
    draw_strokes(canvas, [[(200, 20), (200, 260)]])
    assert (canvas.image_array()[:, 170:230] > 128).all() and not canvas.is_empty
    draw_strokes(canvas, [[(80, 20), (80, 260)]])
    assert canvas.is_empty
    canvas.undo()
    assert not canvas.is_empty
    # a new stroke after an undo drops what could be redone
    canvas.set_eraser(False)
    draw_strokes(canvas, [[(140, 40), (140, 240)]])
    assert not canvas.can_redo


def test_pen_width_and_tablet_pressure(qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.set_pen_width(8)
    draw_strokes(canvas, [[(140, 40), (140, 240)]])
    thin = ink_width(canvas)
    canvas.clear()
    canvas.set_pen_width(100)  # clamped to the widest pen
    assert canvas.pen_width == DrawingCanvas.MAX_PEN
    draw_strokes(canvas, [[(140, 40), (140, 240)]])
    assert ink_width(canvas) > 3 * thin

    def pen(kind, y, pressure):
        point = QPointF(140, y)
        event = QTabletEvent(kind, QPointingDevice.primaryPointingDevice(), point, canvas.mapToGlobal(point),
                             pressure, 0, 0, 0, 0, 0, Qt.KeyboardModifier.NoModifier,
                             Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
        QApplication.sendEvent(canvas, event)

    def tablet_stroke(pressure):
        canvas.clear()
        pen(QEvent.Type.TabletPress, 40, pressure)
        for y in range(50, 241, 10):
            pen(QEvent.Type.TabletMove, y, pressure)
        pen(QEvent.Type.TabletRelease, 240, pressure)
        return ink_width(canvas)

    light, firm = tablet_stroke(0.1), tablet_stroke(1.0)
    assert 0 < light < firm / 2


def test_the_drawing_saves_as_png(qtbot, tmp_path):
    from PySide6.QtGui import QImage

    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    draw_strokes(canvas, [[(80, 40), (80, 240)]])
    path = tmp_path / "digit.png"
    assert canvas.save_png(str(path))
    image = QImage(str(path))
    assert image.width() == 280 and image.pixelColor(80, 140).value() < 50
    assert not canvas.save_png(str(tmp_path / "missing" / "digit.png"))
