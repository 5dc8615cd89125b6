"""Shared test set-up: headless Qt, quiet TensorFlow, no network, tidy threads."""

import os
import sys
from pathlib import Path

# Headless, on a screen of a usual desktop's size (offscreen's own is 800×600, smaller
# than the window: Qt then shrinks what a window restores of its size).
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).resolve().parent / 'offscreen-screen.json'}"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# Runs the tests train (in the window and on the command line, also in child processes)
# go to a throw-away model library, never the user's.
import tempfile  # noqa: E402

os.environ["CNN_STUDIO_LIBRARY"] = tempfile.mkdtemp(prefix="cnn-studio-test-library-")
os.environ["CNN_STUDIO_MY_DIGITS"] = tempfile.mkdtemp(prefix="cnn-studio-test-my-digits-")
os.environ["CNN_STUDIO_NETWORKS"] = tempfile.mkdtemp(prefix="cnn-studio-test-networks-")
os.environ["CNN_STUDIO_IMAGE_FOLDERS"] = os.path.join(tempfile.mkdtemp(prefix="cnn-studio-test-"), "folders.txt")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import socket  # noqa: E402

import pytest  # noqa: E402

from tests.helpers import BUNDLED_MODEL  # noqa: E402


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def own_window_settings(monkeypatch, tmp_path_factory):
    """Every test's windows remember their session in a file of the test's own, never
    the user's settings (nor another test's)."""
    monkeypatch.setenv("CNN_STUDIO_SETTINGS", str(tmp_path_factory.mktemp("settings") / "cnn-studio.ini"))


@pytest.fixture(scope="session")
def small_mnist():
    """640 MNIST training images (512 to train on, 128 to validate) and 500 test images."""
    from core.data.datasets import load_dataset

    return load_dataset("mnist", val_split=0.2, limit=640, test_limit=500, seed=1)


@pytest.fixture
def normal_umask():
    """The usual umask (022) for the test: files the application saves must then be
    0644, like any new file of the user's (not private 0600). Yields the mode expected."""
    old = os.umask(0o022)
    try:
        yield 0o644
    finally:
        os.umask(old)


def file_mode(path) -> int:
    """A file's permission bits."""
    return Path(path).stat().st_mode & 0o777


@pytest.fixture
def bundled_model_path() -> Path:
    assert BUNDLED_MODEL.is_file(), "resources/models/lenet5_mnist.keras is missing (see README)"
    return BUNDLED_MODEL


#: At most this many test processes (``-n auto`` in pytest.ini): each holds TensorFlow
#: (about 1 GB with a window), and the suite is written for 2 cores.
MAX_TEST_PROCESSES = 4


def pytest_xdist_auto_num_workers(config):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_TEST_PROCESSES, cores))


#: A test still running after this long is taken to hang: the run ends at once with a
#: report naming the test and what every thread was doing, instead of sitting until the
#: CI's own time limit. The slowest test takes about a minute on 2 busy cores.
HANG_SECONDS = float(os.environ.get("CNN_STUDIO_TEST_HANG_SECONDS", "420"))


def _report_hang(nodeid: str, capture_manager) -> None:
    import faulthandler
    import threading
    import traceback

    if capture_manager is not None:  # the process ends: give the report the real stderr
        capture_manager.suspend_global_capture(in_=False)
    err = sys.__stderr__
    err.write(f"\n\n=== {nodeid} still runs after {HANG_SECONDS:.0f} s: every thread's stack ===\n")
    err.flush()
    faulthandler.dump_traceback(file=err, all_threads=True)
    names = {t.ident: t.name for t in threading.enumerate()}
    err.write("\n=== in short (innermost frames last) ===\n")
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = traceback.extract_stack(frame)[-6:]
        err.write(f"thread {names.get(ident, ident)}:\n")
        for f in stack:
            err.write(f"    {Path(f.filename).name}:{f.lineno} {f.name}: {(f.line or '').strip()[:80]}\n")
    err.write(f"=== HUNG: {nodeid} (after {HANG_SECONDS:.0f} s); the test run stops here ===\n")
    err.flush()
    os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import threading

    capture_manager = item.config.pluginmanager.getplugin("capturemanager")
    watchdog = threading.Timer(HANG_SECONDS, _report_hang, args=(item.nodeid, capture_manager))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
