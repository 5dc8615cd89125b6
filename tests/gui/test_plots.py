"""The training curves' redraw policy."""

from gui.tabs.plots import TrainingPlots


def test_a_new_run_with_the_same_axes_reuses_the_background(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(700, 500)
    plots.show()
    plots.start(2, 1e-3)
    assert plots.full_redraws == 1 and not plots.hint.get_visible()
    plots.add_batch({"epoch": 0, "batch": 5, "batches": 10, "loss": 0.5, "accuracy": 0.9, "learning_rate": 1e-3})
    plots.stop()
    assert len(plots.line_train_loss.get_xdata()) == 1
    plots.start(2, 1e-3)  # same epochs and rate: no full redraw (it takes 60-300 ms)
    assert plots.full_redraws == 1 and plots.train_x == []
    plots.start(4, 1e-3)  # other axes: drawn again
    assert plots.full_redraws == 2
    plots.stop()
    assert not plots.timer.isActive()
