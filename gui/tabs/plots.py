"""Live loss and accuracy curves: embedded matplotlib, redrawn on a timer with blitting."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from PySide6.QtCore import QTimer

MAX_DRAWN_POINTS = 500
REDRAW_MS = 200  # 5 Hz: smooth to the eye, and little GIL time taken from training
#: Fixed axis ranges for a run, so that the figure is never fully redrawn while training
#: (a full draw takes 150-300 ms with training running; blitting the curves ≈10 ms). Loss
#: outside its range widens it (a rare full redraw); accuracy is on a logit scale, where
#: 10%, 90%, 99% and 99.9% are evenly spaced, so one range shows every stage.
LOSS_RANGE = (0.005, 5.0)
ACCURACY_RANGE = (0.05, 0.999)
ACCURACY_TICKS = (0.1, 0.5, 0.9, 0.97, 0.99, 0.997, 0.999)


def decimate(x: list[float], y: list[float], limit: int = MAX_DRAWN_POINTS):
    """Returns at most ``limit`` points of a curve, evenly spaced, keeping the last one."""
    if len(x) <= limit:
        return x, y
    idx = np.linspace(0, len(x) - 1, limit).round().astype(int)
    return np.asarray(x)[idx], np.asarray(y)[idx]


def smooth(values: list[float], weight: float = 0.6) -> np.ndarray:
    """Exponential moving average, as TensorBoard smooths its curves."""
    out = np.empty(len(values))
    last = None
    for i, v in enumerate(values):
        last = v if last is None or not math.isfinite(last) else weight * last + (1 - weight) * v
        out[i] = last
    return out


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ value."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * 10**exponent >= value * (1 - 1e-9):
            return step * 10**exponent
    return 10 ** (exponent + 1)


class TrainingPlots(FigureCanvasQTAgg):
    """Loss and accuracy, training (per report) and validation (per epoch), and under them
    the learning rate as the schedule moves it.

    Points are added at any rate with :meth:`add_batch` and :meth:`add_epoch`; the figure
    is updated at most every ``REDRAW_MS`` milliseconds and only when something changed.
    While the axis limits stay put, only the curves are redrawn over a saved background
    (blitting, ≈10 ms); the limits move in coarse steps so that full redraws are rare.
    """

    def __init__(self, parent=None):
        self.figure = Figure(figsize=(6, 4), layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        grid = self.figure.add_gridspec(2, 2, height_ratios=(3, 1))
        self.ax_loss = self.figure.add_subplot(grid[0, 0])
        self.ax_acc = self.figure.add_subplot(grid[0, 1])
        self.ax_lr = self.figure.add_subplot(grid[1, :])
        self.train_x: list[float] = []
        self.train_loss: list[float] = []
        self.train_acc: list[float] = []
        self.train_lr: list[float] = []
        self.val_x: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        self.epochs = 1
        self.base_learning_rate: float | None = None
        style = {"animated": True}
        (self.line_train_loss,) = self.ax_loss.plot([], [], color="#2171b5", lw=1.2, label="training", **style)
        (self.line_val_loss,) = self.ax_loss.plot([], [], "o-", color="#e6550d", lw=1.5, ms=4,
                                                  label="validation", **style)
        (self.line_train_acc,) = self.ax_acc.plot([], [], color="#2171b5", lw=1.2, label="training", **style)
        (self.line_val_acc,) = self.ax_acc.plot([], [], "o-", color="#e6550d", lw=1.5, ms=4,
                                                label="validation", **style)
        (self.line_lr,) = self.ax_lr.plot([], [], color="#31a354", lw=1.2, drawstyle="steps-post", **style)
        self.lines = (self.line_train_loss, self.line_val_loss, self.line_train_acc, self.line_val_acc,
                      self.line_lr)
        self.ax_loss.set_yscale("log")  # from 2.3 down to 0.01: every stage stays visible
        self.ax_acc.set_yscale("logit", nonpositive="clip")
        self.ax_acc.yaxis.set_major_locator(FixedLocator(ACCURACY_TICKS))
        self.ax_acc.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}%"))
        self.ax_acc.yaxis.set_minor_locator(NullLocator())
        self.ax_lr.set_yscale("log")  # decays span two or three decades
        self.ax_lr.set_ylabel("learning rate", fontsize="small")
        self.ax_lr.grid(True, alpha=0.3, which="major")
        self.ax_lr.tick_params(labelsize="small")
        for ax, title, where in ((self.ax_loss, "Loss (log scale)", "upper right"),
                                 (self.ax_acc, "Accuracy (logit scale)", "lower right")):
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.grid(True, alpha=0.3, which="both")
            ax.legend(loc=where, fontsize="small")
        self.hint = self.ax_loss.text(
            0.5, 0.5, "Press Start training\nto watch the curves grow", transform=self.ax_loss.transAxes,
            ha="center", va="center", color="#888", fontsize="large")
        self._limits = None
        self._background = None
        self._dirty = False
        self.full_redraws = 0
        self.blits = 0
        self._apply_limits(self._wanted_limits())
        self.mpl_connect("draw_event", self._on_draw)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw_if_dirty)
        self.setToolTip("Training curves: the line is the training loss and accuracy over the "
                        "last batches, lightly smoothed; the dots are the validation set after "
                        "each epoch.")

    def start(self, epochs: int = 1, learning_rate: float | None = None) -> None:
        """Clears the curves for a run of ``epochs`` epochs and starts the redraw timer.

        The axes get their ranges for the whole run now (``learning_rate`` sets the
        learning-rate axis), in the one full redraw before training gets going.
        """
        self.epochs = max(1, int(epochs))
        self.base_learning_rate = learning_rate
        had_hint = self.hint.get_visible()
        self.hint.set_visible(False)
        for values in (self.train_x, self.train_loss, self.train_acc, self.train_lr, self.val_x, self.val_loss,
                       self.val_acc):
            values.clear()
        for line in self.lines:
            line.set_data([], [])
        limits = self._wanted_limits()
        if limits == self._limits and self._background is not None and not had_hint:
            # The same axes as the last run: its background (axes without curves) will do.
            self.restore_region(self._background)
            self.blit(self.figure.bbox)
            self.blits += 1
        else:
            self._apply_limits(limits)
            self.draw()  # now, before the training thread competes for the CPU
            self.full_redraws += 1
        self._dirty = False
        self.timer.start()

    def stop(self) -> None:
        """Stops the timer after a last redraw."""
        self.timer.stop()
        self._redraw_if_dirty()

    def clear(self) -> None:
        for values in (self.train_x, self.train_loss, self.train_acc, self.train_lr, self.val_x, self.val_loss,
                       self.val_acc):
            values.clear()
        self._dirty = True
        self._redraw_if_dirty()

    def add_history(self, history: dict) -> None:
        """Draws a resumed run's earlier epochs: one training point per epoch (its mean),
        and the validation dots."""
        def values(key):
            return [float(v) for v in history.get(key) or [] if isinstance(v, (int, float))]

        loss, acc, lr = values("loss"), values("accuracy"), values("learning_rate")
        for i, (l, a) in enumerate(zip(loss, acc)):
            self.train_x.append(i + 1.0)
            self.train_loss.append(l)
            self.train_acc.append(a)
            self.train_lr.append(lr[i] if i < len(lr) else float("nan"))
        for i, (l, a) in enumerate(zip(values("val_loss"), values("val_accuracy"))):
            self.val_x.append(i + 1.0)
            self.val_loss.append(l)
            self.val_acc.append(a)
        self._dirty = bool(loss or self.val_x)

    def add_batch(self, p: dict) -> None:
        self.train_x.append(p["epoch"] + p["batch"] / p["batches"])
        self.train_loss.append(p["loss"])
        self.train_acc.append(p["accuracy"])
        self.train_lr.append(p.get("learning_rate", float("nan")))
        self._dirty = True

    def add_epoch(self, e: dict) -> None:
        if "val_loss" not in e or not e.get("complete", True):
            return
        self.val_x.append(e["epoch"] + 1)
        self.val_loss.append(e["val_loss"])
        self.val_acc.append(e["val_accuracy"])
        self._dirty = True

    # -------------------------------------------------------------------- drawing
    def _wanted_limits(self) -> tuple:
        xs = self.train_x + self.val_x
        right = max(float(self.epochs), math.ceil(max(xs)) if xs else 1.0)
        losses = [v for v in self.train_loss + self.val_loss if math.isfinite(v) and v > 0]
        loss_bottom, loss_top = LOSS_RANGE
        if losses:
            loss_bottom = min(loss_bottom, 10 ** math.floor(math.log10(min(losses))))
            loss_top = max(loss_top, nice_ceiling(max(losses) * 1.05))
        rates = [v for v in self.train_lr if math.isfinite(v) and v > 0]
        base = self.base_learning_rate or (max(rates) if rates else 1e-3)
        # schedules end at 1% (cosine, step) or lower (plateau) and warm up from ~0.1%
        lr_bottom = 10 ** math.floor(math.log10(base / 1000))
        lr_top = 10 ** math.ceil(math.log10(base * 1.0001))
        if rates:
            lr_bottom = min(lr_bottom, 10 ** math.floor(math.log10(min(rates))))
            lr_top = max(lr_top, 10 ** math.ceil(math.log10(max(rates) * 1.0001)))
        return right, loss_bottom, loss_top, lr_bottom, lr_top

    def _apply_limits(self, limits) -> None:
        right, loss_bottom, loss_top, lr_bottom, lr_top = limits
        self.ax_loss.set_xlim(0, right)
        self.ax_acc.set_xlim(0, right)
        self.ax_lr.set_xlim(0, right)
        self.ax_lr.set_ylim(lr_bottom, lr_top)
        self.ax_loss.set_ylim(loss_bottom, loss_top)
        self.ax_acc.set_ylim(*ACCURACY_RANGE)
        self.ax_acc.yaxis.set_major_locator(FixedLocator(ACCURACY_TICKS))  # set_ylim may reset it
        self._limits = limits

    def _on_draw(self, event) -> None:
        """After a full draw: keep the background, then draw the curves over it."""
        self._background = self.copy_from_bbox(self.figure.bbox)
        for line in self.lines:
            self.figure.draw_artist(line)

    def _redraw_if_dirty(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.line_train_loss.set_data(*decimate(self.train_x, smooth(self.train_loss)))
        self.line_train_acc.set_data(*decimate(self.train_x, smooth(self.train_acc)))
        self.line_val_loss.set_data(self.val_x, self.val_loss)
        self.line_val_acc.set_data(self.val_x, self.val_acc)
        self.line_lr.set_data(*decimate(self.train_x, self.train_lr))
        limits = self._wanted_limits()
        if limits != self._limits or self._background is None:
            self._apply_limits(limits)
            self.draw_idle()
            self.full_redraws += 1
            return
        self.restore_region(self._background)
        for line in self.lines:
            self.figure.draw_artist(line)
        self.blit(self.figure.bbox)
        self.blits += 1
