"""Programs of ``tf.summary`` calls recorded from TensorFlow's graph mode
(``record_summary_tags.py``) and replayed on ``scopejax.compat.v1.summary``
(``tests/test_compat_summary_tags.py``): TF1's tags (name scopes, uniquification,
``family``, cleaned names), collections, ``merge`` / ``merge_all`` order and scope
filter, image tags. NumPy only.

Each program is ``fn(tf, x) -> {key: summary, list of summaries, or None}``: ``tf`` is
``tf.compat.v1`` or ``scopejax.compat.v1``, ``x`` a float32 ``[4, 3]`` input. What is
compared: each summary's tags in order (an image summary has one per image), its kind,
a scalar's value, a histogram's count, sum, min and max; ``None`` stays ``None``.
"""

from __future__ import annotations

import numpy as np

X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


def scalar_root(tf, x):
    return {"s": tf.summary.scalar("loss", tf.reduce_mean(x)), "all": tf.summary.merge_all()}


def same_name_twice(tf, x):
    a = tf.summary.scalar("loss", tf.reduce_mean(x))
    b = tf.summary.scalar("loss", tf.reduce_max(x))
    return {"a": a, "b": b, "all": tf.summary.merge_all()}


def in_scopes(tf, x):
    with tf.name_scope("train"):
        a = tf.summary.scalar("loss", tf.reduce_mean(x))
    with tf.variable_scope("model"):
        b = tf.summary.histogram("act", x)
    with tf.variable_scope("model"):  # re-entered: name scope model_1
        c = tf.summary.scalar("loss", tf.reduce_sum(x))
    with tf.name_scope("train"):  # name scope train_1
        d = tf.summary.scalar("loss", tf.reduce_min(x))
    return {"a": a, "b": b, "c": c, "d": d, "all": tf.summary.merge_all()}


def family_and_cleaning(tf, x):
    a = tf.summary.scalar("loss", tf.reduce_mean(x), family="losses")
    b = tf.summary.scalar("my loss (train)", tf.reduce_max(x))
    with tf.name_scope("outer"):
        c = tf.summary.histogram("w", x, family="weights")
    d = tf.summary.scalar("acc", tf.reduce_min(x), family="losses")
    e = tf.summary.scalar("loss", tf.reduce_sum(x), family="losses")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "all": tf.summary.merge_all()}


def histogram_values(tf, x):
    return {"h": tf.summary.histogram("h", x * 2.0 - 1.0), "all": tf.summary.merge_all()}


def collections_and_merge(tf, x):
    a = tf.summary.scalar("a", tf.reduce_mean(x))
    b = tf.summary.scalar("b", tf.reduce_max(x), collections=["custom"])
    c = tf.summary.scalar("c", tf.reduce_min(x), collections=[])
    return {
        "all": tf.summary.merge_all(),
        "custom": tf.summary.merge_all("custom"),
        "merged": tf.summary.merge([c, a]),
        "nested": tf.summary.merge([tf.summary.merge([b, c]), a]),
        "none": tf.summary.merge_all("nothing"),
    }


def merge_all_scope(tf, x):
    with tf.name_scope("gen"):
        tf.summary.scalar("loss", tf.reduce_mean(x))
    with tf.name_scope("disc"):
        tf.summary.scalar("loss", tf.reduce_max(x))
    return {"gen": tf.summary.merge_all(scope="gen"), "disc": tf.summary.merge_all(scope="di")}


def images(tf, x):
    img = tf.reshape(tf.sigmoid(tf.tile(x, [1, 4])), [4, 2, 3, 2])[..., :1]
    return {
        "two": tf.summary.image("img", img, max_outputs=2),
        "one": tf.summary.image("single", img[:1]),
        "max1": tf.summary.image("first", img, max_outputs=1),
        "all": tf.summary.merge_all(),
    }


def no_summaries(tf, x):
    return {"all": tf.summary.merge_all()}


PROGRAMS = {
    f.__name__: f
    for f in [
        scalar_root,
        same_name_twice,
        in_scopes,
        family_and_cleaning,
        histogram_values,
        collections_and_merge,
        merge_all_scope,
        images,
        no_summaries,
    ]
}
