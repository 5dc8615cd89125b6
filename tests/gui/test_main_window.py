import numpy as np
import pytest

from core.datasets import load_dataset
from core.registry import build_model
from core.training import TrainConfig
from tests.gui.conftest import draw_digit_on


@pytest.fixture(scope="module")
def small_mnist():
    return load_dataset("mnist", val_split=0.2, limit=1500, test_limit=1000, seed=0)


def leaf_rows(tree):
    """The layer rows of the summary tree, in order (block rows opened up)."""
    rows = []
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        children = [item.child(j) for j in range(item.childCount())] or [item]
        rows.extend([c.text(k) for k in range(6)] for c in children)
    return rows


def wait_summary(window, qtbot, arch, **expected):
    def matches():
        s = window.last_summary
        return s is not None and s["arch"] == arch and all(s[k] == v for k, v in expected.items())

    qtbot.waitUntil(matches, timeout=30_000)


def test_summary_table_matches_the_model(window, qtbot):
    for arch in ("mlp", "vgg11", "lenet5"):
        window.settings.arch.setCurrentIndex(window.settings.arch.findData(arch))
        wait_summary(window, qtbot, arch)
        model = build_model(arch, (28, 28, 1), 10, form="compact")
        rows = leaf_rows(window.summary_view.tree)
        assert [r[0] for r in rows] == [layer.name for layer in model.layers]
        assert [r[3] for r in rows] == [f"{layer.count_params():,}" for layer in model.layers]
        assert f"{model.count_params():,}" in window.summary_view.totals.text()
        assert "per epoch" in window.summary_view.totals.text()
    # picking an architecture applies its defaults
    assert window.settings.epochs.value() == 3 and window.settings.learning_rate.text() == "0.003"


def test_changing_input_classes_and_form_updates_the_view_at_once(window, qtbot, tmp_path):
    view = window.summary_view
    window.settings.arch.setCurrentIndex(window.settings.arch.findData("vgg16"))
    wait_summary(window, qtbot, "vgg16")
    view.form.setCurrentIndex(view.form.findData("reference"))
    view.input.setText("224x224x3")
    view.input.editingFinished.emit()
    view.classes.setValue(1000)
    wait_summary(window, qtbot, "vgg16", total_params=138_357_544, classes=1000)
    assert window.last_summary["input_shape"] == [224, 224, 3]
    block1 = view.tree.topLevelItem(2)
    assert block1.text(0) == "block1" and block1.childCount() == 3  # two convolutions and a pooling
    view.collapse.click()
    assert not block1.isExpanded()
    assert len(view.diagram.items) == sum(1 for _ in range(view.tree.topLevelItemCount()))
    text = view.export("text", str(tmp_path / "vgg16.txt"))
    assert "138,357,544" in open(text).read()
    csv = open(view.export("csv", str(tmp_path / "vgg16.csv"))).read().splitlines()
    assert csv[0].startswith("name,type,output_shape,params,macs") and len(csv) == len(leaf_rows(view.tree)) + 1
    view.input.setText("banana")
    view.input.editingFinished.emit()
    assert "28x28x1" in view.input_error.text()


def test_googlenet_auxiliary_heads_can_be_shown(window, qtbot):
    view = window.summary_view
    window.settings.arch.setCurrentIndex(window.settings.arch.findData("googlenet"))
    wait_summary(window, qtbot, "googlenet")
    assert not view.aux.isHidden() and view.batch_norm.isHidden()
    without = window.last_summary["total_params"]
    view.aux.setChecked(True)
    qtbot.waitUntil(lambda: window.last_summary["total_params"] > without, timeout=30_000)
    names = [r[0] for r in leaf_rows(view.tree)]
    assert "aux1_predictions" in names and "aux2_predictions" in names


