"""CIFAR-10 downloaded from the window as a person does it: the Download… button beside the
dataset (or Train ▸ Download CIFAR-10…), Download, Cancel, Download again. The "server" is a
fake urlopen serving a real archive slowly; tests never use the network."""

import io
import time
import urllib.request

import pytest

from tests.cifar import cifar10_archive
from tests.gui.userpath import button, choose, click_button, field, trigger


class SlowResponse(io.BytesIO):
    def __init__(self, body: bytes, status: int, pause: float):
        super().__init__(body)
        self.status, self.pause = status, pause
        self.headers = {"Content-Length": str(len(body))}

    def read(self, size=-1):
        time.sleep(self.pause)
        return super().read(size)


@pytest.fixture
def cifar10_server(tmp_path, monkeypatch):
    """Serves a small CIFAR-10 archive (honouring ``Range``) at the real address; returns
    the Range headers asked for."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    archive, digest = cifar10_archive(tmp_path)
    monkeypatch.setattr("core.data.datasets.CIFAR10_SHA256", digest)
    monkeypatch.setattr("core.data.download.CHUNK", 256)
    body, ranges = archive.read_bytes(), []

    def urlopen(request, timeout=None):
        assert request.full_url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
        asked = request.get_header("Range")
        ranges.append(asked)
        start = int(asked.split("=")[1].rstrip("-")) if asked else 0
        # The first download crawls (about 5 s), so that Cancel comes before its end.
        return SlowResponse(body[start:], 206 if start else 200, pause=0.02 if ranges[1:] else 0.5)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return ranges


def test_download_cancel_and_go_on_from_the_dataset_field(window, qtbot, cifar10_server):
    panel = window.settings
    choose(qtbot, field(panel, "Dataset"), "CIFAR-10 (not installed)")
    assert "not in Keras's cache" in panel.error_labels["dataset"].text()
    click_button(qtbot, panel, "Download")
    dialog = window.training.download_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    assert "170.5 MB" in dialog.intro.text() and "Not downloaded yet" in dialog.progress.format()
    click_button(qtbot, dialog, "Download")
    qtbot.waitUntil(lambda: " of " in dialog.progress.format(), timeout=10_000)
    click_button(qtbot, dialog, "Cancel")
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    assert dialog.progress.format().startswith("Cancelled:") and dialog.progress.value() > 0
    assert "not in Keras's cache" in panel.error_labels["dataset"].text()  # nothing half-unpacked
    with qtbot.waitSignal(dialog.downloaded, timeout=30_000):
        click_button(qtbot, dialog, "Download")  # goes on where it stopped
    assert cifar10_server[0] is None and cifar10_server[1].startswith("bytes=") and len(cifar10_server) == 2
    assert "CIFAR-10 is ready" in dialog.message.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    click_button(qtbot, dialog, "Close")
    assert not dialog.isVisible()
    datasets = field(panel, "Dataset")
    assert datasets.currentData() == "cifar10" and datasets.currentText() == "CIFAR-10"
    assert not panel.error_labels["dataset"].isVisible() and not panel.download_button.isVisible()
    assert button(window, "Start training").isEnabled()


def test_without_a_network_the_window_says_what_failed_and_where_to_put_the_files(window, qtbot, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # the network is refused in tests
    trigger(window, "Train > Download CIFAR-10")
    dialog = window.training.download_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    click_button(qtbot, dialog, "Download")
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert dialog.progress.format() == "Failed"
    assert "could not be downloaded" in dialog.message.text() and "extract it into" in dialog.message.text()
    click_button(qtbot, dialog, "Try again")  # still no network: the same clear message
    qtbot.waitUntil(lambda: not dialog.running and dialog.progress.format() == "Failed", timeout=20_000)
    assert "could not be downloaded" in dialog.message.text()
    click_button(qtbot, dialog, "Close")
    assert not dialog.isVisible()
