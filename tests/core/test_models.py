import numpy as np
import pytest

from core.models.registry import ARCHITECTURES, build_model, get_arch


def conv_params(k, c_in, f):
    return k * k * c_in * f + f


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


def test_mlp_parameter_count_matches_the_spec():
    model = build_model("mlp")
    expected = dense_params(784, 256) + dense_params(256, 128) + dense_params(128, 10)
    assert model.count_params() == expected == 235_146
    assert model.get_layer("fc1").count_params() == dense_params(784, 256)


def test_lenet5_layers_match_the_spec():
    model = build_model("lenet5")
    assert model.get_layer("block1_conv1").count_params() == conv_params(3, 1, 6)
    assert model.get_layer("block2_conv1").count_params() == conv_params(3, 6, 16)
    # 28 → conv3 valid 26 → pool2 13 → conv3 valid 11 → pool(3, 1) 9
    assert tuple(model.get_layer("block2_relu").output.shape) == (None, 9, 9, 16)
    assert model.get_layer("fc1").count_params() == dense_params(9 * 9 * 16, 120)
    assert model.count_params() == 167_594


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("shape,classes", [((28, 28, 1), 10), ((32, 32, 3), 5), ((8, 8, 1), 3)])
def test_every_architecture_builds_for_any_input_and_class_count(arch, shape, classes):
    model = build_model(arch, shape, classes)
    out = model(np.zeros((2, *shape), np.float32))
    assert tuple(out.shape) == (2, classes)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1.0, rtol=1e-5)


def test_small_inputs_are_resized_inside_the_model():
    model = build_model("lenet5", (8, 8, 1))
    assert model.get_layer("resize_with_pad").output.shape[1:3] == (12, 12)


def test_normalisation_is_part_of_the_model():
    lenet = build_model("lenet5").get_layer("rescaling")
    assert float(lenet(np.array([[0.0, 255.0]])).numpy().min()) == pytest.approx(-1.0)
    assert get_arch("mlp").normalization == "unit"


@pytest.mark.parametrize("kwargs,match", [
    ({"arch_id": "resnet99"}, "Received: arch='resnet99'"),
    ({"arch_id": "mlp", "classes": 1}, "Received: classes=1"),
    ({"arch_id": "mlp", "input_shape": (28, 28)}, "Received: input_shape"),
    ({"arch_id": "mlp", "input_shape": (28, 0, 1)}, "Received: input_shape"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(**kwargs)
