"""A network being edited: its layers in order, each with its settings and the layers it
takes its input from, every change a named step that can be undone. Plain Python (no
TensorFlow): :meth:`NetworkDraft.config` gives the Keras model config that
:mod:`core.models.networks` builds and checks.

    draft = NetworkDraft.blank((28, 28, 1))
    draft.add("Conv2D")                 # after the selected layer, linked to it
    draft.add("Flatten"); draft.add("Dense", units=10, activation="softmax")
    draft.undo()                        # "Add Dense"
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

#: The palette: each layer's settings when added (Keras's argument names).
PALETTE: dict[str, dict] = {
    "Conv2D": {"filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "activation": "relu"},
    "SeparableConv2D": {"filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                        "activation": "relu"},
    "DepthwiseConv2D": {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "activation": "relu"},
    "MaxPooling2D": {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"},
    "AveragePooling2D": {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"},
    "GlobalAveragePooling2D": {},
    "BatchNormalization": {},
    "Dropout": {"rate": 0.25},
    "Activation": {"activation": "relu"},
    "Flatten": {},
    "Dense": {"units": 64, "activation": "relu"},
    "Add": {},
    "Concatenate": {"axis": -1},
    "Resizing": {"height": 32, "width": 32},
    "Rescaling": {"scale": 1 / 255, "offset": 0.0},
}
#: What each palette entry is, for tooltips.
PALETTE_TIPS = {
    "Conv2D": "Convolution: filters slid over the image, each making a feature map.",
    "SeparableConv2D": "A depthwise convolution then a 1×1 one: far fewer weights than Conv2D.",
    "DepthwiseConv2D": "One filter per input channel (no mixing of channels).",
    "MaxPooling2D": "Keeps the largest value of each window: halves the size by default.",
    "AveragePooling2D": "Keeps the mean of each window.",
    "GlobalAveragePooling2D": "One mean per feature map: from maps to a vector (as ResNet and GoogLeNet end).",
    "BatchNormalization": "Normalises each channel over the batch: faster, steadier training.",
    "Dropout": "Drops a share of the values while training: against overfitting.",
    "Activation": "A nonlinearity on its own (relu, tanh, sigmoid, softmax…).",
    "Flatten": "From maps to one long vector, for Dense layers.",
    "Dense": "Every input connected to every unit. The last one gives a score per class (softmax).",
    "Add": "Adds its inputs (same shapes): a residual skip, as in ResNet. Link a second input.",
    "Concatenate": "Stacks its inputs' channels: parallel branches, as in Inception. Link more inputs.",
    "Resizing": "Resizes the image (as the zoo's reference forms do for small inputs).",
    "Rescaling": "Multiplies and shifts the pixels (1/255: from 0–255 to 0–1).",
}
#: Layers that take several inputs.
MERGING = {"Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract"}
#: The settings shown in the property form, with their kind: int, float, pair (two ints),
#: a tuple of choices, or "text".
FIELDS = {
    "filters": "int", "units": "int", "kernel_size": "pair", "strides": "pair", "pool_size": "pair",
    "padding": ("same", "valid"), "activation": ("relu", "linear", "softmax", "tanh", "sigmoid", "gelu", "elu",
                                                 "selu", "swish"),
    "rate": "float", "axis": "int", "height": "int", "width": "int", "scale": "float", "offset": "float",
    "momentum": "float", "epsilon": "float", "depth_multiplier": "int", "use_bias": ("True", "False"),
}


class DraftError(ValueError):
    """An edit that cannot be made; the message says why."""


@dataclass
class DraftLayer:
    """One layer: Keras's class name, its name, its settings (Keras's config without the
    name) and the names of the layers it takes as input (in order)."""

    kind: str
    name: str
    settings: dict = field(default_factory=dict)
    inputs: list = field(default_factory=list)
    registered: str | None = None  # a registered object's name (this studio's Deslant)

    @property
    def is_input(self) -> bool:
        return self.kind == "InputLayer"


def parse_value(key: str, text: str):
    """A property typed as text, as its setting's kind asks (see :data:`FIELDS`).

    Raises:
        DraftError: text that is not a value of that kind (the message says what is).
    """
    kind = FIELDS.get(key, "text")
    text = str(text).strip()
    try:
        if kind == "int":
            value = int(text)
            if key in ("filters", "units", "height", "width", "depth_multiplier") and value < 1:
                raise DraftError(f"{key} must be at least 1. Received: {text!r}")
            return value
        if kind == "float":
            value = float(text)
            if key == "rate" and not 0 <= value < 1:
                raise DraftError(f"rate must be from 0 to below 1. Received: {text!r}")
            return value
        if kind == "pair":
            if not re.fullmatch(r"\d+(\s*[x×,]\s*\d+)?", text):
                raise ValueError(text)
            parts = [int(p) for p in re.split(r"\s*[x×,]\s*", text)]
            if len(parts) == 1:
                parts *= 2
            if len(parts) != 2 or min(parts) < 1:
                raise DraftError(f"{key} must be one or two whole numbers of at least 1, e.g. 3 or 3x3. "
                                 f"Received: {text!r}")
            return parts
    except ValueError as e:
        if isinstance(e, DraftError):
            raise
        what = {"int": "an integer", "float": "a number"}.get(kind, "one or two whole numbers, e.g. 3 or 3x3")
        raise DraftError(f"{key} must be {what}. Received: {text!r}") from None
    if isinstance(kind, tuple):
        if text not in kind:
            raise DraftError(f"{key} must be one of {', '.join(kind)}. Received: {text!r}")
        return {"True": True, "False": False}.get(text, text)
    return text


def shown_value(value) -> str:
    """A setting as the property form shows it (a pair as 3x3)."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return str(value)


