"""The learning-rate range test: its rates, its suggestion, and that it leaves the model as it was."""

import numpy as np
import pytest

from core.training.config import TrainConfig
from core.training.lr_finder import find_learning_rate, learning_rates, smoothed, steepest, suggest


def test_rates_rise_exponentially_and_the_suggestion_reads_the_curve():
    lrs = learning_rates(1e-6, 1.0, 601)
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(1.0)
    assert np.allclose(lrs[1:] / lrs[:-1], lrs[1] / lrs[0])
    x = np.log10(lrs)  # a loss flat until 1e-4, falling fastest at 1e-3, lowest at 1e-2, then blowing up
    losses = 2.3 - 2.0 / (1 + np.exp(-3 * (x + 3))) + np.where(x > -2, 30 * (x + 2) ** 2, 0)
    assert steepest(lrs, losses) == pytest.approx(10 ** -2.9, rel=0.3)  # the smoothing lags a little
    lowest = lrs[np.argmin(smoothed(losses))]
    assert lowest == pytest.approx(1e-2, rel=0.3)
    assert suggest(lrs, losses) == max(steepest(lrs, losses), lowest / 10)
    assert suggest(lrs, np.linspace(1, 3, 601)) is None  # it never falls
    assert smoothed([2.0, 2.0, 2.0])[0] == pytest.approx(2.0)  # no bias towards 0 at the start


def test_the_lenet5_suggestion_is_within_3x_of_a_rate_that_trains_well():
    from core.training.loop import run_training

    found = find_learning_rate(TrainConfig.for_arch("lenet5", limit=6000, seed=0))
    assert found["blew_up"] and not found["stopped"]  # the whole range: from flat to blown up
    assert len(found["lrs"]) == len(found["losses"]) == len(found["smoothed"]) > 100
    suggested = found["suggested_lr"]
    assert suggested is not None and found["steepest_lr"] <= suggested
    accuracy = {}
    for lr in (1e-3, 3e-3, 1e-2):  # short runs on a grid of rates: which trains best
        config = TrainConfig.for_arch("lenet5", limit=3000, epochs=1, learning_rate=lr)
        accuracy[lr] = run_training(config, evaluate=False).history["val_accuracy"][-1]
    best = max(accuracy, key=accuracy.get)
    assert accuracy[best] > 0.8, accuracy
    assert 1 / 3 <= suggested / best <= 3, (suggested, accuracy)


def test_the_model_tested_gets_its_weights_back_and_a_stop_ends_it():
    import keras

    from core.data.datasets import load_dataset
    from core.models.registry import build_model

    keras.utils.set_random_seed(0)
    model = build_model("mlp", (28, 28, 1), 10, form="compact")
    before = [w.copy() for w in model.get_weights()]
    data = load_dataset("mnist", val_split=0.0, limit=600)
    steps = []
    found = find_learning_rate(TrainConfig.for_arch("mlp", batch_size=32), data=data, model=model, steps=50,
                               on_step=steps.append, should_stop=lambda: len(steps) >= 12)
    assert found["stopped"] and len(found["lrs"]) == 12
    assert steps[-1]["step"] == 12 and steps[-1]["steps"] == 50 and steps[-1]["lr"] == found["lrs"][-1]
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ValueError, match="Received: start_lr=1.0"):
        find_learning_rate(TrainConfig.for_arch("mlp"), data=data, model=model, start_lr=1.0, end_lr=0.1)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_colour_folder_dataset_is_tested_too_streamed_or_not(tmp_path, monkeypatch, streamed):
    from tests.folders import write_image_folder

    if streamed:  # "large" here: the training images are read from disk as training reads them
        monkeypatch.setattr("core.data.folders.STREAM_ABOVE_BYTES", 10_000)
    root = write_image_folder(tmp_path / "shapes", per_class=12, size=32)
    found = find_learning_rate(TrainConfig.for_arch("lenet5", dataset=str(root), batch_size=8), steps=20)
    assert len(found["lrs"]) >= 10 and all(np.isfinite(found["losses"][:10]))
