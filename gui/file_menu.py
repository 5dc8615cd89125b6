"""The File menu's model files: open, save, and the last checkpoint of a crashed run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from gui.files import ask_open, ask_save


class FileMenu:
    """The File menu's actions of :class:`gui.main_window.MainWindow` (mixed into it: they
    use its status bar, its engine requests and its training state)."""

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
        """File ▸ Save model (Ctrl+S): the weights the canvas reads with. After the epoch
        scrubber moved back, those are that epoch's, and they are saved as that epoch's."""
        arch = (self.last_result or {}).get("arch", "model")
        epoch = self.scrubber.chosen_epoch()
        name = f"{arch}-epoch{epoch}.keras" if epoch is not None else f"{arch}.keras"
        title = f"Save the weights of epoch {epoch}" if epoch is not None else "Save model"
        path = ask_save(self, title, name, "Keras models (*.keras)", ".keras")
        if path:
            self.request_save.emit(path)
