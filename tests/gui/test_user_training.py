"""User paths of training: the window driven only by clicks, keys and typing."""

from pathlib import Path

import numpy as np

from PySide6.QtCore import Qt

from core.storage.library import list_models
from tests.gui.userpath import draw_digit_on
from tests.gui.userpath import (button, choose, click, click_button, field, key, open_tab, quick_settings, trigger,
                                type_into)


def test_a_first_run_as_the_readme_describes_it(window, qtbot):
    library = Path(window.library_dir())
    before = len(list_models(library))
    quick_settings(qtbot, window, epochs="2", images="3000", batch="32")
    click_button(qtbot, window, "Start training")
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)
    assert window.progress.format().startswith("Epoch 1/2")
    assert "images/s" in window.progress_detail.text()
    assert not button(window, "Start training").isEnabled()
    # Pause holds it; the same button resumes.
    click_button(qtbot, window, "Pause")
    qtbot.waitUntil(lambda: button(window, "Resume").isChecked(), timeout=10_000)
    assert "Paused" in window.progress.format()
    click_button(qtbot, window, "Resume")
    qtbot.waitUntil(lambda: button(window, "Pause").isEnabled(), timeout=10_000)
    key(qtbot, window, "Ctrl+P")  # the shortcut pauses and resumes too
    qtbot.waitUntil(lambda: "Paused" in window.progress.format(), timeout=10_000)
    key(qtbot, window, "Ctrl+P")
    qtbot.waitUntil(lambda: button(window, "Pause").isEnabled(), timeout=10_000)
    with qtbot.waitSignal(window.training_finished, timeout=180_000) as finished:
        pass
    result = finished.args[0]
    assert not result["stopped"] and result["epochs"] == 2
    assert "Done" in window.result_label.text() and "Test accuracy" in window.result_label.text()
    assert window.progress.format() == "Done" and window.progress_detail.text() == ""
    # Both curves grew: training points during the epochs, a validation point per epoch.
    assert len(window.plots.train_x) >= 4 and len(window.plots.val_x) == 2
    # The canvas reads with the new weights, and the run is in Models.
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=10_000)
    draw_digit_on(window.canvas, "1")
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=10_000)
    # The scrubber moves the canvas and the Activations tab back to epoch 1's weights.
    open_tab(qtbot, window.tabs, "Activations")
    qtbot.waitUntil(lambda: window.activations.grid is not None, timeout=10_000)
    after_two = window.activations.grid.copy()
    open_tab(qtbot, window.tabs, "Training curves")
    slider = window.scrubber.slider
    assert slider.isEnabled() and window.scrubber.epochs == [1, 2] and "2 of 2" in window.scrubber.label.text()
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: "weights of epoch 1 of 2" in window.model_label.text(), timeout=10_000)
    open_tab(qtbot, window.tabs, "Activations")
    qtbot.waitUntil(lambda: window.activations.grid is not None
                    and not (window.activations.grid == after_two).all(), timeout=10_000)
    # The Map is made with epoch 1's weights, and made again when the scrubber moves on.
    view = open_tab(qtbot, window.tabs, "Map")
    qtbot.waitUntil(lambda: view.result is not None and not view.stale, timeout=60_000)
    epoch_one = view.result["points"]
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "weights of epoch 2 of 2" in window.model_label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: view.result["points"] is not epoch_one and not view.stale, timeout=60_000)
    assert not np.allclose(view.result["points"], epoch_one)
    assert len(list_models(library)) == before + 1
    open_tab(qtbot, window.tabs, "Models")
    assert window.library.proxy.rowCount() == before + 1
    assert Path(result["saved_to"]).stem in {window.library.proxy.index(r, 0).data()
                                              for r in range(window.library.proxy.rowCount())}


