"""The training controls: schedules, warm-up, augmentation, early stopping, plateau,
seed, pause, checkpoints, devices, precision, and the errors that explain failures."""

import dataclasses
import math
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from core.models.registry import build_model
from core.training.schedules import learning_rate_at, make_schedule
from core.training.config import SettingsError, TrainConfig
from core.training.loop import run_training, train_model


def test_schedules_follow_their_shape():
    total = 100
    assert learning_rate_at("constant", 0.1, 70, total) == 0.1
    assert [learning_rate_at("step", 1.0, s, total) for s in (0, 49, 50, 74, 75, 99)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01])
    cosine = [learning_rate_at("cosine", 1.0, s, total) for s in range(total)]
    assert cosine[0] == pytest.approx(1.0) and cosine[-1] == pytest.approx(0.01, abs=1e-3)
    assert all(a >= b for a, b in zip(cosine, cosine[1:]))
    warm = [learning_rate_at("cosine", 1.0, s, total, warmup_steps=10) for s in range(12)]
    assert warm[0] == pytest.approx(0.1) and warm[9] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(warm[:9], warm[1:10]))


@pytest.mark.parametrize("kind,warmup", [("step", 0), ("cosine", 0), ("cosine", 7), ("constant", 5)])
def test_keras_schedule_matches_the_python_curve(kind, warmup):
    schedule = make_schedule(kind, 0.02, 60, warmup)
    for step in (0, 3, 6, 29, 30, 44, 45, 59):
        assert float(schedule(step)) == pytest.approx(learning_rate_at(kind, 0.02, step, 60, warmup), rel=1e-5)


def test_constant_and_plateau_keep_a_plain_rate_that_callbacks_can_lower():
    assert make_schedule("plateau", 0.01, 100) == 0.01
    assert make_schedule("constant", 0.01, 100) == 0.01


@pytest.mark.parametrize("changes,field", [
    ({"momentum": -0.1}, "momentum"), ({"momentum": 1.0}, "momentum"), ({"momentum": math.nan}, "momentum"),
    ({"momentum": "lots"}, "momentum"), ({"weight_decay": -1e-4}, "weight_decay"),
    ({"weight_decay": 1.0}, "weight_decay"), ({"weight_decay": math.inf}, "weight_decay"),
    ({"warmup": -1}, "warmup"), ({"warmup": 3, "epochs": 3}, "warmup"),
    ({"warmup": 1, "epochs": 3, "schedule": "plateau"}, "warmup"),
    ({"early_stopping": -2}, "early_stopping"), ({"early_stopping": 2, "val_split": 0.0}, "early_stopping"),
    ({"nesterov": True, "optimizer": "sgd", "momentum": 0.0}, "nesterov"), ({"augment": "yes"}, "augment"),
    ({"device": "tpu"}, "device"), ({"device": "gpu:x"}, "device"), ({"mixed_precision": "fp8"}, "mixed_precision"),
    ({"checkpoint": "best.h5"}, "checkpoint"), ({"checkpoint": ""}, "checkpoint"), ({"seed": 2**40}, "seed"),
])
def test_bad_controls_are_refused_before_training(changes, field):
    config = TrainConfig(**changes)
    assert field in config.errors(), config.errors()
    with pytest.raises(SettingsError):
        run_training(config)


def test_a_device_the_machine_lacks_is_refused_with_the_ones_it_has(small_mnist):
    with pytest.raises(SettingsError) as info:
        run_training(TrainConfig(epochs=1, device="gpu:3"), data=small_mnist)
    assert "no device 'gpu:3'" in info.value.errors["device"] and "cpu" in info.value.errors["device"]
    with pytest.raises(SettingsError, match="float16 needs a GPU"):
        run_training(TrainConfig(epochs=1, mixed_precision="float16"), data=small_mnist)


def test_same_seed_same_curves_even_with_augmentation(small_mnist):
    def curves(seed):
        config = TrainConfig(arch="lenet5", epochs=2, seed=seed, augment=True, batch_size=64)
        return run_training(config, data=small_mnist, evaluate=False).history

    first, second, other = curves(5), curves(5), curves(6)
    assert first == second
    assert first["loss"] != other["loss"]


