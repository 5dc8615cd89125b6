"""Faults: killed processes, a library folder that cannot be written, the window closed
while training. Afterwards the library loads and nothing saved before is lost."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import keras
import pytest

from core.data.datasets import load_dataset
from core.storage.library import list_models, save_run
from core.storage.modelio import load_model
import gui.panels.training_panel
from core.models.registry import build_model
from tests.helpers import ROOT


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def library_with_two_models(tmp_path):
    folder = tmp_path / "library"
    saved = [save_run(build_model(arch), {"arch": arch, "dataset": "mnist"}, folder) for arch in ("lenet5", "mlp")]
    return folder, {p: digest(p) for p in saved}


def assert_library_intact(folder: Path, before: dict) -> list:
    entries = list_models(folder)
    assert all(e.readable for e in entries), [(e.path.name, e.error) for e in entries if not e.readable]
    for path, hashed in before.items():
        assert digest(path) == hashed, f"{path.name} changed"
    for entry in entries:
        load_model(entry.path)  # every listed model loads
    return entries


SAVER = textwrap.dedent("""
    import shutil, sys, time
    sys.path.insert(0, {root!r})
    from core.storage.library import save_run

    class SlowModel:
        # Writes a real model archive in small pieces, so that the kill lands inside a
        # write (without loading TensorFlow in this process: it starts in a moment).
        def save(self, path, overwrite=True):
            with open({model!r}, "rb") as src, open(path, "wb") as dst:
                while chunk := src.read(20_000):
                    dst.write(chunk)
                    dst.flush()
                    time.sleep(0.004)

    n = 0
    while True:
        print("saving", n, flush=True)
        save_run(SlowModel(), {{"arch": "lenet5", "dataset": "mnist"}}, {folder!r})
        n += 1
""")


@pytest.mark.parametrize("delay", [0.0, 0.013, 0.031, 0.052, 0.077])
def test_killed_in_the_middle_of_a_save_the_library_stays_whole(library_with_two_models, delay):
    folder, before = library_with_two_models
    source = ROOT / "resources" / "models" / "lenet5_mnist.keras"
    proc = subprocess.Popen([sys.executable, "-c", SAVER.format(root=str(ROOT), folder=str(folder), model=str(source))],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for _ in range(3):  # into the third save
            assert proc.stdout.readline().startswith("saving")
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    if delay:  # the kill landed inside a write: its half-written file is there, hidden
        assert [p for p in folder.iterdir() if p.name.startswith(".")]
    entries = assert_library_intact(folder, before)
    assert len(entries) >= 4  # the two from before and at least the two finished saves


def test_killed_in_the_middle_of_an_epoch_checkpoint_and_library_are_intact(library_with_two_models, tmp_path):
    folder, before = library_with_two_models
    checkpoint = tmp_path / "best.keras"
    env = {**os.environ, "CNN_STUDIO_LIBRARY": str(folder)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "lenet5", "--epochs", "40",
                             "--limit", "1200", "--batch-size", "32", "--checkpoint", str(checkpoint)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert checkpoint.exists(), "no checkpoint was written"
        time.sleep(0.7)  # in a later epoch
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert load_model(checkpoint).metadata["epochs_completed"] >= 1
    assert len(assert_library_intact(folder, before)) == 2


def save_and_wait(window, qtbot, path):
    """File › Save model to ``path``, waiting for the window to say it is saved (waiting on
    the engine's own signal would run the wait's code in the engine thread)."""
    window.request_save.emit(str(path))
    qtbot.waitUntil(lambda: f"Model saved to {path}" in window.statusBar().currentMessage(), timeout=30_000)


def train_once(window, qtbot, data):
    from core.training.config import TrainConfig

    config = TrainConfig.for_arch("lenet5", epochs=1, batch_size=64, limit=len(data.x_train))
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        assert window.train(config, data)
    qtbot.waitUntil(lambda: window.train_thread is None, timeout=20_000)
    return finished.args[0]


@pytest.fixture(scope="module")
def tiny_mnist():
    return load_dataset("mnist", val_split=0.2, limit=600, test_limit=300, seed=0)


def test_a_library_that_cannot_be_written_keeps_the_model_and_offers_another_place(
        window, qtbot, qtlog, tmp_path, monkeypatch, tiny_mnist):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the library folder should be")
    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(blocker / "library"))
    warnings = []
    monkeypatch.setattr(gui.panels.training_panel, "warn", lambda widget, title, message: warnings.append((title, message)))
    result = train_once(window, qtbot, tiny_mnist)
    assert result["saved_to"] is None and "another folder" in result["save_error"]
    title, message = warnings[-1]
    assert "not saved" in title and "Save model (Ctrl+S)" in message
    # The model is not lost: it is on the canvas, and saving it elsewhere works.
    qtbot.waitUntil(lambda: window.model_info["source"] == "training", timeout=10_000)
    elsewhere = tmp_path / "elsewhere.keras"
    save_and_wait(window, qtbot, elsewhere)
    assert load_model(elsewhere).metadata["test_accuracy"] == result["test_accuracy"]
    qtbot.wait(50)
    # Every answer reached the window in its own thread (Qt complains otherwise).
    assert not [r.message for r in qtlog.records if "another thread" in r.message]


def test_a_full_disk_says_so_and_keeps_the_model(window, qtbot, qtlog, tmp_path, monkeypatch, tiny_mnist):
    real_save = keras.Model.save
    failures = [1]
    library = Path(window.library_dir())

    def full_disk(self, filepath, *args, **kwargs):
        if failures[0] and Path(filepath).parent == library:  # the library's disk is full
            failures[0] -= 1
            with open(filepath, "wb") as f:
                f.write(b"partial")
            raise OSError(28, "No space left on device")
        return real_save(self, filepath, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", full_disk)
    warnings = []
    monkeypatch.setattr(gui.panels.training_panel, "warn", lambda widget, title, message: warnings.append(message))
    result = train_once(window, qtbot, tiny_mnist)
    assert "No space left on device" in result["save_error"] and "disk full" in result["save_error"]
    assert warnings and "Save model" in warnings[-1]
    folder = Path(window.library_dir())
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no half-written file left
    elsewhere = tmp_path / "elsewhere.keras"
    save_and_wait(window, qtbot, elsewhere)
    assert load_model(elsewhere).model.output_shape == (None, 10)
    assert not [r.message for r in qtlog.records if "another thread" in r.message]


def test_closing_the_window_while_training_stops_within_two_seconds(window, qtbot, tiny_mnist):
    from core.training.config import TrainConfig

    threads_before = {t.ident for t in threading.enumerate()}
    config = TrainConfig.for_arch("lenet5", epochs=50, batch_size=16, limit=len(tiny_mnist.x_train))
    assert window.train(config, tiny_mnist)
    qtbot.waitUntil(lambda: len(window.plots.train_x) > 0, timeout=60_000)  # mid-epoch
    started = time.perf_counter()
    window.close()
    seconds = time.perf_counter() - started
    print(f"\nwindow closed mid-training: stopped in {seconds:.2f} s")
    assert seconds < 2.0
    assert window.train_thread is None or not window.train_thread.isRunning()
    assert not window.engine_thread.isRunning()
    time.sleep(0.2)
    left = [t.name for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()]
    assert not left, left
