"""The Network tab: design a network of your own. Start from a blank input, a zoo network
or a file (Keras JSON, or a .keras model's architecture); add layers from the palette
(double-click or Enter: after the selected layer, linked to it), delete, move, link a
skip; edit each layer's settings; every edit a named undo step. After every edit the
engine checks the network: each layer's output shape, parameters and MACs, the totals
and the estimate, and its problems marked on the layer that causes them. Save it to My
networks (then it is in the Architecture list), write it as Python, or train it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QPushButton, QSplitter, QTableWidgetItem, QVBoxLayout, QWidget)

from core.models.network_draft import DraftError, NetworkDraft
from core.models.networks import NetworkError, read_network
from core.models.registry import ARCHITECTURES
from core.models.summary import block_of, format_bytes, format_count, format_seconds
from gui.files import ask_open, ask_save
from gui.tabs.layer_form import LayerForm
from gui.tabs.network_diagram import block_colour
from gui.tabs.network_widgets import LayerTable, Palette

COLUMNS = ("Layer", "Type", "Output", "Params", "MACs", "Takes", "Problem")


class NetworkEditor(QWidget):
    """Signals:
        request_check(int, dict, dict): for the engine (see ``NetworkEngine.check``).
        request_zoo(int, str, str, list, int): a zoo network to edit (``NetworkEngine.open_zoo``).
        request_write(int, dict, str, str): write the network (``NetworkEngine.write``).
        saved(str): a network was saved to My networks: its architecture id.
        train_requested(str): "Train it" with a network saved: its architecture id.
        status(str, int): a message for the status bar, and how long (ms).
    """

    request_check = Signal(int, dict, dict)
    request_zoo = Signal(int, str, str, list, int)
    request_write = Signal(int, dict, str, str)
    saved = Signal(str)
    train_requested = Signal(str)
    status = Signal(str, int)

    def __init__(self, dataset_shape, parent=None):
        """Args:
            dataset_shape: returns the chosen dataset's (input shape, class count).
        """
        super().__init__(parent)
        self.dataset_shape = dataset_shape
        self.draft = NetworkDraft.blank(dataset_shape()[0])
        self.check_result: dict | None = None
        self._asked = 0  # the request with the engine
        self._checked_for: dict | None = None
        self._write_request, self._after_write = 0, None
        self._zoo_request = 0
        self.start_from = QComboBox()
        self.start_from.setAccessibleName("Start from")
        self.start_from.addItem("Blank input", "blank")
        for form in ("compact", "reference"):
            for info in ARCHITECTURES.values():
                if form == "compact" or info.reference_input != (28, 28, 1):  # else the same network
                    self.start_from.addItem(f"{info.name} ({form})", f"{info.id}:{form}")
        self.start_from.addItem("Open a file…", "file")
        self.start_from.setToolTip("Begin a new network: a blank input of the dataset's shape, a network of the "
                                   "zoo (compact, or the paper's reference form), or a file (Keras JSON, or a .keras model's "
                                   "architecture). Undo takes it back.")
        self.start_from.activated.connect(self._start_from)
        self.start_from.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.start_from.setMinimumContentsLength(12)
        self.buttons = {}
        top, below, edits = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        top.addWidget(QLabel("Start from:"))
        top.addWidget(self.start_from)
        for text, tip, slot in (
                ("Undo", "Take back the last edit (Ctrl+Z in the table).", self.undo),
                ("Redo", "Put back the edit undone (Ctrl+Y in the table).", self.redo),
                ("Delete", "Delete the selected layer; what took its output takes its input (Del).", self.delete),
                ("Up", "Move the selected layer up its chain.", lambda: self._edit(lambda: self.draft.move(-1))),
                ("Down", "Move the selected layer down its chain.", lambda: self._edit(lambda: self.draft.move(1))),
                ("Save as…", "Save to My networks: then it is in the Architecture list.", self.ask_save),
                ("Python code…", "Write the network as a Python file that builds it with Keras.", self.ask_code),
                ("Train it", "Save it to My networks and train it with the panel's settings.", self.train_it)):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked=False, f=slot: f())
            row = below if text in ("Save as…", "Python code…", "Train it") else \
                top if text in ("Undo", "Redo") else edits
            row.addWidget(button)
            self.buttons[text] = button
        top.addStretch(1)
        below.insertStretch(0, 1)
        self.palette = Palette()
        self.palette.setMinimumWidth(90)
        self.palette.setMaximumWidth(200)
        self.palette.chosen.connect(self.add)
        self.table = LayerTable(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((95, 90, 90, 50, 55, 110)):  # narrow: the output shape in view
            self.table.setColumnWidth(column, width)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._on_row)
        self.table.key_pressed.connect(self._on_key)
        self.form = LayerForm()
        self.form.edited.connect(lambda key, text: self._edit(lambda: self.draft.set(key, text)))
        self.form.link_requested.connect(self.ask_link)
        self.form.unlink_requested.connect(lambda name: self._edit(lambda: self.draft.unlink(name)))
        self.form.layout().insertLayout(self.form.layout().count() - 1, edits)
        split = QSplitter()
        split.addWidget(self.palette)
        split.addWidget(self.table)
        split.addWidget(self.form)
        split.setSizes([120, 520, 200])
        self.table.setMinimumWidth(200)
        self.form.setMinimumWidth(160)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c0392b;")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.problems)
        layout.addLayout(below)
        self._refresh(ask=False)  # asked once the engine is connected (recheck)

    # ----------------------------------------------------------------- edits
    def _edit(self, change) -> bool:
        """Makes an edit of the draft; one that cannot be made is said, not raised."""
        try:
            change()
        except DraftError as e:
            self.status.emit(f"Network: {e}", 8000)
            self.problems.setText(str(e))
            return False
        self._refresh()
        return True

    def add(self, kind: str) -> None:
        """Adds a layer after the selected one; a Dense added at the end gives the dataset's
        class scores (softmax), as a network's last layer must."""
        last = self.draft.selected == len(self.draft.layers) - 1
        extra = {"units": self.dataset_shape()[1], "activation": "softmax"} if kind == "Dense" and last else {}
        self._edit(lambda: self.draft.add(kind, **extra))

    def delete(self) -> None:
        self._edit(lambda: self.draft.delete())

    def undo(self) -> None:
        what = self.draft.can_undo()
        if self._edit(self.draft.undo):
            self.status.emit(f"Undone: {what}", 4000)

    def redo(self) -> None:
        what = self.draft.can_redo()
        if self._edit(self.draft.redo):
            self.status.emit(f"Redone: {what}", 4000)

    def ask_link(self) -> None:
        """Link input…: a layer above the selected one gives it its output."""
        above = [layer.name for layer in self.draft.layers[: self.draft.selected]]
        layer = self.draft.layers[self.draft.selected]
        name, ok = QInputDialog.getItem(self, "Link an input", f"Give {layer.name} the output of:", above[::-1], 0,
                                        False)
        if ok and name:
            self._edit(lambda: self.draft.link(name))

    def _on_key(self, action: str) -> None:
        {"delete": self.delete, "undo": self.undo, "redo": self.redo, "link": self.ask_link}[action]()

    def _on_row(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() != self.draft.selected:
            self.draft.selected = rows[0].row()
            self._show_form()

    # ----------------------------------------------------------------- starting points
    def _start_from(self) -> None:
        choice = self.start_from.currentData()
        shape, classes = self.dataset_shape()
        if choice == "blank":
            self.set_draft(NetworkDraft.blank(shape), "a blank input")
        elif choice == "file":
            path = ask_open(self, "Open a network", "Networks and models (*.json *.keras);;All files (*)")
            if path:
                self.open_file(path)
        else:
            from gui.workers.engine import next_request_id

            arch, form = choice.split(":")
            self._zoo_request = next_request_id()
            self.status.emit(f"Building {ARCHITECTURES[arch].name} ({form}) to edit…", 4000)
            # The compact form at the dataset's shape; the reference at its paper's input.
            self.request_zoo.emit(self._zoo_request, arch, form, list(shape) if form == "compact" else [], classes)

    def open_file(self, path: str) -> bool:
        """Edits the network of a Keras JSON file, or of a ``.keras`` model's architecture."""
        try:
            draft = NetworkDraft.from_config(read_network(path))
        except (NetworkError, DraftError) as e:
            self.status.emit(f"Could not open the network: {e}", 10000)
            self.problems.setText(f"Could not open {path}: {e}")
            return False
        from pathlib import Path

        draft.name = Path(path).stem
        self.set_draft(draft, Path(path).name)
        return True

    def on_opened(self, request: int, config: dict, error: str) -> None:
        if request != self._zoo_request:
            return
        if error:
            self.status.emit(f"Could not open the network: {error}", 10000)
            return
        draft = NetworkDraft.from_config(config)
        self.set_draft(draft, draft.name)

    def set_draft(self, draft: NetworkDraft, what: str) -> None:
        """Edits ``draft`` from now on; the one before is an undo step back."""
        draft.keep_history(self.draft, f"Start from {what}")
        self.draft = draft
        self._refresh()
        self.status.emit(f"Editing {what}: {len(draft.layers)} layers.", 4000)

    def dataset_changed(self) -> None:
        """Another dataset: its class count is what the output must give now."""
        self._refresh()

    def recheck(self) -> None:
        """Asks for a check again, whatever was asked before (the engine is connected now)."""
        self._asked = 0
        self._ask_check()

    # ----------------------------------------------------------------- the check
    def _problem_of(self, name: str) -> str:
        for problem in (self.check_result or {}).get("problems", []):
            if problem["layer"] == name:
                return problem["message"]
        return ""

    def _refresh(self, ask: bool = True) -> None:
        """Shows the draft (with the last check when it is of the draft as it is) and, with
        ``ask``, asks for a check of it."""
        steps = {s["name"]: s for s in (self.check_result or {}).get("layers", [])} if self._current() else {}
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.draft.layers))
        for row, layer in enumerate(self.draft.layers):
            step = steps.get(layer.name, {})
            shape = step.get("output_shape")
            problem = self._problem_of(layer.name) if steps else ""
            cells = (layer.name, layer.kind,
                     "×".join("?" if d is None else str(d) for d in shape) if shape else ("…" if not steps else "–"),
                     format_count(step["params"]) if step.get("params") else "", format_count(step["macs"])
                     if step.get("macs") else "", ", ".join(layer.inputs), problem)
            block = block_of(layer.name)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if problem:
                    item.setBackground(QColor("#f8d7da"))
                    item.setForeground(QColor("#1a1a1a"))
                    item.setToolTip(problem)
                elif block:  # a block's layers in its colour, as in the Diagram
                    item.setBackground(QColor(block_colour(block)))
                    item.setForeground(QColor("#1a1a1a"))
                    item.setToolTip(f"In the block {block}.")
                self.table.setItem(row, column, item)
        self.table.selectRow(self.draft.selected)
        self.table.blockSignals(False)
        self.buttons["Undo"].setEnabled(self.draft.can_undo() is not None)
        self.buttons["Undo"].setToolTip(f"Undo {self.draft.can_undo()} (Ctrl+Z in the table)." if self.draft.can_undo()
                                        else "Nothing to undo.")
        self.buttons["Redo"].setEnabled(self.draft.can_redo() is not None)
        self.buttons["Redo"].setToolTip(f"Redo {self.draft.can_redo()} (Ctrl+Y in the table)." if self.draft.can_redo()
                                        else "Nothing to redo.")
        self._show_form()
        if ask:
            self._ask_check()

    def _show_form(self) -> None:
        layer = self.draft.layers[self.draft.selected]
        self.form.show_layer(layer, self._problem_of(layer.name) if self._current() else "")

    def _options(self) -> dict:
        shape, classes = self.dataset_shape()
        return {"classes": classes, "dangling": self.draft.dangling()}

    def _checked_key(self) -> dict:
        """What a check depends on: the layers (not the network's name) and the dataset."""
        config = self.draft.config()
        return {"layers": config["config"]["layers"], **self._options()}

    def _current(self) -> bool:
        """Whether the last check is of the draft as it is now."""
        return self._checked_for == self._checked_key()

    def _ask_check(self) -> None:
        if self._asked:
            return  # asked again when the answer comes
        from gui.workers.engine import next_request_id

        self._asked = next_request_id()
        self._asking_for = self._checked_key()
        self.totals.setText("Checking…")
        self.request_check.emit(self._asked, self.draft.config(), self._options())

    def on_checked(self, request: int, result: dict) -> None:
        if request != self._asked:
            return
        self._asked = 0
        self.check_result, self._checked_for = result, self._asking_for
        if not self._current():
            self._ask_check()  # edited meanwhile
            return
        self._refresh_after_check()

    def _refresh_after_check(self) -> None:
        result = self.check_result
        summary, estimate = result.get("summary"), result.get("estimate")
        if summary:
            self.totals.setText(
                f"<b>{format_count(summary['total_params'])}</b> parameters ({summary['total_params']:,}), "
                f"{format_count(summary['macs'])} MACs per image, weights {format_bytes(4 * summary['total_params'])}; "
                f"an epoch of {54_000:,} images about {format_seconds(estimate['seconds_per_epoch'])} here.")
        else:
            self.totals.setText("Totals once the network fits together.")
        problems = result.get("problems", [])
        self.problems.setText("" if not problems else "Problems: " + "; ".join(
            f"{p['layer'] + ': ' if p['layer'] else ''}{p['message']}" for p in problems))
        self._refresh(ask=False)

    def problems_now(self) -> list[str]:
        """The problems of the network as it is now ("the check is not done" while it runs)."""
        if not self._current():
            return ["the check of the last edit is not done yet"]
        return [f"{p['layer'] + ': ' if p['layer'] else ''}{p['message']}" for p in self.check_result["problems"]]

    # ----------------------------------------------------------------- writing
    def _write(self, kind: str, target: str, then=None) -> None:
        from gui.workers.engine import next_request_id

        self._write_request, self._after_write = next_request_id(), then
        self.request_write.emit(self._write_request, self.draft.config(), kind, target)

    def on_written(self, request: int, path: str, error: str) -> None:
        if request != self._write_request:
            return
        then, self._after_write = self._after_write, None
        if error:
            self.status.emit(f"Could not write the network: {error}", 10000)
            self.problems.setText(error)
            return
        self.status.emit(f"Saved {path}", 6000)
        self.written_path = path
        if then is not None:
            then(path)

    def ask_save(self) -> None:
        name, ok = QInputDialog.getText(self, "Save the network", "Name in My networks:", text=self.draft.name)
        if ok and name.strip():
            self.save(name.strip())

    def save(self, name: str, then=None) -> bool:
        """Saves to My networks as ``name``; refused while the network has problems."""
        problems = self.problems_now()
        if problems:
            self.problems.setText("Not saved: fix these first: " + "; ".join(problems))
            self.status.emit("The network has problems: see under the table.", 8000)
            return False
        from core.models.networks import network_id

        self.draft.name = name

        def saved(path):
            self.saved.emit(network_id(path))
            if then is not None:
                then(network_id(path))

        self._write("network", name, saved)
        return True

    def ask_code(self) -> None:
        path = ask_save(self, "Write the network as Python", f"{self.draft.name}.py", "Python files (*.py)", ".py")
        if path:
            self._write("code", path)

    def train_it(self) -> None:
        """Saves the network to My networks (under its name) and trains it; refused, naming
        the problems, while it has any."""
        problems = self.problems_now()
        if problems:
            self.problems.setText("Start refused: " + "; ".join(problems))
            self.status.emit("Start refused: the network has problems (see under the table).", 8000)
            return
        self.save(self.draft.name, self.train_requested.emit)
