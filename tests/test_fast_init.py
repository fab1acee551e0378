"""Fast init: discovery by tracing, batched draws, abstract init and the fallbacks."""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_same_store

import scopejax as sj
from scopejax import initializers as init

KEY = jax.random.key(7)


def both(fn, *args, jit=False):
    """(fast store, forward store) of ``fn``."""
    fast = sj.transform(fn).init
    slow = sj.transform(fn, fast_init=False).init
    if jit:
        fast, slow = jax.jit(fast), jax.jit(slow)
    return fast(KEY, *args), slow(KEY, *args)


INITS = [
    init.glorot_uniform(),
    init.glorot_normal(),
    init.truncated_normal(stddev=0.3),
    init.random_normal(mean=1.0),
    init.random_uniform(-2.0, 3.0),
    init.variance_scaling(2.0, "fan_out", "truncated_normal"),
    init.he_normal(),
    init.lecun_normal(),
    init.orthogonal(),
    init.zeros(),
    init.ones(),
    init.constant(0.5),
]


CASES = [(i, jnp.float32, False) for i in INITS] + [
    (INITS[k], dt, jit)
    for k in (2, 10)  # a truncated normal and an orthogonal: the other draws share code paths
    for dt, jit in ((jnp.bfloat16, False), (jnp.float16, True), (jnp.float32, True))
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "initializer, dtype, jit",
    CASES,
    ids=[f"{type(i).__name__}-{jnp.dtype(d).name}-{'jit' if j else 'eager'}" for i, d, j in CASES],
)
def test_batched_draws_equal_one_draw_each_bit_for_bit(initializer, dtype, jit):
    shapes = [(5, 7), (3, 3, 4, 8), (6, 6)]

    def f():
        for s, shape in enumerate(shapes):
            for i in range(3):  # three variables per group
                sj.get_variable(f"g{s}/v{i}", shape, dtype, initializer=initializer)
        sj.get_variable("alone", [4, 4], dtype, initializer=initializer)  # a group of one

    fast, slow = both(f, jit=jit)
    assert_same_store(fast, slow)
    assert fast["g0/v0"].dtype == dtype
    # the members of a group differ from one another (each drew from its own key)
    if initializer.needs_key:
        assert not np.array_equal(np.asarray(fast["g1/v0"]), np.asarray(fast["g1/v1"]))


def test_jit_init_draws_once_per_group_not_once_per_variable():
    def mlp(x):
        for i in range(40):
            x = jnp.tanh(sj.nn.Dense(16, name=f"l{i}")(x))
        return x

    x = jnp.ones([2, 16])

    def count_draws(init_fn):  # top-level calls that draw random bits
        eqns = jax.make_jaxpr(init_fn)(KEY, x).jaxpr.eqns
        return sum("random_bits" in str(e.params.get("jaxpr", "")) for e in eqns)

    fast = count_draws(sj.transform(mlp).init)
    slow = count_draws(sj.transform(mlp, fast_init=False).init)
    assert slow >= 40  # one per kernel
    assert fast <= 2  # one vmapped draw for the 40 same-shaped kernels
    # no forward arithmetic is staged by the fast init: no matmul, no tanh
    text = str(jax.make_jaxpr(sj.transform(mlp).init)(KEY, x))
    assert "dot_general" not in text and "tanh" not in text


@pytest.mark.slow
def test_group_members_own_their_buffers():
    def f():
        for i in range(4):
            sj.get_variable(f"b{i}", [8], initializer=init.zeros())
            sj.get_variable(f"w{i}", [8, 8])

    store = sj.transform(f).init(KEY)
    ptrs = {v.unsafe_buffer_pointer() for v in store.flat().values()}
    assert len(ptrs) == 8  # donation-safe: no two leaves alias
    # and the store can be donated to a jitted step
    step = jax.jit(lambda s: jax.tree.map(lambda v: v + 1, s), donate_argnums=0)
    assert float(step(store)["b3"][0]) == 1.0


