"""Resuming a run with its optimiser state, schedule and history; fine-tuning from weights."""

import zipfile

import numpy as np
import pytest

from core.training.config import SettingsError, TrainConfig
from core.storage.library import finish_run, read_entry
from core.storage.modelio import ModelFileError, read_metadata, save_model
from core.storage.training_state import TRAINING_STATE_ENTRY
from core.training.resume import (finetune_config, read_state, remaining_epochs, resume_config,
                         start_from_weights)
from core.training.loop import run_training


def stop_after(epochs: int):
    """on_epoch and should_stop that stop a run once ``epochs`` epochs are complete."""
    flag = {"stop": False}

    def on_epoch(e):
        if e["epoch"] + 1 >= epochs and e["complete"]:
            flag["stop"] = True

    return on_epoch, lambda: flag["stop"]


@pytest.fixture(scope="module")
def resumed_runs(small_mnist, tmp_path_factory):
    """A 4-epoch run; the same run stopped after epoch 2 and saved; that file resumed for 2."""
    folder = tmp_path_factory.mktemp("library")
    settings = dict(arch="lenet5", epochs=4, batch_size=32, seed=3)
    full = run_training(TrainConfig.for_arch(**settings), data=small_mnist)
    on_epoch, should_stop = stop_after(2)
    stopped = run_training(TrainConfig.for_arch(**settings), data=small_mnist, on_epoch=on_epoch,
                           should_stop=should_stop)
    saved = finish_run(stopped, small_mnist.info.class_names, folder)
    reported = []
    resumed = run_training(resume_config(saved.library_path, 2), data=small_mnist, on_epoch=reported.append)
    return full, stopped, saved, resumed, reported


def test_a_run_stopped_after_two_epochs_and_resumed_for_two_matches_a_four_epoch_run(resumed_runs):
    full, stopped, saved, resumed, reported = resumed_runs
    assert stopped.stopped and stopped.epochs_completed == 2
    assert resumed.epochs_completed == 4 and resumed.resumed_after == 2
    # The epochs go on from 3 of 4 (shown 1-based as 3/4 and 4/4).
    assert [(e["epoch"], e["epochs"]) for e in reported] == [(2, 4), (3, 4)]
    # One continuous curve: the saved epochs, then the new ones, with no restart (a
    # restart from fresh weights begins near ln 10 = 2.3).
    assert len(resumed.history["loss"]) == len(resumed.history["val_loss"]) == 4
    assert resumed.history["loss"][:2] == stopped.history["loss"]
    assert resumed.history["loss"][2] < resumed.history["loss"][1] < 2.0
    # The schedule goes on from its position: the 4-epoch run's rate at epochs 3 and 4.
    assert resumed.history["learning_rate"] == pytest.approx(full.history["learning_rate"], rel=1e-5)
    assert resumed.history["learning_rate"][-1] < resumed.history["learning_rate"][1]
    # The final accuracy is the 4-epoch run's, within the run-to-run noise of 500 test
    # images at this size (seeds differ by a few points here).
    assert abs(resumed.test_accuracy - full.test_accuracy) < 0.06
    assert resumed.test_accuracy > stopped.test_accuracy - 0.02


def test_the_resumed_model_records_its_run(resumed_runs, tmp_path):
    _, _, saved, resumed, _ = resumed_runs
    run = finish_run(resumed, ["0"] * 10, tmp_path)
    record = read_metadata(run.library_path)
    assert record["epochs_completed"] == 4 and record["resumed_after"] == 2
    assert record["config"]["resume"] == saved.library_path
    assert len(record["history"]["loss"]) == 4
    assert read_entry(run.library_path).resumable and remaining_epochs(run.library_path) == 0


def test_the_saved_state_holds_weights_and_optimizer(resumed_runs):
    _, stopped, saved, _, _ = resumed_runs
    state = read_state(saved.library_path)
    assert state.optimizer_name == "Adam" and state.epochs_completed == 2 and state.schedule_epochs == 4
    assert len(state.weights) == len(stopped.model.get_weights())
    assert int(state.optimizer[0]) == 2 * 16  # the step count: two epochs of 16 batches
    assert remaining_epochs(saved.library_path) == 2
    with zipfile.ZipFile(saved.library_path) as archive:
        assert TRAINING_STATE_ENTRY in archive.namelist()


def test_a_checkpoint_carries_what_resuming_needs(small_mnist, tmp_path):
    checkpoint = tmp_path / "best.keras"
    config = TrainConfig.for_arch("mlp", epochs=2, batch_size=64, checkpoint=str(checkpoint))
    run_training(config, data=small_mnist, evaluate=False)
    state = read_state(checkpoint)
    assert state.epochs_completed >= 1 and len(state.history["loss"]) == state.epochs_completed
    resumed = run_training(resume_config(checkpoint, 1), data=small_mnist, evaluate=False)
    assert resumed.epochs_completed == state.epochs_completed + 1


def test_resume_settings_and_refusals(resumed_runs, small_mnist, tmp_path):
    _, _, saved, _, _ = resumed_runs
    config = resume_config(saved.library_path)  # what is left of the schedule
    assert config.epochs == 2 and config.arch == "lenet5" and config.seed == 3 and config.resume
    with pytest.raises(ValueError, match="keeps its own settings"):
        resume_config(saved.library_path, 2, learning_rate=0.1)
    # A file saved without its state (Save model…, a model made elsewhere) is offered fine-tuning.
    from core.models.registry import build_model

    plain = save_model(build_model("mlp"), tmp_path / "plain.keras",
                       {"arch": "mlp", "config": {"arch": "mlp"}, "epochs_completed": 1})
    with pytest.raises(ModelFileError, match="Fine-tune it instead"):
        resume_config(plain)
    # Another architecture's settings are refused before anything trains.
    wrong = resume_config(saved.library_path, 1)
    wrong.arch = "mlp"
    with pytest.raises(SettingsError, match="resume"):
        run_training(wrong, data=small_mnist)
    missing = TrainConfig(resume=str(tmp_path / "nothing.keras"))
    assert "names no file" in missing.errors()["resume"]
    both = TrainConfig(resume=saved.library_path, start_from=saved.library_path)
    assert "cannot be used with resume" in both.errors()["start_from"]


def test_fine_tuning_copies_what_fits_and_starts_the_rest_afresh(bundled_model_path, small_mnist):
    from core.models.registry import build_model

    five = build_model("lenet5", (28, 28, 1), 5)
    before = five.get_weights()
    copied, fresh = start_from_weights(five, bundled_model_path)
    assert copied >= 3 and fresh == 1  # the 5-way classifier cannot take a 10-way one's weights
    after = five.get_weights()
    assert not np.array_equal(before[0], after[0]) and np.array_equal(before[-1], after[-1])

    config = finetune_config(bundled_model_path, "mnist", epochs=1, limit=None)
    assert config.start_from == str(bundled_model_path) and config.arch == "lenet5"
    assert config.learning_rate == pytest.approx(TrainConfig.for_arch("lenet5").learning_rate / 10)
    assert config.deslant  # as the bundled model learned; a model from before deslanting keeps without
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("core.training.resume.read_metadata", lambda path: {"arch": "lenet5", "config": {"arch": "lenet5"}})
        assert not finetune_config(bundled_model_path, "my_digits").deslant
    tuned = run_training(config, data=small_mnist)
    assert tuned.fine_tune["layers_copied"] >= 4 and tuned.fine_tune["layers_fresh"] == 0
    # It starts from a trained reader, so one short epoch on 512 images reads well.
    assert tuned.test_accuracy > 0.9
