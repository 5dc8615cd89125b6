import os
import stat
from pathlib import Path

import numpy as np
import pytest

from core.reading.inference import Predictor
from core.storage.modelio import ModelFileError, load_model, read_metadata, save_model
from core.reading.preprocess import prepare
from core.models.registry import build_model
from tests.digits import draw_digit


def test_save_and_load_keep_predictions_and_metadata(tmp_path):
    model = build_model("lenet5")
    x = np.random.default_rng(0).uniform(0, 255, (4, 28, 28, 1)).astype(np.float32)
    path = save_model(model, tmp_path / "m.keras", {"arch": "lenet5", "class_names": list("abcdefghij")})
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.metadata["arch"] == "lenet5" and loaded.class_names[0] == "a"
    assert read_metadata(path)["class_names"][9] == "j"


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = build_model("mlp")
    path = save_model(model, tmp_path / "m.keras")
    before = path.read_bytes()

    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(model), "save", broken_save)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


def test_read_only_folder_is_reported(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root writes through permissions (CI runs as root): a folder nobody can write
        folder = Path("/proc")
    assert folder.is_dir()
    with pytest.raises(ModelFileError, match="another folder"):
        save_model(build_model("mlp"), folder / "m.keras")
    assert not (folder / "m.keras").exists()


def test_unwritable_place_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelFileError, match="Choose another folder"):
        save_model(build_model("mlp"), blocker / "m.keras")
    with pytest.raises(ModelFileError, match=".keras"):
        save_model(build_model("mlp"), tmp_path / "m.h5")


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + bytes(100), b"PK\x03\x04 truncated zip"])
def test_damaged_or_foreign_files_are_reported(tmp_path, content):
    path = tmp_path / "bad.keras"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="bad.keras"):
        load_model(path)


def test_truncated_model_file_is_reported(tmp_path):
    path = save_model(build_model("mlp"), tmp_path / "m.keras")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError):
        load_model(path)
    with pytest.raises(ModelFileError, match="No model file"):
        load_model(tmp_path / "missing.keras")


def test_predictor_agrees_with_the_model():
    model = build_model("lenet5")
    predictor = Predictor(model)
    x = np.random.default_rng(1).uniform(0, 255, (28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(predictor.predict(x), model.predict(x[None], verbose=0)[0], rtol=1e-5, atol=1e-6)
    assert not predictor.deslants
    probabilities, seen = predictor.predict_seen(x[None])
    np.testing.assert_allclose(probabilities[0], predictor.predict(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(seen, np.clip(np.rint(x[..., 0]), 0, 255).astype(np.uint8)[None])


@pytest.mark.parametrize("digit", ["0", "1", "4", "7"])
def test_bundled_model_reads_drawn_digits(bundled_model_path, digit):
    loaded = load_model(bundled_model_path)
    predictor = Predictor(loaded.model, loaded.class_names)
    model_input, _ = prepare(draw_digit(digit), predictor.input_shape)
    probs = predictor.predict(model_input)
    assert predictor.class_names[int(probs.argmax())] == digit


def test_evaluation_lists_the_most_confident_mistakes():
    import numpy as np

    from core.inspect.evaluation import evaluate_classifier

    class Fixed:
        """A stand-in model that returns set probabilities."""

        def __init__(self, probs):
            self.probs = np.asarray(probs, np.float32)

        def predict(self, x, batch_size=None, verbose=0):
            return self.probs

    probs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95]]
    y = np.array([0, 0, 1, 0])
    scores = evaluate_classifier(Fixed(probs), np.zeros((4, 2, 2, 1)), y, mistakes=5)
    assert scores["accuracy"] == 0.25
    assert [(m["index"], m["true"], m["predicted"]) for m in scores["mistakes"]] == [(3, 0, 1), (1, 0, 1), (2, 1, 0)]
    assert scores["confusion_matrix"] == [[1, 2], [1, 0]]
    assert "mistakes" not in evaluate_classifier(Fixed(probs), np.zeros((4, 2, 2, 1)), y)
