"""Shared test set-up: headless Qt, quiet TensorFlow, no network, tidy threads."""

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import socket  # noqa: E402

import pytest  # noqa: E402

BUNDLED_MODEL = ROOT / "resources" / "models" / "lenet5_mnist.keras"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def bundled_model_path() -> Path:
    assert BUNDLED_MODEL.is_file(), "resources/models/lenet5_mnist.keras is missing (see README)"
    return BUNDLED_MODEL
