"""Layers against TensorFlow 1: the same variable names, shapes, trainability and
collections, and the same outputs given the same weights, for every case recorded
from real TensorFlow 2.21 (tf.compat.v1 graph mode) in tf1_layers/tf1_layers.json
(made by tf1_layers/make_tf1_layers.py; TensorFlow is not needed to run this)."""

from __future__ import annotations

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax import layers as L  # noqa: N812
from scopejax import nn

DATA = json.loads((pathlib.Path(__file__).parent / "tf1_layers" / "tf1_layers.json").read_text())
CASES = DATA["cases"]
relu = jax.nn.relu


def _bn(**kw):
    return lambda i: {"y": L.batch_normalization(i["x"], **kw)}


def _ln(first, second=None):
    def f(i):
        return {"y": first(i["x"]), "y2_second_layer": (second or nn.LayerNormalization)()(i["x"])}

    return f


def _rnn(cell_fn, outs):
    def f(i):
        y, state = nn.dynamic_rnn(cell_fn(), i["x"])
        return outs(y, state)

    return f


def _conv2d(i):
    x = i["x"]
    cfg = {
        "same": {"padding": "same"},
        "valid": {"padding": "valid"},
        "stride2_same": {"strides": (2, 2), "padding": "same"},
        "stride2_valid": {"strides": (2, 2), "padding": "valid"},
        "dilation2_same": {"dilation_rate": (2, 2), "padding": "same"},
        "dilation2_valid": {"dilation_rate": (2, 2), "padding": "valid"},
    }
    return {k: L.conv2d(x, 4, 3, **v) for k, v in cfg.items()}


def _dense_vs_ns(i):
    with sj.variable_scope("model"), sj.name_scope("ns"):
        return {"y": L.dense(i["x"], 4), "y2": L.dense(i["x"], 4)}


def _dense_ns_vs(i):
    with sj.name_scope("ns"), sj.variable_scope("model"):
        return {"y": L.dense(i["x"], 4)}


def _ln_in_scope(i):
    with sj.variable_scope("model"):
        return _ln(lambda x: nn.LayerNormalization()(x))(i)


def _pool(i):
    x = i["x"]
    mv = L.max_pooling2d(x, 3, 2, padding="valid")
    return {
        "max_same": L.max_pooling2d(x, 3, 2, padding="same"),
        "max_valid": mv,
        "avg_same": L.average_pooling2d(x, 3, 2, padding="same"),
        "avg_valid": L.average_pooling2d(x, 3, 2, padding="valid"),
        "flatten_input": L.flatten(x),
        "flatten_max_valid": L.flatten(mv),
    }


def _static(i):
    outs, state = nn.static_rnn(nn.LSTMCell(4), list(jnp.swapaxes(i["x"], 0, 1)))
    return {**{f"output_t{t}": o for t, o in enumerate(outs)}, "c": state.c, "h": state.h}


def _lookup(i):
    table = sj.get_variable("embedding", [5, 3])
    return {"y": jnp.take(table, i["ids"], axis=0)}


