"""The network editor's TensorFlow work: its live check, building a zoo network to edit,
and writing a network (My networks, a JSON file, Python code). A ``QObject`` that lives in
the engine's thread (see :class:`gui.workers.engine.Engine`), answering with plain data."""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QObject, Signal, Slot

from core.runtime.device import GraphBusy, building_graphs
from gui.workers.threads import pin_python_thread_state

log = logging.getLogger("cnn_studio")


class NetworkEngine(QObject):
    """Signals:
        checked(int, dict): request id, see :func:`gui.workers.engine_inspect.network_check`.
        opened(int, dict, str): request id, a network's Keras config, what went wrong ("").
        written(int, str, str): request id, the path written ("" when not), what went wrong.
    """

    checked = Signal(int, dict)
    opened = Signal(int, dict, str)
    written = Signal(int, str, str)

    @Slot(int, dict, dict)
    def check(self, request_id: int, config: dict, options: dict):
        pin_python_thread_state()
        from gui.workers.engine_inspect import network_check

        try:
            with building_graphs(timeout=1.0):
                result = network_check(config, options)
        except GraphBusy as e:
            result = {"layers": [], "problems": [{"layer": None, "message": str(e)}], "summary": None,
                      "estimate": None, "error": str(e)}
        except Exception as e:  # answered, never raised into Qt
            log.exception("Checking a network failed")
            message = f"Could not check the network: {type(e).__name__}: {e}"
            result = {"layers": [], "problems": [{"layer": None, "message": message}], "summary": None,
                      "estimate": None, "error": message}
        self.checked.emit(request_id, result)

    @Slot(int, str, str, list, int)
    def open_zoo(self, request_id: int, arch: str, form: str, input_shape: list, classes: int):
        """A zoo architecture's config, to edit."""
        pin_python_thread_state()
        from core.models.registry import zoo_network

        try:
            with building_graphs(timeout=1.0):
                config = json.loads(zoo_network(arch, form, input_shape or None, classes))
        except (ValueError, GraphBusy) as e:
            self.opened.emit(request_id, {}, str(e))
            return
        except Exception as e:
            log.exception("Opening a zoo network failed")
            self.opened.emit(request_id, {}, f"Could not build {arch}: {type(e).__name__}: {e}")
            return
        self.opened.emit(request_id, config, "")

    @Slot(int, dict, str, str)
    def write(self, request_id: int, config: dict, kind: str, target: str):
        """See :func:`gui.workers.engine_inspect.network_export`."""
        pin_python_thread_state()
        from gui.workers.engine_inspect import network_export

        try:
            with building_graphs(timeout=1.0):
                written = network_export(config, kind, target)
        except (ValueError, GraphBusy) as e:
            self.written.emit(request_id, "", str(e))
            return
        except OSError as e:
            self.written.emit(request_id, "", f"{target}: {e.strerror or e}. Choose another folder.")
            return
        except Exception as e:
            log.exception("Writing a network failed")
            self.written.emit(request_id, "", f"Could not write the network: {type(e).__name__}: {e}")
            return
        self.written.emit(request_id, written, "")
