"""Where the Diagram tab draws each part of a network: a graph, not a list. A chain of
layers within one block (a VGG block, a residual unit's main path, an Inception branch)
is one box; parallel branches stand side by side, and a skip connection is an edge that
passes the boxes it skips.

    nodes, edges = diagram_layout(summarize(model).rows)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DiagramNode:
    """One box: its layers (names, in order), where it stands (``row`` from the top,
    ``lane`` from the left) and what it shows."""

    layers: list[str]
    kinds: list[str]
    block: str | None
    params: int
    output_shape: tuple
    row: int = 0
    lane: int = 0
    parents: list[int] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.block is None:
            return self.layers[-1] if len(self.layers) == 1 else f"{self.layers[0]} → {self.layers[-1]}"
        short = [name[len(self.block) + 1:] if name.startswith(self.block + "_") else name for name in self.layers]
        return f"{self.block}: {short[0]}" + (f" → {short[-1]}" if len(short) > 1 else "")


def diagram_layout(rows) -> tuple[list[DiagramNode], list[tuple[int, int]]]:
    """The boxes of a summary's rows (:class:`core.models.summary.LayerRow`, with their
    ``inputs``) and the edges between them, (parent, child) by index.

    A layer joins the box of its input when it has that one input, the input feeds only
    it, and both are in the same block. Boxes are layered by their longest path from the
    input; a box takes its first parent's lane when no sibling took it, else the next free
    lane; a merge (Add, Concatenate) takes its parents' leftmost lane.
    """
    consumers: dict[str, int] = {}
    for row in rows:
        for name in row.inputs:
            consumers[name] = consumers.get(name, 0) + 1
    nodes: list[DiagramNode] = []
    node_of: dict[str, int] = {}
    for row in rows:
        source = row.inputs[0] if len(row.inputs) == 1 else None
        if source is not None and source in node_of:
            tail = nodes[node_of[source]]
            if tail.layers[-1] == source and consumers.get(source) == 1 and row.block is not None \
                    and tail.block == row.block:
                tail.layers.append(row.name)
                tail.kinds.append(row.type)
                tail.params += row.params
                tail.output_shape = row.output_shape
                node_of[row.name] = node_of[source]
                continue
        parents = sorted({node_of[name] for name in row.inputs if name in node_of})
        nodes.append(DiagramNode([row.name], [row.type], row.block, row.params, row.output_shape, parents=parents))
        node_of[row.name] = len(nodes) - 1
    taken: set[tuple[int, int]] = set()
    lane_used_by_child: set[int] = set()  # parents whose lane a child has taken
    for k, node in enumerate(nodes):
        if not node.parents:
            node.row, wanted = (0 if k == 0 else nodes[k - 1].row + 1), 0
        else:
            node.row = max(nodes[p].row for p in node.parents) + 1
            if len(node.parents) > 1:
                wanted = min(nodes[p].lane for p in node.parents)
            else:
                parent = node.parents[0]
                wanted = nodes[parent].lane if parent not in lane_used_by_child else nodes[parent].lane + 1
                lane_used_by_child.add(parent)
        lane = wanted
        while (node.row, lane) in taken:
            lane += 1
        node.lane = lane
        taken.add((node.row, lane))
    edges = [(p, k) for k, node in enumerate(nodes) for p in node.parents]
    return nodes, edges
