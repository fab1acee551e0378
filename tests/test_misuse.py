"""Every misuse raises a ValueError/TypeError subclass naming the variable, and leaves
no frame behind (the autouse fixture in conftest checks the stack after each case)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj
from scopejax._src.core.context import frame_stack

KEY = jax.random.key(0)


def init(fn, *args):
    return sj.transform(fn).init(KEY, *args)


def _store():
    def f():
        with sj.variable_scope("enc"):
            sj.get_variable("w", [2, 3])
            sj.get_variable("count", [], jnp.int32, trainable=False)

    return f, init(f)


def twice():
    with sj.variable_scope("l1"):
        sj.get_variable("weights", [3])
    with sj.variable_scope("l1"):
        sj.get_variable("weights", [3])


def share(shape=(3,), dtype=jnp.float32):
    def f():
        with sj.variable_scope("l1", reuse=sj.AUTO_REUSE):
            sj.get_variable("weights", [3])
            sj.get_variable("weights", shape, dtype)

    return f


def scoped(body):
    def f():
        with sj.variable_scope("enc"):
            body()

    return f


def apply_with(mutator, fn_kwargs=None):
    f, store = _store()
    flat = store.flat()
    sj.transform(f).apply(mutator(flat), **(fn_kwargs or {}))


def assign_in_apply(ref, value, mutable=False):
    def f():
        with sj.variable_scope("enc"):
            sj.get_variable("w", [2, 3])
            sj.get_variable("count", [], jnp.int32, trainable=False)
        sj.assign(ref, value)

    net = sj.transform(f)
    if mutable:
        net.apply_with_state(net.init(KEY), mutable=mutable)
    else:
        net.apply(net.init(KEY))


def leak():
    def f(x):
        return jax.vmap(lambda xi: xi * sj.get_variable("enc/w", [3]))(x)

    init(f, jnp.ones([2, 3]))


def leak_jit():
    def f():
        jax.jit(lambda: sj.get_variable("enc/w", [3]))()

    init(f)


CASES = [
    # (id, thunk, exception class, text that must be in the message)
    (
        "outside_transform",
        lambda: sj.get_variable("enc/w", [3]),
        sj.NotInTransformError,
        "get_variable('enc/w')",
    ),
    ("create_twice", lambda: init(twice), sj.VariableExistsError, "l1/weights"),
    (
        "reuse_missing",
        lambda: init(
            lambda: (
                sj.variable_scope("l1", reuse=True).__enter__() and sj.get_variable("weights", [3])
            )
        ),
        sj.VariableNotFoundError,
        "l1/weights",
    ),
    ("share_shape", lambda: init(share((4,))), sj.VariableShapeError, "l1/weights"),
    ("share_rank", lambda: init(share(())), sj.VariableShapeError, "l1/weights"),
    ("share_dtype", lambda: init(share((3,), jnp.int32)), sj.VariableDtypeError, "l1/weights"),
    (
        "no_shape_no_initializer",
        lambda: init(scoped(lambda: sj.get_variable("w"))),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "constant_with_shape",
        lambda: init(scoped(lambda: sj.get_variable("w", [2], initializer=jnp.zeros(2)))),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "constant_dtype_mismatch",
        lambda: init(
            scoped(lambda: sj.get_variable("w", dtype=jnp.int32, initializer=jnp.zeros(2)))
        ),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "float_initializer_for_ints",
        lambda: init(
            scoped(
                lambda: sj.get_variable(
                    "w", [2], jnp.int32, initializer=sj.initializers.random_normal()
                )
            )
        ),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "no_default_initializer",
        lambda: init(scoped(lambda: sj.get_variable("w", [2], jnp.complex64))),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "initializer_wrong_shape",
        lambda: init(
            scoped(
                lambda: sj.get_variable(
                    "w", [2], initializer=lambda key, shape, dtype: jnp.zeros([3])
                )
            )
        ),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "bad_initializer_partial_shape",
        lambda: init(scoped(lambda: sj.get_variable("w", [None, 2]))),
        sj.InitializerError,
        "enc/w",
    ),
    (
        "invalid_root_name",
        lambda: init(lambda: sj.get_variable("_w", [1])),
        sj.InvalidNameError,
        "'_w'",
    ),
    (
        "invalid_name_space",
        lambda: init(scoped(lambda: sj.get_variable("a b", [1]))),
        sj.InvalidNameError,
        "enc/a b",
    ),
    (
        "bad_shape_type",
        lambda: init(scoped(lambda: sj.get_variable("w", "ab"))),
        TypeError,
        "enc/w",
    ),
    (
        "bad_dtype",
        lambda: init(scoped(lambda: sj.get_variable("w", [1], "floot32"))),
        TypeError,
        "enc/w",
    ),
    (
        "partitioner",
        lambda: init(scoped(lambda: sj.get_variable("w", [4], partitioner=len))),
        sj.ShardingError,
        "enc/w",
    ),
    (
        "unknown_kwarg",
        lambda: init(scoped(lambda: sj.get_variable("w", [4], foo=1))),
        TypeError,
        "foo",
    ),
    (
        "variable_collections_not_list",
        lambda: init(scoped(lambda: sj.Variable(1.0, name="v", collections="X"))),
        TypeError,
        "enc/v",
    ),
    (
        "default_name_with_reuse",
        lambda: init(lambda: sj.variable_scope(None, default_name="dense", reuse=True).__enter__()),
        sj.ScopeUsageError,
        "dense",
    ),
    ("scope_name_not_str", lambda: sj.variable_scope(3), TypeError, "3"),
    (
        "assign_without_mutable",
        lambda: assign_in_apply("enc/count", 1),
        sj.AssignError,
        "enc/count",
    ),
    (
        "assign_bad_shape",
        lambda: assign_in_apply("enc/w", jnp.zeros(4), mutable=True),
        sj.AssignError,
        "enc/w",
    ),
    (
        "assign_bad_dtype",
        lambda: assign_in_apply("enc/count", jnp.ones(()) * 1.5, mutable=True),
        sj.AssignError,
        "enc/count",
    ),
    (
        "assign_unknown",
        lambda: assign_in_apply("enc/cuont", 1, mutable=True),
        sj.AssignError,
        "enc/count",
    ),  # the suggestion names the real one
    (
        "apply_missing",
        lambda: apply_with(lambda d: {"enc/count": d["enc/count"]}),
        sj.VariableNotFoundError,
        "enc/w",
    ),
    (
        "apply_extra",
        lambda: apply_with(lambda d: dict(d, **{"dec/w": d["enc/w"]})),
        sj.UnusedVariablesError,
        "dec/w",
    ),
    (
        "apply_misshaped",
        lambda: apply_with(lambda d: dict(d, **{"enc/w": jnp.zeros([3, 2])})),
        sj.VariableShapeError,
        "enc/w",
    ),
    (
        "apply_wrong_dtype",
        lambda: apply_with(lambda d: dict(d, **{"enc/count": jnp.zeros(())})),
        sj.VariableDtypeError,
        "enc/count",
    ),
    (
        "apply_leaf_not_array",
        lambda: apply_with(lambda d: dict(d, **{"enc/w": object()})),
        sj.StoreError,
        "enc/w",
    ),
    (
        "apply_without_store",
        lambda: sj.transform(lambda: None).apply(jnp.ones(3)),
        sj.TransformError,
        "store",
    ),
    (
        "init_bad_rng",
        lambda: sj.transform(lambda: None).init("seed"),
        sj.TransformError,
        "jax.random.key",
    ),
    ("leak_in_vmap", leak, sj.TracerLeakError, "enc/w"),
    ("leak_in_jit", leak_jit, sj.TracerLeakError, "enc/w"),
    (
        "missing_rng",
        lambda: sj.transform(lambda: sj.next_rng_key()).apply({}),
        sj.MissingRNGError,
        "rng=",
    ),
    ("store_key", lambda: _store()[1]["enc/ww"], sj.StoreKeyError, "enc/w"),
    (
        "handle_after_call",
        lambda: sj.transform(lambda: sj.global_variables()).apply(_store()[1])[0].value,
        ValueError,
        "enc/w",
    ),
]


@pytest.mark.parametrize("thunk,exc,text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_misuse(thunk, exc, text):
    with pytest.raises(exc) as info:
        thunk()
    assert isinstance(info.value, (ValueError, TypeError, KeyError))
    assert text in str(info.value)
    assert frame_stack() == []


def test_at_least_twenty_misuses():
    assert len(CASES) >= 20


def test_handle_after_call_message():
    # (the table above checks the text; here the order of the store is irrelevant)
    f, store = _store()
    handles = sj.transform(lambda: (f(), sj.global_variables())[1]).apply(store)
    assert [h.name for h in handles] == ["enc/w", "enc/count"]
