from pathlib import Path
import pytest
from PySide6.QtCore import Qt

from core.models.registry import build_model
from core.training.config import TrainConfig
from tests.gui.userpath import draw_digit_on
from tests.gui.userpath import button, click, open_tab


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
        model = build_model(arch, (28, 28, 1), 10, form="compact", deslant=True)  # MNIST's default
        rows = leaf_rows(window.summary_view.tree)
        assert [r[0] for r in rows] == [layer.name for layer in model.layers]
        assert [r[3] for r in rows] == [f"{layer.count_params():,}" for layer in model.layers]
        assert f"{model.count_params():,}" in window.summary_view.totals.text()
        assert "per epoch" in window.summary_view.totals.text()
    # The Layers tab follows More settings ▸ Deslant the digits, and has its own box.
    window.settings.set_advanced_visible(True)
    open_tab(qtbot, window.tabs, "Layers")
    click(qtbot, button(window.settings, "Deslant the digits"))
    qtbot.waitUntil(lambda: "deslant" not in [r[0] for r in leaf_rows(window.summary_view.tree)], timeout=30_000)
    assert not window.summary_view.deslant.isChecked()
    click(qtbot, button(window.summary_view, "Deslant"))
    qtbot.waitUntil(lambda: [r[0] for r in leaf_rows(window.summary_view.tree)][:2] == ["image", "deslant"],
                    timeout=30_000)
    # picking an architecture applies its defaults
    assert window.settings.epochs.value() == 4 and window.settings.learning_rate.text() == "0.006"
    assert window.settings.warmup.value() == 1
    assert window.settings.batch_size.value() == 128


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
    config = TrainConfig.for_arch("lenet5", epochs=1, batch_size=32, learning_rate=4e-3)
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        assert window.train(config, small_mnist)
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
    window.train(config, small_mnist)
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
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.train_thread is None and "Fix the settings" in window.statusBar().currentMessage()
    window.settings.learning_rate.setText("1e-3")
    assert not label.isVisible() and window.start_button.isEnabled()


def test_closing_the_window_mid_training_stops_cleanly(window, qtbot, small_mnist):
    config = TrainConfig.for_arch("lenet5", epochs=50, batch_size=16)
    window.train(config, small_mnist)
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)
    thread = window.train_thread
    window.close()
    assert not thread.isRunning() and not window.engine_thread.isRunning()


def test_status_bar_names_the_device(window):
    assert window.device_label.text().startswith("Device: CPU")


def test_canvas_predicts_with_the_last_epoch_while_training_goes_on(window, qtbot, small_mnist):
    # A regression test too: building or tracing the canvas's model while training ran
    # crashed TensorFlow (see core.runtime.device.graph_lock).
    config = TrainConfig.for_arch("lenet5", epochs=30, batch_size=64)
    window.train(config, small_mnist)
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=60_000)
    assert window.is_training
    draw_digit_on(window.canvas, "1")
    qtbot.waitUntil(lambda: window.bars.probabilities is not None, timeout=10_000)
    assert window.is_training  # the prediction came while training went on
    window.stop_button.click()
    qtbot.waitUntil(lambda: not window.is_training, timeout=30_000)


def test_pause_resume_and_stop_with_the_buttons_saves_the_model(window, qtbot, small_mnist):
    import time
    from pathlib import Path

    from core.storage.modelio import load_model

    config = TrainConfig.for_arch("lenet5", epochs=50, batch_size=16)
    window.train(config, small_mnist)
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 2, timeout=60_000)
    assert window.pause_button.isEnabled()
    window.pause_button.click()
    qtbot.waitUntil(lambda: window.pause_button.text() == "Resume", timeout=5_000)
    assert window.worker.is_paused and "Paused" in window.progress.format()
    qtbot.wait(300)  # reports queued before the pause drain
    count = len(window.plots.train_x)
    qtbot.wait(800)
    assert len(window.plots.train_x) == count  # no training while paused
    window.pause_action.trigger()  # Ctrl+P resumes
    qtbot.waitUntil(lambda: window.pause_button.text() == "Pause", timeout=5_000)
    qtbot.waitUntil(lambda: len(window.plots.train_x) > count, timeout=30_000)
    qtbot.waitUntil(lambda: len(window.plots.val_x) >= 1, timeout=60_000)  # a full epoch: kept
    started = time.perf_counter()
    with qtbot.waitSignal(window.training_finished, timeout=30_000) as finished:
        window.stop_button.click()
    assert time.perf_counter() - started < 10
    result = finished.args[0]
    assert result["stopped"]
    saved = Path(result["saved_to"])
    assert saved.name.startswith("lenet5-mnist-") and saved.parent == Path(window.library_dir())
    assert load_model(saved).metadata["stopped"] is True
    assert f"Saved in the model library as <i>{saved.stem}</i>" in window.result_label.text()
    # The stopped run is listed (and selected) in the Models tab.
    assert window.library.selected_paths() == [str(saved)]
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    assert not window.pause_button.isEnabled() and window.pause_button.text() == "Pause"