PROGRAMS = {
    "dense_twice": lambda i: {"y1": L.dense(i["x"], 4), "y2": L.dense(i["x"], 4)},
    "dense_named_reuse": lambda i: {
        "y1": L.dense(i["x"], 4, name="fc"),
        "y2": L.dense(i["x"], 4, name="fc", reuse=True),
    },
    "dense_relu_no_bias": lambda i: {"y": L.dense(i["x"], 4, activation=relu, use_bias=False)},
    "dense_in_variable_scope_and_name_scope": _dense_vs_ns,
    "dense_in_name_scope_and_variable_scope": _dense_ns_vs,
    "conv1d": lambda i: {
        "same": L.conv1d(i["x"], 4, 3, padding="same"),
        "valid": L.conv1d(i["x"], 4, 3, padding="valid"),
        "stride2_same": L.conv1d(i["x"], 4, 3, strides=2, padding="same"),
    },
    "conv2d": _conv2d,
    "conv2d_groups": lambda i: {
        "layers_Conv2D": nn.Conv2D(4, 3, padding="same", groups=2)(i["x"]),
        "keras_Conv2D": nn.Conv2D(4, 3, padding="same", groups=2)(i["x"]),
    },
    "pooling2d_and_flatten": _pool,
    "bn_2d_train": _bn(training=True),
    "bn_2d_eval": _bn(training=False),
    "bn_2d_train_momentum0": _bn(training=True, momentum=0.0),
    "bn_4d_train": _bn(training=True),
    "bn_4d_eval": _bn(training=False),
    "bn_4d_train_momentum0": _bn(training=True, momentum=0.0),
    "bn_4d_train_unfused": _bn(training=True, fused=False),
    "keras_layer_norm_2d": _ln(lambda x: nn.LayerNormalization()(x)),
    "keras_layer_norm_3d_axis_last": _ln(lambda x: nn.LayerNormalization()(x)),
    "keras_layer_norm_3d_axis_1_2": _ln(lambda x: nn.LayerNormalization(axis=[1, 2])(x)),
    "keras_layer_norm_in_variable_scope": _ln_in_scope,
    "keras_embedding": lambda i: {"y": nn.Embedding(5, 3)(i["ids"])},
    "get_variable_embedding_lookup": _lookup,
    "dynamic_rnn_basic_rnn_cell": _rnn(
        lambda: nn.BasicRNNCell(4), lambda y, s: {"outputs": y, "state": s}
    ),
    "dynamic_rnn_basic_lstm_cell": _rnn(
        lambda: nn.BasicLSTMCell(4), lambda y, s: {"outputs": y, "c": s.c, "h": s.h}
    ),
    "dynamic_rnn_lstm_cell": _rnn(
        lambda: nn.LSTMCell(4), lambda y, s: {"outputs": y, "c": s.c, "h": s.h}
    ),
    "dynamic_rnn_lstm_cell_forget_bias_0": _rnn(
        lambda: nn.LSTMCell(4, forget_bias=0.0), lambda y, s: {"outputs": y, "c": s.c, "h": s.h}
    ),
    "dynamic_rnn_gru_cell": _rnn(lambda: nn.GRUCell(4), lambda y, s: {"outputs": y, "state": s}),
    "static_rnn_lstm_cell": _static,
    "dynamic_rnn_multi_rnn_cell": _rnn(
        lambda: nn.MultiRNNCell([nn.LSTMCell(4), nn.LSTMCell(3)]),
        lambda y, s: {"outputs": y, "c0": s[0].c, "h0": s[0].h, "c1": s[1].c, "h1": s[1].h},
    ),
}


def test_every_recorded_case_has_a_program():
    assert sorted(PROGRAMS) == sorted(CASES)


def _inputs(case):
    out = {}
    for k, v in case["inputs"].items():
        a = np.asarray(v)
        out[k] = jnp.asarray(a, jnp.int32 if k == "ids" else jnp.float32)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_matches_tensorflow(name):
    case = CASES[name]
    inputs = _inputs(case)
    net = sj.transform(PROGRAMS[name])
    store = net.init(jax.random.key(0), inputs)
    # 1. the variables: names (in creation order), shapes, dtypes, trainability, collections
    order = []
    box = sj.transform(
        lambda i: (PROGRAMS[name](i), order.extend(v.name for v in sj.global_variables()))
    )
    box.init(jax.random.key(0), inputs)
    assert order == [v["name"] for v in case["variables"]]
    for v in case["variables"]:
        info = store.info(v["name"])
        assert list(info.shape) == v["shape"] and info.dtype == v["dtype"], v["name"]
        assert info.trainable == v["trainable"], v["name"]
        assert set(info.collections) == set(v["collections"]), v["name"]
    # 2. the outputs, given TF's weights
    weights = {k: jnp.asarray(np.asarray(w, np.float32)) for k, w in case["weights"].items()}
    store = store.replace(weights)
    training = name.startswith("bn_") and "train" in name
    out, new_store = net.apply_with_state(store, inputs, mutable=training)
    if training:
        for var, want in case["extra"]["moving_after_one_update"].items():
            np.testing.assert_allclose(new_store[var], np.asarray(want), rtol=2e-5, atol=2e-6)
    assert set(out) == set(case["outputs"])
    for label, want in case["outputs"].items():
        got = np.asarray(out[label])
        assert list(got.shape) == want["shape"], label
        np.testing.assert_allclose(got, np.asarray(want["value"]), rtol=2e-5, atol=2e-5)
