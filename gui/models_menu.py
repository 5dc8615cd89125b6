"""The Models menu: the model library (the runs trained here) and comparing runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths


class ModelsMenu:
    """The Models menu's actions of :class:`gui.main_window.MainWindow` (mixed into it: they
    use its library and compare tabs, its status bar and its engine requests)."""

    def library_dir(self) -> str:
        """The model library: ``library`` in the app's data folder (QStandardPaths), or
        ``$CNN_STUDIO_LIBRARY`` (see core.storage.library)."""
        from core.paths import library_dir

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
