"""The training panel: the settings, Start/Pause/Stop, progress and result, and the life of
one training run in its worker thread (the cost check of reference forms included)."""

from __future__ import annotations

import html
import time
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QVBoxLayout

from core.data.datasets import get_dataset_info
from core.models.registry import get_arch
from core.models.summary import format_clock
from gui.commands import make_action, warn
from gui.workers.engine import next_request_id
from gui.workers.process_worker import ProcessTrainingWorker
from gui.panels.dataset_actions import DatasetActions
from gui.panels.settings_panel import SettingsPanel
from gui.tabs.summary_view import summary_from_dict
from gui.workers.threads import release_thread, worker_thread
from gui.workers.training_worker import TrainingWorker

#: A reference network slower than this per epoch asks before training.
SLOW_EPOCH_SECONDS = 15 * 60


class TrainingPanel(DatasetActions, QGroupBox):
    """Edits the settings and runs one training at a time.

    Args:
        plots: the :class:`gui.tabs.plots.TrainingPlots` the run feeds.
        library_folder: returns the model library folder (runs are saved there).
        checkpoints_folder: returns the folder of best-so-far checkpoints, or None.

    Signals:
        training_finished(dict): a run ended with a model (after the result is shown).
        training_failed(str): a run failed; the message says what to do.
        run_started: a run began (the window shows the curves).
        busy_changed(bool): training began or ended.
        run_saved(str): the run was saved in the library at this path.
        snapshot(dict), metadata(dict), model_file(str): the newest weights, the finished
            run's record, and a model file the run wrote, for the canvas's engine.
        request_summary(int, str, object, int, str, dict): a cost estimate of a reference form.
        replicas(str): the replicas training together ("" with one device).
        status(str, int): a message for the status bar and how long it shows (ms).
    """

    training_finished = Signal(dict)
    training_failed = Signal(str)
    run_started = Signal()
    busy_changed = Signal(bool)
    run_saved = Signal(str)
    snapshot = Signal(dict)
    metadata = Signal(dict)
    model_file = Signal(str)
    request_summary = Signal(int, str, object, int, str, dict)
    replicas = Signal(str)
    status = Signal(str, int)

    def __init__(self, plots, library_folder, checkpoints_folder, parent=None):
        super().__init__("Training", parent)
        self.plots = plots
        self.library_folder = library_folder
        self.checkpoints_folder = checkpoints_folder
        self.worker: TrainingWorker | ProcessTrainingWorker | None = None
        self.train_thread: QThread | None = None
        self.last_result: dict | None = None
        self._saved_run: str | None = None
        self._pending_start = None
        self._start_check_request = -1
        self._train_started = 0.0
        self._closing = False

        self.settings = SettingsPanel()
        self.start_button = QPushButton("Start training")
        self.start_button.setToolTip("Train the chosen network with these settings (Ctrl+Enter).")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Hold training after the current batch, freeing the CPU; "
                                     "press again to resume (Ctrl+P).")
        self.pause_button.setCheckable(True)
        self.pause_button.setEnabled(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch and keep the model (Esc).")
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.progress.setTextVisible(True)
        self.progress_detail = QLabel("")
        self.progress_detail.setWordWrap(True)
        self.warning_label = QLabel("")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #b35900;")
        self.warning_label.setToolTip("What the last epoch says about the run, and what to try.")
        self.warning_label.hide()
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_detail)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self.start_action = make_action(self, "&Start", ["Ctrl+Return", "Ctrl+Enter"], self.start_training,
                                        "Start training.")
        self.stop_action = make_action(self, "S&top", "Esc", self.stop_training,
                                       "Stop training after the current batch.")
        self.pause_action = make_action(self, "&Pause / Resume", "Ctrl+P", self.toggle_pause,
                                        "Hold training (freeing the CPU), or go on.")
        self.reset_action = make_action(self, "&Reset to defaults", "Ctrl+R", self.settings.reset_defaults,
                                        "Set every setting to the architecture's defaults.")
        self.more_action = make_action(
            self, "&More settings", "Ctrl+M",
            lambda: self.settings.set_advanced_visible(not self.settings.advanced.isVisible()),
            "Show or hide momentum, weight decay, warm-up, augmentation, deslanting, early stopping and more.")
        self.add_folder_action = make_action(
            self, "Add image &folder…", None, self.add_image_folder,
            "Train on your own images: a folder with one subfolder of images per class.")
        self.download_action = make_action(
            self, "&Download CIFAR-10…", None, self.open_download_dialog,
            "Fetch CIFAR-10 (170 MB of colour photos) into Keras's cache, with progress and Cancel.")
        self.actions_for_menu = [self.start_action, self.stop_action, self.pause_action, None,
                                 self.reset_action, self.more_action, self.add_folder_action, self.download_action]
        self.download_dialog = None

        self.start_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.settings.submitted.connect(self.start_training)
        self.settings.download_requested.connect(self.open_download_dialog)
        self.settings.validity_changed.connect(self._update_buttons)
        self._update_buttons()

    # ----------------------------------------------------------------- state
    @property
    def is_training(self) -> bool:
        return self.train_thread is not None

    def _update_buttons(self, *_):
        valid = self.settings.check() if not self.is_training else True
        self.start_button.setEnabled(not self.is_training and valid)
        self.start_action.setEnabled(not self.is_training)
        self.stop_button.setEnabled(self.is_training)
        self.stop_action.setEnabled(self.is_training)
        can_pause = self.is_training and self.worker is not None and self.worker.can_pause
        self.pause_button.setEnabled(can_pause)
        self.pause_action.setEnabled(can_pause)
        if not self.is_training:
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")

    # ----------------------------------------------------------------- starting
    @Slot()
    def start_training(self) -> None:
        """Start training (the button, Train ▸ Start, Ctrl+Enter, Enter in a field) with the
        panel's settings; refused with a message when one is marked in red."""
        if self.is_training or self._pending_start is not None:
            return
        if not self.settings.check():
            self.status.emit("Fix the settings marked in red first.", 6000)
            return
        self.train(self.settings.config())

    def train(self, config, data=None, confirmed: bool = False) -> bool:
        """Starts training with ``config`` (and an already loaded dataset); False if refused.

        A reference form is first costed (in the engine); when an epoch would take longer
        than ``SLOW_EPOCH_SECONDS`` the user is offered the compact form.
        """
        if self.is_training or self._pending_start is not None:
            return False
        config.validate()
        if config.form == "reference" and not confirmed:
            info = get_dataset_info(config.dataset, **config.dataset_options())
            options = config.model_options()
            form = options.pop("form")
            self._pending_start = (config, data)
            self._start_check_request = next_request_id()
            self.progress.setFormat("Estimating the cost of an epoch…")
            self.request_summary.emit(self._start_check_request, config.arch, info.input_shape,
                                      len(info.class_names), form, options)
            return True
        return self._start(config, data)

    def on_summary(self, request_id: int, summary_data: dict) -> None:
        """The engine's summary: the cost estimate this panel asked for, if it is one."""
        if request_id != self._start_check_request:
            return
        from core.models.summary import estimate_training, format_seconds

        config, data = self._pending_start
        self._pending_start = None
        self._start_check_request = -1
        images = len(data.x_train) if data is not None else get_dataset_info(config.dataset).training_images(
            config.limit, config.val_split)
        estimate = estimate_training(summary_from_dict(summary_data), images, config.batch_size)
        seconds = estimate["seconds_per_epoch"]
        if seconds > SLOW_EPOCH_SECONDS:
            name = get_arch(config.arch).name
            choice = self.ask_slow_reference(
                f"{name} in its reference form (input {tuple(summary_data['input_shape'])} resized "
                f"inside the model) would take about {format_seconds(seconds)} per epoch on this "
                f"machine, {format_seconds(seconds * config.epochs)} for {config.epochs} epochs.\n\n"
                f"The compact form keeps the idea of the network and trains in minutes.")
            if choice == "cancel":
                self.progress.setFormat("Ready")
                return
            if choice == "compact":
                config.form = "compact"
                self.settings.form.setCurrentIndex(self.settings.form.findData("compact"))
        self._start(config, data)

    def on_summary_failed(self, request_id: int, message: str) -> None:
        if request_id == self._start_check_request:
            self._pending_start = None
            self._start_check_request = -1
            self.progress.setFormat("Ready")
            warn(self, "Cannot start training", message)

    def ask_slow_reference(self, text: str) -> str:
        """Asks what to do with a slow reference network: "compact", "reference" or "cancel"."""
        box = QMessageBox(QMessageBox.Icon.Question, "This will take a long time", text, parent=self.window())
        compact = box.addButton("Train the compact form", QMessageBox.ButtonRole.AcceptRole)
        reference = box.addButton("Train the reference anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(compact)
        box.exec()
        clicked = box.clickedButton()
        return "compact" if clicked is compact else "reference" if clicked is reference else "cancel"

    def _start(self, config, data) -> bool:
        done, history = 0, {}
        if config.resume:  # the curves go on from where the run stopped
            from core.storage.modelio import read_metadata
            from core.training.resume import resumable_epoch

            record = read_metadata(config.resume)
            done = resumable_epoch(record) or 0
            history = record.get("history") if isinstance(record.get("history"), dict) else {}
            history = {k: v[:done] for k, v in history.items() if isinstance(v, list)}
        self.plots.start(done + config.epochs, config.learning_rate)
        self.plots.add_history(history)
        self.result_label.setText("")
        self.warning_label.setText("")
        self.warning_label.hide()
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.progress_detail.setText("")
        self.run_started.emit()
        self._train_started = time.perf_counter()

        folder = self.checkpoints_folder()
        if config.checkpoint is None and folder:
            config.checkpoint = str(Path(folder) / f"{config.arch}-best.keras")
        library = self.library_folder()
        if config.strategy == "multiworker":
            # A multi-worker strategy needs a process of its own (see gui.workers.process_worker).
            from core.storage.library import free_path, run_name

            last = str(free_path(Path(library), run_name({"arch": config.arch, "dataset": config.dataset})))
            self.worker = ProcessTrainingWorker(config, last_model_path=last)
            self.worker.model_saved.connect(self.model_file)
        else:
            self.worker = TrainingWorker(config, data, library_folder=library)
        self.worker.paused.connect(self._on_paused)
        self.worker.started_on.connect(self._on_started_on)
        self.train_thread = worker_thread(self, self.worker, "training", self._on_thread_finished)
        self.worker.status.connect(self._on_train_status)
        self.worker.progress.connect(self._on_progress)
        self.worker.epoch_done.connect(self._on_epoch)
        self.worker.snapshot.connect(self.snapshot)
        self.worker.returned.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.settings.set_locked(True)
        self._update_buttons()
        self.busy_changed.emit(True)
        self.train_thread.start()
        self.status.emit(f"Training {get_arch(config.arch).name}…", 0)
        return True

    # ----------------------------------------------------------------- during the run
    def _on_started_on(self, info: dict):
        if info["replicas"] > 1 or info["strategy"] != "default":
            role = ""
            if info.get("worker") is not None:
                role = f", worker {info['worker']}" + (" (chief: saves the model)" if info["chief"] else "")
            self.replicas.emit(f"{info['replicas']} replicas ({info['strategy']}{role}), "
                               f"lr {info['learning_rate']:g}")

    def toggle_pause(self):
        """Pauses training, or resumes it when paused."""
        if self.worker is None or self.worker.stopping or not self.worker.can_pause:
            return
        if self.worker.is_paused:
            self.worker.resume()
        else:
            self.worker.pause()

    def _on_paused(self, paused: bool):
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.progress.setFormat("Paused — press Resume (Ctrl+P) to go on")
            self.status.emit("Paused after the current batch; the CPU is free.", 0)
        else:
            self.status.emit("Resumed.", 3000)

    def stop_training(self):
        if self.worker is not None and not self.worker.stopping:
            self.worker.resume()
            self.worker.stop()
            self.progress.setFormat("Stopping…")
            self.status.emit("Stopping after the current batch…", 0)

    def _on_train_status(self, text: str):
        self.progress.setFormat(text)

    def _on_progress(self, p: dict):
        self.plots.add_batch(p)
        if self.worker is not None and self.worker.is_paused:
            return  # a report queued before the pause: keep "Paused" showing
        fraction = p["progress"]
        self.progress.setValue(int(1000 * fraction))
        elapsed = time.perf_counter() - self._train_started
        # The trainer's estimate, of this session's epochs (a resumed run's earlier ones took
        # none of its time).
        eta = p["eta"]
        self.progress.setFormat(f"Epoch {p['epoch'] + 1}/{p['epochs']} — {100 * fraction:.0f}% — "
                                f"ETA {format_clock(eta)}")
        self.progress_detail.setText(
            f"Batch {p['batch']}/{p['batches']}, loss {p['epoch_loss']:.4f}, accuracy "
            f"{100 * p['epoch_accuracy']:.2f}%, {p['images_per_second']:,.0f} images/s, "
            f"elapsed {format_clock(elapsed)}"
        )

    def _on_epoch(self, e: dict):
        self.plots.add_epoch(e)
        if e.get("complete"):  # a cut-short epoch is not judged: what was said stays
            self.warning_label.setText(e.get("warning") or "")
            self.warning_label.setVisible(bool(e.get("warning")))
        if e.get("warning"):
            self.status.emit(e["warning"], 15000)
        elif e.get("complete") and "val_accuracy" in e:
            self.status.emit(
                f"Epoch {e['epoch'] + 1}: validation accuracy {100 * e['val_accuracy']:.2f}%, "
                f"loss {e['val_loss']:.4f} ({e['seconds']:.1f} s). The canvas now uses these weights.", 8000)

    # ----------------------------------------------------------------- the end
    def _on_finished(self, result: dict):
        self.last_result = result
        self.metadata.emit(result["metadata"])
        acc = result.get("test_accuracy")
        state = "Stopped" if result["stopped"] else "Done"
        text = f"<b>{state}</b> after {result['epochs']} full epoch(s) in {format_clock(result['train_seconds'])}"
        if acc is not None:
            text += f"<br>Test accuracy <b>{100 * acc:.2f}%</b>, loss {result['test_loss']:.4f}"
        if result.get("stopped_early"):
            text += "<br>Stopped early: the validation loss stopped improving; the best epoch's weights are kept."
        if result.get("warning"):
            text += f"<br><span style='color:#b35900'>{html.escape(result['warning'])}</span>"
        self.warning_label.setText("")
        self.warning_label.hide()
        text += f"<br>{result['images_per_second']:,.0f} images/s."
        if result.get("saved_to"):
            text += (f"<br>Saved in the model library as <i>{Path(result['saved_to']).stem}</i> "
                     "(Models tab, Ctrl+L); Ctrl+S saves a copy elsewhere.")
        elif not result.get("kept", True):
            text += ("<br>Stopped before a full epoch, so it was <b>not saved</b> in the model library: "
                     "it has barely trained. The canvas uses it; Ctrl+S saves it anyway.")
        else:
            text += " Save it with Ctrl+S."
        self.result_label.setText(text)
        self.result_label.setToolTip(result.get("saved_to") or "")
        if result.get("saved_to"):
            self.run_saved.emit(result["saved_to"])
        problems = [p for p in (result.get("save_error"), result.get("checkpoint_error")) if p]
        if problems:
            warn(self, "The model was not saved automatically",
                 problems[0] + "\n\nThe trained model is still in use on the canvas: save it "
                 "elsewhere with File › Save model (Ctrl+S).")
        self.progress.setValue(1000 if not result["stopped"] else self.progress.value())
        self.progress.setFormat(state)
        self.progress_detail.setText("")
        self.status.emit(("Training stopped" if result["stopped"] else "Training finished")
                         + "; the canvas uses the new model.", 8000)
        self.training_finished.emit(result)

    def _on_cancelled(self, message: str):
        self.progress.setValue(0)
        self.progress.setFormat("Stopped")
        self.progress_detail.setText("")
        self.result_label.setText(message)
        self.status.emit(message, 8000)

    def _on_failed(self, message: str):
        self.progress.setFormat("Failed")
        self.progress_detail.setText("")
        self.result_label.setText(f"<span style='color:#c0392b'>{message}</span>")
        self.status.emit(message, 10000)
        warn(self, "Training stopped", message)
        self.training_failed.emit(message)

    def _on_thread_finished(self):
        thread, worker = self.train_thread, self.worker
        self._saved_run = getattr(worker, "saved_to", None) or self._saved_run
        self.train_thread = None
        self.worker = None
        if thread is not None:
            # Closing: the thread goes with the window (a caller may still hold it).
            release_thread(thread, delete=not self._closing)
        del worker
        self.plots.stop()
        self.replicas.emit("")
        self.settings.set_locked(False)
        self._update_buttons()
        self.busy_changed.emit(False)

    def request_shutdown(self) -> None:
        """The window is closing: ends a run within its batch (no test evaluation; what was
        trained is still saved in the library) and a download. Flags only: see
        :meth:`running_jobs` for what is still to end."""
        self._closing = True
        if self.download_dialog is not None:
            self.download_dialog.stop()
        if self.worker is not None:
            self.worker.abort()

    def saved_run(self) -> str | None:
        """The library file of the last run trained here (one that the window's closing
        stopped too, whose result is never shown)."""
        return getattr(self.worker, "saved_to", None) or self._saved_run

    def running_jobs(self) -> list[tuple[str, object]]:
        """This panel's worker threads, named: the training's and a download's."""
        return [("the training step", self.train_thread),
                ("the download", self.download_dialog.thread if self.download_dialog is not None else None)]
