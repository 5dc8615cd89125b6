"""Results you can trust (issue 25), in the engine: failed sweep runs, runs that learn
nothing, resumed runs' ETA and epochs, the scrubber's memory, saved files' modes, the
statistics of a sweep's verdict, and continuing a finished schedule."""

import math
import os
import stat

import numpy as np
import pytest

from core.training.config import TrainConfig
from core.training.sweep import Combination, compare, run_sweep, verdicts


# ---------------------------------------------------------------- saved files (item 9)
def test_atomic_writes_get_the_users_mode_and_flush_the_folder(tmp_path, normal_umask, monkeypatch):
    from core.atomic import atomic_path, write_text_atomically

    synced_folders = []
    real_fsync = os.fsync

    def spy(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced_folders.append(fd)
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    path = write_text_atomically(tmp_path / "table.csv", "a,b\n")
    assert path.stat().st_mode & 0o777 == normal_umask  # mkstemp's 0600 made every save private
    assert synced_folders, "the folder is flushed after the rename"
    with atomic_path(tmp_path / "copied.bin") as tmp:  # a library replacing the file: still the normal mode
        staged = tmp_path / "staged"
        staged.write_bytes(b"x")
        os.chmod(staged, 0o600)
        os.replace(staged, tmp)
    assert (tmp_path / "copied.bin").stat().st_mode & 0o777 == normal_umask
    os.umask(0o077)  # a private umask is the user's choice, and is kept
    assert write_text_atomically(tmp_path / "private.txt", "x").stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------- sweeps (items 1 and 12)
class FakeResult:
    def __init__(self, accuracy, seed):
        self.test_accuracy, self.stopped = accuracy, False
        self.history = {"val_loss": [0.5], "val_accuracy": [accuracy]}
        self.train_seconds, self.epochs_completed = 1.0, 1


def test_a_failed_sweep_run_is_reported_and_every_other_run_kept(monkeypatch):
    """Before: the first diverging run raised out of run_sweep, and every finished run was lost."""
    import core.training.loop
    from core.training.loop import TrainingDiverged

    def fake_run(config, **kwargs):
        if config.learning_rate > 1:
            raise TrainingDiverged("The loss became NaN; try a lower learning rate.")
        return FakeResult(0.9 + 0.01 * config.seed, config.seed)

    monkeypatch.setattr(core.training.loop, "run_training", fake_run)
    saved, failed = [], []
    combos = run_sweep(TrainConfig(arch="mlp", epochs=1), {"learning_rate": [10.0, 0.01]}, 2,
                       on_result=lambda p, s, r: saved.append((p["learning_rate"], s)),
                       on_failure=lambda p, s, message: failed.append((p["learning_rate"], s, message)))
    assert saved == [(0.01, 0), (0.01, 1)]
    assert [(lr, s) for lr, s, _ in failed] == [(10.0, 0), (10.0, 1)] and "lower learning rate" in failed[0][2]
    diverging, good = (c.summary() for c in combos)
    assert diverging["runs"] == 0 and [f["seed"] for f in diverging["failed"]] == [0, 1]
    assert good["runs"] == 2 and good["failed"] == [] and good["test_accuracy_mean"] == pytest.approx(0.905)
    assert verdicts(combos) == []  # nothing to compare the good runs with


def test_zero_spread_gives_no_verdict_and_equal_runs_no_difference():
    """Before: identical runs on each side made a zero-width interval, called "a real difference"."""
    flat = compare([0.95, 0.95, 0.95], [0.96, 0.96, 0.96])
    assert not flat["real"] and flat["verdict"].startswith("cannot tell") and flat["seeds_needed"] is None
    same = compare([0.95, 0.95], [0.95, 0.95])
    assert not same["real"] and same["verdict"].startswith("no difference")
    assert compare([0.95, 0.95], [0.96, 0.96], paired=True)["verdict"].startswith("cannot tell")


def test_seeds_needed_come_from_the_t_distribution():
    """Before: z (1.96 + 0.84) where t with the runs' degrees of freedom applies, too few seeds."""
    from core.training.sweep import seeds_for_power, t_quantile

    a, b = [0.990, 0.992, 0.994], [0.991, 0.993, 0.996]
    result = compare(a, b)
    n = result["seeds_needed"]
    spread = (np.var(a, ddof=1) + np.var(b, ddof=1)) / 2
    difference = np.mean(b) - np.mean(a)
    t = t_quantile(0.975, 2 * n - 2) + t_quantile(0.8, 2 * n - 2)
    assert n >= 2 * t * t * spread / difference ** 2  # enough by t…
    t_less = t_quantile(0.975, 2 * n - 4) + t_quantile(0.8, 2 * n - 4)
    assert n - 1 < 2 * t_less * t_less * spread / difference ** 2  # …and the fewest that are
    z = t_quantile(0.975, 1e6) + t_quantile(0.8, 1e6)
    assert n > math.ceil(2 * z * z * spread / difference ** 2)  # the normal approximation said fewer
    assert seeds_for_power(0.001, 0.0, 4, paired=True) == 4


def test_a_paired_comparison_uses_the_shared_seeds_and_says_so():
    from core.training.sweep import PAIRED, WELCH

    # Each seed moves both settings alike (its initial weights, its shuffles): pairing cancels that.
    seed_luck = [0.000, 0.004, -0.003, 0.002]
    a = [0.980 + luck for luck in seed_luck]
    b = [0.982 + luck + d for luck, d in zip(seed_luck, (0.0002, -0.0002, 0.0001, -0.0001))]
    welch, paired = compare(a, b), compare(a, b, paired=True)
    assert not welch["real"] and paired["real"]  # the same runs: only the paired test sees it
    assert (welch["test"], paired["test"]) == (WELCH, PAIRED)
    combos = [Combination({"lr": lr}, [{"seed": s, "test_accuracy": v} for s, v in enumerate(values)])
              for lr, values in ((0.01, a), (0.02, b))]
    (verdict,) = verdicts(combos)
    assert verdict["test"] == PAIRED and verdict["verdict"] == "a real difference"
    combos[1].runs[0]["seed"] = 9  # too few seeds in common (one failed, say): Welch's
    combos[1].runs[1]["seed"] = 8
    combos[1].runs[2]["seed"] = 7
    assert verdicts(combos)[0]["test"] == WELCH


# ---------------------------------------------------------------- learning nothing (item 2)
def test_a_run_that_learns_nothing_is_told_with_the_learning_rate():
    from core.training.diagnosis import learning_problem

    stuck = {"epoch": 0, "loss": 2.31, "accuracy": 0.10, "val_loss": 2.30, "val_accuracy": 0.097}
    too_high = learning_problem(stuck, 10, 10.0, 0.006, "LeNet-5")
    assert "learns nothing" in too_high and "9.7%" in too_high and "too high" in too_high and "0.006" in too_high
    assert "too low" in learning_problem(stuck, 10, 1e-6, 0.006, "LeNet-5")
    assert "a tenth of it" in learning_problem(stuck, 10, 0.006, 0.006, "LeNet-5")
    learning = {"epoch": 0, "loss": 0.4, "accuracy": 0.88, "val_loss": 0.3, "val_accuracy": 0.91}
    assert learning_problem(learning, 10, 0.006, 0.006) is None
    # Three classes: chance is a third.
    assert learning_problem({"epoch": 1, "loss": 0.9, "val_accuracy": 0.36}, 3, 1.0, 0.01) is not None
    assert learning_problem({"epoch": 1, "loss": 0.5, "val_accuracy": 0.80}, 3, 1.0, 0.01) is None


# ---------------------------------------------------------------- resumed runs (items 3, 5, 11)
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, small_mnist):
    """A LeNet-5 run of 2 epochs (cosine, no warm-up) on 512 images, saved in a library."""
    from core.storage.library import finish_run
    from core.training.loop import run_training

    folder = tmp_path_factory.mktemp("library")
    config = TrainConfig.for_arch("lenet5", epochs=2, warmup=0, schedule="cosine", batch_size=32, augment=False)
    result = run_training(config, data=small_mnist)
    return finish_run(result, small_mnist.info.class_names, folder), result


