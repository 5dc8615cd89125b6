"""User paths of the Models, Compare and Layers tabs: rows clicked, keys pressed, menu
items triggered, dialogs answered at their boundary."""

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QMessageBox

from tests.gui.userpath import button, choose, click, click_button, click_row, field, key, open_tab, type_into


def plain_text(widget) -> str:
    """What a person reads in ``widget``'s labels (tags removed)."""
    import re

    return " ".join(re.sub("<[^>]+>", "", label.text()) for label in widget.findChildren(QLabel))


def test_models_tab_select_rename_export_delete_open(window, qtbot, library, dialogs, tmp_path, monkeypatch,
                                                    normal_umask):
    from tests.conftest import file_mode

    folder, lenet, mlp = library
    assert file_mode(lenet) == normal_umask  # library models are not private files
    view = open_tab(qtbot, window.tabs, "Models")
    click_row(qtbot, view, mlp.stem)  # a click makes it the canvas's model
    qtbot.waitUntil(lambda: window.model_info["path"] == str(mlp), timeout=30_000)
    assert "Loaded" in window.statusBar().currentMessage()  # not "Loading…" any more
    dialogs.text = "small mlp"
    click_button(qtbot, view, "Rename")
    assert (folder / "small mlp.keras").is_file() and not mlp.exists()
    dialogs.text = "tiny mlp"
    view.table.setFocus()
    key(qtbot, view.table, "F2")
    renamed = folder / "tiny mlp.keras"
    assert renamed.is_file()
    # Export, each format, from the Export button's menu.
    menu = {a.text().rstrip("…"): a for a in button(view, "Export").menu().actions()}
    assert set(menu) == {"Keras model", "TensorFlow SavedModel (folder)", "TensorFlow Lite"}
    for label, name, written in (("Keras model", "copy", "copy.keras"), ("TensorFlow SavedModel (folder)", "saved", "saved"),
                                 ("TensorFlow Lite", "phone", "phone.tflite")):
        dialogs.save = str(tmp_path / name)
        menu[label].trigger()
        qtbot.waitUntil(lambda: "Export" in view.status.text() and written in view.status.text(), timeout=90_000)
        assert "Exported" in view.status.text(), view.status.text()
        assert (tmp_path / written).exists(), label
        if (tmp_path / written).is_file():
            assert file_mode(tmp_path / written) == normal_umask, label
    view.refresh()  # as the folder watcher does after a rename: the outcome stays in view
    assert "Exported as TensorFlow Lite" in view.status.text()
    # Delete: Cancel keeps it, Yes deletes it.
    dialogs.question = QMessageBox.StandardButton.Cancel
    click_button(qtbot, view, "Delete")
    assert renamed.exists()
    dialogs.question = QMessageBox.StandardButton.Yes
    click_button(qtbot, view, "Delete")
    assert not renamed.exists() and view.proxy.rowCount() == 3
    # Show folder opens the library folder in the file manager.
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile())))
    click_button(qtbot, view, "Show folder")
    assert opened == [str(folder)]
    # Open file… and Refresh (F5).
    dialogs.open = str(lenet)
    click_button(qtbot, view, "Open file")
    qtbot.waitUntil(lambda: window.model_info["path"] == str(lenet), timeout=30_000)
    (folder / "more notes.txt").write_text("x")
    click_button(qtbot, view, "Refresh")
    assert view.proxy.rowCount() == 4
    key(qtbot, view.table, "F5")
    assert view.proxy.rowCount() == 4


