"""The Compare tab: runs from the library overlaid (one colour each; training dashed,
validation solid) and their figures side by side, exportable as PNG and CSV."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)
from PySide6.QtCore import Qt

from core.atomic import atomic_path, write_text_atomically
from core.inspect.compare import comparison_table, draw_comparison, table_csv
from core.storage.library import LibraryEntry
from gui.files import ask_save, with_suffix


class CompareView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[LibraryEntry] = []
        self.lines: list = []
        self.hint = QLabel("Select two or more runs in the Models tab (Ctrl+click) and press Compare.")
        self.hint.setWordWrap(True)
        self.csv_button = QPushButton("Export table as CSV…")
        self.csv_button.setToolTip("Save the table below as a CSV file (for a spreadsheet).")
        self.csv_button.clicked.connect(self.ask_export_csv)
        self.png_button = QPushButton("Save plot as PNG…")
        self.png_button.setToolTip("Save the curves as a PNG image.")
        self.png_button.clicked.connect(self.ask_save_png)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.csv_button)
        top.addWidget(self.png_button)
        self.figure = Figure(figsize=(7, 3), layout="constrained")
        self.plot = FigureCanvasQTAgg(self.figure)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.layers = QTableWidget(0, 4)
        self.layers.setHorizontalHeaderLabels(("Layer", "Change", "First run", "Second run"))
        self.layers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.layers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.layers.verticalHeader().hide()
        self.layers.setToolTip("The two runs' networks layer by layer: layers added, removed or changed "
                               "(matched by name).")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        tables = QSplitter()
        tables.addWidget(self.table)
        tables.addWidget(self.layers)
        splitter.addWidget(tables)
        splitter.setSizes([360, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.csv_button.setEnabled(bool(self.entries))
        self.png_button.setEnabled(bool(self.entries))

    def show_runs(self, entries: list[LibraryEntry]) -> None:
        """Draws the curves of ``entries`` and fills the table."""
        self.entries = list(entries)
        self.lines = draw_comparison(self.figure, self.entries)
        self.plot.draw_idle()
        rows = comparison_table(self.entries)
        self.table.clear()
        self.table.setRowCount(len(rows) - 1)
        self.table.setColumnCount(len(self.entries))
        self.table.setHorizontalHeaderLabels(rows[0][1:])
        self.table.setVerticalHeaderLabels([row[0] for row in rows[1:]])
        for r, row in enumerate(rows[1:]):
            for c, text in enumerate(row[1:]):
                item = QTableWidgetItem(text)
                item.setForeground(Qt.GlobalColor.black)
                self.table.setItem(r, c, item)
        for c in range(len(self.entries)):
            header = self.table.horizontalHeaderItem(c)
            header.setForeground(_qcolor(f"C{c % 10}"))
        self.hint.setText(f"{len(self.entries)} runs: dashed lines are training, solid lines validation; "
                          "each run has its colour (the column headers below).")
        self._show_layers()
        self._update_buttons()

    def _show_layers(self) -> None:
        """For two runs, their networks' difference layer by layer (right of the figures)."""
        from core.inspect.architecture_diff import architecture_diff, architecture_of, describe

        self.layer_rows = []
        self.layers.setVisible(len(self.entries) == 2)
        if len(self.entries) != 2:
            return
        try:
            rows = architecture_diff(*(architecture_of(entry.path) for entry in self.entries))
        except ValueError as e:
            self.layers.setRowCount(1)
            self.layers.setItem(0, 0, QTableWidgetItem(f"Cannot compare the layers: {e}"))
            return
        shown = [row for row in rows if row["change"] != "same"]
        self.layer_rows = shown
        self.layers.setRowCount(max(1, len(shown)))
        if not shown:
            self.layers.setItem(0, 0, QTableWidgetItem("The two networks have the same layers."))
        colours = {"added": "#d4edda", "removed": "#f8d7da", "changed": "#fff3cd"}
        for r, row in enumerate(shown):
            first = "; ".join(f"{what} {describe(old)}" for what, old, _new in row["changes"]) or \
                (row["kind"] if row["change"] == "removed" else "")
            second = "; ".join(f"{what} {describe(new)}" for what, _old, new in row["changes"]) or \
                (row["kind"] if row["change"] == "added" else "")
            for c, text in enumerate((row["name"], row["change"], first, second)):
                item = QTableWidgetItem(text)
                item.setBackground(_qcolor(colours[row["change"]]))
                item.setForeground(Qt.GlobalColor.black)
                self.layers.setItem(r, c, item)

    def ask_export_csv(self) -> None:
        """Asks where to save the table as CSV, then saves it."""
        if self.entries:
            path = ask_save(self, "Export the table", "comparison.csv", "CSV files (*.csv)", ".csv")
            if path:
                self.export_csv(path)

    def ask_save_png(self) -> None:
        """Asks where to save the plot as PNG, then saves it."""
        if self.entries:
            path = ask_save(self, "Save the plot", "comparison.png", "PNG images (*.png)", ".png")
            if path:
                self.save_png(path)

    def export_csv(self, path: str) -> bool:
        """Writes the table as CSV (atomically); says so when it cannot."""
        if not self.entries:
            return False
        path = with_suffix(path, ".csv")
        try:
            write_text_atomically(path, table_csv(self.entries))
        except OSError as e:
            QMessageBox.warning(self, "Could not export the table",
                                f"{path}: {e.strerror or e}. Choose another folder.")
            return False
        self.hint.setText(f"Table saved to {path}.")
        return True

    def save_png(self, path: str) -> bool:
        """Writes the plot as PNG; says so when it cannot."""
        if not self.entries:
            return False
        path = with_suffix(path, ".png")
        try:
            with atomic_path(path) as tmp:
                self.figure.savefig(tmp, format="png", dpi=150)
        except OSError as e:
            QMessageBox.warning(self, "Could not save the plot", f"{path}: {e.strerror or e}. Choose another folder.")
            return False
        self.hint.setText(f"Plot saved to {path}.")
        return True


def _qcolor(name: str):
    from matplotlib.colors import to_hex
    from PySide6.QtGui import QColor

    return QColor(to_hex(name))
