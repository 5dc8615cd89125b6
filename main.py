"""CNN Studio: open the window, or work headless.

    python main.py                          open the window
    python main.py summary lenet5 --json    layer summary
    python main.py train lenet5 --epochs 3 --save lenet5.keras
    python main.py predict --model lenet5.keras digit.png
    python main.py evaluate --model lenet5.keras

With ``--json``, standard output holds only the JSON; progress and messages go to
standard error. The commands live in ``cli/``, the window in ``gui/``.
"""

from __future__ import annotations

import os
import sys

from cli.app import build_parser, run_command  # noqa: F401 (build_parser: for scripts and tests)


def open_window() -> int:
    from gui.app import run

    return run()


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return open_window()
    status = run_command(argv)
    return open_window() if status is None else status


if __name__ == "__main__":
    sys.exit(main())
