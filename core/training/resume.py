"""Resuming a run where it stopped, and fine-tuning a trained model on another dataset.

A model file of the library (and a checkpoint) holds, besides the inference model, a
``training_state.npz`` entry: the weights of the model as it trained (auxiliary heads
included) and the optimiser's variables (its step count, hence the schedule's position,
and its moments). With the run's record in ``studio.json`` (settings, history, epochs
completed) that is all resuming needs::

    config = resume_config("lenet5-mnist-20261124-101500.keras", epochs=2)
    result = run_training(config)      # epochs 3 and 4 of the same run

Fine-tuning starts from a model's weights with a fresh optimiser, on any dataset whose
images have the same shape; layers whose shapes differ (the classifier, for a dataset
with another number of classes) start afresh::

    config = finetune_config("lenet5-mnist.keras", dataset="fashion_mnist", epochs=3)

The arrays are stored with NumPy's ``savez`` and read with ``allow_pickle=False``: no code
in a file ever runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.storage.modelio import ModelFileError, read_metadata
from core.storage.training_state import has_state, read_state_arrays



@dataclass
class TrainingState:
    """What a run needs to go on exactly where it stopped.

    Attributes:
        weights: the training model's weights (``model.get_weights()`` order).
        optimizer: the optimiser's variables (``optimizer.variables`` order).
        optimizer_name: the optimiser's class name (``Adam``, ``SGD``…), a check.
        epochs_completed: full epochs trained so far.
        schedule_epochs: the length of the learning-rate schedule, in epochs.
        history: the per-epoch curves so far.
        config: the run's settings (a dict of :class:`core.training.config.TrainConfig`).
    """

    weights: list
    optimizer: list
    optimizer_name: str = ""
    epochs_completed: int = 0
    schedule_epochs: int = 0
    history: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


def resumable_epoch(metadata: dict) -> int | None:
    """The epochs completed by the weights and optimiser state a run goes on from: its
    ``epochs_completed``, or the best epoch's when early stopping restored that one
    (``state_epoch``). None when the record does not say."""
    completed = metadata.get("epochs_completed")
    if not isinstance(completed, int) or isinstance(completed, bool):
        return None
    restored = metadata.get("state_epoch")
    if isinstance(restored, int) and not isinstance(restored, bool) and 1 <= restored < completed:
        return restored
    return completed


def capture(model) -> dict | None:
    """The weights and optimiser variables of a compiled model, as NumPy copies (None when
    they cannot be read, e.g. a model spread over a cluster)."""
    try:
        optimizer = model.optimizer
        return {
            "weights": [np.array(w) for w in model.get_weights()],
            "optimizer": [np.array(v) for v in optimizer.variables],
            "optimizer_name": type(optimizer).__name__,
        }
    except Exception:  # noqa: BLE001 - the model is still saved, only not resumable
        return None


def read_state(path) -> TrainingState:
    """Reads what resuming a model file needs.

    Raises:
        ModelFileError: when the file is missing, damaged, or was saved without its
            training state (then it can still be fine-tuned); the message says which.
    """
    path = Path(path).expanduser()
    metadata = read_metadata(path) if path.is_file() else {}
    if not path.is_file():
        raise ModelFileError(f"No model file at {path}.")
    weights, optimizer, optimizer_name = read_state_arrays(path)
    config = metadata.get("config")
    completed = resumable_epoch(metadata)
    if not isinstance(config, dict) or not isinstance(completed, int) or completed < 1:
        raise ModelFileError(f"{path.name} has no record of its run (settings, epochs), so it cannot "
                             "continue; fine-tune it instead.")
    history = metadata.get("history") if isinstance(metadata.get("history"), dict) else {}
    history = {k: [float(v) for v in vs][:completed] for k, vs in history.items() if isinstance(vs, list)}
    schedule = metadata.get("schedule_epochs")
    return TrainingState(weights, optimizer, optimizer_name, completed,
                         schedule if isinstance(schedule, int) else int(config.get("epochs") or completed),
                         history, config)


def _config_from(record: dict, **overrides):
    """A :class:`core.training.config.TrainConfig` from a saved record (unknown keys left out)."""
    from core.training.config import TrainConfig

    known = set(TrainConfig.field_names())
    values = {k: v for k, v in record.items() if k in known}
    values.update(overrides)
    return TrainConfig(**values)


def resume_config(path, epochs: int | None = None, **overrides):
    """The settings that continue a saved run for ``epochs`` more epochs (default: what
    is left of its schedule, when it was stopped).

    Everything else is the run's own (architecture, dataset and its split, optimiser,
    schedule, seed…); ``overrides`` may change where it runs (``device``, ``checkpoint``).
    Reads only the file's record: the arrays are read when training starts.

    Raises:
        ModelFileError: the file cannot be resumed; the message says why.
        ValueError: other settings in ``overrides``, or no ``epochs`` for a finished run.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelFileError(f"No model file at {path}.")
    if not has_state(path):
        raise ModelFileError(
            f"{path.name} was saved without its optimiser state, so it cannot continue where it "
            "stopped. Fine-tune it instead (its weights, a fresh optimiser).")
    metadata = read_metadata(path)
    record, completed = metadata.get("config"), resumable_epoch(metadata)
    if not isinstance(record, dict) or not isinstance(completed, int) or completed < 1:
        raise ModelFileError(f"{path.name} has no record of its run (settings, epochs), so it cannot "
                             "continue; fine-tune it instead.")
    allowed = {"device", "checkpoint", "tensorboard", "mixed_precision"}
    unknown = set(overrides) - allowed
    if unknown:
        raise ValueError(f"A resumed run keeps its own settings; only {', '.join(sorted(allowed))} "
                         f"may change. Received: {', '.join(sorted(unknown))}")
    left = remaining_epochs(path)
    if epochs is None:
        epochs = left
        if epochs < 1:
            raise ValueError(f"{path.name} finished its {completed} epochs: say how many more to train "
                             "(--epochs N)")
    record = {k: v for k, v in record.items() if k not in ("resume", "start_from", "checkpoint")}
    if record.get("strategy") == "multiworker":  # the cluster is gone: go on here
        record.update(strategy="default", workers=[], worker_index=0)
    if not left:
        record.update(new_schedule(metadata, completed) or {})
    return _config_from(record, epochs=epochs, resume=str(path),
                        **{k: v for k, v in overrides.items() if v is not None})


