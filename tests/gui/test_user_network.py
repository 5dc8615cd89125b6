"""The Network tab: a network built by clicks and keys, its live check, Start refused while
it has a problem, undo, save, Python code, train one epoch, and draw on the canvas with it."""

from pathlib import Path

from PySide6.QtCore import Qt

from tests.gui.userpath import (button, choose, click, click_button, click_row, combo, draw_digit_on, entries,
                                field, key, open_tab, quick_settings, trigger, type_into)


def add_from_palette(qtbot, editor, kind: str) -> None:
    """Double-clicks ``kind`` in the palette (a click, then the double-click, as a mouse sends them)."""
    palette = editor.palette
    item = palette.findItems(kind, Qt.MatchFlag.MatchExactly)[0]
    palette.scrollToItem(item)
    where = palette.visualItemRect(item).center()
    qtbot.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=where)


def click_layer(qtbot, editor, name: str) -> None:
    table = editor.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)
    table.scrollToItem(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(row, 1)).center())
    assert editor.draft.layers[editor.draft.selected].name == name


def checked(qtbot, editor) -> None:
    qtbot.waitUntil(editor._current, timeout=30_000)


def test_build_a_network_by_clicks_and_keys_then_train_it_and_draw_with_it(window, qtbot, dialogs, tmp_path):
    editor = open_tab(qtbot, window.tabs, "Network")
    checked(qtbot, editor)
    for kind in ("Conv2D", "MaxPooling2D", "Conv2D", "Add"):
        add_from_palette(qtbot, editor, kind)
    dialogs.item = "max_pooling2d_1"  # the skip, around the second convolution
    click_button(qtbot, editor, "Link input")
    assert editor.draft.layers[-1].inputs == ["conv2d_2", "max_pooling2d_1"]
    # The palette by keys: type to find a layer, Enter adds it.
    editor.palette.setFocus()
    qtbot.keyClicks(editor.palette, "Global")
    qtbot.keyClick(editor.palette, Qt.Key.Key_Return)
    add_from_palette(qtbot, editor, "Dense")  # at the end: the dataset's 10 classes, softmax
    checked(qtbot, editor)
    assert editor.problems.text() == "" and "parameters" in editor.totals.text()
    shapes = [editor.table.item(r, 2).text() for r in range(editor.table.rowCount())]
    assert shapes == ["28×28×1", "28×28×16", "14×14×16", "14×14×16", "14×14×16", "16", "10"]
    # An error: a convolution of 8 filters added to 16 channels. Start refuses, naming it.
    click_layer(qtbot, editor, "conv2d_2")
    type_into(qtbot, field(editor.form, "Filters:"), "8", enter=True)
    checked(qtbot, editor)
    assert "add_1" in editor.problems.text() and "incompatible shapes" in editor.problems.text()
    assert editor.table.item(4, 6).text().startswith("Inputs have incompatible shapes")
    click_button(qtbot, editor, "Train it")
    assert "Start refused: add_1: Inputs have incompatible shapes" in editor.problems.text()
    assert not window.is_training
    # Ctrl+Z in the table takes it back; Del deletes a layer, and Ctrl+Z puts it back.
    editor.table.setFocus()
    qtbot.keyClick(editor.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.draft.layers[3].settings["filters"] == 16
    click_layer(qtbot, editor, "max_pooling2d_1")
    qtbot.keyClick(editor.table, Qt.Key.Key_Delete)
    assert "max_pooling2d_1" not in [layer.name for layer in editor.draft.layers]
    assert button(editor, "Undo").toolTip().startswith("Undo Delete max_pooling2d_1")
    qtbot.keyClick(editor.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    checked(qtbot, editor)
    assert editor.problems.text() == ""
    # Save as…: in My networks, and in the Architecture list.
    dialogs.text = "skip_net"
    click_button(qtbot, editor, "Save as")
    qtbot.waitUntil(lambda: (tmp_path / "networks" / "skip_net.json").is_file(), timeout=10_000)
    qtbot.waitUntil(lambda: "skip_net (my network)" in [field(window.settings, "Architecture").itemText(i) for i in
                                                        range(field(window.settings, "Architecture").count())],
                    timeout=5_000)
    # Python code…: a file that builds it.
    dialogs.save = str(tmp_path / "skip_net.py")
    click_button(qtbot, editor, "Python code")
    qtbot.waitUntil(lambda: (tmp_path / "skip_net.py").is_file(), timeout=10_000)
    code = (tmp_path / "skip_net.py").read_text()
    compile(code, "skip_net.py", "exec")
    assert "layers.Add(name='add_1')([conv2d_2, max_pooling2d_1])" in code
    # Train it: the panel's settings (chosen, then a short run typed), one epoch.
    choose(qtbot, field(window.settings, "Architecture"), "skip_net (my network)")
    quick_settings(qtbot, window, epochs="1", images="1500", batch="64")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, editor, "Train it")
    result = finished.args[0]
    assert result["epochs"] == 1 and not result["stopped"]
    assert result["metadata"]["arch"].endswith("skip_net.json") and result["metadata"]["arch_name"] == "skip_net"
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=10_000)
    draw_digit_on(window.canvas, "1")
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=10_000)
    assert "skip_net" in window.model_label.text()
    # The run, reopened in the editor from the Models tab (Models ▸ Edit the network…).
    models = open_tab(qtbot, window.tabs, "Models")
    click_row(qtbot, models, Path(result["saved_to"]).stem)
    click_row(qtbot, models, Path(result["saved_to"]).stem, Qt.KeyboardModifier.ControlModifier)  # none selected
    key(qtbot, window, "Ctrl+Shift+N")
    assert "Select one run" in window.statusBar().currentMessage()
    click_row(qtbot, models, Path(result["saved_to"]).stem)
    trigger(window, "Models > Edit the network of the selected run")
    assert window.tabs.currentWidget() is editor and editor.draft.name == Path(result["saved_to"]).stem
    assert editor.draft.layers[editor.draft.index("add_1")].inputs == ["conv2d_2", "max_pooling2d_1"]


