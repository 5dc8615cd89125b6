"""Exporting a trained model for use outside CNN Studio.

Three formats:

* ``keras``: the ``.keras`` file itself (with its training record), for Keras 3.
* ``savedmodel``: a TensorFlow SavedModel folder with one ``serve`` signature (TF
  Serving, ``tf.saved_model.load``).
* ``tflite``: a TensorFlow Lite flat buffer, for phones and small boards.

Every export is written next to its destination first and then moved into place, so an
existing file or folder there stays intact until the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from core.atomic import atomic_path
from core.storage.modelio import ModelFileError

FORMATS = {
    "keras": ("Keras model", ".keras"),
    "savedmodel": ("TensorFlow SavedModel (folder)", ""),
    "tflite": ("TensorFlow Lite", ".tflite"),
}


def export_model(source, destination, fmt: str) -> Path:
    """Exports the model file ``source`` to ``destination`` in format ``fmt``.

    Args:
        source: a ``.keras`` model file (loaded in safe mode).
        destination: the file (``keras``, ``tflite``) or folder (``savedmodel``) to write.
        fmt: one of :data:`FORMATS`.

    Returns:
        The path written.

    Raises:
        ValueError: for an unknown format.
        ModelFileError: when the source cannot be loaded or the destination written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}. Received: fmt={fmt!r}")
    source, destination = Path(source), Path(destination).expanduser()
    suffix = FORMATS[fmt][1]
    if suffix and destination.suffix != suffix:
        destination = destination.with_name(destination.name + suffix)
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=folder))
    except OSError as e:
        raise ModelFileError(f"Cannot write to {folder}: {e.strerror or e}. Choose another folder.") from e
    try:
        if fmt == "keras":
            staged = work / destination.name
            shutil.copyfile(source, staged)
        else:
            from core.runtime.device import graph_lock
            from core.storage.modelio import load_model

            saved = work / "savedmodel"
            with graph_lock:  # loading and exporting build graphs
                model = load_model(source).model
                model.export(str(saved), format="tf_saved_model", verbose=False)
                if fmt == "savedmodel":
                    staged = saved
                else:
                    staged = work / destination.name
                    staged.write_bytes(_tflite_bytes(saved))
        _move_into_place(staged, destination)
    except OSError as e:
        raise ModelFileError(
            f"Could not export to {destination}: {e.strerror or e}. "
            "Choose another folder (is the disk full or read-only?)."
        ) from e
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return destination


def _tflite_bytes(saved_model: Path) -> bytes:
    import tensorflow as tf

    try:
        return tf.lite.TFLiteConverter.from_saved_model(str(saved_model)).convert()
    except Exception as e:  # the converter raises its own kinds for unsupported layers
        raise ModelFileError(f"TensorFlow Lite cannot convert this model: {type(e).__name__}: {e}") from e


def _move_into_place(staged: Path, destination: Path) -> None:
    """Replaces ``destination`` by ``staged`` (same folder); an old folder goes only after
    the new one is in place."""
    if staged.is_dir():
        old = None
        if destination.exists():
            old = destination.with_name(f".{destination.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(destination, old)
        os.rename(staged, destination)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    else:
        with atomic_path(destination) as tmp:
            os.replace(staged, tmp)
