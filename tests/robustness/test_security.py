"""Model files cannot run code; nothing is fetched from the network at run time."""

import ast
import json
import zipfile
from pathlib import Path

import keras
import pytest

from core.storage.modelio import ModelFileError, load_model
from tests.helpers import ROOT


def test_a_lambda_layer_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    # A Lambda layer stores its function's bytecode in the file: loading it would run it.
    code = f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]"
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(eval(code)),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    path = tmp_path / "lambda.keras"
    model.save(path)
    marker.unlink(missing_ok=True)  # saving traced it once
    with pytest.raises(ModelFileError, match="safe mode"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "exec"), ("subprocess", "Popen")])
def test_layers_naming_other_modules_are_refused(tmp_path, bundled_model_path, module, name):
    path = tmp_path / "evil.keras"
    with zipfile.ZipFile(bundled_model_path) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "config.json":
                config = json.loads(data)
                layer = config["config"]["layers"][1]
                layer.update(module=module, class_name=name, registered_name=None,
                             config={"args": "touch /tmp/cnn-studio-pwned"})
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not Path("/tmp/cnn-studio-pwned").exists()


NETWORK_CALLS = {"urlopen", "urlretrieve", "get_file", "create_connection", "HTTPConnection",
                 "HTTPSConnection", "requests"}


#: The one download the application makes, and only when the user asks for it
#: (``main.py train --dataset cifar10 --download``, or Download in the window's Download
#: CIFAR-10 dialog): Keras's get_file, whose transfer core.data.download makes resumable.
#: (file, function, call).
ALLOWED_DOWNLOADS = {("datasets.py", "download_cifar10", "get_file"),
                     ("download.py", "resumable_retrieve", "urlopen"),
                     ("download.py", "resumable_transfers", "urlretrieve")}
#: Where that function may be called from: (file, function).
DOWNLOAD_CALLERS = {("cli_train.py", "_download"), ("download_dialog.py", "_run"),
                    ("download.py", "retrieve")}  # get_file's transfer, within resumable_transfers


def _calls(path):
    """(function, name, line) of every name used in a file, with its enclosing function."""
    tree = ast.parse(path.read_text(), str(path))
    out = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            name = child.attr if isinstance(child, ast.Attribute) else child.id if isinstance(child, ast.Name) else None
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in child.names] + [getattr(child, "module", None) or ""]
                if any(m.split(".")[0] in ("requests", "urllib3", "http") for m in modules):
                    out.append((function, f"imports {modules}", child.lineno))
            if name:
                out.append((function, name, child.lineno))
            visit(child, inner)

    visit(tree, "")
    return out


def test_no_code_of_the_app_fetches_from_the_network():
    """Every call in core/, gui/ and main.py that could download is listed here: only
    CIFAR-10's, through Keras's own get_file, and only from --download and the window's
    Download button."""
    found, callers = [], []
    for path in [ROOT / "main.py", *sorted((ROOT / "core").rglob("*.py")), *sorted((ROOT / "gui").rglob("*.py"))]:
        for function, name, line in _calls(path):
            if (name in NETWORK_CALLS or name.startswith("imports")) and \
                    (path.name, function, name) not in ALLOWED_DOWNLOADS:
                found.append(f"{path.name}:{line} {name}")
            if name == "download_cifar10" and function != "download_cifar10":
                callers.append((path.name, function))
            if name == "resumable_retrieve" and function != "resumable_retrieve":
                callers.append((path.name, function))
    assert not found, found
    assert set(callers) <= DOWNLOAD_CALLERS, callers


def test_a_dataset_that_needs_a_download_says_so_without_network(monkeypatch, tmp_path):
    from core.data.datasets import DatasetUnavailableError, availability, load_dataset

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached copy
    monkeypatch.setenv("HOME", str(tmp_path))
    problem = availability("fashion_mnist")
    if problem is None:
        pytest.skip("Fashion-MNIST is cached on this machine")
    with pytest.raises(DatasetUnavailableError, match="download"):
        load_dataset("fashion_mnist")
