"""Garbage is collected on the UI thread while a window lives (see gui.workers.collector)."""

import gc
import threading

from gui.workers.collector import UiThreadCollector


def test_collection_runs_on_the_ui_thread_and_is_given_back(qtbot):
    threads = []

    def note(phase, info):
        if phase == "start":
            threads.append(threading.current_thread() is threading.main_thread())

    collector = UiThreadCollector()
    collector.start()
    gc.callbacks.append(note)
    try:
        assert not gc.isenabled()
        def make_cycles():
            for _ in range(5000):
                cycle = []
                cycle.append(cycle)  # survives its scope: only a collection frees it

        worker = threading.Thread(target=make_cycles)
        worker.start()
        worker.join()  # far over the threshold, no collection in that thread
        assert not threads
        qtbot.waitUntil(lambda: bool(threads), timeout=3_000)
        assert all(threads)
    finally:
        gc.callbacks.remove(note)
        collector.stop()
    assert gc.isenabled() and not collector.timer.isActive()
