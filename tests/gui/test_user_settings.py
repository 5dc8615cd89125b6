"""User paths of the settings, the menus and failures: every field typed or chosen, a bad
value refused in red, Reset to defaults, the File and Help menus, an error in a slot."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.userpath import draw_digit_on
from tests.gui.userpath import (button, choose, click, click_button, entries, field, key, menu_action,
                                message_boxes, trigger, type_into)

TEXT_FIELDS = {"Learning rate": ("0.01", "fast"), "Momentum": ("0.8", "2"), "Weight decay": ("1e-4", "-1"),
               "Validation": ("0.2", "0.9")}
NUMBER_FIELDS = {"Epochs": "3", "Batch size": "32", "Warm-up": "1", "Early stop": "2", "Training images": "5000",
                 "Seed": "7"}


def test_every_field_typed_a_bad_value_refused_and_reset(window, qtbot):
    panel = window.settings
    key(qtbot, window, "Ctrl+M")
    assert panel.advanced.isVisible()
    choose(qtbot, field(panel, "Optimizer"), "SGD")
    for caption, (good, bad) in TEXT_FIELDS.items():
        type_into(qtbot, field(panel, caption), bad)
        assert panel.error_labels[caption.lower().replace(" ", "_").replace("validation", "val_split")].isVisible()
        assert not button(window, "Start training").isEnabled(), caption
        type_into(qtbot, field(panel, caption), good)
        assert panel.check(), (caption, panel.errors())
    for caption, value in NUMBER_FIELDS.items():
        type_into(qtbot, field(panel, caption), value)
        assert field(panel, caption).value() == int(value), caption
    click(qtbot, button(panel, "Nesterov momentum"))
    click(qtbot, button(panel, "Augment the images"))
    assert panel.deslant.isChecked()  # digits are deslanted by default
    click(qtbot, button(panel, "Deslant the digits"))
    click(qtbot, button(panel, "Keep every epoch's weights"))
    assert not panel.keep_epochs.isChecked()
    config = panel.config()
    assert (config.learning_rate, config.momentum, config.nesterov, config.weight_decay, config.val_split) == \
        (0.01, 0.8, True, 1e-4, 0.2)
    assert not config.augment and not config.deslant
    assert (config.epochs, config.batch_size, config.warmup, config.early_stopping, config.limit, config.seed) == \
        (3, 32, 1, 2, 5000, 7)
    # Every entry of every combo box of the panel can be chosen.
    for caption in ("Optimizer", "Schedule", "Precision", "Form", "Dataset", "Device", "Strategy"):
        combo = field(panel, caption)
        for text in entries(combo):
            if combo.model().item(entries(combo).index(text)).isEnabled():
                choose(qtbot, combo, text)
    # Machine checks before Start: float16 without a GPU, mirrored on one device.
    choose(qtbot, field(panel, "Strategy"), "One device")
    choose(qtbot, field(panel, "Precision"), "float16 (GPU)")
    assert "needs a GPU" in panel.error_labels["mixed_precision"].text()
    assert not button(window, "Start training").isEnabled()
    choose(qtbot, field(panel, "Precision"), "bfloat16")
    choose(qtbot, field(panel, "Strategy"), "Mirrored: every local GPU (or the ticked devices)")
    assert "several devices" in panel.error_labels["strategy"].text()
    choose(qtbot, field(panel, "Strategy"), "Multi-worker: several machines")
    type_into(qtbot, field(panel, "Workers"), "localhost:1")
    assert panel.error_labels["workers"].isVisible()
    type_into(qtbot, field(panel, "Workers"), "localhost:1111,localhost:2222")
    assert not panel.error_labels["workers"].isVisible()
    assert panel.strategy_note.isVisible() and "small" in panel.strategy_note.text()  # said before Start
    type_into(qtbot, field(panel, "TensorBoard"), str(Path.home() / "logs"))
    # Reset to defaults (the button) puts back every setting, the architecture kept.
    click_button(qtbot, panel, "Reset to defaults")
    assert panel.check(), panel.errors()
    config = panel.config()
    assert (config.arch, config.form, config.dataset, config.strategy, config.device, config.workers,
            config.tensorboard, config.limit, config.optimizer, config.epochs) == \
        ("lenet5", "compact", "mnist", "default", "auto", [], None, None, "adam", 4)
    assert panel.keep_epochs.isChecked() and config.augment and config.deslant
    type_into(qtbot, field(panel, "Epochs"), "9")
    key(qtbot, window, "Ctrl+R")
    assert panel.config().epochs == 4 and button(window, "Start training").isEnabled()
    assert not panel.strategy_note.isVisible()
    click(qtbot, button(panel, "More settings"))
    assert not panel.advanced.isVisible()


def test_tensorboard_folder_chosen_with_the_button(window, qtbot, dialogs, tmp_path, monkeypatch):
    import core.training.config

    monkeypatch.setattr(core.training.config, "tensorboard_available", lambda: True)
    key(qtbot, window, "Ctrl+M")
    dialogs.folder = str(tmp_path)
    click_button(qtbot, window.settings, "Choose the TensorBoard log folder")
    assert field(window.settings, "TensorBoard").text() == str(tmp_path)


def test_file_and_help_menus(window, qtbot, dialogs, tmp_path, bundled_model_path):
    draw_digit_on(window.canvas, "7")
    qtbot.waitUntil(lambda: window.last_prediction == "7", timeout=10_000)
    dialogs.save = str(tmp_path / "mine")
    key(qtbot, window, "Ctrl+S")
    qtbot.waitUntil(lambda: (tmp_path / "mine.keras").is_file(), timeout=30_000)
    dialogs.open = str(tmp_path / "mine.keras")
    key(qtbot, window, "Ctrl+O")
    qtbot.waitUntil(lambda: window.model_info["path"] == str(tmp_path / "mine.keras"), timeout=30_000)
    assert window.model_info["source"] == "file" and "Loaded mine.keras" in window.statusBar().currentMessage()
    key(qtbot, window, "Ctrl+Shift+O")  # no checkpoint yet: said so
    assert any("none yet" in text for text in message_boxes(window))
    trigger(window, "Help > About")
    assert "CNN Studio" in dialogs.abouts[-1]
    key(qtbot, window, "Ctrl+L")
    assert window.tabs.currentWidget() is window.library
    key(qtbot, window, "Ctrl+Q")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.engine_thread.isRunning()


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_logged_and_shown_and_the_window_goes_on(window, qtbot, dialogs, tmp_path,
                                                                         monkeypatch):
    import gui.panels.canvas_panel
    from gui.errors import install_exception_hook

    log = tmp_path / "logs" / "cnn-studio.log"
    reporter = install_exception_hook(window, log)
    try:
        draw_digit_on(window.canvas, "7")

        def broken(*args, **kwargs):
            raise RuntimeError("the disk said no")

        working = gui.panels.canvas_panel.ask_save
        monkeypatch.setattr(gui.panels.canvas_panel, "ask_save", broken)
        key(qtbot, window, "Ctrl+Shift+S")
        qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=5_000)
        assert "the disk said no" in reporter.box.text() and str(log) in reporter.box.text()
        text = log.read_text()
        assert "Traceback" in text and "RuntimeError: the disk said no" in text and "save_drawing" in text
        # OK closes the message; the same control works once the fault is gone.
        click(qtbot, reporter.box.button(QMessageBox.StandardButton.Ok))
        assert not reporter.box.isVisible()
        monkeypatch.setattr(gui.panels.canvas_panel, "ask_save", working)
        dialogs.save = str(tmp_path / "seven.png")
        key(qtbot, window, "Ctrl+Shift+S")
        assert (tmp_path / "seven.png").is_file()
    finally:
        reporter.uninstall()


def test_the_window_fits_a_1366_by_768_screen(window, qtbot):
    for advanced in (False, True):
        window.settings.set_advanced_visible(advanced)
        qtbot.wait(10)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 700, (advanced, hint)
    window.resize(1366, 700)
    qtbot.waitUntil(lambda: window.width() == 1366, timeout=2_000)
    assert button(window, "Start training").isVisible()
    assert menu_action(window, "Train > Start").isEnabled()
    assert Qt  # (keeps the import for key names)


def test_the_cifar_recipe_fills_in_the_tutorials_settings(window, qtbot):
    panel = window.settings
    if not panel.advanced.isVisible():
        click(qtbot, button(panel, "More settings"))
    choose(qtbot, field(panel, "Recipe"), "CIFAR tutorial recipe")  # LeNet-5's own warm-up goes too
    assert panel.config().warmup == 0
    choose(qtbot, field(panel, "Architecture"), "ResNet-18")
    choose(qtbot, field(panel, "Recipe"), "CIFAR tutorial recipe")
    config = panel.config()
    assert (config.optimizer, config.learning_rate, config.momentum, config.nesterov, config.weight_decay,
            config.schedule, config.batch_size, config.warmup) == ("sgd", 0.1, 0.9, True, 5e-4, "step", 128, 0)
    assert panel.momentum.isEnabled() and panel.check()
    choose(qtbot, field(panel, "Recipe"), "The architecture's defaults")
    assert panel.config().optimizer == "adam" and panel.config().weight_decay == 0
    choose(qtbot, field(panel, "Recipe"), "CIFAR tutorial recipe")
    click_button(qtbot, panel, "Reset to defaults")
    assert panel.config().optimizer == "adam" and field(panel, "Recipe").currentIndex() == 0


def test_preview_augmentation_shows_what_training_feeds(window, qtbot):
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from core.data.augment import PREVIEW_IMAGES, preview_batch
    from core.data.datasets import load_dataset
    from gui.dialogs.augment_preview import AugmentPreview

    panel = window.settings
    click(qtbot, button(panel, "More settings"))
    assert panel.augment.isChecked()  # digits: on by default
    type_into(qtbot, field(panel, "Seed"), "3")
    click(qtbot, button(panel, "Preview"))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AugmentPreview) and w.isVisible())
    qtbot.waitUntil(lambda: dialog.images is not None, timeout=60_000)
    data = load_dataset("mnist", val_split=0.0, limit=PREVIEW_IMAGES)
    raw = data.x_train[:PREVIEW_IMAGES].astype(np.float32)
    expected, labels = preview_batch(data.x_train, data.y_train, PREVIEW_IMAGES, seed=3)
    assert np.array_equal(dialog.images, expected)  # the training pipeline itself, seeded alike
    assert dialog.labels == [str(int(label)) for label in labels]
    assert len(dialog.figure.axes) == PREVIEW_IMAGES and "seed 3" in dialog.note.text()
    assert sum(not any(np.array_equal(image, r) for r in raw) for image in dialog.images) > 0  # transformed
    first = dialog.images.copy()
    click(qtbot, button(dialog, "Another batch"))
    qtbot.waitUntil(lambda: "seed 4" in dialog.note.text(), timeout=60_000)
    assert not np.array_equal(dialog.images, first)
    click(qtbot, panel.augment)  # switched off: the preview follows, the images as read
    qtbot.waitUntil(lambda: "Augmentation is off" in dialog.note.text(), timeout=60_000)
    assert np.array_equal(dialog.images, raw)
    click(qtbot, button(dialog, "Close"))
    assert not dialog.isVisible()


def test_the_preview_during_training_waits_and_reads_a_folder_of_photos(window, qtbot, dialogs, tmp_path):
    from PySide6.QtWidgets import QApplication

    from gui.dialogs.augment_preview import AugmentPreview
    from tests.folders import write_image_folder
    from tests.gui.userpath import quick_settings

    quick_settings(qtbot, window, epochs="3", images="3000", batch="32")
    click_button(qtbot, window, "Start training")
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)  # it trains
    click(qtbot, button(window.settings, "Preview"))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AugmentPreview) and w.isVisible())
    qtbot.waitUntil(lambda: "busy training" in dialog.note.text(), timeout=30_000)
    assert dialog.images is None
    click_button(qtbot, window, "Stop")
    qtbot.waitUntil(lambda: not window.is_training, timeout=60_000)

    # A folder of colour photos: crops and flips, at the folder's size, with its class names.
    dialogs.folder = str(write_image_folder(tmp_path / "shapes", per_class=12))
    trigger(window, "Train > Add image folder")
    qtbot.waitUntil(lambda: dialog.images is not None, timeout=60_000)  # the dataset changed: refreshed
    assert dialog.images.shape == (24, 48, 48, 3) and "seed" in dialog.note.text()
    assert set(dialog.labels) <= {"circle", "cross", "square"}
    click(qtbot, button(dialog, "Close"))
