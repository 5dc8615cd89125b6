"""Each panel of the window works on its own, without the window or TensorFlow."""

from tests.gui.userpath import button, click, click_button, draw_digit_on, field, key, type_into


def test_the_canvas_panel_alone_asks_for_readings_and_shows_them(qtbot):
    import numpy as np

    from core.reading.inference import Reading
    from gui.panels.canvas_panel import CanvasPanel

    noted = []
    panel = CanvasPanel(noted.append)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_model({"description": "a test model", "source": "file", "path": "/x.keras",
                     "input_shape": [28, 28, 1], "class_names": [str(i) for i in range(10)]})
    requests = []
    panel.request_prediction.connect(lambda *args: requests.append(args))
    draw_digit_on(panel.canvas, "7")
    assert requests and noted[-len(requests):] == [r[0] for r in requests]  # the engine is told each id
    request_id, drawing, split = requests[-1]
    assert drawing.shape == (280, 280) and drawing.min() == 0 and not split
    probabilities = np.eye(10, dtype=np.float32)[7][None]
    with qtbot.waitSignal(panel.reading_shown):
        panel.on_prediction(request_id, Reading(probabilities, np.zeros((1, 28, 28), np.uint8), panel.bars.class_names))
    assert panel.last_prediction == "7" and panel.top_prediction.label.text() == "7"
    assert button(panel, "Undo").isEnabled()
    click_button(qtbot, panel, "Clear")
    assert panel.canvas.is_empty and panel.history.count() == 1
    assert "Opened file: a test model" in panel.model_label.text()


def test_the_training_panel_alone_refuses_bad_settings_and_starts_with_enter(qtbot):
    from gui.tabs.plots import TrainingPlots
    from gui.panels.training_panel import TrainingPanel

    started = []
    panel = TrainingPanel(TrainingPlots(), lambda: None, lambda: None)
    panel.train = lambda config, data=None, confirmed=False: started.append(config) or True
    qtbot.addWidget(panel)
    panel.show()
    messages = []
    panel.status.connect(lambda text, ms: messages.append(text))
    type_into(qtbot, field(panel.settings, "Learning rate"), "fast")
    assert not button(panel, "Start training").isEnabled()
    key(qtbot, panel, "Ctrl+Enter")
    assert not started and "Fix the settings" in messages[-1]
    type_into(qtbot, field(panel.settings, "Learning rate"), "0.01")
    type_into(qtbot, field(panel.settings, "Epochs"), "2", enter=True)
    assert [(c.learning_rate, c.epochs) for c in started] == [(0.01, 2)]
    click(qtbot, button(panel, "Start training"))
    assert len(started) == 2
    assert not button(panel, "Stop").isEnabled()