def test_slow_reference_network_offers_the_compact_form(window, qtbot, small_mnist, monkeypatch):
    asked = []
    monkeypatch.setattr(window, "ask_slow_reference", lambda text: asked.append(text) or "cancel")
    window.settings.arch.setCurrentIndex(window.settings.arch.findData("vgg16"))
    window.settings.form.setCurrentIndex(window.settings.form.findData("reference"))
    assert window.start_training()
    qtbot.waitUntil(lambda: bool(asked), timeout=30_000)
    assert "compact form" in asked[0] and "per epoch" in asked[0]
    assert not window.is_training and window.progress.format() == "Ready"

    monkeypatch.setattr(window, "ask_slow_reference", lambda text: "compact")
    config = TrainConfig.for_arch("vgg11", form="reference", epochs=1, batch_size=64)
    with qtbot.waitSignal(window.training_finished, timeout=300_000) as finished:
        assert window.start_training(config, small_mnist)
    assert window.settings.current_form() == "compact"
    assert finished.args[0]["metadata"]["config"]["form"] == "compact"


@pytest.mark.parametrize("digit", ["1", "7", "0"])
def test_drawn_digit_is_read_with_real_mouse_events(window, qtbot, digit):
    draw_digit_on(window.canvas, digit)
    qtbot.waitUntil(lambda: getattr(window, "last_prediction", None) == digit, timeout=10_000)
    assert window.top_prediction.label.text() == digit
    assert window.bars.probabilities is not None and window.bars.probabilities.argmax() == int(digit)
    assert window.preview._image is not None and window.preview._image.width() == 28
    window.clear_button.click()
    assert window.canvas.is_empty and window.bars.probabilities is None
    assert window.top_prediction.label.text() == "–"


def test_training_one_short_epoch_feeds_the_plots_and_the_canvas(window, qtbot, small_mnist):
    config = TrainConfig.for_arch("lenet5", epochs=1, batch_size=32)
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        assert window.start_training(config, small_mnist)
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=10_000)
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    plots = window.plots
    assert len(plots.train_x) > 0 and len(plots.val_x) == 1
    assert len(plots.line_train_loss.get_xdata()) > 0
    assert window.last_result["epochs"] == 1 and window.last_result["test_accuracy"] > 0.5
    assert "Test accuracy" in window.result_label.text()
    assert window.start_button.isEnabled() and not window.stop_button.isEnabled()


def test_stop_ends_training_within_a_batch_or_two(window, qtbot, small_mnist):
    config = TrainConfig.for_arch("lenet5", epochs=50, batch_size=16)
    window.start_training(config, small_mnist)
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 2, timeout=60_000)
    assert window.stop_button.isEnabled()
    with qtbot.waitSignal(window.training_finished, timeout=30_000) as finished:
        window.stop_button.click()
    result = finished.args[0]
    assert result["stopped"] and result["epochs"] < 50
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    assert window.progress.format() == "Stopped"


def test_bad_settings_are_refused_with_a_message(window, qtbot):
    window.settings.learning_rate.setText("fast")
    label = window.settings.error_labels["learning_rate"]
    assert label.isVisible() and "number" in label.text()
    assert not window.start_button.isEnabled()
    assert window.start_training() is False and window.train_thread is None
    window.settings.learning_rate.setText("1e-3")
    assert not label.isVisible() and window.start_button.isEnabled()


def test_closing_the_window_mid_training_stops_cleanly(window, qtbot, small_mnist):
    config = TrainConfig.for_arch("lenet5", epochs=50, batch_size=16)
    window.start_training(config, small_mnist)
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)
    thread = window.train_thread
    window.close()
    assert not thread.isRunning() and not window.engine_thread.isRunning()


def test_status_bar_names_the_device(window):
    assert window.device_label.text().startswith("Device: CPU")


def test_canvas_predicts_with_the_last_epoch_while_training_goes_on(window, qtbot, small_mnist):
    # A regression test too: building or tracing the canvas's model while training ran
    # crashed TensorFlow (see core.device.graph_lock).
    config = TrainConfig.for_arch("lenet5", epochs=30, batch_size=64)
    window.start_training(config, small_mnist)
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=60_000)
    assert window.is_training
    draw_digit_on(window.canvas, "1")
    qtbot.waitUntil(lambda: window.bars.probabilities is not None, timeout=10_000)
    assert window.is_training  # the prediction came while training went on
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training, timeout=30_000)