class NetworkDraft:
    """The layers of a network being edited, the selected one, and the undo history."""

    def __init__(self, layers: list[DraftLayer], name: str = "my_network"):
        self.layers = layers
        self.name = name
        self.selected = len(layers) - 1
        self._undo: list[tuple[str, list, int]] = []
        self._redo: list[tuple[str, list, int]] = []

    # ----------------------------------------------------------------- making one
    @classmethod
    def blank(cls, input_shape=(28, 28, 1), name: str = "my_network") -> "NetworkDraft":
        return cls([DraftLayer("InputLayer", "image", {"shape": list(input_shape)})], name)

    @classmethod
    def from_config(cls, config: dict) -> "NetworkDraft":
        """A draft of a Keras model config (see :func:`core.models.networks.read_network`);
        every setting is kept, shown or not."""
        body = config["config"]
        sequential = config["class_name"] == "Sequential"
        layers, previous = [], None
        for layer in body.get("layers") or []:
            settings = {k: v for k, v in (layer.get("config") or {}).items() if k != "name"}
            name = (layer.get("config") or {}).get("name") or layer["class_name"].lower()
            if layer["class_name"] == "InputLayer":
                shape = settings.pop("batch_shape", None) or settings.pop("batch_input_shape", None)
                settings = {"shape": list(shape[1:])}
                inputs = []
            elif sequential:
                inputs = [previous] if previous else []
            else:
                from core.models.keras_config import layer_inputs

                inputs = layer_inputs(layer)
            registered = layer.get("registered_name") if layer.get("registered_name") != layer["class_name"] else None
            layers.append(DraftLayer(layer["class_name"], name, settings, inputs, registered))
            previous = name
        if sequential and layers and not layers[0].is_input:
            raise DraftError("a Sequential network without an Input layer cannot be edited: give it one.")
        return cls(layers, body.get("name") or "my_network")

    def config(self) -> dict:
        """The Keras model config of the draft (functional), its output the last layer."""
        entries = []
        for layer in self.layers:
            if layer.is_input:
                entries.append({"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                                "name": layer.name, "inbound_nodes": [],
                                "config": {"batch_shape": [None, *layer.settings["shape"]], "dtype": "float32",
                                           "sparse": False, "name": layer.name}})
                continue
            tensors = [{"class_name": "__keras_tensor__", "config": {"keras_history": [n, 0, 0]}}
                       for n in layer.inputs]
            module = "core.models.deslant" if layer.registered == "cnn_studio>Deslant" else "keras.layers"
            entries.append({"module": module, "class_name": layer.kind, "registered_name": layer.registered,
                            "name": layer.name, "config": {"name": layer.name, **layer.settings},
                            "inbound_nodes": [{"args": [tensors if len(tensors) > 1 or layer.kind in MERGING
                                                        else tensors[0]] if tensors else [], "kwargs": {}}]})
        inputs = [[layer.name, 0, 0] for layer in self.layers if layer.is_input]
        output = self.layers[-1].name
        return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
                "config": {"name": self.name, "trainable": True, "layers": entries,
                           "input_layers": inputs[0] if len(inputs) == 1 else inputs,
                           "output_layers": [output, 0, 0]}}

    # ----------------------------------------------------------------- reading
    def index(self, name: str) -> int:
        for k, layer in enumerate(self.layers):
            if layer.name == name:
                return k
        raise DraftError(f"there is no layer {name!r}")

    def consumers(self, name: str) -> list[str]:
        return [layer.name for layer in self.layers if name in layer.inputs]

    def dangling(self) -> list[str]:
        """Layers whose output nothing takes (besides the last, the network's output)."""
        return [layer.name for layer in self.layers[:-1] if not self.consumers(layer.name)]

    def can_undo(self) -> str | None:
        """The name of the step Undo would take back, or None."""
        return self._undo[-1][0] if self._undo else None

    def can_redo(self) -> str | None:
        return self._redo[-1][0] if self._redo else None

    # ----------------------------------------------------------------- editing
    def _step(self, what: str) -> None:
        self._undo.append((what, copy.deepcopy(self.layers), self.selected))
        self._redo.clear()

    def _fresh_name(self, kind: str) -> str:
        base = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower().replace("2_d", "2d")
        names = {layer.name for layer in self.layers}
        k = 1
        while f"{base}_{k}" in names:
            k += 1
        return f"{base}_{k}"

    def add(self, kind: str, **settings) -> DraftLayer:
        """Inserts a layer of the palette after the selected one, linked to it: it takes the
        selected layer's output and gives its own to the layers that took that output."""
        if kind not in PALETTE:
            raise DraftError(f"unknown layer; choose one of {', '.join(PALETTE)}. Received: {kind!r}")
        after = self.layers[self.selected] if self.layers else None
        layer = DraftLayer(kind, self._fresh_name(kind), {**copy.deepcopy(PALETTE[kind]), **settings},
                           [after.name] if after else [])
        self._step(f"Add {kind}")
        if after is not None:
            for other in self.layers:
                other.inputs = [layer.name if n == after.name else n for n in other.inputs]
        self.layers.insert(self.selected + 1, layer)
        self.selected += 1
        return layer

    def delete(self, name: str | None = None) -> None:
        """Removes a layer; the layers that took its output take its (first) input instead."""
        k = self.selected if name is None else self.index(name)
        layer = self.layers[k]
        if layer.is_input:
            raise DraftError("the input layer cannot be deleted: every network begins with one.")
        self._step(f"Delete {layer.name}")
        source = layer.inputs[0] if layer.inputs else None
        for other in self.layers:
            if layer.name in other.inputs:
                replaced = [source if n == layer.name else n for n in other.inputs]
                other.inputs = [n for i, n in enumerate(replaced) if n and n not in replaced[:i]]
        del self.layers[k]
        self.selected = min(max(0, k - 1), len(self.layers) - 1)

    def move(self, offset: int) -> None:
        """Moves the selected layer up (-1) or down (+1) its chain: it swaps places, and
        links, with its neighbour."""
        k = self.selected
        j = k + offset
        if not (0 < min(k, j) and max(k, j) < len(self.layers)):
            raise DraftError("it cannot move further that way.")
        upper, lower = (self.layers[j], self.layers[k]) if offset < 0 else (self.layers[k], self.layers[j])
        if lower.inputs != [upper.name] or upper.kind in MERGING or lower.kind in MERGING:
            raise DraftError(f"{upper.name} and {lower.name} are not one after the other in a chain: relink them "
                             "instead.")
        self._step(f"Move {self.layers[k].name} {'up' if offset < 0 else 'down'}")
        for other in self.layers:
            if other is not lower:
                other.inputs = [upper.name if n == lower.name else lower.name if n == upper.name else n
                                for n in other.inputs]
        lower.inputs, upper.inputs = list(upper.inputs), [lower.name]
        self.layers[min(k, j)], self.layers[max(k, j)] = lower, upper
        self.selected = j

    def link(self, source: str, target: str | None = None) -> None:
        """Gives ``source``'s output to ``target`` (default: the selected layer) as one more
        input: a merging layer (Add, Concatenate) takes several, another layer takes only
        this one instead of its own."""
        k = self.selected if target is None else self.index(target)
        layer = self.layers[k]
        if self.index(source) >= k:
            raise DraftError(f"{source} comes after {layer.name}: a layer takes its inputs from layers above it.")
        if layer.is_input:
            raise DraftError("the input layer takes no input.")
        if source in layer.inputs:
            raise DraftError(f"{layer.name} already takes {source}.")
        self._step(f"Link {source} to {layer.name}")
        layer.inputs = [*layer.inputs, source] if layer.kind in MERGING else [source]

    def unlink(self, source: str, target: str | None = None) -> None:
        layer = self.layers[self.selected if target is None else self.index(target)]
        if source not in layer.inputs:
            raise DraftError(f"{layer.name} does not take {source}.")
        self._step(f"Unlink {source} from {layer.name}")
        layer.inputs = [n for n in layer.inputs if n != source]

    def set(self, key: str, text: str, name: str | None = None) -> None:
        """Sets a setting of a layer (default: the selected one) from text as typed.

        Raises:
            DraftError: a value that is not of the setting's kind.
        """
        layer = self.layers[self.selected if name is None else self.index(name)]
        if key == "name":
            new = str(text).strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", new):
                raise DraftError(f"a name is letters, digits and _, starting with a letter. Received: {text!r}")
            if new != layer.name and new in {other.name for other in self.layers}:
                raise DraftError(f"another layer is named {new!r}.")
            self._step(f"Rename {layer.name} to {new}")
            for other in self.layers:
                other.inputs = [new if n == layer.name else n for n in other.inputs]
            layer.name = new
            return
        if layer.is_input and key == "shape":
            value = [int(v) for v in re.split(r"[x×,\s]+", str(text).strip()) if v]
            if len(value) != 3 or min(value) < 1:
                raise DraftError(f"the input's shape is height x width x channels, e.g. 28x28x1. Received: {text!r}")
        else:
            value = parse_value(key, text)
        if layer.settings.get(key) == value:
            return
        self._step(f"Set {key} of {layer.name} to {shown_value(value)}")
        layer.settings[key] = value

    def keep_history(self, before: "NetworkDraft", what: str) -> None:
        """Takes over ``before``'s undo steps, and one more that goes back to it (a draft
        that replaces another, opened from a file or the zoo)."""
        self._undo = [*before._undo, (what, before.layers, before.selected)]
        self._redo = []

    def select(self, name: str) -> None:
        self.selected = self.index(name)

    def undo(self) -> str:
        """Takes back the last step; returns its name."""
        if not self._undo:
            raise DraftError("nothing to undo.")
        what, layers, selected = self._undo.pop()
        self._redo.append((what, self.layers, self.selected))
        self.layers, self.selected = layers, min(selected, len(layers) - 1)
        return what

    def redo(self) -> str:
        if not self._redo:
            raise DraftError("nothing to redo.")
        what, layers, selected = self._redo.pop()
        self._undo.append((what, self.layers, self.selected))
        self.layers, self.selected = layers, min(selected, len(layers) - 1)
        return what
