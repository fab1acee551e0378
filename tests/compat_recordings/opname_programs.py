"""Programs whose TF1 op names are recorded (``record_opnames.py``) and compared.

Each takes the ``tf`` module (TF's ``tf.compat.v1`` in graph mode when recording,
``scopejax.compat.v1`` in the tests) and float32 arrays; weights are arguments, so
no variable ops appear.
"""

from __future__ import annotations


def encoder(tf, x, w1, w2, b):
    """Ops uniquified inside nested name scopes: MatMul, MatMul_1, ..."""
    with tf.name_scope("model"):
        with tf.name_scope("encoder"):
            h = tf.nn.relu(tf.matmul(x, w1))
            h = tf.add(tf.matmul(h, w2), b)
            return tf.nn.softmax(h)


def explicit_names(tf, x, w1, w2, b):
    """``name=`` wins, and is made unique like a type name: logits, logits_1."""
    h = tf.matmul(x, w1, name="logits")
    h = tf.nn.relu(h, name="logits")
    return tf.reduce_mean(tf.matmul(h, w2), axis=1, name="mean")


def shared_namespace(tf, x, w1, w2, b):
    """Op names and name scopes share one namespace: a scope after an op is MatMul_1."""
    h = tf.matmul(x, w1)
    with tf.name_scope("MatMul"):
        h = tf.tanh(h)
    with tf.name_scope("block"):
        h = tf.sigmoid(tf.matmul(h, w2))
    with tf.name_scope("block"):
        h = tf.nn.bias_add(h, b)
    return tf.reduce_sum(tf.square(h))


def reductions_and_shapes(tf, x, w1, w2, b):
    """Array and reduction ops: Reshape, transpose, concat, Mean, Max, ArgMax, ..."""
    h = tf.reshape(tf.matmul(x, w1), [-1])
    h = tf.concat([h, h], axis=0)
    h = tf.expand_dims(h, 0)
    h = tf.transpose(tf.tile(h, [2, 1]))
    m = tf.subtract(tf.reduce_max(h, axis=0), tf.reduce_min(h, axis=0))
    return tf.argmax(h, axis=0), tf.reduce_mean(tf.exp(m)), tf.sqrt(tf.abs(m))


PROGRAMS = {
    "encoder": encoder,
    "explicit_names": explicit_names,
    "shared_namespace": shared_namespace,
    "reductions_and_shapes": reductions_and_shapes,
}
