"""The Models and Compare tabs, driven as a user drives them."""

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.userpath import draw_digit_on


def cell(view, row, column):
    return view.proxy.index(row, column).data()


def test_models_are_listed_sortable_and_damaged_files_explained(window, qtbot, library):
    folder, lenet, mlp = library
    view = window.library
    assert window.tabs.currentWidget() is view
    names = {cell(view, r, 0): r for r in range(view.proxy.rowCount())}
    assert set(names) == {lenet.stem, mlp.stem, "broken", "notes.txt"}
    assert "Unreadable" in cell(view, names["broken"], 1) and "damaged, truncated" in cell(view, names["broken"], 1)
    assert "not a model file" in cell(view, names["notes.txt"], 1)
    assert cell(view, names[lenet.stem], 3) == "99.00%" and cell(view, names[lenet.stem], 4) == "167.6 K"
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # test accuracy, best first
    assert [cell(view, r, 0) for r in range(2)] == [lenet.stem, mlp.stem]
    view.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # parameters
    assert [cell(view, r, 0) for r in range(view.proxy.rowCount()) if cell(view, r, 4) != ""][:2] == [lenet.stem, mlp.stem]
    assert "2 cannot be used" in view.status.text()

    # Selecting a damaged file explains itself and leaves the canvas's model alone.
    before = window.model_info
    view.select_path(str(folder / "broken.keras"))
    assert "cannot be used" in view.status.text() and window.model_info is before
    # Selecting a model makes it the canvas's model.
    view.select_path(str(mlp))
    qtbot.waitUntil(lambda: window.model_info["path"] == str(mlp), timeout=30_000)
    assert window.model_info["source"] == "file"


def test_rename_delete_with_confirmation_and_keys(window, qtbot, library, monkeypatch):
    folder, lenet, mlp = library
    view = window.library
    view.select_path(str(lenet), load=False)
    assert view.rename_to("best lenet")
    assert (folder / "best lenet.keras").is_file() and not lenet.exists()
    assert view.selected_paths() == [str(folder / "best lenet.keras")]
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    view.select_path(str(mlp), load=False)
    assert not view.rename_to("best lenet") and "already exists" in warnings[-1]
    assert not view.rename_to("a/b") and mlp.exists()

    # Delete, from the keyboard with the table focused: asks first; Cancel keeps the file.
    asked = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answer[0])
    draw_digit_on(window.canvas, "1")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert len(asked) == 1 and mlp.name in asked[0] and mlp.exists()
    answer[0] = QMessageBox.StandardButton.Yes
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert not mlp.exists() and len(asked) == 2
    assert str(mlp) not in [str(e.path) for e in view.entries]
    assert not window.canvas.is_empty  # the key deleted the model, not the drawing


def test_compare_two_runs_overlays_curves_and_exports_csv_and_png(window, qtbot, library, tmp_path):
    _, lenet, mlp = library
    view = window.library
    assert not view.compare_button.isEnabled()
    view.select_path(str(lenet), load=False)
    view.table.selectionModel().select(
        view.proxy.index([cell(view, r, 0) for r in range(view.proxy.rowCount())].index(mlp.stem), 0),
        view.table.selectionModel().SelectionFlag.Select | view.table.selectionModel().SelectionFlag.Rows)
    assert view.compare_button.isEnabled()
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    compare = window.compare
    assert window.tabs.currentWidget() is compare
    assert len(compare.lines) == 8 and len({line.get_color() for line in compare.lines}) == 2
    assert sorted(len(line.get_xdata()) for line in compare.lines)[::4] == [3, 4]
    assert compare.table.columnCount() == 2
    assert compare.table.horizontalHeaderItem(0).text() in (lenet.stem, mlp.stem)
    rows = [compare.table.verticalHeaderItem(r).text() for r in range(compare.table.rowCount())]
    for wanted in ("Architecture", "Parameters", "MACs per image", "Epochs", "Train accuracy", "Test accuracy",
                   "Training time", "Images per second"):
        assert wanted in rows
    assert compare.export_csv(str(tmp_path / "runs.csv"))
    table = list(csv.reader(open(tmp_path / "runs.csv")))
    assert table[0][1:] == [compare.table.horizontalHeaderItem(c).text() for c in range(2)]
    assert compare.save_png(str(tmp_path / "runs"))
    assert (tmp_path / "runs.png").stat().st_size > 5_000


def test_export_from_the_models_tab_runs_in_the_engine(window, qtbot, qtlog, library, tmp_path):
    _, lenet, _ = library
    view = window.library
    view.select_path(str(lenet), load=False)
    assert view.export_to("tflite", str(tmp_path / "phone"))
    assert not view.export_button.isEnabled()  # until the engine answers
    qtbot.waitUntil(lambda: "Exported as TensorFlow Lite" in view.status.text(), timeout=60_000)
    assert (tmp_path / "phone.tflite").stat().st_size > 10_000
    assert view.export_button.isEnabled()
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    view.export_to("keras", str(blocker / "copy.keras"))
    qtbot.waitUntil(lambda: "Export failed" in view.status.text(), timeout=60_000)
    assert "another folder" in view.status.text()
    assert not [r.message for r in qtlog.records if "another thread" in r.message]
