"""Networks of one's own, in Keras's own format: a model config, as ``model.to_json()``
writes it and ``keras.models.model_from_json`` reads it.

A network file is checked before anything is built from it: it may hold only Keras's own
layers (and this studio's ``Deslant``), never a ``Lambda`` or a custom object, since those
would run code from the file. A network that does not fit together (a convolution larger
than its input, an ``Add`` of two shapes) is refused with the layer named.

A network is an architecture like the zoo's: its id is ``network:PATH`` (see
:func:`core.models.registry.get_arch` and :func:`core.models.registry.build_model`).

    text = network_text(build_model("lenet5", form="compact"))  # core.models.registry
    model = network_model(text)
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from core.models.keras_config import layer_inputs, named_entries

#: The prefix of a network file's architecture id.
NETWORK_PREFIX = "network:"
#: The objects of this studio a network file may name (no code of the file runs).
OWN_OBJECTS = {"cnn_studio>Deslant"}
#: Layers that hold code, refused whatever their module says.
CODE_LAYERS = {"Lambda", "TFOpLambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}
#: The largest network file read.
MAX_BYTES = 20_000_000


class NetworkError(ValueError):
    """A network file that cannot be used; the message says why (and which layer)."""


def is_network(arch_id: str) -> bool:
    return str(arch_id).startswith(NETWORK_PREFIX)


def network_path(arch_id: str) -> Path:
    """The file of a ``network:PATH`` architecture id."""
    return Path(str(arch_id)[len(NETWORK_PREFIX):])


def network_id(path) -> str:
    """The architecture id of a network file (its absolute path)."""
    return NETWORK_PREFIX + str(Path(path).expanduser().resolve())


def read_network(source) -> dict:
    """A network's config from a file (Keras JSON, or a ``.keras`` model's architecture), a
    JSON text or a dict, checked to run no code.

    Raises:
        NetworkError: a file that cannot be read, bad JSON, not a Keras model config, or
            one that holds a ``Lambda`` or a custom object (the layer is named).
    """
    if isinstance(source, dict):
        config = source
    else:
        text = source
        if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            path = Path(source).expanduser()
            try:
                if path.suffix == ".keras":  # a saved model: the architecture in its archive
                    with zipfile.ZipFile(path) as archive:
                        text = archive.read("config.json").decode("utf-8")
                elif path.stat().st_size > MAX_BYTES:
                    raise NetworkError(f"{path}: {path.stat().st_size / 1e6:.0f} MB is too large for a network file.")
                else:
                    text = path.read_text(encoding="utf-8")
            except (KeyError, zipfile.BadZipFile) as e:
                raise NetworkError(f"{path}: not a Keras model file ({e}).") from None
            except FileNotFoundError:
                raise NetworkError(f"{path}: no such file.") from None
            except (OSError, UnicodeDecodeError) as e:
                raise NetworkError(f"{path}: cannot be read ({getattr(e, 'strerror', None) or e}).") from None
        try:
            config = json.loads(text)
        except json.JSONDecodeError as e:
            raise NetworkError(f"not a network file: bad JSON at line {e.lineno}, column {e.colno} ({e.msg}).") from None
    if isinstance(config, dict) and "compile_config" in config:
        # How a saved model was trained (its optimiser, loss) is not its architecture.
        config = {k: v for k, v in config.items() if k != "compile_config"}
    if not isinstance(config, dict) or config.get("class_name") not in ("Functional", "Sequential", "Model") \
            or not isinstance(config.get("config"), dict):
        raise NetworkError("not a network file: expected a Keras model config (what model.to_json() writes), "
                           "with class_name Functional or Sequential.")
    _check_safe(config, "the network")
    return config


def _check_safe(node, where: str) -> None:
    """Refuses anything in a config that would run code or import a module of the file's."""
    if isinstance(node, list):
        for item in node:
            _check_safe(item, where)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node:
        name = node.get("config", {}).get("name") if isinstance(node.get("config"), dict) else None
        here = f"layer {name!r}" if name else where
        kind = str(node["class_name"])
        module = str(node.get("module") or "")
        registered = node.get("registered_name")
        if kind in CODE_LAYERS or kind == "__lambda__" or kind == "function" and not module.startswith("keras"):
            raise NetworkError(f"{here} is a {kind}: it would run code from the file, which is never done. "
                               "Write it with Keras's own layers.")
        own = registered in OWN_OBJECTS
        if module and not (module == "keras" or module.startswith("keras.") or own):
            raise NetworkError(f"{here} is a {kind} from {module}, not one of Keras's own layers: a network "
                               "file may hold only Keras's layers (custom objects are not loaded).")
        if registered and registered != kind and not own:
            raise NetworkError(f"{here} is the custom object {registered!r}: custom objects are not loaded "
                               "from a network file.")
        where = here
    for value in node.values():
        _check_safe(value, where)


