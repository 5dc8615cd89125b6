"""Bad model files and bad images: each gets a clear error, and the app goes on."""

import json
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

import main
from core.reading.imagefiles import ImageFileError, read_image
from core.storage.library import read_entry
from core.storage.modelio import ModelFileError, load_model
from core.reading.preprocess import prepare
from tests.helpers import BUNDLED_MODEL


def rewrite(source, target, change):
    """Copies a .keras archive, passing each entry's bytes through ``change(name, data)``
    (None drops the entry)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return target


def edit_config(edit):
    def change(name, data):
        if name != "config.json":
            return data
        config = json.loads(data)
        edit(config)
        return json.dumps(config).encode()
    return change


def first_layer_named(config, class_name):
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == class_name)


def make_bad_models(folder):
    """name → path of a model file that must be refused with a clear message."""
    data = BUNDLED_MODEL.read_bytes()
    files = {}
    for name, content in {
        "empty": b"",
        "png renamed": b"\x89PNG\r\n\x1a\n" + bytes(200),
        "text": b"this is not a model\n" * 20,
        "truncated at 10%": data[: len(data) // 10],
        "truncated at 90%": data[: len(data) * 9 // 10],
        "random bytes": np.random.default_rng(0).bytes(5000),
    }.items():
        path = folder / f"{name}.keras"
        path.write_bytes(content)
        files[name] = path

    def unknown_layer(config):
        first_layer_named(config, "Conv2D")["class_name"] = "NoSuchLayer"

    def os_system(config):
        layer = first_layer_named(config, "Conv2D")
        layer.update(module="os", class_name="system", registered_name=None)

    def wrong_weights(config):
        first_layer_named(config, "Conv2D")["config"]["filters"] = 3

    def garbage_config(name, content):
        return b"{ hand-edited" if name == "config.json" else content

    def no_weights(name, content):
        return None if name.endswith(".h5") else content

    def damaged_weights(name, content):
        return content[: len(content) // 3] if name.endswith(".h5") else content

    for name, change in {
        "config not JSON": garbage_config,
        "unknown layer": edit_config(unknown_layer),
        "a layer from module os": edit_config(os_system),
        "weights that do not fit": edit_config(wrong_weights),
        "no weights": no_weights,
        "damaged weights": damaged_weights,
    }.items():
        files[name] = rewrite(BUNDLED_MODEL, folder / f"{name}.keras", change)
    return files


def test_bad_model_files_are_refused_with_a_reason_everywhere(tmp_path, capsys):
    files = make_bad_models(tmp_path)
    tried = 0
    for name, path in files.items():
        with pytest.raises(ModelFileError) as raised:
            load_model(path)
        message = str(raised.value)
        assert path.name in message and "Traceback" not in message, (name, message)
        # The library lists it without raising; the command line says why and exits 1.
        entry = read_entry(path)
        assert entry.path == path
        assert main.main(["predict", "--model", str(path), str(tmp_path / "x.png")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err, (name, err)
        tried += 1
    print(f"\nbad model files tried: {tried}, each refused with a message (load, library, command line)")


def test_models_whose_input_does_not_fit_the_canvas_are_refused(tmp_path):
    import keras

    vector = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3, activation="softmax")])
    two = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
    joined = keras.Model(list(two), keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Add()(list(two)))))
    for name, model in {"vector": vector, "two inputs": joined}.items():
        path = tmp_path / f"{name}.keras"
        model.save(path)
        with pytest.raises(ModelFileError, match="not an image classifier"):
            load_model(path)


def test_the_window_reports_bad_models_and_keeps_the_one_it_had(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    files = make_bad_models(tmp_path)
    before = window.model_info
    shown = []
    monkeypatch.setattr(window, "_warn", lambda title, message: shown.append(message))
    for name, path in files.items():
        count = len(shown)
        window.request_load.emit(str(path))
        qtbot.waitUntil(lambda: len(shown) > count, timeout=20_000)
        assert path.name in shown[-1] and "Traceback" not in shown[-1], (name, shown[-1])
    assert window.model_info is before  # the canvas still reads with its model
    from tests.gui.userpath import draw_digit_on

    draw_digit_on(window.canvas, "7")
    qtbot.waitUntil(lambda: window.last_prediction == "7", timeout=10_000)
    assert QMessageBox  # the warnings went to the (patched) message box helper


def bad_images(folder):
    """name → (path, whether it is readable)."""
    out = {}
    (folder / "empty.png").write_bytes(b"")
    out["empty file"] = (folder / "empty.png", False)
    (folder / "text.png").write_text("not an image")
    out["text named .png"] = (folder / "text.png", False)
    (folder / "folder.png").mkdir()
    out["a folder"] = (folder / "folder.png", False)
    good = np.full((100, 80), 255, np.uint8)
    cv2.line(good, (40, 15), (40, 85), 0, 9)
    cv2.imwrite(str(folder / "good.png"), good)
    data = (folder / "good.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    out["truncated PNG"] = (folder / "truncated.png", None)  # OpenCV may read part of it
    cv2.imwrite(str(folder / "one.png"), np.zeros((1, 1), np.uint8))
    out["1×1"] = (folder / "one.png", True)
    cv2.imwrite(str(folder / "huge.png"), np.full((10_000, 10_000), 255, np.uint8))
    out["10000×10000"] = (folder / "huge.png", True)
    cv2.imwrite(str(folder / "deep.png"), (good.astype(np.uint16) * 257))
    out["16-bit"] = (folder / "deep.png", True)
    rgba = np.zeros((100, 80, 4), np.uint8)
    rgba[..., 3] = 255 - good  # ink only in the alpha channel
    cv2.imwrite(str(folder / "rgba.png"), rgba)
    out["RGBA"] = (folder / "rgba.png", True)
    Image.fromarray(good).convert("CMYK").save(folder / "cmyk.jpg")
    out["CMYK JPEG"] = (folder / "cmyk.jpg", True)
    cv2.imwrite(str(folder / "blank.png"), np.full((50, 50), 255, np.uint8))
    out["blank"] = (folder / "blank.png", True)
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return bad_images(tmp_path_factory.mktemp("images"))


def test_bad_images_get_a_clear_error_or_a_reading(images, bundled_model_path, capsys):
    tried = 0
    for name, (path, readable) in images.items():
        try:
            image = read_image(path)
            prepare(image, (28, 28, 1))  # None for a blank image
            ok = True
        except ImageFileError as e:
            assert str(path) in str(e), (name, e)
            ok = False
        if readable is not None:
            assert ok == readable, name
        tried += 1
    # The command line reads them all in one go: one error line per bad file, the rest read.
    code = main.main(["predict", "--model", str(bundled_model_path), "--json",
                      *[str(p) for p, _ in images.values()]])
    out, err = capsys.readouterr()
    results = json.loads(out)
    assert code == 1 and len(results) == len(images) and "Traceback" not in err
    by_path = {r["image"]: r for r in results}
    assert by_path[str(images["16-bit"][0])]["label"] == "1"
    assert by_path[str(images["CMYK JPEG"][0])]["label"] == "1"
    assert "error" in by_path[str(images["empty file"][0])] and "no ink" in by_path[str(images["blank"][0])]["error"]
    print(f"\nimage files tried: {tried}, each read or refused with a message")


def test_the_window_opens_bad_images_without_failing(window, qtbot, images, monkeypatch):
    warnings = []
    import gui.panels.canvas_panel

    monkeypatch.setattr(gui.panels.canvas_panel, "warn", lambda widget, title, message: warnings.append(message))
    for name, (path, readable) in images.items():
        opened = window.canvas_panel.open_image_file(str(path))
        if readable is False:
            assert not opened and warnings and str(path.name) in warnings[-1], name
        qtbot.wait(20)
    window.canvas.clear()
    from tests.gui.userpath import draw_digit_on

    draw_digit_on(window.canvas, "4")
    qtbot.waitUntil(lambda: window.last_prediction == "4", timeout=10_000)