@pytest.mark.slow
def test_trainable_non_trainable_variable_and_collections_metadata():
    def f(x):
        with sj.variable_scope("enc"):
            w = sj.get_variable("w", [x.shape[-1], 3])
            n = sj.get_variable("count", [], jnp.int32, trainable=False)
            s = sj.Variable(jnp.zeros([3]), name="state", trainable=False)
            c = sj.Variable(2.5, name="c")
            m = sj.get_variable("m", [3], collections=["custom", sj.GraphKeys.GLOBAL_VARIABLES])
        bn = sj.nn.BatchNormalization()(x @ w + s + c + m, training=True)
        return bn + n

    x = jnp.ones([4, 5])
    fast, slow = both(f, x)
    assert_same_store(fast, slow)
    assert not fast.info("enc/count").trainable and not fast.info("enc/state").trainable
    assert "custom" in fast.info("enc/m").collections
    assert "moving_mean" in " ".join(fast.names())
    jfast, jslow = both(f, x, jit=True)
    assert_same_store(jfast, slow)
    assert_same_store(jslow, slow)


@pytest.mark.slow
def test_init_abstract_matches_init_and_draws_nothing():
    def f(x):
        h = sj.nn.Conv2D(4, 3, name="conv")(x)
        h = sj.nn.BatchNormalization(name="bn")(h, training=True)
        return sj.nn.Dense(2, name="head")(h.reshape(h.shape[0], -1))

    net = sj.transform(f)
    x = jnp.ones([2, 6, 6, 1])
    store = net.init(KEY, x)
    shapes = net.init_abstract(KEY, x)
    assert shapes.infos == store.infos
    for name, v in store.flat().items():
        s = shapes[name]
        assert isinstance(s, jax.ShapeDtypeStruct)
        assert (s.shape, s.dtype) == (v.shape, v.dtype), name
    # from shapes alone, without a key
    spec = net.init_abstract(None, jax.ShapeDtypeStruct((2, 6, 6, 1), jnp.float32))
    assert spec.infos == store.infos
    # the same through jax.eval_shape of init
    assert jax.eval_shape(net.init, KEY, x).infos == store.infos
    # transform_multi has it too
    multi = sj.transform_multi(lambda: (f, (f,)))
    assert multi.init_abstract(None, x).infos == store.infos


@pytest.mark.slow
def test_init_reading_its_inputs_is_computed_from_them():
    def f(x):
        mean = sj.Variable(x.mean(0), name="mean", trainable=False)
        scale = sj.get_variable("scale", initializer=1.0 / (x.std(0) + 1.0))
        w = sj.get_variable("w", [x.shape[-1], 3])
        return ((x - mean) * scale) @ w

    x = jax.random.normal(jax.random.key(1), [16, 4]) * 3 + 2
    fast, slow = both(f, x)
    assert_same_store(fast, slow)
    np.testing.assert_allclose(fast["mean"], x.mean(0), rtol=1e-6)
    assert_same_store(jax.jit(sj.transform(f).init)(KEY, x), slow)


@pytest.mark.slow
def test_initial_value_from_another_variable_uses_its_drawn_value():
    def f(x):
        w = sj.get_variable("w", [x.shape[-1], 3])
        sj.Variable(w * 2.0, name="w_twice", trainable=False)  # read a batchable draw
        for i in range(3):
            sj.get_variable(f"other{i}", [x.shape[-1], 3])
        return x @ w

    x = jnp.ones([2, 4])
    fast, slow = both(f, x)
    assert_same_store(fast, slow)
    np.testing.assert_array_equal(fast["w_twice"], fast["w"] * 2.0)


@pytest.mark.slow
def test_data_dependent_init_through_a_custom_getter():
    def f(x):
        with sj.variable_scope("wn", custom_getter=sj.getters.weight_norm()):
            return sj.layers.dense(x, 3, use_bias=False)

    x = jax.random.normal(jax.random.key(1), [4, 5])
    fast, slow = both(f, x)
    assert_same_store(fast, slow)


