"""The functional layers (``sj.layers``) take exactly their classes' arguments (``sj.nn``),
forward every one of them, and keep TF1's ``tf.compat.v1.layers`` names and order."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj
from scopejax import layers as L  # noqa: N812
from scopejax import nn
from scopejax._src.core.initializers import Ones, Zeros

# function -> (class, name of its input, constructor parameter the call's arguments precede)
CASES = {
    "dense": (nn.Dense, "inputs", None),
    "conv1d": (nn.Conv1D, "inputs", None),
    "conv2d": (nn.Conv2D, "inputs", None),
    "max_pooling1d": (nn.MaxPooling1D, "inputs", None),
    "max_pooling2d": (nn.MaxPooling2D, "inputs", None),
    "average_pooling1d": (nn.AveragePooling1D, "inputs", None),
    "average_pooling2d": (nn.AveragePooling2D, "inputs", None),
    "flatten": (nn.Flatten, "inputs", None),
    "dropout": (nn.Dropout, "inputs", "name"),
    "batch_normalization": (nn.BatchNormalization, "inputs", "trainable"),
    "layer_norm": (nn.LayerNorm, "inputs", None),
    "embedding": (nn.Embedding, "ids", None),
}


def _params(fn):
    return list(inspect.signature(fn).parameters.values())


def _expected(cls, inputs, call_before):
    """The input, the constructor's parameters, the call's extra ones before ``call_before``."""
    init = _params(cls.__init__)[1:]
    call = _params(cls.__call__)[2:]
    if call:
        at = [p.name for p in init].index(call_before)
        init = init[:at] + call + init[at:]
    first = inspect.Parameter(inputs, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [first, *init]


def _key(p):
    return p.name, p.default, p.kind


def test_every_functional_layer_is_checked():
    public = {n for n in dir(L) if not n.startswith("_") and inspect.isfunction(getattr(L, n))}
    assert public == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameters_are_the_class_constructor_and_call_parameters(name):
    cls, inputs, call_before = CASES[name]
    fn = getattr(L, name)
    got, want = _params(fn), _expected(cls, inputs, call_before)
    assert [_key(p) for p in got] == [_key(p) for p in want]
    assert [p.annotation for p in got[1:]] == [p.annotation for p in want[1:]]
    assert fn.__name__ == name
    for p in got:  # the docstring names every argument
        assert p.name in fn.__doc__, p.name


class _Sentinel:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<{self.name}>"


@pytest.mark.parametrize("by", ["keyword", "position"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_argument_reaches_the_class(name, by, monkeypatch):
    cls, inputs, call_before = CASES[name]
    call_names = {p.name for p in _params(cls.__call__)[2:]}
    seen = {}

    def init(self, **kw):
        seen["init"] = kw

    def call(self, x, **kw):
        seen["call"] = (x, kw)
        return "out"

    monkeypatch.setattr(cls, "__init__", init)
    monkeypatch.setattr(cls, "__call__", call)
    params = _params(getattr(L, name))
    values = {p.name: _Sentinel(p.name) for p in params}
    if by == "keyword":
        out = getattr(L, name)(**values)
    else:
        positional = [values[p.name] for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        keyword = {p.name: values[p.name] for p in params if p.kind is p.KEYWORD_ONLY}
        out = getattr(L, name)(*positional, **keyword)
    assert out == "out"
    x, at_call = seen["call"]
    assert x is values[inputs]
    assert at_call == {n: values[n] for n in call_names}
    assert seen["init"] == {n: v for n, v in values.items() if n != inputs and n not in call_names}


def test_unknown_argument_names_the_function():
    with pytest.raises(TypeError, match=r"conv2d\(\).*data_format"):
        L.conv2d(jnp.ones([1, 3, 3, 1]), 2, 1, data_format="channels_last")
    with pytest.raises(TypeError, match=r"dense\(\).*units"):
        L.dense(jnp.ones([1, 3]))


@pytest.mark.parametrize(
    "layer",
    [
        lambda x: L.dense(x[:, 0, 0], 2, bias_regularizer=lambda b: jnp.sum(b + 1.0)),
        lambda x: L.conv1d(x[:, 0], 2, 1, bias_regularizer=lambda b: jnp.sum(b + 1.0)),
        lambda x: L.conv2d(x, 2, 1, bias_regularizer=lambda b: jnp.sum(b + 1.0)),
    ],
    ids=["dense", "conv1d", "conv2d"],
)
@pytest.mark.slow
def test_bias_regularizer_of_every_kernel_layer(layer):
    def f(x):
        layer(x)
        return sj.get_regularization_loss()

    net = sj.transform(f)
    x = jnp.ones([1, 3, 3, 2])
    assert float(net.apply(net.init(jax.random.key(0), x), x)) == 2.0  # two zero biases, +1 each


def test_batch_normalization_takes_its_initializers_and_fused_by_name():
    def f(x):
        return L.batch_normalization(
            x, gamma_initializer=sj.initializers.constant(2.0), fused=False, training=False
        )

    store = sj.transform(f).init(jax.random.key(0), jnp.ones([2, 3]))
    assert store["batch_normalization/gamma"].tolist() == [2.0, 2.0, 2.0]


# -- TF1's tf.compat.v1.layers signatures (TF 1.15 / 2.x docs) --------------------------------
ZEROS, ONES = object(), object()
TF1 = {
    "dense": [
        ("inputs",),
        ("units",),
        ("activation", None),
        ("use_bias", True),
        ("kernel_initializer", None),
        ("bias_initializer", ZEROS),
        ("kernel_regularizer", None),
        ("bias_regularizer", None),
        ("activity_regularizer", None),
        ("kernel_constraint", None),
        ("bias_constraint", None),
        ("trainable", True),
        ("name", None),
        ("reuse", None),
    ],
    "conv1d": [
        ("inputs",),
        ("filters",),
        ("kernel_size",),
        ("strides", 1),
        ("padding", "valid"),
        ("data_format", "channels_last"),
        ("dilation_rate", 1),
        ("activation", None),
        ("use_bias", True),
        ("kernel_initializer", None),
        ("bias_initializer", ZEROS),
        ("kernel_regularizer", None),
        ("bias_regularizer", None),
        ("activity_regularizer", None),
        ("kernel_constraint", None),
        ("bias_constraint", None),
        ("trainable", True),
        ("name", None),
        ("reuse", None),
    ],
    "max_pooling1d": [
        ("inputs",),
        ("pool_size",),
        ("strides",),
        ("padding", "valid"),
        ("data_format", "channels_last"),
        ("name", None),
    ],
    "flatten": [("inputs",), ("name", None), ("data_format", "channels_last")],
    "dropout": [
        ("inputs",),
        ("rate", 0.5),
        ("noise_shape", None),
        ("seed", None),
        ("training", False),
        ("name", None),
    ],
    "batch_normalization": [
        ("inputs",),
        ("axis", -1),
        ("momentum", 0.99),
        ("epsilon", 1e-3),
        ("center", True),
        ("scale", True),
        ("beta_initializer", ZEROS),
        ("gamma_initializer", ONES),
        ("moving_mean_initializer", ZEROS),
        ("moving_variance_initializer", ONES),
        ("beta_regularizer", None),
        ("gamma_regularizer", None),
        ("beta_constraint", None),
        ("gamma_constraint", None),
        ("training", False),
        ("trainable", True),
        ("name", None),
        ("reuse", None),
        ("renorm", False),
        ("renorm_clipping", None),
        ("renorm_momentum", 0.99),
        ("fused", None),
        ("virtual_batch_size", None),
        ("adjustment", None),
    ],
}
TF1["conv2d"] = [
    (n, (1, 1)) if n in ("strides", "dilation_rate") else (n, *d) for n, *d in TF1["conv1d"]
]
for _pool in ("max_pooling2d", "average_pooling1d", "average_pooling2d"):
    TF1[_pool] = TF1["max_pooling1d"]

# TF1 arguments scopejax does not take (it raises TypeError on them), and its own extras
_CONSTRAINTS = {"activity_regularizer", "kernel_constraint", "bias_constraint"}
NOT_TAKEN = {
    "dense": _CONSTRAINTS,
    "conv1d": _CONSTRAINTS | {"data_format"},
    "conv2d": _CONSTRAINTS | {"data_format"},
    "flatten": {"data_format"},
    "dropout": {"seed"},
    "batch_normalization": {
        "beta_constraint",
        "gamma_constraint",
        "renorm",
        "renorm_clipping",
        "renorm_momentum",
        "virtual_batch_size",
        "adjustment",
    },
}
for _pool in ("max_pooling1d", "max_pooling2d", "average_pooling1d", "average_pooling2d"):
    NOT_TAKEN[_pool] = {"data_format"}
EXTRA = {"conv1d": {"groups"}, "conv2d": {"groups"}}


def _same_default(ours, theirs, rank):
    if theirs is ZEROS or theirs is ONES:
        want = Zeros if theirs is ZEROS else Ones
        return ours is want or isinstance(ours, want)
    if isinstance(theirs, tuple):  # (1, 1) and 1 mean the same stride
        return (ours,) * rank == theirs if isinstance(ours, int) else tuple(ours) == theirs
    return ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("name", sorted(TF1))
def test_tf1_names_order_and_defaults(name):
    tf1 = TF1[name]
    tf1_names = [n for n, *_ in tf1]
    ours = {p.name: p for p in _params(getattr(L, name))}
    shared = [n for n in ours if n in tf1_names]
    assert shared == [n for n in tf1_names if n in ours]  # TF1's relative order
    assert set(tf1_names) - set(ours) == NOT_TAKEN.get(name, set())
    assert set(ours) - set(tf1_names) == EXTRA.get(name, set())
    rank = 2 if name.endswith("2d") else 1
    for n, *default in tf1:
        if n not in ours:
            continue
        if not default:
            assert ours[n].default is inspect.Parameter.empty, n
        else:
            assert _same_default(ours[n].default, default[0], rank), (n, ours[n].default)
    # TF1's positional layout holds up to the first argument scopejax does not take
    prefix = []
    for n in tf1_names:
        if n not in ours:
            break
        prefix.append(n)
    assert list(ours)[: len(prefix)] == prefix
