"""Driving the window as a person does: widgets found by the text they show, real clicks,
keys and typing; dialogs answered only at the QFileDialog / QMessageBox boundary."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QFileDialog,
                               QInputDialog, QLabel, QLineEdit, QMessageBox, QTabWidget, QWidget)

from tests.digits import DIGIT_STROKES

LEFT = Qt.MouseButton.LeftButton


def plain(text: str) -> str:
    """A caption as read: without its '&' mnemonic marks and the '…' of dialogs."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "").strip()


def button(root: QWidget, text: str) -> QAbstractButton:
    """The one visible button showing ``text`` (or named so for screen readers)."""
    found = [b for b in root.findChildren(QAbstractButton)
             if b.isVisible() and text in (plain(b.text()), b.accessibleName())]
    assert len(found) == 1, f"{len(found)} visible buttons read {text!r}"
    return found[0]


def click(qtbot, widget: QWidget, modifier=Qt.KeyboardModifier.NoModifier, pos: QPoint | None = None) -> None:
    assert widget.isVisible(), f"{widget!r} is not visible"
    qtbot.mouseClick(widget, LEFT, modifier, pos if pos is not None else widget.rect().center())


def click_button(qtbot, root: QWidget, text: str) -> QAbstractButton:
    b = button(root, text)
    assert b.isEnabled(), f"the button {text!r} is disabled"
    click(qtbot, b)
    return b


def menu_action(window, path: str) -> QAction:
    """The menu item at ``path``, e.g. "Train > Start" or "View > Theme > Dark"."""
    names = [plain(p) for p in path.split(">")]
    actions = window.menuBar().actions()
    for name in names:
        action = next((a for a in actions if plain(a.text()) == name), None)
        if action is None:
            raise AssertionError(f"no menu item {path!r}")
        actions = action.menu().actions() if action.menu() is not None else []
    return action


def trigger(window, path: str) -> None:
    action = menu_action(window, path)
    assert action.isEnabled(), f"{path!r} is disabled"
    action.trigger()


def field(root: QWidget, caption: str) -> QWidget:
    """The field a visible label ``caption`` stands for (its buddy)."""
    found = [label.buddy() for label in root.findChildren(QLabel)
             if plain(label.text()) == caption and label.buddy() is not None]
    assert len(found) == 1, f"{len(found)} fields are labelled {caption!r}"
    return found[0]


def type_into(qtbot, widget: QWidget, text: str, enter: bool = False) -> None:
    """Replaces the field's text by typing ``text`` (Ctrl+A, then the keys)."""
    target = widget.lineEdit() if isinstance(widget, (QAbstractSpinBox, QComboBox)) else widget
    assert isinstance(target, QLineEdit), f"cannot type into {widget!r}"
    widget.setFocus()
    qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(target, text)
    else:
        qtbot.keyClick(target, Qt.Key.Key_Delete)
    if enter:
        qtbot.keyClick(target, Qt.Key.Key_Return)
    elif isinstance(widget, QAbstractSpinBox):
        widget.interpretText()


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Opens the combo box's list and clicks the entry ``text``."""
    assert combo.isEnabled(), f"the list showing {combo.currentText()!r} is disabled"
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.showPopup()
    view = combo.view()
    model_index = view.model().index(index, combo.modelColumn(), view.rootIndex())
    view.scrollTo(model_index)
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.visualRect(model_index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=2_000)
    assert combo.currentIndex() == index


def row_of(view, name):
    """The row of the Models tab that shows the run ``name``."""
    return next(r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data() == name)


