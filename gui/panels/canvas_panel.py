"""The canvas panel: the drawing and its tools, the reading of it (large type, a bar per
class, the image the network sees), recent drawings, and image files opened or dropped.

The drawing is read as it changes: one prediction request at a time, always of the newest
drawing, so the reading follows the pen without a queue building up.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSpinBox, QVBoxLayout)

from gui.dialogs.explain_image import HeatChoice
from gui.panels.canvas import DrawingCanvas
from gui.commands import make_action, warn
from gui.workers.engine import next_request_id
from gui.files import ask_open, ask_save, with_suffix
from gui.panels.my_digits_row import MyDigitsRow
from gui.panels.prediction_view import DigitPreview, ProbabilityBars, TopPrediction

#: Drawings kept in the canvas history.
HISTORY_LENGTH = 12
IMAGE_FILTERS = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"


class CanvasPanel(QGroupBox):
    """Signals:
        request_prediction(int, object, bool): read this drawing (request id, the drawing,
            whether to split it into a row of digits); answered by :meth:`on_prediction`.
        reading_shown: a reading (or the empty canvas) is now shown; explanations follow.
        status(str, int): a message for the status bar and how long it shows (ms).
        train_requested(object): a :class:`core.training.config.TrainConfig` that fine-tunes the
            canvas's model on My digits (Teach…).
    """

    request_prediction = Signal(int, object, bool)
    reading_shown = Signal()
    status = Signal(str, int)
    train_requested = Signal(object)

    def __init__(self, note_request=lambda request_id: None, parent=None):
        """Args:
            note_request: told the id of every prediction request as it is sent (the engine
                skips requests older than the newest).
        """
        super().__init__("Draw a digit", parent)
        self.note_request = note_request
        self.model_info: dict | None = None
        self.last_prediction: str | None = None
        self.last_confidence = 0.0
        self.canvas_version = 0  # counts changes of the drawing
        self.shown_version = 0  # the drawing version the shown reading was made from
        self._in_flight: int | None = None  # the prediction request the engine is working on
        self._in_flight_version = 0
        self._in_flight_drawing = None  # the drawing the engine is reading
        self._shown_drawing = None  # the drawing whose reading is shown (for the history)
        self._split_digits = False  # the canvas holds an opened image of several digits

        self.canvas = DrawingCanvas()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Delete, or right-click the canvas).")
        self.pen_width = QSpinBox()
        self.pen_width.setRange(DrawingCanvas.MIN_PEN, DrawingCanvas.MAX_PEN)
        self.pen_width.setValue(int(self.canvas.pen_width))
        self.pen_width.setSuffix(" px")
        self.pen_width.setToolTip("Pen width ([ thinner, ] thicker). A tablet pen's pressure varies it.")
        self.pen_width.setAccessibleName("Pen width")
        self.eraser_button = QPushButton("Eraser")
        self.eraser_button.setCheckable(True)
        self.eraser_button.setToolTip("Erase with the left button instead of drawing (E).")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke or clear (Ctrl+Z).")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setToolTip("Put back what was undone (Ctrl+Shift+Z or Ctrl+Y).")
        self.why_button = QPushButton("Why?")
        self.why_button.setCheckable(True)
        self.why_button.setToolTip("Show in red which pixels drove the prediction, by the method "
                                   "chosen beside (W; Shift+W: the next method).")
        self.why_choice = HeatChoice()
        self._why_error = ""
        self.history = QListWidget()
        self.history.setViewMode(QListWidget.ViewMode.IconMode)
        self.history.setFlow(QListWidget.Flow.LeftToRight)
        self.history.setWrapping(False)
        self.history.setIconSize(QSize(28, 28))
        self.history.setFixedHeight(62)
        self.history.setToolTip("The last drawings read, newest first (kept when the canvas is cleared); "
                                "click one to put it back.")
        self.top_prediction = TopPrediction()
        self.bars = ProbabilityBars()
        self.preview = DigitPreview()
        self.my_digits = MyDigitsRow()
        self.model_label = QLabel("No model yet: train one, or open a .keras file (Ctrl+O).")
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color: #888;")  # readable on light and dark

        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        for row_widgets in ((self.pen_width, self.eraser_button, self.clear_button),
                            (self.undo_button, self.redo_button), (self.why_button, self.why_choice)):
            tools = QHBoxLayout()
            for widget in row_widgets:
                tools.addWidget(widget, widget is self.why_choice)
            layout.addLayout(tools)
        layout.addWidget(self.my_digits)
        row = QHBoxLayout()
        row.addWidget(self.top_prediction, 1)
        seen = QVBoxLayout()
        seen.addWidget(QLabel("The network sees:"))
        seen.addWidget(self.preview)
        row.addLayout(seen)
        layout.addLayout(row)
        layout.addWidget(self.bars, 1)
        self.recent_label = QLabel("Recent drawings:")
        layout.addWidget(self.recent_label)
        layout.addWidget(self.history)
        layout.addWidget(self.model_label)

        canvas = self.canvas
        self.clear_action = make_action(self, "&Clear", [QKeySequence.StandardKey.Delete, "Backspace"],
                                        canvas.clear, "Clear the drawing.")
        self.undo_action = make_action(self, "&Undo", QKeySequence.StandardKey.Undo, canvas.undo,
                                       "Take back the last stroke or clear.")
        self.redo_action = make_action(self, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], canvas.redo,
                                       "Put back what was undone.")
        eraser = make_action(self, "&Eraser", "E", self.eraser_button.toggle, "Erase instead of drawing.")
        why = make_action(self, "Show &why", "W", self.why_button.toggle,
                          "Show which pixels drove the prediction.")
        why_next = make_action(self, "&Next explanation method", "Shift+W", self._next_why_method,
                               "Explain by the next method: saliency, Grad-CAM, occlusion.")
        thinner = make_action(self, "&Thinner pen", "[", lambda: self.pen_width.setValue(self.pen_width.value() - 4),
                              "A thinner pen.")
        thicker = make_action(self, "T&hicker pen", "]", lambda: self.pen_width.setValue(self.pen_width.value() + 4),
                              "A thicker pen.")
        open_image = make_action(self, "&Open image…", "Ctrl+I", self.open_image,
                                 "Read a photo or scan of digits (several in a row are read left to right); "
                                 "or drop the file on the canvas.")
        save = make_action(self, "&Save drawing as PNG…", "Ctrl+Shift+S", self.save_drawing,
                           "Save the drawing as a PNG image.")
        self.actions_for_menu = [self.clear_action, self.undo_action, self.redo_action, eraser, why, why_next, thinner,
                                 thicker, None, open_image, save]
        self.drawing_actions = [eraser, thinner, thicker]  # not for an image area

        self.clear_button.clicked.connect(canvas.clear)
        self.undo_button.clicked.connect(canvas.undo)
        self.redo_button.clicked.connect(canvas.redo)
        self.eraser_button.toggled.connect(canvas.set_eraser)
        self.pen_width.valueChanged.connect(canvas.set_pen_width)
        canvas.history_changed.connect(self._update_undo)
        canvas.changed.connect(self._on_canvas_changed)
        canvas.file_dropped.connect(self.open_image_file)
        canvas.open_requested.connect(self.open_image)
        canvas.digit_key.connect(self.save_as)
        self.my_digits.labelled.connect(self.save_as)
        self.my_digits.teach_requested.connect(self.teach)
        self.run_saved_as: str | None = None  # the library file of the last run trained here
        self.teach_dialog = None
        self.history.itemClicked.connect(self._on_history_clicked)
        self._update_undo()

    # ----------------------------------------------------------------- the model
    def set_model(self, info: dict) -> None:
        """The engine's model changed (``info`` of ``Engine.model_ready``): read again."""
        self.model_info = info
        source = {"bundled": "Bundled model", "training": "Trained here",
                  "file": "Opened file"}.get(info["source"], "Model")
        self.model_label.setText(f"{source}: {info['description']}.")
        self.model_label.setToolTip(info.get("path") or "")
        if self.bars.class_names != info["class_names"]:
            self.bars.set_classes(info["class_names"])
        from core.reading.photos import is_photo_model

        self.set_photo_mode(is_photo_model(info["class_names"]))
        self._on_canvas_changed()

    def set_photo_mode(self, on: bool) -> None:
        """For a model of photos the canvas becomes an image area (open or drop a photo, read
        whole in colour); the drawing tools and My digits step aside. Back for digits."""
        if on == self.canvas.photo_mode:
            return
        self.history.clear()  # drawings and photos do not mix
        self._split_digits = False
        self.canvas.set_photo_mode(on)
        self.setTitle("Open or drop an image" if on else "Draw a digit")
        for widget in (self.pen_width, self.eraser_button, self.my_digits):
            widget.setVisible(not on)
        for action in self.drawing_actions:
            action.setEnabled(not on)
        if on and self.eraser_button.isChecked():
            self.eraser_button.setChecked(False)
        self.recent_label.setText("Recent images:" if on else "Recent drawings:")
        self.preview.set_photo_tip(on)

    # ----------------------------------------------------------------- reading the drawing
    def _on_canvas_changed(self):
        self.canvas_version += 1
        if self.canvas.is_empty:
            self._remember_reading()
            self._split_digits = False
            self._shown_drawing = None
            self._in_flight = None  # drop a prediction still in flight
            self.note_request(next_request_id())
            self.shown_version = self.canvas_version
            self._show_reading(None)
            self.reading_shown.emit()
            return
        if self._in_flight is None:
            self._send_prediction()

    def _send_prediction(self):
        self._in_flight = next_request_id()
        self._in_flight_version = self.canvas_version
        self.note_request(self._in_flight)
        self._in_flight_drawing = self.canvas.image_array()  # a copy; the engine only reads it
        self.request_prediction.emit(self._in_flight, self._in_flight_drawing, self._split_digits)

    def on_prediction(self, request_id: int, reading):
        """The engine's :class:`core.reading.inference.Reading` of request ``request_id`` (None:
        nothing to read)."""
        if request_id != self._in_flight:
            return  # made for a drawing since cleared
        self._in_flight = None
        self.shown_version = self._in_flight_version
        self._shown_drawing = self._in_flight_drawing
        self._show_reading(reading)
        self.reading_shown.emit()
        if self.canvas_version != self.shown_version and not self.canvas.is_empty:
            self._send_prediction()

    def on_prediction_failed(self, request_id: int, message: str):
        """The engine could not read request ``request_id``: said under the canvas (the
        traceback is in the log), and the canvas goes on reading the next drawing."""
        if request_id != self._in_flight:
            return
        self._in_flight = None
        self.shown_version = self._in_flight_version
        self._show_reading(None)
        self.top_prediction.show_result(None, None, "Could not read this drawing; draw on to try again.")
        self.status.emit(f"Could not read the drawing ({message}); the details are in the log file.", 10000)
        if self.canvas_version != self.shown_version and not self.canvas.is_empty:
            self._send_prediction()

    def _show_reading(self, reading):
        """One digit: its class in large type, a bar per class and the image the network
        sees. A row of digits: all of them in large type; the bars and the image show the
        one the network is least sure of."""
        if reading is None:
            self.bars.set_probabilities(None)
            self.preview.set_digit(None)
            if self.canvas.is_empty:
                hint = ("Open an image (Ctrl+I), or drop one on the area." if self.canvas.photo_mode
                        else "Draw a digit on the canvas.")
            elif self.model_info is None:
                hint = "No model yet: train one or open one."
            else:
                hint = "No ink found."
            self.top_prediction.show_result(None, None, hint)
            self.last_prediction = None
            return
        weakest = reading.weakest
        self.bars.set_probabilities(reading.probabilities[weakest])
        self.preview.set_digit(reading.images[weakest])
        self.top_prediction.show_result(reading.text, reading.confidence)
        if len(reading.labels) > 1:
            self.top_prediction.confidence.setText(
                f"{len(reading.labels)} digits; the least sure, {reading.labels[weakest]} (no. {weakest + 1}), "
                f"{100 * reading.confidence:.1f}%")
        self.last_prediction = reading.text
        self.last_confidence = reading.confidence

    # ----------------------------------------------------------------- history and undo
    def _update_undo(self):
        for widget in (self.undo_button, self.undo_action):
            widget.setEnabled(self.canvas.can_undo)
        for widget in (self.redo_button, self.redo_action):
            widget.setEnabled(self.canvas.can_redo)

    def _remember_reading(self):
        """Keeps the shown reading in the history before the drawing goes."""
        if self.last_prediction is None or self.preview._image is None or self._shown_drawing is None:
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
        if drawing.ndim == 3:
            self.canvas.set_photo(drawing)
        else:
            self.canvas.set_drawing(drawing)
        self.status.emit("The drawing is back on the canvas (Ctrl+Z takes it away).", 5000)

    # ----------------------------------------------------------------- my digits
    def save_as(self, label: str) -> bool:
        """"This is a …": keeps the drawing with its label in My digits, then clears the
        canvas for the next one."""
        from core.data.my_digits import counts, save_example

        if self.canvas.is_empty:
            self.status.emit(f"Draw the {label} first, then say what it is.", 5000)
            return False
        try:
            save_example(label, self.canvas.image_array())
        except (ValueError, OSError) as e:
            warn(self, "The drawing was not saved in My digits", f"{e}")
            return False
        n = counts()
        self.status.emit(f"Saved as a {label}: My digits has {n[label]} drawing(s) of {label}, "
                         f"{sum(n.values())} in all.", 5000)
        self.my_digits.refresh()
        self.canvas.clear()
        return True

    def teach(self) -> None:
        """Teach…: asks how to fine-tune the canvas's model on My digits (epochs, learning
        rate), then asks the window to train."""
        from core.storage.library import read_entry
        from gui.dialogs.continue_dialog import ContinueDialog

        info = self.model_info or {}
        path = info.get("path") or (self.run_saved_as if info.get("source") == "training" else None)
        if not path:
            warn(self, "Teach needs a saved model", "The canvas's model is not in a file yet: pick one in "
                 "the Models tab, or save it (Ctrl+S), then click Teach… again.")
            return
        entry = read_entry(Path(path))
        if not entry.readable or not entry.metadata.get("arch"):
            warn(self, "This model cannot be taught here", f"{Path(path).name} does not say which architecture "
                 "it is (it was made elsewhere): pick a model trained here in the Models tab.")
            return
        self.teach_dialog = ContinueDialog(entry, True, self.window(), dataset="my_digits")
        self.teach_dialog.accepted_config.connect(self.train_requested)
        self.teach_dialog.open()

    # ----------------------------------------------------------------- image files
    def open_image(self):
        title = "Read an image" if self.canvas.photo_mode else "Read digits from an image"
        path = ask_open(self, title, IMAGE_FILTERS)
        if path:
            self.open_image_file(path)

    def open_image_file(self, path: str) -> bool:
        """Puts a photo or scan of handwriting on the canvas, cleaned; the engine reads it,
        a row of several digits split and read left to right. With a model of photos, the
        photo itself goes on the image area and is read whole."""
        from core.reading.imagefiles import ImageFileError, read_image
        from core.reading.preprocess import ink_for_canvas

        if self.canvas.photo_mode:
            from core.reading.photos import photo_rgb

            try:
                rgb = photo_rgb(read_image(path))
            except (ImageFileError, ValueError) as e:
                warn(self, "The image cannot be read", f"{e}\n\nChoose a PNG, JPEG, BMP, TIFF or WebP image.")
                return False
            self.canvas.set_photo(rgb)
            self.status.emit(f"Reading {Path(path).name}…", 6000)
            return True

        try:
            ink = ink_for_canvas(path, 4 * self.canvas.width())
        except (ImageFileError, ValueError) as e:
            warn(self, "The image cannot be read", f"{e}\n\nChoose a PNG, JPEG, BMP, TIFF or WebP image.")
            return False
        if ink is None:
            warn(self, "No digits found", f"{Path(path).name} holds no ink that could be a digit.")
            return False
        self._split_digits = True  # one digit or several: the engine tells
        self.canvas.set_drawing(255 - ink)  # the cleaned ink, dark on white
        self.status.emit(f"Reading {Path(path).name}…", 6000)
        return True

    def _next_why_method(self) -> None:
        """Shift+W: the next method; Why? turns on to show it."""
        self.why_choice.next_method()
        self.why_button.setChecked(True)

    def show_why_error(self, message: str) -> None:
        """Says once why Why? shows nothing (Grad-CAM of an MLP…)."""
        if message and message != self._why_error:
            self.status.emit(f"Why?: {message}", 10000)
        self._why_error = message

    def save_drawing(self):
        if self.canvas.is_empty:
            self.status.emit("The canvas is empty: draw something first.", 5000)
            return
        path = ask_save(self, "Save the drawing", "digit.png", "PNG images (*.png)", ".png")
        if path:
            self.save_drawing_to(path)

    def save_drawing_to(self, path: str) -> bool:
        path = with_suffix(path, ".png")
        if self.canvas.save_png(path):
            self.status.emit(f"Saved the drawing as {path}", 5000)
            return True
        warn(self, "The drawing was not saved", f"Could not write {path}: choose another folder.")
        return False
