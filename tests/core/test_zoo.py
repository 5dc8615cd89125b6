"""The whole architecture zoo: both forms build, count as the papers do, and train."""

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.models.registry import ARCHITECTURES, build_model, inference_model
from core.models.summary import estimate_training, summarize
from core.training.config import TrainConfig
from core.training.loop import train_model

ZOO = list(ARCHITECTURES)


@pytest.mark.parametrize("arch", ZOO)
def test_reference_form_builds_at_its_reference_input(arch):
    info = ARCHITECTURES[arch]
    model = build_model(arch, form="reference")
    assert tuple(model.inputs[0].shape[1:]) == info.reference_input
    assert tuple(model.outputs[0].shape) == (None, 10)
    summary = summarize(model)
    assert summary.total_params == model.count_params()
    assert summary.trainable_params + summary.non_trainable_params == model.count_params()
    assert summary.macs > 0


@pytest.mark.parametrize("arch", ZOO)
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_compact_form_predicts_for_small_inputs(arch, shape):
    model = build_model(arch, shape, 7, form="compact")
    out = np.asarray(model(np.zeros((2, *shape), np.float32)))
    assert out.shape == (2, 7)
    assert summarize(model).total_params == model.count_params()


@pytest.mark.parametrize("arch,shape,classes,expected", [
    # Simonyan & Zisserman, Table 2 (and keras.applications)
    ("vgg11", (224, 224, 3), 1000, 132_863_336),
    ("vgg13", (224, 224, 3), 1000, 133_047_848),
    ("vgg16", (224, 224, 3), 1000, 138_357_544),
    ("vgg19", (224, 224, 3), 1000, 143_667_240),
    # GoogLeNet without auxiliary heads, 1000 classes
    ("googlenet", (224, 224, 3), 1000, 6_998_552),
    # the CIFAR-10 tutorial's VGG-16 with batch norm
    ("vgg16_cifar", (32, 32, 3), 10, 15_001_418),
])
def test_reference_parameter_counts_match_the_papers(arch, shape, classes, expected):
    assert build_model(arch, shape, classes).count_params() == expected


def test_hand_computed_layers():
    alexnet = build_model("alexnet")
    assert alexnet.get_layer("block1_conv1").count_params() == 11 * 11 * 1 * 96 + 96
    assert alexnet.get_layer("fc1").count_params() == 6 * 6 * 256 * 4096 + 4096
    assert alexnet.count_params() == 58_299_082
    vgg_bn = build_model("vgg11", batch_norm=True)
    assert vgg_bn.get_layer("block1_conv1_bn").count_params() == 4 * 64  # gamma, beta, mean, var
    assert summarize(vgg_bn).non_trainable_params == 2 * sum(f for (n, f) in
                                                             ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
                                                             for _ in range(n))
    resnet = build_model("resnet18")
    assert resnet.get_layer("stage2_unit1_proj").count_params() == 64 * 128 + 128
    assert resnet.get_layer("stage1_unit1_conv1").count_params() == 3 * 3 * 64 * 64 + 64
    assert summarize(build_model("vgg16", (224, 224, 3), 1000)).macs == 15_470_264_320


def test_small_inputs_are_resized_to_the_reference_inside_the_model():
    model = build_model("alexnet", (28, 28, 1))
    assert tuple(model.get_layer("resize_with_pad").output.shape[1:3]) == (227, 227)
    assert "resize_with_pad" in [row.name for row in summarize(model).rows]


def test_googlenet_auxiliary_heads_train_but_are_dropped_for_inference():
    model = build_model("googlenet", (28, 28, 1), form="compact", aux=True)
    assert [t.shape[-1] for t in model.outputs] == [10, 10, 10]
    plain = inference_model(model)
    assert len(plain.outputs) == 1 and plain.count_params() < model.count_params()
    v3 = build_model("googlenet", inception_version="v3")
    assert "inception3a_3x3_1x3" in [layer.name for layer in v3.layers]


@pytest.mark.parametrize("kwargs,match", [
    ({"arch_id": "vgg16", "form": "tiny"}, "Received: form='tiny'"),
    ({"arch_id": "lenet5", "batch_norm": True}, "Received: batch_norm=True"),
    ({"arch_id": "googlenet", "inception_version": "v9"}, "Received: inception='v9'"),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(**kwargs)


@pytest.fixture(scope="module")
def tiny_mnist():
    return load_dataset("mnist", val_split=0.0, limit=96, test_limit=32, seed=2)


@pytest.mark.parametrize("arch", ZOO)
def test_one_training_step_runs_for_each_compact_form(arch, tiny_mnist):
    config = TrainConfig.for_arch(arch, epochs=1, batch_size=96, augment=False)  # tested on its own
    model = build_model(arch, (28, 28, 1), 10, **config.model_options())
    epochs = []
    result = train_model(model, tiny_mnist, config, on_epoch=epochs.append)
    assert result.epochs_completed == 1 and np.isfinite(epochs[0]["loss"]) and epochs[0]["accuracy"] >= 0
    assert len(result.model.outputs) == 1


def test_estimates_grow_with_the_network():
    small = estimate_training(summarize(build_model("lenet5")), 54000, 64)
    big = estimate_training(summarize(build_model("vgg16")), 54000, 64)
    assert big["seconds_per_epoch"] > 100 * small["seconds_per_epoch"]
    assert big["memory_bytes"] > small["memory_bytes"] > 0
