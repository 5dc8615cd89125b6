"""Layer-by-layer summaries of Keras models, as plain data: shapes, parameters, MACs,
blocks, and estimates of training cost."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field

#: Layer-name prefixes that make a block: VGG blocks, Inception modules, residual units,
#: auxiliary heads, stems.
BLOCK_PATTERN = re.compile(r"^(block\d+|inception\d[a-z]|stage\d+_unit\d+|aux\d+|stem)_")

#: Fitted to the epochs of all thirteen compact forms trained here on MNIST
#: (benchmarks/compact_zoo.py, 2 vCPU Zen 3, TF 2.21, batch 128, several steps per call):
#: the multiply-accumulates per second that training sustains (forward and backward count
#: as 3 passes), and a cost per layer and image that dominates small networks. Within
#: 0.67-1.44 times the measured epochs (LeNet-5: 4.5 s for 4.4 s; VGG-16: 27 s for 40 s).
CPU_TRAIN_MACS_PER_SECOND = 5.5e10
CPU_LAYER_SECONDS_PER_IMAGE = 5.0e-6


@dataclass
class LayerRow:
    """One layer: what it is, what it outputs, what it learns and costs."""

    name: str
    type: str
    output_shape: tuple
    params: int
    trainable: bool
    macs: int = 0
    block: str | None = None
    inputs: list = field(default_factory=list)  # the layers it takes its input from


@dataclass
class ModelSummary:
    name: str
    input_shape: tuple
    classes: int
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    macs: int = 0

    @property
    def weights_bytes(self) -> int:
        return 4 * self.total_params

    @property
    def activation_values(self) -> int:
        """Values every layer outputs for one image (what backpropagation keeps)."""
        total = 0
        for row in self.rows:
            n = 1
            for d in row.output_shape[1:]:
                n *= d or 1
            total += n
        return total


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


def _first(tensors):
    return tensors[0] if isinstance(tensors, (list, tuple)) else tensors


def layer_macs(layer) -> int:
    """Multiply-accumulate operations of one layer for one image (convolutions, dense
    layers and the deslant layer's row-by-row matmul; pooling, normalisation and
    activations are counted as free)."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        out = _shape(_first(layer.output))
        in_channels = _shape(_first(layer.input))[-1]
        kh, kw = layer.kernel_size
        groups = getattr(layer, "groups", 1) or 1
        return out[1] * out[2] * out[3] * kh * kw * in_channels // groups
    if kind == "Dense":
        n_in = _shape(_first(layer.input))[-1]
        positions = 1
        for d in _shape(_first(layer.output))[1:-1]:
            positions *= d or 1
        return positions * n_in * layer.units
    if kind == "Deslant":  # core.models.deslant: a (W, W) matrix of weights per row
        _, height, width, _ = _shape(_first(layer.output))
        return height * width * width
    return 0


def block_of(name: str) -> str | None:
    """The block a layer belongs to, from its name (``block3_conv1`` → ``block3``)."""
    match = BLOCK_PATTERN.match(name)
    return match.group(1) if match else None


def _layer_inputs(model) -> dict[str, list[str]]:
    """Each layer's input layers, from the model's config (empty for a model without one)."""
    from core.models.keras_config import layer_inputs

    try:
        layers = model.get_config().get("layers") or []
    except Exception:  # a model that cannot say its config: no connections drawn
        return {}
    found = {(layer.get("config") or {}).get("name", ""): layer_inputs(layer) for layer in layers}
    if not any(found.values()):  # a Sequential model: each layer takes the one before
        names = [layer.name for layer in model.layers]
        found = {name: names[k - 1: k] for k, name in enumerate(names)}
    return found


def summarize(model) -> ModelSummary:
    """Returns one row per layer of a built functional model, and totals."""
    rows = []
    inputs = _layer_inputs(model)
    for layer in model.layers:
        rows.append(LayerRow(
            name=layer.name,
            type=type(layer).__name__,
            output_shape=_shape(_first(layer.output)),
            params=_count(layer.weights),
            trainable=bool(layer.trainable),
            macs=layer_macs(layer),
            block=block_of(layer.name),
            inputs=inputs.get(layer.name, []),
        ))
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    return ModelSummary(
        name=model.name,
        input_shape=_shape(model.inputs[0])[1:],
        classes=int(model.outputs[0].shape[-1]),
        rows=rows,
        total_params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs=sum(r.macs for r in rows),
    )


def estimate_training(summary: ModelSummary, images: int, batch_size: int) -> dict:
    """Rough cost of one training epoch on this kind of machine's CPU.

    Returns:
        ``seconds_per_epoch`` and ``memory_bytes``: weights, gradients and Adam's two
        moments (4 copies of the parameters) plus every layer's activations and their
        gradients for one batch, in float32.
    """
    steps = -(-images // batch_size)
    per_image = 3 * summary.macs / CPU_TRAIN_MACS_PER_SECOND + len(summary.rows) * CPU_LAYER_SECONDS_PER_IMAGE
    seconds = images * per_image
    memory = 4 * (4 * summary.total_params + 2 * batch_size * summary.activation_values)
    return {"seconds_per_epoch": seconds, "memory_bytes": memory, "steps": steps}


def format_shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def format_count(n: float) -> str:
    """1234 → "1.2 K", 138357544 → "138.4 M"."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f}"


def format_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def format_clock(seconds: float) -> str:
    """A duration as a clock reads it: ``m:ss``, or ``h:mm:ss`` from an hour on."""
    seconds = int(round(max(0.0, seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


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
        "macs": summary.macs,
        "weights_bytes": summary.weights_bytes,
        "activation_values": summary.activation_values,
        "layers": [
            {**asdict(row), "output_shape": list(row.output_shape)} for row in summary.rows
        ],
    }


COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs", "Trainable")


def row_cells(row: LayerRow) -> tuple:
    """The texts of a row, in the order of :data:`COLUMNS`."""
    return (row.name, row.type, format_shape(row.output_shape), f"{row.params:,}", f"{row.macs:,}",
            trainable_text(row))


def format_table(summary: ModelSummary) -> str:
    """A plain-text table like ``model.summary()``, with MACs and a trainable column."""
    body = [row_cells(r) for r in summary.rows]
    widths = [max(len(str(line[i])) for line in [COLUMNS, *body]) for i in range(len(COLUMNS))]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in (3, 4) else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "-" * len(line(COLUMNS))
    out = [f"Model: {summary.name}  input {format_shape(summary.input_shape)}  classes {summary.classes}",
           rule, line(COLUMNS), rule, *map(line, body), rule,
           f"Total params:         {summary.total_params:,}",
           f"Trainable params:     {summary.trainable_params:,}",
           f"Non-trainable params: {summary.non_trainable_params:,}",
           f"MACs per image:       {summary.macs:,} ({format_count(summary.macs)})",
           f"Weights:              {format_bytes(summary.weights_bytes)} (float32)"]
    return "\n".join(out)


def to_csv(summary: ModelSummary) -> str:
    """One line per layer (name, type, output shape, params, MACs, trainable, block)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "type", "output_shape", "params", "macs", "trainable", "block"])
    for r in summary.rows:
        writer.writerow([r.name, r.type, "x".join("None" if d is None else str(d) for d in r.output_shape[1:]),
                         r.params, r.macs, r.trainable, r.block or ""])
    return buffer.getvalue()