def test_a_resumed_run_counts_its_eta_and_epochs_from_where_it_went_on(finished_run, small_mnist):
    """Before: a resume at epoch 2 of 3 counted the first epoch as done in this session's
    time (an ETA a third of the real one), and its first snapshot said "epoch 1"."""
    from core.training.resume import resume_config
    from core.training.loop import run_training

    run, _ = finished_run
    config = resume_config(run.library_path, epochs=1)
    reports, order = [], []
    run_training(config, data=small_mnist, evaluate=False, report_interval=0.0, on_batch=reports.append,
                 on_epoch=lambda e: order.append(("epoch", e["epoch"] + 1)),
                 on_snapshot=lambda weights: order.append(("snapshot",)))
    assert order == [("epoch", 3), ("snapshot",)]  # the epoch's number is told before its weights
    assert {r["epoch"] for r in reports} == {2} and reports[0]["epochs"] == 3
    for r in reports:
        session = r["batch"] / r["batches"]  # this session's share: one epoch of one
        assert r["eta"] == pytest.approx(r["elapsed"] * (1 - session) / session, rel=1e-6, abs=1e-6)
    middle = reports[len(reports) // 2]
    assert middle["eta"] > 0.5 * middle["elapsed"] * (1 - middle["batch"] / middle["batches"])


def test_continuing_a_finished_cosine_run_starts_a_new_schedule_from_where_it_ended(finished_run, small_mnist):
    """Before: two more epochs lengthened the 2-epoch cosine to 4, so the rate jumped from 1%
    of the base back to half of it."""
    from core.training.resume import describe_new_schedule, resume_config
    from core.training.schedules import COSINE_FLOOR
    from core.training.loop import run_training

    run, first = finished_run
    ended = first.history["learning_rate"][-1]
    assert ended == pytest.approx(first.config.learning_rate * COSINE_FLOOR, rel=0.05)
    config = resume_config(run.library_path, epochs=2)
    assert (config.schedule, config.schedule_start, config.warmup) == ("cosine", 2, 0)
    assert config.learning_rate == pytest.approx(ended)
    assert "new cosine schedule" in describe_new_schedule(config)
    result = run_training(config, data=small_mnist, evaluate=False)
    rates = result.history["learning_rate"]
    assert len(rates) == 4 and rates[2] <= ended * 1.0001 and rates[3] < rates[2]
    assert rates[3] == pytest.approx(ended * COSINE_FLOOR, rel=0.05)


def test_early_stopping_keeps_the_best_epochs_optimizer_state_with_its_weights():
    """Before: the best epoch's weights were saved with the last epoch's optimiser state."""
    import keras

    from core.training.callbacks import best_state_early_stopping_class
    from core.training.resume import resumable_epoch

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    early = best_state_early_stopping_class()(monitor="val_loss", patience=5)
    early.set_model(model)
    early.on_train_begin()
    best_weights = [w.copy() for w in model.get_weights()]
    model.optimizer.iterations.assign(10)
    early.on_epoch_end(0, {"val_loss": 1.0})
    model.set_weights([w + 1 for w in best_weights])
    model.optimizer.iterations.assign(20)
    early.on_epoch_end(1, {"val_loss": 2.0})  # worse: not the best
    early.on_train_end()
    assert all((a == b).all() for a, b in zip(model.get_weights(), best_weights))
    assert early.restored_epoch == 1
    iterations = [v for v, var in zip(early.best_optimizer, model.optimizer.variables) if var.name == "iteration"]
    assert iterations == [10]
    # The record says which epoch a resume goes on from.
    assert resumable_epoch({"epochs_completed": 5, "state_epoch": 3}) == 3
    assert resumable_epoch({"epochs_completed": 5, "state_epoch": None}) == 5
    assert resumable_epoch({"epochs_completed": 5, "state_epoch": 7}) == 5


# ---------------------------------------------------------------- memory (item 10)
def test_kept_epochs_stay_within_their_cap_and_say_what_was_let_go():
    from core.training.snapshots import EpochWeights

    one = [np.zeros(250, np.float32)]  # 1,000 bytes an epoch
    store = EpochWeights(budget=5_000)
    for epoch in range(1, 21):
        store.add(epoch, one)
    kept = store.epochs()
    assert store.nbytes <= 5_000 and len(kept) == 5 and kept[0] == 1 and kept[-1] == 20
    gaps = np.diff(kept)
    assert gaps.max() - gaps.min() <= 3  # spread over the run, not only the newest
    assert "15 epoch(s) let go" in store.note()
    big = EpochWeights(budget=500)
    big.add(1, one)
    assert big.epochs() == [] and "none kept" in big.note()
    every = EpochWeights(budget=10_000)
    every.add(1, one)
    assert every.note() == "" and every.nbytes == 1_000 and every.nbytes.__class__ is int


def test_deslanting_is_refused_where_its_memory_would_explode(tmp_path):
    from core.models.deslant import MAX_DESLANT_BYTES, deslant_bytes
    from tests.folders import write_image_folder

    folder = write_image_folder(tmp_path / "shapes", per_class=3, size=40, colour=False)
    small = TrainConfig(arch="lenet5", dataset=str(folder), deslant=True, image_size=[32, 32])
    assert "deslant" not in small.errors()
    large = TrainConfig(arch="lenet5", dataset=str(folder), deslant=True, image_size=[256, 256], batch_size=128)
    assert deslant_bytes(128, 256, 256) > MAX_DESLANT_BYTES
    message = large.errors()["deslant"]
    assert "28×28" in message and "256×256" in message and "Turn it off" in message
    assert "deslant" not in TrainConfig(arch="lenet5", dataset=str(folder), deslant=False,
                                        image_size=[256, 256]).errors()


# ---------------------------------------------------------------- smaller (item 12)
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_ctrl_c_and_exit_pass_through_the_dataset_download(monkeypatch, tmp_path, interruption):
    """Before: SystemExit (and any BaseException) became a "could not be downloaded" error."""
    import urllib.request

    from core.data.datasets import download_cifar10

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def interrupted(*args, **kwargs):
        raise interruption()

    monkeypatch.setattr(urllib.request, "urlopen", interrupted)
    with pytest.raises(interruption):
        download_cifar10()


def test_a_failed_job_is_named_as_that_job():
    """Before: a failed download or sweep was told as "Training failed"."""
    from core.training.failures import describe_failure

    assert describe_failure(RuntimeError("boom"), "Sweep failed") == "Sweep failed (RuntimeError: boom)."
    assert describe_failure(OSError("disk"), "Download failed").startswith("Download failed (OSError")
    assert describe_failure(RuntimeError("x")).startswith("Training failed")


def test_a_resumed_run_cannot_be_multi_worker():
    config = TrainConfig(resume="run.keras", strategy="multiworker", workers=["a:1", "b:2"])
    assert "multiworker cannot resume" in config.errors()["strategy"]
    assert "needs resume" in TrainConfig(schedule_start=3).errors()["schedule_start"]
