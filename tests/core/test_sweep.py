"""Sweeps: parsing, combinations, Welch's interval and the verdict."""

import math

import pytest

from core.training.sweep import Combination, combinations, compare, parse_param, t_quantile, verdicts


def test_t_quantiles_match_the_tables():
    for df, value in ((1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042), (1e6, 1.960)):
        assert t_quantile(0.975, df) == pytest.approx(value, abs=2e-3), df


def test_params_are_parsed_to_their_settings_types():
    assert parse_param("optimizer=adam,sgd") == ("optimizer", ["adam", "sgd"])
    assert parse_param("lr=0.01,3e-3") == ("learning_rate", [0.01, 0.003])
    assert parse_param("batch-size=32,64") == ("batch_size", [32, 64])
    assert parse_param("augment=on,off") == ("augment", [True, False])
    for bad in ("optimizer", "color=red", "epochs=two", "epochs=", "augment=maybe", "epochs=2,2", "arch=mlp"):
        with pytest.raises(ValueError):
            parse_param(bad)
    assert combinations({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_a_clear_difference_is_real_and_noise_is_not():
    real = compare([0.980, 0.981, 0.979], [0.990, 0.991, 0.989])
    assert real["verdict"] == "a real difference" and real["low"] > 0 and real["seeds_needed"] is None
    assert real["difference"] == pytest.approx(0.01)
    # (The means differ by 0.0001/3: with equal means no number of seeds would settle it.)
    noise = compare([0.9899, 0.9909, 0.9903], [0.9906, 0.9898, 0.9908])
    assert noise["low"] < 0 < noise["high"] and noise["verdict"].startswith("within run-to-run noise")
    assert noise["seeds_needed"] > 3
    # Welch's half-width for two samples of three with equal spread s: t(0.975, 4) · s · sqrt(2/3)
    s = 0.001
    half = compare([1 - s, 1, 1 + s], [2 - s, 2, 2 + s])["high"] - 1
    assert half == pytest.approx(t_quantile(0.975, 4) * s * math.sqrt(2 / 3), rel=1e-6)
    with pytest.raises(ValueError):
        compare([0.9], [0.8, 0.7])


def test_every_combination_is_compared_with_the_first():
    combos = [Combination({"optimizer": name}, [{"test_accuracy": a} for a in accs])
              for name, accs in (("adam", [0.99, 0.991]), ("sgd", [0.97, 0.971]), ("rmsprop", [0.99]))]
    found = verdicts(combos)
    assert [(v["a"], v["b"]) for v in found] == [("optimizer=adam", "optimizer=sgd")]  # one run: no verdict
    assert combos[0].summary()["test_accuracy_mean"] == pytest.approx(0.9905)


def test_a_band_is_the_mean_and_spread_of_the_seeds_curves():
    from matplotlib.figure import Figure

    from core.training.sweep import draw_bands

    combo = Combination({"optimizer": "adam"}, [
        {"seed": 0, "test_accuracy": 0.9, "history": {"val_accuracy": [0.5, 0.7, 0.8], "val_loss": [1.0, 0.6]}},
        {"seed": 1, "test_accuracy": 0.8, "history": {"val_accuracy": [0.7, 0.9], "val_loss": [1.2, 0.8]}},
    ])
    band = combo.band("val_accuracy")
    assert band["epochs"] == [1, 2]  # the epochs every run reached
    assert band["mean"] == pytest.approx([0.6, 0.8]) and band["std"] == pytest.approx([0.1414, 0.1414], abs=1e-4)
    summary = combo.summary()
    assert set(summary["curves"]) == {"val_accuracy", "val_loss"}
    figure = Figure()
    draw_bands(figure, [summary])
    assert len(figure.axes[0].lines) == 1 and len(figure.axes[0].collections) == 1
