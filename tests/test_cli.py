"""The headless subcommands, run as a user runs them."""

import json
import zipfile
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import ROOT, run_main
from core.storage.library import list_models
from tests.digits import draw_digit


def run_process(*args, timeout=300, env=None):
    """``main.py ARGS`` as a program of its own (the subcommands are tested in-process with
    :func:`tests.helpers.run_main`, which is faster; this checks the program itself)."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def test_summary_json():
    proc = run_process("summary", "lenet5", "--input", "32x32x3", "--classes", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["arch"] == "lenet5" and data["input_shape"] == [32, 32, 3] and data["classes"] == 5
    assert data["total_params"] == data["trainable_params"] + data["non_trainable_params"]
    assert sum(layer["params"] for layer in data["layers"]) == data["total_params"]
    assert {"name", "type", "output_shape", "params"} <= set(data["layers"][-1])
    assert data["layers"][-1]["output_shape"] == [None, 5]


def test_summary_text_and_bad_arguments():
    proc = run_main("summary", "mlp")
    assert proc.returncode == 0 and "235,146" in proc.stdout
    proc = run_main("summary", "lenet9")
    assert proc.returncode == 2 and "lenet5" in proc.stderr
    proc = run_main("summary", "mlp", "--input", "28by28")
    assert proc.returncode == 2 and "HxWxC" in proc.stderr


def test_train_json_saves_a_model_that_predicts(tmp_path):
    model_path = tmp_path / "quick.keras"
    library = tmp_path / "library"
    proc = run_main("train", "lenet5", "--epochs", "1", "--limit", "2000", "--batch-size", "32",
                   "--save", str(model_path), "--json", env={"CNN_STUDIO_LIBRARY": str(library)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.stdout.strip() == proc.stdout.strip().splitlines()[-1]  # stdout holds only the JSON
    assert set(data) >= {"arch", "dataset", "epochs", "test_accuracy", "test_loss", "train_seconds",
                         "images_per_second", "saved_to"}
    assert data["arch"] == "lenet5" and data["dataset"] == "mnist" and data["epochs"] == 1
    assert data["test_accuracy"] > 0.7 and data["saved_to"] == str(model_path) and model_path.is_file()
    assert "Epoch 1/1" in proc.stderr
    # The run is in the model library too, with its training record.
    [entry] = list_models(library)
    assert str(entry.path) == data["library_path"] and entry.metadata["test_accuracy"] == data["test_accuracy"]


@pytest.mark.parametrize("args,message", [
    (["--lr", "nan"], "--learning-rate"), (["--lr", "-1"], "--learning-rate"),
    (["--epochs", "0"], "--epochs"), (["--batch-size", "x"], "--batch-size"),
    (["--optimizer", "adamw9"], "--optimizer"), (["--save", "model.h5"], ".keras"),
    (["--momentum", "nan"], "--momentum"), (["--momentum", "1.5"], "--momentum"),
    (["--weight-decay", "-1"], "--weight-decay"), (["--weight-decay", "heavy"], "--weight-decay"),
    (["--schedule", "zigzag"], "--schedule"), (["--warmup", "20", "--epochs", "3"], "--warmup"),
    (["--early-stopping", "2", "--val-split", "0"], "--early-stopping"), (["--val-split", "0.9"], "--val-split"),
    (["--val-split", "inf"], "--val-split"), (["--seed", "-4"], "--seed"), (["--device", "tpu:0"], "--device"),
    (["--device", "gpu:7"], "--device"), (["--mixed-precision", "float16"], "--mixed-precision"),
    (["--mixed-precision", "fp8"], "--mixed-precision"), (["--checkpoint", "best.h5"], "--checkpoint"),
])
def test_train_refuses_bad_settings(args, message):
    proc = run_main("train", "mlp", *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_with_every_control(tmp_path):
    checkpoint = tmp_path / "best.keras"
    proc = run_main("train", "lenet5", "--epochs", "2", "--limit", "600", "--batch-size", "32", "--optimizer", "sgd",
                   "--lr", "0.05", "--momentum", "0.8", "--nesterov", "--weight-decay", "1e-4", "--schedule", "cosine",
                   "--warmup", "1", "--augment", "--deslant", "--early-stopping", "3", "--val-split", "0.2", "--seed", "3",
                   "--device", "CPU", "--mixed-precision", "bfloat16", "--checkpoint", str(checkpoint), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["epochs"] == 2 and data["test_accuracy"] > 0.3
    assert "1 warm-up" in proc.stderr and "augmented, deslanted" in proc.stderr and "lr " in proc.stderr
    assert checkpoint.is_file()
    with zipfile.ZipFile(checkpoint) as archive:
        assert '"class_name": "Deslant"' in archive.read("config.json").decode()


def test_train_that_diverges_exits_non_zero_with_advice():
    proc = run_main("train", "mlp", "--epochs", "1", "--limit", "600", "--optimizer", "sgd", "--lr", "10",
                   "--schedule", "constant", "--momentum", "0.99")
    assert proc.returncode == 1, proc.stderr
    assert "lower learning rate" in proc.stderr and "Traceback" not in proc.stderr


def test_predict_reads_images_and_reports_bad_files(tmp_path, bundled_model_path):
    paths = []
    for digit, invert in (("7", False), ("0", True), ("1", False)):
        img = draw_digit(digit, size=400)
        path = tmp_path / f"digit_{digit}.png"
        cv2.imwrite(str(path), 255 - img if invert else img)
        paths.append(str(path))
    jpeg = tmp_path / "four.jpg"
    cv2.imwrite(str(jpeg), cv2.cvtColor(draw_digit("4", size=150), cv2.COLOR_GRAY2BGR))
    not_image = tmp_path / "notes.png"
    not_image.write_text("this is not an image")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    proc = run_main("predict", "--model", str(bundled_model_path), *paths, str(jpeg), str(not_image), str(blank),
                   "--json")
    assert proc.returncode == 1  # some files failed; the others were still read
    results = json.loads(proc.stdout)
    assert [r["label"] for r in results] == ["7", "0", "1", "4", None, None]
    assert all(len(r["probabilities"]) == 10 and 0 < r["confidence"] <= 1 for r in results[:4])
    assert "not an image" in results[4]["error"] and "blank" in results[5]["error"]
    assert "Traceback" not in proc.stderr

    proc = run_main("predict", "--model", str(bundled_model_path), paths[0])
    assert proc.returncode == 0 and "digit_7.png: 7" in proc.stdout

    # several digits in a row, photographed light on dark: read left to right
    gap = np.full((280, 30), 255, np.uint8)
    row = tmp_path / "row.png"
    cv2.imwrite(str(row), 255 - np.hstack([draw_digit("4"), gap, draw_digit("1"), gap, draw_digit("7"), gap,
                                           draw_digit("0")]))
    proc = run_main("predict", "--model", str(bundled_model_path), "--split", str(row), str(blank), "--json")
    assert proc.returncode == 1
    results = json.loads(proc.stdout)
    assert results[0]["label"] == "4170" and [d["label"] for d in results[0]["digits"]] == list("4170")
    assert results[0]["confidence"] == min(d["confidence"] for d in results[0]["digits"])
    assert "blank" in results[1]["error"]
    proc = run_main("predict", "--model", str(bundled_model_path), "--split", str(row))
    assert "row.png: 4170 (4 digits" in proc.stdout


def test_predict_with_a_bad_model_file(tmp_path):
    fake = tmp_path / "fake.keras"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    proc = run_main("predict", "--model", str(fake), "x.png")
    assert proc.returncode == 1 and "not a Keras model" in proc.stderr and "Traceback" not in proc.stderr


def test_evaluate_json(bundled_model_path):
    proc = run_main("evaluate", "--model", str(bundled_model_path), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["accuracy"] >= 0.985
    matrix = np.array(data["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10000
    assert len(data["per_class_accuracy"]) == 10 and data["loss"] > 0
    # Precision, recall and F1 per class, and their macro averages (issue 28, item 3).
    assert all(len(data[k]) == 10 and all(0.97 <= v <= 1 for v in data[k]) for k in ("precision", "recall", "f1"))
    assert data["recall"] == data["per_class_accuracy"]
    assert data["precision"][0] == matrix[0, 0] / matrix[:, 0].sum()
    assert abs(data["macro"]["f1"] - np.mean(data["f1"])) < 1e-12 and data["macro"]["precision"] >= 0.985
    text = run_main("evaluate", "--model", str(bundled_model_path)).stdout
    assert "precision  recall      F1" in text and "macro avg" in text


def test_summary_forms_options_and_macs():
    proc = run_main("summary", "googlenet", "--form", "compact", "--aux", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["input_shape"] == [28, 28, 1] and data["macs"] == sum(layer["macs"] for layer in data["layers"])
    names = [layer["name"] for layer in data["layers"]]
    assert "aux1_predictions" in names
    assert all({"trainable", "macs"} <= set(layer) for layer in data["layers"])
    proc = run_main("summary", "vgg16", "--input", "224x224x3", "--classes", "1000", "--json")
    data = json.loads(proc.stdout)
    assert data["total_params"] == 138_357_544 and data["macs"] == 15_470_264_320
    proc = run_main("summary", "lenet5", "--batch-norm")
    assert proc.returncode == 2 and "VGG" in proc.stderr


def test_a_killed_run_leaves_a_loadable_checkpoint(tmp_path):
    import os
    import signal
    import time

    from core.storage.modelio import load_model

    checkpoint = tmp_path / "best.keras"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "lenet5", "--epochs", "40",
                             "--limit", "1200", "--batch-size", "32", "--checkpoint", str(checkpoint)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert checkpoint.exists(), "no checkpoint was written"
        time.sleep(1.5)  # into a later epoch, perhaps in the middle of writing the next checkpoint
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    loaded = load_model(checkpoint)
    assert loaded.metadata["checkpoint"] is True and loaded.metadata["epochs_completed"] >= 1
    assert loaded.model.output_shape == (None, 10)


def test_train_with_no_library_leaves_the_library_alone(tmp_path, monkeypatch, capsys):
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    assert main.main(["train", "mlp", "--epochs", "1", "--limit", "200", "--no-library", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["library_path"] is None
    assert list_models(tmp_path / "library") == []


def test_the_window_passes_every_model_option_to_a_training_process():
    from gui.workers.process_worker import train_arguments
    from cli.options import model_options
    from main import build_parser

    from core.training.config import TrainConfig

    config = TrainConfig.for_arch("googlenet", options={"inception_version": "v2"})
    args = build_parser().parse_args(train_arguments(config, None))
    assert model_options(args) == {"inception_version": "v2"}


def test_the_window_passes_every_setting_to_a_training_process(tmp_path):
    """Issue 25, item 8. Before: a multi-worker run from the window lost the folder's image
    size and colour, the model it fine-tunes from, the device and the colour statistics.
    (Resuming is refused with multiworker by the settings' own check.)"""
    from cli.train import train_config
    from core.training.config import TrainConfig
    from core.storage.library import save_run
    from core.models.registry import build_model
    from gui.workers.process_worker import train_arguments
    from main import build_parser
    from tests.folders import write_image_folder

    folder = write_image_folder(tmp_path / "shapes", per_class=4)
    options = {"batch_norm": False}
    start = save_run(build_model("vgg11", (40, 40, 3), 3, batch_norm=False), {
        "arch": "vgg11", "dataset": str(folder),
        "config": {"arch": "vgg11", "form": "compact", "options": options, "deslant": False}}, tmp_path / "lib")
    config = TrainConfig(
        arch="vgg11", form="compact", options=options, dataset=str(folder), epochs=3, batch_size=32, optimizer="sgd",
        learning_rate=0.05, momentum=0.8, nesterov=True, weight_decay=1e-4, schedule="step", warmup=1, augment=True,
        deslant=False, early_stopping=2, val_split=0.2, limit=50, seed=7, device="auto", mixed_precision="bfloat16",
        checkpoint=str(tmp_path / "best.keras"), strategy="multiworker", workers=["localhost:1111", "localhost:2222"],
        worker_index=1, worker_timeout=30.0, scale_lr=True, start_from=str(start),
        input_stats=[[0.4, 0.5, 0.6], [0.2, 0.25, 0.3]], image_size=[40, 40], color_mode="rgb")
    assert config.errors() == {}
    passed = train_config(build_parser().parse_args(train_arguments(config, None)))
    assert passed.to_dict() == config.to_dict()


def test_a_sweep_keeps_every_run_but_the_one_that_fails(capsys, monkeypatch, tmp_path):
    """Issue 25, item 1. Before: the first diverging run ended the sweep with exit 1 and
    every finished run's result was lost."""
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    diverging = ["--optimizer", "sgd", "--schedule", "constant", "--momentum", "0.99", "--limit", "600",
                 "--epochs", "1", "--batch-size", "64", "--seeds", "2", "--json"]
    code = main.main(["sweep", "mlp", "--param", "lr=0.01,10", *diverging])
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    good, bad = result["combinations"]
    assert good["runs"] == 2 and good["failed"] == [] and 0 <= good["test_accuracy_mean"] <= 1
    assert bad["runs"] == 0 and len(bad["failed"]) == 2
    assert [(f["params"], f["seed"]) for f in result["failed"]] == [({"learning_rate": 10.0}, 0),
                                                                   ({"learning_rate": 10.0}, 1)]
    assert all("lower learning rate" in f["error"] for f in result["failed"])
    assert "learning_rate=10.0, seed 0 failed" in err and "The sweep goes on" in err
    runs = list_models(tmp_path / "library")
    assert sorted(r.metadata["sweep"]["seed"] for r in runs) == [0, 1]  # the good runs are saved
    assert result["comparisons"] == []  # nothing finished to compare them with
    # Exit status 1 only when every run failed.
    assert main.main(["sweep", "mlp", "--param", "lr=10,9", *diverging]) == 1
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(result["failed"]) == 4 and all(c["runs"] == 0 for c in result["combinations"])


def test_a_run_that_learns_nothing_says_so_and_names_the_learning_rate(capsys, monkeypatch):
    """Issue 25, item 2: the issue's own command. Before: 9.7% (chance) and not a word."""
    import main

    code = main.main(["train", "lenet5", "--optimizer", "sgd", "--lr", "10", "--limit", "2048", "--epochs", "2",
                      "--no-library", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    warnings = [line for line in err.splitlines() if line.startswith("warning: The network learns nothing")]
    assert len(warnings) == 2  # after epoch 1 (once) and at the end
    assert "after epoch 1" in warnings[0] and "The learning rate, 10, is the likely cause" in warnings[0]
    assert "Try a lower rate: LeNet-5's default" in warnings[-1]
    assert "learns nothing" in json.loads(out.strip().splitlines()[-1])["warning"]
    # A run that learns says nothing of the kind.
    assert main.main(["train", "mlp", "--limit", "2048", "--epochs", "1", "--no-library", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "learns nothing" not in err and json.loads(out.strip().splitlines()[-1])["warning"] is None


def test_sweep_json_ends_with_combinations_and_verdicts(capsys, monkeypatch, tmp_path):
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    code = main.main(["sweep", "lenet5", "--param", "optimizer=adam,sgd", "--seeds", "2", "--limit", "300",
                      "--epochs", "1", "--batch-size", "64", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert [c["params"] for c in result["combinations"]] == [{"optimizer": "adam"}, {"optimizer": "sgd"}]
    for combination in result["combinations"]:
        assert combination["runs"] == 2 and 0 <= combination["test_accuracy_mean"] <= 1
        assert combination["test_accuracy_std"] >= 0
    (comparison,) = result["comparisons"]
    assert (comparison["a"], comparison["b"]) == ("optimizer=adam", "optimizer=sgd")
    assert comparison["low"] <= comparison["difference"] <= comparison["high"]
    assert comparison["verdict"] in ("a real difference",) or comparison["verdict"].startswith("within")
    assert comparison["test"] == "paired t-test (same seeds)" and result["failed"] == []
    assert "Run 4 of 4: optimizer=sgd, seed 1" in err
    # Every run is in the library, tagged with the sweep.
    runs = list_models(tmp_path / "library")
    assert len(runs) == 4 and {r.metadata["sweep"]["id"] for r in runs} == {result["sweep"]}
    assert sorted((r.metadata["sweep"]["params"]["optimizer"], r.metadata["sweep"]["seed"]) for r in runs) == [
        ("adam", 0), ("adam", 1), ("sgd", 0), ("sgd", 1)]


@pytest.mark.parametrize("args, message", [
    (["--param", "colour=red"], "--param takes NAME=V1,V2"),
    ([], "--param NAME=V1,V2 names the setting"),
    (["--param", "epochs=0,1"], "--epochs"),
])
def test_sweep_refuses_bad_parameters(capsys, args, message):
    import main

    assert main.main(["sweep", "lenet5", "--limit", "300", *args]) == 2
    assert message in capsys.readouterr().err


def test_train_resume_goes_on_and_start_from_fine_tunes(tmp_path, monkeypatch, capsys):
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    assert main.main(["train", "mlp", "--epochs", "3", "--limit", "300", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    path = first["library_path"]
    # A finished run needs to be told how many more epochs; other settings are refused.
    assert main.main(["train", "--resume", path]) == 2
    assert "finished its 3 epochs: say how many more to train (--epochs N)" in capsys.readouterr().err
    assert main.main(["train", "--resume", path, "--epochs", "1", "--lr", "0.1"]) == 2
    assert "leave out --lr" in capsys.readouterr().err
    assert main.main(["train", "lenet5", "--resume", path, "--epochs", "1"]) == 2
    assert "leave out ARCH" in capsys.readouterr().err
    assert main.main(["train", "--epochs", "1"]) == 2
    assert "name the architecture to train (ARCH), or go on" in capsys.readouterr().err

    assert main.main(["train", "--resume", path, "--epochs", "1", "--json"]) == 0
    out, err = capsys.readouterr()
    resumed = json.loads(out.strip().splitlines()[-1])
    assert f"Resuming {path} after epoch 3: 1 more" in err and "Epoch 4/4" in err
    assert "new cosine schedule" not in err  # the MLP's rate is constant: nothing to restart
    assert resumed["epochs"] == 4 and resumed["library_path"] != path
    record = list_models(tmp_path / "library")[0].metadata
    assert record["resumed_after"] == 3 and len(record["history"]["loss"]) == 4

    assert main.main(["train", "--start-from", path, "--epochs", "1", "--limit", "300", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "Fine-tuning from the weights of" in err and json.loads(out.strip().splitlines()[-1])["epochs"] == 1


def test_going_on_after_a_finished_cosine_starts_a_new_schedule_from_where_it_ended(tmp_path, monkeypatch, capsys):
    """Issue 25, item 11. Before: one more epoch lengthened the 2-epoch cosine to 3, and the
    rate jumped from 1% of its base back to a quarter of it."""
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    assert main.main(["train", "lenet5", "--epochs", "2", "--warmup", "0", "--limit", "300", "--json"]) == 0
    path = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["library_path"]
    assert main.main(["train", "--resume", path, "--epochs", "1", "--json"]) == 0
    err = capsys.readouterr().err
    assert "its schedule had ended, so the 1 more epoch(s) follow a new cosine schedule from the rate it ended at" in err
    rates = list_models(tmp_path / "library")[0].metadata["history"]["learning_rate"]
    assert len(rates) == 3 and rates[2] < rates[1] < rates[0]


def test_train_recipe_cifar_uses_the_tutorials_settings(tmp_path, monkeypatch, capsys):
    import main

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    assert main.main(["train", "mlp", "--recipe", "cifar", "--lr", "0.05", "--epochs", "1", "--limit", "200",
                      "--no-library"]) == 0
    err = capsys.readouterr().err
    assert "batch 128, sgd lr 0.05 (step)" in err  # the recipe, and --lr over it


def test_train_on_a_folder_of_images_and_predict_by_class_name(tmp_path, monkeypatch, capsys):
    import main
    from core.storage.modelio import read_metadata
    from tests.folders import SHAPES, write_image_folder

    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "library"))
    root = write_image_folder(tmp_path / "shapes", per_class=20)
    (root / "square" / "broken.png").write_bytes(b"not an image")
    monkeypatch.chdir(tmp_path)
    assert main.main(["train", "lenet5", "--dataset", "shapes", "--epochs", "1", "--json"]) == 0  # a relative path
    out, err = capsys.readouterr()
    assert "classes circle, cross, square" in err and "1 file(s) could not be read" in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"] == str(root)
    record = read_metadata(result["library_path"])
    assert record["dataset"] == str(root) and record["class_names"] == list(SHAPES)
    assert record["input_shape"] == [48, 48, 3] and "shapes" in Path(result["library_path"]).name
    assert main.main(["predict", "--model", result["library_path"], str(root / "circle" / "1.png")]) == 0
    assert capsys.readouterr().out.split(": ")[1].split(" (")[0] in SHAPES
    assert main.main(["train", "lenet5", "--dataset", str(tmp_path / "nothing-here"), "--epochs", "1"]) == 2
    assert "nothing-here is not a folder" in capsys.readouterr().err
    # The images read at a chosen size and in grey; predict and evaluate read them so too.
    assert main.main(["train", "lenet5", "--dataset", "shapes", "--epochs", "1", "--image-size", "24x20",
                      "--color-mode", "grayscale", "--json"]) == 0
    small = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert read_metadata(small["library_path"])["input_shape"] == [24, 20, 1]
    assert main.main(["predict", "--model", small["library_path"], str(root / "cross" / "2.jpg")]) == 0
    assert capsys.readouterr().out.split(": ")[1].split(" (")[0] in SHAPES
    assert main.main(["evaluate", "--model", small["library_path"], "--json"]) == 0
    # The fixed test images: 15% of each class, less the broken file, which is one of them.
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["count"] == 9 - 1
    assert main.main(["train", "lenet5", "--dataset", "mnist", "--image-size", "24", "--epochs", "1"]) == 2
    assert "--image-size applies to a folder of images; mnist has its own" in capsys.readouterr().err
    assert main.main(["train", "lenet5", "--dataset", "shapes", "--image-size", "4x4", "--epochs", "1"]) == 2
    assert "from 8 to 512 pixels" in capsys.readouterr().err

