"""User paths of the canvas side: drawing tools, image files, Why?, Activations and
Evaluation, driven by clicks, keys, real mouse strokes and a real drop."""

import cv2
import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.digits import draw_digit
from tests.gui.userpath import draw_digit_on, draw_strokes
from tests.gui.userpath import (button, choose, click, click_button, combo, entries, key, menu_action, message_boxes,
                                open_tab, trigger, type_into)

RIGHT = Qt.MouseButton.RightButton


def read_as(window, qtbot, text):
    qtbot.waitUntil(lambda: window.last_prediction == text, timeout=10_000)


def test_every_canvas_tool_by_button_and_key(window, qtbot, dialogs, tmp_path):
    assert not button(window, "Undo").isEnabled() and not button(window, "Redo").isEnabled()
    draw_digit_on(window.canvas, "7")
    read_as(window, qtbot, "7")
    assert window.top_prediction.label.text() == "7" and window.preview._image.width() == 28
    # Save drawing as PNG (Ctrl+Shift+S): the dialog's answer gets its .png.
    dialogs.save = str(tmp_path / "seven")
    key(qtbot, window, "Ctrl+Shift+S")
    assert (tmp_path / "seven.png").is_file() and dialogs.asked[-1][0] == "save"
    # Undo (button), Redo (button), Undo (Ctrl+Z), Redo (Ctrl+Shift+Z, then Ctrl+Y).
    click_button(qtbot, window, "Undo")
    assert window.canvas.is_empty and window.bars.probabilities is None
    assert window.history.count() == 1 and window.history.item(0).text().startswith("7 ")
    click_button(qtbot, window, "Redo")
    read_as(window, qtbot, "7")
    key(qtbot, window, "Ctrl+Z")
    assert window.canvas.is_empty
    key(qtbot, window, "Ctrl+Shift+Z")
    read_as(window, qtbot, "7")
    key(qtbot, window, "Ctrl+Z")
    key(qtbot, window, "Ctrl+Y")
    read_as(window, qtbot, "7")
    # Pen width: typed, and with [ and ].
    type_into(qtbot, window.pen_width, "30")
    assert window.canvas.pen_width == 30
    key(qtbot, window, "[")
    assert window.canvas.pen_width == 26
    key(qtbot, window, "]")
    key(qtbot, window, "]")
    assert window.canvas.pen_width == 34
    # Eraser: the button, then E.
    click_button(qtbot, window, "Eraser")
    assert window.canvas.eraser
    key(qtbot, window, "E")
    assert not window.canvas.eraser
    # Clear: the button, Delete, and a right click; each keeps the reading in the history.
    click_button(qtbot, window, "Clear")
    assert window.canvas.is_empty and window.top_prediction.label.text() == "–"
    draw_digit_on(window.canvas, "1")
    read_as(window, qtbot, "1")
    window.canvas.setFocus()
    key(qtbot, window.canvas, "Delete")
    assert window.canvas.is_empty
    draw_digit_on(window.canvas, "0")
    read_as(window, qtbot, "0")
    qtbot.mouseClick(window.canvas, RIGHT, pos=QPoint(100, 100))
    assert window.canvas.is_empty
    assert [window.history.item(i).text()[0] for i in range(3)] == ["0", "1", "7"]
    # Clicking a recent drawing puts it back and reads it again.
    item = window.history.item(2)
    qtbot.mouseClick(window.history.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.history.visualItemRect(item).center())
    read_as(window, qtbot, "7")
    assert not window.canvas.is_empty
    # Canvas ▸ Clear from the menu.
    trigger(window, "Canvas > Clear")
    assert window.canvas.is_empty


def test_images_opened_and_dropped_are_read(window, qtbot, dialogs, tmp_path):
    single = tmp_path / "seven.jpg"
    cv2.imwrite(str(single), 255 - draw_digit("7", size=500))  # a light-on-dark photo
    dialogs.open = str(single)
    key(qtbot, window, "Ctrl+I")
    read_as(window, qtbot, "7")
    assert window.canvas.image_array()[0, 0] == 255  # shown dark on white
    assert dialogs.asked[-1][0] == "open"

    gap = np.full((280, 30), 255, np.uint8)
    row = tmp_path / "row.png"
    cv2.imwrite(str(row), np.hstack([draw_digit("4"), gap, draw_digit("1"), gap, draw_digit("0")]))
    mime = QMimeData()  # dragged from a file manager and dropped on the canvas
    mime.setUrls([QUrl.fromLocalFile(str(row))])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.canvas, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window.canvas, QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime,
                                                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    read_as(window, qtbot, "410")
    assert window.top_prediction.label.text() == "410" and "3 digits" in window.top_prediction.confidence.text()

    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    dialogs.open = str(bad)
    trigger(window, "Canvas > Open image")
    assert any("not an image" in text for text in message_boxes(window))
    assert window.last_prediction == "410"  # the drawing stays


