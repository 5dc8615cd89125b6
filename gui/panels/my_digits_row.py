"""Under the canvas: "This is a 0 1 … 9" to label the drawing for My digits, how many
drawings each digit has, and Teach… to fine-tune the canvas's model on them
(:mod:`core.data.my_digits`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from core.data.my_digits import DIGITS, availability, counts


class MyDigitsRow(QWidget):
    """Signals:
        labelled(str): the user says the drawing is this digit.
        teach_requested(): fine-tune the canvas's model on My digits.
    """

    labelled = Signal(str)
    teach_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.digit_buttons = {}
        self.training = False
        row = QHBoxLayout()
        row.setSpacing(2)
        row.addWidget(QLabel("This is a"))
        for d in DIGITS:
            b = QToolButton()
            b.setText(d)
            b.setAccessibleName(f"This is a {d}")
            b.setToolTip(f"Save the drawing as a {d} in My digits, then clear the canvas (or press {d} "
                         "while the canvas has the focus).")
            b.setAutoRaise(False)
            b.setFixedWidth(22)
            b.clicked.connect(lambda _checked=False, digit=d: self.labelled.emit(digit))
            self.digit_buttons[d] = b
            row.addWidget(b)
        row.addStretch(1)
        self.teach_button = QPushButton("Teach…")
        self.teach_button.setToolTip("Fine-tune the canvas's model on My digits (mixed with MNIST, so it "
                                     "keeps reading everyone): a few seconds.")
        self.teach_button.clicked.connect(self.teach_requested)
        self.counts_label = QLabel("")
        self.counts_label.setWordWrap(True)
        self.counts_label.setStyleSheet("color: #888;")  # readable on light and dark
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.counts_label, 1)
        bottom.addWidget(self.teach_button)
        layout.addLayout(bottom)
        self.refresh()

    def set_training(self, training: bool) -> None:
        """No second run can start while one trains."""
        self.training = training
        self.refresh()

    def refresh(self) -> None:
        """Shows how many drawings each digit has; Teach… needs enough of them."""
        n = counts()
        total = sum(n.values())
        if total:
            self.counts_label.setText(f"My digits: {total} — " + "  ".join(f"{d}:{n[d]}" for d in DIGITS))
        else:
            self.counts_label.setText("My digits: none yet. Draw, then click the digit it is.")
        problem = availability()
        self.teach_button.setEnabled(problem is None and not self.training)
        self.teach_button.setToolTip(problem or "Fine-tune the canvas's model on My digits (mixed with MNIST, "
                                                "so it keeps reading everyone): a few seconds.")
