"""Train ▸ Sweep…: every combination of some settings, several seeds each, run one after
another in a worker thread, with a table of mean ± standard deviation and a verdict per
combination against the first (:mod:`core.training.sweep`)."""

from __future__ import annotations

import csv
import datetime
import io
import threading
import time

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure

from core.atomic import atomic_path, write_text_atomically
from core.models.summary import format_clock
from core.training.sweep import SWEEPABLE, draw_bands, label, parse_param
from gui.files import ask_save
from gui.workers.threads import release_thread, run_reported, worker_thread

COLUMNS = ("Combination", "Runs", "Test accuracy", "Best validation loss", "Seconds per epoch", "Failed")


class SweepWorker(QObject):
    """Runs :func:`core.training.sweep.run_sweep` in the thread it is moved to; signals only."""

    run_started = Signal(int, int, str)  # k, total, "name=value, …, seed N"
    run_failed = Signal(str)  # "name=value, …, seed N: why"
    returned = Signal(list, list)  # combination summaries, comparisons
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config, params: dict, seeds: int, library_folder: str | None):
        super().__init__()
        self.config, self.params, self.seeds, self.library_folder = config, params, seeds, library_folder
        self._stop = threading.Event()
        self.sweep_id = datetime.datetime.now().strftime("sweep-%Y%m%d-%H%M%S")

    def stop(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        run_reported(self._run, self.failed, self.finished, "Sweep failed")

    def _run(self) -> None:
        from core.data.datasets import get_dataset_info
        from core.runtime.device import graph_lock
        from core.storage.library import finish_run
        from core.training.sweep import run_sweep, verdicts

        names = get_dataset_info(self.config.dataset).class_names

        def on_result(params, seed, result):
            if self.library_folder:
                finish_run(result, names, self.library_folder, lock=graph_lock,
                           extra={"sweep": {"id": self.sweep_id, "params": params, "seed": seed}})

        combos = run_sweep(self.config, self.params, self.seeds, should_stop=self._stop.is_set,
                           on_run=lambda k, total, p, seed: self.run_started.emit(k, total, f"{label(p)}, seed {seed}"),
                           on_result=on_result,
                           on_failure=lambda p, seed, message: self.run_failed.emit(f"{label(p)}, seed {seed}: {message}"))
        self.returned.emit([c.summary() for c in combos], verdicts(combos))


class SweepDialog(QDialog):
    """Args:
        config: the training settings the sweep starts from (a TrainConfig).
        library_folder: where every run is saved (tagged with the sweep).
    """

    def __init__(self, config, library_folder: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.setModal(True)
        self.config, self.library_folder = config, library_folder
        self.params: dict[str, list] = {}
        self.thread: QThread | None = None
        self.worker: SweepWorker | None = None
        self.summaries: list = []
        self.comparisons: list = []
        self.failures: list[str] = []  # "name=value, seed N: why", as the runs fail

        self.setting = QComboBox()
        for name in SWEEPABLE:
            self.setting.addItem(name.replace("_", " "), name)
        self.setting.setToolTip("The setting to vary; the others are those of the training panel.")
        self.values = QLineEdit()
        self.values.setPlaceholderText("values, e.g. adam,sgd")
        self.values.setToolTip("The values to try, separated by commas.")
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add this setting and its values to the sweep (Enter).")
        self.chosen = QListWidget()
        self.chosen.setMaximumHeight(70)
        self.seeds = QSpinBox()
        self.seeds.setRange(2, 20)
        self.seeds.setValue(3)
        self.seeds.setToolTip("Runs of each combination (seeds N, N+1, …): two runs of the same settings "
                              "differ, so a verdict needs several.")
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        self.start_button = QPushButton("Start sweep")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the finished runs are kept and compared.")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the table as a CSV file.")
        self.png_button = QPushButton("Save PNG…")
        self.png_button.setToolTip("Save the curves (mean ± standard deviation over the seeds) as a PNG image.")
        self.figure = Figure(figsize=(7, 2.4), dpi=90)
        self.curves = FigureCanvasQTAgg(self.figure)
        self.curves.setMinimumHeight(200)
        self.curves.setToolTip("Each combination's validation curves: the line is the mean over its seeds, "
                               "the band one standard deviation either side.")
        self._started_at = 0.0
        self.close_button = QPushButton("Close")
        self.progress = QProgressBar()
        self.progress.setFormat("Choose the settings to sweep")
        self.progress.setTextVisible(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMaximumHeight(150)
        self.verdicts = QLabel("")
        self.verdicts.setWordWrap(True)

        add_row = QHBoxLayout()
        for w in (QLabel("Setting"), self.setting, QLabel("Values"), self.values, self.add_button):
            add_row.addWidget(w)
        seeds_row = QHBoxLayout()
        seeds_row.addWidget(QLabel(f"Starting from {config.arch}, {config.epochs} epoch(s), "
                                   f"{'all' if not config.limit else config.limit} images. Seeds:"))
        seeds_row.addWidget(self.seeds)
        seeds_row.addStretch(1)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.export_button, self.png_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        for item in (add_row, self.chosen, seeds_row, self.error, buttons, self.progress, self.table, self.curves,
                     self.verdicts):
            (layout.addLayout if isinstance(item, QHBoxLayout) else layout.addWidget)(item)
        self.resize(820, 680)

        self.add_button.clicked.connect(self.add_param)
        self.values.returnPressed.connect(self.add_param)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.export_button.clicked.connect(self.ask_export_csv)
        self.png_button.clicked.connect(self.ask_save_png)
        self.close_button.clicked.connect(self.close)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.thread is not None
        self.start_button.setEnabled(bool(self.params) and not running)
        self.stop_button.setEnabled(running)
        self.export_button.setEnabled(bool(self.summaries) and not running)
        self.png_button.setEnabled(bool(self.summaries) and not running)
        self.close_button.setEnabled(not running)
        for w in (self.setting, self.values, self.add_button, self.seeds):
            w.setEnabled(not running)

    def add_param(self) -> None:
        try:
            name, values = parse_param(f"{self.setting.currentData()}={self.values.text()}")
        except ValueError as e:
            self.error.setText(str(e).replace("--param ", ""))
            return
        self.error.setText("")
        self.params[name] = values
        self.chosen.clear()
        for key, vals in self.params.items():
            self.chosen.addItem(f"{key} = {', '.join(str(v) for v in vals)}")
        self.values.clear()
        self._update_buttons()

    def start(self) -> None:
        from dataclasses import replace

        from core.training.sweep import combinations

        problems = {}
        for combo in combinations(self.params):
            problems.update(replace(self.config, **combo).errors())
        if problems:
            self.error.setText("; ".join(f"{k.replace('_', ' ')} {v}" for k, v in problems.items()))
            return
        self.error.setText("")
        self.summaries, self.comparisons, self.failures = [], [], []
        self.table.setRowCount(0)
        self.verdicts.setText("")
        self.worker = SweepWorker(self.config, dict(self.params), self.seeds.value(), self.library_folder)
        self.thread = worker_thread(self, self.worker, "sweep", self._on_thread_finished)
        self.worker.run_started.connect(self._on_run_started)
        self.worker.run_failed.connect(self._on_run_failed)
        self.worker.returned.connect(self._on_returned)
        self.worker.failed.connect(self._on_failed)
        self._update_buttons()
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._started_at = time.monotonic()
        self.thread.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.progress.setFormat("Stopping after the current batch…")

    def _on_run_started(self, k: int, total: int, what: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(k - 1)
        text = f"Run {k} of {total}: {what}"
        if k > 1:  # the runs are alike: the ones done tell how long the rest take
            left = (time.monotonic() - self._started_at) / (k - 1) * (total - k + 1)
            text += f" — about {format_clock(left)} left"
        self.progress.setFormat(text)

    def _on_run_failed(self, text: str) -> None:
        """A run failed: said at once (the sweep goes on with the next run)."""
        self.failures.append(text)
        self.error.setText(f"{len(self.failures)} run(s) failed; the sweep goes on. Last: {text}")

    def _on_returned(self, summaries: list, comparisons: list) -> None:
        self.summaries, self.comparisons = summaries, comparisons
        self.table.setRowCount(len(summaries))
        for r, s in enumerate(summaries):
            mean, std = s["test_accuracy_mean"], s["test_accuracy_std"]
            cells = (label(s["params"]), str(s["runs"]),
                     f"{100 * mean:.2f}% ± {100 * std:.2f}" if mean is not None else "–",
                     f"{s['best_val_loss_mean']:.4f}" if s["best_val_loss_mean"] is not None else "–",
                     f"{s['epoch_seconds_mean']:.1f}" if s["epoch_seconds_mean"] is not None else "–",
                     str(len(s["failed"])) if s["failed"] else "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if s["failed"]:  # the reasons, on every cell of the row
                    item.setToolTip("\n".join(f"Seed {f['seed']} failed: {f['error']}" for f in s["failed"]))
                self.table.setItem(r, c, item)
        failed = [f"<b>{label(s['params'])}</b>, seed {f['seed']} failed: {f['error']}"
                  for s in summaries for f in s["failed"]]
        self.verdicts.setText("<br>".join(
            [f"<b>{c['b']}</b> against <b>{c['a']}</b>: {100 * c['difference']:+.2f} points (95% interval "
             f"{100 * c['low']:+.2f} to {100 * c['high']:+.2f}, {c['test']}) — {c['verdict']}" for c in comparisons]
            or ["A verdict needs two or more finished runs of each combination."]) + "".join(
            f"<br><span style='color:#c0392b'>{line}</span>" for line in failed))
        draw_bands(self.figure, summaries)
        self.curves.draw_idle()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        finished = sum(s["runs"] for s in summaries)
        if failed:
            self.error.setText(f"{len(failed)} run(s) failed (the reasons are below); the {finished} that "
                               "finished are kept and compared.")
            self.progress.setFormat(f"Done: {finished} run(s) in the model library, {len(failed)} failed")
        else:
            self.progress.setFormat("Done: every run is in the model library, tagged with the sweep")

    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setFormat("Failed")
        self.error.setText(message)

    def _on_thread_finished(self) -> None:
        thread, worker = self.thread, self.worker
        self.thread = self.worker = None
        release_thread(thread)
        del worker
        self._update_buttons()

    def table_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["combination", "runs", "test_accuracy_mean", "test_accuracy_std", "best_val_loss_mean",
                         "epoch_seconds_mean", "failed", "errors"])
        for s in self.summaries:
            writer.writerow([label(s["params"]), s["runs"], s["test_accuracy_mean"], s["test_accuracy_std"],
                             s["best_val_loss_mean"], s["epoch_seconds_mean"], len(s["failed"]),
                             " | ".join(f"seed {f['seed']}: {f['error']}" for f in s["failed"])])
        return out.getvalue()

    def ask_export_csv(self) -> None:
        path = ask_save(self, "Export the sweep", "sweep.csv", "CSV files (*.csv)", ".csv")
        if path:
            try:
                write_text_atomically(path, self.table_csv())
                self.progress.setFormat(f"Table saved to {path}")
            except OSError as e:
                self.error.setText(f"Could not write {path}: {e.strerror or e}. Choose another folder.")

    def ask_save_png(self) -> None:
        path = ask_save(self, "Save the sweep's curves", "sweep.png", "PNG images (*.png)", ".png")
        if path:
            self.save_png(path)

    def save_png(self, path: str) -> bool:
        try:
            with atomic_path(path) as tmp:
                self.figure.savefig(tmp, format="png", dpi=120)
        except OSError as e:
            self.error.setText(f"Could not write {path}: {e.strerror or e}. Choose another folder.")
            return False
        self.progress.setFormat(f"Curves saved to {path}")
        return True

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def closeEvent(self, event) -> None:
        if self.thread is not None:  # the window is closing: end the sweep (its finished runs are saved)
            from gui.workers.threads import wait_until_ended

            self.stop()
            wait_until_ended(lambda: [("the sweep's run", self.thread)], self, "Stopping the sweep…")
        super().closeEvent(event)