def new_schedule(metadata: dict, completed: int) -> dict | None:
    """The settings of the schedule a finished run trains on with: a cosine from the rate it
    ended at, beginning at epoch ``completed`` (None where its own rate stays put: a
    constant rate, or one that only plateaus lowered). Lengthening its old schedule instead
    would jump the rate back up (a cosine at its end is at 1% of its base; the same cosine
    made longer is back at a third or more)."""
    from core.training.schedules import COSINE_FLOOR, learning_rate_at

    config = metadata.get("config") if isinstance(metadata.get("config"), dict) else {}
    kind = config.get("schedule")
    if kind not in ("cosine", "step") and not config.get("warmup"):
        return None
    rates = (metadata.get("history") or {}).get("learning_rate") if isinstance(metadata.get("history"), dict) else None
    if isinstance(rates, list) and len(rates) >= completed and rates[completed - 1] is not None:
        ended = float(rates[completed - 1])
    else:  # the end of its schedule, as computed
        planned = int(metadata.get("schedule_epochs") or config.get("epochs") or completed)
        ended = learning_rate_at(kind, float(config.get("learning_rate") or 1e-3), planned - 1, planned)
    if not ended > 0:
        ended = float(config.get("learning_rate") or 1e-3) * COSINE_FLOOR
    return {"schedule": "cosine", "learning_rate": ended, "warmup": 0, "schedule_start": completed}


def describe_new_schedule(config) -> str | None:
    """What a resumed run's new schedule is, for the person who continues it (None when
    the run goes on with its own)."""
    from core.training.schedules import COSINE_FLOOR

    if not config.resume or not config.schedule_start:
        return None
    return (f"its schedule had ended, so the {config.epochs} more epoch(s) follow a new cosine schedule from the "
            f"rate it ended at, {config.learning_rate:.3g}, down to {config.learning_rate * COSINE_FLOOR:.3g}")


def remaining_epochs(path) -> int:
    """Epochs left in a saved run's schedule (0 when it finished them)."""
    metadata = read_metadata(path)
    config = metadata.get("config") if isinstance(metadata.get("config"), dict) else {}
    completed = resumable_epoch(metadata) or 0
    planned = metadata.get("schedule_epochs") or config.get("epochs") or 0
    return max(0, int(planned) - completed)


