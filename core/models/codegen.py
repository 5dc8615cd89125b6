"""A network as a short Python file that builds it with Keras's functional API: each layer
one line, with only the arguments that differ from Keras's defaults, so that it reads like
a hand-written model. The file runs on its own (``python network.py`` prints the summary).
"""

from __future__ import annotations

import inspect
import keyword
import re

from core.models.keras_config import layer_inputs, named_entries
from core.models.networks import NetworkError, read_network

_KINDS = {"keras.initializers": "initializers", "keras.regularizers": "regularizers",
          "keras.constraints": "constraints"}
#: Arguments never written: Keras's bookkeeping.
_SKIPPED = {"trainable": True, "autocast": True, "build_config": None}


def _default_of(kind: str, default):
    """Keras's serialised form of a default initializer/regularizer/constraint name."""
    import keras

    try:
        return keras.saving.serialize_keras_object(getattr(keras, kind).get(default))
    except (ValueError, TypeError):
        return None


def _literal(value) -> str:
    if isinstance(value, dict) and "class_name" in value:
        module, name, config = value.get("module", ""), value["class_name"], value.get("config") or {}
        if module in _KINDS:
            args = ", ".join(f"{k}={_literal(v)}" for k, v in config.items() if v is not None)
            return f"keras.{_KINDS[module]}.{name}({args})"
        if name in ("DTypePolicy", "FloatDTypePolicy"):
            return repr(config.get("name"))
        raise NetworkError(f"cannot write {name} from {module} as code.")
    if isinstance(value, list):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def _arguments(cls, config: dict) -> list[str]:
    """``name=value`` for each argument of ``config`` that is not the class's default."""
    import keras

    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        parameters = {}
    out = []
    for key, value in config.items():
        if key in _SKIPPED and _SKIPPED[key] in (value, None):
            continue
        if key == "dtype" and (value in (None, "float32") or (isinstance(value, dict)
                                                              and value.get("config", {}).get("name") == "float32")):
            continue
        if key == "name" or (key == "data_format" and value == "channels_last"):
            continue  # the name is written first; channels last is Keras's default
        parameter = parameters.get(key)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            default = parameter.default
            if isinstance(default, tuple):
                default = list(default)
            if value == default:
                continue
            if isinstance(value, dict) and isinstance(default, str):
                kind = _KINDS.get(value.get("module", ""))
                if kind and value == _default_of(kind, default):
                    continue
            if key == "activation" and default is None and value == "linear":
                continue
        elif parameter is None and not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
            continue  # not an argument of this class (Keras's own bookkeeping)
        if key in ("batch_shape",) and cls is keras.layers.InputLayer:
            continue
        out.append(f"{key}={_literal(value)}")
    return out


def _variable(name: str, used: set) -> str:
    base = re.sub(r"\W", "_", name).strip("_") or "x"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = "x_" + base
    candidate, k = base, 2
    while candidate in used:
        candidate, k = f"{base}_{k}", k + 1
    used.add(candidate)
    return candidate


def network_code(source, title: str = "") -> str:
    """The Python source of a network (a file, JSON text or config; see
    :func:`core.models.networks.read_network`).

    Raises:
        NetworkError: for a network that cannot be read, or holds a nested model.
    """
    import keras

    config = read_network(source)
    body = config["config"]
    layers = body.get("layers") or []
    sequential = config["class_name"] == "Sequential"
    names, lines, own = {}, [], set()
    used = {"keras", "layers", "model", "inputs", "ops"}
    previous = None
    for layer in layers:
        kind, layer_config = layer["class_name"], dict(layer.get("config") or {})
        name = layer_config.get("name", kind.lower())
        if kind in ("Functional", "Sequential", "Model"):
            raise NetworkError(f"layer {name!r} is a whole model inside the network: it cannot be written as "
                               "code yet. Flatten it into its layers.")
        variable = _variable(name, used)
        names[name] = variable
        if kind == "InputLayer":
            shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
            lines.append(f"{variable} = keras.Input(shape={_literal(list(shape[1:]))}, name={name!r})")
            previous = variable
            continue
        if layer.get("registered_name") == "cnn_studio>Deslant":
            own.add("Deslant")
            cls, constructor = None, "Deslant"
        else:
            cls = getattr(keras.layers, kind, None)
            if cls is None:
                raise NetworkError(f"layer {name!r}: Keras has no layer {kind}.")
            constructor = f"layers.{kind}"
        arguments = [f"name={name!r}"] + (_arguments(cls, layer_config) if cls is not None else [])
        if sequential:
            inputs = [previous] if previous else []
        else:
            inputs = [names[name] for name in layer_inputs(layer)]
        if not inputs:
            raise NetworkError(f"layer {name!r} has no input.")
        called = inputs[0] if len(inputs) == 1 and kind not in ("Add", "Concatenate", "Multiply", "Average",
                                                                  "Maximum", "Minimum", "Subtract", "Dot") \
            else "[" + ", ".join(inputs) + "]"
        lines.append(f"{variable} = {constructor}({', '.join(arguments)})({called})")
        previous = variable
    if sequential:
        if not layers or layers[0]["class_name"] != "InputLayer":
            raise NetworkError("a Sequential network without an Input layer cannot be written as code.")
        inputs, outputs = names[layers[0]["config"]["name"]], previous
    else:
        inputs = ", ".join(names[entry[0]] for entry in named_entries(body["input_layers"]))
        outputs = ", ".join(names[entry[0]] for entry in named_entries(body["output_layers"]))
    model_name = body.get("name") or "network"
    head = [f'"""{title or model_name}: a network written by CNN Studio (Keras functional API).',
            "", "Run it to see its layers: python this_file.py", '"""', "", "import keras",
            "from keras import layers"]
    if own:
        from core.models import deslant

        head += ["from keras import ops", "", f"MAX_SHEAR = {deslant.MAX_SHEAR!r}", "", "",
                 inspect.getsource(deslant.Deslant).rstrip()]
    return "\n".join(head + ["", ""] + lines + [
        "", f"model = keras.Model({inputs}, {outputs}, name={model_name!r})", "",
        'if __name__ == "__main__":', "    model.summary()", ""])
