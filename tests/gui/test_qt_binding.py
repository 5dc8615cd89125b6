"""The Qt binding itself: PySide6 6.12.0 decremented None's reference count on every call
of a method returning nothing, so that a long session aborted ("deallocating None")."""

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel


def test_void_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(2000):
        label.setText(str(i % 10))
        label.update()
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) > before - 500, "this PySide6 leaks references to None: see requirements.txt"
