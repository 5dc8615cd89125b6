"""Layer-by-layer summaries of Keras models, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LayerRow:
    """One layer: what it is, what it outputs, what it learns."""

    name: str
    type: str
    output_shape: tuple
    params: int
    trainable: bool


@dataclass
class ModelSummary:
    name: str
    input_shape: tuple
    classes: int
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0


def _count(weights) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def _shape(tensor) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor.shape)


def summarize(model) -> ModelSummary:
    """Returns one row per layer of a built functional or sequential model, and totals."""
    rows = []
    for layer in model.layers:
        output = layer.output
        shape = _shape(output[0] if isinstance(output, (list, tuple)) else output)
        rows.append(LayerRow(
            name=layer.name,
            type=type(layer).__name__,
            output_shape=shape,
            params=_count(layer.weights),
            trainable=bool(layer.trainable),
        ))
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    out = model.outputs[0]
    return ModelSummary(
        name=model.name,
        input_shape=_shape(model.inputs[0])[1:],
        classes=int(out.shape[-1]),
        rows=rows,
        total_params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
    )


def format_shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def trainable_text(row: LayerRow) -> str:
    """"yes"/"no" for layers with weights, "-" for layers without any."""
    if row.params == 0:
        return "-"
    return "yes" if row.trainable else "no"


def to_dict(summary: ModelSummary, arch: str | None = None) -> dict:
    """The summary as JSON-ready data (keys of ``main.py summary --json``)."""
    return {
        "arch": arch or summary.name,
        "input_shape": list(summary.input_shape),
        "classes": summary.classes,
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "non_trainable_params": summary.non_trainable_params,
        "layers": [
            {**asdict(row), "output_shape": list(row.output_shape)} for row in summary.rows
        ],
    }


def format_table(summary: ModelSummary) -> str:
    """A plain-text table like ``model.summary()``, with a trainable column."""
    header = ("Layer", "Type", "Output shape", "Params", "Trainable")
    body = [
        (r.name, r.type, format_shape(r.output_shape), f"{r.params:,}", trainable_text(r))
        for r in summary.rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(5)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i == 3 else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "-" * len(line(header))
    out = [f"Model: {summary.name}  input {format_shape(summary.input_shape)}  classes {summary.classes}",
           rule, line(header), rule, *map(line, body), rule,
           f"Total params:         {summary.total_params:,}",
           f"Trainable params:     {summary.trainable_params:,}",
           f"Non-trainable params: {summary.non_trainable_params:,}"]
    return "\n".join(out)
