"""The main window: settings and training on the left, curves and layers in the middle,
the drawing canvas and its prediction on the right."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, QStandardPaths, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFrame, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QSpinBox,
    QMessageBox, QProgressBar, QPushButton, QScrollArea, QSplitter, QStackedWidget, QTabWidget,
    QVBoxLayout, QWidget,
)

from core.datasets import get_dataset_info
from core.registry import get_arch
from gui.canvas import DrawingCanvas
from gui.engine import Engine
from gui.plots import TrainingPlots
from gui.prediction_view import DigitPreview, ProbabilityBars, TopPrediction
from gui.settings_panel import SettingsPanel
from gui.summary_view import SummaryView, summary_from_dict
from gui.collector import UiThreadCollector, freeze_long_lived_objects
from gui.compare_view import CompareView
from gui.evaluation_view import EvaluationView
from gui.library_view import LibraryView
from gui.explain_view import ActivationsView
from gui.files import ask_open, ask_save
from gui.process_worker import ProcessTrainingWorker
from gui.training_worker import TrainingWorker

#: A reference network slower than this per epoch asks before training.
SLOW_EPOCH_SECONDS = 15 * 60
#: Drawings kept in the canvas history.
HISTORY_LENGTH = 12
#: Start loading TensorFlow after this long even if the window has not been painted.
ENGINE_START_FALLBACK_MS = 1000


def format_duration(seconds: float) -> str:
    seconds = int(round(max(0.0, seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless area that scrolls vertically when it does not fit."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area


class MainWindow(QMainWindow):
    """The studio's window.

    Args:
        start_engine: load TensorFlow in the background right away (tests may defer it).
    """

    training_finished = Signal(dict)  # after the result is shown
    training_failed = Signal(str)
    _engine_start = Signal()
    request_summary = Signal(int, str, object, int, str, dict)
    request_prediction = Signal(int, object, bool)  # request id, drawing, split into digits
    request_explanation = Signal(int, object, bool, str)  # request id, drawing, saliency, layer
    request_evaluation = Signal()
    request_export = Signal(str, str, str)  # source model file, destination, format
    evaluation_shown = Signal(dict)
    request_snapshot = Signal(dict)
    request_metadata = Signal(dict)
    request_load = Signal(str)
    request_save = Signal(str)

    def __init__(self, start_engine: bool = True):
        super().__init__()
        self.setWindowTitle("CNN Studio")
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        self.resize(min(1400, available.width()) if available else 1400,
                    min(820, available.height()) if available else 820)
        self.worker: TrainingWorker | None = None
        self.train_thread: QThread | None = None
        self.last_result: dict | None = None
        self.model_info: dict | None = None
        self.last_summary: dict | None = None
        self.last_prediction: str | None = None
        self._summary_request = 0
        self._summary_refused = False  # a summary request was refused while training
        self._start_check_request = -1
        self._pending_start = None
        self._prediction_request = 0
        self._in_flight: int | None = None  # the prediction request the engine is working on
        self._in_flight_version = 0
        self.canvas_version = 0  # counts changes of the drawing
        self._split_digits = False  # the canvas holds an opened image of several digits
        self._explaining = False  # an explanation request is with the engine
        self._explained_version = -1
        self.shown_version = 0  # the drawing version the shown prediction was made from
        self._train_started = 0.0
        self._evaluating = False  # an evaluation is with the engine
        self._in_flight_drawing = None  # the drawing the engine is reading
        self._shown_drawing = None  # the drawing whose reading is shown (for the history)

        self._build_engine()
        self._build_ui()
        self._build_actions()
        self._connect()
        self.refresh_summary()
        self._update_training_context()
        self.library.set_folder(self.library_dir())
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
        self.collector = UiThreadCollector(self)  # before any thread starts (see gui.collector)
        self.collector.start()
        self.engine_thread = QThread(self)
        self.engine_thread.setObjectName("engine")
        self.engine = Engine()
        self.engine.moveToThread(self.engine_thread)
        self.engine_thread.finished.connect(self.engine.deleteLater)
        self.engine_thread.start()

    def start_engine(self) -> None:
        """Loads TensorFlow (and the bundled model) in the engine thread (once)."""
        if self._engine_started:
            return
        self._engine_started = True
        self.statusBar().showMessage("Loading TensorFlow in the background…")
        self._engine_start.emit()

    def show_plots(self) -> None:
        """Replaces the plots' placeholder by the figure."""
        self.plots_page.setCurrentWidget(self.plots)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Paint and not getattr(self, "_painted", True):
            self._painted = True
            QTimer.singleShot(0, self.show_plots)
            if self._start_engine_after_paint:
                QTimer.singleShot(0, self.start_engine)
        return super().event(event)

    def _build_ui(self):
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
        self.stop_button.setToolTip("Stop after the current batch, keep the model as it is and save it (Esc).")
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.progress.setTextVisible(True)
        self.progress_detail = QLabel("")
        self.progress_detail.setWordWrap(True)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)

        train_box = QGroupBox("Training")
        train_layout = QVBoxLayout(train_box)
        train_layout.addWidget(self.settings)
        train_layout.addLayout(buttons)
        train_layout.addWidget(self.progress)
        train_layout.addWidget(self.progress_detail)
        train_layout.addWidget(self.result_label)
        train_layout.addStretch(1)

        self.plots = TrainingPlots()
        self.summary_view = SummaryView()
        layers_page = self.summary_view

        self.tabs = QTabWidget()
        # The figure's first draw loads fonts (≈0.7 s): show a placeholder in the first
        # paint of the window, and the figure right after it.
        self.plots_page = QStackedWidget()
        placeholder = QLabel("Preparing the plots…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setStyleSheet("color: #888;")
        self.plots_page.addWidget(placeholder)
        self.plots_page.addWidget(self.plots)
        self.tabs.addTab(self.plots_page, "Training curves")
        self.tabs.addTab(layers_page, "Layers")
        self.tabs.addTab(self.summary_view.diagram_page, "Diagram")
        self.activations = ActivationsView()
        self.tabs.addTab(self.activations, "Activations")
        self.evaluation = EvaluationView()
        self.tabs.addTab(self.evaluation, "Evaluation")
        self.library = LibraryView()
        self.tabs.addTab(self.library, "Models")
        self.compare = CompareView()
        self.tabs.addTab(self.compare, "Compare")

        self.canvas = DrawingCanvas()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Delete, or right-click the canvas).")
        self.pen_width = QSpinBox()
        self.pen_width.setRange(DrawingCanvas.MIN_PEN, DrawingCanvas.MAX_PEN)
        self.pen_width.setValue(int(self.canvas.pen_width))
        self.pen_width.setSuffix(" px")
        self.pen_width.setToolTip("Pen width ([ thinner, ] thicker). A tablet pen's pressure varies it.")
        self.eraser_button = QPushButton("Eraser")
        self.eraser_button.setCheckable(True)
        self.eraser_button.setToolTip("Erase with the left button instead of drawing (E).")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke or clear (Ctrl+Z).")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setToolTip("Put back what was undone (Ctrl+Shift+Z or Ctrl+Y).")
        self.why_button = QPushButton("Why?")
        self.why_button.setCheckable(True)
        self.why_button.setToolTip("Show in red which pixels drove the prediction (saliency: the "
                                   "gradient of the top class's score, smoothed) (W).")
        self.history = QListWidget()
        self.history.setViewMode(QListWidget.ViewMode.IconMode)
        self.history.setFlow(QListWidget.Flow.LeftToRight)
        self.history.setWrapping(False)
        self.history.setIconSize(QSize(28, 28))
        self.history.setFixedHeight(62)
        self.history.setToolTip("The last drawings read, newest first (kept when the canvas is cleared).")
        self.top_prediction = TopPrediction()
        self.bars = ProbabilityBars()
        self.preview = DigitPreview()
        self.model_label = QLabel("No model yet: train one, or open a .keras file (Ctrl+O).")
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color: #555;")
        draw_box = QGroupBox("Draw a digit")
        draw_layout = QVBoxLayout(draw_box)
        draw_layout.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        for row_widgets in ((self.pen_width, self.eraser_button, self.why_button),
                            (self.undo_button, self.redo_button, self.clear_button)):
            tools = QHBoxLayout()
            for widget in row_widgets:
                tools.addWidget(widget)
            draw_layout.addLayout(tools)
        row = QHBoxLayout()
        row.addWidget(self.top_prediction, 1)
        seen = QVBoxLayout()
        seen.addWidget(QLabel("The network sees:"))
        seen.addWidget(self.preview)
        row.addLayout(seen)
        draw_layout.addLayout(row)
        draw_layout.addWidget(self.bars, 1)
        draw_layout.addWidget(QLabel("Recent drawings:"))
        draw_layout.addWidget(self.history)
        draw_layout.addWidget(self.model_label)

        splitter = QSplitter()
        # The side columns scroll when the screen is short (a 1366×768 laptop).
        self.settings.advanced.show()  # wide enough for More settings too
        train_area = scrolling(train_box)
        self.settings.advanced.hide()
        splitter.addWidget(train_area)
        splitter.addWidget(self.tabs)
        splitter.addWidget(scrolling(draw_box))
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
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

    def _build_actions(self):
        def action(text, shortcut, slot, tip, menu):
            a = QAction(text, self)
            if shortcut:
                a.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
            a.setStatusTip(tip)
            a.setToolTip(tip)
            a.triggered.connect(slot)
            menu.addAction(a)
            self.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.open_action = action("&Open model…", QKeySequence.StandardKey.Open, self.open_model,
                                  "Open a trained .keras model for the canvas.", file_menu)
        self.save_action = action("&Save model…", QKeySequence.StandardKey.Save, self.save_model,
                                  "Save the model the canvas uses as a .keras file.", file_menu)
        self.save_action.setEnabled(False)
        self.checkpoint_action = action(
            "Open last &checkpoint", QKeySequence("Ctrl+Shift+O"), self.open_last_checkpoint,
            "Open the newest model saved by training here (best-so-far checkpoints survive a crash).",
            file_menu)
        file_menu.addSeparator()
        action("&Quit", QKeySequence("Ctrl+Q"), self.close, "Close the window.", file_menu)
        train_menu = self.menuBar().addMenu("&Train")
        self.start_action = action("&Start", [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
                                   self.start_training, "Start training.", train_menu)
        self.stop_action = action("S&top", QKeySequence("Esc"), self.stop_training,
                                  "Stop training after the current batch.", train_menu)
        self.pause_action = action("&Pause / Resume", QKeySequence("Ctrl+P"), self.toggle_pause,
                                   "Hold training (freeing the CPU), or go on.", train_menu)
        self.pause_action.setEnabled(False)
        self.stop_action.setEnabled(False)
        action("&Reset to defaults", QKeySequence("Ctrl+R"), self.settings.reset_defaults,
               "Set every setting to the architecture's defaults.", train_menu)
        action("&More settings", QKeySequence("Ctrl+M"),
               lambda: self.settings.set_advanced_visible(not self.settings.advanced.isVisible()),
               "Show or hide momentum, weight decay, warm-up, augmentation, early stopping and more.",
               train_menu)
        self.evaluate_action = action("&Evaluate on the test set", QKeySequence("Ctrl+E"), self.evaluate_model,
                                      "Measure the canvas's model on its dataset's test set.", train_menu)
        models_menu = self.menuBar().addMenu("&Models")
        action("&Model library", QKeySequence("Ctrl+L"), self.show_library,
               "Every run trained here: pick one for the canvas, rename, delete, export, compare.",
               models_menu)
        action("&Compare selected runs", QKeySequence("Ctrl+Shift+C"), self.compare_selected,
               "Overlay the curves of the runs selected in the library.", models_menu)
        canvas_menu = self.menuBar().addMenu("&Canvas")
        action("&Clear", [QKeySequence.StandardKey.Delete, QKeySequence("Backspace")], self.canvas.clear,
               "Clear the drawing.", canvas_menu)
        self.undo_action = action("&Undo", QKeySequence.StandardKey.Undo, self.canvas.undo,
                                  "Take back the last stroke or clear.", canvas_menu)
        self.redo_action = action("&Redo", [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
                                  self.canvas.redo, "Put back what was undone.", canvas_menu)
        action("&Eraser", QKeySequence("E"), self.eraser_button.toggle, "Erase instead of drawing.", canvas_menu)
        action("Show &why (saliency)", QKeySequence("W"), self.why_button.toggle,
               "Show which pixels drove the prediction.", canvas_menu)
        action("&Thinner pen", QKeySequence("["), lambda: self.pen_width.setValue(self.pen_width.value() - 4),
               "A thinner pen.", canvas_menu)
        action("T&hicker pen", QKeySequence("]"), lambda: self.pen_width.setValue(self.pen_width.value() + 4),
               "A thicker pen.", canvas_menu)
        canvas_menu.addSeparator()
        action("&Open image…", QKeySequence("Ctrl+I"), self.open_image,
               "Read a photo or scan of digits (several in a row are read left to right); "
               "or drop the file on the canvas.", canvas_menu)
        action("&Save drawing as PNG…", QKeySequence("Ctrl+Shift+S"), self.save_drawing,
               "Save the drawing as a PNG image.", canvas_menu)
        help_menu = self.menuBar().addMenu("&Help")
        action("&About", None, self.show_about, "About CNN Studio.", help_menu)

    def _connect(self):
        self._engine_start.connect(self.engine.start)
        self.request_summary.connect(self.engine.summarize)
        self.request_prediction.connect(self.engine.predict)
        self.request_snapshot.connect(self.engine.use_snapshot)
        self.request_metadata.connect(self.engine.update_metadata)
        self.request_load.connect(self.engine.load_model)
        self.request_save.connect(self.engine.save_model)
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.summary_ready.connect(self._on_summary)
        self.engine.summary_failed.connect(self._on_summary_failed)
        self.engine.model_ready.connect(self._on_model_ready)
        self.engine.model_failed.connect(self._on_model_failed)
        self.engine.prediction_ready.connect(self._on_prediction)
        # Methods, not lambdas: PySide6 runs a lambda in the emitting (engine) thread,
        # and widgets may only be touched here.
        self.engine.saved.connect(self._on_saved)
        self.engine.save_failed.connect(self._on_save_failed)
        self.library.use_model.connect(self._use_library_model)
        self.library.compare_requested.connect(self.compare_runs)
        self.library.open_file_requested.connect(self.open_model)
        self.library.export_requested.connect(self.request_export)
        self.request_export.connect(self.engine.export_model)
        self.engine.exported.connect(self._on_exported)

        self.start_button.clicked.connect(self.start_training)
        self.settings.submitted.connect(self.start_training)
        self.history.itemClicked.connect(self._on_history_clicked)
        self.stop_button.clicked.connect(self.stop_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.engine.devices.connect(self.settings.set_devices)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.canvas.file_dropped.connect(self.open_image_file)
        self.why_button.toggled.connect(self._on_why_toggled)
        self.tabs.currentChanged.connect(lambda: self._explain())
        self.activations.layer_changed.connect(lambda: self._explain())
        self.request_explanation.connect(self.engine.explain)
        self.evaluation.requested.connect(self.evaluate_model)
        self.request_evaluation.connect(self.engine.evaluate)
        self.engine.evaluation_ready.connect(self._on_evaluation)
        self.engine.evaluation_failed.connect(self._on_evaluation_failed)
        self.engine.explanation_ready.connect(self._on_explanation)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.redo_button.clicked.connect(self.canvas.redo)
        self.eraser_button.toggled.connect(self.canvas.set_eraser)
        self.pen_width.valueChanged.connect(self.canvas.set_pen_width)
        self.canvas.history_changed.connect(self._update_undo)
        self._update_undo()
        self.settings.arch_changed.connect(self._on_arch_changed)
        self.settings.dataset.currentIndexChanged.connect(self.refresh_summary)
        self.settings.form.currentIndexChanged.connect(self.refresh_summary)
        self.settings.batch_size.valueChanged.connect(self._update_training_context)
        self.summary_view.requested.connect(self._request_summary)
        self.settings.validity_changed.connect(self._update_buttons)
        self.canvas.changed.connect(self._on_canvas_changed)

    # ----------------------------------------------------------------- engine results
    def _on_engine_ready(self, device: str):
        self.device_label.setText(f"Device: {device}")
        self.statusBar().showMessage("TensorFlow ready.", 4000)
        freeze_long_lived_objects()

    def refresh_summary(self):
        """Shows the network the training settings describe (at the dataset's input)."""
        info = get_dataset_info(self.settings.dataset.currentData())
        self.summary_view.configure(self.settings.current_arch(), self.settings.current_form(),
                                    info.input_shape, len(info.class_names))

    def _request_summary(self, arch: str, input_shape, classes: int, form: str, options: dict):
        self._summary_request += 1
        self.request_summary.emit(self._summary_request, arch, input_shape, classes, form, options)

    def _on_arch_changed(self, arch: str):
        self.statusBar().showMessage(f"Settings set to {get_arch(arch).name}'s defaults.", 4000)
        self.refresh_summary()

    def _on_summary(self, request_id: int, summary: dict):
        if request_id == self._start_check_request:
            self._on_start_estimate(summary)
            return
        if request_id != self._summary_request:
            return
        self.summary_view.show_summary(summary)
        self.last_summary = summary

    def _on_summary_failed(self, request_id: int, message: str):
        if request_id == self._start_check_request:
            self._pending_start = None
            self._warn("Cannot start training", message)
        elif request_id == self._summary_request:
            self.summary_view.show_error(message)
            self._summary_refused = True  # asked again when training ends

    def _update_training_context(self, *_):
        config = self.settings.config()
        images = 60000 if config.limit is None else config.limit
        self.summary_view.set_training_context(int(images * (1 - config.val_split)),
                                               self.settings.batch_size.value())

    def _on_model_ready(self, info: dict):
        self.model_info = info
        source = {"bundled": "Bundled model", "training": "Trained here",
                  "file": "Opened file"}.get(info["source"], "Model")
        self.model_label.setText(f"{source}: {info['description']}.")
        self.model_label.setToolTip(info.get("path") or "")
        if self.bars.class_names != info["class_names"]:
            self.bars.set_classes(info["class_names"])
        self.save_action.setEnabled(True)
        if info["source"] == "file":
            self.statusBar().showMessage(f"Loaded {Path(info['path']).name}: the canvas uses it.", 6000)
        self._on_canvas_changed()

    def _on_model_failed(self, message: str):
        self._warn("Could not use the model", message)

    # ----------------------------------------------------------------- library
    def library_dir(self) -> str:
        """The model library: ``library`` in the app's data folder (QStandardPaths), or
        ``$CNN_STUDIO_LIBRARY`` (see core.library)."""
        from core.library import library_dir

        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return str(library_dir(base or None))

    def show_library(self) -> None:
        self.library.refresh()
        self.tabs.setCurrentWidget(self.library)
        self.library.table.setFocus()

    def _use_library_model(self, path: str) -> None:
        if self.model_info and self.model_info.get("path") == path:
            return
        if self.is_training:
            self.statusBar().showMessage("Training is running: the canvas follows the training; pick a "
                                         "model when it has finished.", 8000)
            return
        self.statusBar().showMessage(f"Loading {Path(path).name} for the canvas…")
        self.request_load.emit(path)

    def compare_selected(self) -> None:
        """Models ▸ Compare selected runs (Ctrl+Shift+C): says what to do with fewer than two."""
        if len([e for e in self.library.selected_entries() if e.readable]) < 2:
            self.show_library()
            self.statusBar().showMessage("Select two or more runs in the Models tab (Ctrl+click or "
                                         "Shift+click), then compare them.", 8000)
            return
        self.library.compare_selected()

    def compare_runs(self, paths: list) -> None:
        entries = [e for e in (self.library.entry_for(p) for p in paths) if e is not None and e.readable]
        if len(entries) < 2:
            self.statusBar().showMessage("Select two or more readable runs to compare.", 8000)
            return
        self.compare.show_runs(entries)
        self.tabs.setCurrentWidget(self.compare)

    def _on_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"Model saved to {path}", 8000)

    def _on_save_failed(self, message: str) -> None:
        self._warn("Could not save the model", message)

    def _on_exported(self, message: str, ok: bool) -> None:
        self.library.export_done(message, ok)
        if ok:
            self.statusBar().showMessage(message, 10000)
        else:
            self._warn("Export failed", message)

    # ----------------------------------------------------------------- canvas
    def _update_undo(self):
        for widget in (self.undo_button, self.undo_action):
            widget.setEnabled(self.canvas.can_undo)
        for widget in (self.redo_button, self.redo_action):
            widget.setEnabled(self.canvas.can_redo)

    def _remember_prediction(self):
        """Keeps the shown reading in the history before the drawing goes."""
        if getattr(self, "last_prediction", None) is None or self.preview._image is None \
                or self._shown_drawing is None:
            return
        confidence = self.last_confidence
        item = QListWidgetItem(QIcon(QPixmap.fromImage(self.preview._image)),
                               f"{self.last_prediction} {100 * confidence:.0f}%")
        item.setToolTip(f"Read as {self.last_prediction} with {100 * confidence:.1f}% confidence; "
                        "click to put it back on the canvas")
        item.setData(Qt.ItemDataRole.UserRole, (self._shown_drawing, self._split_digits))
        self.history.insertItem(0, item)
        while self.history.count() > HISTORY_LENGTH:
            self.history.takeItem(self.history.count() - 1)

    def _on_history_clicked(self, item: QListWidgetItem) -> None:
        """A recent drawing goes back on the canvas (undoable), and is read again."""
        drawing, split = item.data(Qt.ItemDataRole.UserRole)
        self._split_digits = split  # before the drawing: its change sends the prediction request
        self.canvas.set_drawing(drawing)
        self.statusBar().showMessage("The drawing is back on the canvas (Ctrl+Z takes it away).", 5000)

    # ----------------------------------------------------------------- evaluation
    def evaluate_model(self) -> None:
        """Measures the canvas's model on the test set, in the engine thread."""
        self.tabs.setCurrentWidget(self.evaluation)
        if self.model_info is None:
            self.evaluation.show_error("There is no model yet: wait for TensorFlow, train one, or open one.")
            return
        if self.is_training:
            self.evaluation.show_error("Training is running: evaluate when it has finished (the test "
                                       "accuracy is measured at the end of every run).")
            return
        if self._evaluating:
            self.statusBar().showMessage("An evaluation is already running: its results follow.", 5000)
            return
        self._set_evaluating(True)
        self.request_evaluation.emit()

    def _set_evaluating(self, busy: bool) -> None:
        self._evaluating = busy
        self.evaluation.set_busy(busy)
        self.evaluate_action.setEnabled(not busy)

    def _on_evaluation(self, result: dict) -> None:
        self._set_evaluating(False)
        self.evaluation.show_result(result, (self.model_info or {}).get("description", ""))
        self.evaluation_shown.emit(result)

    def _on_evaluation_failed(self, message: str) -> None:
        self._set_evaluating(False)
        self.evaluation.show_error(message)

    # ----------------------------------------------------------------- why
    def _wanted_layer(self) -> str | None:
        """The layer whose feature maps are wanted ("" while the layers are not known
        yet), or None when the Activations tab is hidden."""
        return self.activations.current_layer() if self.tabs.currentWidget() is self.activations else None

    def _explain(self) -> None:
        """Asks the engine for saliency and feature maps of the current drawing, one
        request at a time, when the overlay is on or the Activations tab shows."""
        want_saliency, layer = self.why_button.isChecked(), self._wanted_layer()
        if self._explaining or not (want_saliency or layer is not None):
            return
        if self.canvas.is_empty:
            self.canvas.set_overlay(None)
            self.activations.show_grid(None, "Draw a digit on the canvas to see what each filter of a "
                                             "layer responds to.")
            return
        self._explaining = True
        self._explained_version = self.canvas_version
        self.request_explanation.emit(0, self.canvas.image_array(), want_saliency, layer or "")

    def _on_explanation(self, _request: int, result: dict) -> None:
        self._explaining = False
        self.activations.set_layers(result["layers"])  # may pick a layer: asked for below
        want_saliency, layer = self.why_button.isChecked(), self._wanted_layer()
        if self.canvas.is_empty:
            self.canvas.set_overlay(None)
        elif want_saliency and result["saliency"] is not None:
            self.canvas.set_overlay(result["saliency"])
        if result["error"]:
            self.activations.show_grid(None, result["error"])
        elif result["grid"] is not None and result["layer"] == layer:
            self.activations.show_grid(result["grid"], f"Feature maps of {layer} for the drawing "
                                                       "(bright: strong response).")
        elif layer == "" and not result["layers"]:
            self.activations.show_grid(None, "This model has no layers of feature maps (an MLP sees "
                                             "the image as one row of numbers).")
        if self._explained_version != self.canvas_version or (layer is not None and result["layer"] != layer):
            self._explain()

    def _on_why_toggled(self, on: bool) -> None:
        if on:
            self._explain()
        else:
            self.canvas.set_overlay(None)

    def _show_digits(self, probabilities, digits):
        """A row of digits: all of them read in large type; the bars and the image show
        the one the network is least sure of."""
        names = [self.bars.class_names[int(p.argmax())] for p in probabilities]
        sure = probabilities.max(axis=1)
        weakest = int(sure.argmin())
        self.bars.set_probabilities(probabilities[weakest])
        self.preview.set_digit(digits[weakest])
        self.top_prediction.show_result("".join(names), float(sure.min()))
        self.top_prediction.confidence.setText(
            f"{len(names)} digits; the least sure, {names[weakest]} (no. {weakest + 1}), {100 * sure.min():.1f}%")
        self.last_prediction = "".join(names)
        self.last_confidence = float(sure.min())

    def open_image(self):
        path = ask_open(self, "Read digits from an image",
                        "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)")
        if path:
            self.open_image_file(path)

    def open_image_file(self, path: str) -> bool:
        """Puts a photo or scan of handwriting on the canvas; the engine reads it, a row of
        several digits split and read left to right."""
        import cv2

        from core.imagefiles import ImageFileError, read_image
        from core.preprocess import INK_THRESHOLD, ink_on_black, to_grayscale

        try:
            gray = to_grayscale(read_image(path))
        except (ImageFileError, ValueError) as e:
            self._warn("The image cannot be read", f"{e}\n\nChoose a PNG, JPEG, BMP, TIFF or WebP image.")
            return False
        # The canvas is small: a photo is shrunk first, so cleaning it stays quick here.
        limit = 4 * self.canvas.width()
        if max(gray.shape) > limit:
            factor = limit / max(gray.shape)
            gray = cv2.resize(gray, (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor))),
                              interpolation=cv2.INTER_AREA)
        ink = ink_on_black(gray)
        if ink.max() < INK_THRESHOLD:
            self._warn("No digits found", f"{Path(path).name} holds no ink that could be a digit.")
            return False
        self._split_digits = True  # one digit or several: the engine tells
        self.canvas.set_drawing(255 - ink)  # the cleaned ink, dark on white
        self.statusBar().showMessage(f"Reading {Path(path).name}…", 6000)
        return True

    def save_drawing(self):
        if self.canvas.is_empty:
            self.statusBar().showMessage("The canvas is empty: draw something first.", 5000)
            return
        path = ask_save(self, "Save the drawing", "digit.png", "PNG images (*.png)", ".png")
        if path:
            self.save_drawing_to(path)

    def save_drawing_to(self, path: str) -> bool:
        if not path.lower().endswith(".png"):
            path += ".png"
        if self.canvas.save_png(path):
            self.statusBar().showMessage(f"Saved the drawing as {path}", 5000)
            return True
        self._warn("The drawing was not saved", f"Could not write {path}: choose another folder.")
        return False

    def _on_canvas_changed(self):
        """Predicts the drawing as it changes: one request at a time, always of the newest
        drawing, so the prediction follows the pen without a queue building up."""
        self.canvas_version += 1
        if self.canvas.is_empty:
            self._remember_prediction()
            self._split_digits = False
            self._shown_drawing = None
            self._explain()
            self._prediction_request += 1  # drop predictions still in flight
            self.engine.note_prediction_request(self._prediction_request)
            self._in_flight = None
            self.shown_version = self.canvas_version
            self._show_prediction(None, None)
            return
        if self._in_flight is None:
            self._send_prediction()

    def _send_prediction(self):
        self._prediction_request += 1
        self._in_flight = self._prediction_request
        self._in_flight_version = self.canvas_version
        self.engine.note_prediction_request(self._prediction_request)
        self._in_flight_drawing = self.canvas.image_array()  # a copy; the engine only reads it
        self.request_prediction.emit(self._prediction_request, self._in_flight_drawing, self._split_digits)

    def _on_prediction(self, request_id: int, probabilities, digit):
        if request_id != self._in_flight:
            return  # made for a drawing since cleared
        self._in_flight = None
        self.shown_version = self._in_flight_version
        self._shown_drawing = self._in_flight_drawing
        self._show_prediction(probabilities, digit)
        self._explain()
        if self.canvas_version != self.shown_version and not self.canvas.is_empty:
            self._send_prediction()

    def _show_prediction(self, probabilities, digit):
        if probabilities is not None and probabilities.ndim == 2:
            self._show_digits(probabilities, digit)
            return
        self.bars.set_probabilities(probabilities)
        self.preview.set_digit(digit)
        if probabilities is None:
            if self.canvas.is_empty:
                hint = "Draw a digit on the canvas."
            elif self.model_info is None:
                hint = "No model yet: train one or open one."
            else:
                hint = "No ink found."
            self.top_prediction.show_result(None, None, hint)
            self.last_prediction = None
            return
        best = int(probabilities.argmax())
        self.top_prediction.show_result(self.bars.class_names[best], float(probabilities[best]))
        self.last_prediction = self.bars.class_names[best]
        self.last_confidence = float(probabilities[best])

    # ----------------------------------------------------------------- training
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

    @Slot()
    def start_training(self) -> None:
        """Start training (the button, Train ▸ Start, Ctrl+Enter, Enter in a field) with the
        panel's settings; refused with a message when one is marked in red."""
        if self.is_training or self._pending_start is not None:
            return
        if not self.settings.check():
            self.statusBar().showMessage("Fix the settings marked in red first.", 6000)
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
            info = get_dataset_info(config.dataset)
            options = config.model_options()
            form = options.pop("form")
            self._pending_start = (config, data)
            self._summary_request += 1
            self._start_check_request = self._summary_request
            self.progress.setFormat("Estimating the cost of an epoch…")
            self.request_summary.emit(self._start_check_request, config.arch, info.input_shape,
                                      len(info.class_names), form, options)
            return True
        return self._start(config, data)

    def _on_start_estimate(self, summary_data: dict) -> None:
        from core.summary import estimate_training, format_seconds

        config, data = self._pending_start
        self._pending_start = None
        self._start_check_request = -1
        images = len(data.x_train) if data is not None else int((config.limit or 60000) * (1 - config.val_split))
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

    def ask_slow_reference(self, text: str) -> str:
        """Asks what to do with a slow reference network: "compact", "reference" or "cancel"."""
        box = QMessageBox(QMessageBox.Icon.Question, "This will take a long time", text, parent=self)
        compact = box.addButton("Train the compact form", QMessageBox.ButtonRole.AcceptRole)
        reference = box.addButton("Train the reference anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(compact)
        box.exec()
        clicked = box.clickedButton()
        return "compact" if clicked is compact else "reference" if clicked is reference else "cancel"

    def _start(self, config, data) -> bool:
        self.plots.start(config.epochs, config.learning_rate)
        self.result_label.setText("")
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.progress_detail.setText("")
        self.show_plots()
        self.tabs.setCurrentWidget(self.plots_page)
        self._train_started = time.perf_counter()

        self.train_thread = QThread(self)
        self.train_thread.setObjectName("training")
        folder = self.checkpoints_dir()
        if config.checkpoint is None and folder:
            config.checkpoint = str(Path(folder) / f"{config.arch}-best.keras")
        library = self.library_dir()
        if config.strategy == "multiworker":
            # A multi-worker strategy needs a process of its own (see gui.process_worker).
            from core.library import free_path, run_name

            last = str(free_path(Path(library), run_name({"arch": config.arch, "dataset": config.dataset})))
            self.worker = ProcessTrainingWorker(config, last_model_path=last)
            self.worker.model_saved.connect(self.request_load)
        else:
            self.worker = TrainingWorker(config, data, library_folder=library)
        self.worker.paused.connect(self._on_paused)
        self.worker.started_on.connect(self._on_started_on)
        self.worker.moveToThread(self.train_thread)
        self.train_thread.started.connect(self.worker.run)
        self.worker.done.connect(self.train_thread.quit, Qt.ConnectionType.DirectConnection)
        self.train_thread.finished.connect(self._on_thread_finished)
        self.worker.status.connect(self._on_train_status)
        self.worker.progress.connect(self._on_progress)
        self.worker.epoch_done.connect(self._on_epoch)
        self.worker.snapshot.connect(self.request_snapshot)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self._set_training_locks(True)
        self._update_buttons()
        self.train_thread.start()
        self.statusBar().showMessage(f"Training {get_arch(config.arch).name}…")
        return True

    def _set_training_locks(self, training: bool) -> None:
        """What TensorFlow cannot do while it trains is disabled meanwhile."""
        self.settings.set_locked(training)
        for widget in (self.open_action, self.checkpoint_action, self.library.open_button):
            widget.setEnabled(not training)

    def _on_started_on(self, info: dict):
        if info["replicas"] > 1 or info["strategy"] != "default":
            role = ""
            if info.get("worker") is not None:
                role = f", worker {info['worker']}" + (" (chief: saves the model)" if info["chief"] else "")
            self.replicas_label.setText(f"{info['replicas']} replicas ({info['strategy']}{role}), "
                                        f"lr {info['learning_rate']:g}")
            self.replicas_label.show()

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
            self.statusBar().showMessage("Paused after the current batch; the CPU is free.")
        else:
            self.statusBar().showMessage("Resumed.", 3000)

    def stop_training(self):
        if self.worker is not None and not self.worker.stopping:
            self.worker.resume()
            self.worker.stop()
            self.progress.setFormat("Stopping…")
            self.statusBar().showMessage("Stopping after the current batch…")

    def _on_train_status(self, text: str):
        self.progress.setFormat(text)

    def _on_progress(self, p: dict):
        self.plots.add_batch(p)
        if self.worker is not None and self.worker.is_paused:
            return  # a report queued before the pause: keep "Paused" showing
        fraction = p["progress"]
        self.progress.setValue(int(1000 * fraction))
        elapsed = time.perf_counter() - self._train_started
        eta = p["elapsed"] * (1 - fraction) / fraction if fraction > 0 else 0.0
        self.progress.setFormat(f"Epoch {p['epoch'] + 1}/{p['epochs']} — {100 * fraction:.0f}% — "
                                f"ETA {format_duration(eta)}")
        self.progress_detail.setText(
            f"Batch {p['batch']}/{p['batches']}, loss {p['epoch_loss']:.4f}, accuracy "
            f"{100 * p['epoch_accuracy']:.2f}%, {p['images_per_second']:,.0f} images/s, "
            f"elapsed {format_duration(elapsed)}"
        )

    def _on_epoch(self, e: dict):
        self.plots.add_epoch(e)
        if e.get("complete") and "val_accuracy" in e:
            self.statusBar().showMessage(
                f"Epoch {e['epoch'] + 1}: validation accuracy {100 * e['val_accuracy']:.2f}%, "
                f"loss {e['val_loss']:.4f} ({e['seconds']:.1f} s). The canvas now uses these weights.", 8000)

    def _on_finished(self, result: dict):
        self.last_result = result
        self.request_metadata.emit(result["metadata"])
        acc = result.get("test_accuracy")
        state = "Stopped" if result["stopped"] else "Done"
        text = f"<b>{state}</b> after {result['epochs']} full epoch(s) in {format_duration(result['train_seconds'])}"
        if acc is not None:
            text += f"<br>Test accuracy <b>{100 * acc:.2f}%</b>, loss {result['test_loss']:.4f}"
        if result.get("stopped_early"):
            text += "<br>Stopped early: the validation loss stopped improving; the best epoch's weights are kept."
        text += f"<br>{result['images_per_second']:,.0f} images/s."
        if result.get("saved_to"):
            text += (f"<br>Saved in the model library as <i>{Path(result['saved_to']).stem}</i> "
                     "(Models tab, Ctrl+L); Ctrl+S saves a copy elsewhere.")
            self.library.refresh()
            self.library.select_path(result["saved_to"], load=False)
        elif not result.get("kept", True):
            text += ("<br>Stopped before a full epoch, so it was <b>not saved</b> in the model library: "
                     "it has barely trained. The canvas uses it; Ctrl+S saves it anyway.")
        else:
            text += " Save it with Ctrl+S."
        self.result_label.setText(text)
        self.result_label.setToolTip(result.get("saved_to") or "")
        problems = [p for p in (result.get("save_error"), result.get("checkpoint_error")) if p]
        if problems:
            self._warn("The model was not saved automatically",
                       problems[0] + "\n\nThe trained model is still in use on the canvas: save it "
                       "elsewhere with File › Save model (Ctrl+S).")
        self.progress.setValue(1000 if not result["stopped"] else self.progress.value())
        self.progress.setFormat(state)
        self.progress_detail.setText("")
        self.statusBar().showMessage(("Training stopped" if result["stopped"] else "Training finished")
                                     + "; the canvas uses the new model.", 8000)
        self.training_finished.emit(result)

    def _on_cancelled(self, message: str):
        self.progress.setValue(0)
        self.progress.setFormat("Stopped")
        self.progress_detail.setText("")
        self.result_label.setText(message)
        self.statusBar().showMessage(message, 8000)

    def _on_failed(self, message: str):
        self.progress.setFormat("Failed")
        self.progress_detail.setText("")
        self.result_label.setText(f"<span style='color:#c0392b'>{message}</span>")
        self._warn("Training stopped", message)
        self.training_failed.emit(message)

    def _on_thread_finished(self):
        thread, worker = self.train_thread, self.worker
        self.train_thread = None
        self.worker = None
        if thread is not None:
            # `finished` is emitted from the thread just before it ends. Only once it has
            # really ended may its objects go: the worker (owned by Python, so deleted
            # when `worker` goes below, in this thread) and then the QThread. Deleting
            # the worker from its own thread while this one let go of it segfaulted.
            thread.wait(5000)
            thread.deleteLater()
        del worker
        self.plots.stop()
        self.replicas_label.hide()
        self._set_training_locks(False)
        self._update_buttons()
        if self.statusBar().currentMessage().startswith("Stopping"):
            self.statusBar().clearMessage()
        if self._summary_refused:
            # Only then: building a model here competes for the interpreter lock with a
            # training started right after this one (its first steps, the plots' redraw).
            self._summary_refused = False
            self.refresh_summary()

    # ----------------------------------------------------------------- files
    def checkpoints_dir(self) -> str | None:
        """Where training writes its best-so-far checkpoint and its last model."""
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return str(Path(base) / "checkpoints") if base else None

    def open_last_checkpoint(self):
        """Loads the newest model in the checkpoints folder (after a crash, the best so far)."""
        if self.is_training:
            self.statusBar().showMessage("Training is running: its checkpoint opens when it has finished.", 6000)
            return
        folder = self.checkpoints_dir()
        files = sorted(Path(folder).glob("*.keras"), key=lambda p: p.stat().st_mtime) if folder else []
        files = [f for f in files if not f.name.startswith(".")]
        if not files:
            self._warn("No checkpoint yet", f"Training here writes checkpoints to {folder}; there are none yet.")
            return
        self.statusBar().showMessage(f"Loading {files[-1].name}…")
        self.request_load.emit(str(files[-1]))

    def open_model(self):
        if self.is_training:
            self.statusBar().showMessage("Training is running: open a model when it has finished.", 6000)
            return
        path = ask_open(self, "Open model", "Keras models (*.keras)")
        if path:
            self.statusBar().showMessage(f"Loading {Path(path).name}…")
            self.request_load.emit(path)

    def save_model(self):
        arch = (self.last_result or {}).get("arch", "model")
        path = ask_save(self, "Save model", f"{arch}.keras", "Keras models (*.keras)", ".keras")
        if path:
            self.request_save.emit(path)

    def show_about(self):
        QMessageBox.about(
            self, "About CNN Studio",
            "<b>CNN Studio</b><p>Train classic image classifiers, read them layer by layer, "
            "and watch them read your handwriting.</p><p>MNIST: LeCun, Cortes &amp; Burges, "
            "CC BY-SA 3.0.</p>",
        )

    def _warn(self, title: str, message: str):
        self.statusBar().showMessage(message, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.show()
        self._last_message_box = box

    # ----------------------------------------------------------------- shutdown
    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stops training and the engine thread; waits for both to end."""
        self.plots.timer.stop()
        if self.worker is not None:
            self.worker.abort()
        if self.train_thread is not None:
            self.train_thread.wait(timeout_ms)
        self.engine_thread.quit()
        self.engine_thread.wait(timeout_ms)
        self.collector.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()
