"""The Evaluation tab: the canvas's model measured on its test set — accuracy, each class's
precision, recall and F1 (exported as CSV), the confusion matrix, and the mistakes it is
surest of."""

from __future__ import annotations

import html

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QVBoxLayout, QWidget

from gui.files import ask_save

MISTAKES_SHOWN = 24


class EvaluationView(QWidget):
    """Signals:
        requested: the user asked for an evaluation (the tab's button).
        request_evaluation: this view wants the engine to evaluate (answered by
            :meth:`show_result` or :meth:`show_error`).
        busy_changed(bool): an evaluation began or ended.
        shown(dict): a result is shown.
        explain_requested(int, str): an image of the gallery was clicked: its index in the
            test set, and a title for it.
    """

    requested = Signal()
    request_evaluation = Signal()
    busy_changed = Signal(bool)
    shown = Signal(dict)
    explain_requested = Signal(int, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QPushButton("Evaluate on the test set")
        self.button.setToolTip("Measure the model the canvas uses on its dataset's test set (Ctrl+E).")
        self.button.clicked.connect(self.requested)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("Save each class's precision, recall and F1 (and the averages) as a CSV file.")
        self.csv_button.setEnabled(False)
        self.csv_button.clicked.connect(self.ask_export_csv)
        self.spinner = QProgressBar()
        self.spinner.setRange(0, 0)
        self.spinner.setMaximumWidth(120)
        self.spinner.hide()
        self.summary = QLabel("Measure the canvas's model: its accuracy, which classes it confuses, "
                              "and the test images it gets wrong most confidently.")
        self.summary.setWordWrap(True)
        self.figure = Figure(figsize=(5, 7), layout="constrained")
        self.plot = FigureCanvasQTAgg(self.figure)
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.spinner)
        top.addStretch(1)
        top.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        self.classes = QLabel()  # each class's precision, recall and F1, beside the matrix
        self.classes.setToolTip("Precision: of the images predicted as this class, the share that are. "
                                "Recall: of this class's images, the share found. F1: their harmonic mean.")
        self.classes.setAlignment(Qt.AlignmentFlag.AlignTop)
        middle = QHBoxLayout()
        middle.addWidget(self.classes)
        middle.addWidget(self.plot, 1)
        layout.addLayout(middle, 1)
        self.result: dict | None = None
        self.busy = False
        self._description = ""
        self.cell: tuple[int, int] | None = None  # the confusion-matrix cell shown
        self.plot.mpl_connect("button_press_event", self._on_click)

    def start(self, description: str = "") -> None:
        """Asks the engine to evaluate the canvas's model (``description`` names it), unless
        an evaluation already runs."""
        if self.busy:
            return
        self._description = description
        self.set_busy(True)
        self.request_evaluation.emit()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.button.setEnabled(not busy)
        self.spinner.setVisible(busy)
        if busy:
            self.summary.setText("Evaluating on the test set…")
        self.busy_changed.emit(busy)

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.summary.setText(f"<span style='color:#c0392b'>{message}</span>")

    def show_result(self, result: dict, description: str | None = None) -> None:
        """Draws the confusion matrix and the most confident mistakes."""
        description = self._description if description is None else description
        self.set_busy(False)
        self.result = result
        names = result["class_names"]
        per_class = result["per_class_accuracy"]
        worst = min((a, n) for a, n in zip(per_class, names) if a is not None)
        self.csv_button.setEnabled(True)
        self.summary.setText(
            f"<b>{100 * result['accuracy']:.2f}%</b> of {result['count']:,} {result['dataset']} test images "
            f"right, loss {result['loss']:.4f}{' — ' + description if description else ''}. "
            f"Hardest class: {worst[1]} ({100 * worst[0]:.1f}%). {_macro_text(result['macro'])}<br>"
            "Click a cell of the confusion matrix to see its images.")
        self.classes.setText(_class_table(result, names))
        self.figure.clear()
        grid = self.figure.add_gridspec(2, 1, height_ratios=[1.5, 1])
        ax = self.matrix_axes = self.figure.add_subplot(grid[0])
        self._gallery_spec = grid[1]
        self._gallery: list = []
        matrix = np.asarray(result["confusion_matrix"])
        off = matrix.astype(float)
        np.fill_diagonal(off, np.nan)  # the colours show the confusions, not the right answers
        ax.imshow(np.log1p(np.nan_to_num(off)), cmap="Reds")
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=6 if len(names) > 10 else 7,
                        color="#2a6" if i == j else "black")
        long_names = max(len(n) for n in names) > 3  # "automobile": slanted, or they overlap
        ax.set_xticks(range(len(names)), names, fontsize=7, rotation=35 if long_names else 0,
                      ha="right" if long_names else "center")
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title("Confusion matrix (click a cell)", fontsize=9)
        mistakes = result.get("mistakes", [])[:MISTAKES_SHOWN]
        self._draw_gallery(result.get("images"), [m["index"] for m in mistakes], [
            f"{names[m['true']]}→{names[m['predicted']]} {100 * m['confidence']:.0f}%" for m in mistakes],
            "The mistakes it is surest of" if mistakes else "No mistakes.")
        self.plot.draw_idle()
        self.shown.emit(result)

    def _draw_gallery(self, images, indices, titles: list[str], heading: str) -> None:
        """Draws a row of test images; ``indices`` are their places in the test set."""
        for axes in self._gallery:
            axes.remove()
        self._gallery = []
        self._gallery_indices = [int(i) for i in indices]
        sub = self._gallery_spec.subgridspec(3, 8)
        for k, title in enumerate(titles[:MISTAKES_SHOWN]):
            cell = self.figure.add_subplot(sub[k // 8, k % 8])
            cell.imshow(images[k], cmap="gray")
            cell.set_title(title, fontsize=6, pad=2)
            cell.axis("off")
            self._gallery.append(cell)
        self.matrix_axes.set_xlabel(f"predicted\n\n{heading}" + (" (click one: why)" if titles else ""))

    def _on_click(self, event) -> None:
        if self.result is not None and event.inaxes in self._gallery:
            self.explain_image(self._gallery.index(event.inaxes))
            return
        if self.result is None or event.inaxes is not getattr(self, "matrix_axes", None):
            return
        if event.xdata is None or event.ydata is None:
            return
        self.show_cell(int(round(event.ydata)), int(round(event.xdata)))

    def show_cell(self, true: int, predicted: int) -> int:
        """Shows the test images of class ``true`` read as ``predicted``; returns how many."""
        result = self.result
        names = result["class_names"]
        if not (0 <= true < len(names) and 0 <= predicted < len(names)) or "predicted" not in result:
            return 0
        found = np.nonzero((np.asarray(result["labels"]) == true) & (result["predicted"] == predicted))[0]
        self.cell = (true, predicted)
        shown = found[:MISTAKES_SHOWN]
        what = "read right" if true == predicted else f"read as {names[predicted]}"
        heading = (f"{len(found):,} test image(s) of {names[true]} {what}" +
                   (f" (first {len(shown)})" if len(found) > len(shown) else ""))
        self._draw_gallery(result["test_images"][shown], shown, [f"#{i}" for i in shown], heading)
        self.plot.draw_idle()
        return len(found)

    def explain_image(self, place: int) -> None:
        """Asks for the explanation of the gallery's image at ``place`` (0 = the first)."""
        index = self._gallery_indices[place]
        names = self.result["class_names"]
        true = names[int(np.asarray(self.result["labels"])[index])]
        self.explain_requested.emit(index, f"Test image #{index} (a {true})")

    def ask_export_csv(self) -> None:
        """Export CSV…: asks where, then saves the per-class scores."""
        if self.result is not None:
            path = ask_save(self, "Export the evaluation", "evaluation.csv", "CSV files (*.csv)", ".csv")
            if path:
                self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        """Writes each class's precision, recall and F1 as CSV (atomically); says so when it
        cannot."""
        from core.atomic import write_text_atomically
        from core.inspect.evaluation import evaluation_csv

        try:
            write_text_atomically(path, evaluation_csv(self.result, self.result["class_names"]))
        except OSError as e:
            QMessageBox.warning(self, "Could not export the evaluation", f"{path}: {e.strerror or e}. "
                                "Choose another folder.")
            return False
        self.exported = path
        return True


def _percent(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _macro_text(macro: dict) -> str:
    return (f"Averaged over the classes: precision {_percent(macro['precision'])}, recall "
            f"{_percent(macro['recall'])}, F1 {_percent(macro['f1'])}.")


def _class_table(result: dict, names) -> str:
    """Precision, recall and F1 of each class, as a small HTML table (a class never
    predicted has no precision: "–")."""
    cells = "".join(f"<tr><td>{html.escape(str(n))}</td><td align='right'>{_percent(p)}</td>"
                    f"<td align='right'>{_percent(r)}</td><td align='right'>{_percent(f)}</td></tr>"
                    for n, p, r, f in zip(names, result["precision"], result["recall"], result["f1"]))
    return ("<table cellspacing='0' cellpadding='2'><tr><th align='left'>class&nbsp;&nbsp;</th>"
            "<th>&nbsp;precision</th><th>&nbsp;recall</th><th>&nbsp;F1</th></tr>" + cells + "</table>")