def test_learning_rate_curve_and_checkpoint_reopened(window, qtbot, small_mnist):
    config = TrainConfig.for_arch("lenet5", epochs=2, batch_size=64, schedule="step", warmup=0)
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train(config, small_mnist)
    rates = window.plots.line_lr.get_ydata()
    assert len(rates) > 2 and max(rates) == pytest.approx(config.learning_rate, rel=1e-5)
    assert min(rates) == pytest.approx(config.learning_rate / 100, rel=1e-5)  # ÷10 at 50% and 75%
    assert finished.args[0]["checkpoint"].endswith("lenet5-best.keras")
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    window.open_last_checkpoint()
    qtbot.waitUntil(lambda: window.model_info["source"] == "file", timeout=20_000)
    assert window.model_info["path"].endswith(".keras")


def test_more_settings_are_checked_and_reset_to_defaults(window, qtbot):
    s = window.settings
    assert not s.advanced.isVisible()
    s.set_advanced_visible(True)
    s.optimizer.setCurrentIndex(s.optimizer.findData("sgd"))
    assert s.momentum.isEnabled()
    for edit, text, key in ((s.momentum, "2", "momentum"), (s.weight_decay, "lots", "weight_decay"),
                            (s.val_split, "", "val_split")):
        edit.setText(text)
        assert s.error_labels[key].isVisible(), key
        assert not window.start_button.isEnabled()
    s.set_advanced_visible(False)
    s.check()
    assert s.advanced.isVisible()  # a message is never hidden
    s.epochs.setValue(3)
    s.warmup.setValue(3)
    assert "fewer epochs" in s.error_labels["warmup"].text()
    s.reset_button.click()
    assert s.errors() == {} and window.start_button.isEnabled()
    config = s.config()
    # LeNet-5's own warm-up (one epoch) is back, and fits the 5 epochs
    assert (config.momentum, config.weight_decay, config.val_split, config.warmup) == (0.9, 0.0, 0.1, 1)
    assert config.optimizer == "adam" and not s.momentum.isEnabled()  # lenet5's default optimiser


def test_device_picker_lists_the_cpu_and_says_there_is_no_gpu(window, qtbot):
    picker = window.settings.device
    qtbot.waitUntil(lambda: picker.count() >= 2, timeout=10_000)
    labels = [picker.itemText(i) for i in range(picker.count())]
    assert labels[0] == "Automatic (CPU, no GPU found)" and "CPU" in labels
    assert picker.currentData() == "auto"


LOGICAL_DEVICE_PICKER = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 3)
from PySide6.QtWidgets import QApplication
app = QApplication([])
from core.runtime.device import list_devices
from gui.panels.settings_panel import SettingsPanel
panel = SettingsPanel()
panel.set_devices(list_devices())
print([panel.device.itemData(i) for i in range(panel.device.count())])
panel.device.setCurrentIndex(panel.device.findData("cpu:2"))
print(panel.config().device, panel.errors().get("device"))
from PySide6.QtCore import Qt
panel.strategy.setCurrentIndex(panel.strategy.findData("mirrored"))
print("mirrored list", [panel.devices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.devices.count())],
      panel.device.isEnabled(), panel.devices.isEnabled())
panel.devices.item(2).setCheckState(Qt.CheckState.Checked)
print("one ticked", panel.errors().get("devices"))
panel.devices.item(0).setCheckState(Qt.CheckState.Checked)
config = panel.config()
print("ticked", config.strategy, config.devices, config.device, panel.errors())
"""


def test_device_picker_lists_logical_devices():
    """Logical devices must be made before TensorFlow starts: a fresh process."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    out = subprocess.run([sys.executable, "-c", LOGICAL_DEVICE_PICKER], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "['auto', 'all', 'cpu:0', 'cpu:1', 'cpu:2']" in out.stdout
    assert "cpu:2 None" in out.stdout
    # the mirrored strategy trains on the ticked devices; the single-device picker steps aside
    assert "mirrored list ['cpu:0', 'cpu:1', 'cpu:2'] False True" in out.stdout
    assert "one ticked mirrored training needs at least 2 devices" in out.stdout
    assert "ticked mirrored ['cpu:0', 'cpu:2'] auto {}" in out.stdout


