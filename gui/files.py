"""File dialogs of the window, in one place: they all open in the folder last used
(at first Documents, else the home folder) and give saved files their suffix."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

_last_folder: Path | None = None


def start_folder() -> Path:
    """Where a file dialog opens: the folder last used, else Documents when it exists,
    else the home folder."""
    if _last_folder is not None and _last_folder.is_dir():
        return _last_folder
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def _remember(path: str) -> None:
    global _last_folder
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    if folder.is_dir():
        _last_folder = folder


def with_suffix(path: str, suffix: str) -> str:
    """``path`` ending in ``suffix`` (added unless it is already there, in any case)."""
    return path if not suffix or path.lower().endswith(suffix.lower()) else path + suffix


def ask_open(parent: QWidget, title: str, filters: str) -> str | None:
    """Asks for an existing file; None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder()), filters)
    if not path:
        return None
    _remember(path)
    return path


def ask_save(parent: QWidget, title: str, name: str, filters: str, suffix: str = "") -> str | None:
    """Asks where to save a file proposed as ``name`` in :func:`start_folder`; the answer
    gets ``suffix`` when it lacks it. None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder() / name), filters)
    if not path:
        return None
    path = with_suffix(path, suffix)
    _remember(path)
    return path


def ask_folder(parent: QWidget, title: str, current: str = "") -> str | None:
    """Asks for a folder (starting at ``current`` when it exists); None when cancelled."""
    start = current if current and Path(current).is_dir() else str(start_folder())
    folder = QFileDialog.getExistingDirectory(parent, title, start)
    if not folder:
        return None
    _remember(folder)
    return folder