def click_row(qtbot, view, name, modifier=Qt.KeyboardModifier.NoModifier):
    """Clicks the run ``name`` in the Models tab (with a modifier: Ctrl, Shift)."""
    rect = view.table.visualRect(view.proxy.index(row_of(view, name), 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def quick_settings(qtbot, window, epochs="1", images="1500", batch="64"):
    """Types a short run into the panel: few epochs on the first images of MNIST."""
    panel = window.settings
    type_into(qtbot, field(panel, "Epochs"), epochs)
    type_into(qtbot, field(panel, "Batch size"), batch)
    if not panel.advanced.isVisible():
        click(qtbot, button(panel, "More settings"))
    type_into(qtbot, field(panel, "Training images"), images)
    assert panel.check(), panel.errors()


def entries(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def open_tab(qtbot, tabs: QTabWidget, text: str) -> QWidget:
    """Clicks the tab ``text``."""
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if plain(tabs.tabText(i)) == text)
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index
    return tabs.widget(index)


def key(qtbot, widget: QWidget, sequence: str) -> None:
    """Presses a shortcut such as "Ctrl+Shift+C" with the focus in ``widget``'s window."""
    *mods, name = sequence.split("+") if sequence != "+" else ["+"]
    modifiers = Qt.KeyboardModifier.NoModifier
    for m in mods:
        modifiers |= {"Ctrl": Qt.KeyboardModifier.ControlModifier, "Shift": Qt.KeyboardModifier.ShiftModifier,
                      "Alt": Qt.KeyboardModifier.AltModifier}[m]
    keys = {"Enter": Qt.Key.Key_Return, "Esc": Qt.Key.Key_Escape, "Delete": Qt.Key.Key_Delete,
            "F2": Qt.Key.Key_F2, "F5": Qt.Key.Key_F5, "[": Qt.Key.Key_BracketLeft, "]": Qt.Key.Key_BracketRight,
            "/": Qt.Key.Key_Slash}
    code = keys.get(name) or getattr(Qt.Key, f"Key_{name.upper()}")
    top = widget.window()
    if QApplication.activeWindow() is not top:  # shortcuts go to the active window, as on a desktop
        top.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is top, timeout=2_000)
    qtbot.keyClick(widget, code, modifiers)


class Dialogs:
    """Answers the file and message dialogs the window opens, and remembers what they asked.

    Set ``save``, ``open``, ``folder`` (paths, or None for Cancel), ``question`` (a
    ``QMessageBox.StandardButton``), ``text`` (a name, or None for Cancel), ``item`` (the
    entry to pick in a list the window offers, or None for Cancel) and ``choice``
    (the text of the button to press in a question box the window ``exec``s).
    """

    def __init__(self, monkeypatch):
        self.asked: list[tuple[str, str]] = []
        self.save = self.open = self.folder = self.text = self.choice = self.item = None
        self.question = QMessageBox.StandardButton.Yes
        self.abouts: list[str] = []
        answer = self

        def get_save(parent, title, start="", filters="", *args, **kwargs):
            answer.asked.append(("save", title, start))
            return (answer.save or "", filters)

        def get_open(parent, title, start="", filters="", *args, **kwargs):
            answer.asked.append(("open", title, start))
            return (answer.open or "", filters)

        def get_folder(parent, title, start="", *args, **kwargs):
            answer.asked.append(("folder", title, start))
            return answer.folder or ""

        def question(parent, title, text, *args, **kwargs):
            answer.asked.append(("question", title, text))
            return answer.question

        def get_text(parent, title, label, *args, **kwargs):
            answer.asked.append(("text", title, label))
            return (answer.text or "", answer.text is not None)

        def get_item(parent, title, label, items, *args, **kwargs):
            answer.asked.append(("item", title, label))
            assert answer.item is None or answer.item in items, f"{answer.item!r} is not offered: {items}"
            return (answer.item or "", answer.item is not None)

        def exec_box(box):
            answer.asked.append(("choice", box.windowTitle(), box.text()))
            chosen = next(b for b in box.buttons() if plain(b.text()) == answer.choice)
            chosen.click()
            return 0

        def about(parent, title, text):
            answer.abouts.append(text)

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(get_folder))
        monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
        monkeypatch.setattr(QMessageBox, "exec", exec_box)
        monkeypatch.setattr(QMessageBox, "about", staticmethod(about))
        monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
        monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))


def message_boxes(window) -> list[str]:
    """The texts of the message boxes the window shows now."""
    return [w.text() for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and (w.parent() is window)]


def mouse(widget, kind, point, button, buttons):
    event = QMouseEvent(kind, QPointF(*point), widget.mapToGlobal(QPointF(*point)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def draw_strokes(canvas, strokes, steps=8):
    """Draws with real mouse events: press, moves with the left button held, release."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for stroke in strokes:
        mouse(canvas, QEvent.Type.MouseButtonPress, stroke[0], left, left)
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in range(1, steps + 1):
                point = (x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps)
                mouse(canvas, QEvent.Type.MouseMove, point, none, left)
        mouse(canvas, QEvent.Type.MouseButtonRelease, stroke[-1], left, none)


def draw_digit_on(canvas, digit):
    draw_strokes(canvas, DIGIT_STROKES[digit])


def open_window(qtbot):
    """A main window as the program opens it: TensorFlow loaded (in the engine thread) and
    a model ready for the canvas, shown."""
    from gui.main_window import MainWindow

    window = MainWindow(start_engine=False)
    qtbot.addWidget(window)
    # Engine signals come from another thread: wait on the window's state, not on them.
    window.start_engine()
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=60_000)
    window.show()
    return window


def combo(root: QWidget, name: str) -> QComboBox:
    """The one visible list named ``name`` for screen readers (the caption a label beside
    it would show)."""
    found = [c for c in root.findChildren(QComboBox) if c.isVisible() and c.accessibleName() == name]
    assert len(found) == 1, f"{len(found)} visible lists are named {name!r}"
    return found[0]
