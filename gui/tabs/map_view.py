"""The Map tab: a sample of the test set placed by what the canvas's model has learnt (its
last hidden layer, by PCA), coloured by class; hovering a point shows its image, clicking
it explains its reading; the drawing on the canvas is a star that moves as you draw."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from core.inspect.embedding import MAP_IMAGES
from gui.dialogs.explain_image import heat_pixmap

#: A point is hovered within this many pixels of the mouse.
HOVER_PIXELS = 8


class MapView(QWidget):
    """Signals:
        request_map(int, int): (request id, images) for the engine; answered by
            :meth:`show_map`, :meth:`show_progress`, :meth:`show_error`.
        request_place(int, object): (request id, the drawing); answered by :meth:`show_drawing`.
        open_requested(object, str): a point was clicked: its image and a title.
    """

    request_map = Signal(int, int)
    request_place = Signal(int, object)
    open_requested = Signal(object, str)

    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.note = QLabel("Where the network puts the test images, and your drawing among them.")
        self.note.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.figure = Figure(figsize=(5, 5), layout="constrained")
        self.plot = FigureCanvasQTAgg(self.figure)
        self.plot.setToolTip("Each point is a test image, coloured by its class. Hover: its image; click: why "
                             "the network reads it so. The star is your drawing.")
        self.axes = self.figure.add_subplot()
        self.hovered = QLabel()
        self.hovered.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.hovered.setFixedWidth(150)
        self.hovered.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.progress)
        middle = QHBoxLayout()
        middle.addWidget(self.plot, 1)
        middle.addWidget(self.hovered)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        self.result: dict | None = None
        self.stale = True  # the model changed since the map was made
        self.request_id = 0
        self.place_id = 0
        self.drawing_point: np.ndarray | None = None
        self._placed_version = -1
        self.star = None
        self.hover_index: int | None = None
        self.plot.mpl_connect("motion_notify_event", self._on_motion)
        self.plot.mpl_connect("button_press_event", self._on_click)
        panel.reading_shown.connect(self.place_drawing)

    # ----------------------------------------------------------------- the map
    def model_changed(self, *_info) -> None:
        """The canvas reads with other weights (opened, trained, the scrubber's epoch): the
        map is made again, now if it shows."""
        self.stale = True
        self.request_id = 0  # an answer still coming is for the old weights
        self.refresh()

    def refresh(self) -> None:
        """Asks for the map when it shows and is out of date."""
        if not self.isVisible() or not self.stale or self.request_id:
            return
        from gui.workers.engine import next_request_id

        self.request_id = next_request_id()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.note.setText(f"Placing {MAP_IMAGES:,} test images by the network's last hidden layer…")
        self.request_map.emit(self.request_id, MAP_IMAGES)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def show_progress(self, request_id: int, done: int, total: int) -> None:
        if request_id == self.request_id:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def show_error(self, request_id: int, message: str) -> None:
        if request_id != self.request_id:
            return
        self.request_id = 0
        self.progress.hide()
        self.note.setText(f"<span style='color:#c0392b'>{message}</span>")

    def show_map(self, request_id: int, result: dict) -> None:
        if request_id != self.request_id:
            return
        self.request_id, self.stale, self.result = 0, False, result
        self.progress.hide()
        names, labels, points = result["class_names"], result["labels"], result["points"]
        self.axes.clear()
        colours = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
        for k, name in enumerate(names):
            mine = labels == k
            if mine.any():
                self.axes.scatter(points[mine, 0], points[mine, 1], s=6, color=colours(k % colours.N),
                                  label=str(name), alpha=0.7, linewidths=0)
        self.axes.legend(fontsize=7, markerscale=2.5, loc="best", framealpha=0.8)
        explained = result["explained"]
        self.axes.set_xlabel(f"first principal component ({100 * explained[0]:.0f}% of the variance)", fontsize=8)
        self.axes.set_ylabel(f"second ({100 * explained[1]:.0f}%)", fontsize=8)
        self.axes.tick_params(labelsize=7)
        (self.star,) = self.axes.plot([], [], marker="*", markersize=18, color="black", markeredgecolor="white",
                                      linestyle="none", zorder=5)
        wrong = int((result["predicted"] != labels).sum())
        self.note.setText(f"{len(points):,} {result['dataset']} test images placed by <b>{result['layer']}</b>, "
                          f"reduced to 2-D by PCA; {wrong} of them read wrong. Draw: the star is your drawing.")
        self.plot.draw_idle()
        self._placed_version = -1
        self.place_drawing()

    # ----------------------------------------------------------------- the drawing
    def place_drawing(self) -> None:
        """Asks where the canvas's drawing lands (while the map shows; one request at a time)."""
        if not self.isVisible() or self.result is None or self.stale or self.place_id:
            return
        if self.panel.canvas.is_empty:
            self._placed_version = self.panel.canvas_version
            self.show_drawing(0, None)
            return
        if self._placed_version == self.panel.canvas_version:
            return
        from gui.workers.engine import next_request_id

        self.place_id = next_request_id()
        self._placed_version = self.panel.canvas_version
        self.request_place.emit(self.place_id, self.panel.canvas.image_array())

    def show_drawing(self, request_id: int, point) -> None:
        if request_id != self.place_id:
            return
        self.place_id = 0
        self.drawing_point = None if point is None else np.asarray(point, float)
        if self.star is not None:
            self.star.set_data(*(([], []) if point is None else ([point[0]], [point[1]])))
            self.plot.draw_idle()
        if self._placed_version != self.panel.canvas_version:
            self.place_drawing()  # the drawing changed meanwhile

    # ----------------------------------------------------------------- hover and click
    def point_at(self, x: float, y: float) -> int | None:
        """The point nearest the display position (x, y) in pixels, if within reach."""
        if self.result is None:
            return None
        shown = self.axes.transData.transform(self.result["points"])
        distance = np.hypot(shown[:, 0] - x, shown[:, 1] - y)
        nearest = int(distance.argmin())
        return nearest if distance[nearest] <= HOVER_PIXELS * self.plot.device_pixel_ratio else None

    def _title(self, k: int) -> str:
        names, r = self.result["class_names"], self.result
        read = names[int(r["predicted"][k])]
        return f"Test image #{int(r['indices'][k])} (a {names[int(r['labels'][k])]}, read as {read})"

    def _on_motion(self, event) -> None:
        k = self.point_at(event.x, event.y) if event.inaxes is self.axes else None
        if k == self.hover_index:
            return
        self.hover_index = k
        if k is None:
            self.hovered.clear()
            return
        self.hovered.setPixmap(heat_pixmap(self.result["images"][k], None, side=140))
        self.hovered.setToolTip(self._title(k))
        self.note.setText(self._title(k) + ". Click: why.")

    def _on_click(self, event) -> None:
        k = self.point_at(event.x, event.y) if event.inaxes is self.axes else None
        if k is not None:
            self.open_requested.emit(self.result["images"][k], self._title(k))
