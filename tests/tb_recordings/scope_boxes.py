"""The boxes TensorBoard's graph view draws for a list of node names (no TF, no tensorboard).

TensorBoard groups graph nodes by their ``/``-separated names: every name prefix that has a
node beneath it is a box (a "name scope" node), and a node with nothing beneath it is a leaf.
Shared by ``record_demo_graph.py`` (run on TensorFlow's GraphDef) and
``tests/test_tb_tf_graph.py`` (run on scopejax's), so both sides are measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable


def scope_boxes(names: Iterable[str]) -> dict:
    """``{"top_boxes", "top_ops", "second_level"}`` of node ``names``.

    ``top_boxes``: the first path components with nodes beneath them; ``top_ops``: the
    top-level nodes that are not boxes; ``second_level[box]``: the boxes directly inside
    ``box`` (second components with nodes beneath them). All sorted.
    """
    names = list(names)
    top_boxes = sorted({n.split("/")[0] for n in names if "/" in n})
    top_ops = sorted({n for n in names if "/" not in n} - set(top_boxes))
    second: dict[str, set[str]] = {b: set() for b in top_boxes}
    for n in names:
        parts = n.split("/")
        if len(parts) >= 3:
            second[parts[0]].add(parts[1])
    return {
        "top_boxes": top_boxes,
        "top_ops": top_ops,
        "second_level": {b: sorted(c) for b, c in second.items()},
    }
