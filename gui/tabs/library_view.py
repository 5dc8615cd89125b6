"""The Models tab: every trained run in the library folder, sortable, with rename, delete,
export and compare. Selecting one model makes it the canvas's model.

Listing reads only each file's small training record (no TensorFlow), so it runs on the
UI thread; loading and exporting go to the engine thread through signals.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QFileSystemWatcher, QSortFilterProxyModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QMenu, QMessageBox, QPushButton, QTableView, QToolButton,
                               QVBoxLayout, QWidget)

from core.storage.export import FORMATS
from core.storage.library import LibraryEntry, delete, list_models, rename
from core.storage.modelio import ModelFileError
from core.models.summary import format_count
from gui.files import ask_save

#: How long the outcome of an export stays above the library's own status line.
NOTICE_SECONDS = 15

COLUMNS = ("Name", "Architecture", "Dataset", "Test accuracy", "Parameters", "Epochs", "Training time", "Saved")
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
CONTINUE_TIP = ("Go on training the selected run where it stopped: its settings, optimiser state, schedule "
                "and curves.")
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class ModelTable(QTableView):
    """A table that keeps Delete, F2 and Enter for itself while it has the focus (the
    window uses Delete to clear the canvas)."""

    key_pressed = Signal(int)
    KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter)
    #: What these keys do, for Help ▸ Keyboard shortcuts: (keys, action, what it does).
    FOCUS_KEYS = (("Del", "Delete runs", "Delete the selected runs (after asking), in the Models tab's table."),
                  ("F2", "Rename run", "Rename the selected run, in the Models tab's table."),
                  ("Return", "Use or compare runs",
                   "Use the selected run on the canvas; with several selected, compare them."))

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in self.KEYS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in self.KEYS:
            self.key_pressed.emit(event.key())
            return
        super().keyPressEvent(event)


def _item(text: str, sort_value=None, tip: str | None = None) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(sort_value if sort_value is not None else text.lower(), SORT_ROLE)
    if tip:
        item.setToolTip(tip)
    return item


def entry_row(entry: LibraryEntry) -> list[QStandardItem]:
    """The table cells of one library file."""
    saved = entry.saved_at.astimezone()
    name = _item(entry.name, tip=str(entry.path))
    name.setData(str(entry.path), PATH_ROLE)
    if not entry.readable:
        reason = f"Unreadable: {entry.error}"
        cells = [name, _item(reason, tip=f"{entry.path.name} cannot be used: {entry.error}.")]
        cells += [_item("", "") for _ in COLUMNS[2:-1]] + [_item(saved.strftime("%Y-%m-%d %H:%M"), saved.timestamp())]
        for cell in cells:
            cell.setForeground(QBrush(QColor("#b03a2e")))
        return cells
    m = entry.metadata
    accuracy, params = entry.number("test_accuracy"), entry.number("params")
    seconds = entry.number("train_seconds")
    epochs = m.get("epochs_completed")
    arch = str(m.get("arch_name") or m.get("arch") or "Keras model")
    if m.get("form"):
        arch += f" ({m['form']})"
    return [
        name,
        _item(arch, tip=str(m.get("normalization") or "")),
        _item(str(m.get("dataset") or "—")),
        _item(f"{100 * accuracy:.2f}%" if accuracy is not None else "—", accuracy if accuracy is not None else -1.0),
        _item(format_count(params) if params is not None else "—", params if params is not None else -1.0,
              f"{int(params):,} parameters" if params is not None else None),
        _item(str(epochs) if isinstance(epochs, int) else "—", epochs if isinstance(epochs, int) else -1),
        _item(f"{seconds:.0f} s" if seconds is not None else "—", seconds if seconds is not None else -1.0),
        _item(saved.strftime("%Y-%m-%d %H:%M"), saved.timestamp()),
    ]


class LibraryView(QWidget):
    """Signals:
        use_model(str): the path of the model the user selected for the canvas.
        compare_requested(list): paths of the selected runs to compare.
        export_requested(str, str, str): source path, destination, format (core.storage.export).
        open_file_requested(): open a model file from elsewhere.
        train_requested(object): a :class:`core.training.config.TrainConfig` that continues or
            fine-tunes the selected model.
    """

    use_model = Signal(str)
    compare_requested = Signal(list)
    export_requested = Signal(str, str, str)
    open_file_requested = Signal()
    train_requested = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.folder: Path | None = None
        self.entries: list[LibraryEntry] = []
        self._notice = ("", 0.0)  # how the last export ended, shown for NOTICE_SECONDS
        self._restoring = False
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = ModelTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Saved"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # Names and reasons can be long: fixed starting widths (the full text is in the tooltip).
        for column, width in ((0, 250), (1, 190)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.table.setToolTip("Click a model to use it on the canvas; Ctrl+click or Shift+click several "
                              "to compare them. F2 renames, Delete deletes.")
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.key_pressed.connect(self._on_key)

        def button(text, tip, slot):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.compare_button = button("Compare", "Overlay the curves of the selected runs and list their "
                                     "figures side by side (select two or more).", self.compare_selected)
        self.rename_button = button("Rename…", "Rename the selected model (F2).", self.rename_selected)
        self.delete_button = button("Delete…", "Delete the selected models from the library (Delete).",
                                    self.delete_selected)
        self.continue_button = button("Continue training…", CONTINUE_TIP, self.continue_selected)
        self.fine_tune_button = button("Fine-tune…", "Train the selected model's weights further, on this "
                                       "or another dataset, with a fresh optimiser.", self.fine_tune_selected)
        self.training = False
        self.dialog = None
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Export the selected model as a Keras file, a TensorFlow SavedModel "
                                      "or a TensorFlow Lite model.")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt, (label, _suffix) in FORMATS.items():
            menu.addAction(f"{label}…").setData(fmt)
        menu.triggered.connect(self._on_export_chosen)
        self.export_button.setMenu(menu)
        self.open_button = open_button = button(
            "Open file…", "Use a .keras model from elsewhere on the canvas (Ctrl+O).", self.open_file_requested)
        folder_button = button("Show folder", "Open the library folder in the file manager.", self.show_folder)
        refresh = button("Refresh", "Read the library folder again (F5).", self.refresh)
        refresh.setShortcut(QKeySequence("F5"))
        row = QHBoxLayout()
        for b in (self.compare_button, self.continue_button, self.fine_tune_button, self.rename_button,
                  self.delete_button, self.export_button):
            row.addWidget(b)
        row.addStretch(1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for b in (open_button, folder_button, refresh):
            bottom.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self.watcher = QFileSystemWatcher(self)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)
        self._refresh_timer.timeout.connect(self.refresh)
        self.watcher.directoryChanged.connect(lambda _: self._refresh_timer.start())
        self._update_buttons()

    # ----------------------------------------------------------------- contents
    def set_folder(self, folder) -> None:
        """Lists ``folder`` (created when missing) and follows its changes."""
        self.folder = Path(folder)
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.watcher.addPath(str(self.folder))
        except OSError as e:
            self.status.setText(f"The library folder {self.folder} cannot be created: {e.strerror or e}. "
                                "Trained models are then saved only where you save them (Ctrl+S).")
        self.refresh()

    def refresh(self) -> None:
        """Reads the folder again, keeping the selection."""
        if self.folder is None:
            return
        selected = set(self.selected_paths())
        try:
            self.entries = list_models(self.folder)
        except ModelFileError as e:
            self.entries = []
            self.status.setText(str(e))
        self._restoring = True
        try:
            self.model.removeRows(0, self.model.rowCount())
            for entry in self.entries:
                self.model.appendRow(entry_row(entry))
            selection = self.table.selectionModel()
            for r in range(self.proxy.rowCount()):
                index = self.proxy.index(r, 0)
                if index.data(PATH_ROLE) in selected:
                    selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        finally:
            self._restoring = False
        self._show_status()
        self._update_buttons()

    def _show_status(self) -> None:
        bad = sum(not e.readable for e in self.entries)
        text = f"{len(self.entries)} model(s) in {self.folder}"
        if bad:
            text += f" — {bad} cannot be used (in red: select one, or point at it, for the reason)"
        if not self.entries:
            text = (f"No models yet in {self.folder}. Every run you train is saved here, finished or "
                    "stopped.")
        notice, until = self._notice
        if notice and time.monotonic() < until:  # a refresh must not hide how an export ended
            text = f"{notice}<br>{text}"
        self.status.setText(text)

    def entry_for(self, path: str) -> LibraryEntry | None:
        return next((e for e in self.entries if str(e.path) == str(path)), None)

    def selected_paths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows(0)
        return [index.data(PATH_ROLE) for index in sorted(rows, key=lambda i: i.row())]

    def selected_entries(self) -> list[LibraryEntry]:
        return [e for e in (self.entry_for(p) for p in self.selected_paths()) if e is not None]

    def select_path(self, path: str, load: bool = True) -> bool:
        """Selects the row of ``path``; with ``load``, that makes it the canvas's model."""
        for r in range(self.proxy.rowCount()):
            index = self.proxy.index(r, 0)
            if index.data(PATH_ROLE) == str(path):
                self._restoring = not load
                try:
                    self.table.clearSelection()
                    self.table.selectRow(r)
                finally:
                    self._restoring = False
                return True
        return False

    def _on_selection(self, *_):
        self._update_buttons()
        if self._restoring:
            return
        entries = self.selected_entries()
        if len(entries) == 1:
            entry = entries[0]
            if entry.readable:
                self.use_model.emit(str(entry.path))
            else:
                self.status.setText(f"<span style='color:#b03a2e'>{entry.path.name} cannot be used: "
                                    f"{entry.error}.</span> Delete it, or open another model.")

    def _update_buttons(self) -> None:
        entries = self.selected_entries()
        readable = [e for e in entries if e.readable]
        self.compare_button.setEnabled(len(readable) >= 2)
        self.rename_button.setEnabled(len(entries) == 1)
        self.delete_button.setEnabled(bool(entries))
        self.export_button.setEnabled(len(readable) == 1 and len(entries) == 1)
        one = readable[0] if len(readable) == 1 and len(entries) == 1 else None
        self.continue_button.setEnabled(bool(one and one.resumable) and not self.training)
        self.continue_button.setToolTip(CONTINUE_TIP if one is None or one.resumable else
                                        "This model was saved without its optimiser state (by an older "
                                        "version, or with Save model…): fine-tune it instead.")
        self.fine_tune_button.setEnabled(bool(one and one.metadata.get("arch")) and not self.training)

    def set_training(self, training: bool) -> None:
        """While a run trains, no other can start from here."""
        self.training = training
        self._update_buttons()

    def _on_key(self, key: int) -> None:
        if key == Qt.Key.Key_Delete:
            self.delete_selected()
        elif key == Qt.Key.Key_F2:
            self.rename_selected()
        else:
            self.compare_selected() if len(self.selected_entries()) > 1 else self._on_selection()

    # ----------------------------------------------------------------- actions
    def continue_selected(self) -> None:
        """Asks for how many more epochs, then continues the selected run."""
        self._ask_how_to_train(fine_tune=False)

    def fine_tune_selected(self) -> None:
        """Asks for a dataset and epochs, then fine-tunes the selected model."""
        self._ask_how_to_train(fine_tune=True)

    def _ask_how_to_train(self, fine_tune: bool) -> None:
        from gui.dialogs.continue_dialog import ContinueDialog

        entries = self.selected_entries()
        if len(entries) != 1 or not entries[0].readable or self.training:
            return
        self.dialog = ContinueDialog(entries[0], fine_tune, self)
        self.dialog.accepted_config.connect(self.train_requested)
        self.dialog.open()

    def compare_selected(self) -> None:
        paths = [str(e.path) for e in self.selected_entries() if e.readable]
        if len(paths) >= 2:
            self.compare_requested.emit(paths)

    def rename_selected(self) -> None:
        """Asks for a new name of the selected model (F2)."""
        entries = self.selected_entries()
        if len(entries) != 1:
            return
        name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=entries[0].name)
        if ok:
            self.rename_to(name)

    def rename_to(self, name: str) -> bool:
        """Renames the selected model; says why when it cannot."""
        entries = self.selected_entries()
        if len(entries) != 1:
            return False
        entry = entries[0]
        try:
            new_path = rename(entry.path, name)
        except ModelFileError as e:
            QMessageBox.warning(self, "Cannot rename", str(e))
            return False
        self.refresh()
        self.select_path(str(new_path))
        return True

    def delete_selected(self) -> None:
        """Deletes the selected models after asking (Delete)."""
        entries = self.selected_entries()
        if not entries:
            return
        names = "\n".join(e.path.name for e in entries[:10]) + ("\n…" if len(entries) > 10 else "")
        answer = QMessageBox.question(
            self, "Delete models",
            f"Delete {len(entries)} model file(s) from the library? This cannot be undone.\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_entries(entries)

    def delete_entries(self, entries: list[LibraryEntry]) -> bool:
        """Deletes these models' files; says which could not be deleted."""
        problems = []
        for entry in entries:
            try:
                delete(entry.path)
            except ModelFileError as e:
                problems.append(str(e))
        self.refresh()
        if problems:
            QMessageBox.warning(self, "Some models were not deleted", "\n".join(problems))
        return not problems

    def _on_export_chosen(self, action) -> None:
        self.export_selected(action.data())

    def export_selected(self, fmt: str) -> None:
        """Asks where to export the selected model in ``fmt``, then exports it."""
        entries = self.selected_entries()
        if len(entries) != 1 or not entries[0].readable:
            return
        label, suffix = FORMATS[fmt]
        destination = ask_save(self, f"Export as {label}", entries[0].name + (suffix or "-savedmodel"),
                               f"{label} (*{suffix})" if suffix else "A new folder (*)", suffix or "")
        if destination:
            self.export_to(fmt, destination)

    def export_to(self, fmt: str, destination: str) -> bool:
        """Exports the selected model to ``destination`` (in the engine thread)."""
        entries = self.selected_entries()
        if len(entries) != 1 or not entries[0].readable:
            return False
        entry = entries[0]
        label = FORMATS[fmt][0]
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting {entry.name} as {label}…")
        self.export_requested.emit(str(entry.path), destination, fmt)
        return True

    def export_done(self, message: str, ok: bool) -> None:
        """Shows how an export ended (the engine's answer)."""
        self._update_buttons()
        color = "#1e7d32" if ok else "#b03a2e"
        self._notice = (f"<span style='color:{color}'>{message}</span>", time.monotonic() + NOTICE_SECONDS)
        self._show_status()

    def show_folder(self) -> None:
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
