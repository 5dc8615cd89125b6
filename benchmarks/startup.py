"""Start-up: ``python main.py`` to the main window painted, and to "ready to train".

Runs ``main.py`` (the window, offscreen unless a display is set) ``--runs`` times; the
window reports when it is first painted and when TensorFlow has loaded in the background
(the status bar then says "TensorFlow ready"), and closes itself. Prints the medians; the
last line has the time to the painted window. Target (issue "Fast and responsive"): ≤ 2 s.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from gui.app import STARTUP_REPORT_ENV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    painted, ready = [], []
    for run in range(args.runs):
        report = Path(tempfile.mkdtemp()) / "startup.txt"
        env = {**os.environ, STARTUP_REPORT_ENV: str(report)}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        started = time.time()
        subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = dict(line.split() for line in report.read_text().splitlines())
        painted.append(float(times["painted"]) - started)
        ready.append(float(times["ready"]) - started)
        print(f"run {run + 1}: window painted after {painted[-1]:.2f} s, ready to train after {ready[-1]:.2f} s",
              flush=True)
    print(f"ready to train (median of {args.runs}): {statistics.median(ready):.2f} s")
    print(f"start-up to the painted window (median of {args.runs}): {statistics.median(painted):.2f} s")


if __name__ == "__main__":
    main()