def test_stop_with_esc_says_what_was_kept_and_enter_starts(window, qtbot):
    library = Path(window.library_dir())
    before = len(list_models(library))
    quick_settings(qtbot, window, epochs="20", images="3000", batch="16")
    # Enter in a field starts training, as the default button promises.
    type_into(qtbot, field(window.settings, "Epochs"), "20", enter=True)
    qtbot.waitUntil(lambda: window.is_training, timeout=5_000)
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)
    with qtbot.waitSignal(window.training_finished, timeout=60_000) as finished:
        key(qtbot, window, "Esc")
    qtbot.waitUntil(lambda: not window.is_training, timeout=10_000)
    assert finished.args[0]["stopped"] and finished.args[0]["epochs"] == 0
    assert "not saved" in window.result_label.text()
    assert len(list_models(library)) == before  # barely trained: not in the library
    assert window.progress.format() == "Stopped" and window.progress_detail.text() == ""
    assert not window.statusBar().currentMessage().startswith("Stopping")
    assert button(window, "Start training").isEnabled()


def test_stop_right_after_start_ends_with_a_word(window, qtbot):
    quick_settings(qtbot, window)
    key(qtbot, window, "Ctrl+Enter")
    assert window.is_training
    click_button(qtbot, window, "Stop")
    qtbot.waitUntil(lambda: not window.is_training, timeout=60_000)
    assert window.progress.format() == "Stopped"
    assert "Stopped" in window.result_label.text()
    assert not window.statusBar().currentMessage().startswith("Stopping")


def test_what_cannot_run_during_training_is_disabled(window, qtbot, dialogs):
    quick_settings(qtbot, window, epochs="20", images="3000", batch="16")
    trigger(window, "Train > Start")
    qtbot.waitUntil(lambda: len(window.plots.train_x) >= 1, timeout=60_000)
    from tests.gui.userpath import menu_action

    for path in ("File > Open model", "File > Open last checkpoint", "Train > Find learning rate"):
        assert not menu_action(window, path).isEnabled(), path
    open_tab(qtbot, window.tabs, "Models")
    assert not button(window.library, "Open file").isEnabled()
    assert not button(window.settings, "Choose the TensorBoard log folder").isEnabled()
    key(qtbot, window, "Ctrl+O")  # a disabled shortcut does nothing
    assert dialogs.asked == []
    trigger(window, "Train > Stop")
    qtbot.waitUntil(lambda: not window.is_training, timeout=60_000)
    assert menu_action(window, "File > Open model").isEnabled()
    assert button(window.library, "Open file").isEnabled()


def test_a_reference_network_is_offered_its_compact_form(window, qtbot, dialogs, monkeypatch):
    from gui.panels import training_panel

    # 300 images at 224×224 take some 5 minutes an epoch here: slow, by a lower bar than
    # the real 15 minutes (3,000 images), so that the compact run below stays short.
    monkeypatch.setattr(training_panel, "SLOW_EPOCH_SECONDS", 60)
    panel = window.settings
    choose(qtbot, field(panel, "Architecture"), "VGG-16 (D)")
    choose(qtbot, field(panel, "Form"), "Reference (as the paper)")
    quick_settings(qtbot, window, images="300")
    dialogs.choice = "Cancel"
    click_button(qtbot, window, "Start training")
    qtbot.waitUntil(lambda: any(a[0] == "choice" for a in dialogs.asked), timeout=60_000)
    assert "compact form" in dialogs.asked[-1][2] and not window.is_training
    assert window.progress.format() == "Ready"

    dialogs.choice = "Train the compact form"
    with qtbot.waitSignal(window.training_finished, timeout=300_000) as finished:
        click_button(qtbot, window, "Start training")
    assert finished.args[0]["metadata"]["config"]["form"] == "compact"
    assert panel.current_form() == "compact"
    qtbot.waitUntil(lambda: not window.is_training, timeout=10_000)  # the settings unlock

    choose(qtbot, field(panel, "Form"), "Reference (as the paper)")
    dialogs.choice = "Train the reference anyway"
    asked = len(dialogs.asked)
    click_button(qtbot, window, "Start training")
    qtbot.waitUntil(lambda: window.is_training, timeout=60_000)
    assert len(dialogs.asked) == asked + 1
    click_button(qtbot, window, "Stop")  # at once: before its first (very slow) batch
    qtbot.waitUntil(lambda: not window.is_training, timeout=300_000)
    assert window.progress.format() == "Stopped"


