"""What a failed job says to the person who started it: one sentence that names the job
and what to do next, used by the window's workers, the sweeps and the command line."""

from __future__ import annotations


def describe_failure(error: BaseException, what: str = "Training failed") -> str:
    """A message for the user about ``error``, which ended the job ``what`` names
    ("Training failed", "Sweep failed", "Download failed"…).

    The errors this application raises on purpose already say what to do, and are told
    as they are; anything else is named with its type, after ``what``.
    """
    from core.training.config import SettingsError
    from core.data.datasets import DatasetUnavailableError
    from core.training.loop import TrainingDiverged, TrainingOutOfMemory

    if isinstance(error, SettingsError):
        return "Cannot train with these settings: " + "; ".join(
            f"{name.replace('_', ' ')} {message}" for name, message in error.errors.items()) + "."
    if isinstance(error, (DatasetUnavailableError, TrainingDiverged, TrainingOutOfMemory)):
        return str(error)
    name = type(error).__name__
    if isinstance(error, MemoryError) or name == "ResourceExhaustedError":
        return ("Out of memory: training stopped. Try a smaller batch size, "
                "or a smaller architecture.")
    return f"{what} ({name}: {error})."
