"""Layers: numerics against independent numpy references, under jit/grad/vmap."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(fn, *args, rng=None):
    net = sj.transform(fn)
    store = net.init(jax.random.key(0), *args)
    return net.apply(store, *args, rng=rng), store


# -- numpy references ------------------------------------------------------------------
def np_conv(x, k, strides, padding, dilation, groups):
    n, *sp, cin = x.shape
    *ks, kin, cout = k.shape
    eff = [(kk - 1) * d + 1 for kk, d in zip(ks, dilation, strict=True)]
    if padding == "SAME":
        outs = [-(-s // st) for s, st in zip(sp, strides, strict=True)]
        pads = [
            max((o - 1) * st + e - s, 0) for o, st, e, s in zip(outs, strides, eff, sp, strict=True)
        ]
        x = np.pad(x, [(0, 0)] + [(p // 2, p - p // 2) for p in pads] + [(0, 0)])
        sp = x.shape[1:-1]
    outs = [(s - e) // st + 1 for s, e, st in zip(sp, eff, strides, strict=True)]
    y = np.zeros([n, *outs, cout], np.float64)
    gin, gout = cin // groups, cout // groups
    for idx in itertools.product(*[range(o) for o in outs]):
        for kidx in itertools.product(*[range(kk) for kk in ks]):
            pos = [i * st + j * d for i, j, st, d in zip(idx, kidx, strides, dilation, strict=True)]
            patch = x[(slice(None), *pos)]  # [n, cin]
            for g in range(groups):
                y[(slice(None), *idx, slice(g * gout, (g + 1) * gout))] += (
                    patch[:, g * gin : (g + 1) * gin] @ k[(*kidx,)][:, g * gout : (g + 1) * gout]
                )
    return y


def np_pool(x, pool, strides, padding, op):
    n, *sp, c = x.shape
    if padding == "SAME":
        outs = [-(-s // st) for s, st in zip(sp, strides, strict=True)]
        pads = [
            max((o - 1) * st + p - s, 0)
            for o, st, p, s in zip(outs, strides, pool, sp, strict=True)
        ]
        lo = [p // 2 for p in pads]
    else:
        outs = [(s - p) // st + 1 for s, p, st in zip(sp, pool, strides, strict=True)]
        lo = [0] * len(sp)
    y = np.zeros([n, *outs, c])
    for idx in itertools.product(*[range(o) for o in outs]):
        cells = []
        for kidx in itertools.product(*[range(p) for p in pool]):
            pos = [i * st + j - lo_ for i, j, st, lo_ in zip(idx, kidx, strides, lo, strict=True)]
            if all(0 <= q < s for q, s in zip(pos, sp, strict=True)):
                cells.append(x[(slice(None), *pos)])
        y[(slice(None), *idx)] = op(np.stack(cells), axis=0)
    return y


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- dense / conv / pooling -------------------------------------------------------------
def test_dense_numerics_and_rank3():
    x = arr(2, 5, 3)
    (y, store) = run(lambda x: sj.layers.dense(x, 4, activation="tanh"), x)
    k, b = np.asarray(store["dense/kernel"]), np.asarray(store["dense/bias"])
    np.testing.assert_allclose(y, np.tanh(x @ k + b), rtol=1e-5, atol=1e-6)
    assert store["dense/kernel"].shape == (3, 4)


@pytest.mark.slow
@pytest.mark.parametrize(
    "padding,strides,dilation,groups",
    [
        ("SAME", 1, 1, 1),
        ("VALID", 1, 1, 1),
        ("SAME", 2, 1, 1),
        ("VALID", 2, 1, 1),
        ("SAME", 1, 2, 1),
        ("VALID", 1, 2, 2),
        ("SAME", 2, 1, 2),
    ],
)
def test_conv2d_against_numpy(padding, strides, dilation, groups):
    x = arr(2, 7, 6, 4)

    def f(x):
        return sj.layers.conv2d(
            x, 6, (3, 2), strides=strides, padding=padding, dilation_rate=dilation, groups=groups
        )

    y, store = run(f, x)
    k = np.asarray(store["conv2d/kernel"])
    assert k.shape == (3, 2, 4 // groups, 6)
    ref = np_conv(x, k, (strides,) * 2, padding, (dilation,) * 2, groups) + np.asarray(
        store["conv2d/bias"]
    )
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


def test_conv1d_against_numpy():
    x = arr(2, 9, 3)
    y, store = run(lambda x: sj.layers.conv1d(x, 5, 3, strides=2, padding="same"), x)
    k = np.asarray(store["conv1d/kernel"])
    assert k.shape == (3, 3, 5)
    np.testing.assert_allclose(y, np_conv(x, k, (2,), "SAME", (1,), 1), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pooling_against_numpy(padding):
    x = arr(2, 7, 5, 3)
    (mx, av, mx1, fl), _ = run(
        lambda x: (
            sj.layers.max_pooling2d(x, 3, 2, padding),
            sj.layers.average_pooling2d(x, 3, 2, padding),
            sj.layers.max_pooling1d(x[:, :, 0], 2, 2, padding),
            sj.layers.flatten(x),
        ),
        x,
    )
    np.testing.assert_allclose(mx, np_pool(x, (3, 3), (2, 2), padding, np.max), rtol=1e-6)
    np.testing.assert_allclose(av, np_pool(x, (3, 3), (2, 2), padding, np.mean), rtol=1e-5)
    np.testing.assert_allclose(mx1, np_pool(x[:, :, 0], (2,), (2,), padding, np.max))
    assert fl.shape == (2, 7 * 5 * 3)


# -- dropout ------------------------------------------------------------------------------
@pytest.mark.slow
def test_dropout_determinism_and_scaling():
    x = jnp.ones([1000])
    net = sj.transform(lambda x, t: sj.layers.dropout(x, 0.3, training=t))
    a = net.apply({}, x, True, rng=jax.random.key(5))
    b = net.apply({}, x, True, rng=jax.random.key(5))
    c = net.apply({}, x, True, rng=jax.random.key(6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    vals = np.unique(np.asarray(a))
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    assert 0.6 < float((a > 0).mean()) < 0.8
    np.testing.assert_array_equal(net.apply({}, x, False), x)  # no rng needed
    traced = jax.jit(net.apply)({}, x, jnp.array(False), rng=jax.random.key(5))
    np.testing.assert_array_equal(traced, x)


# -- batch norm, layer norm ------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (2, 4, 4, 3)])
def test_batch_norm_training_inference_and_updates(shape):
    x = arr(*shape) * 2 + 1

    def f(x, training):
        return sj.layers.batch_normalization(x, momentum=0.9, epsilon=1e-3, training=training)

    net = sj.transform(f)
    store = net.init(jax.random.key(0), x, False)
    assert store.names() == [
        "batch_normalization/beta",
        "batch_normalization/gamma",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance",
    ]
    assert store.trainable().names() == ["batch_normalization/beta", "batch_normalization/gamma"]
    store = store.replace(
        {
            "batch_normalization/gamma": jnp.array([1.0, 2.0, 0.5]),
            "batch_normalization/beta": jnp.array([0.0, 1.0, -1.0]),
        }
    )
    axes = tuple(range(len(shape) - 1))
    mean, var = x.mean(axes), x.var(axes)
    g, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
    y, new = net.apply_with_state(store, x, True)
    n = int(np.prod([shape[a] for a in axes]))
    fed = var * n / (n - 1) if len(shape) == 4 else var  # TF1: the fused path is unbiased
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * g + b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(new["batch_normalization/moving_mean"], 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(
        new["batch_normalization/moving_variance"], 0.9 + 0.1 * fed, rtol=1e-5
    )
    y_inf = net.apply(new, x, False)
    assert n > 1
    mm, mv = (
        np.asarray(new["batch_normalization/moving_mean"]),
        np.asarray(new["batch_normalization/moving_variance"]),
    )
    np.testing.assert_allclose(y_inf, (x - mm) / np.sqrt(mv + 1e-3) * g + b, rtol=1e-4, atol=1e-4)
    with pytest.raises(sj.AssignError, match="moving_mean"):
        net.apply(store, x, True)  # training needs apply_with_state


@pytest.mark.slow
def test_layer_norm_contrib_semantics():
    x = arr(2, 3, 4)
    y, store = run(lambda x: sj.layers.layer_norm(x, begin_norm_axis=1), x)
    assert store.names() == ["LayerNorm/beta", "LayerNorm/gamma"]
    assert store["LayerNorm/gamma"].shape == (4,)
    m = x.mean((1, 2), keepdims=True)
    v = x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-12), rtol=1e-4, atol=1e-5)
    y2, store2 = run(lambda x: sj.layers.layer_norm(x, begin_norm_axis=-1, begin_params_axis=1), x)
    assert store2["LayerNorm/beta"].shape == (3, 4)
    m = x.mean(-1, keepdims=True)
    np.testing.assert_allclose(
        y2, (x - m) / np.sqrt(x.var(-1, keepdims=True) + 1e-12), rtol=1e-4, atol=1e-5
    )


def test_embedding_lookup_and_tied_output():
    ids = jnp.array([[1, 3], [0, 9]])

    def f(ids):
        emb = sj.nn.Embedding(10, 4)
        h = emb(ids)
        return h, emb.attend(h)

    (h, logits), store = run(f, ids)
    table = np.asarray(store["embedding/embeddings"])
    np.testing.assert_array_equal(h, table[np.asarray(ids)])
    np.testing.assert_allclose(logits, table[np.asarray(ids)] @ table.T, rtol=1e-5)
    assert np.abs(table).max() <= 0.05
    with pytest.raises(TypeError, match="integer ids"):
        run(lambda x: sj.layers.embedding(x, 10, 4), jnp.ones([2]))


# -- recurrent cells ------------------------------------------------------------------------
def np_lstm(xs, k, b, forget_bias):
    n = b.shape[0] // 4
    c = np.zeros([xs.shape[0], n])
    h = np.zeros([xs.shape[0], n])
    outs = []
    for t in range(xs.shape[1]):
        z = np.concatenate([xs[:, t], h], 1) @ k + b
        i, j, f, o = np.split(z, 4, 1)
        c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), c, h


def np_gru(xs, gk, gb, ck, cb):
    n = cb.shape[0]
    h = np.zeros([xs.shape[0], n])
    outs = []
    for t in range(xs.shape[1]):
        v = sigmoid(np.concatenate([xs[:, t], h], 1) @ gk + gb)
        r, u = np.split(v, 2, 1)
        c = np.tanh(np.concatenate([xs[:, t], r * h], 1) @ ck + cb)
        h = u * h + (1 - u) * c
        outs.append(h)
    return np.stack(outs, 1), h


@pytest.mark.slow
@pytest.mark.parametrize(
    "cls,scope", [(sj.nn.LSTMCell, "lstm_cell"), (sj.nn.BasicLSTMCell, "basic_lstm_cell")]
)
def test_lstm_against_hand_written_step(cls, scope):
    xs = arr(2, 5, 3)
    ((ys, state), store) = run(lambda xs: sj.nn.dynamic_rnn(cls(4, forget_bias=1.0), xs), xs)
    k = np.asarray(store[f"rnn/{scope}/kernel"])
    b = np.asarray(store[f"rnn/{scope}/bias"])
    assert k.shape == (7, 16) and b.shape == (16,)
    ref, c, h = np_lstm(xs, k, b, 1.0)
    np.testing.assert_allclose(ys, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state.c, c, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state.h, h, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_gru_and_basic_rnn_against_hand_written_step():
    xs = arr(2, 4, 3)
    ((ys, h), store) = run(lambda xs: sj.nn.dynamic_rnn(sj.nn.GRUCell(5), xs), xs)
    names = store.names()
    assert names == [
        "rnn/gru_cell/candidate/bias",
        "rnn/gru_cell/candidate/kernel",
        "rnn/gru_cell/gates/bias",
        "rnn/gru_cell/gates/kernel",
    ]
    np.testing.assert_array_equal(store["rnn/gru_cell/gates/bias"], np.ones(10))
    ref, href = np_gru(
        xs,
        *(
            np.asarray(store[f"rnn/gru_cell/{n}"])
            for n in ["gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"]
        ),
    )
    np.testing.assert_allclose(ys, ref, rtol=1e-5, atol=1e-5)
    ((ys, _), store) = run(lambda xs: sj.nn.dynamic_rnn(sj.nn.BasicRNNCell(5), xs), xs)
    k, b = (
        np.asarray(store["rnn/basic_rnn_cell/kernel"]),
        np.asarray(store["rnn/basic_rnn_cell/bias"]),
    )
    h = np.zeros([2, 5])
    for t in range(4):
        h = np.tanh(np.concatenate([xs[:, t], h], 1) @ k + b)
    np.testing.assert_allclose(ys[:, -1], h, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_multi_cell_static_rnn_and_sequence_length():
    xs = arr(2, 3, 3)

    def f(xs):
        cell = sj.nn.MultiRNNCell([sj.nn.LSTMCell(4), sj.nn.GRUCell(2)])
        ys, _ = sj.nn.dynamic_rnn(cell, xs, sequence_length=jnp.array([3, 1]))
        outs, _ = sj.nn.static_rnn(sj.nn.LSTMCell(4), list(jnp.swapaxes(xs, 0, 1)), scope="static")
        return ys, outs

    (ys, outs), store = run(f, xs)
    assert store.names() == [
        "rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
        "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel",
        "static/lstm_cell/bias",
        "static/lstm_cell/kernel",
    ]
    np.testing.assert_array_equal(ys[1, 1:], 0)  # past the end of sequence 1
    assert len(outs) == 3


# -- every layer under jit, grad and vmap ----------------------------------------------------
LAYERS = {
    "dense": (lambda x: sj.layers.dense(x, 3), (2, 4)),
    "conv2d": (lambda x: sj.layers.conv2d(x, 3, 3, padding="same"), (2, 5, 5, 2)),
    "conv1d": (lambda x: sj.layers.conv1d(x, 3, 2), (2, 5, 2)),
    "max_pool": (lambda x: sj.layers.max_pooling2d(x, 2, 2), (2, 4, 4, 2)),
    "avg_pool": (lambda x: sj.layers.average_pooling2d(x, 3, 2, "same"), (2, 5, 5, 2)),
    "batch_norm": (lambda x: sj.layers.batch_normalization(x, training=False), (3, 4)),
    "layer_norm": (lambda x: sj.layers.layer_norm(x), (3, 4)),
    "lstm": (lambda x: sj.nn.dynamic_rnn(sj.nn.LSTMCell(3), x)[0], (2, 3, 2)),
    "gru": (lambda x: sj.nn.dynamic_rnn(sj.nn.GRUCell(3), x)[0], (2, 3, 2)),
    "dropout_eval": (lambda x: sj.layers.dropout(x, 0.5, training=False), (2, 3)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_under_jit_grad_vmap(name):
    fn, shape = LAYERS[name]
    x = jnp.asarray(arr(*shape))
    net = sj.transform(fn)
    store = net.init(jax.random.key(0), x)
    y = net.apply(store, x)
    np.testing.assert_allclose(jax.jit(net.apply)(store, x), y, rtol=1e-5, atol=1e-6)
    g = jax.jit(jax.grad(lambda s, x: jnp.sum(net.apply(s, x) ** 2), argnums=(0, 1)))(store, x)
    assert g[1].shape == x.shape and np.isfinite(np.asarray(g[1])).all()
    for leaf in jax.tree.leaves(g[0]):
        assert np.isfinite(np.asarray(leaf)).all()
    yv = jax.vmap(net.apply, in_axes=(None, 0))(store, x[None])
    np.testing.assert_allclose(yv[0], y, rtol=1e-5, atol=1e-5)
