"""tf.contrib.layers on scopejax.compat.v1 against TensorFlow: the programs in
tests/compat_recordings/layer_cases.py, recorded by record_layers.py with tf_slim
(contrib.layers' maintained copy) on TF 2.21. Names, shapes, collections, outputs for
given weights, and the moving statistics after one training step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from layer_cases import COLLECTIONS, PROGRAMS  # noqa: E402

sys.path.remove(str(HERE))
META = json.loads((HERE / "layers.json").read_text())["programs"]
REC = np.load(HERE / "layers.npz")


def build(pid):
    fn, inputs = PROGRAMS[pid]
    net = sj.transform(lambda *xs: fn(tf.contrib.layers, tf, *xs))
    return net, inputs, net.init(jax.random.key(0), *inputs)


@pytest.mark.parametrize("pid", sorted(PROGRAMS))
def test_names_shapes_and_collections_match_tensorflow(pid):
    _, _, store = build(pid)
    meta = META[pid]
    assert {n: list(store[n].shape) for n in store.names()} == meta["variables"]
    for c in COLLECTIONS:
        ours = sorted(n for n in store.names() if c in store.info(n).collections)
        assert ours == sorted(meta["collections"][c]), c


@pytest.mark.parametrize(
    "pid",  # the inner loop: every other program; the full suite: all
    [
        p if i % 2 == 0 else pytest.param(p, marks=pytest.mark.slow)
        for i, p in enumerate(sorted(PROGRAMS))
    ],
)
def test_outputs_and_moving_statistics_match_tensorflow(pid):
    net, inputs, store = build(pid)
    store = store.replace({n: REC[f"{pid}/var/{n}"] for n in store.names()})
    out, after = net.apply_with_state(store, *inputs)
    np.testing.assert_allclose(out, REC[f"{pid}/out"], rtol=1e-4, atol=1e-5)
    for n in store.names():
        np.testing.assert_allclose(
            after[n], REC[f"{pid}/after/{n}"], rtol=1e-5, atol=1e-6, err_msg=n
        )


def test_fully_connected_reuses_by_scope():
    def f(x):
        a = tf.contrib.layers.fully_connected(x, 2, scope="fc")
        b = tf.contrib.layers.fully_connected(x, 2, scope="fc", reuse=True)
        return a - b

    net = sj.transform(f)
    x = np.ones([1, 3], np.float32)
    store = net.init(jax.random.key(0), x)
    assert store.names() == ["fc/biases", "fc/weights"]
    np.testing.assert_array_equal(net.apply(store, x), 0)


def test_batch_norm_refuses_what_it_does_not_provide():
    with pytest.raises(NotImplementedError, match="renorm"):
        sj.transform(lambda x: tf.contrib.layers.batch_norm(x, renorm=True)).init(
            jax.random.key(0), np.ones([2, 3], np.float32)
        )
