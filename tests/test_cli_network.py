"""``main.py network``, and ``summary``/``train --network``: a network file used in place of
ARCH, as a user runs them."""

import json

from core.storage.library import list_models
from tests.core.test_networks import edited, plain_keras_network
from tests.digits import draw_digit
from tests.helpers import run_main


def test_a_zoo_network_written_out_summarises_as_the_zoo_does(tmp_path):
    out = tmp_path / "my_lenet.json"
    proc = run_main("network", "lenet5", "--out", str(out))
    assert proc.returncode == 0 and f"main.py train --network {out}" in proc.stderr
    assert json.loads(out.read_text())["class_name"] == "Functional"
    mine = json.loads(run_main("summary", "--network", str(out), "--json").stdout)
    zoo = json.loads(run_main("summary", "lenet5", "--form", "compact", "--json").stdout)
    assert mine["total_params"] == zoo["total_params"] and mine["macs"] == zoo["macs"]
    assert mine["input_shape"] == [28, 28, 1] and mine["classes"] == 10
    proc = run_main("network", "lenet5")  # printed when no --out
    assert json.loads(proc.stdout)["config"]["name"]


def test_a_plain_keras_network_trains_and_its_run_predicts_and_is_evaluated(tmp_path):
    network = tmp_path / "my_net.json"
    model = plain_keras_network()
    network.write_text(model.to_json())
    summary = json.loads(run_main("summary", "--network", str(network), "--json").stdout)
    assert summary["total_params"] == model.count_params()  # Keras's own count
    library = tmp_path / "library"
    proc = run_main("train", "--network", str(network), "--epochs", "1", "--limit", "600", "--batch-size", "64",
                    "--json", env={"CNN_STUDIO_LIBRARY": str(library)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    [entry] = list_models(library)
    assert entry.metadata["arch"] == f"network:{network}" and entry.metadata["arch_name"] == "my_net"
    assert entry.path.name.startswith("my_net-mnist-")
    # It goes on training, as any run does (the network's file is still there).
    proc = run_main("train", "--resume", str(entry.path), "--epochs", "1", "--json",
                    env={"CNN_STUDIO_LIBRARY": str(library)})
    assert proc.returncode == 0 and json.loads(proc.stdout)["epochs"] == 2
    image = tmp_path / "seven.png"
    import cv2

    cv2.imwrite(str(image), draw_digit("7"))
    proc = run_main("predict", "--model", result["library_path"], str(image), "--json")
    assert proc.returncode == 0 and len(json.loads(proc.stdout)[0]["probabilities"]) == 10
    proc = run_main("evaluate", "--model", result["library_path"], "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["count"] == 10_000


def test_a_network_that_cannot_be_used_is_refused_with_status_2(tmp_path):
    model = plain_keras_network()
    cases = {"lambda.json": None, "shapes.json": edited(model, "conv2", filters=5), "bad.json": "{not json"}
    lam = json.loads(model.to_json())
    lam["config"]["layers"][2]["class_name"] = "Lambda"
    cases["lambda.json"] = lam
    for name, content in cases.items():
        (tmp_path / name).write_text(content if isinstance(content, str) else json.dumps(content))
    expected = {"lambda.json": "layer 'conv1' is a Lambda", "shapes.json": "layer 'skip' (Add)",
                "bad.json": "bad JSON"}
    for name, message in expected.items():
        for command in (["summary", "--network"], ["train", "--epochs", "1", "--network"]):
            proc = run_main(*command, str(tmp_path / name))
            assert proc.returncode == 2, (name, command, proc.stderr)
            assert message in proc.stderr and "Traceback" not in proc.stderr, (name, proc.stderr)
    proc = run_main("train", "lenet5", "--network", str(tmp_path / "bad.json"))
    assert proc.returncode == 2 and "not both" in proc.stderr
    proc = run_main("train", "--network", str(tmp_path / "lambda.json").replace("lambda", "gone"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    cifar_sized = tmp_path / "wide.json"
    cifar_sized.write_text(run_main("network", "lenet5", "--input", "32x32x3").stdout)
    proc = run_main("train", "--network", str(cifar_sized), "--epochs", "1")
    assert proc.returncode == 2 and "takes 32×32×3 images; this dataset's are 28×28×1" in proc.stderr
