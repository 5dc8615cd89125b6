"""What the window remembers between runs, with ``QSettings``: its size and layout, the
open tab, every field of the settings panel, the canvas's model, the pen width and the
theme.

Saved when the window closes, restored when it opens. A settings file that cannot be
read, or a value that does not fit, is skipped with a line in the log: the window then
opens as on a first start. ``$CNN_STUDIO_SETTINGS`` names another file (an INI file),
which the tests use.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

SETTINGS_ENV = "CNN_STUDIO_SETTINGS"
#: The settings' layout; a file written by another version's layout is not read.
VERSION = 1
#: Fields restored first: choosing them applies defaults to the others.
FIRST_FIELDS = ("Architecture", "Dataset", "Form")

log = logging.getLogger("cnn_studio")


def open_settings() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    return QSettings(path, QSettings.Format.IniFormat) if path else QSettings()


def _plain(text: str) -> str:
    return text.replace("&", "").rstrip(":").strip()


def panel_fields(panel: QWidget) -> dict[str, QWidget]:
    """The panel's fields by the caption a person sees: labelled fields, and check boxes
    by their own text."""
    fields = {_plain(label.text()): label.buddy() for label in panel.findChildren(QLabel)
              if label.buddy() is not None and label.text()}
    for box in panel.findChildren(QCheckBox):
        if box.text() and box.parent() is not None:
            fields.setdefault(_plain(box.text()), box)
    return fields


def field_value(widget: QWidget):
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    if isinstance(widget, QLineEdit):
        return widget.text()
    return None


def set_field(widget: QWidget, value) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        index = widget.findText(str(value))
        if index >= 0:
            widget.setCurrentIndex(index)
        elif widget.isEditable():
            widget.setEditText(str(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QAbstractSpinBox):
        widget.lineEdit().setText(str(value))
        widget.interpretText()
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


def remembered_model(settings: QSettings | None = None) -> str:
    """The canvas's last model file ("" for the bundled one)."""
    settings = settings or open_settings()
    return str(settings.value("canvas/model", "") or "")


def save(window) -> None:
    """Writes the window's session; a failure is logged, never raised (the window closes)."""
    try:
        settings = open_settings()
        settings.clear()
        settings.setValue("version", VERSION)
        settings.setValue("window/geometry", window.saveGeometry())
        settings.setValue("window/state", window.saveState())
        settings.setValue("window/splitter", window.centralWidget().saveState())
        settings.setValue("window/tab", window.tabs.tabText(window.tabs.currentIndex()))
        panel = window.settings
        values = {caption: field_value(w) for caption, w in panel_fields(panel).items()}
        settings.setValue("panel/fields", json.dumps({k: v for k, v in values.items() if v is not None}))
        settings.setValue("panel/more", panel.advanced.isVisible())
        info = window.model_info or {}
        # The canvas's model: the file it reads with (opened, or a finished run's), else the
        # last run trained here (one stopped by closing the window is saved by now).
        path = info.get("path") if info.get("source") == "file" else window.training.saved_run() or ""
        settings.setValue("canvas/model", path or "")
        settings.setValue("canvas/pen", window.pen_width.value())
        settings.setValue("canvas/why", window.canvas_panel.why_choice.current_method())
        settings.setValue("view/theme", window.theme)
        settings.sync()
    except Exception:
        log.exception("Saving the session failed")


def restore(window) -> str:
    """Restores the window's session; returns the model the canvas should open ("" for the
    bundled one). Whatever cannot be read is skipped, with a line in the log."""
    settings = open_settings()
    status = settings.status()
    # (A settings file not made yet, in a folder not made yet, reads as an access error.)
    if status == QSettings.Status.FormatError or (status == QSettings.Status.AccessError
                                                   and Path(settings.fileName()).exists()):
        log.warning("The settings file %s cannot be read (%s): starting afresh", settings.fileName(),
                    settings.status().name)
        return ""
    version = settings.value("version")
    if version is None:
        return ""  # a first start
    if str(version) != str(VERSION):
        log.warning("The settings file %s is not this version's (version %r): starting afresh",
                    settings.fileName(), version)
        return ""
    steps = (
        ("the window's size", lambda: window.restoreGeometry(_bytes(settings.value("window/geometry")))),
        ("the window's layout", lambda: window.restoreState(_bytes(settings.value("window/state")))),
        ("the columns' widths", lambda: window.centralWidget().restoreState(_bytes(settings.value("window/splitter")))),
        ("the settings", lambda: _restore_panel(window.settings, settings)),
        ("the open tab", lambda: _restore_tab(window.tabs, settings.value("window/tab"))),
        ("the pen width", lambda: window.pen_width.setValue(int(settings.value("canvas/pen")))),
        ("how Why? explains", lambda: window.canvas_panel.why_choice.set_method(str(settings.value("canvas/why")))),
        ("the theme", lambda: window.set_theme(str(settings.value("view/theme", "system")))),
    )
    for what, step in steps:
        try:
            step()
        except Exception as e:
            log.warning("Could not restore %s from %s: %s: %s", what, settings.fileName(), type(e).__name__, e)
    return remembered_model(settings)


def _bytes(value) -> QByteArray:
    if not isinstance(value, (QByteArray, bytes)):
        raise TypeError(f"expected saved bytes, got {type(value).__name__}")
    return QByteArray(value)


def _restore_panel(panel, settings: QSettings) -> None:
    values = json.loads(str(settings.value("panel/fields", "{}")))
    if not isinstance(values, dict):
        raise TypeError("the fields are not a table")
    fields = panel_fields(panel)
    order = [c for c in FIRST_FIELDS if c in values] + [c for c in values if c not in FIRST_FIELDS]
    for caption in order:
        if caption in fields:
            set_field(fields[caption], values[caption])
    device = fields.get("Device")
    if isinstance(device, QComboBox) and "Device" in values and device.currentText() != values["Device"]:
        panel.want_device(str(values["Device"]))  # listed once TensorFlow has loaded
    panel.set_advanced_visible(str(settings.value("panel/more", "false")).lower() == "true")
    panel.check()


def _restore_tab(tabs, title) -> None:
    for i in range(tabs.count()):
        if tabs.tabText(i) == title:
            tabs.setCurrentIndex(i)


def model_is_gone(path: str) -> bool:
    return bool(path) and not Path(path).is_file()
