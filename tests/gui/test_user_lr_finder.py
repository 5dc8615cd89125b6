"""Train ▸ Find learning rate…: the range test from the panel's settings, by keys and clicks."""

from tests.gui.userpath import button, click_button, field, key, menu_action, quick_settings, type_into


def test_find_a_rate_and_use_it_then_stop_one_and_close_mid_test(window, qtbot):
    quick_settings(qtbot, window, epochs="1", images="2000", batch="32")
    type_into(qtbot, field(window.settings, "Learning rate"), "0.5")
    assert menu_action(window, "Train > Find learning rate").shortcut().toString() == "Ctrl+Shift+L"
    key(qtbot, window, "Ctrl+Shift+L")
    finder = window.lr_finder
    assert finder.isVisible() and finder.isModal()
    qtbot.waitUntil(lambda: finder.result is not None and finder.thread is None, timeout=120_000)
    result = finder.result
    assert result["blew_up"] and result["suggested_lr"] is not None
    assert len(finder.smooth_line.get_xdata()) == len(result["lrs"]) > 50  # the curve is drawn
    assert finder.axes.get_xscale() == "log" and finder.marker is not None
    assert f"{result['suggested_lr']:.2g}" in finder.note.text()
    click_button(qtbot, finder, "Use this rate")
    assert not finder.isVisible()
    assert field(window.settings, "Learning rate").text() == f"{result['suggested_lr']:.2g}"
    assert window.settings.check()
    # Again, stopped by its button: what ran so far is kept, the dialog says so.
    key(qtbot, window, "Ctrl+Shift+L")
    qtbot.waitUntil(lambda: len(finder.lrs) >= 5, timeout=60_000)
    click_button(qtbot, finder, "Stop")
    qtbot.waitUntil(lambda: finder.thread is None, timeout=30_000)
    assert finder.result["stopped"] and "stopped" in finder.note.text()
    assert not button(finder, "Stop").isEnabled()
    click_button(qtbot, finder, "Close")
    # Closing the window while a test runs stops it cleanly.
    key(qtbot, window, "Ctrl+Shift+L")
    qtbot.waitUntil(lambda: len(finder.lrs) >= 2, timeout=60_000)
    window.close()
    assert finder.thread is None and not window.isVisible()


def test_bad_settings_are_refused_before_the_test(window, qtbot):
    type_into(qtbot, field(window.settings, "Learning rate"), "fast")
    key(qtbot, window, "Ctrl+Shift+L")
    assert getattr(window, "lr_finder", None) is None
    assert "Fix the settings marked in red" in window.statusBar().currentMessage()
