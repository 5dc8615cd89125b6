"""Saving and loading trained models: atomic writes, safe loads, metadata inside.

A model file is a standard Keras ``.keras`` archive with one more entry,
``studio.json``, which records what the model was trained on (architecture, dataset,
class names, settings, test accuracy, history, versions). Keras ignores that entry, so
the file loads in plain Keras too.
"""

from __future__ import annotations

import datetime as _dt
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from core.atomic import atomic_path

METADATA_ENTRY = "studio.json"
APP_VERSION = "0.1.0"


class ModelFileError(RuntimeError):
    """A model file cannot be read or written; the message says why and what to do."""


@dataclass
class LoadedModel:
    model: object
    path: Path
    metadata: dict = field(default_factory=dict)

    @property
    def class_names(self) -> list[str]:
        names = self.metadata.get("class_names")
        classes = int(self.model.outputs[0].shape[-1])
        if isinstance(names, list) and len(names) == classes:
            return [str(n) for n in names]
        return [str(i) for i in range(classes)]

    @property
    def description(self) -> str:
        m = self.metadata
        text = m.get("arch_name") or self.model.name
        if m.get("dataset"):
            from core.data.datasets import DATASETS

            info = DATASETS.get(m["dataset"])
            text += f" on {info.name if info else m['dataset']}"
        if isinstance(m.get("test_accuracy"), (int, float)):
            text += f", {100 * m['test_accuracy']:.2f}% test accuracy"
        return text


NORMALIZATION_TEXT = {
    "unit": "pixels 0-255 in; the model's first layer scales them to [0, 1]",
    "symmetric": "pixels 0-255 in; the model's first layer scales them to [-1, 1]",
}


def build_metadata(result, class_names, arch_name: str | None = None) -> dict:
    """Metadata of a :class:`core.training.loop.TrainResult` for :func:`save_model`: what it
    was trained on and how, its size, its curves, its scores, where and with what."""
    import keras
    import tensorflow as tf

    from core.runtime.device import describe_device
    from core.models.registry import ARCHITECTURES
    from core.models.summary import summarize

    info = ARCHITECTURES.get(result.config.arch)
    try:
        macs = summarize(result.model).macs
    except Exception:  # a layer the counter does not know: the size is still useful
        macs = None
    train_accuracy = [v for v in result.history.get("accuracy", []) if v is not None]
    return {
        "arch": result.config.arch,
        "arch_name": arch_name or result.config.arch,
        "form": result.config.form,
        "dataset": result.config.dataset,
        "class_names": list(class_names),
        "input_shape": [int(d) for d in result.model.inputs[0].shape[1:]],
        "normalization": NORMALIZATION_TEXT.get(info.normalization if info else "", "pixels 0-255 in"),
        "params": int(result.model.count_params()),
        "macs": macs,
        "config": result.config.to_dict(),
        "train_accuracy": train_accuracy[-1] if train_accuracy else None,
        "device": describe_device(),
        "epochs_completed": result.epochs_completed,
        "stopped": result.stopped,
        "test_accuracy": result.test_accuracy,
        "test_loss": result.test_loss,
        "train_seconds": result.train_seconds,
        "images_per_second": result.images_per_second,
        "history": result.history,
        "schedule_epochs": result.schedule_epochs or result.config.epochs,
        "resumed_after": result.resumed_after or None,
        # Early stopping restored an earlier epoch's weights: the run goes on from that one.
        "state_epoch": getattr(result, "state_epoch", None),
        "fine_tune": result.fine_tune,
        "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "app_version": APP_VERSION,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
    }


def epoch_metadata(metadata: dict, epoch: int, last: int) -> dict:
    """The record of a run's weights after ``epoch`` (of ``last``), as the epoch scrubber
    shows them: its curves up to that epoch, and no test scores (they were measured on
    the last epoch's weights, not these)."""
    out = dict(metadata)
    history = metadata.get("history") if isinstance(metadata.get("history"), dict) else {}
    resumed = metadata.get("resumed_after") if isinstance(metadata.get("resumed_after"), int) else 0
    out["history"] = {k: list(v)[:epoch] for k, v in history.items() if isinstance(v, list)}
    accuracy = out["history"].get("accuracy") or []
    out.update(epochs_completed=epoch, test_accuracy=None, test_loss=None, stopped=False, state_epoch=None,
               train_accuracy=accuracy[-1] if accuracy else None, resumed_after=resumed if resumed < epoch else None,
               weights_of_epoch={"epoch": epoch, "of": last,
                                 "note": f"the weights after epoch {epoch} of the run's {last}, chosen with the "
                                         "epoch scrubber; its test accuracy was not measured"})
    return out


def save_model(model, path, metadata: dict | None = None, entries: dict[str, bytes] | None = None) -> Path:
    """Saves a model atomically: a temporary file in the same folder, then a rename.

    An existing file at ``path`` stays intact until the new one is complete. ``entries``
    are more files put in the archive (the training state, see :mod:`core.training.resume`).

    Raises:
        ModelFileError: when the folder cannot be written (read-only, full, missing).
    """
    path = Path(path).expanduser()
    if path.suffix != ".keras":
        raise ModelFileError(f"Model files end in .keras. Received: {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelFileError(f"Cannot write to {path.parent}: {e.strerror or e}. Choose another folder.") from e
    try:
        with atomic_path(path) as tmp:
            model.save(tmp, overwrite=True)
            if metadata is not None:
                with zipfile.ZipFile(tmp, "a") as archive:
                    archive.writestr(METADATA_ENTRY, json.dumps(metadata, indent=1, default=float))
            if entries:
                with zipfile.ZipFile(tmp, "a") as archive:
                    for name, data in entries.items():
                        archive.writestr(name, data)
    except OSError as e:
        raise ModelFileError(
            f"Could not save the model to {path}: {e.strerror or e}. "
            "Choose another folder (is the disk full or read-only?)."
        ) from e
    return path


def read_metadata(path) -> dict:
    """Returns the ``studio.json`` entry of a model file ({} when it has none)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if METADATA_ENTRY not in archive.namelist():
                return {}
            data = json.loads(archive.read(METADATA_ENTRY))
    except (OSError, zipfile.BadZipFile, ValueError, KeyError):
        return {}
    return data if isinstance(data, dict) else {}


def load_model(path) -> LoadedModel:
    """Loads a ``.keras`` model in Keras safe mode (no code from the file runs).

    Raises:
        ModelFileError: when the file is missing, not a Keras model, damaged, or
            needs code to load; the message says which.
    """
    import keras

    from core.runtime.device import load_tensorflow

    load_tensorflow()
    import core.models.deslant  # noqa: F401  (registers the layer, which digit models may hold)

    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelFileError(f"No model file at {path}.")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path.name} is not a Keras model (.keras archive): it may be damaged, "
            "truncated, or another kind of file."
        )
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except ValueError as e:
        if "safe_mode" in str(e) or "lambda" in str(e).lower():
            raise ModelFileError(
                f"{path.name} contains code (a Lambda layer) and was refused: "
                "model files are loaded in safe mode."
            ) from e
        raise ModelFileError(f"{path.name} could not be loaded: {e}") from e
    except Exception as e:  # Keras raises many kinds for damaged archives
        raise ModelFileError(f"{path.name} could not be loaded ({type(e).__name__}: {e}).") from e
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
        raise ModelFileError(
            f"{path.name} is not an image classifier: it needs one input of shape "
            "(height, width, channels)."
        )
    return LoadedModel(model=model, path=path, metadata=read_metadata(path))