def test_the_window_paints_before_tensorflow_loads(qtbot):
    from gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    assert not w._engine_started  # nothing heavy before the first paint
    assert w.plots_page.currentWidget() is not w.plots
    w.show()
    qtbot.waitUntil(lambda: w._engine_started, timeout=5_000)
    qtbot.waitUntil(lambda: w.plots_page.currentWidget() is w.plots, timeout=5_000)
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=60_000)
    assert w.device_label.text().startswith("Device: CPU")
    w.close()
    assert not w.engine_thread.isRunning()


def test_multiworker_training_from_the_window_with_a_second_worker(window, qtbot):
    """The window trains this machine's share in a child process (worker 0, the chief);
    a second worker runs from the command line; the chief's model reaches the canvas."""
    import subprocess
    import sys

    from tests.helpers import ROOT
    from tests.helpers import finish, free_ports

    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    panel = window.settings
    panel.set_advanced_visible(True)
    panel.strategy.setCurrentIndex(panel.strategy.findData("multiworker"))
    assert "workers" in panel.errors() and not window.start_button.isEnabled()
    assert panel.error_labels["workers"].isVisible()
    panel.workers.setText(", ".join(workers))
    panel.epochs.setValue(1)
    panel.batch_size.setValue(64)
    assert panel.errors() == {} and window.start_button.isEnabled()
    config = panel.config()
    config.limit = 1200
    assert window.train(config)
    other = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "lenet5", "--epochs", "1",
                              "--limit", "1200", "--batch-size", "64", "--strategy", "multiworker",
                              "--workers", ",".join(workers), "--worker-index", "1"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert not window.pause_button.isEnabled()  # the other worker would wait for a paused one
        qtbot.waitUntil(lambda: "2 replicas" in window.replicas_label.text(), timeout=120_000)
        assert "worker 0 (chief" in window.replicas_label.text()
        with qtbot.waitSignal(window.training_finished, timeout=180_000) as finished:
            pass
    finally:
        code, _, err = finish(other, timeout=120)
    assert code == 0, err[-2000:]
    result = finished.args[0]
    assert Path(result["saved_to"]).parent == Path(window.library_dir()) and result["epochs"] == 1
    assert len(window.plots.train_x) >= 1  # the curves came from the child's events
    qtbot.waitUntil(lambda: window.model_info is not None and window.model_info["source"] == "file"
                    and window.model_info["path"] == result["saved_to"], timeout=30_000)
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)


def test_a_multiworker_run_whose_peer_never_comes_fails_clearly(window, qtbot):
    from tests.helpers import free_ports

    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    config = TrainConfig.for_arch("lenet5", epochs=1, strategy="multiworker", workers=workers,
                                  worker_timeout=5, limit=600)
    with qtbot.waitSignal(window.training_failed, timeout=120_000) as failed:
        assert window.train(config)
    assert "did not join within 5 s" in failed.args[0] and workers[1] in failed.args[0]
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    assert window.start_button.isEnabled()


def test_the_engine_loads_one_model_file_after_another(window, qtbot, tmp_path, bundled_model_path):
    """Each model loaded in the engine thread is traced by TensorFlow in a new slot call:
    without a pinned Python thread state (gui.workers.threads) the second one crashed the process."""
    import shutil

    for name in ("first.keras", "second.keras"):
        copy = tmp_path / name
        shutil.copy(bundled_model_path, copy)
        window.request_load.emit(str(copy))
        qtbot.waitUntil(lambda: window.model_info["path"] == str(copy), timeout=30_000)
    draw_digit_on(window.canvas, "7")
    qtbot.waitUntil(lambda: getattr(window, "last_prediction", None) == "7", timeout=10_000)


def test_closing_the_window_during_a_multiworker_run_ends_its_process(window, qtbot):
    import os

    from PySide6.QtCore import QProcess

    from tests.helpers import free_ports

    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    config = TrainConfig.for_arch("lenet5", epochs=1, strategy="multiworker", workers=workers,
                                  worker_timeout=300, limit=600)
    assert window.train(config)
    qtbot.waitUntil(lambda: window.worker._process is not None
                    and window.worker._process.state() == QProcess.ProcessState.Running, timeout=10_000)
    pid = window.worker._process.processId()
    qtbot.wait(2000)  # the child is waiting for the other worker, deaf to SIGTERM
    thread = window.train_thread
    window.close()
    assert not thread.isRunning()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
