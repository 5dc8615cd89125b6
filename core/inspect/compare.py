"""Comparing trained runs side by side: a table of their figures and their curves."""

from __future__ import annotations

import csv
import io

from core.storage.library import LibraryEntry
from core.models.summary import format_count

#: The table's rows: (label, how a run's value is found and shown).
ROWS = (
    "Architecture", "Form", "Dataset", "Parameters", "MACs per image", "Epochs",
    "Train accuracy", "Validation accuracy", "Test accuracy", "Test loss", "Training time",
    "Images per second", "Batch size", "Optimizer", "Learning rate", "Augmentation", "Device", "Saved",
)


def _percent(value) -> str:
    return f"{100 * value:.2f}%" if isinstance(value, (int, float)) else "—"


def run_values(entry: LibraryEntry) -> dict[str, str]:
    """The table's values of one run, as text."""
    m, config = entry.metadata, entry.metadata.get("config") or {}
    val = entry.history("val_accuracy")
    train = entry.number("train_accuracy")
    if train is None and entry.history("accuracy"):
        train = entry.history("accuracy")[-1]
    seconds = entry.number("train_seconds")
    ips = entry.number("images_per_second")
    return {
        "Architecture": str(m.get("arch_name") or m.get("arch") or "—"),
        "Form": str(m.get("form") or config.get("form") or "—"),
        "Dataset": str(m.get("dataset") or "—"),
        "Parameters": f"{int(m['params']):,}" if entry.number("params") is not None else "—",
        "MACs per image": format_count(m["macs"]) if entry.number("macs") is not None else "—",
        "Epochs": str(m.get("epochs_completed", len(entry.history("loss")) or "—")),
        "Train accuracy": _percent(train),
        "Validation accuracy": _percent(val[-1] if val else None),
        "Test accuracy": _percent(entry.number("test_accuracy")),
        "Test loss": f"{m['test_loss']:.4f}" if entry.number("test_loss") is not None else "—",
        "Training time": f"{seconds:.1f} s" if seconds is not None else "—",
        "Images per second": f"{ips:,.0f}" if ips is not None else "—",
        "Batch size": str(config.get("batch_size", "—")),
        "Optimizer": str(config.get("optimizer", "—")),
        "Learning rate": f"{config['learning_rate']:g}" if isinstance(config.get("learning_rate"), (int, float)) else "—",
        "Augmentation": {True: "on", False: "off"}.get(config.get("augment"), "—"),
        "Device": str(m.get("device") or "—"),
        "Saved": entry.saved_at.astimezone().strftime("%Y-%m-%d %H:%M"),
    }


def comparison_table(entries: list[LibraryEntry]) -> list[list[str]]:
    """Rows of text: a header (``""`` then each run's name), then one row per :data:`ROWS`."""
    values = [run_values(e) for e in entries]
    return [[""] + [e.name for e in entries]] + [[row] + [v[row] for v in values] for row in ROWS]


def table_csv(entries: list[LibraryEntry]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(comparison_table(entries))
    return out.getvalue()


def curves(entry: LibraryEntry) -> dict[str, tuple[list[int], list[float]]]:
    """A run's per-epoch curves as (epochs from 1, values): ``loss``, ``val_loss``,
    ``accuracy``, ``val_accuracy`` (those it has)."""
    out = {}
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        values = entry.history(key)
        if values:
            out[key] = (list(range(1, len(values) + 1)), values)
    return out


def epoch_axes(*axes) -> None:
    """Axes over epochs: labelled, a light grid, whole epochs only."""
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)


def draw_comparison(figure, entries: list[LibraryEntry]) -> list:
    """Draws the runs' curves on a matplotlib ``Figure`` (cleared first): loss and accuracy
    per epoch, one colour per run, training dashed and validation solid.

    Returns:
        The ``Line2D`` handles drawn.
    """
    figure.clear()
    loss_ax, acc_ax = figure.subplots(1, 2)
    colours = [f"C{i % 10}" for i in range(len(entries))]
    lines = []
    for entry, colour in zip(entries, colours):
        runs = curves(entry)
        for key, ax, style in (("loss", loss_ax, "--"), ("val_loss", loss_ax, "-"),
                               ("accuracy", acc_ax, "--"), ("val_accuracy", acc_ax, "-")):
            if key in runs:
                x, y = runs[key]
                label = f"{entry.name} ({'validation' if key.startswith('val') else 'training'})"
                lines += ax.plot(x, y, style, color=colour, marker="o", markersize=3, label=label)
    loss_ax.set_title("Loss (dashed: training, solid: validation)", fontsize=9)
    acc_ax.set_title("Accuracy", fontsize=9)
    epoch_axes(loss_ax, acc_ax)
    if any(line.get_ydata().size and min(line.get_ydata()) > 0 for line in loss_ax.lines):
        loss_ax.set_yscale("log")
    if lines:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=c, label=e.name) for e, c in zip(entries, colours)]
        acc_ax.legend(handles=handles, fontsize=7, loc="lower right")
    return lines
