"""Networks of one's own, in Keras's format: round trips of the zoo, a network written with
plain Keras, what is refused and why, and the Python code written from a network."""

import json
import runpy

import pytest

from core.models.codegen import network_code
from core.models.networks import NetworkError, network_model, network_shape, network_text, walk
from core.models.registry import ARCHITECTURES, build_model, zoo_network


def plain_keras_network():
    """A network as a Keras user writes it elsewhere: functional, with a skip (Add) and two
    branches joined (Concatenate)."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="pixels")
    x = layers.Rescaling(1 / 255, name="scale")(inputs)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(x)
    y = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.Add(name="skip")([x, y])
    a = layers.Conv2D(4, 1, activation="relu", name="branch_1x1")(x)
    b = layers.Conv2D(4, 3, padding="same", activation="relu", name="branch_3x3")(x)
    x = layers.Concatenate(name="join")([a, b])
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(10, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="my_net")


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_zoo_network_round_trips_with_the_same_parameters(arch):
    model = build_model(arch, None, 10, form="compact")
    text = network_text(model)  # what zoo_network writes
    assert network_model(text).count_params() == model.count_params()
    assert network_shape(text) == ((28, 28, 1), 10)


def test_the_papers_form_and_a_deslanting_network_round_trip_too():
    assert zoo_network("lenet5", "reference") == network_text(build_model("lenet5", None, 10, form="reference"))
    deslanting = build_model("lenet5", None, 10, form="compact", deslant=True)
    assert "deslant" in {layer.name for layer in network_model(network_text(deslanting)).layers}


def test_a_plain_keras_network_loads_with_kerass_own_count():
    model = plain_keras_network()
    loaded = network_model(model.to_json())
    assert loaded.count_params() == model.count_params() and loaded.name == "my_net"
    steps = walk(model.to_json())
    assert [s["name"] for s in steps][:3] == ["pixels", "scale", "conv1"] and not any(s["error"] for s in steps)
    skip = next(s for s in steps if s["name"] == "skip")
    assert skip["inputs"] == ["conv1", "conv2"] and skip["output_shape"] == (28, 28, 8)
    assert next(s for s in steps if s["name"] == "join")["output_shape"] == (28, 28, 8)
    assert sum(s["params"] for s in steps) == model.count_params()


def edited(model, name, **changes) -> dict:
    config = json.loads(model.to_json())
    for layer in config["config"]["layers"]:
        if layer["config"]["name"] == name:
            layer["config"].update(changes)
    return config


def test_what_would_run_code_or_does_not_fit_is_refused_with_the_layer_named(tmp_path):
    import keras

    model = plain_keras_network()
    lam = json.loads(model.to_json())
    lam["config"]["layers"][2]["class_name"] = "Lambda"
    with pytest.raises(NetworkError, match="layer 'conv1' is a Lambda: it would run code"):
        network_model(lam)
    custom = json.loads(model.to_json())
    custom["config"]["layers"][3].update(module="mypackage.layers", registered_name="mypackage>Evil")
    with pytest.raises(NetworkError, match="layer 'conv2' is a Conv2D from mypackage.layers"):
        network_model(custom)
    with pytest.raises(NetworkError, match=r"layer 'skip' \(Add\): Inputs have incompatible shapes"):
        network_model(edited(model, "conv2", filters=5))
    with pytest.raises(NetworkError, match=r"layer 'conv1' \(Conv2D\): Computed output size would be zero"):
        network_model(edited(model, "conv1", kernel_size=[29, 29], padding="valid"))
    steps = walk(edited(model, "conv2", filters=5))
    assert [s["name"] for s in steps if s["error"]][:2] == ["skip", "branch_1x1"]  # and what hangs on it
    bad = tmp_path / "bad.json"
    bad.write_text('{"class_name": "Functional", "config": {')
    with pytest.raises(NetworkError, match="bad JSON at line 1"):
        network_model(bad)
    with pytest.raises(NetworkError, match="no such file"):
        network_model(tmp_path / "missing.json")
    with pytest.raises(NetworkError, match="expected a Keras model config"):
        network_model('{"layers": []}')
    seq = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert network_model(seq.to_json()).count_params() == seq.count_params()


def test_the_code_written_from_a_network_runs_on_its_own_and_builds_the_same_network(tmp_path):
    networks = {"plain": plain_keras_network().to_json(),
                "lenet5": network_text(build_model("lenet5", None, 10, form="compact", deslant=True)),
                "resnet18": zoo_network("resnet18"), "googlenet": zoo_network("googlenet")}
    expected = {name: network_model(text).count_params() for name, text in networks.items()}
    import keras

    registered = dict(keras.saving.get_custom_objects())  # the lenet5 file registers its own Deslant
    counts = {}
    for name, text in networks.items():
        path = tmp_path / f"{name}.py"
        code = network_code(text)
        assert "import keras" in code and "core." not in code  # nothing of the studio's needed
        path.write_text(code)
        # Run as a script in a fresh namespace (this process has TensorFlow loaded already:
        # a new interpreter would spend 4 s importing it again).
        counts[name] = runpy.run_path(str(path), run_name="network")["model"].count_params()
    keras.saving.get_custom_objects().clear()
    keras.saving.get_custom_objects().update(registered)
    assert counts == expected
    code = network_code(networks["plain"])
    assert "layers.Add(name='skip')([conv1, conv2])" in code
    assert "layers.Conv2D(name='conv1', filters=8, kernel_size=(3, 3), padding='same', activation='relu')" in code
