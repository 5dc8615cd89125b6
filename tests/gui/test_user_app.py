"""The application around the panels, as a person uses it: the keyboard shortcuts list."""

from PySide6.QtWidgets import QApplication

from tests.gui.userpath import (button, choose, click, combo, field, key, menu_action, open_tab, open_window, trigger,
                                type_into)


def shown_dialog(kind):
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible())


def test_help_lists_every_shortcut_and_searches_them(window, qtbot):
    from gui.dialogs.shortcuts_dialog import ShortcutsDialog

    assert menu_action(window, "Help > Keyboard shortcuts").shortcut().toString() == "Ctrl+/"
    key(qtbot, window, "Ctrl+/")
    dialog = shown_dialog(ShortcutsDialog)
    qtbot.addWidget(dialog)
    rows = {(r.action, r.where): r.keys for r in dialog.visible_rows()}
    # From the menus, the panels and a tab, with every key an action answers to.
    assert rows[("Evaluate on the test set", "Train menu")] == "Ctrl+E"
    assert rows[("Start", "Train menu")] == "Ctrl+Return, Ctrl+Enter"
    assert rows[("Stop", "Train menu")] == "Esc"
    assert rows[("Quit", "File menu")] == "Ctrl+Q"
    assert rows[("Keyboard shortcuts", "Help menu")] == "Ctrl+/"
    assert rows[("Redo", "Canvas menu")] == "Ctrl+Shift+Z, Ctrl+Y"
    assert any(where == "Models tab" and keys == "F5" for (_, where), keys in rows.items())
    # Keys a widget handles while it has the focus are listed too.
    assert rows[("Rename run", "Models tab")] == "F2" and rows[("Start training", "Training settings")] == "Return"
    assert rows[("This is a …", "Canvas")] == "0 … 9"
    assert dialog.count.text() == f"{len(dialog.rows)} shortcuts"

    type_into(qtbot, dialog.search, "pen")  # by name
    assert {r.action for r in dialog.visible_rows()} == {"Thinner pen", "Thicker pen"}
    assert dialog.count.text() == f"2 of {len(dialog.rows)} shortcuts match \"pen\""
    type_into(qtbot, dialog.search, "ctrl+shift")  # by key
    assert {"Sweep", "Compare selected runs", "Save drawing as PNG"} <= {r.action for r in dialog.visible_rows()}
    assert all("Ctrl+Shift" in r.keys for r in dialog.visible_rows())
    type_into(qtbot, dialog.search, "canvas menu")  # by where
    assert {r.where for r in dialog.visible_rows()} == {"Canvas menu"}
    type_into(qtbot, dialog.search, "no such thing")
    assert dialog.visible_rows() == [] and dialog.count.text() == 'No shortcut matches "no such thing".'
    click(qtbot, button(dialog, "Close"))
    assert not dialog.isVisible()


