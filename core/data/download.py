"""Downloads that the user asked for, through Keras's own ``keras.utils.get_file`` (its
cache folder, checksum and extraction), with progress, Cancel and resume.

``get_file`` moves the bytes with ``urllib.request.urlretrieve``, which can neither be
cancelled nor resumed, and deletes what it fetched when it fails. Within
:func:`resumable_transfers`, its transfer goes through :func:`resumable_retrieve` instead:
the same urllib request, written to ``<file>.part`` and continued with an HTTP ``Range``
request the next time (a server that ignores the range sends the whole file again), and
renamed to the file ``get_file`` expects only when complete. Everything else is
``get_file``'s.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Callable

#: Bytes read between two looks at Cancel (and two progress reports).
CHUNK = 1 << 16
#: Seconds without a byte from the server before the download fails.
TIMEOUT = 30

ProgressCallback = Callable[[int, int], None]  # (bytes so far, total or -1)


class DownloadCancelled(Exception):
    """The user cancelled the download; what was fetched is kept for the next attempt."""


def partial_file(filename) -> str:
    """Where an unfinished download of ``filename`` is kept."""
    return f"{filename}.part"


def resumable_retrieve(url: str, filename, reporthook=None, data=None, *,
                       on_progress: ProgressCallback | None = None,
                       should_stop: Callable[[], bool] | None = None):
    """``urllib.request.urlretrieve``'s contract (``reporthook(blocks, block_size, total)``),
    continuing a partial file and stopping when ``should_stop()`` turns True.

    Raises:
        DownloadCancelled: ``should_stop()`` returned True (the partial file is kept).
        urllib.error.URLError, OSError: the transfer failed (the partial file is kept).
    """
    import urllib.error
    import urllib.request

    part = partial_file(filename)
    start = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, data=data, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not start:
            raise
        response = None  # 416: the range starts at the end, so the partial file is whole
    if response is None:
        done = total = start
    else:
        with response:
            status = getattr(response, "status", None)
            if start and status != 206:
                start = 0  # the server sends the whole file: start again
            length = response.headers.get("Content-Length")
            total = start + int(length) if length and length.isdigit() else -1
            done = start
            with open(part, "ab" if start else "wb") as out:
                while True:
                    if should_stop is not None and should_stop():
                        raise DownloadCancelled(f"Cancelled after {done:,} bytes; the next download goes on from there.")
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if reporthook is not None:
                        reporthook(done, 1, total)
                    if on_progress is not None:
                        on_progress(done, total)
    if 0 <= total != done:
        raise urllib.error.ContentTooShortError(
            f"The connection ended after {done:,} of {total:,} bytes; the next download goes on from there.", None)
    os.replace(part, filename)
    if on_progress is not None:
        on_progress(done, total)
    return filename, None


_one_at_a_time = threading.Lock()


@contextmanager
def resumable_transfers(on_progress: ProgressCallback | None = None,
                        should_stop: Callable[[], bool] | None = None):
    """Within it, ``keras.utils.get_file`` transfers through :func:`resumable_retrieve`.

    One download at a time (the hook is Keras's module-level name); without that name (a
    Keras that moved it), ``get_file`` runs as it is: no Cancel, no resume, its own progress.
    """
    from keras.src.utils import file_utils  # get_file's module: it calls urlretrieve by this name

    with _one_at_a_time:
        original = getattr(file_utils, "urlretrieve", None)
        if original is None:
            yield
            return

        def retrieve(url, filename, reporthook=None, data=None):
            return resumable_retrieve(url, filename, reporthook, data, on_progress=on_progress,
                                      should_stop=should_stop)

        file_utils.urlretrieve = retrieve
        try:
            yield
        finally:
            file_utils.urlretrieve = original
