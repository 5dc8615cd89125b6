"""What every panel of the window makes the same way: menu actions with shortcuts,
warnings that do not block, and columns that scroll."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QMessageBox, QScrollArea, QWidget


def make_action(owner: QWidget, text: str, shortcuts, slot, tip: str) -> QAction:
    """A QAction of ``owner`` (so that its shortcuts work wherever the focus is in the
    window) calling ``slot`` with no arguments.

    Args:
        shortcuts: a ``QKeySequence``, a string such as ``"Ctrl+E"``, a list of them, or None.
        slot: a callable taking no arguments (``triggered(bool)`` is not passed on).
    """
    action = QAction(text, owner)
    if shortcuts:
        keys = shortcuts if isinstance(shortcuts, list) else [shortcuts]
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    owner.addAction(action)
    return action


def warn(widget: QWidget, title: str, message: str) -> QMessageBox:
    """Shows ``message`` in a non-blocking warning over ``widget``'s window."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, widget.window())
    box.setModal(False)
    box.show()
    return box


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless area that scrolls vertically when it does not fit."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area
