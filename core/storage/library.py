"""The model library: every trained run, kept as a ``.keras`` file in one folder.

The folder is ``library`` in the application's data directory — the directory Qt's
``QStandardPaths.AppDataLocation`` names for "CNN Studio" (on Linux
``~/.local/share/CNN Studio/CNN Studio``), so the window and scripts share it. The
environment variable ``CNN_STUDIO_LIBRARY`` puts it elsewhere (the tests use that).

Listing reads only each file's small ``studio.json`` entry (no TensorFlow): a damaged or
foreign file is listed with the reason it cannot be used, never raised.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from core.paths import library_dir
from core.storage.modelio import METADATA_ENTRY, ModelFileError, save_model

MODEL_SUFFIX = ".keras"
#: What a Keras 3 ``.keras`` archive always holds.
KERAS_ENTRIES = ("config.json", "model.weights.h5")
MAX_NAME_LENGTH = 120


@dataclass
class LibraryEntry:
    """One file of the library folder.

    Attributes:
        path: the file.
        metadata: its ``studio.json`` ({} for a Keras model made elsewhere).
        error: why it cannot be used, or None.
        resumable: whether it holds what going on with its run needs (:mod:`core.training.resume`).
    """

    path: Path
    metadata: dict = field(default_factory=dict)
    error: str | None = None
    resumable: bool = False

    @property
    def name(self) -> str:
        return self.path.stem if self.path.suffix == MODEL_SUFFIX else self.path.name

    @property
    def readable(self) -> bool:
        return self.error is None

    def history(self, key: str) -> list[float]:
        values = (self.metadata.get("history") or {}).get(key) or []
        return [float(v) for v in values if isinstance(v, (int, float))]

    def number(self, key: str) -> float | None:
        value = self.metadata.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def saved_at(self) -> _dt.datetime:
        text = self.metadata.get("saved_at")
        if isinstance(text, str):
            try:
                return _dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        return _dt.datetime.fromtimestamp(self.path.stat().st_mtime, _dt.timezone.utc)


def read_entry(path: Path) -> LibraryEntry:
    """Reads what the library needs of one file; problems go into ``error``."""
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        return LibraryEntry(path, error="not a model file (model files end in .keras)")
    try:
        if path.stat().st_size == 0:
            return LibraryEntry(path, error="the file is empty (a save was interrupted?)")
        if not zipfile.is_zipfile(path):
            return LibraryEntry(path, error="not a Keras model archive: damaged, truncated or another "
                                            "kind of file")
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [n for n in KERAS_ENTRIES if n not in names]
            if missing:
                return LibraryEntry(path, error=f"not a Keras model: it has no {', '.join(missing)}")
            if METADATA_ENTRY not in names:
                return LibraryEntry(path, {})  # a Keras model made elsewhere: usable
            metadata = json.loads(archive.read(METADATA_ENTRY))
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        return LibraryEntry(path, error=f"cannot be read: {getattr(e, 'strerror', None) or e}")
    except (ValueError, UnicodeDecodeError):
        return LibraryEntry(path, error="its training record (studio.json) is damaged")
    if not isinstance(metadata, dict):
        return LibraryEntry(path, error="its training record (studio.json) is damaged")
    from core.storage.training_state import TRAINING_STATE_ENTRY

    return LibraryEntry(path, metadata, resumable=TRAINING_STATE_ENTRY in names)


def list_models(folder: str | os.PathLike | None = None) -> list[LibraryEntry]:
    """Every file in the library folder, newest first; a missing folder is empty.

    Hidden files (names starting with a dot: saves in progress) and folders are left out.
    """
    folder = Path(folder) if folder is not None else library_dir()
    try:
        paths = [p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file()]
    except FileNotFoundError:
        return []
    except OSError as e:
        raise ModelFileError(f"Cannot read the library folder {folder}: {e.strerror or e}.") from e
    entries = [read_entry(p) for p in paths]
    entries.sort(key=lambda e: (e.saved_at if e.readable else _mtime(e.path)), reverse=True)
    return entries


def _mtime(path: Path) -> _dt.datetime:
    try:
        return _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc)
    except OSError:
        return _dt.datetime.fromtimestamp(0, _dt.timezone.utc)


def run_name(metadata: dict, when: _dt.datetime | None = None) -> str:
    """A file name (without ``.keras``) for a run: ``lenet5-mnist-20261123-174502``."""
    when = when or _dt.datetime.now()
    arch = str(metadata.get("arch") or "model")
    if arch.startswith("network:"):  # a network file: its name
        arch = str(metadata.get("arch_name") or Path(arch[len("network:"):]).stem)
    dataset = str(metadata.get("dataset") or "")
    dataset = Path(dataset).name if ("/" in dataset or os.sep in dataset) else dataset  # a folder of images
    stem = "-".join(p for p in (arch, dataset, when.strftime("%Y%m%d-%H%M%S")) if p)
    return _safe(stem)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.+-]", "_", text)


def free_path(folder: Path, stem: str) -> Path:
    """``folder/stem.keras``, or ``stem-2.keras``… when taken."""
    path = folder / f"{stem}{MODEL_SUFFIX}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{MODEL_SUFFIX}"
        n += 1
    return path


def worth_keeping(epochs_completed: int) -> bool:
    """Whether a run goes into the library: one stopped before its first full epoch has
    barely trained (the window and the CLI say so, and ``--save`` or Ctrl+S still save it)."""
    return epochs_completed >= 1


def save_run(model, metadata: dict, folder: str | os.PathLike | None = None,
             entries: dict[str, bytes] | None = None) -> Path:
    """Saves a trained model into the library (atomically) under a new name.

    Raises:
        ModelFileError: when the folder cannot be written; nothing is lost (the model is
            still in memory: save it elsewhere).
    """
    folder = Path(folder) if folder is not None else library_dir()
    return save_model(model, free_path(folder, run_name(metadata)), metadata, entries)


@dataclass
class FinishedRun:
    """Where a finished (or stopped) run went.

    Attributes:
        metadata: its training record (:func:`core.storage.modelio.build_metadata`).
        kept: whether it was worth a place in the library (:func:`worth_keeping`).
        library_path: its file in the library, or None.
        library_error: why it could not be saved there, or None.
        entries: what the model file holds besides the model (its training state, so
            that the run can go on: see :mod:`core.training.resume`); for another copy.
    """

    metadata: dict
    kept: bool
    library_path: str | None = None
    library_error: str | None = None
    entries: dict | None = None


def finish_run(result, class_names, folder: str | os.PathLike | None = None, library: bool = True,
               lock=None, extra: dict | None = None) -> FinishedRun:
    """What follows every run, from the window or the command line: its record, and its
    place in the library (``folder``, default :func:`library_dir`) when it is worth one.

    Args:
        result: the :class:`core.training.loop.TrainResult`.
        class_names: the dataset's class names.
        library: False to leave the library alone (``--no-library``).
        lock: held while saving (the window's graph lock), or None.
        extra: more of the record (a sweep's tag, say).
    """
    from contextlib import nullcontext

    from core.storage.modelio import ModelFileError, build_metadata
    from core.models.registry import get_arch

    metadata = {**build_metadata(result, class_names, get_arch(result.config.arch).name), **(extra or {})}
    from core.storage.training_state import TRAINING_STATE_ENTRY, state_entry

    run = FinishedRun(metadata, worth_keeping(result.epochs_completed))
    if result.training_state:
        run.entries = {TRAINING_STATE_ENTRY: state_entry(result.training_state)}
    if library and run.kept:
        try:
            with lock or nullcontext():
                run.library_path = str(save_run(result.model, run.metadata, folder, run.entries))
        except ModelFileError as e:  # the model is still in memory: it can be saved elsewhere
            run.library_error = str(e)
    return run


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a model's name, or None."""
    if not name.strip():
        return "The name is empty."
    if name != name.strip():
        return "The name cannot start or end with a space."
    if name.startswith("."):
        return "The name cannot start with a dot."
    if any(c in name for c in '/\\:*?"<>|') or any(ord(c) < 32 for c in name):
        return 'The name cannot contain / \\ : * ? " < > | or control characters.'
    if len(name) > MAX_NAME_LENGTH:
        return f"The name is too long ({len(name)} characters; at most {MAX_NAME_LENGTH})."
    return None


def rename(path: str | os.PathLike, name: str) -> Path:
    """Renames a library file to ``name`` + ``.keras`` in the same folder (atomic).

    Raises:
        ModelFileError: for a bad name, a name already taken, or a failed rename.
    """
    path = Path(path)
    if name.endswith(MODEL_SUFFIX):
        name = name[: -len(MODEL_SUFFIX)]
    problem = check_name(name)
    if problem:
        raise ModelFileError(problem)
    target = path.with_name(name + MODEL_SUFFIX)
    if target == path:
        return path
    if target.exists():
        raise ModelFileError(f"A model named {name!r} already exists: choose another name.")
    try:
        os.rename(path, target)
    except OSError as e:
        raise ModelFileError(f"Could not rename {path.name}: {e.strerror or e}.") from e
    return target


def delete(path: str | os.PathLike) -> None:
    """Deletes a library file.

    Raises:
        ModelFileError: when it cannot be deleted.
    """
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return
    except OSError as e:
        raise ModelFileError(f"Could not delete {Path(path).name}: {e.strerror or e}.") from e
