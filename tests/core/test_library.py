"""The model library, exports and run comparison (no Qt)."""

import json
import zipfile

import numpy as np
import pytest
from matplotlib.figure import Figure

from core.inspect.compare import comparison_table, draw_comparison, table_csv
from core.storage.export import export_model
from core.paths import app_data_dir, library_dir
from core.storage.library import (check_name, delete, list_models, read_entry,
                          rename, run_name, save_run)
from core.storage.modelio import ModelFileError, build_metadata, load_model
from core.training.config import TrainConfig
from core.training.loop import train_model
from core.data.datasets import load_dataset
from core.models.registry import build_model


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two short trained runs (LeNet-5 and the MLP) saved in a library folder."""
    folder = tmp_path_factory.mktemp("library")
    data = load_dataset("mnist", val_split=0.1, limit=600, seed=0)
    paths = []
    for arch in ("lenet5", "mlp"):
        config = TrainConfig.for_arch(arch, epochs=2, limit=600)
        model = build_model(arch, data.input_shape, data.num_classes, **config.model_options())
        result = train_model(model, data, config)
        result.test_accuracy, result.test_loss = 0.5, 1.5
        paths.append(save_run(result.model, build_metadata(result, data.info.class_names, arch), folder))
    return folder, paths


def test_the_library_folder_is_the_app_data_folder_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_STUDIO_LIBRARY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert app_data_dir() == tmp_path / "CNN Studio" / "CNN Studio"
    assert library_dir() == tmp_path / "CNN Studio" / "CNN Studio" / "library"
    monkeypatch.setenv("CNN_STUDIO_LIBRARY", str(tmp_path / "mine"))
    assert library_dir() == tmp_path / "mine"


def test_a_saved_run_keeps_its_predictions_and_record(two_runs):
    folder, (lenet_path, mlp_path) = two_runs
    assert lenet_path.parent == folder and lenet_path.name.startswith("lenet5-mnist-")
    entries = {e.path: e for e in list_models(folder)}
    lenet = entries[lenet_path]
    assert lenet.readable
    m = lenet.metadata
    for key in ("arch", "form", "dataset", "input_shape", "normalization", "class_names", "config",
                "history", "test_accuracy", "train_seconds", "device", "saved_at", "app_version",
                "tensorflow_version", "params", "macs"):
        assert m.get(key) is not None, key
    assert m["params"] == 167_594 and m["macs"] > 0 and len(m["history"]["val_accuracy"]) == 2
    model = load_model(lenet_path).model
    x = np.random.default_rng(1).uniform(0, 255, (3, 28, 28, 1)).astype(np.float32)
    again = load_model(lenet_path).model
    np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))


def test_runs_saved_in_the_same_second_get_their_own_files(tmp_path):
    model = build_model("mlp")
    paths = [save_run(model, {"arch": "mlp", "dataset": "mnist"}, tmp_path) for _ in range(3)]
    assert len(set(paths)) == 3 and all(p.exists() for p in paths)
    assert run_name({"arch": "mlp", "dataset": "a b:c"}).startswith("mlp-a_b_c-")  # safe in a file name
    # a folder of images is named by its last part, made safe too
    assert run_name({"arch": "mlp", "dataset": "/home/me/my photos"}).startswith("mlp-my_photos-")


@pytest.mark.parametrize("name, content, reason", [
    ("empty.keras", b"", "empty"),
    ("picture.keras", b"\x89PNG\r\n\x1a\n" + bytes(64), "not a Keras model archive"),
    ("notes.txt", b"hello", "not a model file"),
])
def test_damaged_and_foreign_files_are_listed_with_a_reason(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    (tmp_path / ".lenet5-half.keras").write_bytes(b"PK")  # a save in progress: not listed
    [entry] = list_models(tmp_path)
    assert not entry.readable and reason in entry.error


def test_a_truncated_or_hand_edited_model_is_listed_with_a_reason(tmp_path, bundled_model_path):
    data = bundled_model_path.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    assert "damaged, truncated" in read_entry(tmp_path / "cut.keras").error
    edited = tmp_path / "edited.keras"
    with zipfile.ZipFile(bundled_model_path) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, b"{not json" if item == "studio.json" else src.read(item))
    assert "damaged" in read_entry(edited).error
    foreign = tmp_path / "other.keras"
    with zipfile.ZipFile(foreign, "w") as dst:
        dst.writestr("something.json", json.dumps({}))
    assert "no config.json" in read_entry(foreign).error
    plain = tmp_path / "plain.keras"
    with zipfile.ZipFile(bundled_model_path) as src, zipfile.ZipFile(plain, "w") as dst:
        for item in src.namelist():
            if item != "studio.json":
                dst.writestr(item, src.read(item))
    assert read_entry(plain).readable and read_entry(plain).metadata == {}


def test_rename_and_delete(tmp_path):
    path = save_run(build_model("mlp"), {"arch": "mlp"}, tmp_path)
    other = save_run(build_model("mlp"), {"arch": "mlp"}, tmp_path)
    renamed = rename(path, "my best MLP")
    assert renamed == tmp_path / "my best MLP.keras" and renamed.exists() and not path.exists()
    assert rename(renamed, "my best MLP.keras") == renamed
    with pytest.raises(ModelFileError, match="already exists"):
        rename(other, "my best MLP")
    for bad in ("", " x", "a/b", ".hidden", "x" * 200):
        assert check_name(bad)
        with pytest.raises(ModelFileError):
            rename(other, bad)
    delete(renamed)
    assert [e.path for e in list_models(tmp_path)] == [other]


def test_exports_load_back_and_predict_the_same(two_runs, tmp_path):
    import tensorflow as tf

    _, (lenet_path, _) = two_runs
    model = load_model(lenet_path).model
    x = np.random.default_rng(2).uniform(0, 255, (1, 28, 28, 1)).astype(np.float32)
    expected = model.predict(x, verbose=0)

    keras_copy = export_model(lenet_path, tmp_path / "copy", "keras")
    assert keras_copy.name == "copy.keras"
    np.testing.assert_array_equal(load_model(keras_copy).model.predict(x, verbose=0), expected)
    assert load_model(keras_copy).metadata["arch"] == "lenet5"

    saved = export_model(lenet_path, tmp_path / "saved", "savedmodel")
    restored = tf.saved_model.load(str(saved))  # kept: its functions need its variables
    np.testing.assert_allclose(restored.serve(x).numpy(), expected, atol=1e-6)
    export_model(lenet_path, tmp_path / "saved", "savedmodel")  # replaces the old folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.keras", "saved"]

    lite = export_model(lenet_path, tmp_path / "phone.tflite", "tflite")
    interpreter = tf.lite.Interpreter(model_path=str(lite))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(out["index"]), expected, atol=1e-5)


def test_an_export_that_cannot_be_written_says_so(two_runs, tmp_path):
    _, (lenet_path, _) = two_runs
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ModelFileError, match="another folder"):
        export_model(lenet_path, blocker / "m.keras", "keras")
    with pytest.raises(ValueError, match="Received: fmt='onnx'"):
        export_model(lenet_path, tmp_path / "m", "onnx")
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelFileError, match="not a Keras model"):
        export_model(tmp_path / "broken.keras", tmp_path / "m.tflite", "tflite")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written


def test_comparing_two_runs_gives_a_table_and_two_sets_of_curves(two_runs, tmp_path):
    folder, paths = two_runs
    entries = [read_entry(p) for p in paths]
    table = comparison_table(entries)
    assert table[0] == ["", paths[0].stem, paths[1].stem]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Architecture"] == ["lenet5", "mlp"]
    assert rows["Parameters"][0] == "167,594"
    assert rows["Epochs"] == ["2", "2"] and rows["Test accuracy"] == ["50.00%", "50.00%"]
    assert table_csv(entries).splitlines()[1].startswith("Architecture,lenet5,mlp")

    figure = Figure()
    lines = draw_comparison(figure, entries)
    assert len(lines) == 8  # per run: training and validation loss and accuracy
    colours = {line.get_color() for line in lines}
    assert len(colours) == 2
    assert {line.get_linestyle() for line in lines} == {"--", "-"}
    figure.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
