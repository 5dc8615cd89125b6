"""The ``--events`` protocol, written once: a run driven by another program (the window,
for multi-worker training) reports as JSON lines on standard output (``start``, ``batch``,
``epoch`` and ``result`` events), and a line ``stop`` on standard input stops it.
:class:`EventStream` writes them; :func:`parse_event` reads one back."""

from __future__ import annotations

import json
import sys
import threading


class EventStream:
    """``--events``: progress as JSON lines on stdout for a program that drives this one
    (the window runs multi-worker training so); a line ``stop`` on stdin stops training."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                self.stop.set()
        # the driving program went away: stop, keeping what was trained
        self.stop.set()

    def send(self, kind: str, data: dict) -> None:
        sys.stdout.write(json.dumps({"event": kind, **data}, default=float) + "\n")
        sys.stdout.flush()

    def batch(self, p: dict) -> None:
        self.send("batch", p)

    def epoch(self, also):
        def on_epoch(e: dict) -> None:
            also(e)
            self.send("epoch", e)
        return on_epoch


def parse_event(line: bytes | str) -> tuple[str, dict] | None:
    """One line of the protocol as ``(kind, data)``; None for a line that is not an event
    (a library printing to standard output)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return None
    kind = event.pop("event")
    return kind, event
