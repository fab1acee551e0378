"""Initializers: TF1's formulas, both calling conventions, defaults by dtype."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax import initializers as init

KEY = jax.random.key(3)


@pytest.mark.parametrize(
    "shape,fans",
    [((), (1, 1)), ((5,), (5, 5)), ((3, 7), (3, 7)), ((2, 3, 4, 5), (24, 30))],
)
def test_fans_follow_tf1(shape, fans):
    assert init.compute_fans(shape) == fans


def test_glorot_uniform_limit_and_variance():
    x = np.asarray(init.glorot_uniform()(KEY, (200, 300)))
    limit = math.sqrt(6 / 500)
    assert np.abs(x).max() <= limit
    assert np.isclose(x.var(), limit**2 / 3, rtol=0.05)


@pytest.mark.parametrize("cls", [init.glorot_normal, init.he_normal, init.lecun_normal])
def test_truncated_variance_scaling_is_corrected(cls):
    x = np.asarray(cls()(KEY, (300, 400)))
    fan_in, fan_out = 300, 400
    scale = cls().scale / (fan_in if cls().mode == "fan_in" else (fan_in + fan_out) / 2)
    # TF1 divides stddev by .8796 so the *truncated* variance equals scale
    assert np.isclose(x.var(), scale, rtol=0.05)
    assert np.abs(x).max() <= 2 * math.sqrt(scale) / 0.87962566103423978 + 1e-6


@pytest.mark.slow
def test_normal_uniform_truncated_constant_orthogonal():
    n = np.asarray(init.random_normal(mean=1.0, stddev=2.0)(KEY, (100_000,)))
    assert abs(n.mean() - 1) < 0.05 and abs(n.std() - 2) < 0.05
    t = np.asarray(init.truncated_normal(stddev=0.5)(KEY, (100_000,)))
    assert np.abs(t).max() <= 1.0
    u = np.asarray(init.random_uniform(-2, 3)(KEY, (10_000,)))
    assert u.min() >= -2 and u.max() < 3
    ui = init.random_uniform(0, 5)(KEY, (100,), jnp.int32)
    assert ui.dtype == jnp.int32 and 0 <= int(ui.min()) and int(ui.max()) < 5
    c = init.constant([1, 2, 3, 4])(KEY, (2, 2), jnp.int32)
    np.testing.assert_array_equal(c, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(init.constant(7.0)(KEY, (3,)), [7, 7, 7])
    q = np.asarray(init.orthogonal(gain=2.0)(KEY, (4, 6)))
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(4), atol=1e-5)
    q = np.asarray(init.orthogonal()(KEY, (3, 3, 8, 5)))
    flat = q.reshape(-1, 5)
    np.testing.assert_allclose(flat.T @ flat, np.eye(5), atol=1e-5)
    assert init.zeros()(KEY, (2,), jnp.bool_).dtype == jnp.bool_
    assert float(init.ones()(KEY, ()).sum()) == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="rank >= 2"):
        init.orthogonal()(KEY, (3,))
    with pytest.raises(ValueError, match="invalid mode"):
        init.variance_scaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="floating"):
        init.glorot_uniform()(KEY, (2, 2), jnp.int32)
    with pytest.raises(ValueError, match="maxval"):
        init.random_uniform()(KEY, (2,), jnp.int32)


def test_tf1_style_call_inside_transform_draws_from_next_rng_key():
    def f():
        a = init.random_normal()([3])
        b = init.random_normal()([3], jnp.float32)
        return a, b

    net = sj.transform(f)
    a, b = net.apply({}, rng=jax.random.key(1))
    a2, _ = net.apply({}, rng=jax.random.key(1))
    np.testing.assert_array_equal(a, a2)
    assert not np.array_equal(a, b)


@pytest.mark.slow
def test_get_variable_accepts_class_jax_and_tf_style_initializers():
    def tf_style(shape, dtype=None, partition_info=None):
        return jax.random.normal(sj.next_rng_key(), shape, dtype) * 0 + 3

    def f():
        a = sj.get_variable("a", [2], initializer=init.ones)  # the class, as TF1 allowed
        b = sj.get_variable("b", [2], initializer=jax.nn.initializers.constant(2.0))
        c = sj.get_variable("c", [2], initializer=tf_style)
        d = sj.get_variable("d", initializer=np.arange(3, dtype=np.int32))
        e = sj.get_variable("e", initializer=lambda: jnp.full([2], 5.0))
        n = sj.get_variable("n", [2], jnp.int32)  # TF1 default for ints: zeros
        g = sj.get_variable("g", [40, 60])  # TF1 default for floats: glorot uniform
        return a, b, c, d, e, n, g

    store = sj.transform(f).init(KEY)
    a, b, c, d, e, n, g = (store[k] for k in "abcdeng")
    assert list(map(float, a)) == [1, 1] and list(map(float, b)) == [2, 2]
    assert list(map(float, c)) == [3, 3]
    assert d.dtype == jnp.int32 and list(map(int, d)) == [0, 1, 2]
    assert list(map(float, e)) == [5, 5]
    assert n.dtype == jnp.int32 and int(jnp.abs(n).sum()) == 0
    assert float(jnp.abs(g).max()) <= math.sqrt(6 / 100)
