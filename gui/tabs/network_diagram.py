"""The Diagram tab's drawing: the network as a graph of boxes (see
:func:`core.models.diagram_layout.diagram_layout`), branches side by side, skips drawn
past the boxes they skip."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from core.models.diagram_layout import DiagramNode, diagram_layout
from core.models.summary import ModelSummary, format_count, format_shape

BLOCK_COLOURS = {"block": "#deebf7", "inception": "#e5f5e0", "stage": "#fee6ce", "aux": "#f2f0f7",
                 "stem": "#fde0dd"}
#: Short names of the layer kinds shown in a box.
SHORT = {"BatchNormalization": "BN", "Activation": "act", "MaxPooling2D": "MaxPool", "AveragePooling2D": "AvgPool",
         "GlobalAveragePooling2D": "GAP", "Concatenate": "Concat"}


def block_colour(block: str | None) -> str:
    """The colour of a block's boxes (a layer outside blocks: light grey)."""
    return next((c for k, c in BLOCK_COLOURS.items() if (block or "").startswith(k)), "#f7f7f7")


class NetworkDiagram(QWidget):
    """Boxes from input (top) to output (bottom): a block's chain of layers is one box, in
    its block's colour, with the shape it outputs; parallel branches side by side."""

    BOX_W, BOX_H, GAP, LANE_GAP, MARGIN = 230, 50, 16, 34, 10

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[DiagramNode] = []
        self.edges: list[tuple[int, int]] = []
        self.setToolTip("The network from input (top) to output (bottom): blocks in colour, branches side by "
                        "side, skip connections drawn past the layers they skip; each box shows its output shape.")

    def set_summary(self, summary: ModelSummary | None) -> None:
        self.items, self.edges = diagram_layout(summary.rows) if summary is not None else ([], [])
        self.resize(self.sizeHint())
        self.update()

    def sizeHint(self) -> QSize:
        lanes = 1 + max((n.lane for n in self.items), default=0)
        rows = 1 + max((n.row for n in self.items), default=-1)
        return QSize(2 * self.MARGIN + lanes * (self.BOX_W + self.LANE_GAP), 2 * self.MARGIN + rows * (self.BOX_H + self.GAP))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def box(self, node: DiagramNode) -> QRectF:
        return QRectF(self.MARGIN + node.lane * (self.BOX_W + self.LANE_GAP),
                      self.MARGIN + node.row * (self.BOX_H + self.GAP), self.BOX_W, self.BOX_H)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        grey = QColor("#777777")
        painter.setPen(QPen(grey, 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for parent, child in self.edges:
            self._edge(painter, self.box(self.items[parent]), self.box(self.items[child]),
                       self.items[child].row - self.items[parent].row > 1 and
                       self.items[child].lane == self.items[parent].lane)
        for node in self.items:
            self._node(painter, node)
        painter.end()

    def _edge(self, painter: QPainter, start: QRectF, end: QRectF, skip: bool) -> None:
        path = QPainterPath()
        if skip:  # around the boxes it skips, on their right (leaving low, arriving high: two
            # skips in a row do not join into one line)
            x = start.right() + self.LANE_GAP / 2
            leave, arrive = start.top() + 0.75 * start.height(), end.top() + 0.25 * end.height()
            path.moveTo(start.right(), leave)
            path.lineTo(x, leave)
            path.lineTo(x, arrive)
            path.lineTo(end.right() + 4, arrive)
            tip, direction = QPointF(end.right(), arrive), QPointF(1, 0)
        else:
            a, b = QPointF(start.center().x(), start.bottom()), QPointF(end.center().x(), end.top())
            path.moveTo(a)
            middle = (a.y() + b.y()) / 2
            path.lineTo(a.x(), middle)
            path.lineTo(b.x(), middle)
            path.lineTo(b.x(), b.y() - 4)
            tip, direction = b, QPointF(0, -1)
        painter.drawPath(path)
        side = QPointF(direction.y(), direction.x()) * 4
        back = tip + direction * 6
        painter.drawLine(back + side, tip)
        painter.drawLine(back - side, tip)

    def _node(self, painter: QPainter, node: DiagramNode) -> None:
        rect = self.box(node)
        colour = block_colour(node.block)
        painter.setPen(QPen(QColor("#777777")))
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(QColor("#222222"))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        lines = rect.adjusted(8, 2, -8, -2)
        third = lines.height() / 3
        metrics = painter.fontMetrics()
        painter.drawText(QRectF(lines.left(), lines.top(), lines.width(), third), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(node.title, Qt.TextElideMode.ElideRight, int(lines.width())))
        font.setBold(False)
        painter.setFont(font)
        kinds = " → ".join(SHORT.get(k, k) for k in node.kinds)
        detail = kinds + (f" · {format_count(node.params)} params" if node.params else "")
        painter.drawText(QRectF(lines.left(), lines.top() + third, lines.width(), third), Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(detail, Qt.TextElideMode.ElideRight, int(lines.width())))
        painter.setPen(QColor("#555555"))
        painter.drawText(QRectF(lines.left(), lines.top() + 2 * third, lines.width(), third),
                         Qt.AlignmentFlag.AlignVCenter, format_shape(node.output_shape[1:]))
