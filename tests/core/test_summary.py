import json

from core.models.registry import build_model
from core.models.summary import format_table, summarize, to_dict


def test_summary_rows_and_totals_match_the_model():
    model = build_model("lenet5")
    summary = summarize(model)
    assert [r.name for r in summary.rows] == [layer.name for layer in model.layers]
    assert summary.total_params == model.count_params()
    assert sum(r.params for r in summary.rows) == summary.total_params
    assert summary.trainable_params == summary.total_params and summary.non_trainable_params == 0
    row = {r.name: r for r in summary.rows}["block2_conv1"]
    assert (row.type, row.output_shape, row.params, row.trainable) == ("Conv2D", (None, 11, 11, 16), 880, True)


def test_non_trainable_weights_are_counted_apart():
    model = build_model("mlp")
    model.get_layer("fc1").trainable = False
    summary = summarize(model)
    assert summary.non_trainable_params == 784 * 256 + 256
    assert summary.trainable_params + summary.non_trainable_params == model.count_params()
    assert {r.name: r.trainable for r in summary.rows}["fc1"] is False


def test_json_and_text_forms():
    summary = summarize(build_model("mlp", (28, 28, 1), 10))
    data = json.loads(json.dumps(to_dict(summary, "mlp")))
    assert set(data) >= {"arch", "input_shape", "classes", "total_params", "trainable_params",
                         "non_trainable_params", "layers"}
    assert set(data["layers"][0]) >= {"name", "type", "output_shape", "params"}
    text = format_table(summary)
    assert "Total params:         235,146" in text and "fc1" in text