def test_the_sweep_dialog_runs_every_combination_and_gives_a_verdict(window, qtbot, dialogs, tmp_path):
    from PySide6.QtWidgets import QApplication

    from gui.dialogs.sweep_dialog import SweepDialog

    quick_settings(qtbot, window, images="300")
    key(qtbot, window, "Ctrl+Shift+W")  # Train ▸ Sweep…
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SweepDialog) and w.isVisible())
    qtbot.addWidget(dialog)
    assert not button(dialog, "Start sweep").isEnabled()  # nothing to sweep yet
    choose(qtbot, dialog.setting, "epochs")
    type_into(qtbot, dialog.values, "one,two", enter=True)
    assert "epochs takes int values" in dialog.error.text() and dialog.chosen.count() == 0
    choose(qtbot, dialog.setting, "optimizer")
    type_into(qtbot, dialog.values, "adam,nadam", enter=True)
    click_button(qtbot, dialog, "Start sweep")  # refused before any run: nadam is not offered
    assert "optimizer must be one of" in dialog.error.text() and dialog.thread is None
    type_into(qtbot, dialog.values, "adam,sgd")
    click_button(qtbot, dialog, "Add")
    assert dialog.chosen.count() == 1 and dialog.chosen.item(0).text() == "optimizer = adam, sgd"
    type_into(qtbot, dialog.seeds, "2")
    click_button(qtbot, dialog, "Start sweep")
    assert not button(dialog, "Close").isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.format().startswith("Run "), timeout=30_000)
    # From the second run on, the runs done tell how long the rest will take.
    qtbot.waitUntil(lambda: dialog.progress.format().startswith("Run 2 of 4"), timeout=120_000)
    assert "left" in dialog.progress.format()
    qtbot.waitUntil(lambda: dialog.thread is None, timeout=240_000)
    assert dialog.table.rowCount() == 2 and dialog.table.item(1, 0).text() == "optimizer=sgd"
    assert dialog.table.item(0, 1).text() == "2" and "%" in dialog.table.item(0, 2).text()
    assert "against" in dialog.verdicts.text() and "95% interval" in dialog.verdicts.text()
    dialogs.save = str(tmp_path / "sweep")
    click_button(qtbot, dialog, "Export CSV")
    lines = (tmp_path / "sweep.csv").read_text().splitlines()
    assert lines[0].startswith("combination,runs,test_accuracy_mean") and len(lines) == 3
    # The curves: per combination, the mean over its seeds and a band of ± one std.
    accuracy = dialog.figure.axes[0]
    assert len(accuracy.lines) == 2 and len(accuracy.collections) == 2
    assert [t.get_text() for t in accuracy.get_legend().get_texts()] == ["optimizer=adam (2 runs)",
                                                                         "optimizer=sgd (2 runs)"]
    dialogs.save = str(tmp_path / "curves")
    click_button(qtbot, dialog, "Save PNG")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    click_button(qtbot, dialog, "Close")
    # Every run is in the Models tab, tagged with the sweep.
    qtbot.waitUntil(lambda: len([e for e in window.library.entries if "sweep" in e.metadata]) == 4, timeout=5_000)


def test_cifar10_from_the_keras_cache_trains_and_is_evaluated_with_its_class_names(window, qtbot, tmp_path,
                                                                                    monkeypatch):
    from tests.cifar import write_cifar10
    from tests.gui.userpath import entries, key

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    panel = window.settings
    datasets = field(panel, "Dataset")
    datasets.showPopup()  # the list is checked as it opens
    assert "CIFAR-10 (not installed)" in entries(datasets)
    assert "--download" in datasets.itemData(datasets.findData("cifar10"), 3)
    datasets.hidePopup()
    write_cifar10(tmp_path / "keras", per_batch=40)
    datasets.showPopup()
    datasets.hidePopup()
    choose(qtbot, datasets, "CIFAR-10")
    choose(qtbot, field(panel, "Architecture"), "ResNet-18")
    assert panel.augment.isChecked()  # crops and flips, for colour photos
    quick_settings(qtbot, window, epochs="1", images="0", batch="16")
    with qtbot.waitSignal(window.training_finished, timeout=240_000) as finished:
        click_button(qtbot, window, "Start training")
    assert finished.args[0]["dataset"] == "cifar10" and finished.args[0]["epochs"] == 1
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=20_000)
    with qtbot.waitSignal(window.evaluation_shown, timeout=120_000) as shown:
        key(qtbot, window, "Ctrl+E")
    result = shown.args[0]
    assert result["dataset"] == "cifar10" and result["count"] == 40
    from core.data.datasets import CIFAR10_CLASS_NAMES

    shown_names = [n for n in CIFAR10_CLASS_NAMES if f"<td>{n}</td>" in window.evaluation.classes.text()]
    assert len(shown_names) == 10  # per-class results by name (precision, recall and F1 of each)
    assert "Hardest class: " in window.evaluation.summary.text()


