"""Why? by each method (saliency, Grad-CAM, occlusion) on a drawing and on a test image
of the Evaluation tab, driven by clicks, keys and real mouse strokes."""

import numpy as np

from tests.digits import DIGIT_STROKES
from tests.gui.userpath import button, choose, click_button, combo, draw_strokes, entries, key, menu_action


def heat_in_left_half(window) -> float:
    heat = window.canvas.overlay_heat
    return float(heat[:, : heat.shape[1] // 2].sum() / heat.sum())


def test_why_by_each_method_keeps_the_heat_on_a_digit_drawn_in_one_half(window, qtbot):
    panel = window.canvas_panel
    side = window.canvas.width()
    scale = 0.6 * side / 280  # a 3 in the left half of the canvas, whatever its size
    draw_strokes(window.canvas, [[(x * scale - 45 * side / 280, y * scale + 30 * side / 280) for x, y in stroke]
                                 for stroke in DIGIT_STROKES["3"]])
    qtbot.waitUntil(lambda: window.last_prediction == "3", timeout=10_000)
    methods = combo(panel, "Explain by")
    assert entries(methods) == ["Saliency", "Grad-CAM", "Occlusion"]
    choose(qtbot, methods, "Grad-CAM")
    assert combo(panel, "Grad-CAM layer").currentText() == "last convolution"
    click_button(qtbot, panel, "Why?")
    qtbot.waitUntil(lambda: window.canvas.has_overlay, timeout=10_000)
    gradcam = window.canvas.overlay_heat
    assert heat_in_left_half(window) > 0.95
    # Shift+W: the next method, occlusion; Grad-CAM's layer list goes away.
    key(qtbot, window, "Shift+W")
    assert methods.currentText() == "Occlusion"
    qtbot.waitUntil(lambda: window.canvas.overlay_heat is not gradcam and window.explainer._request == 0,
                    timeout=10_000)
    assert heat_in_left_half(window) > 0.95
    assert all(c.accessibleName() != "Grad-CAM layer" for c in panel.findChildren(type(methods)) if c.isVisible())
    # Grad-CAM on a layer chosen by hand: the first convolution, finer maps.
    choose(qtbot, methods, "Grad-CAM")
    layers = combo(panel, "Grad-CAM layer")
    assert "block1_conv1" in entries(layers) and "fc1" not in entries(layers)
    before = window.canvas.overlay_heat
    choose(qtbot, layers, "block1_conv1")
    qtbot.waitUntil(lambda: window.canvas.overlay_heat is not before and window.explainer._request == 0,
                    timeout=10_000)
    assert heat_in_left_half(window) > 0.95
    assert not np.allclose(window.canvas.overlay_heat, gradcam)
    # W turns the overlay off, and Why? stays off while the method changes.
    key(qtbot, window, "W")
    assert not window.canvas.has_overlay
    choose(qtbot, methods, "Saliency")
    assert not window.canvas.has_overlay
    assert menu_action(window, "Canvas > Next explanation method").shortcut().toString() == "Shift+W"


def test_gradcam_of_an_mlp_says_why_it_shows_nothing(window, qtbot, dialogs, tmp_path):
    import keras

    from core.models.registry import build_model
    from core.storage.modelio import save_model

    keras.utils.set_random_seed(0)
    save_model(build_model("mlp", (28, 28, 1), 10, form="compact"), tmp_path / "mlp.keras",
               {"arch": "mlp", "dataset": "mnist", "class_names": [str(i) for i in range(10)]})
    dialogs.open = str(tmp_path / "mlp.keras")
    key(qtbot, window, "Ctrl+O")
    qtbot.waitUntil(lambda: "mlp" in window.model_info.get("path", ""), timeout=20_000)
    draw_strokes(window.canvas, DIGIT_STROKES["7"])
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=10_000)
    panel = window.canvas_panel
    choose(qtbot, combo(panel, "Explain by"), "Grad-CAM")
    click_button(qtbot, panel, "Why?")
    qtbot.waitUntil(lambda: "no convolution" in window.statusBar().currentMessage(), timeout=10_000)
    assert "use saliency or occlusion" in window.statusBar().currentMessage()
    assert not window.canvas.has_overlay and button(panel, "Why?").isEnabled()
    choose(qtbot, combo(panel, "Explain by"), "Occlusion")  # the other methods work
    qtbot.waitUntil(lambda: window.canvas.has_overlay, timeout=10_000)
