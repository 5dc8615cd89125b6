"""Live loss and accuracy curves, embedded matplotlib redrawn on a timer."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QTimer

MAX_DRAWN_POINTS = 600
REDRAW_MS = 150  # ≈7 Hz: smooth to the eye, a small share of a CPU core


def decimate(x: list[float], y: list[float], limit: int = MAX_DRAWN_POINTS):
    """Returns at most ``limit`` points of a curve, evenly spaced, keeping the last one."""
    if len(x) <= limit:
        return x, y
    idx = np.linspace(0, len(x) - 1, limit).round().astype(int)
    xa, ya = np.asarray(x), np.asarray(y)
    return xa[idx], ya[idx]


class TrainingPlots(FigureCanvasQTAgg):
    """Two axes, loss and accuracy, with training (per report) and validation (per epoch).

    Points are added at any rate with :meth:`add_batch` and :meth:`add_epoch`; the figure
    is redrawn at most every ``REDRAW_MS`` milliseconds, and only when something changed,
    so the window stays responsive whatever the batch size.
    """

    def __init__(self, parent=None):
        self.figure = Figure(figsize=(6, 4), layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.ax_loss = self.figure.add_subplot(1, 2, 1)
        self.ax_acc = self.figure.add_subplot(1, 2, 2)
        self.train_x: list[float] = []
        self.train_loss: list[float] = []
        self.train_acc: list[float] = []
        self.val_x: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        (self.line_train_loss,) = self.ax_loss.plot([], [], color="#2171b5", lw=1.2, label="training")
        (self.line_val_loss,) = self.ax_loss.plot([], [], "o-", color="#e6550d", lw=1.5, ms=4, label="validation")
        (self.line_train_acc,) = self.ax_acc.plot([], [], color="#2171b5", lw=1.2, label="training")
        (self.line_val_acc,) = self.ax_acc.plot([], [], "o-", color="#e6550d", lw=1.5, ms=4, label="validation")
        for ax, title in ((self.ax_loss, "Loss"), (self.ax_acc, "Accuracy")):
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.grid(True, alpha=0.3)
            ax.legend(loc="best", fontsize="small")
        self.hint = self.ax_loss.text(
            0.5, 0.5, "Press Start training\nto watch the curves grow", transform=self.ax_loss.transAxes,
            ha="center", va="center", color="#888", fontsize="large")
        self._reset_axes()
        self._dirty = False
        self.redraws = 0
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw_if_dirty)
        self.setToolTip("Training curves: the training line is the mean loss over the last "
                        "batches; the dots are the validation set after each epoch.")

    def _reset_axes(self):
        self.ax_loss.set_xlim(0, 1)
        self.ax_loss.set_ylim(0, 1)
        self.ax_acc.set_xlim(0, 1)
        self.ax_acc.set_ylim(0, 1.0)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        """Stops the timer after a last redraw."""
        self.timer.stop()
        self._redraw_if_dirty()

    def clear(self) -> None:
        for values in (self.train_x, self.train_loss, self.train_acc, self.val_x, self.val_loss, self.val_acc):
            values.clear()
        self._dirty = True
        self._redraw_if_dirty()

    def add_batch(self, p: dict) -> None:
        x = p["epoch"] + p["batch"] / p["batches"]
        self.train_x.append(x)
        self.train_loss.append(p["loss"])
        self.train_acc.append(p["accuracy"])
        self._dirty = True

    def add_epoch(self, e: dict) -> None:
        if "val_loss" not in e or not e.get("complete", True):
            return
        self.val_x.append(e["epoch"] + 1)
        self.val_loss.append(e["val_loss"])
        self.val_acc.append(e["val_accuracy"])
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.line_train_loss.set_data(*decimate(self.train_x, self.train_loss))
        self.line_train_acc.set_data(*decimate(self.train_x, self.train_acc))
        self.line_val_loss.set_data(self.val_x, self.val_loss)
        self.line_val_acc.set_data(self.val_x, self.val_acc)
        xs = self.train_x + self.val_x
        self.hint.set_visible(not xs)
        if xs:
            right = max(1.0, float(np.ceil(max(xs))))
            losses = [v for v in self.train_loss + self.val_loss if np.isfinite(v)]
            top = max(losses) * 1.05 if losses else 1.0
            accs = [v for v in self.train_acc + self.val_acc if np.isfinite(v)]
            bottom = min(accs) if accs else 0.0
            self.ax_loss.set_xlim(0, right)
            self.ax_loss.set_ylim(0, top)
            self.ax_acc.set_xlim(0, right)
            self.ax_acc.set_ylim(max(0.0, bottom - 0.02), 1.0)
        else:
            self._reset_axes()
        self.draw_idle()
        self.redraws += 1