def test_train_add_image_folder_trains_on_ones_own_images(window, qtbot, dialogs, tmp_path):
    from core.data.folders import remembered_folders
    from tests.folders import write_image_folder
    from tests.gui.userpath import message_boxes, trigger

    bad = tmp_path / "one class"
    write_image_folder(bad, per_class=3, classes=("cats",))
    dialogs.folder = str(bad)
    trigger(window, "Train > Add image folder")
    assert any("a classifier needs two or more" in text for text in message_boxes(window))
    root = write_image_folder(tmp_path / "shapes", per_class=20)
    dialogs.folder = str(root)
    trigger(window, "Train > Add image folder")
    datasets = field(window.settings, "Dataset")
    assert datasets.currentText() == "shapes (folder)" and datasets.currentData() == str(root)
    assert "60 images in 3 classes" in window.statusBar().currentMessage()
    assert str(root) in remembered_folders() and window.settings.augment.isChecked()  # colour: crops, flips
    # Deslanting is for greyscale digits: off here, and refused in colour if ticked.
    assert not window.settings.deslant.isChecked()
    key(qtbot, window, "Ctrl+M")
    click(qtbot, button(window.settings, "Deslant the digits"))
    assert "in colour" in window.settings.error_labels["deslant"].text()
    assert not button(window, "Start training").isEnabled()
    click(qtbot, button(window.settings, "Deslant the digits"))
    assert not window.settings.error_labels["deslant"].isVisible()
    # The images suggest how they are read (48×48, colour); the person reads them smaller, in grey.
    height, width = field(window.settings, "Image size"), window.settings.folder_options.width
    assert (height.value(), width.value(), window.settings.folder_options.colour.currentText()) == (48, 48, "Colour")
    type_into(qtbot, height, "24")
    type_into(qtbot, width, "20")
    choose(qtbot, window.settings.folder_options.colour, "Greyscale")
    # Deslanting grey images: fine at this size, refused where its memory would explode.
    click(qtbot, button(window.settings, "Deslant the digits"))
    assert not window.settings.error_labels["deslant"].isVisible()
    type_into(qtbot, height, "256")
    type_into(qtbot, width, "256")
    assert "for digits of about 28×28" in window.settings.error_labels["deslant"].text()
    assert not button(window, "Start training").isEnabled()
    click(qtbot, button(window.settings, "Deslant the digits"))
    type_into(qtbot, height, "24")
    type_into(qtbot, width, "20")
    quick_settings(qtbot, window, epochs="1", images="0", batch="16")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, window, "Start training")
    assert finished.args[0]["dataset"] == str(root)
    assert finished.args[0]["metadata"]["class_names"] == ["circle", "cross", "square"]
    assert finished.args[0]["metadata"]["input_shape"] == [24, 20, 1]
    assert finished.args[0]["metadata"]["config"]["image_size"] == [24, 20]
    # Evaluated at the model's size and colour, on the folder's fixed test images.
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=20_000)
    with qtbot.waitSignal(window.evaluation_shown, timeout=120_000) as shown:
        key(qtbot, window, "Ctrl+E")
    assert shown.args[0]["count"] == 9
    # Another dataset hides the row: its images have their own size.
    choose(qtbot, field(window.settings, "Dataset"), "MNIST digits")
    assert not height.isVisible()
