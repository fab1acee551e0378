"""The demo CNN's TensorBoard graph has the boxes TF1's graph of the same model has.

``tests/tb_recordings/record_demo_graph.py`` wrote ``scopejax.demo.digits_loss(x, y,
training=False)`` (the graph ``python -m scopejax.demo --logdir`` writes) in
``tf.compat.v1`` graph mode and recorded its GraphDef's name-scope boxes with
``scope_boxes`` (TF 2.21, TF1 behaviour). Here the same function of ``scopejax.demo`` is
traced by ``sj.summary.graph_def`` and measured the same way. Every box that exists on one
side only is listed below with the reason, and must exist there, so a new difference fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj
from scopejax import demo

pytest.importorskip("tensorboard")

HERE = Path(__file__).parent / "tb_recordings"
sys.path.insert(0, str(HERE))
from scope_boxes import scope_boxes  # noqa: E402

sys.path.remove(str(HERE))

TF = json.loads((HERE / "demo_graph_scopes.json").read_text())

#: top-level boxes in TF1's forward graph only
TF_ONLY = {
    # TF's fused loss kernel opens its own name scope; the demo computes the same loss with
    # optax (whose jnp calls give the boxes in SJ_ONLY below)
    "SparseSoftmaxCrossEntropyWithLogits": "TF's loss op",
    # TF's ArgMax takes its axis as a Const node named ArgMax/dimension, which makes the op a
    # box; jnp.argmax takes the axis statically, so scopejax's argmax is a single node
    "ArgMax": "TF's axis constant",
}
#: top-level boxes in scopejax's graph only
SJ_ONLY = {
    # array arguments are Placeholder nodes named inputs/<argument>, grouped in one box; TF1's
    # unnamed placeholders are top-level nodes Placeholder, Placeholder_1
    "inputs": "scopejax's placeholders",
    # optax.softmax_cross_entropy_with_integer_labels calls jnp.take_along_axis and jnp.take,
    # which are named JAX functions (their own name scopes)
    "take_along_axis": "optax's loss",
    "take": "optax's loss",
}
#: second-level boxes that exist on one side only: {top box: {box: reason}}
TF_ONLY_INSIDE = {
    # tf.layers.dropout(training=False) still emits dropout/Identity; scopejax's inference
    # dropout returns its input, with no op to draw (it still takes the name scope, so a
    # later dropout is dropout_1 on both sides)
    "neck": {"dropout": "TF's Identity op"},
}
SJ_ONLY_INSIDE = {
    # jax.nn.relu is a named JAX function: its max op sits in a box "relu"; TF1's tf.nn.relu
    # is one node, neck/Relu
    "neck": {"relu": "jax.nn.relu's name scope"},
}
#: what a TF1 training script adds to the graph (recorded after AdamOptimizer().minimize,
#: Saver() and global_variables_initializer()); none of it is part of a traced function:
TF_TRAINING_ONLY = {
    "gradients": "TF1 builds backprop into the graph; jax.grad traced by write_graph shows "
    "as jvp/ and transpose/ boxes instead",
    "Adam": "the optimizer's update ops; optax updates outside the model function",
    "beta1_power": "Adam's step-power variables; optax keeps them in its state",
    "beta2_power": "Adam's step-power variables; optax keeps them in its state",
    "save": "tf.train.Saver's ops; sj.checkpoint is not graph ops",
    "init": "global_variables_initializer (a top-level node); scopejax's is net.init",
}


@pytest.fixture(scope="module")
def graph():
    net = sj.transform(demo.digits_loss)
    x = jax.ShapeDtypeStruct((demo.BATCH, 8, 8, 1), jnp.float32)
    y = jax.ShapeDtypeStruct((demo.BATCH,), jnp.int32)
    store = net.init_abstract(jax.random.key(0), x, y)  # shapes only: nothing is drawn
    return sj.summary.graph_def(net.apply, store, x, y, False)  # as the demo writes it


@pytest.fixture(scope="module")
def boxes(graph):
    return scope_boxes(n.name for n in graph.node)


def test_variables_and_collection_are_tf1s(graph):
    variables = {n.name: n for n in graph.node if n.op == "VariableV2"}
    assert sorted(variables) == TF["variables"]
    backbone = sorted(
        name for name, node in variables.items() if b"BACKBONE" in node.attr["collections"].list.s
    )
    assert backbone == TF["backbone_collection"]


def test_top_level_boxes_are_tf1s(boxes):
    tf_boxes, sj_boxes = set(TF["forward"]["top_boxes"]), set(boxes["top_boxes"])
    assert set(TF_ONLY) <= tf_boxes and set(SJ_ONLY) <= sj_boxes  # the listed reasons hold
    assert sj_boxes - set(SJ_ONLY) == tf_boxes - set(TF_ONLY) == {"backbone", "neck", "digits"}


@pytest.mark.parametrize("box", ["backbone", "neck", "digits"])
def test_second_level_boxes_are_tf1s(boxes, box):
    tf_inner = set(TF["forward"]["second_level"][box])
    sj_inner = set(boxes["second_level"][box])
    tf_only, sj_only = TF_ONLY_INSIDE.get(box, {}), SJ_ONLY_INSIDE.get(box, {})
    assert set(tf_only) <= tf_inner and set(sj_only) <= sj_inner
    assert sj_inner - set(sj_only) == tf_inner - set(tf_only)


def test_tf1_training_parts_are_the_listed_ones_and_absent_here(boxes):
    forward = set(TF["forward"]["top_boxes"]) | set(TF["forward"]["top_ops"])
    training = set(TF["training"]["top_boxes"]) | set(TF["training"]["top_ops"])
    assert training - forward == set(TF_TRAINING_ONLY)
    assert not set(TF_TRAINING_ONLY) & (set(boxes["top_boxes"]) | set(boxes["top_ops"]))
