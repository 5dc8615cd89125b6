"""The layer view: a table of layers grouped in expandable blocks, totals, cost estimates,
a diagram of the network, and export as text or CSV."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QScrollArea, QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from core.atomic import write_text_atomically
from core.data.datasets import DATASETS, get_dataset_info
from core.models.registry import ARCHITECTURES, default_input, get_arch, parse_shape
from core.models.summary import (
    COLUMNS, LayerRow, ModelSummary, estimate_training, format_bytes, format_count, format_seconds,
    format_shape, format_table, row_cells, to_csv,
)
from gui.workers.engine import next_request_id
from gui.files import ask_save, with_suffix
from gui.tabs.network_diagram import NetworkDiagram

def summary_from_dict(data: dict) -> ModelSummary:
    """Rebuilds a :class:`ModelSummary` from :func:`core.models.summary.to_dict` data."""
    rows = [LayerRow(r["name"], r["type"], tuple(r["output_shape"]), r["params"], r["trainable"],
                     r.get("macs", 0), r.get("block"), list(r.get("inputs") or [])) for r in data["layers"]]
    return ModelSummary(data["arch"], tuple(data["input_shape"]), data["classes"], rows,
                        data["total_params"], data["trainable_params"], data["non_trainable_params"],
                        data.get("macs", 0))


def grouped(rows: list[LayerRow]) -> list[tuple[str | None, list[LayerRow]]]:
    """Consecutive rows of the same block, in order; layers outside blocks stand alone."""
    groups: list[tuple[str | None, list[LayerRow]]] = []
    for row in rows:
        if row.block and groups and groups[-1][0] == row.block:
            groups[-1][1].append(row)
        else:
            groups.append((row.block, [row]))
    return groups


class SummaryView(QWidget):
    """Controls for the network to inspect, its layers and totals; ``diagram_page`` is the
    network drawn as blocks, for a tab of its own.

    Signals:
        requested(request_id, arch, input_shape, classes, form, options): build this
            summary (answered by :meth:`on_summary` or :meth:`on_summary_failed`).
    """

    requested = Signal(int, str, object, int, str, dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary: ModelSummary | None = None
        self.last_summary: dict | None = None  # the engine's answer shown now
        self._request = 0
        self._refused = False  # a request was refused (TensorFlow was busy training)
        self.arch = next(iter(ARCHITECTURES))
        self.images, self.batch_size = DATASETS["mnist"].training_images(), 64  # until told

        self.form = QComboBox()
        self.form.addItem("Reference", "reference")
        self.form.addItem("Compact", "compact")
        self.form.setToolTip("Reference: the network exactly as published. Compact: the same "
                             "idea made small enough to train on a CPU in minutes.")
        self.input = QLineEdit()
        self.input.setPlaceholderText("HxWxC")
        self.input.setFixedWidth(110)
        self.input.setToolTip("Input size as height×width×channels, e.g. 224x224x3. Inputs smaller "
                              "than the network needs are resized with padding inside the model.")
        self.classes = QSpinBox()
        self.classes.setRange(2, 100000)
        self.classes.setValue(10)
        self.classes.setToolTip("Number of classes of the output layer.")
        self.batch_norm = QCheckBox("Batch norm")
        self.batch_norm.setTristate(False)
        self.batch_norm.setToolTip("VGG: batch normalisation after every convolution (VGG-BN).")
        self.aux = QCheckBox("Auxiliary heads")
        self.aux.setToolTip("GoogLeNet: show the two auxiliary classifiers used in training "
                            "(dropped for prediction and export).")
        self.deslant = QCheckBox("Deslant")
        self.deslant.setToolTip("Greyscale inputs: the layer that shears each digit upright before the "
                                "network (More settings ▸ Deslant the digits; on by default for digits).")
        self.inception = QComboBox()
        for v, text in (("v1", "Inception v1"), ("v2", "v2 (two 3×3 for 5×5)"), ("v3", "v3 (1×n, n×1)")):
            self.inception.addItem(text, v)
        self.inception.setToolTip("GoogLeNet: the Inception block version.")
        self.input_error = QLabel()
        self.input_error.setStyleSheet("color: #c0392b;")
        self.export_text = QPushButton("Export text…")
        self.export_csv = QPushButton("Export CSV…")
        self.expand = QPushButton("Expand all")
        self.collapse = QPushButton("Collapse all")

        controls = QHBoxLayout()
        for w in (QLabel("Form"), self.form, QLabel("Input"), self.input, QLabel("Classes"), self.classes,
                  self.batch_norm, self.aux, self.inception, self.deslant, self.input_error):
            controls.addWidget(w)
        controls.addStretch(1)
        buttons = QHBoxLayout()
        for w in (self.expand, self.collapse):
            buttons.addWidget(w)
        buttons.addStretch(1)
        for w in (self.export_text, self.export_csv):
            buttons.addWidget(w)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.totals = QLabel("Building the model…")
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.diagram = NetworkDiagram()
        self.diagram_page = QScrollArea()
        self.diagram_page.setWidget(self.diagram)
        self.diagram_page.setWidgetResizable(False)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.totals)
        layout.addLayout(buttons)

        self.form.currentIndexChanged.connect(self._on_form_changed)
        self.input.editingFinished.connect(self.request)
        self.classes.valueChanged.connect(self.request)
        for signal in (self.batch_norm.toggled, self.aux.toggled, self.inception.currentIndexChanged,
                       self.deslant.toggled):
            signal.connect(self.request)
        self.expand.clicked.connect(self.tree.expandAll)
        self.collapse.clicked.connect(self.tree.collapseAll)
        self.export_text.clicked.connect(self.ask_export_text)
        self.export_csv.clicked.connect(self.ask_export_csv)
        self._update_option_widgets()

    # ---------------------------------------------------------------- state
    def configure(self, arch: str, form: str, input_shape, classes: int, deslant: bool = False) -> None:
        """Shows ``arch`` at ``input_shape`` (as the training settings are) and rebuilds."""
        widgets = (self.form, self.classes, self.batch_norm, self.aux, self.inception, self.deslant)
        for w in widgets:
            w.blockSignals(True)
        self.arch = arch
        self.form.setCurrentIndex(self.form.findData(form))
        self.input.setText("x".join(str(d) for d in input_shape))
        self.classes.setValue(classes)
        self.batch_norm.setChecked(form == "compact")
        self.aux.setChecked(False)
        self.inception.setCurrentIndex(0)
        self.deslant.setChecked(deslant)
        for w in widgets:
            w.blockSignals(False)
        self._update_option_widgets()
        self.request()

    def set_training_context(self, images: int, batch_size: int) -> None:
        self.images, self.batch_size = images, batch_size
        self._show_totals()

    def options(self) -> dict:
        allowed = get_arch(self.arch).options
        options = {}
        if "batch_norm" in allowed:
            options["batch_norm"] = self.batch_norm.isChecked()
        if "aux" in allowed and self.aux.isChecked():
            options["aux"] = True
        if "inception_version" in allowed:
            options["inception_version"] = self.inception.currentData()
        if self.deslant.isChecked() and self._greyscale_input():
            options["deslant"] = True
        return options

    def _greyscale_input(self) -> bool:
        try:
            return parse_shape(self.input.text())[-1] == 1
        except ValueError:
            return False

    def _update_option_widgets(self) -> None:
        allowed = get_arch(self.arch).options
        self.batch_norm.setVisible("batch_norm" in allowed)
        self.aux.setVisible("aux" in allowed)
        self.inception.setVisible("inception_version" in allowed)

    def _on_form_changed(self) -> None:
        form = self.form.currentData()
        self.input.setText("x".join(str(d) for d in default_input(self.arch, form)))
        self.batch_norm.blockSignals(True)
        self.batch_norm.setChecked(form == "compact")
        self.batch_norm.blockSignals(False)
        self.request()

    def request(self) -> None:
        try:
            shape = parse_shape(self.input.text())
        except ValueError:
            self.input_error.setText("Input must look like 28x28x1 (sides up to 4096, 1 to 4 channels).")
            return
        self.input_error.setText("")
        self.deslant.setVisible(shape[-1] == 1)
        self.totals.setText("Building the model…")
        self._request = next_request_id()
        self.requested.emit(self._request, self.arch, shape, self.classes.value(), self.form.currentData(),
                            self.options())

    def on_summary(self, request_id: int, data: dict) -> None:
        if request_id == self._request:
            self.last_summary = data
            self.show_summary(data)

    def on_summary_failed(self, request_id: int, message: str) -> None:
        if request_id == self._request:
            self.show_error(message)
            self._refused = True

    def follow(self, settings) -> None:
        """Shows the network the training ``settings`` (a SettingsPanel) describe, at their
        dataset's input, and their cost per epoch; from now on and as they change."""
        def show():
            info = get_dataset_info(settings.dataset.currentData())
            self.configure(settings.current_arch(), settings.current_form(), info.input_shape,
                           len(info.class_names), settings.deslant.isChecked())

        def context():
            config = settings.config()
            split = config.val_split if isinstance(config.val_split, float) else 0.1
            limit = config.limit if isinstance(config.limit, int) else None
            self.set_training_context(get_dataset_info(config.dataset).training_images(limit, split),
                                      settings.batch_size.value())

        self._show_settings = show
        for signal in (settings.arch_changed, settings.dataset.currentIndexChanged,
                       settings.form.currentIndexChanged, settings.deslant.toggled):
            signal.connect(show)
        for signal in (settings.batch_size.valueChanged, settings.limit.valueChanged,
                       settings.dataset.currentIndexChanged):
            signal.connect(context)
        show()
        context()

    def retry_if_refused(self) -> None:
        """Asks again for a summary that was refused while TensorFlow trained."""
        if self._refused:
            self._refused = False
            self._show_settings()

    # ---------------------------------------------------------------- display
    def show_summary(self, data: dict) -> None:
        self.summary = summary = summary_from_dict(data)
        self.tree.clear()
        for block, rows in grouped(summary.rows):
            if block is None:
                self.tree.addTopLevelItem(self._item(row_cells(rows[0])))
                continue
            params, macs = sum(r.params for r in rows), sum(r.macs for r in rows)
            parent = self._item((block, f"{len(rows)} layers", format_shape(rows[-1].output_shape),
                                 f"{params:,}", f"{macs:,}", ""))
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            for row in rows:
                parent.addChild(self._item(row_cells(row)))
            self.tree.addTopLevelItem(parent)
        if len(summary.rows) <= 40:
            self.tree.expandAll()
        self.diagram.set_summary(summary)
        self._show_totals()

    def show_error(self, message: str) -> None:
        self.summary = None
        self.tree.clear()
        self.diagram.set_summary(None)
        self.totals.setText(f"<span style='color:#c0392b'>{message}</span>")

    @staticmethod
    def _item(cells) -> QTreeWidgetItem:
        item = QTreeWidgetItem([str(c) for c in cells])
        for column in (3, 4):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _show_totals(self) -> None:
        s = self.summary
        if s is None:
            return
        estimate = estimate_training(s, self.images, self.batch_size)
        self.totals.setText(
            f"<b>{get_arch(self.arch).name}</b> ({self.form.currentData()}), input "
            f"{format_shape(s.input_shape)}, {s.classes} classes — parameters <b>{s.total_params:,}</b> "
            f"(trainable {s.trainable_params:,}, non-trainable {s.non_trainable_params:,}), "
            f"<b>{format_count(s.macs)}</b> MACs per image, weights {format_bytes(s.weights_bytes)}.<br>"
            f"Training estimate on this CPU for {self.images:,} images at batch {self.batch_size}: "
            f"about <b>{format_seconds(estimate['seconds_per_epoch'])}</b> per epoch, "
            f"{format_bytes(estimate['memory_bytes'])} of memory."
        )

    def ask_export_text(self) -> None:
        self._ask_export("text")

    def ask_export_csv(self) -> None:
        self._ask_export("csv")

    def _ask_export(self, kind: str) -> None:
        if self.summary is None:
            return
        suffix = ".txt" if kind == "text" else ".csv"
        path = ask_save(self, "Export summary", f"{self.summary.name}{suffix}",
                        "Text (*.txt)" if kind == "text" else "CSV (*.csv)", suffix)
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str) -> str | None:
        """Writes the summary as text or CSV to ``path`` (given the suffix); returns the
        path written, or None (said under the table) when it could not."""
        if self.summary is None:
            return None
        path = with_suffix(path, ".txt" if kind == "text" else ".csv")
        content = format_table(self.summary) if kind == "text" else to_csv(self.summary)
        try:
            write_text_atomically(path, content + ("\n" if kind == "text" else ""))
        except OSError as e:
            self.totals.setText(f"<span style='color:#c0392b'>Could not write {path}: {e.strerror}</span>")
            return None
        return path