def test_compare_needs_two_runs_and_exports_csv_and_png(window, qtbot, library, dialogs, tmp_path, normal_umask):
    from tests.conftest import file_mode

    _, lenet, mlp = library
    view = open_tab(qtbot, window.tabs, "Models")
    click_row(qtbot, view, lenet.stem)
    key(qtbot, window, "Ctrl+Shift+C")  # one run: says what to do
    assert "two or more" in window.statusBar().currentMessage() and window.tabs.currentWidget() is view
    assert not button(view, "Compare").isEnabled()
    click_row(qtbot, view, mlp.stem, Qt.KeyboardModifier.ControlModifier)
    click_button(qtbot, view, "Compare")
    compare = window.compare
    assert window.tabs.currentWidget() is compare
    assert len(compare.lines) == 8 and compare.table.columnCount() == 2
    # Beside the figures, the two networks' difference layer by layer.
    assert compare.layers.isVisible()
    changes = {compare.layers.item(r, 0).text(): compare.layers.item(r, 1).text()
               for r in range(compare.layers.rowCount())}
    names = {entry.name: entry for entry in compare.entries}
    first = "lenet5" if list(names)[0] == lenet.stem else "mlp"
    assert changes.get("block1_conv1") == ("removed" if first == "lenet5" else "added")
    assert "image" not in changes  # the same input: not listed
    open_tab(qtbot, window.tabs, "Models")
    key(qtbot, window, "Ctrl+Shift+C")
    assert window.tabs.currentWidget() is compare
    dialogs.save = str(tmp_path / "runs")  # typed without a suffix
    click_button(qtbot, compare, "Export table as CSV")
    table = list(csv.reader(open(tmp_path / "runs.csv")))
    assert table[0][1:] == [compare.table.horizontalHeaderItem(c).text() for c in range(2)]
    click_button(qtbot, compare, "Save plot as PNG")
    assert (tmp_path / "runs.png").stat().st_size > 5_000
    assert file_mode(tmp_path / "runs.csv") == file_mode(tmp_path / "runs.png") == normal_umask
    assert all(str(tmp_path) in asked[2] for asked in dialogs.asked[-1:])  # opens where the CSV went


def test_layers_and_diagram_follow_the_settings_and_export(window, qtbot, dialogs, tmp_path):
    panel, view = window.settings, window.summary_view
    choose(qtbot, field(panel, "Architecture"), "VGG-11 (A)")
    open_tab(qtbot, window.tabs, "Layers")
    qtbot.waitUntil(lambda: (window.last_summary or {}).get("arch") == "vgg11", timeout=30_000)
    compact = window.last_summary["total_params"]
    choose(qtbot, view.form, "Reference")
    type_into(qtbot, view.input, "64x64x3", enter=True)
    type_into(qtbot, view.classes, "100", enter=True)
    qtbot.waitUntil(lambda: window.last_summary["input_shape"] == [64, 64, 3]
                    and window.last_summary["classes"] == 100, timeout=30_000)
    assert window.last_summary["total_params"] != compact
    click_button(qtbot, view, "Collapse all")
    assert not view.tree.topLevelItem(2).isExpanded()
    click_button(qtbot, view, "Expand all")
    assert view.tree.topLevelItem(2).isExpanded()
    dialogs.save = str(tmp_path / "vgg")
    click_button(qtbot, view, "Export CSV")
    lines = (tmp_path / "vgg.csv").read_text().splitlines()
    assert lines[0].startswith("name,type,output_shape,params,macs")
    click_button(qtbot, view, "Export text")
    assert f"{window.last_summary['total_params']:,}" in (tmp_path / "vgg.txt").read_text()
    assert str(tmp_path) in dialogs.asked[-1][2]
    type_into(qtbot, view.input, "banana", enter=True)
    assert "28x28x1" in view.input_error.text()
    diagram = open_tab(qtbot, window.tabs, "Diagram")
    assert diagram.isVisible() and len(view.diagram.items) > 3
    choose(qtbot, field(panel, "Architecture"), "GoogLeNet")
    open_tab(qtbot, window.tabs, "Layers")
    qtbot.waitUntil(lambda: window.last_summary["arch"] == "googlenet", timeout=30_000)
    # The Diagram draws the Inception branches side by side.
    lanes = {node.lane for node in view.diagram.items if (node.block or "").startswith("inception3a")}
    assert lanes == {0, 1, 2, 3} and view.diagram.width() > 4 * view.diagram.BOX_W
    without = window.last_summary["total_params"]
    click(qtbot, button(view, "Auxiliary heads"))
    qtbot.waitUntil(lambda: window.last_summary["total_params"] > without, timeout=30_000)
    choose(qtbot, view.inception, "v2 (two 3×3 for 5×5)")
    qtbot.waitUntil(lambda: window.last_summary["total_params"] != without, timeout=30_000)


