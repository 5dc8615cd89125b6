"""Helpers shared by test modules (not fixtures): the project's paths, free local ports,
and waiting for a child process."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = ROOT / "resources" / "models" / "lenet5_mnist.keras"


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def finish(proc, timeout: float = 240):
    """Waits for a ``subprocess.Popen`` (killing it after ``timeout`` s): its exit code,
    standard output and standard error."""
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


def run_main(*args: str, env: dict | None = None):
    """Runs ``main.py ARGS`` in this process, as a user runs it in a terminal: a
    ``subprocess.CompletedProcess`` with its exit status and what it printed on standard
    output and standard error (argparse's exits included). For what the commands say and
    return; a test of the process itself (signals, a kill, the program starting) runs one."""
    import contextlib
    import io
    import os
    import subprocess

    import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main.main(list(args))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["main.py", *args], code, out.getvalue(), err.getvalue())
