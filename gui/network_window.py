"""The window's side of the Network tab: the editor's engine in the engine thread, My
networks in the Architecture list, and "Train it"."""

from __future__ import annotations

from gui.tabs.network_editor import NetworkEditor
from gui.workers.network_engine import NetworkEngine


class NetworkWindow:
    """Builds and wires the network editor for :class:`gui.main_window.MainWindow` (mixed into it)."""

    def build_network_editor(self) -> None:
        """The Network tab after Diagram, and its engine in the engine's thread."""
        self.network_engine = NetworkEngine()
        self.network_engine.moveToThread(self.engine_thread)
        self.network_editor = NetworkEditor(self.dataset_shape)
        self.tabs.insertTab(self.tabs.indexOf(self.summary_view.diagram_page) + 1, self.network_editor, "Network")
        editor, engine = self.network_editor, self.network_engine
        editor.request_check.connect(engine.check)
        editor.request_zoo.connect(engine.open_zoo)
        editor.request_write.connect(engine.write)
        engine.checked.connect(editor.on_checked)
        engine.opened.connect(editor.on_opened)
        engine.written.connect(editor.on_written)
        editor.saved.connect(self.refresh_networks)
        editor.train_requested.connect(self.train_network)
        editor.status.connect(self.statusBar().showMessage)
        self.settings.dataset.currentIndexChanged.connect(lambda *_: editor.dataset_changed())
        # While training holds TensorFlow the check waits; it is made again when training ends.
        self.training.busy_changed.connect(lambda training: None if training else editor.recheck())
        self.refresh_networks()
        editor.recheck()

    def dataset_shape(self) -> tuple[tuple[int, int, int], int]:
        """The chosen dataset's input shape and class count (MNIST's when it cannot be told)."""
        from core.data.datasets import get_dataset_info

        try:
            info = get_dataset_info(self.settings.dataset.currentData())
            return tuple(int(d) for d in info.input_shape), len(info.class_names)
        except Exception:  # an unavailable dataset: the editor still works
            return (28, 28, 1), 10

    def refresh_networks(self, *_args) -> None:
        """My networks, in the Architecture list."""
        from core.models.networks import my_networks

        self.settings.set_networks(my_networks())

    def train_network(self, arch_id: str) -> None:
        """"Train it": the network chosen in the panel (the other settings kept), then Start."""
        self.refresh_networks()
        self.settings.select_arch(arch_id)
        self.training.start_training()

    def edit_selected_network(self) -> None:
        """Models ▸ Edit the network of the selected run: its architecture in the Network tab."""
        entries = [e for e in self.library.selected_entries() if e.readable]
        if len(entries) != 1:
            self.show_library()
            self.statusBar().showMessage("Select one run in the Models tab, then edit its network.", 8000)
            return
        if self.network_editor.open_file(str(entries[0].path)):
            self.tabs.setCurrentWidget(self.network_editor)
