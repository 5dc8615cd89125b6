"""Downloads through Keras's get_file with progress, Cancel and resume, on local files and
a fake server only (tests never use the network)."""

import io
import urllib.error
import urllib.request

import pytest

from core.data.datasets import CIFAR10_FILES, availability, download_cifar10, load_dataset
from core.data.download import DownloadCancelled, partial_file, resumable_retrieve
from tests.cifar import cifar10_archive

PAYLOAD = bytes(range(256)) * 1000  # 256,000 bytes


class FakeResponse(io.BytesIO):
    """What urlopen returns for an HTTP server that honours ``Range``."""

    def __init__(self, body: bytes, status: int):
        super().__init__(body)
        self.status = status
        self.headers = {"Content-Length": str(len(body))}


def fake_server(requests, honour_range=True, cut_after=None):
    def urlopen(request, timeout=None):
        asked = request.get_header("Range")
        requests.append(asked)
        start = int(asked.split("=")[1].rstrip("-")) if asked and honour_range else 0
        body = PAYLOAD[start:]
        response = FakeResponse(body, 206 if start else 200)
        if cut_after is not None and len(requests) == 1:  # the connection drops
            response = FakeResponse(body[:cut_after], 200)
            response.headers = {"Content-Length": str(len(body))}
        return response
    return urlopen


def test_a_cancelled_download_goes_on_where_it_stopped(tmp_path, monkeypatch):
    requests = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_server(requests))
    target = tmp_path / "file.bin"
    seen = []

    def cancel_after_100k():
        return bool(seen) and seen[-1][0] >= 100_000

    with pytest.raises(DownloadCancelled):
        resumable_retrieve("https://example.org/f", str(target), on_progress=lambda *a: seen.append(a),
                           should_stop=cancel_after_100k)
    kept = (tmp_path / "file.bin.part").stat().st_size
    assert 100_000 <= kept < len(PAYLOAD) and not target.exists()
    hook = []
    resumable_retrieve("https://example.org/f", str(target), lambda *a: hook.append(a),
                       on_progress=lambda *a: seen.append(a))
    assert target.read_bytes() == PAYLOAD and not (tmp_path / "file.bin.part").exists()
    assert requests == [None, f"bytes={kept}-"]
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    # Keras's own progress bar is fed as urlretrieve feeds it: blocks × block size, total.
    assert hook[-1][0] * hook[-1][1] == len(PAYLOAD) and hook[-1][2] == len(PAYLOAD)


def test_a_dropped_connection_keeps_what_came_and_a_server_without_ranges_restarts(tmp_path, monkeypatch):
    requests = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_server(requests, cut_after=50_000))
    target = tmp_path / "file.bin"
    with pytest.raises(urllib.error.ContentTooShortError, match="goes on from there"):
        resumable_retrieve("https://example.org/f", str(target))
    assert (tmp_path / "file.bin.part").stat().st_size == 50_000
    monkeypatch.setattr(urllib.request, "urlopen", fake_server(requests, honour_range=False))
    resumable_retrieve("https://example.org/f", str(target))
    assert target.read_bytes() == PAYLOAD  # the whole file again, not appended


def serve_cifar10_locally(tmp_path, monkeypatch):
    archive, digest = cifar10_archive(tmp_path)
    monkeypatch.setattr("core.data.datasets.CIFAR10_ORIGIN", archive.as_uri())
    monkeypatch.setattr("core.data.datasets.CIFAR10_SHA256", digest)
    return archive


def test_cifar10_downloads_through_get_file_into_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    archive = serve_cifar10_locally(tmp_path, monkeypatch)
    assert availability("cifar10") is not None
    seen = []
    folder = download_cifar10(on_progress=lambda done, total: seen.append((done, total)))
    assert sorted(p.name for p in folder.iterdir()) == sorted(CIFAR10_FILES)
    assert seen[-1] == (archive.stat().st_size, archive.stat().st_size)
    assert availability("cifar10") is None and load_dataset("cifar10").x_test.shape == (12, 32, 32, 3)
    assert not list((tmp_path / "keras").rglob("*.part"))


def test_a_cancelled_cifar10_download_is_not_an_error_and_keeps_nothing_half_done(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    serve_cifar10_locally(tmp_path, monkeypatch)
    monkeypatch.setattr("core.data.download.CHUNK", 64)
    with pytest.raises(DownloadCancelled):
        download_cifar10(should_stop=lambda: True)
    assert availability("cifar10") is not None
    archive_target = tmp_path / "keras" / "datasets" / "cifar-10-batches-py-target_archive"
    assert not archive_target.exists()  # get_file never sees a half-fetched archive…
    assert (tmp_path / "keras" / "datasets" / partial_file(archive_target.name)).exists()  # …kept for next time