def network_model(source, name: str | None = None):
    """Builds the (uncompiled) Keras model of a network.

    Raises:
        NetworkError: as :func:`read_network`, or a network whose layers do not fit
            together (the message names the layer and the shapes).
    """
    import keras

    import core.models.deslant  # noqa: F401 - registers Deslant for deserialising

    config = read_network(source)
    try:
        model = keras.models.model_from_json(json.dumps(config))
    except Exception as e:  # Keras raises ValueError, TypeError, KeyError… for a bad config
        # Built layer by layer: the failing layer is named, and a config written without
        # the tensors' shapes (the editor's) builds too.
        tensors = {}
        problems = [step for step in walk(config, tensors) if step["error"]]
        if problems:
            raise NetworkError(f"layer {problems[0]['name']!r} ({problems[0]['kind']}): {problems[0]['error']}") from None
        try:
            ends = {key: [tensors[entry[0]] for entry in named_entries(config["config"].get(key))]
                    for key in ("input_layers", "output_layers")}
            model = keras.Model(ends["input_layers"], ends["output_layers"][0] if len(ends["output_layers"]) == 1
                                else ends["output_layers"], name=config["config"].get("name"))
        except Exception:
            raise NetworkError(f"the network does not fit together: {_reason(e)}") from None
    if len(model.outputs) < 1 or len(model.outputs[0].shape) != 2:
        raise NetworkError(f"the network's output must be one score per class (batch, classes); its output is "
                           f"{tuple(model.outputs[0].shape)}. End it with a Dense layer.")
    if name:
        model.name = name
    return model


def _reason(error: Exception) -> str:
    """The line of a Keras error that says what is wrong (not "Exception encountered…")."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Exception encountered", "Arguments received",
                                                                      "•"))]
    return (lines[0] if lines else type(error).__name__)[:400]


def walk(source, tensors: dict | None = None) -> list[dict]:
    """Builds a network's layers one by one, in the config's order: for each, ``name``,
    ``kind``, ``inputs`` (layer names), ``output_shape`` (without the batch), ``params``
    and ``error`` (why it cannot be built on its inputs, else None). A layer after a
    broken one has the error "its input is missing"."""
    import keras

    import core.models.deslant  # noqa: F401 - registers Deslant

    config = read_network(source)
    sequential = config["class_name"] == "Sequential"
    tensors = {} if tensors is None else tensors
    steps, previous = [], None
    for layer in config["config"].get("layers") or []:
        kind, layer_config = layer["class_name"], layer.get("config") or {}
        name = layer_config.get("name", kind)
        step = {"name": name, "kind": kind, "inputs": [], "output_shape": None, "params": 0, "error": None}
        steps.append(step)
        try:
            if kind == "InputLayer":
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                tensors[name] = keras.Input(shape=tuple(shape[1:]), name=name)
            else:
                step["inputs"] = [previous] if sequential and previous else layer_inputs(layer)
                if len(layer.get("inbound_nodes") or []) > 1:
                    raise ValueError("it is used twice (shared weights), which is not supported here")
                if not step["inputs"]:
                    raise ValueError("it takes no input: link it to a layer")
                missing = [n for n in step["inputs"] if n not in tensors]
                if missing:
                    step["blocked"] = True  # by a problem above it, or a name no layer has
                    raise ValueError(f"its input {missing[0]!r} is missing")
                built = keras.saving.deserialize_keras_object(layer, safe_mode=True)
                args = [tensors[n] for n in step["inputs"]]
                tensors[name] = built(args if len(args) > 1 or kind in ("Add", "Concatenate", "Multiply",
                                                                         "Average", "Maximum", "Minimum",
                                                                         "Subtract", "Dot") else args[0])
                step["params"] = int(built.count_params())
            output = tensors[name]
            step["output_shape"] = tuple(None if d is None else int(d) for d in output.shape[1:])
            previous = name
        except Exception as e:  # shown on the layer, never raised
            step["error"] = _reason(e)
            previous = name
    return steps


def network_text(model) -> str:
    """A model's network file: its config as Keras writes it, indented to be read."""
    return json.dumps(json.loads(model.to_json()), indent=1)