def test_the_next_start_remembers_the_session(window, qtbot, dialogs, tmp_path, bundled_model_path):
    import shutil

    mine = tmp_path / "mine.keras"
    shutil.copy(bundled_model_path, mine)
    dialogs.open = str(mine)
    key(qtbot, window, "Ctrl+O")
    qtbot.waitUntil(lambda: window.model_info["path"] == str(mine), timeout=30_000)
    panel = window.settings
    choose(qtbot, field(panel, "Architecture"), "ResNet-18")
    type_into(qtbot, field(panel, "Epochs"), "7")
    type_into(qtbot, field(panel, "Learning rate"), "0.002")
    click(qtbot, button(panel, "More settings"))
    type_into(qtbot, field(panel, "Training images"), "2500")
    choose(qtbot, field(panel, "Device"), "CPU")  # listed once TensorFlow has loaded
    key(qtbot, window, "]")  # a thicker pen
    pen = window.pen_width.value()
    choose(qtbot, combo(window.canvas_panel, "Explain by"), "Occlusion")
    open_tab(qtbot, window.tabs, "Layers")
    window.resize(1320, 780)
    sizes = window.centralWidget().sizes()
    window.centralWidget().moveSplitter(sizes[0] + 60, 1)  # the settings column, wider
    sizes = window.centralWidget().sizes()
    key(qtbot, window, "Ctrl+Q")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)

    again = open_window(qtbot)
    assert again.model_info["path"] == str(mine) and again.model_info["source"] == "file"
    fields = again.settings
    assert field(fields, "Architecture").currentText() == "ResNet-18"
    assert [field(fields, c).text() for c in ("Epochs", "Learning rate", "Training images")] == ["7", "0.002", "2500"]
    assert fields.advanced.isVisible() and again.pen_width.value() == pen
    assert combo(again.canvas_panel, "Explain by").currentText() == "Occlusion"
    qtbot.waitUntil(lambda: field(fields, "Device").count() >= 2, timeout=10_000)
    assert field(fields, "Device").currentText() == "CPU"
    assert again.tabs.tabText(again.tabs.currentIndex()) == "Layers"
    assert (again.width(), again.height()) == (1320, 780) and again.centralWidget().sizes() == sizes
    # Reset to defaults still resets (and the model stays remembered for the next start).
    key(qtbot, again, "Ctrl+R")
    assert field(fields, "Epochs").text() != "7"

    mine.unlink()  # the remembered model is gone: the bundled one, with a word
    key(qtbot, again, "Ctrl+Q")
    qtbot.waitUntil(lambda: not again.isVisible(), timeout=10_000)
    third = open_window(qtbot)
    assert third.model_info["source"] == "bundled"
    assert f"The last model, {mine}, is no longer there" in third.statusBar().currentMessage()
    third.close()


def test_a_damaged_settings_file_is_skipped_with_a_log_line(qtbot, tmp_path, monkeypatch, caplog):
    import os

    path = os.environ["CNN_STUDIO_SETTINGS"]
    with open(path, "w") as f:
        f.write("[General]\nversion=1\npanel\\fields={not json\ncanvas\\pen=thick\nwindow\\geometry=7\n")
    with caplog.at_level("WARNING", logger="cnn_studio"):
        window = open_window(qtbot)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Could not restore the settings" in logged and "the pen width" in logged
    assert "the window's size" in logged
    assert field(window.settings, "Architecture").currentText() == "LeNet-5"  # the defaults
    window.close()

    with open(path, "w") as f:
        f.write("[General]\nversion=99\n")  # another version's file
    caplog.clear()
    with caplog.at_level("WARNING", logger="cnn_studio"):
        window = open_window(qtbot)
    assert "not this version's" in caplog.text
    window.close()


def test_view_theme_switches_widgets_and_plots_and_is_remembered(window, qtbot):
    from matplotlib.colors import to_rgb
    from PySide6.QtGui import QPalette

    def lightness(colour) -> float:
        return sum(to_rgb(colour)) / 3

    original_style = QApplication.style().name()
    figures = [window.plots.figure, window.evaluation.figure]
    assert menu_action(window, "View > Theme > System").isChecked()  # the default
    try:
        trigger(window, "View > Theme > Dark")
        palette = QApplication.palette()
        assert palette.color(QPalette.ColorRole.Window).lightness() < 60
        assert palette.color(QPalette.ColorRole.WindowText).lightness() > 200
        for figure in figures:
            assert lightness(figure.get_facecolor()) < 0.25
            assert all(lightness(ax.xaxis.label.get_color()) > 0.8 for ax in figure.axes)
        assert window.dark and menu_action(window, "View > Theme > Dark").isChecked()
        key(qtbot, window, "Ctrl+Q")
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)

        again = open_window(qtbot)  # remembered
        assert again.theme == "dark" and menu_action(again, "View > Theme > Dark").isChecked()
        assert lightness(again.plots.figure.get_facecolor()) < 0.25
        trigger(again, "View > Theme > Light")
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert lightness(again.plots.figure.get_facecolor()) > 0.9 and not again.dark
        assert all(lightness(ax.yaxis.label.get_color()) < 0.3 for ax in again.plots.figure.axes)
        trigger(again, "View > Theme > System")  # back to the desktop's look (here: light)
        assert QApplication.style().name() == original_style and not again.dark
        again.close()
    finally:
        from gui.view_menu import apply_theme

        apply_theme("system")  # the application is shared with the next tests
