"""``main.py explain`` (and the other commands that look inside a model), as a user runs them."""

import json

import cv2
import numpy as np

from tests.digits import draw_digit
from tests.helpers import run_main


def test_explain_writes_a_heat_map_and_says_where_its_mass_lies(tmp_path, bundled_model_path):
    image = tmp_path / "three.png"
    cv2.imwrite(str(image), draw_digit("3", offset=(-45, 30), scale=0.6, width=24))  # in the left half
    for method in ("saliency", "gradcam", "occlusion"):
        out = tmp_path / f"heat-{method}.png"
        proc = run_main("explain", "--model", str(bundled_model_path), str(image), "--method", method,
                        "--out", str(out), "--json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["method"] == method and result["label"] == "3" and result["out"] == str(out)
        assert result["layer"] == ("block2_conv1" if method == "gradcam" else None)
        heat = result["heat"]
        assert (heat["width"], heat["height"]) == (280, 280)
        assert heat["halves"]["left"] > 0.95 and heat["centre_of_mass"]["x"] < 140
        written = cv2.imread(str(out))
        assert written.shape == (280, 280, 3)
        assert (written[..., 2].astype(int) - written[..., 0]).max() > 100  # the heat's colour is there
    proc = run_main("explain", "--model", str(bundled_model_path), str(image))  # Grad-CAM, in words
    assert proc.returncode == 0 and "3 (" in proc.stdout and "Grad-CAM on block2_conv1" in proc.stdout
    assert "left 100%" in proc.stdout


def test_explain_refuses_what_it_cannot_do(tmp_path, bundled_model_path):
    image = tmp_path / "seven.png"
    cv2.imwrite(str(image), draw_digit("7"))
    proc = run_main("explain", "--model", str(bundled_model_path), str(image), "--layer", "fc1")
    assert proc.returncode == 2 and "no layer of feature maps named 'fc1'" in proc.stderr
    assert "block2_conv1" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_main("explain", "--model", str(bundled_model_path), str(image), "--method", "lime")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    proc = run_main("explain", "--model", str(bundled_model_path), str(blank))
    assert proc.returncode == 1 and "blank" in proc.stderr
    proc = run_main("explain", "--model", str(bundled_model_path), str(image), "--out",
                    str(tmp_path / "blank.png" / "heat.png"))
    assert proc.returncode == 1 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_lrfind_json_gives_the_curve_and_a_suggestion():
    proc = run_main("lrfind", "lenet5", "--limit", "2000", "--batch-size", "32", "--steps", "60", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["arch"] == "lenet5" and found["batch_size"] == 32
    assert 10 <= len(found["lrs"]) == len(found["losses"]) <= 60
    assert found["lrs"][0] == 1e-6 and all(b > a for a, b in zip(found["lrs"], found["lrs"][1:]))
    assert found["suggested_lr"] is None or found["lrs"][0] < found["suggested_lr"] < found["lrs"][-1]
    proc = run_main("lrfind", "lenet5", "--limit", "2000", "--batch-size", "32", "--steps", "20")
    assert proc.returncode == 0 and "step 20/20" in proc.stderr
    assert "Train with --lr" in proc.stdout or "no rate to suggest" in proc.stdout


def test_lrfind_refuses_bad_settings_before_it_runs():
    proc = run_main("lrfind", "lenet5", "--val-split", "2")
    assert proc.returncode == 2 and "--val-split" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_main("lrfind", "lenet5", "--start-lr", "1", "--end-lr", "0.1")
    assert proc.returncode == 2 and "Received: start_lr=1.0" in proc.stderr
