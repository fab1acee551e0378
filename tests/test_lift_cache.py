"""Eager lifted transforms compile once: repeated eager ``apply`` of sj.scan, sj.vmap,
sj.layer_stack, sj.remat, sj.cond, sj.switch adds no compiled program, the cache key
tells different computations apart, the cache is bounded, results are bit-identical."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax._src.core import lifting as _lift

COMPILES = [0]


def _count(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        COMPILES[0] += 1


jax.monitoring.register_event_duration_secs_listener(_count)

X = jax.random.normal(jax.random.key(1), (5, 2, 3))


def scan_model(xs, reverse=False, act=jnp.tanh):
    def step(h, x):
        h = act(sj.nn.Dense(4)(jnp.concatenate([h, x.astype(h.dtype)], -1)))
        return h, h

    return sj.scan(step, jnp.zeros([xs.shape[1], 4]), xs, reverse=reverse)[1]


def stack_model(xs):
    with sj.variable_scope("blocks"):
        return sj.layer_stack(3, lambda h: jax.nn.gelu(sj.nn.Dense(3)(h)))(xs[0])


def vmap_model(xs):
    member = lambda x: jnp.tanh(sj.nn.Dense(4)(x))  # noqa: E731
    return sj.vmap(member, in_axes=None, axis_size=3, variable_axes={"trainable_variables": 0})(
        xs[0]
    )


def remat_model(xs):
    return sj.remat(lambda x: jnp.tanh(sj.nn.Dense(3)(x)))(xs[0])


def cond_model(xs):
    return sj.cond(
        xs.sum() > 0,
        lambda x: sj.nn.Dense(3, name="a")(x),
        lambda x: jnp.sin(sj.nn.Dense(3, name="b")(x)),
        xs[0],
    )


def switch_model(xs):
    heads = [lambda x, k=k: sj.nn.Dense(k + 1, name=f"h{k}")(x).sum() for k in range(3)]
    return sj.switch(jnp.argmax(xs[0, 0]), heads, xs[0])


MODELS = {
    "scan": scan_model,
    "layer_stack": stack_model,
    "vmap": vmap_model,
    "remat": remat_model,
    "cond": cond_model,
    "switch": switch_model,
}


def _uncached(net, store, *args, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(_lift, "EAGER_CACHE_SIZE", 0)
        return np.asarray(net.apply(store, *args))


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MODELS))
def test_repeated_eager_apply_compiles_nothing(kind):
    net = sj.transform(MODELS[kind])
    store = net.init(jax.random.key(0), X)
    first = np.asarray(net.apply(store, X))  # warm-up: compiles once
    before = COMPILES[0]
    outs = [np.asarray(net.apply(store, X)) for _ in range(5)]
    assert COMPILES[0] - before == 0, f"{kind}: eager apply compiled again"
    for out in outs:
        np.testing.assert_array_equal(out, first)


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.slow
def test_cached_results_are_bit_identical_to_uncached(kind, monkeypatch):
    net = sj.transform(MODELS[kind])
    store = net.init(jax.random.key(0), X)
    ref = _uncached(net, store, X, monkeypatch=monkeypatch)
    np.testing.assert_array_equal(np.asarray(net.apply(store, X)), ref)
    np.testing.assert_array_equal(np.asarray(net.apply(store, X)), ref)  # from the cache


@pytest.mark.slow
def test_key_tells_shapes_dtypes_config_bodies_and_values_apart(monkeypatch):
    nets = {
        "tanh": sj.transform(scan_model),
        "reverse": sj.transform(lambda xs: scan_model(xs, reverse=True)),
        "sin": sj.transform(lambda xs: scan_model(xs, act=jnp.sin)),
    }
    store = nets["tanh"].init(jax.random.key(0), X)
    other = jax.tree.map(lambda v: v * 0.5 + 0.1, store)  # same structure, new values
    cases = [(store, X), (other, X), (store, X[:3]), (store, X.astype(jnp.bfloat16))]
    for name, net in nets.items():
        for s, x in cases if name == "tanh" else cases[:1]:  # same shapes, other programs
            got = np.asarray(net.apply(s, x))
            np.testing.assert_array_equal(got, _uncached(net, s, x, monkeypatch=monkeypatch))

    # same body, same shapes, other variables (a different scope): other constants
    def two_scopes(xs):
        with sj.variable_scope("a"):
            ya = scan_model(xs)
        with sj.variable_scope("b"):
            yb = scan_model(xs)
        return ya - yb

    net = sj.transform(two_scopes)
    s = net.init(jax.random.key(0), X)
    got = np.asarray(net.apply(s, X))
    assert np.abs(got).max() > 0
    np.testing.assert_array_equal(got, _uncached(net, s, X, monkeypatch=monkeypatch))


def test_key_tells_callbacks_apart():
    def via(callback):
        def model(xs):
            def step(h, x):
                y = jax.pure_callback(callback, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
                return h, y + sj.get_variable("b", [3], initializer=sj.initializers.zeros())

            return sj.scan(step, 0.0, xs)[1]

        return sj.transform(model)

    double = via(lambda a: np.asarray(a) * 2)
    triple = via(lambda a: np.asarray(a) * 3)
    store = double.init(jax.random.key(0), X)
    np.testing.assert_allclose(np.asarray(double.apply(store, X)), np.asarray(X) * 2)
    np.testing.assert_allclose(np.asarray(triple.apply(store, X)), np.asarray(X) * 3)


@pytest.mark.slow
def test_cache_is_bounded_and_unused_under_jit(monkeypatch):
    monkeypatch.setattr(_lift, "EAGER_CACHE_SIZE", 3)
    _lift.eager_cache_clear()
    net = sj.transform(scan_model)
    store = net.init(jax.random.key(0), X)
    for n in range(1, 6):  # five different lengths: five programs, three kept
        got = np.asarray(net.apply(store, X[:n]))
        assert got.shape == (n, 2, 4)
        assert len(_lift._eager_cache) <= 3
    assert len(_lift._eager_cache) == 3
    _lift.eager_cache_clear()
    jax.jit(net.apply)(store, X)
    jax.grad(lambda s: net.apply(s, X).sum())(store)
    assert len(_lift._eager_cache) == 0  # traced calls use JAX's own caches
