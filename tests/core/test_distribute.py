"""Strategies beyond one device: settings, TF_CONFIG, mirrored on logical CPUs, and two
workers on 127.0.0.1 (each test bounded in time)."""

import json
import subprocess
import sys
import time

import pytest

from core.runtime.distribute import parse_workers, tf_config
from core.training.config import TrainConfig
from tests.helpers import ROOT, finish, free_ports

WORKERS = ["127.0.0.1:20001", "127.0.0.1:20002"]


def test_strategy_settings_are_checked_before_anything_runs():
    assert TrainConfig(strategy="mirrored").errors() == {}
    assert TrainConfig(strategy="multiworker", workers=WORKERS, worker_index=1).errors() == {}
    cases = [
        (dict(strategy="ring"), "strategy", "default, mirrored, multiworker"),
        (dict(strategy="multiworker"), "workers", "at least 2"),
        (dict(strategy="multiworker", workers=["localhost"] * 2), "workers", "not host:port"),
        (dict(strategy="multiworker", workers=["a:1", "a:1"]), "workers", "twice"),
        (dict(strategy="multiworker", workers=WORKERS, worker_index=2), "worker_index", "from 0 to 1"),
        (dict(strategy="multiworker", workers=WORKERS, worker_timeout=1), "worker_timeout", "5 to 3600"),
        (dict(workers=WORKERS), "workers", "multiworker strategy only"),
        (dict(devices=["cpu:0", "cpu:1"]), "devices", "mirrored strategy only"),
        (dict(strategy="mirrored", devices=["gpu:0"]), "devices", "at least 2"),
        (dict(strategy="mirrored", devices=["gpu:0", "gpu:0"]), "devices", "twice"),
        (dict(strategy="mirrored", devices=["gpu:0", "tpu"]), "devices", "'tpu'"),
        (dict(strategy="mirrored", device="gpu:1"), "device", "ticked devices"),
        (dict(scale_lr="yes"), "scale_lr", "true or false"),
    ]
    for fields, name, message in cases:
        errors = TrainConfig(**fields).errors()
        assert name in errors and message in errors[name], (fields, errors)


def test_workers_become_tf_config():
    assert parse_workers(" 10.0.0.1:2222, gpu-box.lan:2223 ,") == ["10.0.0.1:2222", "gpu-box.lan:2223"]
    assert parse_workers(["[::1]:5000"]) == ["[::1]:5000"]
    with pytest.raises(ValueError, match="99999"):
        parse_workers("host:99999")
    config = tf_config(WORKERS, 1)
    assert config == {"cluster": {"worker": WORKERS}, "task": {"type": "worker", "index": 1}}
    json.dumps(config)


MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 3)
from core.data.datasets import load_dataset
from core.training.config import TrainConfig
from core.training.loop import run_training
data = load_dataset("mnist", val_split=0.2, limit=260, test_limit=64, seed=0)
starts, rates = [], []
def run(**fields):
    rates.clear()
    return run_training(TrainConfig(arch="lenet5", epochs=1, batch_size=32, schedule="constant", **fields),
                        data=data, evaluate=False, on_start=starts.append,
                        on_batch=lambda p: rates.append(p["learning_rate"]), report_interval=0)
single = run()
mirrored = run(strategy="mirrored", devices=["cpu:0", "cpu:2"])
print("loss gap", abs(mirrored.history["loss"][0] - single.history["loss"][0]))
scaled = run(strategy="mirrored", devices=["cpu:1", "cpu:2"], scale_lr=True)
print("starts", [(s["strategy"], s["replicas"], round(s["learning_rate"], 6)) for s in starts])
print("trained at", sorted(set(round(r, 6) for r in rates)))
"""


def test_mirrored_on_two_logical_cpus_matches_one_device():
    """MirroredStrategy over ticked (logical CPU) devices: the same loss as one device,
    and the learning rate doubles with --scale-lr."""
    out = subprocess.run([sys.executable, "-c", MIRRORED], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    gap = float(out.stdout.split("loss gap ")[1].split()[0])
    assert gap < 1e-4
    assert "starts [('default', 1, 0.004), ('mirrored', 2, 0.004), ('mirrored', 2, 0.008)]" in out.stdout
    assert "trained at [0.008]" in out.stdout


def start_worker(index, workers, *extra):
    args = [sys.executable, str(ROOT / "main.py"), "train", "lenet5", "--epochs", "1", "--limit", "1200",
            "--batch-size", "64", "--strategy", "multiworker", "--workers", ",".join(workers),
            "--worker-index", str(index), "--worker-timeout", "30", *extra]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_on_localhost_train_together_and_the_chief_saves(tmp_path):
    from core.storage.modelio import load_model

    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    saved, other = tmp_path / "chief.keras", tmp_path / "worker1.keras"
    best = tmp_path / "best.keras"
    chief = start_worker(0, workers, "--save", str(saved), "--checkpoint", str(best), "--json")
    worker = start_worker(1, workers, "--save", str(other), "--checkpoint", str(tmp_path / "w1-best.keras"))
    code1, _, err1 = finish(worker)
    code0, out0, err0 = finish(chief)
    assert code0 == 0, err0[-3000:]
    assert code1 == 0, err1[-3000:]
    assert "2 replicas, worker 0 of 2 (chief)" in err0 and "2 replicas, worker 1 of 2" in err1
    # one model, trained together: both workers saw the same losses
    epoch_line = [line for line in err0.splitlines() if line.startswith("Epoch 1/1")][0]
    assert epoch_line.split("  ")[:5] == [line for line in err1.splitlines()
                                          if line.startswith("Epoch 1/1")][0].split("  ")[:5]
    # only the chief writes files, in the library's format
    assert not other.exists() and not (tmp_path / "w1-best.keras").exists()
    assert "worker 0 (the chief) saves" in err1
    loaded = load_model(saved)
    assert loaded.metadata["config"]["strategy"] == "multiworker"
    assert loaded.model.output_shape == (None, 10)
    assert load_model(best).metadata["checkpoint"] is True
    assert json.loads(out0.strip().splitlines()[-1])["saved_to"] == str(saved)


def test_a_worker_that_never_joins_is_reported():
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    started = time.monotonic()
    proc = start_worker(0, workers, "--worker-timeout", "5")
    code, _, err = finish(proc, timeout=120)
    assert code == 1
    assert "did not join within 5 s" in err and workers[1] in err and "--worker-index" in err
    assert time.monotonic() - started < 90


def test_when_a_worker_dies_the_other_stops_with_a_clear_message():
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    chief = start_worker(0, workers, "--epochs", "50")
    worker = start_worker(1, workers, "--epochs", "50")
    try:
        deadline = time.monotonic() + 120
        # wait until they train together: the chief prints its first epoch
        line = ""
        while time.monotonic() < deadline and "Epoch 1/50" not in line:
            line = chief.stderr.readline()
            if not line and chief.poll() is not None:
                break
        assert "Epoch 1/50" in line, "the workers did not start training"
    finally:
        worker.kill()
    code, _, err = finish(chief, timeout=120)
    assert code == 1
    assert "Another worker stopped or cannot be reached" in err and "Traceback" not in err


def test_a_small_model_on_several_devices_gets_a_note():
    from core.runtime.distribute import small_model_note

    assert small_model_note("lenet5", "compact", "default") is None
    assert "small" in small_model_note("lenet5", "compact", "mirrored")
    assert "small" in small_model_note("vgg16", "compact", "default", device="all")
    assert small_model_note("vgg16", "reference", "multiworker") is None
