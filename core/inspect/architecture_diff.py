"""What differs between two networks, layer by layer: the layers one added, removed or
changed (and how), read from the saved model files' architecture without building them.

Layers are matched by name (what an edit keeps); the result follows the second network's
order, a removed layer placed after the layer that came before it in the first.
"""

from __future__ import annotations

#: The settings compared (the ones that change what a layer computes).
COMPARED = ("filters", "units", "kernel_size", "strides", "pool_size", "padding", "activation", "rate",
            "dilation_rate", "depth_multiplier", "axis", "height", "width", "use_bias")


def architecture_of(source) -> list[dict]:
    """The layers of a ``.keras`` file or a network config: ``name``, ``kind``, ``inputs``
    and ``settings`` (the compared ones).

    Raises:
        core.models.networks.NetworkError: a file that holds no readable architecture.
    """
    from core.models.keras_config import layer_inputs
    from core.models.networks import read_network

    config = read_network(source)
    layers = []
    for layer in config["config"].get("layers") or []:
        settings = layer.get("config") or {}
        layers.append({"name": settings.get("name", layer["class_name"]), "kind": layer["class_name"],
                       "inputs": layer_inputs(layer),
                       "settings": {k: settings[k] for k in COMPARED if k in settings}})
    return layers


def architecture_diff(first: list[dict], second: list[dict]) -> list[dict]:
    """Each layer of either network: ``name``, ``change`` ("same", "added", "removed" or
    "changed"), ``kind`` and, for a changed one, ``changes``: (what, first's, second's)."""
    before = {layer["name"]: layer for layer in first}
    after = {layer["name"]: layer for layer in second}
    rows = []
    for layer in second:
        old = before.get(layer["name"])
        if old is None:
            rows.append({"name": layer["name"], "change": "added", "kind": layer["kind"], "changes": []})
            continue
        changes = [] if old["kind"] == layer["kind"] else [("type", old["kind"], layer["kind"])]
        for key in sorted(set(old["settings"]) | set(layer["settings"])):
            if old["settings"].get(key) != layer["settings"].get(key):
                changes.append((key, old["settings"].get(key), layer["settings"].get(key)))
        if old["inputs"] != layer["inputs"]:
            changes.append(("takes", ", ".join(old["inputs"]), ", ".join(layer["inputs"])))
        rows.append({"name": layer["name"], "change": "changed" if changes else "same", "kind": layer["kind"],
                     "changes": changes})
    for k, layer in enumerate(first):
        if layer["name"] in after:
            continue
        previous = next((first[j]["name"] for j in range(k - 1, -1, -1)
                         if any(r["name"] == first[j]["name"] for r in rows)), None)
        at = next((i + 1 for i, r in enumerate(rows) if r["name"] == previous), 0)
        rows.insert(at, {"name": layer["name"], "change": "removed", "kind": layer["kind"], "changes": []})
    return rows


def describe(value) -> str:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return "—" if value is None else str(value)
