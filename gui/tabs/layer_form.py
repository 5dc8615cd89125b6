"""The network editor's property form: the selected layer's name, inputs and settings,
each field checked as it is typed (red, with the reason, until it can be used), applied
as a named step when Enter is pressed or the field is left."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from core.models.network_draft import FIELDS, DraftError, DraftLayer, parse_value, shown_value

#: The settings shown first, in this order (the others a layer has follow).
ORDER = ("filters", "units", "kernel_size", "pool_size", "strides", "padding", "activation", "rate", "axis",
         "height", "width", "scale", "offset", "depth_multiplier", "use_bias", "momentum", "epsilon")
INVALID = "background: #f8d7da;"


class LayerForm(QWidget):
    """Signals:
        edited(str, str): a setting (or "name", or "shape" of the input) and the text typed,
            once it can be used.
        link_requested: "Link input…" was clicked.
        unlink_requested(str): "Unlink" of an input was clicked.
    """

    edited = Signal(str, str)
    link_requested = Signal()
    unlink_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Select a layer to see its settings.")
        self.title.setWordWrap(True)
        self.form = QFormLayout()
        self.inputs = QLabel()
        self.inputs.setWordWrap(True)
        self.link_button = QPushButton("Link input…")
        self.link_button.setToolTip("Give the output of a layer above to this one: a second input of an Add "
                                    "(a residual skip) or of a Concatenate (a branch); for another layer, its input "
                                    "instead (L).")
        self.link_button.clicked.connect(self.link_requested)
        self.unlink_button = QPushButton("Unlink")
        self.unlink_button.setToolTip("Take away this layer's last input.")
        self.unlink_button.clicked.connect(lambda: self.layer and self.layer.inputs and
                                           self.unlink_requested.emit(self.layer.inputs[-1]))
        links = QHBoxLayout()
        links.addWidget(self.link_button)
        links.addWidget(self.unlink_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c0392b;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.inputs)
        layout.addLayout(links)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.fields: dict[str, QWidget] = {}
        self.layer: DraftLayer | None = None

    def show_layer(self, layer: DraftLayer | None, problem: str = "") -> None:
        """Shows ``layer``'s fields (the form is rebuilt when another layer is shown)."""
        self.layer = layer
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        if layer is None:
            self.title.setText("Select a layer to see its settings.")
            self.inputs.setText("")
            return
        self.title.setText(f"<b>{layer.name}</b> — {layer.kind}")
        self._add_field("name", "Name", layer.name)
        if layer.is_input:
            self._add_field("shape", "Shape", "x".join(map(str, layer.settings["shape"])))
        keys = [k for k in ORDER if k in layer.settings] + [k for k in layer.settings if k in FIELDS and k not in ORDER]
        for key in keys:
            self._add_field(key, key.replace("_", " ").capitalize(), shown_value(layer.settings[key]))
        self.inputs.setText("Takes: " + (", ".join(layer.inputs) if layer.inputs else "nothing") if not layer.is_input
                            else "The network's input.")
        self.link_button.setEnabled(not layer.is_input)
        self.unlink_button.setEnabled(len(layer.inputs) > 1)
        self.message.setText(problem)

    def _add_field(self, key: str, caption: str, text: str) -> None:
        choices = FIELDS.get(key)
        if isinstance(choices, tuple):
            widget = QComboBox()
            widget.addItems(list(choices) if text in choices else [*choices, text])
            widget.setCurrentText(text)
            widget.activated.connect(lambda _i, k=key, w=widget: self.edited.emit(k, w.currentText()))
        else:
            widget = QLineEdit(text)
            widget.textEdited.connect(lambda value, k=key, w=widget: self._check(k, w, value))
            widget.editingFinished.connect(lambda k=key, w=widget: self._finish(k, w))
        widget.setAccessibleName(caption)
        label = QLabel(f"{caption}:")
        label.setBuddy(widget)
        self.form.addRow(label, widget)
        self.fields[key] = widget

    def _valid(self, key: str, text: str) -> str:
        """Why ``text`` cannot be the setting ("" when it can)."""
        if key in ("name", "shape"):
            return "" if text.strip() else f"the {key} cannot be empty"
        try:
            parse_value(key, text)
        except DraftError as e:
            return str(e)
        return ""

    def _check(self, key: str, widget: QLineEdit, text: str) -> None:
        problem = self._valid(key, text)
        widget.setStyleSheet(INVALID if problem else "")
        widget.setToolTip(problem)
        self.message.setText(problem)

    def _finish(self, key: str, widget: QLineEdit) -> None:
        if self.layer is None or not self.isVisible():
            return
        if not self._valid(key, widget.text()):
            self.edited.emit(key, widget.text())