def test_continue_training_and_fine_tune_from_the_models_tab(window, qtbot, small_mnist):
    """A run of 2 epochs goes on for 1 more from Models, its curves continuing; then its
    weights are fine-tuned with a fresh optimiser."""
    from core.training.config import TrainConfig
    from core.storage.library import finish_run, list_models
    from core.training.loop import run_training

    folder = window.library_dir()
    config = TrainConfig.for_arch("mlp", epochs=2, limit=600, batch_size=64)
    first = finish_run(run_training(config), small_mnist.info.class_names, folder)
    view = open_tab(qtbot, window.tabs, "Models")
    view.refresh()
    name = Path(first.library_path).stem
    click_row(qtbot, view, name)
    assert button(view, "Continue training").isEnabled()
    click_button(qtbot, view, "Continue training")
    dialog = view.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert "trained 2 of 2 planned epoch(s)" in plain_text(dialog)
    type_into(qtbot, field(dialog, "More epochs:"), "1")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, dialog, "Continue")
        # The curves start with the saved epochs: one point each, then the new batches.
        qtbot.waitUntil(lambda: window.plots.val_x[:2] == [1.0, 2.0], timeout=10_000)
        assert window.plots.train_x[:2] == [1.0, 2.0] and window.plots.epochs == 3
        assert not view.continue_button.isEnabled()  # one run at a time (the Models tab is hidden now)
    assert finished.args[0]["epochs"] == 3 and not finished.args[0]["stopped"]
    assert window.plots.val_x == [1.0, 2.0, 3.0] and max(window.plots.train_x) == pytest.approx(3.0)
    newest = list_models(folder)[0]
    assert newest.metadata["resumed_after"] == 2 and newest.metadata["config"]["resume"] == first.library_path
    # Fine-tune the first run on a few MNIST images, at a tenth of its learning rate (once
    # the training thread has ended, as a person waits for the buttons to come back).
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=10_000)
    open_tab(qtbot, window.tabs, "Models")
    view.refresh()
    click_row(qtbot, view, name)
    click_button(qtbot, view, "Fine-tune")
    dialog = view.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    choose(qtbot, field(dialog, "Dataset:"), "MNIST digits")
    assert field(dialog, "Learning rate:").value() == pytest.approx(config.learning_rate / 10)
    type_into(qtbot, field(dialog, "Images:"), "1")  # refused in the dialog, which stays open
    type_into(qtbot, field(dialog, "Epochs:"), "1")
    click_button(qtbot, dialog, "Fine-tune")
    assert dialog.isVisible() and "limit" in dialog.error.text()
    type_into(qtbot, field(dialog, "Images:"), "600")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, dialog, "Fine-tune")
    assert finished.args[0]["epochs"] == 1 and not dialog.isVisible()
    tuned = list_models(folder)[0].metadata
    assert tuned["fine_tune"]["from"] == first.library_path and tuned["fine_tune"]["layers_copied"] >= 2


def test_a_model_without_its_optimizer_state_offers_fine_tuning_only(window, qtbot, library):
    _, lenet, _ = library
    view = open_tab(qtbot, window.tabs, "Models")
    click_row(qtbot, view, lenet.stem)
    assert not button(view, "Continue training").isEnabled()
    assert "fine-tune it instead" in button(view, "Continue training").toolTip()
    assert button(view, "Fine-tune").isEnabled()
