"""The Diagram's graph: chains of a block in one box, branches side by side, skips as edges."""

from core.models.diagram_layout import diagram_layout
from core.models.registry import build_model
from core.models.summary import summarize


def layout(arch):
    return diagram_layout(summarize(build_model(arch, None, 10, form="compact")).rows)


def test_a_chain_network_is_one_column_of_its_blocks():
    nodes, edges = layout("vgg11")
    assert {node.lane for node in nodes} == {0} and edges == [(k - 1, k) for k in range(1, len(nodes))]
    assert nodes[2].title == "block1: conv1 → pool" and nodes[2].kinds[0] == "Conv2D"


def test_residual_units_and_inception_branches_are_drawn_as_a_graph():
    nodes, edges = layout("resnet18")
    titles = [node.title for node in nodes]
    main, add = titles.index("stage1_unit1: conv1 → bn2"), titles.index("stage1_unit1: add → out")
    stem = titles.index("stem: conv → pool")
    assert (stem, add) in edges and (main, add) in edges  # the identity skip, and the main path
    assert nodes[add].row - nodes[stem].row == 2 and nodes[add].lane == nodes[stem].lane
    proj = titles.index("stage2_unit1: proj")
    assert nodes[proj].lane == 1 and nodes[proj].row == nodes[titles.index("stage2_unit1: conv1 → bn2")].row
    nodes, edges = layout("googlenet")
    branches = [node for node in nodes if node.block == "inception3a" and "concat" not in node.title]
    assert len(branches) == 4 and {node.row for node in branches} == {branches[0].row}
    assert sorted(node.lane for node in branches) == [0, 1, 2, 3]
    concat = next(k for k, node in enumerate(nodes) if node.title == "inception3a: concat")
    assert len(nodes[concat].parents) == 4 and nodes[concat].lane == 0
