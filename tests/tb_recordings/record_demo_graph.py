"""Record the TensorBoard graph structure of the demo CNN written in TF1 (run in a TF venv):

    TF_USE_LEGACY_KERAS=1 /work/tfvenv/bin/python tests/tb_recordings/record_demo_graph.py

The model is ``scopejax.demo``'s ``digits_loss(x, y, training=False)`` (the graph that
``python -m scopejax.demo --logdir`` writes) written with ``tf.compat.v1`` in graph mode
with TF1 behaviour (ref variables): the same ``variable_scope``s, ``tf.layers`` calls,
names, reuse and collections. The loss is TF's own (``sparse_softmax_cross_entropy_with_
logits``, ``reduce_mean``), as a TF1 user would have written the demo's optax loss.

Recorded (``demo_graph_scopes.json``), with ``scope_boxes.scope_boxes``:

* ``variables``: the model's global variables, by name;
* ``forward``: the boxes of the graph of the loss function alone (what scopejax traces);
* ``training``: the boxes once the usual TF1 training-session parts are added to that graph
  (``AdamOptimizer(...).minimize(loss)``, a ``Saver`` and ``global_variables_initializer``),
  which is what TF1's TensorBoard showed for a training script.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1.layers (tf_keras) on TF 2.16+
import tensorflow as tf  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from scope_boxes import scope_boxes  # noqa: E402

v1 = tf.compat.v1
v1.disable_v2_behavior()  # TF1 graphs: ref variables (VariableV2), graph mode

BACKBONE = "BACKBONE"
BATCH = 32


def backbone(x):
    conv = functools.partial(v1.layers.conv2d, padding="same", activation=tf.nn.relu)
    with v1.variable_scope("backbone"):
        h = conv(x, 32, 3, name="conv1")
        for _ in range(2):  # one kernel applied twice: the second call shares "shared/*"
            h = h + conv(h, 32, 3, name="shared", reuse=v1.AUTO_REUSE)
        h = v1.layers.max_pooling2d(h, 2, 2)
        h = conv(h, 64, 3, name="conv2")
        h = v1.layers.max_pooling2d(h, 2, 2)
        for v in v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES, scope="backbone/"):
            v1.add_to_collection(BACKBONE, v)
        return v1.layers.flatten(h)


def classifier(x, training, head, classes):
    h = backbone(x)
    with v1.variable_scope("neck"):
        h = v1.layers.dense(h, 128, use_bias=False, name="fc")
        h = v1.layers.batch_normalization(h, momentum=0.9, training=training, name="bn")
        h = v1.layers.dropout(tf.nn.relu(h), 0.25, training=training)
    with v1.variable_scope(head):
        return v1.layers.dense(h, classes, name="logits")


def digits_loss(x, y, training=False):
    logits = classifier(x, training, "digits", 10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    predicted = tf.argmax(logits, -1, output_type=tf.int32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, y), tf.float32))
    return loss, {"accuracy": accuracy}


def names(graph):
    return [n.name for n in graph.as_graph_def().node]


def main() -> None:
    graph = v1.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [BATCH, 8, 8, 1])
        y = v1.placeholder(tf.int32, [BATCH])
        loss, _ = digits_loss(x, y, training=False)
        variables = sorted(v.op.name for v in v1.global_variables())
        backbone_coll = sorted(v.op.name for v in v1.get_collection(BACKBONE))
        forward = scope_boxes(names(graph))
        v1.train.AdamOptimizer(1e-3).minimize(loss)
        v1.train.Saver()
        v1.global_variables_initializer()
        training = scope_boxes(names(graph))
    record = {
        "tensorflow": tf.__version__,
        "model": "scopejax.demo.digits_loss(x, y, training=False) in tf.compat.v1, batch 32",
        "variables": variables,
        "backbone_collection": backbone_coll,
        "forward": forward,
        "training": {"top_boxes": training["top_boxes"], "top_ops": training["top_ops"]},
    }
    out = HERE / "demo_graph_scopes.json"
    out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}: {len(variables)} variables, forward top boxes {forward['top_boxes']}")


if __name__ == "__main__":
    main()