@pytest.mark.slow
def test_user_initializer_functions_are_drawn_per_variable():
    def jax_style(key, shape, dtype):
        return jax.random.laplace(key, shape, dtype)

    def tf_style(shape, dtype=None, partition_info=None):
        return jax.random.normal(sj.next_rng_key(), shape, dtype) + 1.0

    def f():
        for i in range(3):
            sj.get_variable(f"a{i}", [3, 3], initializer=jax_style)
            sj.get_variable(f"b{i}", [3, 3], initializer=tf_style)
            sj.get_variable(f"c{i}", [3, 2], initializer=jax.nn.initializers.orthogonal())
            sj.get_variable(f"d{i}", initializer=lambda: jnp.arange(3.0))

    fast, slow = both(f)
    assert_same_store(fast, slow)
    assert not np.array_equal(np.asarray(fast["a0"]), np.asarray(fast["a1"]))


def _host_uniform(key, shape):
    def host(k):
        return np.random.default_rng(int(k[0])).uniform(size=shape).astype(np.float32)

    data = jax.random.key_data(key)
    return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, jnp.float32), data)


class HostDrawn(init.Initializer):
    """Opts in to batching, but its callback cannot be vmapped: falls back."""

    batchable = True

    def draw(self, key, shape, dtype):
        return _host_uniform(key, shape).astype(dtype)


class Subclassed(init.Initializer):
    """A user subclass that does not opt in: drawn per variable in the trace."""

    def draw(self, key, shape, dtype):
        return jax.random.uniform(key, shape, dtype) * 10


@pytest.mark.slow
def test_initializers_that_cannot_be_batched_fall_back_to_one_draw_each(caplog):
    def f():
        for i in range(3):
            sj.get_variable(f"h{i}", [2, 2], initializer=HostDrawn())
            sj.get_variable(f"s{i}", [2, 2], initializer=Subclassed())

    with caplog.at_level(logging.DEBUG, logger="scopejax"):
        fast, slow = both(f)
    assert "batched draw of HostDrawn" in caplog.text
    assert_same_store(fast, slow)
    assert not np.array_equal(np.asarray(fast["h0"]), np.asarray(fast["h1"]))


def test_python_control_flow_on_values_falls_back_to_the_forward_pass(caplog):
    def f(x):
        w = sj.get_variable("w", [x.shape[-1], 2])
        if float(x.sum()) > 0:  # needs a concrete x: cannot be traced
            sj.get_variable("positive_bias", [2], initializer=init.ones())
        return x @ w

    x = jnp.ones([3, 4])
    with caplog.at_level(logging.DEBUG, logger="scopejax"):
        fast, slow = both(f, x)
    assert "running it forward" in caplog.text
    assert_same_store(fast, slow)
    assert fast.names() == ["positive_bias", "w"]
    assert sj.transform(f).init_abstract(KEY, x).names() == ["positive_bias", "w"]


@pytest.mark.slow
def test_vmapped_init_builds_an_ensemble():
    def f(x):
        return sj.nn.Dense(3)(x)

    keys = jax.random.split(KEY, 4)
    x = jnp.ones([2, 5])
    fast = jax.vmap(sj.transform(f).init, in_axes=(0, None))(keys, x)
    slow = jax.vmap(sj.transform(f, fast_init=False).init, in_axes=(0, None))(keys, x)
    assert_same_store(fast, slow)
    assert fast["dense/kernel"].shape == (4, 5, 3)


def test_errors_are_the_same_with_fast_init():
    def f():
        sj.get_variable("w", [2])
        sj.get_variable("w", [2])

    with pytest.raises(sj.VariableExistsError, match="Variable w already exists"):
        sj.transform(f).init(KEY)

    def g(x):
        return sj.get_variable("w", [3, 5], initializer=init.random_normal()) @ x

    with pytest.raises(TypeError):  # the forward pass's shape error, as before
        sj.transform(g).init(KEY, jnp.ones([2, 2]))
    from scopejax._src.core.context import frame_stack

    assert frame_stack() == []


@pytest.mark.slow
def test_modules_and_rnn_cells_init_identically():
    def f(x):
        cell = sj.nn.MultiRNNCell([sj.nn.LSTMCell(8), sj.nn.GRUCell(8)])
        out, _ = sj.nn.dynamic_rnn(cell, x, dtype=jnp.float32)
        emb = sj.nn.Embedding(10, 4)
        return out.sum() + emb(jnp.arange(3)).sum()

    x = jnp.ones([2, 5, 3])
    fast, slow = both(f, x)
    assert_same_store(fast, slow)