def test_start_from_the_zoo_a_model_file_or_plain_keras_and_undo_it(window, qtbot, dialogs, bundled_model_path,
                                                                     tmp_path):
    editor = open_tab(qtbot, window.tabs, "Network")
    choose(qtbot, combo(editor, "Start from"), "ResNet-18 (compact)")
    qtbot.waitUntil(lambda: len(editor.draft.layers) > 60, timeout=30_000)
    checked(qtbot, editor)
    assert editor.problems.text() == "" and "177,610" in editor.totals.text()  # the zoo's own count
    assert button(editor, "Undo").toolTip().startswith("Undo Start from resnet18")
    assert "VGG-16 (D) (reference)" in entries(combo(editor, "Start from"))  # the paper's forms too
    assert "LeNet-5 (reference)" not in entries(combo(editor, "Start from"))  # the same as its compact form
    dialogs.open = str(bundled_model_path)  # a .keras model's architecture
    choose(qtbot, combo(editor, "Start from"), "Open a file…")
    qtbot.waitUntil(lambda: editor.draft.name == "lenet5_mnist", timeout=10_000)
    checked(qtbot, editor)
    assert "deslant" in [layer.name for layer in editor.draft.layers] and editor.problems.text() == ""
    click_button(qtbot, editor, "Undo")
    assert len(editor.draft.layers) > 60  # back to ResNet-18
    # A network written with plain Keras elsewhere: Keras's own count, and it trains from here.
    from tests.core.test_networks import plain_keras_network

    plain = plain_keras_network()
    (tmp_path / "plain.json").write_text(plain.to_json())
    dialogs.open = str(tmp_path / "plain.json")
    choose(qtbot, combo(editor, "Start from"), "Open a file…")
    qtbot.waitUntil(lambda: editor.draft.name == "plain", timeout=10_000)
    checked(qtbot, editor)
    assert f"({plain.count_params():,})" in editor.totals.text() and editor.problems.text() == ""
    quick_settings(qtbot, window, epochs="1", images="1000", batch="64")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, editor, "Train it")
    assert finished.args[0]["metadata"]["arch_name"] == "plain" and finished.args[0]["epochs"] == 1
    open_tab(qtbot, window.tabs, "Network")  # training showed its curves
    click_button(qtbot, editor, "Undo")
    assert len(editor.draft.layers) > 60
    bad = tmp_path / "missing.json"
    dialogs.open = str(bad)
    choose(qtbot, combo(editor, "Start from"), "Open a file…")
    assert "no such file" in editor.problems.text() and len(editor.draft.layers) > 60
    click(qtbot, button(editor, "Undo"))
    assert len(editor.draft.layers) == 1  # the blank input it began with


def test_an_edit_while_training_holds_tensorflow_is_checked_when_training_ends(window, qtbot):
    from core.runtime.device import graph_lock

    editor = open_tab(qtbot, window.tabs, "Network")
    checked(qtbot, editor)
    graph_lock.acquire()  # as a training run holds it
    try:
        add_from_palette(qtbot, editor, "Flatten")
        qtbot.waitUntil(lambda: "busy training" in editor.problems.text(), timeout=10_000)
        click_button(qtbot, editor, "Train it")
        assert "Start refused" in editor.problems.text() and not window.is_training
    finally:
        graph_lock.release()
    window.training.busy_changed.emit(False)  # what the panel says when a run ends
    qtbot.waitUntil(lambda: editor._current() and "busy" not in editor.problems.text(), timeout=10_000)
    assert "the output is 784 values" in editor.problems.text()  # the real check, at last