def test_sgd_nesterov_weight_decay_step_schedule_with_warmup_trains(small_mnist):
    rates = []
    config = TrainConfig(arch="lenet5", epochs=3, optimizer="sgd", learning_rate=0.05, momentum=0.9,
                         nesterov=True, weight_decay=1e-4, schedule="step", warmup=1, batch_size=32)
    result = run_training(config, data=small_mnist, on_batch=lambda p: rates.append(p["learning_rate"]),
                          report_interval=0.0)
    steps = math.ceil(len(small_mnist.x_train) / 32)
    # reported after each batch, so at optimizer step batch + 1
    assert rates[0] == pytest.approx(learning_rate_at("step", 0.05, 1, 3 * steps, steps), rel=1e-5)
    assert rates[steps - 2] == pytest.approx(0.05, rel=1e-5)  # warm-up done by the end of epoch 1
    assert result.history["learning_rate"] == pytest.approx([0.05, 0.005, 0.0005], rel=1e-5)
    assert result.history["loss"][-1] < result.history["loss"][0]


def _random_validation(data, seed=0):
    """Validation labels that cannot be learnt: the validation loss soon rises."""
    rng = np.random.default_rng(seed)
    return dataclasses.replace(data, y_val=rng.permutation(data.y_val))


def test_early_stopping_keeps_the_best_epoch_and_plateau_lowers_the_rate(small_mnist):
    data = _random_validation(small_mnist)
    config = TrainConfig(arch="lenet5", epochs=12, early_stopping=3, schedule="plateau",
                         learning_rate=3e-3, batch_size=32)
    result = run_training(config, data=data, evaluate=False)
    assert result.stopped_early and not result.stopped
    assert result.epochs_completed < 12
    val = result.history["val_loss"]
    best = int(np.argmin(val))
    assert len(val) - 1 - best == 3  # stopped after `patience` epochs without improvement
    assert min(result.history["learning_rate"]) == pytest.approx(3e-4, rel=1e-5)  # ÷10 after 2 flat epochs
    # the kept weights are the best epoch's
    from core.inspect.evaluation import evaluate_classifier

    scores = evaluate_classifier(result.model, data.x_val, data.y_val)
    assert scores["loss"] == pytest.approx(val[best], rel=1e-3)


def test_pause_sleeps_without_counting_and_resume_goes_on(small_mnist):
    pause = threading.Event()
    reports = []

    def on_batch(p):
        reports.append((time.perf_counter(), p))
        if len(reports) == 2:
            pause.set()
            threading.Timer(1.0, pause.clear).start()

    started = time.perf_counter()
    config = TrainConfig(arch="mlp", epochs=1, batch_size=16)
    result = run_training(config, data=small_mnist, on_batch=on_batch, should_pause=pause.is_set,
                          report_interval=0.0, evaluate=False)
    wall = time.perf_counter() - started
    gaps = [b[0] - a[0] for a, b in zip(reports, reports[1:])]
    assert max(gaps) >= 0.9  # held for the pause
    assert result.epochs_completed == 1 and not result.stopped
    assert result.train_seconds < wall - 0.9  # the pause is not training time
    assert reports[-1][1]["batch"] == reports[-1][1]["batches"]


def test_stop_while_paused_ends_training(small_mnist):
    pause, stop = threading.Event(), threading.Event()
    pause.set()
    threading.Timer(0.5, stop.set).start()
    result = run_training(TrainConfig(arch="mlp", epochs=3, batch_size=16), data=small_mnist,
                          should_pause=pause.is_set, should_stop=stop.is_set, evaluate=False)
    assert result.stopped and result.epochs_completed == 0


def test_best_checkpoint_is_written_atomically_and_loads(small_mnist, tmp_path):
    from core.storage.modelio import load_model

    path = tmp_path / "runs" / "best.keras"
    config = TrainConfig(arch="lenet5", epochs=2, checkpoint=str(path))
    result = run_training(config, data=small_mnist, evaluate=False)
    assert result.checkpoint_error is None
    loaded = load_model(path)
    assert loaded.metadata["checkpoint"] is True and loaded.metadata["arch"] == "lenet5"
    best_epoch = int(np.argmin(result.history["val_loss"])) + 1
    assert loaded.metadata["epochs_completed"] == best_epoch
    assert loaded.metadata["val_loss"] == pytest.approx(min(result.history["val_loss"]))
    assert [p.name for p in path.parent.iterdir()] == ["best.keras"]  # no temporary file left


