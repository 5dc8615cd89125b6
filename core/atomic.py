"""Writing files so that a reader never sees half of one: every save of the application
(models, exports, tables, images) goes through :func:`atomic_path`."""

from __future__ import annotations

import os
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

_umask_lock = threading.Lock()


def default_file_mode() -> int:
    """The mode a new file gets here: ``0o666`` less the process's umask (``0o644`` for
    the usual umask 022), as ``open()`` would give it."""
    try:  # Linux says it without changing it
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # elsewhere: set and put back (the only way to read it)
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def _fsync_folder(folder: Path) -> None:
    """Makes a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yields a temporary file path beside ``path`` to write; when the block ends without
    an error the file is flushed to disk, given the normal mode for the user's umask, and
    renamed to ``path`` in one step (an existing file stays intact until then; the folder
    is flushed after the rename); otherwise the temporary file is removed.

    Raises:
        OSError: the folder cannot be created or written (read-only, full, missing).
    """
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:  # like mkstemp, but with the mode open() gives (mkstemp's is 0600)
        tmp = path.parent / f".{path.stem}-{secrets.token_hex(4)}{path.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        break
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        # Whatever the block did (a library may have replaced the file), the saved file
        # gets the mode any new file of the user's gets.
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` (UTF-8) to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(path).expanduser()


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Writes ``data`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path).expanduser()
