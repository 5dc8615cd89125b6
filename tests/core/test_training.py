import dataclasses
import math

import numpy as np
import pytest

from core.models.registry import build_model
from core.training.config import SettingsError, TrainConfig
from core.training.loop import run_training, train_model


def test_defaults_come_from_the_architecture():
    config = TrainConfig.for_arch("mlp")
    assert (config.optimizer, config.learning_rate, config.batch_size, config.epochs) == ("adam", 1e-3, 128, 10)
    assert TrainConfig.for_arch("lenet5", epochs=7, batch_size=None).epochs == 7
    assert TrainConfig.for_arch("lenet5").errors() == {}


@pytest.mark.parametrize("field,value", [
    ("epochs", 0), ("epochs", -3), ("epochs", 2.5), ("epochs", "three"), ("epochs", 10**9),
    ("batch_size", 0), ("batch_size", True), ("learning_rate", 0.0), ("learning_rate", -1e-3),
    ("learning_rate", math.nan), ("learning_rate", math.inf), ("learning_rate", 1e6),
    ("learning_rate", "fast"), ("optimizer", "adamw2"), ("schedule", "zigzag"),
    ("val_split", 0.7), ("val_split", math.nan), ("limit", 0), ("seed", -1),
    ("arch", "lenet6"), ("dataset", "cifar1000"),
])
def test_bad_settings_are_refused_before_training(field, value):
    config = TrainConfig(**{field: value})
    assert field in config.errors()
    with pytest.raises(SettingsError) as info:
        config.validate()
    assert field in info.value.errors


def test_one_short_epoch_reports_progress_and_snapshots(small_mnist):
    batches, epochs, snapshots = [], [], []
    config = TrainConfig.for_arch("lenet5", epochs=1, batch_size=32)
    model = build_model("lenet5")
    result = train_model(model, small_mnist, config, on_batch=batches.append, on_epoch=epochs.append,
                         on_snapshot=snapshots.append, report_interval=0.0)
    assert len(batches) == math.ceil(512 / 32)  # interval 0: every batch is reported
    assert batches[-1]["batch"] == batches[-1]["batches"] and batches[-1]["progress"] == pytest.approx(1.0)
    assert all(set(b) >= {"loss", "accuracy", "images_per_second"} for b in batches)
    assert len(epochs) == 1 and epochs[0]["complete"]
    assert set(epochs[0]) >= {"loss", "accuracy", "val_loss", "val_accuracy", "images_per_second"}
    assert len(snapshots) == 1 and len(snapshots[0]) == len(model.get_weights())
    assert result.epochs_completed == 1 and not result.stopped
    assert result.history["val_accuracy"] == [epochs[0]["val_accuracy"]]


def test_reports_are_throttled(small_mnist):
    batches = []
    config = TrainConfig.for_arch("lenet5", epochs=1, batch_size=8)
    train_model(build_model("lenet5"), small_mnist, config, on_batch=batches.append, report_interval=60.0)
    # 64 batches, but only the first report and the end of the epoch get through
    assert len(batches) <= 2 and batches[-1]["batch"] == 64


def test_stop_flag_ends_training_within_a_batch(small_mnist):
    polls = []

    def should_stop():
        polls.append(1)
        return len(polls) >= 3

    epochs = []
    config = TrainConfig.for_arch("lenet5", epochs=5, batch_size=8)
    result = train_model(build_model("lenet5"), small_mnist, config, on_epoch=epochs.append,
                         should_stop=should_stop)
    # polled once per batch: stopped at the third batch; validation is cut short too
    assert result.stopped and result.epochs_completed == 0
    assert len(epochs) == 1 and not epochs[0]["complete"]
    assert sum(polls) <= 5


def test_run_training_measures_the_test_set(small_mnist):
    result = run_training(TrainConfig.for_arch("mlp", epochs=1), data=small_mnist)
    assert 0.0 <= result.test_accuracy <= 1.0 and result.test_loss > 0
    assert result.images_per_second > 0
    summary = result.summary_dict()
    assert summary["arch"] == "mlp" and summary["epochs"] == 1


def test_diverging_training_is_stopped_with_advice(small_mnist):
    from core.training.loop import TrainingDiverged

    # huge pixel values and steps overflow the loss within a few batches
    data = dataclasses.replace(small_mnist, x_train=small_mnist.x_train.astype(np.float32) * 1e4)
    config = TrainConfig.for_arch("mlp", epochs=2, optimizer="sgd", learning_rate=10.0, schedule="constant")
    with pytest.raises(TrainingDiverged, match="lower learning rate"):
        train_model(build_model("mlp"), data, config, report_interval=0.0)


def test_every_pipeline_training_reads_runs_without_autotuning(small_mnist, tmp_path):
    """An autotuned pipeline's iterator waits for its tuning thread when deleted, for up
    to many seconds, holding the interpreter lock: the garbage collector froze the window
    so. Training (plain and augmented), validation and evaluation read untuned pipelines."""
    from core.data.augment import augmented_batches
    from core.data.folder_stream import StreamedImages
    from core.runtime.device import load_tensorflow
    from tests.folders import write_image_folder

    load_tensorflow()
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    x, y = small_mnist.x_train[:64], small_mnist.y_train[:64]
    plain = ArrayDataAdapter(x, y, batch_size=32, shuffle=True).get_tf_dataset()  # fit, evaluate, predict
    augmented = augmented_batches(x.astype(np.float32), y, 32, seed=0)
    files = sorted(write_image_folder(tmp_path, per_class=2).rglob("*.*"))
    streamed = StreamedImages(files, (48, 48, 3)).batches(np.zeros(len(files), np.int64), 2, seed=0)
    for ds in (plain, augmented, streamed):
        assert ds.options().autotune.enabled is False
