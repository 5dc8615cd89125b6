"""The Map tab: the test set placed by the network's last hidden layer, hover and click on
a point, and the drawing's star moving as one draws (real mouse events)."""

import numpy as np
from PySide6.QtCore import QPoint

from core.inspect.embedding import separation
from tests.gui.userpath import click, click_button, draw_digit_on, open_tab


def on_screen(view, xy) -> QPoint:
    """Where a point of the map is on the plot widget."""
    view.plot.draw()
    x, y = view.axes.transData.transform(xy)
    ratio = view.plot.device_pixel_ratio
    return QPoint(int(round(x / ratio)), int(round(view.plot.height() - y / ratio)))


def test_the_map_clusters_the_classes_and_places_the_drawing(window, qtbot):
    view = open_tab(qtbot, window.tabs, "Map")
    qtbot.waitUntil(lambda: view.result is not None, timeout=60_000)
    result = view.result
    assert len(result["points"]) == 2000 and not view.progress.isVisible()
    assert separation(result["points"], result["labels"]) > 0.65  # each class is a cluster
    assert [t.get_text() for t in view.axes.get_legend().get_texts()] == [str(d) for d in range(10)]
    assert "placed by <b>fc2</b>" in view.note.text()
    # A drawn 7 is a star among the 7s (two dimensions cannot keep every pair of classes apart:
    # it must lie within the 7s' own spread of their centre).
    draw_digit_on(window.canvas, "7")
    qtbot.waitUntil(lambda: view.drawing_point is not None, timeout=10_000)
    sevens = result["points"][result["labels"] == 7]
    spread = np.linalg.norm(sevens - sevens.mean(axis=0), axis=1)
    assert np.linalg.norm(view.drawing_point - sevens.mean(axis=0)) < np.percentile(spread, 90)
    assert list(view.star.get_xdata()) == [view.drawing_point[0]]
    # Hovering a point shows its image; clicking it explains the reading.
    k = int(np.argmax(result["labels"] == 3))
    qtbot.mouseMove(view.plot, on_screen(view, result["points"][k]))
    qtbot.waitUntil(lambda: view.hover_index is not None, timeout=5_000)
    assert view.hovered.pixmap() is not None and not view.hovered.pixmap().isNull()
    k = view.hover_index
    assert f"Test image #{result['indices'][k]}" in view.note.text()
    click(qtbot, view.plot, pos=on_screen(view, result["points"][k]))
    qtbot.waitUntil(lambda: getattr(window, "image_explanation", None) is not None
                    and window.image_explanation.heat is not None, timeout=10_000)
    assert f"Test image #{result['indices'][k]}" in window.image_explanation.note.text()
    click_button(qtbot, window.image_explanation, "Close")
    # Clearing the canvas takes the star away.
    click_button(qtbot, window, "Clear")
    qtbot.waitUntil(lambda: view.drawing_point is None, timeout=5_000)
    assert list(view.star.get_xdata()) == []
