from pathlib import Path

import pytest

from tests.gui.userpath import open_window


#: The test images a short run from the window is measured on (the window's own runs
#: use all 10,000 of MNIST, which takes longer than the run itself in these tests).
SHORT_RUN_TEST_IMAGES = 1000


def short_test_set(monkeypatch) -> None:
    """A run the tests start on a few training images ("Training images" set) is tested
    on the first ``SHORT_RUN_TEST_IMAGES`` test images; Evaluate still reads them all."""
    from core.data import datasets
    from core.training import loop

    load = datasets.load_dataset

    def load_short(*args, limit=None, test_limit=None, **kwargs):
        if limit is not None and test_limit is None:
            test_limit = SHORT_RUN_TEST_IMAGES
        return load(*args, limit=limit, test_limit=test_limit, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", load_short)
    monkeypatch.setattr(loop, "load_dataset", load_short)  # sweeps load through the trainer


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A main window with TensorFlow loaded and the bundled model ready for the canvas.

    Its checkpoints and its model library are temporary folders, not the user's; a short
    run is tested on fewer test images (see :func:`short_test_set`).
    """
    from gui.main_window import MainWindow

    short_test_set(monkeypatch)

    monkeypatch.setattr(MainWindow, "checkpoints_dir", lambda self: str(tmp_path / "checkpoints"))
    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("CNN_STUDIO_NETWORKS", str(tmp_path / "networks"))
    w = open_window(qtbot)
    yield w
    w.close()
    assert not w.engine_thread.isRunning()
    assert w.train_thread is None or not w.train_thread.isRunning()


@pytest.fixture
def dialogs(monkeypatch):
    """Answers the window's file and message dialogs (see tests.gui.userpath.Dialogs)."""
    from tests.gui.userpath import Dialogs

    return Dialogs(monkeypatch)


def run_metadata(arch, accuracy, epochs=3, seconds=20.0):
    """The training record of a run (as core.storage.modelio.build_metadata writes it)."""
    val = [accuracy - 0.01 * (epochs - e) for e in range(1, epochs + 1)]
    return {
        "arch": arch, "arch_name": arch.upper(), "form": "compact", "dataset": "mnist",
        "class_names": [str(i) for i in range(10)], "input_shape": [28, 28, 1],
        "params": 167_594 if arch == "lenet5" else 235_146, "macs": 400_000, "epochs_completed": epochs,
        "test_accuracy": accuracy, "test_loss": 0.05, "train_seconds": seconds, "images_per_second": 9000.0,
        "train_accuracy": val[-1] + 0.005, "config": {"batch_size": 128, "optimizer": "adam", "learning_rate": 0.004},
        "history": {"loss": [0.5 / e for e in range(1, epochs + 1)], "val_loss": [0.4 / e for e in range(1, epochs + 1)],
                    "accuracy": [v + 0.005 for v in val], "val_accuracy": val},
    }


@pytest.fixture
def library(window, qtbot):
    """The window's library folder with two runs, a damaged file and a stray text file."""
    from core.storage.library import save_run
    from core.models.registry import build_model

    folder = Path(window.library_dir())
    lenet = save_run(build_model("lenet5"), run_metadata("lenet5", 0.99), folder)
    mlp = save_run(build_model("mlp"), run_metadata("mlp", 0.97, epochs=4), folder)
    (folder / "broken.keras").write_bytes(b"PK\x03\x04 half a file")
    (folder / "notes.txt").write_text("not a model")
    window.show_library()
    qtbot.waitUntil(lambda: len(window.library.entries) == 4, timeout=5_000)
    return folder, lenet, mlp


def _left_running() -> list[str]:
    """QThreads still running and QTimers still active among the application's widgets."""
    from PySide6.QtCore import QObject, QThread, QTimer
    from PySide6.QtWidgets import QApplication

    found = []
    for top in QApplication.topLevelWidgets():
        for obj in (top, *top.findChildren(QObject)):
            if isinstance(obj, QThread) and obj.isRunning():
                found.append(f"thread {obj.objectName() or obj!r}")
            elif isinstance(obj, QTimer) and obj.isActive() and not obj.isSingleShot():
                found.append(f"timer {obj.objectName() or obj!r} of {type(obj.parent()).__name__}")
    return found


@pytest.fixture(autouse=True)
def nothing_left_running(qtbot):
    """No QThread and no repeating QTimer outlives a test (one-shot timers may still be
    pending for a moment: a test waits for them up to 3 s)."""
    yield
    try:
        qtbot.waitUntil(lambda: not _left_running(), timeout=3_000)
    except Exception:
        raise AssertionError(f"left running after the test: {_left_running()}") from None
