"""Installing like an application: `pip install .` gives a `cnn-studio` command that works
from any folder, with the bundled files found through the installed package."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project installed into a fresh virtual environment. Offline: the dependencies
    (TensorFlow…) are this environment's, seen through a .pth file, and the build uses
    its setuptools (no build isolation, no index)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "outer-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    build = tmp_path_factory.mktemp("build")
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--no-index", str(ROOT)], capture_output=True, text=True, cwd=build)
    assert result.returncode == 0, result.stderr[-3000:]
    return venv, Path(purelib)


def test_cnn_studio_runs_its_subcommands_from_any_folder(installed, tmp_path):
    venv, purelib = installed
    command = venv / "bin" / "cnn-studio"
    assert command.is_file()
    result = subprocess.run([str(command), "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert all(name in result.stdout for name in ("summary", "train", "evaluate", "predict"))
    result = subprocess.run([str(command), "summary", "lenet5", "--json"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["total_params"] > 0
    # The bundled files come from the installed package, not from the source folder.
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import core.paths as p; print(p.RESOURCES)"], capture_output=True, text=True,
                           cwd=tmp_path, check=True).stdout.strip()
    resources = Path(where)
    assert resources == purelib / "resources" and not resources.is_relative_to(ROOT)
    for name in ("datasets/mnist.npz", "models/lenet5_mnist.keras", "icons/cnn-studio.svg", "cnn-studio.desktop"):
        assert (resources / name).is_file(), name
    assert (resources / "models/lenet5_mnist.keras").read_bytes() == (ROOT / "resources/models/lenet5_mnist.keras").read_bytes()


def test_the_desktop_entry_starts_the_command_with_the_icon():
    entry = dict(line.split("=", 1) for line in (ROOT / "resources/cnn-studio.desktop").read_text().splitlines()
                 if "=" in line)
    assert entry["Type"] == "Application" and entry["Exec"] == "cnn-studio" and entry["Icon"] == "cnn-studio"
    assert entry["Terminal"] == "false" and entry["Categories"].endswith(";")