def shown_digit(preview) -> np.ndarray:
    """The image "The network sees" shows, as a (H, W) array."""
    image = preview._image
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width()].astype(np.float32)


def lean(image) -> float:
    m = cv2.moments(image)
    return m["mu11"] / m["mu02"]


def test_the_network_sees_the_drawing_upright_and_why_and_the_activations_follow_it(window, qtbot):
    # A 1 drawn leaning right: the bundled model deslants, and the preview shows it upright.
    draw_strokes(window.canvas, [[(185, 45), (110, 235)]])
    read_as(window, qtbot, "1")
    from core.reading.preprocess import prepare

    digit = prepare(window.canvas.image_array())[1].astype(np.float32)
    assert abs(lean(digit)) > 0.2
    assert abs(lean(shown_digit(window.preview))) < 0.05
    click_button(qtbot, window, "Clear")
    draw_digit_on(window.canvas, "7")
    read_as(window, qtbot, "7")
    assert not window.canvas.has_overlay
    click_button(qtbot, window, "Why?")
    qtbot.waitUntil(lambda: window.canvas.has_overlay, timeout=10_000)
    key(qtbot, window, "W")
    assert not window.canvas.has_overlay
    view = open_tab(qtbot, window.tabs, "Activations")
    qtbot.waitUntil(lambda: view.grid is not None, timeout=10_000)
    layers = entries(view.layer)
    assert len(layers) >= 2
    first = view.grid.shape
    choose(qtbot, view.layer, layers[-1])  # a deeper layer: more, smaller maps
    qtbot.waitUntil(lambda: view.grid is not None and view.grid.shape != first, timeout=10_000)
    assert layers[-1] in view.message.text()
    click_button(qtbot, window, "Clear")
    qtbot.waitUntil(lambda: view.grid is None, timeout=5_000)


def test_evaluate_with_ctrl_e_and_click_a_confusion(window, qtbot, dialogs, tmp_path):
    view = window.evaluation
    open_tab(qtbot, window.tabs, "Evaluation")
    assert not button(view, "Export CSV").isEnabled()  # nothing measured yet
    with qtbot.waitSignal(window.evaluation_shown, timeout=120_000) as shown:
        key(qtbot, window, "Ctrl+E")
        assert window.tabs.currentWidget() is view and view.spinner.isVisible()
        key(qtbot, window, "Ctrl+E")  # while it runs: not a second evaluation
        assert not menu_action(window, "Train > Evaluate on the test set").isEnabled()
        assert not button(view, "Evaluate on the test set").isEnabled()
    result = shown.args[0]
    assert result["count"] == 10_000 and 0.99 < result["accuracy"] < 1.0  # the bundled LeNet-5
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10_000
    assert f"{100 * result['accuracy']:.2f}%" in view.summary.text()
    # Each class's precision, recall and F1 beside the matrix, their means in the summary.
    macro = result["macro"]
    assert f"precision {100 * macro['precision']:.1f}%" in view.summary.text()
    assert f"F1 {100 * macro['f1']:.1f}%" in view.summary.text()
    assert "<th>&nbsp;precision</th>" in view.classes.text()
    assert f"{100 * result['precision'][3]:.1f}%" in view.classes.text()
    dialogs.save = str(tmp_path / "scores")
    click_button(qtbot, view, "Export CSV")
    lines = (tmp_path / "scores.csv").read_text().splitlines()
    assert lines[0] == "class,test images,precision,recall,f1" and len(lines) == 1 + 10 + 2
    assert lines[1].startswith(f"0,{matrix[0].sum()},{result['precision'][0]:.4f},")
    assert lines[-1] == f"accuracy,10000,,{result['accuracy']:.4f},"
    assert len(view.figure.axes) == 1 + min(24, len(result["mistakes"]))
    # A click on a cell of the confusion matrix shows its test images.
    true, predicted = np.unravel_index(np.argmax(matrix - np.diag(np.diag(matrix))), matrix.shape)
    view.plot.draw()
    x, y = view.matrix_axes.transData.transform((predicted, true))
    ratio = view.plot.device_pixel_ratio
    click(qtbot, view.plot, pos=QPoint(int(x / ratio), int(view.plot.height() - y / ratio)))
    qtbot.waitUntil(lambda: view.cell == (true, predicted), timeout=5_000)
    assert len(view.figure.axes) == 1 + min(24, matrix[true, predicted])
    assert f"test image(s) of {true} read as {predicted}" in view.matrix_axes.get_xlabel()
    # A click on one of its images explains the reading, by the method chosen there.
    view.plot.draw()
    x, y = view._gallery[0].transAxes.transform((0.5, 0.5))
    click(qtbot, view.plot, pos=QPoint(int(x / ratio), int(view.plot.height() - y / ratio)))
    qtbot.waitUntil(lambda: getattr(window, "image_explanation", None) is not None
                    and window.image_explanation.heat is not None, timeout=10_000)
    explained = window.image_explanation
    first = np.nonzero((np.asarray(result["labels"]) == true) & (result["predicted"] == predicted))[0][0]
    assert explained.isVisible() and f"Test image #{first} (a {true})" in explained.note.text()
    assert f"read as {predicted}" in explained.note.text() and explained.heat.shape == (28, 28)
    saliency = explained.heat
    choose(qtbot, combo(explained, "Explain by"), "Occlusion")
    qtbot.waitUntil(lambda: explained.heat is not saliency, timeout=10_000)
    assert "by Occlusion" in explained.note.text()
    click_button(qtbot, explained, "Close")
    assert not explained.isVisible()
    # The tab's own button evaluates again.
    with qtbot.waitSignal(window.evaluation_shown, timeout=120_000):
        click_button(qtbot, view, "Evaluate on the test set")


