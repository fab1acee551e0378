"""sj.summary.scope_tree: ops and parameters per scope, as text, SVG and HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj


def _model(x):
    with sj.variable_scope("model"):
        with sj.name_scope("block"):
            h = jax.nn.relu(sj.layers.dense(x, 4, name="l1"))
        return sj.layers.dense(h, 2, name="l2")


@pytest.fixture(scope="module")
def tree():
    net = sj.transform(_model)
    x = jnp.ones([1, 3])
    store = net.init(jax.random.key(0), x)
    return sj.summary.scope_tree(net.apply, store, x)


def test_name_scope_holds_ops_and_variable_scope_holds_variables(tree):
    assert list(tree.root.children) == ["model"]
    assert set(tree["model"].children) == {"block", "l1", "l2"}
    # name_scope("block") renamed the ops of l1, not its variables
    assert tree["model/block/l1"].total_ops == 3  # dot_general, broadcast_in_dim, add
    assert tree["model/block/l1"].total_params == 0
    assert tree["model/block/relu"].total_ops == 1
    assert tree["model/l1"].total_ops == 0
    assert tree["model/l1"].total_params == 3 * 4 + 4
    assert tree["model/l1"].total_nbytes == 16 * 4
    assert sorted(tree["model/l1"].variables) == [
        ("bias", (4,), "float32"),
        ("kernel", (3, 4), "float32"),
    ]
    assert (tree["model/l2"].total_ops, tree["model/l2"].total_params) == (3, 4 * 2 + 2)
    assert tree["model"].total_ops == 7
    assert tree["model"].total_nbytes == 26 * 4
    assert tree["model"].params == 0  # its own: all of its variables are in l1 and l2
    with pytest.raises(KeyError, match="model/nope"):
        tree["model/nope"]


def test_text_tree(tree):
    text = str(tree)
    assert text.splitlines()[0] == "scope tree: ops 7  params 26 (104 B)"
    assert "├── block  ops 4  params 0 (0 B)  [ops only]" in text
    assert "l1  ops 0  params 16 (64 B)  [variables only]" in text
    assert "· kernel float32[3, 4]" in text
    assert repr(tree) == text


SVG = "{http://www.w3.org/2000/svg}"


def _share_bars(svg) -> list[float]:
    """Widths of the coloured bars (not their grey backgrounds), in document order."""
    return [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("fill") != "#eee"]


def test_svg_is_valid_xml_with_every_line_and_share_bars(tree):
    assert tree._repr_svg_() == tree.svg()
    svg = ET.fromstring(tree.svg())
    assert svg.tag == f"{SVG}svg"
    texts = [t.text for t in svg.iter(f"{SVG}text") if t.get("x") == "8"]
    assert texts == str(tree).splitlines()
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("x") != "8"]
    assert legend == ["ops", "bytes"]  # the bars' column heads
    bars = _share_bars(svg)
    # rows in the text's order, each with its share of the ops and of the bytes (a zero
    # share draws no bar): the root and model 7/7 ops, 104/104 B; block 4 ops; block/l1 3;
    # block/relu 1; l2 3 ops and 40 B; l1 64 B
    want = [80, 80, 80, 80, 80 * 4 / 7, 80 * 3 / 7, 80 / 7, 80 * 3 / 7, 80 * 40 / 104]
    want.append(80 * 64 / 104)
    assert bars == pytest.approx(want, abs=0.06)


def test_html_is_collapsible_details_with_inline_bars(tree):
    assert tree._repr_html_() == tree.html()  # what Jupyter shows
    page = ET.fromstring(tree.html())
    details = list(page.iter("details"))
    assert len(details) == 6  # model, block, block/l1, block/relu, l2, l1
    assert details[0].find("summary").text.startswith("model  ops 7")
    # two levels open (model and its children); deeper ones start folded
    assert [d.get("open") is not None for d in details] == [True, True, False, False, True, True]
    l1 = details[5].find("summary")
    assert l1.text.startswith("l1  ops 0  params 16")
    (bars,) = l1.findall(f"{SVG}svg")
    assert _share_bars(bars) == pytest.approx([80 * 64 / 104], abs=0.06)  # no ops: one bar


def test_kwargs_static_args_and_bytes_units():
    net = sj.transform(lambda x, scale=1.0: sj.layers.dense(x, 512, name="big") * scale)
    x = jnp.ones([2, 512])
    store = net.init(jax.random.key(0), x)
    tree = sj.summary.scope_tree(net.apply, store, x=x, scale=2.0)
    assert tree["big"].total_params == 512 * 512 + 512
    assert "big  ops 3  params 262,656 (1.1 MB)" in str(tree)  # as store.summary() counts
