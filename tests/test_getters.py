"""The shipped custom getters: mixed precision, weight normalisation, constraints."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj


@pytest.mark.slow
def test_mixed_precision_stores_float32_computes_bfloat16():
    def f(x):
        with sj.variable_scope(
            "mp", dtype=jnp.bfloat16, custom_getter=sj.getters.mixed_precision()
        ):
            h = sj.layers.dense(x.astype(jnp.bfloat16), 8, activation=jax.nn.relu)
            n = sj.get_variable("steps", [], jnp.int32, trainable=False)  # ints untouched
            return sj.layers.dense(h, 2), n

    net = sj.transform(f)
    x = jnp.ones([2, 3])
    store = net.init(jax.random.key(0), x)
    assert {store.info(n).dtype for n in store.names() if "dense" in n} == {"float32"}
    assert store.info("mp/steps").dtype == "int32"
    (y, n) = net.apply(store, x)
    assert y.dtype == jnp.bfloat16 and n.dtype == jnp.int32
    train, rest = store.partition(sj.GraphKeys.TRAINABLE_VARIABLES)
    g = jax.grad(lambda t: net.apply(sj.merge(t, rest), x)[0].astype(jnp.float32).sum())(train)
    assert g["mp/dense/kernel"].dtype == jnp.float32  # master gradients in float32


def test_compute_dtype_override():
    getter = sj.getters.mixed_precision(compute_dtype=jnp.float16)

    def f():
        with sj.variable_scope("m", custom_getter=getter):
            return sj.get_variable("w", [2])

    net = sj.transform(f)
    store = net.init(jax.random.key(0))
    assert store.info("m/w").dtype == "float32" and net.apply(store).dtype == jnp.float16


@pytest.mark.slow
def test_weight_norm_starts_at_the_original_weights_and_scales_with_gain():
    def f(x):
        with sj.variable_scope("wn", custom_getter=sj.getters.weight_norm()):
            return sj.layers.dense(x, 3, use_bias=False)

    def plain(x):
        with sj.variable_scope("wn"):
            return sj.layers.dense(x, 3, use_bias=False)

    x = jax.random.normal(jax.random.key(1), [4, 5])
    net = sj.transform(f)
    store = net.init(jax.random.key(0), x)
    assert store.names() == ["wn/dense/kernel", "wn/dense/kernel_g"]
    v = np.asarray(store["wn/dense/kernel"])
    np.testing.assert_allclose(store["wn/dense/kernel_g"], np.linalg.norm(v, axis=0), rtol=1e-6)
    base = sj.transform(plain).init(jax.random.key(0), x)
    np.testing.assert_allclose(
        net.apply(store, x), sj.transform(plain).apply(base, x), rtol=1e-5, atol=1e-6
    )
    doubled = store.replace({"wn/dense/kernel_g": store["wn/dense/kernel_g"] * 2})
    np.testing.assert_allclose(net.apply(doubled, x), 2 * net.apply(store, x), rtol=1e-5)
    # direction scale does not matter
    scaled = store.replace({"wn/dense/kernel": store["wn/dense/kernel"] * 7})
    np.testing.assert_allclose(net.apply(scaled, x), net.apply(store, x), rtol=1e-5)


def test_constraint_getter_max_norm():
    getter = sj.getters.constraint(sj.getters.max_norm(1.0, axis=0))

    def f():
        with sj.variable_scope("c", custom_getter=getter):
            k = sj.get_variable("kernel", [4, 3], initializer=sj.initializers.constant(5.0))
            b = sj.get_variable("bias", [3], initializer=sj.initializers.constant(5.0))
        return k, b

    net = sj.transform(f)
    store = net.init(jax.random.key(0))
    k, b = net.apply(store)
    np.testing.assert_allclose(np.linalg.norm(k, axis=0), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(b, 5.0)  # not matched by the pattern
    np.testing.assert_array_equal(store["c/kernel"], 5.0)  # raw value kept in the store
