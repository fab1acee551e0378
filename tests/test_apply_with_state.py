"""apply is stateless, apply_with_state returns (out, new_store), apply(mutable=) is deprecated."""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj

X = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)


def counted(x):
    """A moving mean (MOVING_AVERAGE_VARIABLES) and a step counter (global only)."""
    with sj.variable_scope("bn"):
        mean = sj.get_variable(
            "moving_mean",
            [x.shape[-1]],
            trainable=False,
            initializer=sj.initializers.zeros(),
            collections=[sj.GraphKeys.GLOBAL_VARIABLES, sj.GraphKeys.MOVING_AVERAGE_VARIABLES],
        )
        sj.assign(mean, 0.9 * mean + 0.1 * x.mean(0))
        count = sj.get_variable("count", [], jnp.int32, trainable=False)
        sj.assign(count, count + 1)
    w = sj.get_variable("w", [x.shape[-1], 2])
    return x @ w


@pytest.fixture
def net():
    return sj.transform(counted)


@pytest.fixture
def store(net):
    return net.init(jax.random.key(0), X)


def check_updated(store, new, steps=1):
    np.testing.assert_allclose(
        new["bn/moving_mean"], (1 - 0.9**steps) * X.mean(0), rtol=1e-6, atol=1e-7
    )
    assert int(new["bn/count"]) == steps
    np.testing.assert_array_equal(new["w"], store["w"])
    np.testing.assert_array_equal(store["bn/moving_mean"], 0)  # the input store is unchanged
    assert int(store["bn/count"]) == 0


def test_transformed_has_apply_with_state_last(net):
    assert sj.Transformed._fields == ("init", "apply", "apply_with_state")
    assert net.apply_with_state is net[2]
    assert net.apply_with_state.__name__ == "counted_apply_with_state"


def test_apply_with_state_returns_output_and_new_store(net, store):
    out, new = net.apply_with_state(store, X)
    assert isinstance(new, sj.Store) and new.names() == store.names()
    check_updated(store, new)
    np.testing.assert_allclose(out, X @ store["w"], rtol=1e-6)
    _, newer = net.apply_with_state(new, X)
    check_updated(store, newer, steps=2)


def test_apply_with_state_mutable_selects_collections(net, store):
    _, new = net.apply_with_state(store, X, mutable=True)
    check_updated(store, new)
    _, new = net.apply_with_state(store, X, mutable=sj.GraphKeys.GLOBAL_VARIABLES)
    check_updated(store, new)
    with pytest.raises(sj.AssignError, match="bn/count"):
        net.apply_with_state(store, X, mutable=[sj.GraphKeys.MOVING_AVERAGE_VARIABLES])
    with pytest.raises(sj.TransformError, match="`mutable` must be True/False"):
        net.apply_with_state(store, X, mutable=1)


def test_apply_with_state_mutable_false_still_returns_the_pair():
    net = sj.transform(lambda x: x @ sj.get_variable("w", [3, 2]))
    store = net.init(jax.random.key(0), X)
    out, same = net.apply_with_state(store, X, mutable=False)
    assert same is store
    np.testing.assert_allclose(out, net.apply(store, X))


def test_apply_with_state_takes_dicts_and_rng():
    def f(x):
        n = sj.get_variable("n", [], trainable=False, initializer=sj.initializers.zeros())
        sj.assign("n", n + jax.random.uniform(sj.next_rng_key()))
        return x

    net = sj.transform(f)
    store = net.init(jax.random.key(0), X).to_dict()
    _, new = net.apply_with_state(store, X, rng=jax.random.key(1))
    assert isinstance(new, dict) and 0.0 < float(new["n"]) < 1.0