def test_a_checkpoint_folder_that_cannot_be_written_does_not_stop_training(small_mnist, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    config = TrainConfig(arch="mlp", epochs=1, checkpoint=str(blocker / "best.keras"))
    result = run_training(config, data=small_mnist, evaluate=False)
    assert result.epochs_completed == 1
    assert "Cannot write" in result.checkpoint_error


def test_out_of_memory_says_to_use_a_smaller_batch(small_mnist, monkeypatch):
    import tensorflow as tf

    from core.training.loop import TrainingOutOfMemory

    model = build_model("mlp", (28, 28, 1), 10, form="compact")

    def exhausted(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(model, "fit", exhausted)
    with pytest.raises(TrainingOutOfMemory, match="smaller batch"):
        train_model(model, small_mnist, TrainConfig(arch="mlp", batch_size=4096, form="reference"))


def test_bfloat16_mixed_precision_trains_on_the_cpu(small_mnist):
    import keras

    config = TrainConfig(arch="lenet5", epochs=1, mixed_precision="auto", batch_size=128)
    result = run_training(config, data=small_mnist)
    assert keras.config.dtype_policy().name == "float32"  # restored for everything else
    assert result.model.layers[-1].dtype_policy.name in ("float32", "mixed_bfloat16")
    assert result.model.output.dtype == "float32"
    assert math.isfinite(result.history["loss"][0]) and result.test_accuracy > 0.3


def test_tensorboard_without_the_package_is_refused_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr("core.training.config.tensorboard_available", lambda: False)
    errors = TrainConfig(tensorboard=str(tmp_path)).errors()
    assert "pip install tensorboard" in errors["tensorboard"]


LOGICAL_CPUS = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from core.data.datasets import load_dataset
from core.runtime.device import list_devices
from core.training.config import TrainConfig
from core.training.loop import run_training
print([name for name, _ in list_devices()])
data = load_dataset("mnist", val_split=0.2, limit=256, test_limit=64, seed=0)
result = run_training(TrainConfig(arch="mlp", epochs=1, device="cpu:1"), data=data)
print("trained on cpu:1", result.epochs_completed)
# 205 training and 51 validation images: uneven across two devices
uneven = run_training(TrainConfig(arch="lenet5", epochs=1, device="all", augment=True), data=data)
print("mirrored uneven", uneven.epochs_completed, uneven.test_accuracy is not None)
even = load_dataset("mnist", val_split=0.2, limit=260, test_limit=64, seed=0)
# LeNet-5 has no dropout, whose random masks differ between one and two devices
mirrored = run_training(TrainConfig(arch="lenet5", epochs=1, device="all"), data=even, evaluate=False)
single = run_training(TrainConfig(arch="lenet5", epochs=1, device="cpu:0"), data=even, evaluate=False)
print("same loss mirrored", abs(mirrored.history["loss"][0] - single.history["loss"][0]) < 1e-4)
try:
    run_training(TrainConfig(arch="mlp", epochs=1, device="all", batch_size=33), data=even)
except Exception as e:
    print("refused", type(e).__name__, e.errors["batch_size"])
"""


def test_training_on_a_chosen_logical_device(tmp_path):
    """Device choice and "all devices" (mirrored), exercised with two logical CPUs (a fresh process: logical devices
    must be set before TensorFlow starts)."""
    from tests.helpers import ROOT

    out = subprocess.run([sys.executable, "-c", LOGICAL_CPUS], cwd=ROOT, capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "['auto', 'all', 'cpu:0', 'cpu:1']" in out.stdout
    assert "trained on cpu:1 1" in out.stdout
    # "all": MirroredStrategy over both devices, the same loss as one device
    assert "mirrored uneven 1 True" in out.stdout
    assert "same loss mirrored True" in out.stdout
    assert "refused SettingsError must be a multiple of the 2 devices" in out.stdout


def test_stroke_width_augmentation_thins_and_thickens():
    import tensorflow as tf

    from core.data.augment import stroke_width_change

    img = np.zeros((1, 28, 28, 1), np.float32)
    img[0, 4:24, 12:16] = 255.0  # a vertical bar 4 px wide
    images = tf.constant(np.repeat(img, 3, axis=0))
    out = stroke_width_change(images, tf.constant([0, 1, 2], shape=(3, 1, 1, 1))).numpy()
    widths = [(out[i, 14, :, 0] > 127).sum() for i in range(3)]
    assert widths == [2, 4, 6]


def test_augmentation_changes_about_a_third_of_a_batch_the_same_way_for_a_seed():
    import tensorflow as tf

    from core.data.augment import augment_batch, AUGMENT_FRACTION

    rng = np.random.default_rng(0)
    images = np.zeros((400, 28, 28, 1), np.float32)
    for i in range(400):  # a bar at a random place in each image
        x, y = rng.integers(6, 18, 2)
        images[i, y:y + 8, x:x + 3] = 255.0
    batch = tf.constant(images)
    out = augment_batch(batch, tf.constant([3, 4], tf.int64)).numpy()
    again = augment_batch(batch, tf.constant([3, 4], tf.int64)).numpy()
    other = augment_batch(batch, tf.constant([3, 5], tf.int64)).numpy()
    assert np.array_equal(out, again) and not np.array_equal(out, other)
    changed = ~np.all(out == images, axis=(1, 2, 3))
    assert abs(changed.mean() - AUGMENT_FRACTION) < 0.08
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 255.0
    # Mild: an augmented bar stays about where it was (shift ±5%, rotation ±5°, zoom ±5%).
    for i in np.nonzero(changed)[0][:20]:
        ys, xs = np.nonzero(images[i, ..., 0])
        ys2, xs2 = np.nonzero(out[i, ..., 0] > 60)
        assert abs(xs.mean() - xs2.mean()) < 3.5 and abs(ys.mean() - ys2.mean()) < 3.5


def test_a_stop_during_validation_keeps_the_finished_epoch_and_starts_no_other(small_mnist):
    config = TrainConfig(epochs=3, batch_size=64, augment=False)
    steps = math.ceil(len(small_mnist.x_train) / config.batch_size)
    calls, epochs = [0], []

    def should_stop():  # polled after every training batch, then before each validation batch
        calls[0] += 1
        return calls[0] > steps

    result = run_training(config, data=small_mnist, should_stop=should_stop, on_epoch=epochs.append,
                          evaluate=False)
    assert result.stopped and result.epochs_completed == 1
    assert [e["complete"] for e in epochs] == [True]
    assert len(result.history["loss"]) == len(result.history["val_loss"]) == 1



def test_colour_photos_are_cropped_and_flipped_not_restroked():
    """The CIFAR recipe: every image shifted by at most 4 px (black filling in) and
    flipped left-right about half the time; the same seed, the same batch."""
    import tensorflow as tf

    from core.data.augment import crop_and_flip_batch

    rng = np.random.default_rng(0)
    images = tf.constant(rng.integers(1, 256, (64, 32, 32, 3)).astype("float32"))
    out = crop_and_flip_batch(images, tf.constant([3, 4], tf.int64)).numpy()
    again = crop_and_flip_batch(images, tf.constant([3, 4], tf.int64)).numpy()
    assert np.array_equal(out, again) and out.shape == images.shape
    flipped = 0
    for original, new in zip(images.numpy(), out):
        found = False
        for flip in (False, True):
            src = original[:, ::-1] if flip else original
            for dy in range(-4, 5):
                for dx in range(-4, 5):
                    shifted = np.zeros_like(src)
                    ys, xs = slice(max(0, dy), 32 + min(0, dy)), slice(max(0, dx), 32 + min(0, dx))
                    yt, xt = slice(max(0, -dy), 32 + min(0, -dy)), slice(max(0, -dx), 32 + min(0, -dx))
                    shifted[yt, xt] = src[ys, xs]
                    if np.array_equal(shifted, new):
                        found, flipped = True, flipped + flip
                        break
                if found:
                    break
            if found:
                break
        assert found  # a crop of the padded image, flipped or not
    assert 16 <= flipped <= 48
    assert TrainConfig.for_arch("resnet18", dataset="cifar10").augment
