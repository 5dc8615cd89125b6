"""Editing a network: adding after the selected layer, linking a skip, deleting, moving,
settings typed as text, named undo steps, and the live check of the result."""

import pytest

from core.models.network_draft import DraftError, NetworkDraft, parse_value
from core.models.networks import check_network, network_model, read_network
from core.models.registry import build_model, zoo_network


def residual_draft() -> NetworkDraft:
    draft = NetworkDraft.blank((28, 28, 1))
    draft.add("Conv2D")
    draft.add("MaxPooling2D")
    draft.add("Conv2D")
    draft.add("Add")
    draft.link("max_pooling2d_1")  # the skip: around the second convolution
    draft.add("GlobalAveragePooling2D")
    draft.add("Dense", units=10, activation="softmax")
    return draft


def test_a_network_built_by_edits_checks_and_builds():
    draft = residual_draft()
    assert [layer.name for layer in draft.layers] == ["image", "conv2d_1", "max_pooling2d_1", "conv2d_2", "add_1",
                                                      "global_average_pooling2d_1", "dense_1"]
    assert draft.layers[4].inputs == ["conv2d_2", "max_pooling2d_1"]
    checked = check_network(draft.config(), 10, dangling=draft.dangling())
    assert checked["problems"] == []
    assert [s["output_shape"] for s in checked["layers"]][3:5] == [(14, 14, 16), (14, 14, 16)]
    model = network_model(draft.config())
    assert checked["summary"]["total_params"] == model.count_params() == sum(s["params"] for s in checked["layers"])
    assert checked["layers"][1]["macs"] == 28 * 28 * 16 * 9 and checked["estimate"]["seconds_per_epoch"] > 0


def test_problems_are_marked_on_the_layer_that_causes_them():
    draft = residual_draft()
    draft.select("add_1")
    draft.link("conv2d_1")  # 28×28 into an Add of 14×14
    problems = check_network(draft.config(), 10, dangling=draft.dangling())["problems"]
    assert [p["layer"] for p in problems] == ["add_1"] and "incompatible shapes" in problems[0]["message"]
    draft.undo()
    draft.select("dense_1")
    draft.set("units", "7")
    assert check_network(draft.config(), 10)["problems"][0]["message"].startswith("the output is 7 values")
    draft.set("activation", "relu")
    assert any("softmax" in p["message"] for p in check_network(draft.config(), 7)["problems"])
    draft.select("conv2d_2")
    draft.add("Conv2D")  # a branch nothing takes: its output goes nowhere
    assert draft.layers[draft.index("add_1")].inputs == ["conv2d_3", "max_pooling2d_1"]  # linked in between
    draft.unlink("conv2d_3", "add_1")
    draft.link("conv2d_2", "add_1")
    assert draft.dangling() == ["conv2d_3"]
    assert {"layer": "conv2d_3", "message": "its output goes nowhere: link it to a layer below, or delete it"} in \
        check_network(draft.config(), 7, dangling=draft.dangling())["problems"]
    draft.select("conv2d_1")
    draft.set("kernel_size", "40")
    draft.set("padding", "valid")
    problems = check_network(draft.config(), 7, dangling=draft.dangling())["problems"]
    assert problems[0]["layer"] == "conv2d_1" and "zero or negative" in problems[0]["message"]


def test_every_edit_is_a_named_step_that_undoes_and_redoes():
    draft = residual_draft()
    assert draft.can_undo() == "Add Dense"
    draft.select("conv2d_1")
    draft.set("filters", "32")
    assert draft.can_undo() == "Set filters of conv2d_1 to 32"
    draft.set("kernel_size", "5x5")
    assert draft.layers[1].settings["kernel_size"] == [5, 5]
    draft.delete("max_pooling2d_1")
    assert draft.layers[draft.index("conv2d_2")].inputs == ["conv2d_1"]
    assert draft.layers[draft.index("add_1")].inputs == ["conv2d_2", "conv2d_1"]
    assert draft.undo() == "Delete max_pooling2d_1" and draft.layers[2].name == "max_pooling2d_1"
    assert draft.undo() == "Set kernel_size of conv2d_1 to 5x5"
    assert draft.redo() == "Set kernel_size of conv2d_1 to 5x5" and draft.can_redo() == "Delete max_pooling2d_1"
    draft.set("name", "first")
    assert draft.can_redo() is None and draft.layers[2].inputs == ["first"]
    draft.select("global_average_pooling2d_1")
    draft.add("Dropout")
    draft.move(-1)  # up, above the pooling
    assert [layer.name for layer in draft.layers][5:7] == ["dropout_1", "global_average_pooling2d_1"]
    assert draft.layers[6].inputs == ["dropout_1"] and draft.layers[5].inputs == ["add_1"]
    problems = check_network(draft.config(), 10, dangling=draft.dangling())["problems"]
    assert [p["layer"] for p in problems] == ["add_1"]  # 32 filters (still set) added to 16
    assert "(14, 14, 16) and (14, 14, 32)" in problems[0]["message"]


@pytest.mark.parametrize("key,text,message", [
    ("filters", "0", "at least 1"), ("filters", "many", "an integer"), ("kernel_size", "3x", "3x3"),
    ("rate", "1.5", "below 1"), ("padding", "full", "same, valid"),
])
def test_settings_typed_wrong_are_refused_with_what_to_type(key, text, message):
    with pytest.raises(DraftError, match=message):
        parse_value(key, text)


def test_edits_that_cannot_be_made_say_why():
    draft = residual_draft()
    with pytest.raises(DraftError, match="input layer cannot be deleted"):
        draft.delete("image")
    draft.select("conv2d_1")
    with pytest.raises(DraftError, match="comes after"):
        draft.link("dense_1")
    with pytest.raises(DraftError, match="another layer is named"):
        draft.set("name", "dense_1")
    with pytest.raises(DraftError, match="nothing to redo"):
        draft.redo()


def test_a_zoo_network_opens_in_the_editor_with_every_layer_and_the_same_parameters():
    for arch in ("lenet5", "resnet18", "googlenet"):
        draft = NetworkDraft.from_config(read_network(zoo_network(arch)))
        assert network_model(draft.config()).count_params() == build_model(arch, None, 10, form="compact").count_params()


def test_two_networks_differ_layer_by_layer():
    from core.inspect.architecture_diff import architecture_diff, architecture_of

    first = residual_draft()
    second = residual_draft()
    second.select("conv2d_2")
    second.set("filters", "16")  # unchanged: not a difference
    second.set("kernel_size", "5")
    second.delete("max_pooling2d_1")
    second.select("add_1")
    second.add("Dropout")
    rows = architecture_diff(architecture_of(first.config()), architecture_of(second.config()))
    changes = {row["name"]: row["change"] for row in rows}
    assert changes == {"image": "same", "conv2d_1": "same", "max_pooling2d_1": "removed", "conv2d_2": "changed",
                       "add_1": "changed", "dropout_1": "added", "global_average_pooling2d_1": "changed",
                       "dense_1": "same"}
    assert [row["name"] for row in rows][:3] == ["image", "conv2d_1", "max_pooling2d_1"]  # where it was
    conv = next(row for row in rows if row["name"] == "conv2d_2")
    assert ("kernel_size", [3, 3], [5, 5]) in conv["changes"] and ("takes", "max_pooling2d_1", "conv2d_1") in conv["changes"]
