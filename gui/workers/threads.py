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
    import logging

    from core.training.failures import describe_failure

    log = logging.getLogger("cnn_studio")

    pin_python_thread_state()
    try:
        job()
    except Exception as e:  # reported to the user, never raised into Qt
        log.exception(what)
        failed.emit(describe_failure(e, what))
    finally:
        finished.emit()


def worker_thread(owner, worker, name: str, on_finished):
    """The one way a worker gets its thread: a ``QThread`` named ``name`` (owned by
    ``owner``) that runs ``worker.run`` when started and quits when the worker emits
    ``finished``; ``on_finished`` then runs in the owner's thread, where it should call
    :func:`release_thread`. The caller connects the worker's other signals, then starts it."""
    from PySide6.QtCore import QThread, Qt

    thread = QThread(owner)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(on_finished)
    return thread


def release_thread(thread, delete: bool = True) -> None:
    """After its ``finished``: waits until the thread has really ended (``finished`` comes
    just before), then lets Qt delete it. Only then may its worker go: deleting the worker
    from its own thread while this one let go of it crashed."""
    thread.wait(5000)
    if delete:
        thread.deleteLater()


#: Closing waits this long for the workers before it shows "Stopping…".
STOPPING_NOTICE_MS = 400


def wait_until_ended(jobs, parent, what: str = "Stopping…") -> None:
    """Waits until every job's thread has ended, the window alive meanwhile.

    Args:
        jobs: returns ``(name, thread)`` pairs ("the training step", "the export"…) of the
            threads to wait for (a None thread is skipped).
        parent: the window the notice belongs to (it blocks input there meanwhile).

    While a thread still runs its step (a TensorFlow step, an export, a download's read
    cannot be cut short), events are handled and, after a moment, a small window says
    "Stopping…" and what it waits for; there is no time limit, since a ``QThread``
    destroyed while it runs aborts the process. Once none runs a step, each thread's last
    moments (``isRunning()`` is already False while it deletes its objects, whose
    destructors may need the interpreter lock) are waited for with ``QThread.wait``, which
    holds neither that lock nor any of Qt's: handling events then could deadlock with them.
    """
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QProgressDialog

    def running() -> list[str]:
        return [name for name, thread in jobs() if thread is not None and thread.isRunning()]

    if running():
        loop = QEventLoop()
        clock = QElapsedTimer()
        clock.start()
        notice = None

        def check():
            nonlocal notice
            names = running()
            if not names:
                loop.quit()
                return
            if notice is None and clock.elapsed() >= STOPPING_NOTICE_MS:
                notice = QProgressDialog(parent)
                notice.setWindowTitle("Closing")
                notice.setObjectName("stopping")
                notice.setCancelButton(None)
                notice.setRange(0, 0)
                notice.setWindowModality(Qt.WindowModality.WindowModal)
                notice.setMinimumDuration(0)
                notice.show()
            if notice is not None:
                notice.setLabelText(f"{what} waiting for {' and '.join(names)} to end; nothing is lost.")

        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(check)
        timer.start()
        check()
        if running():
            loop.exec()
        timer.stop()
        if notice is not None:
            notice.close()
            notice.deleteLater()
    for _name, thread in jobs():
        if thread is not None:
            thread.wait()