def test_apply_is_stateless_and_assign_is_an_error(net, store):
    plain = sj.transform(lambda x: x @ sj.get_variable("w", [3, 2]))
    plain_store = plain.init(jax.random.key(0), X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation on the plain call
        out = plain.apply(plain_store, X)
        assert isinstance(out, jax.Array) and out.shape == (4, 2)
        np.testing.assert_array_equal(plain.apply(plain_store, X, mutable=False), out)  # silent
        np.testing.assert_array_equal(plain.apply(plain_store, X, mutable=None), out)
        with pytest.raises(sj.AssignError, match=r"apply_with_state\(store, \.\.\., mutable="):
            net.apply(store, X)
        with pytest.raises(sj.AssignError, match="got mutable=False"):
            net.apply(store, X, mutable=False)


@pytest.mark.parametrize("mutable", [True, sj.GraphKeys.GLOBAL_VARIABLES, ["variables"]])
def test_apply_mutable_is_deprecated_and_still_returns_the_pair(net, store, mutable):
    with pytest.deprecated_call(match=r"net\.apply_with_state\(store, \.\.\., mutable="):
        out, new = net.apply(store, X, mutable=mutable)
    check_updated(store, new)
    np.testing.assert_allclose(out, net.apply_with_state(store, X, mutable=mutable)[0])


def test_deprecation_points_at_the_caller(net, store):
    with pytest.deprecated_call() as record:
        net.apply(store, X, mutable=True)
    (w,) = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert w.filename == __file__
    assert "net.apply(store, ..., mutable=True) is deprecated" in str(w.message)


def test_deprecated_apply_still_validates_mutable(net, store):
    with pytest.raises(sj.TransformError, match="`mutable` must be True/False"):
        net.apply(store, X, mutable=1)


def test_apply_with_state_under_jit(net, store):
    step = jax.jit(net.apply_with_state)  # default mutable=True: nothing to make static
    out, new = step(store, X)
    check_updated(store, new)
    _, newer = step(new, X)
    check_updated(store, newer, steps=2)
    static = jax.jit(net.apply_with_state, static_argnames="mutable")
    _, new = static(store, X, mutable=sj.GraphKeys.GLOBAL_VARIABLES)
    check_updated(store, new)
    bound = jax.jit(functools.partial(net.apply_with_state, mutable=True))
    _, new = bound(store, X)
    check_updated(store, new)
    with pytest.raises(sj.TransformError, match='static_argnames="mutable"'):
        jax.jit(net.apply_with_state)(store, X, mutable=True)
    np.testing.assert_allclose(jax.jit(net.apply_with_state)(store, X)[0], out)


def test_apply_with_state_under_grad(net, store):
    def loss(train, rest):
        out, new = net.apply_with_state(sj.merge(train, rest), X)
        return jnp.sum(out**2), new

    train, rest = store.partition(sj.GraphKeys.TRAINABLE_VARIABLES)
    grads, new = jax.grad(loss, has_aux=True)(train, rest)
    assert grads.names() == ["w"]
    check_updated(store, new)


def gan():
    def generator(z):
        with sj.variable_scope("generator"):
            steps = sj.get_variable("steps", [], jnp.int32, trainable=False)
            sj.assign(steps, steps + 1)
            return z @ sj.get_variable("w", [2, 3])

    def discriminator(x):
        with sj.variable_scope("discriminator", reuse=sj.AUTO_REUSE):
            return x @ sj.get_variable("w", [3, 1])

    def init(z, x):
        return discriminator(generator(z)), discriminator(x)

    return init, {"generator": generator, "discriminator": discriminator}


def test_transform_multi_apply_with_state():
    net = sj.transform_multi(gan)
    z, x = jnp.ones([1, 2]), jnp.ones([5, 3])
    store = net.init(jax.random.key(0), z, x)
    assert set(net.apply_with_state) == {"generator", "discriminator"}
    out, new = net.apply_with_state["generator"](store, z)
    assert out.shape == (1, 3) and int(new["generator/steps"]) == 1
    _, new = jax.jit(net.apply_with_state["generator"])(new, z)
    assert int(new["generator/steps"]) == 2
    out, same = net.apply_with_state["discriminator"](store, x)
    assert out.shape == (5, 1) and same.names() == store.names()
    assert net.apply["discriminator"](store, x).shape == (5, 1)
    with pytest.raises(sj.AssignError, match="generator/steps"):
        net.apply["generator"](store, z)
    with pytest.deprecated_call(match=r"net\.apply_with_state\['generator'\]"):
        _, new = net.apply["generator"](store, z, mutable=True)
    assert int(new["generator/steps"]) == 1


def test_transform_multi_tuple_apply_with_state():
    def f():
        def count():
            n = sj.get_variable("n", [], jnp.int32, trainable=False)
            sj.assign(n, n + 1)
            return n

        return count, (count,)

    net = sj.transform_multi(f)
    store = net.init(jax.random.key(0))
    assert isinstance(net.apply_with_state, tuple) and len(net.apply_with_state) == 1
    out, new = net.apply_with_state[0](store)
    assert int(out) == 0 and int(new["n"]) == 1