def finetune_config(path, dataset: str, epochs: int | None = None, **overrides):
    """The settings that train a saved model's weights further on ``dataset``, with a
    fresh optimiser: the architecture's defaults (augmentation as suits the dataset), a
    tenth of its learning rate, and its deslanting (the weights learned with it or without
    it), unless ``overrides`` says otherwise.

    Raises:
        ModelFileError: the file has no record of its architecture.
    """
    from core.training.config import TrainConfig

    path = Path(path).expanduser()
    record = read_metadata(path) if path.is_file() else None
    if record is None:
        raise ModelFileError(f"No model file at {path}.")
    config = record.get("config") if isinstance(record.get("config"), dict) else {}
    arch = record.get("arch") or config.get("arch")
    if not arch:
        raise ModelFileError(f"{path.name} does not say which architecture it is, so it cannot be "
                             "fine-tuned here.")
    defaults = TrainConfig.for_arch(arch, dataset=dataset)
    values = dict(form=config.get("form", record.get("form", defaults.form)), options=config.get("options", {}),
                  dataset=dataset, epochs=epochs or max(1, defaults.epochs // 2),
                  learning_rate=defaults.learning_rate / 10, start_from=str(path),
                  deslant=bool(config.get("deslant", False)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.for_arch(arch, **values)  # its warm-up fits the epochs


def check_resumable(state: TrainingState, config) -> None:
    """Raises ``ValueError`` when ``config`` is not the saved run's (architecture, form,
    options, optimiser, dataset)."""
    for key in ("arch", "form", "options", "optimizer", "dataset"):
        if key in state.config and state.config[key] != getattr(config, key):
            raise ValueError(f"the saved run has {key} {state.config[key]!r}, not {getattr(config, key)!r}")


def restore_weights(model, state: TrainingState) -> None:
    """Puts the saved training weights into a freshly built model of the same run.

    Raises:
        ValueError: when they do not fit (another architecture or dataset shape).
    """
    current = model.get_weights()
    if len(current) != len(state.weights) or any(a.shape != b.shape for a, b in zip(current, state.weights)):
        raise ValueError("its saved weights do not fit this architecture and dataset")
    model.set_weights(state.weights)


def restore_optimizer(optimizer, state: TrainingState) -> None:
    """Puts the saved optimiser variables (step, moments, learning rate) back; the
    optimiser must be built.

    Raises:
        ValueError: when they do not fit (another optimiser or model).
    """
    variables = optimizer.variables
    if len(variables) != len(state.optimizer) or any(
            tuple(v.shape) != a.shape for v, a in zip(variables, state.optimizer)):
        raise ValueError(f"its saved {state.optimizer_name or 'optimiser'} state does not fit this "
                         f"{type(optimizer).__name__}")
    for variable, value in zip(variables, state.optimizer):
        variable.assign(value.astype(variable.dtype) if hasattr(variable, "dtype") else value)


def start_from_weights(model, path) -> tuple[int, int]:
    """Copies a saved model's weights into ``model``, layer by layer (matched by name),
    wherever the shapes agree: the start of a fine-tuning run.

    Returns:
        How many layers with weights were copied, and how many start afresh.

    Raises:
        ModelFileError: the file cannot be loaded, or no layer fits.
    """
    from core.storage.modelio import load_model

    source = load_model(path).model
    by_name = {layer.name: layer for layer in source.layers}
    copied = fresh = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        other = by_name.get(layer.name)
        theirs = other.get_weights() if other is not None else None
        mine = layer.get_weights()
        if theirs is not None and len(theirs) == len(mine) and all(a.shape == b.shape for a, b in zip(theirs, mine)):
            layer.set_weights(theirs)
            copied += 1
        else:
            fresh += 1
    if not copied:
        raise ModelFileError(f"No layer of {Path(path).name} fits this architecture and dataset: "
                             "there is nothing to fine-tune from.")
    return copied, fresh


def state_for(config):
    """The saved state that ``config.resume`` names, checked against the config."""
    from core.training.config import SettingsError

    try:
        state = read_state(config.resume)
        check_resumable(state, config)
    except (ModelFileError, ValueError) as e:
        raise SettingsError({"resume": str(e)}) from e
    return state


def put_start_weights(model, config, state) -> dict | None:
    """Puts the resumed run's weights, or the fine-tuned model's, into a new model.

    Returns:
        For fine-tuning: where from, and how many layers were copied and start afresh.
    """
    from core.training.config import SettingsError

    if state is not None:
        try:
            restore_weights(model, state)
        except ValueError as e:
            raise SettingsError({"resume": f"cannot go on from {config.resume}: {e}"}) from e
        return None
    if config.start_from:
        try:
            copied, fresh = start_from_weights(model, config.start_from)
        except ModelFileError as e:
            raise SettingsError({"start_from": str(e)}) from e
        return {"from": config.start_from, "layers_copied": copied, "layers_fresh": fresh}
    return None