def network_shape(source) -> tuple[tuple[int, int, int], int]:
    """A network's input shape (H, W, C) and class count, read from its config (no
    TensorFlow needed).

    Raises:
        NetworkError: when the config does not say them.
    """
    config = read_network(source)
    layers = config["config"].get("layers") or []
    shape = None
    for layer in layers:
        if layer.get("class_name") == "InputLayer":
            shape = layer["config"].get("batch_shape") or layer["config"].get("batch_input_shape")
            break
    if shape is None and layers:
        shape = layers[0].get("config", {}).get("batch_shape") or config.get("build_config", {}).get("input_shape")
    classes = None
    for layer in reversed(layers):
        if layer.get("class_name") == "Dense":
            classes = layer["config"].get("units")
            break
    if not shape or len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]) or not classes:
        raise NetworkError("the network does not say its input shape (an Input of height, width and channels) "
                           "or its classes (a last Dense layer).")
    return tuple(int(d) for d in shape[1:]), int(classes)


#: A network whose epoch on MNIST would take longer than this here is marked too large.
MAX_EPOCH_SECONDS = 12 * 3600
#: …and one whose training would need more memory than this.
MAX_TRAIN_BYTES = 8e9


def check_network(source, classes: int, images: int = 54_000, batch_size: int = 128,
                  dangling: list[str] | None = None) -> dict:
    """The live check of a network being edited: each layer's output shape, parameters and
    MACs, the totals, and its problems, each on the layer that causes it.

    Args:
        classes: the dataset's class count (the output must give one score for each).
        images, batch_size: for the epoch-time and memory estimate.
        dangling: layers whose output nothing takes (the editor knows them).

    Returns:
        ``layers`` (:func:`walk`'s entries, each with ``macs``), ``problems`` (``layer``
        (None for the whole network) and ``message``), and when it builds, ``summary``
        (:func:`core.models.summary.to_dict`) and ``estimate`` (``seconds_per_epoch``,
        ``memory_bytes``).
    """
    from core.models.summary import estimate_training, format_bytes, format_seconds, summarize, to_dict

    steps = walk(source)
    problems = [{"layer": s["name"], "message": s["error"]} for s in steps if s["error"] and not s.get("blocked")
                or s.get("blocked") and not any(n in {t["name"] for t in steps} for n in s["inputs"])]
    problems += [{"layer": name, "message": "its output goes nowhere: link it to a layer below, or delete it"}
                 for name in dangling or []]
    out = {"layers": steps, "problems": problems, "summary": None, "estimate": None}
    for step in steps:
        step["macs"] = 0
    if problems or any(s["error"] for s in steps):
        return out
    last = steps[-1]
    if last["output_shape"] != (classes,):
        shape = "×".join(str(d) for d in last["output_shape"])
        problems.append({"layer": last["name"], "message": f"the output is {shape} values; the dataset has "
                         f"{classes} classes: end with a Dense layer of {classes} units and softmax"})
    config = read_network(source)
    head = config["config"]["layers"][-1]
    if (head.get("config") or {}).get("activation") != "softmax":
        problems.append({"layer": last["name"], "message": "the last layer must give probabilities: set its "
                         "activation to softmax"})
    try:
        model = network_model(config)
    except NetworkError as e:
        problems.append({"layer": None, "message": str(e)})
        return out
    summary = summarize(model)
    macs = {row.name: row.macs for row in summary.rows}
    for step in steps:
        step["macs"] = int(macs.get(step["name"], 0))
    estimate = estimate_training(summary, images, batch_size)
    out.update(summary=to_dict(summary), estimate=estimate)
    if estimate["seconds_per_epoch"] > MAX_EPOCH_SECONDS:
        problems.append({"layer": None, "message": f"an epoch would take about {format_seconds(estimate['seconds_per_epoch'])} "
                         "on this machine: make it smaller (fewer filters or units, more pooling)"})
    if estimate["memory_bytes"] > MAX_TRAIN_BYTES:
        problems.append({"layer": None, "message": f"training would need about {format_bytes(estimate['memory_bytes'])} "
                         "of memory: make it smaller, or train with a smaller batch"})
    return out


def my_networks() -> list[tuple[str, str]]:
    """The networks saved in My networks (see :func:`core.paths.my_networks_dir`): (name,
    architecture id), by name."""
    from core.paths import my_networks_dir

    folder = my_networks_dir()
    if not folder.is_dir():
        return []
    return [(path.stem, network_id(path)) for path in sorted(folder.glob("*.json"), key=lambda p: p.stem.lower())]


def save_network(model, name: str) -> Path:
    """Saves a built network in My networks as ``name``.json (atomically), as Keras writes it.

    Raises:
        NetworkError: a name that is not a file name.
        OSError: the folder cannot be written.
    """
    from core.atomic import write_text_atomically
    from core.paths import my_networks_dir

    name = str(name).strip()
    if not re.fullmatch(r"[\w][\w .-]{0,63}", name) or name.endswith("."):
        raise NetworkError(f"a network's name is letters, digits, spaces, '.', '-' and '_' (up to 64). "
                           f"Received: {name!r}")
    return write_text_atomically(my_networks_dir() / f"{name}.json", network_text(model) + "\n")
