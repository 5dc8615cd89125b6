"""Progress of a run in a terminal: a one-line bar on standard error (a line per epoch
when it is not a terminal), and the warning of a run that learns nothing, once."""

from __future__ import annotations

import sys
import time

from cli.options import err


class TerminalProgress:
    """A one-line progress bar on standard error (one line per epoch when not a TTY)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.warned = False

    def batch(self, p: dict) -> None:
        from core.models.summary import format_clock

        if not self.tty:
            return
        width = 24
        done = int(width * p["batch"] / p["batches"])
        eta = p["eta"]
        sys.stderr.write(
            f"\rEpoch {p['epoch'] + 1}/{p['epochs']} [{'=' * done}{' ' * (width - done)}] "
            f"{p['batch']}/{p['batches']}  loss {p['epoch_loss']:.4f}  acc {p['epoch_accuracy']:.4f}  "
            f"{p['images_per_second']:.0f} img/s  ETA {format_clock(eta)} "
        )
        sys.stderr.flush()

    def epoch(self, e: dict) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        parts = [f"Epoch {e['epoch'] + 1}/{e['epochs']}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in e:
                parts.append(f"{key} {e[key]:.4f}")
        if "learning_rate" in e:
            parts.append(f"lr {e['learning_rate']:.3g}")
        parts.append(f"{e['seconds']:.1f} s, {e['images_per_second']:.0f} img/s")
        if not e["complete"]:
            parts.append("(stopped)")
        err("  ".join(parts))
        if e.get("warning") and not self.warned:  # once; the end of the run says it again if it still holds
            self.warned = True
            err(f"warning: {e['warning']}")