def test_this_is_a_saves_my_digits_and_teach_fine_tunes_the_canvas_model(window, qtbot, tmp_path, monkeypatch,
                                                                         normal_umask):
    from core.data.my_digits import counts
    from tests.conftest import file_mode
    from tests.gui.userpath import field

    monkeypatch.setenv("CNN_STUDIO_MY_DIGITS", str(tmp_path / "My digits"))
    row = window.canvas_panel.my_digits
    row.refresh()
    assert "none yet" in row.counts_label.text() and not button(window, "Teach").isEnabled()
    # Nothing drawn: nothing saved, and the status bar says what to do.
    click_button(qtbot, window, "This is a 3")
    assert "Draw the 3 first" in window.statusBar().currentMessage() and sum(counts().values()) == 0
    draw_digit_on(window.canvas, "7")
    click_button(qtbot, window, "This is a 7")
    assert window.canvas.is_empty and counts()["7"] == 1
    assert "My digits has 1 drawing(s) of 7, 1 in all" in window.statusBar().currentMessage()
    seen = next((tmp_path / "My digits" / "seen" / "7").iterdir())
    drawn = next((tmp_path / "My digits" / "drawn" / "7").iterdir())
    assert cv2.imread(str(seen), cv2.IMREAD_GRAYSCALE).shape == (28, 28)
    assert cv2.imread(str(drawn), cv2.IMREAD_GRAYSCALE).shape == (280, 280)
    assert file_mode(seen) == file_mode(drawn) == normal_umask  # not private files
    # A digit key while the canvas has the focus does the same.
    for digit in "0148" * 3:
        draw_digit_on(window.canvas, digit)
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, digit)
        assert window.canvas.is_empty
    assert counts() == {**{d: 0 for d in "0123456789"}, "0": 3, "1": 3, "4": 3, "7": 1, "8": 3}
    assert "My digits: 13" in row.counts_label.text() and "8:3" in row.counts_label.text()
    # Teach… fine-tunes the canvas's model (the bundled one) on My digits mixed with MNIST.
    assert button(window, "Teach").isEnabled()
    click_button(qtbot, window, "Teach")
    dialog = window.canvas_panel.teach_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert field(dialog, "Dataset:").currentData() == "my_digits"
    type_into(qtbot, field(dialog, "Epochs:"), "1")
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click_button(qtbot, dialog, "Fine-tune")
        qtbot.waitUntil(lambda: not button(window, "Teach").isEnabled(), timeout=10_000)
    result = finished.args[0]
    assert result["epochs"] == 1 and result["dataset"] == "my_digits" and result["test_accuracy"] > 0.9
    assert result["metadata"]["fine_tune"]["from"].endswith("lenet5_mnist.keras")  # the bundled model
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=10_000)
    draw_digit_on(window.canvas, "4")
    read_as(window, qtbot, "4")


