"""Module: naming, lazy creation, sharing, introspection, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax._src.nn.module import camel_to_snake


class Affine(sj.Module):
    def __init__(self, units, name=None, **kw):
        super().__init__(name=name, **kw)
        self.units = units

    def __call__(self, x):
        w = sj.get_variable("w", [x.shape[-1], self.units])
        b = sj.get_variable("b", [self.units], initializer=sj.initializers.zeros())
        return x @ w + b

    def transpose(self, y):  # another public method: shares the same variables
        w = sj.get_variable("w", [self.units_in, self.units])
        return y @ w.T


class Tower(sj.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.blocks = [Affine(4), Affine(3)]
        self.head = {"out": Affine(1, name="out")}

    def __call__(self, x):
        for b in self.blocks:
            x = jnp.tanh(b(x))
        return self.head["out"](x), sj.get_name_scope()


def init_apply(fn, *args):
    net = sj.transform(fn)
    store = net.init(jax.random.key(0), *args)
    return net.apply(store, *args), store


X = jnp.ones([2, 5])


@pytest.mark.parametrize(
    "cls,name",
    [
        ("Conv2D", "conv2d"),
        ("LSTMCell", "lstm_cell"),
        ("BasicRNNCell", "basic_rnn_cell"),
        ("BatchNormalization", "batch_normalization"),
        ("MaxPooling2D", "max_pooling2d"),
        ("Dense", "dense"),
        ("GRUCell", "gru_cell"),
        ("_Private", "private__private"),
    ],
)
def test_camel_to_snake_matches_tf1(cls, name):
    assert camel_to_snake(cls) == name


@pytest.mark.slow
def test_names_uniquified_nested_and_reused():
    def f(x):
        t1, t2 = Tower(), Tower()
        (y1, ns1), (y2, ns2) = t1(x), t1(x)  # second call shares
        y3, _ = t2(x)
        return (
            [v.name for v in sj.global_variables()],
            t1.scope_name,
            t2.scope_name,
            t1.name,
            ns1,
            ns2,
            [m.scope_name for m in t1.submodules],
            [v.name for v in t1.blocks[0].variables],
            bool(jnp.all(y1 == y2)),
        )

    (names, s1, s2, n1, ns1, ns2, subs, block_vars, same), store = init_apply(f, X)
    assert names == [
        "tower/affine/w",
        "tower/affine/b",
        "tower/affine_1/w",
        "tower/affine_1/b",
        "tower/out/w",
        "tower/out/b",
        "tower_1/affine/w",
        "tower_1/affine/b",
        "tower_1/affine_1/w",
        "tower_1/affine_1/b",
        "tower_1/out/w",
        "tower_1/out/b",
    ]
    assert (s1, s2, n1) == ("tower", "tower_1", "tower")
    assert ns1 == ns2 == "tower"  # every call uses the module's name scope
    assert subs == ["tower/affine", "tower/affine_1", "tower/out"]
    assert block_vars == ["tower/affine/w", "tower/affine/b"]
    assert same


def test_explicit_names_collide_loudly_but_reuse_scope_shares():
    def clash(x):
        Affine(2, name="fc")(x)
        Affine(2, name="fc")(x)

    with pytest.raises(sj.VariableExistsError, match="Variable fc/w already exists"):
        init_apply(clash, X)

    def share(x):
        a = Affine(2, name="fc")(x)
        b = Affine(2, name="fc", reuse=True)(x)
        with sj.variable_scope("", reuse=True):
            c = Affine(2, name="fc")(x)
        return a, b, c, [v.name for v in sj.global_variables()]

    (a, b, c, names), _ = init_apply(share, X)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert names == ["fc/w", "fc/b"]


def test_trainable_variables_and_frozen_module_variables():
    class Mixed(sj.Module):
        def __call__(self, x):
            sj.get_variable("frozen", [1], trainable=False)
            return sj.get_variable("w", [1]) * x

    def f(x):
        m = Mixed()
        m(x)
        return [v.name for v in m.variables], [v.name for v in m.trainable_variables]

    (all_, train), _ = init_apply(f, X)
    assert all_ == ["mixed/frozen", "mixed/w"] and train == ["mixed/w"]


def test_building_a_module_outside_transform_is_a_clear_error():
    with pytest.raises(sj.NotInTransformError, match=r"Affine\(...\).*scopejax.transform"):
        Affine(3)


def test_module_lives_under_enclosing_scope_at_construction():
    def f(x):
        with sj.variable_scope("outer"):
            m = Affine(2)
        y = m(x)  # called outside: the scope was chosen at construction
        return m.scope_name, y

    (name, _), store = init_apply(f, X)
    assert name == "outer/affine" and store.names() == ["outer/affine/b", "outer/affine/w"]


@pytest.mark.slow
def test_lazy_scope_cells_capture_at_first_call():
    def f(x):
        cell = sj.nn.LSTMCell(3)  # built at top level
        with pytest.raises(ValueError, match="has not been called yet"):
            _ = cell.scope_name
        sj.nn.dynamic_rnn(cell, x)
        return cell.scope_name

    name, store = init_apply(f, jnp.ones([2, 4, 3]))
    assert name == "rnn/lstm_cell"
    assert store.names() == ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel"]


def test_variables_created_lazily_and_shared_across_methods():
    class Codec(sj.Module):
        def encode(self, x):
            return x @ sj.get_variable("w", [x.shape[-1], 2])

        def decode(self, z):
            w = sj.get_variable("w", [5, 2])
            return z @ w.T + sj.get_variable("b_dec", [5], initializer=sj.initializers.zeros())

    def f(x):
        c = Codec()
        return c.decode(c.encode(x)), [v.name for v in c.variables]

    (y, names), store = init_apply(f, X)
    assert y.shape == (2, 5) and names == ["codec/w", "codec/b_dec"]


def test_module_reused_across_init_and_apply_frames():
    holder = {}

    def f(x):
        if "m" not in holder:
            holder["m"] = Affine(2)
        return holder["m"](x)

    net = sj.transform(f)
    store = net.init(jax.random.key(0), X)
    assert store.names() == ["affine/b", "affine/w"]
    assert net.apply(store, X).shape == (2, 2)


def test_exception_inside_a_module_method_leaves_no_state():
    class Broken(sj.Module):
        def __call__(self, x):
            sj.get_variable("w", [1])
            raise RuntimeError("boom")

    def f(x):
        try:
            Broken()(x)
        except RuntimeError:
            pass
        return sj.get_variable_scope().name, sj.get_name_scope()

    (scope, ns), _ = init_apply(f, X)
    assert scope == "" and ns == ""
