"""What every worker thread that runs TensorFlow needs: one Python thread state for the
thread's life, and a job whose failure is logged and reported, never raised into Qt."""

from __future__ import annotations

import ctypes
import threading

_pinned = threading.local()


def pin_python_thread_state() -> None:
    """Keeps this (Qt) thread's Python thread state alive until the thread ends.

    PySide6 gives a ``QThread`` a fresh Python thread state for every slot it calls and
    deletes it after, while TensorFlow's pybind11 code remembers the first one it saw: in
    a later slot, TensorFlow then takes the GIL through a deleted thread state, which
    crashed (segfault in ``take_gil``, seen when the engine loaded a second model) or
    could hang. One extra ``PyGILState_Ensure``, never released, keeps a single thread
    state for the thread's whole life. Call it first in every slot a TensorFlow thread
    runs; it does something only once per thread.
    """
    if getattr(_pinned, "done", False):
        return
    ctypes.pythonapi.PyGILState_Ensure.restype = ctypes.c_int
    ctypes.pythonapi.PyGILState_Ensure()
    _pinned.done = True


def run_reported(job, failed, finished, what: str) -> None:
    """Runs a worker's ``job()`` in its thread: an exception goes to the log and, as a
    message for the user, to the ``failed`` signal; ``finished`` is emitted last, always."""
    from gui.training_worker import describe_failure, log

    pin_python_thread_state()
    try:
        job()
    except Exception as e:  # reported to the user, never raised into Qt
        log.exception(what)
        failed.emit(describe_failure(e))
    finally:
        finished.emit()
