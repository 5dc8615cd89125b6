"""Reading Keras model configs (what ``model.to_json()`` and ``model.get_config()`` give)
without building them: which layers a layer takes its input from."""

from __future__ import annotations


def layer_inputs(layer: dict) -> list[str]:
    """The names of the layers whose outputs a functional config's layer takes."""
    found = []

    def visit(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                found.append(value["config"]["keras_history"][0])
            else:
                for item in value.values():
                    visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    nodes = layer.get("inbound_nodes") or []
    visit(nodes[0].get("args", []) if nodes and isinstance(nodes[0], dict) else nodes)
    return found


def named_entries(value) -> list:
    """``[["name", 0, 0], …]`` or ``["name", 0, 0]``, as Keras writes input/output layers."""
    if value and isinstance(value[0], str):
        return [value]
    return list(value or [])
