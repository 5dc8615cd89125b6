"""The training state a model file carries so that its run can go on: the weights as they
trained (auxiliary heads included) and the optimiser's variables, as a ``training_state.npz``
entry beside Keras's own. Written with NumPy's ``savez`` and read with
``allow_pickle=False``: no code in a file ever runs. See :mod:`core.training.resume`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from core.storage.modelio import ModelFileError

TRAINING_STATE_ENTRY = "training_state.npz"


def state_entry(state: dict) -> bytes:
    """``training_state.npz``'s bytes for a captured state (``weights``, ``optimizer``,
    ``optimizer_name``: see :func:`core.training.resume.capture`)."""
    arrays = {f"w{i:05d}": w for i, w in enumerate(state["weights"])}
    arrays.update({f"o{i:05d}": v for i, v in enumerate(state["optimizer"])})
    arrays["optimizer_name"] = np.array(state["optimizer_name"])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def has_state(path) -> bool:
    """Whether a model file can be resumed (cheap: reads the archive's index only)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return TRAINING_STATE_ENTRY in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def read_state_arrays(path: Path) -> tuple[list, list, str]:
    """The weights, the optimiser's variables and the optimiser's name a file holds.

    Raises:
        ModelFileError: the file was saved without its training state, or it is damaged.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            if TRAINING_STATE_ENTRY not in archive.namelist():
                raise ModelFileError(
                    f"{path.name} was saved without its optimiser state, so it cannot continue "
                    "where it stopped. Fine-tune it instead (its weights, a fresh optimiser).")
            with np.load(io.BytesIO(archive.read(TRAINING_STATE_ENTRY)), allow_pickle=False) as npz:
                names = sorted(npz.files)
                weights = [npz[n] for n in names if n.startswith("w")]
                optimizer = [npz[n] for n in names if n.startswith("o") and n != "optimizer_name"]
                optimizer_name = str(npz["optimizer_name"]) if "optimizer_name" in npz.files else ""
    except ModelFileError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, EOFError) as e:
        raise ModelFileError(f"The training state in {path.name} is damaged ({e}); fine-tune it instead.") from e
    return weights, optimizer, optimizer_name
