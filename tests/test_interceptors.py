"""Variable creation is a chain of interceptors (core/request.py): the built-in ones
(lifted trace, device placement, fast-init discovery, per-member stacking) and any added
with ``intercepting`` see every new variable, change its value, and never run at apply."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import scopejax as sj
from scopejax._src.core.request import intercepting
from scopejax._src.core.transform import INIT_INTERCEPTORS

KEY = jax.random.key(0)


def model(x):
    with sj.variable_scope("enc"):
        h = sj.layers.dense(x, 3, name="l1")
    v = sj.Variable(jnp.ones([2]), name="counter", trainable=False)
    return h.sum() + v.sum()


def test_an_added_interceptor_sees_every_new_variable_once_per_init():
    seen = []

    def log(req, next):
        seen.append((req.graph_name, req.shape, req.trainable))
        return next(req)

    net = sj.transform(model, fast_init=False)
    x = jnp.ones([1, 2])
    with intercepting(log):
        store = net.init(KEY, x)
    assert sorted(seen) == [
        ("counter", None, False),
        ("enc/l1/bias", (3,), True),
        ("enc/l1/kernel", (2, 3), True),
    ]
    seen.clear()
    net.apply(store, x)  # reads never go through creation
    assert seen == []
    net.init(KEY, x)  # outside the block: not active any more
    assert seen == []


def test_an_interceptor_can_change_the_value_under_fast_and_forward_init():
    def zero_kernels(req, next):
        value = next(req)
        return jnp.zeros_like(value) if req.graph_name.endswith("kernel") else value

    x = jnp.ones([1, 2])
    for fast in (True, False):
        with intercepting(zero_kernels):
            store = sj.transform(model, fast_init=fast).init(KEY, x)
        assert not np.asarray(store["enc/l1/kernel"]).any(), fast
        assert (np.asarray(store["counter"]) == 1).all()


def test_built_in_chain_order_and_lifted_per_member_values():
    names = [f"{f.__module__.rsplit('.', 1)[1]}.{f.__name__}" for f in INIT_INTERCEPTORS]
    assert names == [
        "lifting.in_owner_trace",
        "sharding.placement",
        "device.placement",
        "fastinit.discovery",
        "lifting.per_member",
    ]
    shapes = []

    def log(req, next):
        value = next(req)
        shapes.append((req.graph_name, req.axis, tuple(value.shape)))
        return value

    def ensemble(x):
        return sj.vmap(
            lambda x: sj.layers.dense(x, 2, name="d"),
            variable_axes={sj.GraphKeys.TRAINABLE_VARIABLES: 0},
            axis_size=4,
        )(x)

    with intercepting(log):
        sj.transform(ensemble).init(KEY, jnp.ones([4, 1, 3]))
    assert ("d/kernel", 0, (4, 3, 2)) in shapes  # the outer interceptor sees the stack


def test_a_value_computed_from_the_draw_is_the_same_under_fast_and_forward_init():
    def double(req, next):
        return next(req) * 2

    x = jnp.ones([1, 2])
    stores = []
    for fast in (True, False):
        with intercepting(double):
            stores.append(sj.transform(model, fast_init=fast).init(KEY, x))
    plain = sj.transform(model).init(KEY, x)
    for name in ("enc/l1/kernel", "counter"):
        np.testing.assert_array_equal(stores[0][name], stores[1][name])
        np.testing.assert_array_equal(stores[0][name], 2 * plain[name])
