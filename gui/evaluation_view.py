"""The Evaluation tab: the canvas's model measured on its test set — accuracy, the
confusion matrix, and the mistakes it is surest of."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

MISTAKES_SHOWN = 24


class EvaluationView(QWidget):
    """Signals:
        requested: the user asked for an evaluation.
    """

    requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QPushButton("Evaluate on the test set")
        self.button.setToolTip("Measure the model the canvas uses on its dataset's test set (Ctrl+E).")
        self.button.clicked.connect(self.requested)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.summary = QLabel("Measure the canvas's model: its accuracy, which classes it confuses, "
                              "and the test images it gets wrong most confidently.")
        self.summary.setWordWrap(True)
        self.figure = Figure(figsize=(5, 7), layout="constrained")
        self.plot = FigureCanvasQTAgg(self.figure)
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.busy)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        self.result: dict | None = None

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self.busy.setVisible(busy)
        if busy:
            self.summary.setText("Evaluating on the test set…")

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.summary.setText(f"<span style='color:#c0392b'>{message}</span>")

    def show_result(self, result: dict, description: str = "") -> None:
        """Draws the confusion matrix and the most confident mistakes."""
        self.set_busy(False)
        self.result = result
        names = result["class_names"]
        per_class = result["per_class_accuracy"]
        worst = min((a, n) for a, n in zip(per_class, names) if a is not None)
        self.summary.setText(
            f"<b>{100 * result['accuracy']:.2f}%</b> of {result['count']:,} {result['dataset']} test images "
            f"right, loss {result['loss']:.4f}{' — ' + description if description else ''}. "
            f"Hardest class: {worst[1]} ({100 * worst[0]:.1f}%). Below the confusion matrix: the "
            f"mistakes it is surest of (true→predicted, confidence).")
        self.figure.clear()
        grid = self.figure.add_gridspec(2, 1, height_ratios=[1.5, 1])
        ax = self.figure.add_subplot(grid[0])
        matrix = np.asarray(result["confusion_matrix"])
        off = matrix.astype(float)
        np.fill_diagonal(off, np.nan)  # the colours show the confusions, not the right answers
        ax.imshow(np.log1p(np.nan_to_num(off)), cmap="Reds")
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=6 if len(names) > 10 else 7,
                        color="#2a6" if i == j else "black")
        ax.set_xticks(range(len(names)), names, fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title("Confusion matrix", fontsize=9)
        mistakes = result.get("mistakes", [])[:MISTAKES_SHOWN]
        images = result.get("images")
        sub = grid[1].subgridspec(3, 8)
        for k, mistake in enumerate(mistakes):
            cell = self.figure.add_subplot(sub[k // 8, k % 8])
            cell.imshow(images[k], cmap="gray")
            cell.set_title(f"{names[mistake['true']]}→{names[mistake['predicted']]} "
                           f"{100 * mistake['confidence']:.0f}%", fontsize=6, pad=2)
            cell.axis("off")
        if not mistakes:
            self.figure.text(0.5, 0.2, "No mistakes.", ha="center")
        self.plot.draw_idle()
