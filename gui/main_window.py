"""The main window: it builds the panels, the tabs, the menus and the engine, and wires
them. The training panel is on the left, the curves and the other tabs in the middle, the
canvas panel on the right; each panel owns its widgets, signals and menu actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QStackedWidget, QTabWidget

from core.models.registry import get_arch
from gui import session
from gui.panels.canvas_panel import CanvasPanel
from gui.workers.collector import UiThreadCollector, freeze_long_lived_objects
from gui.commands import make_action, scrolling, warn
from gui.tabs.compare_view import CompareView
from gui.workers.engine import Engine
from gui.tabs.evaluation_view import EvaluationView
from gui.tabs.explain_view import ActivationsView, Explainer
from gui.file_menu import FileMenu
from gui.help_menu import HelpMenu
from gui.inspect_windows import InspectWindows
from gui.network_window import NetworkWindow
from gui.models_menu import ModelsMenu
from gui.view_menu import ViewMenu
from gui.tabs.library_view import LibraryView
from gui.tabs.map_view import MapView
from gui.tabs.plots import TrainingPlots
from gui.tabs.scrubber import EpochScrubber, curves_page
from gui.tabs.summary_view import SummaryView
from gui.panels.training_panel import TrainingPanel

#: Start loading TensorFlow after this long even if the window has not been painted.
ENGINE_START_FALLBACK_MS = 1000


class MainWindow(FileMenu, HelpMenu, InspectWindows, ModelsMenu, NetworkWindow, ViewMenu, QMainWindow):
    """The studio's window.

    Args:
        start_engine: load TensorFlow in the background right away (tests may defer it).
    """

    _engine_start = Signal(str)  # the model the canvas opens with ("": the bundled one)
    request_export = Signal(str, str, str)  # source model file, destination, format
    request_load = Signal(str)
    request_save = Signal(str)
    request_epoch = Signal(int)
    begin_run = Signal(bool)  # keep the run's epochs for the scrubber

    def __init__(self, start_engine: bool = True):
        super().__init__()
        self.setWindowTitle("CNN Studio")
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        self.resize(min(1400, available.width()) if available else 1400,
                    min(820, available.height()) if available else 820)
        self.model_info: dict | None = None
        self._shut_down = False

        self._build_engine()
        self._build_ui()
        self._build_menus()
        self._connect()
        self.summary_view.follow(self.settings)
        self.library.set_folder(self.library_dir())
        self._remembered_model = session.restore(self)
        self._engine_started = False
        self._painted = False
        self._start_engine_after_paint = False
        if start_engine:
            # TensorFlow's import (≈4 s) competes for the CPU and the GIL: begin it once the
            # window has been painted, so that the window appears first.
            self._start_engine_after_paint = True
            QTimer.singleShot(ENGINE_START_FALLBACK_MS, self.start_engine)

    # ----------------------------------------------------------------- construction
    def _build_engine(self):
        self.collector = UiThreadCollector(self)  # before any thread starts (see gui.workers.collector)
        self.collector.start()
        self.engine_thread = QThread(self)
        self.engine_thread.setObjectName("engine")
        self.engine = Engine()
        self.engine.moveToThread(self.engine_thread)
        self.engine_thread.start()

    def start_engine(self) -> None:
        """Loads TensorFlow (and the bundled model) in the engine thread (once)."""
        if self._engine_started:
            return
        self._engine_started = True
        self.statusBar().showMessage("Loading TensorFlow in the background…")
        model = self._remembered_model
        if session.model_is_gone(model):  # said once the bundled model is in use
            self._gone_model_note = (f"The last model, {model}, is no longer there: the canvas uses the "
                                     "bundled LeNet-5.")
            model = ""
        self._engine_start.emit(model)

    def show_plots(self) -> None:
        """Replaces the plots' placeholder by the figure, and shows it."""
        self.plots_page.setCurrentWidget(self.plots)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Paint and not getattr(self, "_painted", True):
            self._painted = True
            QTimer.singleShot(0, self.show_plots)
            if self._start_engine_after_paint:
                QTimer.singleShot(0, self.start_engine)
        return super().event(event)

    def _build_ui(self):
        self.plots = TrainingPlots()
        self.training = TrainingPanel(self.plots, self.library_dir, lambda: self.checkpoints_dir())
        self.canvas_panel = CanvasPanel(self.engine.note_prediction_request)
        self.summary_view = SummaryView()
        self.tabs = QTabWidget()
        # The figure's first draw loads fonts (≈0.7 s): show a placeholder in the first
        # paint of the window, and the figure right after it.
        self.plots_page = QStackedWidget()
        placeholder = QLabel("Preparing the plots…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setStyleSheet("color: #888;")  # readable on light and dark
        self.plots_page.addWidget(placeholder)
        self.plots_page.addWidget(self.plots)
        self.scrubber = EpochScrubber()
        self.curves_tab = curves_page(self.plots_page, self.scrubber)
        self.activations = ActivationsView()
        self.map_view = MapView(self.canvas_panel)
        self.evaluation = EvaluationView()
        self.library = LibraryView()
        self.compare = CompareView()
        for page, title in ((self.curves_tab, "Training curves"), (self.summary_view, "Layers"),
                            (self.summary_view.diagram_page, "Diagram"), (self.activations, "Activations"),
                            (self.map_view, "Map"), (self.evaluation, "Evaluation"), (self.library, "Models"), (self.compare, "Compare")):
            self.tabs.addTab(page, title)
        self.explainer = Explainer(self.canvas_panel, self.activations, self.tabs, self)

        # Short names for the panels' widgets that the window and its tests use.
        for name in ("settings", "start_button", "pause_button", "stop_button", "progress", "progress_detail",
                     "result_label", "start_action", "stop_action", "pause_action"):
            setattr(self, name, getattr(self.training, name))
        for name in ("canvas", "clear_button", "pen_width", "eraser_button", "undo_button", "redo_button",
                     "why_button", "history", "top_prediction", "bars", "preview", "model_label",
                     "undo_action", "redo_action"):
            setattr(self, name, getattr(self.canvas_panel, name))
        self.build_network_editor()

        splitter = QSplitter()
        # The side columns scroll when the screen is short (a 1366×768 laptop).
        self.settings.advanced.show()  # wide enough for More settings too
        train_area = scrolling(self.training)
        self.settings.advanced.hide()
        splitter.addWidget(train_area)
        splitter.addWidget(self.tabs)
        splitter.addWidget(scrolling(self.canvas_panel))
        for index, stretch in enumerate((0, 1, 0)):
            splitter.setStretchFactor(index, stretch)
        splitter.setSizes([320, 720, 340])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.device_label = QLabel("Device: loading TensorFlow…")
        self.device_label.setToolTip("The device TensorFlow computes on.")
        self.statusBar().addPermanentWidget(self.device_label)
        self.replicas_label = QLabel()
        self.replicas_label.setToolTip("The replicas training together (tf.distribute); the batch size "
                                       "is the global batch, shared by them.")
        self.replicas_label.hide()
        self.statusBar().addPermanentWidget(self.replicas_label)

    def _build_menus(self):
        def menu(title, actions):
            m = self.menuBar().addMenu(title)
            for a in actions:
                m.addSeparator() if a is None else m.addAction(a)

        self.open_action = make_action(self, "&Open model…", QKeySequence.StandardKey.Open, self.open_model,
                                       "Open a trained .keras model for the canvas.")
        self.save_action = make_action(self, "&Save model…", QKeySequence.StandardKey.Save, self.save_model,
                                       "Save the model the canvas uses as a .keras file.")
        self.save_action.setEnabled(False)
        self.checkpoint_action = make_action(
            self, "Open last &checkpoint", "Ctrl+Shift+O", self.open_last_checkpoint,
            "Open the newest model saved by training here (best-so-far checkpoints survive a crash).")
        quit_action = make_action(self, "&Quit", "Ctrl+Q", self.close, "Close the window.")
        menu("&File", [self.open_action, self.save_action, self.checkpoint_action, None, quit_action])
        self.evaluate_action = make_action(self, "&Evaluate on the test set", "Ctrl+E", self.evaluate_model,
                                           "Measure the canvas's model on its dataset's test set.")
        self.sweep_action = make_action(self, "S&weep…", "Ctrl+Shift+W", self.open_sweep,
                                        "Train every combination of some settings with several seeds, "
                                        "and see which differences are real.")
        self.lr_finder_action = make_action(self, "&Find learning rate…", "Ctrl+Shift+L", self.open_lr_finder,
                                            "A short run with the rate rising from tiny to large: the loss "
                                            "against the rate, and a suggested rate.")
        menu("&Train", self.training.actions_for_menu + [self.evaluate_action, self.sweep_action,
                                                         self.lr_finder_action])
        menu("&Models", [
            make_action(self, "&Model library", "Ctrl+L", self.show_library,
                        "Every run trained here: pick one for the canvas, rename, delete, export, compare."),
            make_action(self, "&Compare selected runs", "Ctrl+Shift+C", self.compare_selected,
                        "Overlay the curves of the runs selected in the library."),
            make_action(self, "&Edit the network of the selected run", "Ctrl+Shift+N", self.edit_selected_network,
                        "Open the selected run's network in the Network tab, to change it and train it again.")])
        menu("&Canvas", self.canvas_panel.actions_for_menu)
        self.view_menu(self.menuBar())
        menu("&Help", self.help_actions())

    def _connect(self):
        engine, training, canvas_panel = self.engine, self.training, self.canvas_panel
        # Methods, not lambdas, for the engine's answers: PySide6 runs a lambda in the
        # emitting (engine) thread, and widgets may only be touched here.
        self._engine_start.connect(engine.start)
        self.summary_view.requested.connect(engine.summarize)
        self.request_load.connect(engine.load_model)
        self.request_save.connect(engine.save_model)
        self.evaluation.request_evaluation.connect(engine.evaluate)
        self.request_export.connect(engine.export_model)
        self.request_epoch.connect(engine.use_epoch)
        self.begin_run.connect(engine.begin_run)
        engine.epochs_kept.connect(self.scrubber.set_epochs)
        self.scrubber.epoch_chosen.connect(self.request_epoch)
        engine.ready.connect(self._on_engine_ready)
        engine.devices.connect(self.settings.set_devices)
        engine.summary_ready.connect(self.summary_view.on_summary)
        engine.summary_failed.connect(self.summary_view.on_summary_failed)
        engine.model_ready.connect(self._on_model_ready)
        engine.model_ready.connect(self.map_view.model_changed)
        self.map_view.request_map.connect(engine.compute_map)
        self.map_view.request_place.connect(engine.place_drawing)
        engine.map_ready.connect(self.map_view.show_map)
        engine.map_progress.connect(self.map_view.show_progress)
        engine.map_failed.connect(self.map_view.show_error)
        engine.placed.connect(self.map_view.show_drawing)
        engine.model_failed.connect(self._on_model_failed)
        engine.saved.connect(self._on_saved)
        engine.save_failed.connect(self._on_save_failed)
        engine.exported.connect(self._on_exported)
        engine.evaluation_ready.connect(self.evaluation.show_result)
        engine.evaluation_failed.connect(self.evaluation.show_error)
        self.evaluation.busy_changed.connect(lambda busy: self.evaluate_action.setEnabled(not busy))
        self.evaluation_shown = self.evaluation.shown

        training.request_summary.connect(engine.summarize)
        engine.summary_ready.connect(training.on_summary)
        engine.summary_failed.connect(training.on_summary_failed)
        training.snapshot.connect(engine.use_snapshot)
        training.metadata.connect(engine.update_metadata)
        training.model_file.connect(engine.load_model)
        training.status.connect(self.statusBar().showMessage)
        training.replicas.connect(self._show_replicas)
        training.run_started.connect(self._on_run_started)
        training.busy_changed.connect(self._on_training_busy)
        training.run_saved.connect(self._on_run_saved)
        self.training_finished = training.training_finished
        self.training_failed = training.training_failed

        canvas_panel.request_prediction.connect(engine.predict)
        engine.prediction_ready.connect(canvas_panel.on_prediction)
        engine.prediction_failed.connect(canvas_panel.on_prediction_failed)
        canvas_panel.status.connect(self.statusBar().showMessage)
        self.explainer.request_explanation.connect(engine.explain)
        engine.explanation_ready.connect(self.explainer.on_explanation)

        self.library.use_model.connect(self._use_library_model)
        self.library.compare_requested.connect(self.compare_runs)
        self.library.open_file_requested.connect(self.open_model)
        self.library.export_requested.connect(self.request_export)
        self.library.train_requested.connect(lambda config: self.train(config, confirmed=True))
        self.canvas_panel.train_requested.connect(lambda config: self.train(config, confirmed=True))
        self.evaluation.requested.connect(self.evaluate_model)
        self.evaluation.explain_requested.connect(
            lambda index, title: self.open_image_explanation(self.evaluation.result["test_images"][index], title))
        self.map_view.open_requested.connect(self.open_image_explanation)
        self.settings.arch_changed.connect(self._on_arch_changed)
        self.settings.preview_requested.connect(self.open_augmentation_preview)

    # ----------------------------------------------------------------- training
    @property
    def is_training(self) -> bool:
        return self.training.is_training

    @property
    def worker(self):
        return self.training.worker

    @property
    def train_thread(self):
        return self.training.train_thread

    @property
    def last_result(self) -> dict | None:
        return self.training.last_result

    @property
    def last_summary(self) -> dict | None:
        """The layer summary the Layers tab shows."""
        return self.summary_view.last_summary

    @property
    def last_prediction(self) -> str | None:
        """What the canvas reads now (a digit, a row of digits, or None)."""
        return self.canvas_panel.last_prediction

    def start_training(self) -> None:
        """Train ▸ Start: see :meth:`TrainingPanel.start_training`."""
        self.training.start_training()

    def train(self, config, data=None, confirmed: bool = False) -> bool:
        """Starts training with ``config``: see :meth:`TrainingPanel.train`."""
        return self.training.train(config, data, confirmed)

    def _on_run_started(self) -> None:
        self.show_plots()
        self.tabs.setCurrentWidget(self.curves_tab)
        self.begin_run.emit(self.settings.keep_epochs.isChecked())

    def _show_replicas(self, text: str) -> None:
        self.replicas_label.setText(text)
        self.replicas_label.setVisible(bool(text))

    def _on_training_busy(self, training: bool) -> None:
        """What TensorFlow cannot do while it trains is disabled meanwhile."""
        for widget in (self.open_action, self.checkpoint_action, self.library.open_button, self.sweep_action,
                       self.lr_finder_action):
            widget.setEnabled(not training)
        self.scrubber.set_training(training)
        self.library.set_training(training)
        self.canvas_panel.my_digits.set_training(training)
        if not training:
            message = self.statusBar().currentMessage()
            if message.startswith("Stopping") or (message.startswith("Training ") and message.endswith("…")):
                self.statusBar().clearMessage()
            # Only now: building a model competes for the interpreter lock with a training
            # started right after this one (its first steps, the plots).
            self.summary_view.retry_if_refused()

    def _on_run_saved(self, path: str) -> None:
        self.canvas_panel.run_saved_as = path
        self.library.refresh()
        self.library.select_path(path, load=False)

    # ----------------------------------------------------------------- engine results
    def _on_engine_ready(self, device: str):
        self.device_label.setText(f"Device: {device}")
        self.statusBar().showMessage("TensorFlow ready.", 4000)
        freeze_long_lived_objects()

    def _on_arch_changed(self, arch: str):
        self.statusBar().showMessage(f"Settings set to {get_arch(arch).name}'s defaults.", 4000)

    def _on_model_ready(self, info: dict):
        self.model_info = info
        self.save_action.setEnabled(True)
        if info["source"] == "file":
            self.statusBar().showMessage(f"Loaded {Path(info['path']).name}: the canvas uses it.", 6000)
        elif info["source"] == "bundled" and getattr(self, "_gone_model_note", ""):
            self.statusBar().showMessage(self._gone_model_note, 15000)
            self._gone_model_note = ""
        self.canvas_panel.set_model(info)

    def _on_model_failed(self, message: str):
        self._warn("Could not use the model", message)

    # ----------------------------------------------------------------- evaluation
    def evaluate_model(self) -> None:
        """Measures the canvas's model on the test set, in the engine thread."""
        self.tabs.setCurrentWidget(self.evaluation)
        if self.model_info is None:
            self.evaluation.show_error("There is no model yet: wait for TensorFlow, train one, or open one.")
        elif self.is_training:
            self.evaluation.show_error("Training is running: evaluate when it has finished (the test "
                                       "accuracy is measured at the end of every run).")
        else:
            self.evaluation.start(self.model_info.get("description", ""))

    def _on_saved(self, path: str, which: str = "") -> None:
        self.statusBar().showMessage(f"Saved {which} to {path}" if which else f"Model saved to {path}", 8000)

    def _on_save_failed(self, message: str) -> None:
        self._warn("Could not save the model", message)

    def _on_exported(self, message: str, ok: bool) -> None:
        self.library.export_done(message, ok)
        if ok:
            self.statusBar().showMessage(message, 10000)
        else:
            self._warn("Export failed", message)

    def _warn(self, title: str, message: str):
        self.statusBar().showMessage(message, 10000)
        self._last_message_box = warn(self, title, message)

    # ----------------------------------------------------------------- shutdown
    def shutdown(self) -> None:
        """Stops every worker (training, a sweep, a download, the engine) and waits until
        each has ended: a TensorFlow step or an export cannot be cut short, and a running
        ``QThread`` must not be destroyed. The window stays alive meanwhile and says
        "Stopping…" when it takes more than a moment. What was trained is saved."""
        import shiboken6

        from gui.workers.threads import wait_until_ended

        if self._shut_down:
            return
        self._shut_down = True
        self.plots.timer.stop()
        sweep, finder = getattr(self, "sweep_dialog", None), getattr(self, "lr_finder", None)
        if sweep is not None:
            sweep.stop()
        if finder is not None:
            finder.stop()
        self.training.request_shutdown()
        self.engine_thread.quit()  # after the engine's current step

        def jobs() -> list[tuple[str, object]]:
            return [*self.training.running_jobs(), ("the sweep's run", sweep.thread if sweep is not None else None),
                    ("the learning-rate test", finder.thread if finder is not None else None),
                    ("the engine's current step", self.engine_thread)]

        self.statusBar().showMessage("Stopping…")
        wait_until_ended(jobs, self)
        # The engine lives on in no thread now: deleted here, on the UI thread. (Deleted in
        # its own thread as it ended, it needed the interpreter lock while the UI thread,
        # holding it, waited for a Qt lock the ending thread held: a deadlock.)
        shiboken6.delete(self.engine)
        shiboken6.delete(self.network_engine)
        if sweep is not None:
            sweep.close()
        self.collector.stop()
        self.statusBar().clearMessage()  # and its timer: nothing of the window keeps ticking

    def closeEvent(self, event: QCloseEvent) -> None:
        saved = self._shut_down
        self.shutdown()
        if not saved:  # after the shutdown: a run stopped by it is in the library by now
            session.save(self)
        event.accept()
