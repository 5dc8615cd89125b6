"""User paths of the Models, Compare and Layers tabs: rows clicked, keys pressed, menu
items triggered, dialogs answered at their boundary."""

import csv

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from tests.gui.userpath import button, choose, click, click_button, field, key, open_tab, type_into


def row_of(view, name):
    return next(r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data() == name)


def click_row(qtbot, view, name, modifier=Qt.KeyboardModifier.NoModifier):
    rect = view.table.visualRect(view.proxy.index(row_of(view, name), 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_models_tab_select_rename_export_delete_open(window, qtbot, library, dialogs, tmp_path, monkeypatch):
    folder, lenet, mlp = library
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


def test_compare_needs_two_runs_and_exports_csv_and_png(window, qtbot, library, dialogs, tmp_path):
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
    open_tab(qtbot, window.tabs, "Models")
    key(qtbot, window, "Ctrl+Shift+C")
    assert window.tabs.currentWidget() is compare
    dialogs.save = str(tmp_path / "runs")  # typed without a suffix
    click_button(qtbot, compare, "Export table as CSV")
    table = list(csv.reader(open(tmp_path / "runs.csv")))
    assert table[0][1:] == [compare.table.horizontalHeaderItem(c).text() for c in range(2)]
    click_button(qtbot, compare, "Save plot as PNG")
    assert (tmp_path / "runs.png").stat().st_size > 5_000
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
    without = window.last_summary["total_params"]
    click(qtbot, button(view, "Auxiliary heads"))
    qtbot.waitUntil(lambda: window.last_summary["total_params"] > without, timeout=30_000)
    choose(qtbot, view.inception, "v2 (two 3×3 for 5×5)")
    qtbot.waitUntil(lambda: window.last_summary["total_params"] != without, timeout=30_000)