def test_a_model_of_photos_turns_the_canvas_into_an_image_area(window, qtbot, dialogs, tmp_path, bundled_model_path):
    from core.storage.library import save_run
    from core.models.registry import build_model
    from tests.folders import SHAPES, write_image_folder
    from tests.gui.conftest import run_metadata

    root = write_image_folder(tmp_path / "shapes", per_class=2)
    metadata = {**run_metadata("lenet5", 0.9), "dataset": str(root), "class_names": list(SHAPES),
                "input_shape": [32, 32, 3]}
    model_path = save_run(build_model("lenet5", (32, 32, 3), 3, form="compact"), metadata, tmp_path / "lib")
    dialogs.open = str(model_path)
    key(qtbot, window, "Ctrl+O")
    panel = window.canvas_panel
    qtbot.waitUntil(lambda: panel.title() == "Open or drop an image", timeout=20_000)
    assert not panel.pen_width.isVisible() and not panel.my_digits.isVisible()
    assert not menu_action(window, "Canvas > Eraser").isEnabled()
    assert panel.bars.class_names == list(SHAPES)
    # A click on the empty area opens an image; it is read whole, in colour.
    photo = tmp_path / "shapes" / "circle" / "1.png"
    dialogs.open = str(photo)
    click(qtbot, window.canvas)
    assert dialogs.asked[-1][:2] == ("open", "Read an image")
    qtbot.waitUntil(lambda: window.last_prediction in SHAPES, timeout=10_000)
    assert window.canvas.image_array().shape == (48, 48, 3)  # the photo itself, RGB
    assert panel.preview._image.format().name == "Format_RGB888"  # what the network sees, in colour
    assert panel.top_prediction.label.text() in SHAPES
    click_button(qtbot, window, "Why?")  # the heat map lies over the photo
    qtbot.waitUntil(lambda: window.canvas.has_overlay, timeout=10_000)
    for method in ("Grad-CAM", "Occlusion"):  # each method explains a colour photo too
        before = window.canvas.overlay_heat
        choose(qtbot, combo(panel, "Explain by"), method)
        qtbot.waitUntil(lambda: window.canvas.overlay_heat is not before and window.explainer._request == 0,
                        timeout=10_000)
        assert window.canvas.overlay_heat.shape == (32, 32) and window.explainer.error == ""
    key(qtbot, window, "W")
    # The Map places the folder's test images, in colour, and the photo among them.
    view = open_tab(qtbot, window.tabs, "Map")
    qtbot.waitUntil(lambda: "too few to map" in view.note.text(), timeout=30_000)  # 2 images a class: none to test
    root = write_image_folder(tmp_path / "shapes", per_class=5)  # now one of each class is a test image
    dialogs.open = str(model_path)
    key(qtbot, window, "Ctrl+O")  # the same model: its map is made again
    qtbot.waitUntil(lambda: view.result is not None and view.drawing_point is not None, timeout=30_000)
    assert view.result["images"].shape[1:] == (32, 32, 3)
    assert [t.get_text() for t in view.axes.get_legend().get_texts()] == list(SHAPES)
    view = open_tab(qtbot, window.tabs, "Activations")
    qtbot.waitUntil(lambda: view.grid is not None, timeout=10_000)
    # A dropped image replaces it; Clear empties the area, and the hint says what to do.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "shapes" / "square" / "0.jpg"))])
    QApplication.sendEvent(window.canvas, QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime,
                                                          Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(window.canvas, QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime,
                                                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    dropped = cv2.cvtColor(cv2.imread(str(tmp_path / "shapes" / "square" / "0.jpg")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(window.canvas.image_array(), dropped)
    qtbot.waitUntil(lambda: panel.shown_version == panel.canvas_version, timeout=10_000)  # read
    click_button(qtbot, window, "Clear")
    assert panel.history.count() == 1  # its reading is kept among the recent images
    qtbot.waitUntil(lambda: "Open an image (Ctrl+I)" in panel.top_prediction.confidence.text(), timeout=5_000)
    # A digit model brings the drawing canvas back.
    dialogs.open = str(bundled_model_path)
    key(qtbot, window, "Ctrl+O")
    qtbot.waitUntil(lambda: panel.title() == "Draw a digit", timeout=20_000)
    assert panel.pen_width.isVisible() and panel.my_digits.isVisible() and panel.history.count() == 0
    draw_digit_on(window.canvas, "7")
    read_as(window, qtbot, "7")
