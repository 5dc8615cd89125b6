"""Zero, negative, NaN, huge and non-numeric values for every hyperparameter: refused
with a message naming the setting, on the command line and in the window, before anything
trains."""

import math

import pytest

import main
from core.training.config import SettingsError, TrainConfig

BAD_TEXT = ["0", "-1", "nan", "inf", "1e30", "abc", ""]

#: Every numeric option of ``main.py train`` and the values of BAD_TEXT it must refuse
#: (the others are valid values for it, e.g. a seed of 0).
CLI_OPTIONS = {
    "--epochs": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
    "--batch-size": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
    "--lr": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
    "--momentum": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--weight-decay": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--warmup": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--early-stopping": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--val-split": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--seed": ["-1", "nan", "inf", "1e30", "abc", ""],
    "--limit": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
    "--worker-timeout": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
}
CLI_CASES = [(option, value) for option, values in CLI_OPTIONS.items() for value in values]


@pytest.mark.parametrize("option, value", CLI_CASES)
def test_the_command_line_refuses_each_bad_value(option, value, capsys):
    # --epochs 1 --limit 64: should a bad value ever pass, the run stays tiny.
    base = ["train", "mlp", "--epochs", "1", "--limit", "64", "--no-library"]
    if option in ("--epochs", "--limit"):
        base = ["train", "mlp", "--no-library"]
    if option == "--worker-timeout":
        base += ["--strategy", "multiworker", "--workers", "127.0.0.1:1,127.0.0.1:2"]
    try:
        code = main.main([*base, option, value])
    except SystemExit as e:  # argparse refuses a non-number itself
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, (option, value, err[-500:])
    name = option.lstrip("-")
    assert name in err or name.replace("-", "_") in err or "learning-rate" in err, err[-500:]
    assert "Traceback" not in err


#: Every numeric field of TrainConfig and values it must refuse.
CONFIG_CASES = [
    (name, value)
    for name, values in {
        "epochs": [0, -1, math.nan, 10**9, "5", 2.5],
        "batch_size": [0, -3, math.nan, 10**9, "big"],
        "learning_rate": [0, -0.1, math.nan, math.inf, 1e30, "fast"],
        "momentum": [-0.1, math.nan, math.inf, 1.0, "x"],
        "weight_decay": [-1, math.nan, math.inf, 1e30, "x"],
        "warmup": [-1, math.nan, 10**9, "x"],
        "early_stopping": [-1, math.nan, 10**9, "x"],
        "val_split": [-0.1, math.nan, math.inf, 0.9, "x"],
        "seed": [-1, math.nan, 2**40, "x"],
        "limit": [0, -5, math.nan, 10**12, "x"],
        "worker_timeout": [0, -1, math.nan, math.inf, 1e30, "x"],
    }.items()
    for value in values
]


@pytest.mark.parametrize("name, value", CONFIG_CASES)
def test_the_engine_refuses_each_bad_value_before_training(name, value):
    overrides = {name: value}
    if name == "worker_timeout":
        overrides.update(strategy="multiworker", workers=["127.0.0.1:1", "127.0.0.1:2"])
    config = TrainConfig(**overrides)
    with pytest.raises(SettingsError) as raised:
        config.validate()
    assert name in raised.value.errors and raised.value.errors[name]


@pytest.fixture(scope="module")
def panel(qapp):
    from gui.panels.settings_panel import SettingsPanel

    widget = SettingsPanel()
    widget.set_advanced_visible(True)
    widget.show()
    yield widget
    widget.close()
    widget.deleteLater()


WINDOW_TEXT_FIELDS = ["learning_rate", "momentum", "weight_decay", "val_split"]
WINDOW_BAD_TEXT = {
    "learning_rate": ["0", "-1", "nan", "inf", "1e30", "abc", ""],
    "momentum": ["-1", "nan", "inf", "1e30", "abc", ""],
    "weight_decay": ["-1", "nan", "inf", "1e30", "abc", ""],
    "val_split": ["-1", "nan", "inf", "1e30", "abc", ""],
}
WINDOW_CASES = [(f, v) for f in WINDOW_TEXT_FIELDS for v in WINDOW_BAD_TEXT[f]]


@pytest.mark.parametrize("field, text", WINDOW_CASES)
def test_the_window_marks_each_bad_value_and_refuses_to_start(panel, qtbot, field, text):
    edit = getattr(panel, field)
    good = edit.text()
    edit.clear()
    qtbot.keyClicks(edit, text)  # typed, as a user would
    label = panel.error_labels[field]
    assert label.isVisible() and label.text(), (field, text)
    assert field in panel.errors()
    edit.setText(good)
    assert not label.isVisible() and panel.errors() == {}


SPIN_FIELDS = ["epochs", "batch_size", "warmup", "early_stopping", "seed"]


@pytest.mark.parametrize("field", SPIN_FIELDS)
@pytest.mark.parametrize("text", ["-1", "abc", "nan", "99999999999999"])
def test_whole_number_boxes_cannot_take_bad_values(panel, qtbot, field, text):
    panel.reset_defaults()
    box = getattr(panel, field)
    box.selectAll()
    qtbot.keyClicks(box, text)
    box.interpretText()
    # A whole-number box keeps a whole number in its range; one that is still wrong with
    # the other settings (warm-up as long as the run) is marked.
    assert box.minimum() <= box.value() <= box.maximum()
    wrong = field in panel.errors()
    assert panel.error_labels[field].isVisible() == wrong
    assert bool(panel.error_labels[field].text()) == wrong
    panel.reset_defaults()


def test_the_window_refuses_bad_workers_and_a_start_with_bad_values(window, qtbot):
    panel = window.settings
    panel.strategy.setCurrentIndex(panel.strategy.findData("multiworker"))
    for text in ("", "host", "host:0", "host:99999", "a:1,a:1", "x:1;y:2"):
        panel.workers.setText(text)
        assert "workers" in panel.errors(), text
        assert not window.start_button.isEnabled()
        window.start_action.trigger()  # Train ▸ Start, as Ctrl+Enter does
        assert window.train_thread is None and "Fix the settings" in window.statusBar().currentMessage()
    panel.strategy.setCurrentIndex(panel.strategy.findData("default"))
    panel.learning_rate.setText("nan")
    window.start_action.trigger()
    assert window.train_thread is None and "Fix the settings" in window.statusBar().currentMessage()
    panel.learning_rate.setText("0.004")
    assert panel.errors() == {}
