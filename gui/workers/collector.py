"""Garbage collection on the UI thread only.

Python collects cyclic garbage in whichever thread happens to allocate. When that is the
engine or training thread and the garbage holds Qt objects of the window (a closed
dialog, a widget whose slots are Python methods), their connections are undone from that
thread while the UI thread may be tearing down widgets: each then waits for the other's
lock (Qt's connection mutex against the interpreter lock) and the application hangs —
seen in the test suite. So, as long as the window lives, automatic collection is off and
a timer on the UI thread collects with the same thresholds Python would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250
_frozen = False


def freeze_long_lived_objects() -> None:
    """Collects, then moves every object alive out of the collector's sight, once a process.

    TensorFlow and Keras leave some 360,000 long-lived objects, which every full garbage
    collection walked while holding the interpreter lock: collections of 100-240 ms froze
    the window during training. Call on the UI thread once TensorFlow has loaded.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


class UiThreadCollector(QObject):
    """Turns automatic collection off and collects from a timer on this (UI) thread."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Back to automatic collection (the window's threads have ended)."""
        self.timer.stop()
        gc.enable()

    def collect(self) -> None:
        first, second, third = gc.get_count()
        if first > self.thresholds[0]:
            generation = 2 if third > self.thresholds[2] and second > self.thresholds[1] else \
                1 if second > self.thresholds[1] else 0
            gc.collect(generation)
