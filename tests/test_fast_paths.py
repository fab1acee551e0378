"""The fast paths of eager ``apply`` behave exactly as the general code they shortcut.

* ``scope.capture_scope`` (how a module picks its scope) against an empty
  ``with variable_scope(...)`` block;
* ``get_variable`` at ``apply`` (``variables._stored_getter``) against the general
  ``_true_getter``, reached through a pass-through custom getter;
* ``Dense`` skipping its scope for the rest of ``__init__`` (``_sj_init_stores_only``)
  against entering it;
* the functional layers' argument binding against ``inspect.Signature.bind``.

Each compares results, errors (type and message) and the frame's naming state.
"""

from __future__ import annotations

import inspect
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax._src.core.context import current_frame, push_frame
from scopejax._src.core.scope import (
    AUTO_REUSE,
    capture_scope,
    new_frame,
    reopen,
    variable_scope,
)
from scopejax._src.nn.layers import _binder, signature_of
from scopejax._src.nn.linear import Dense


def _frame_state(frame):
    return {
        "names_in_use": dict(frame.naming._in_use),
        "counts": dict(frame.naming._counts),
        "descendants": {k: set(v) for k, v in frame.naming._descendants.items()},
        "journal": list(frame.naming._journal),
        "journal_depth": frame.naming._journal_depth,
        "name_stack": frame.naming.stack,
        "var_scope": frame.naming.scope.name,
    }


def _scope_fields(s):
    return (s.name, s.original_name_scope, s.reuse, s.initializer, s.dtype, s.custom_getter)


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return ("error", type(e), str(e))


# settings a module can be built in: each makes some names and counters exist first
def _at_root(frame, body):
    return body()


def _in_scope(frame, body):
    with variable_scope("outer", initializer=jnp.zeros, dtype=jnp.float32):
        return body()


def _in_name_scope(frame, body):
    with sj.name_scope("ns"):
        return body()


def _after_siblings(frame, body):
    for name in ("dense", "dense_1", "Dense_2", "x"):
        with variable_scope(name):
            with variable_scope("inner"):
                pass
    with sj.name_scope("dense_3"):
        pass
    return body()


def _slash_names(frame, body):  # counters below a scope that was never entered itself
    for name in ("dense/inner", "x/y/z", "a/b"):
        with variable_scope(name):
            pass
    return body()


def _reopened(frame, body):  # the journal is recording: counter changes are undone later
    with variable_scope("block") as block:
        with variable_scope("dense"):
            pass
    with reopen(frame, block, AUTO_REUSE):
        return body()


def _reusing(frame, body):
    with variable_scope("shared", reuse=True):
        return body()


SETTINGS = [
    _at_root,
    _in_scope,
    _in_name_scope,
    _after_siblings,
    _slash_names,
    _reopened,
    _reusing,
]
NAMES = [None, "dense", "x", "A", "a/", "a/b", "dense_1", "bad name", "", ".x", "_x", "-"]
DEFAULTS = ["dense", "x", "", None, "_under"]
REUSES = [None, False, True, AUTO_REUSE, 0, "yes"]


def _capture(fast, setting, name, default, reuse):
    frame = new_frame(is_init=False, params={})
    with push_frame(frame):

        def body():
            if fast:
                out = _outcome(lambda: _scope_fields(capture_scope(frame, name, default, reuse)))
            else:

                def full():
                    with variable_scope(name, default_name=default, reuse=reuse) as s:
                        pass
                    return _scope_fields(s)

                out = _outcome(full)
            # a sibling opened next shows what the counters say afterwards
            sibling = _outcome(lambda: _scope_fields(capture_scope(frame, None, "dense")))
            return out, sibling, _frame_state(frame)

        return setting(frame, body)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda f: f.__name__)
def test_capture_scope_is_an_empty_variable_scope_block(setting):
    for name, default, reuse in itertools.product(NAMES, DEFAULTS, REUSES):
        fast = _capture(True, setting, name, default, reuse)
        full = _capture(False, setting, name, default, reuse)
        assert fast == full, (name, default, reuse)


# -- get_variable at apply --------------------------------------------------------
def _passthrough(getter, *args, **kwargs):
    return getter(*args, **kwargs)


def _handle_view(h):
    return (h.name, h.key, h.shape, h.dtype, h.trainable, h.device, list(h._colls))


def _run_get(store, fn, general):
    """Run ``fn`` under apply; ``general`` sends every get_variable through _true_getter."""
    seen = {}

    def model():
        if general:
            with variable_scope("", custom_getter=_passthrough):
                out = fn()
        else:
            out = fn()
        seen["vars"] = [_handle_view(h) for h in sj.global_variables()]
        seen["trainable"] = [h.name for h in sj.trainable_variables()]
        seen["colls"] = {k: [h.name for h in sj.get_collection(k)] for k in ("a", "b")}
        frame = current_frame("test")
        seen["used"] = sorted(frame.registry._used)
        seen["names_in_use"] = dict(frame.naming._in_use)
        return out

    net = sj.transform(model, strict=False)
    out = _outcome(lambda: net.apply(store))
    if out[0] == "ok":
        out = ("ok", jax.tree.map(lambda v: (np.shape(v), str(np.asarray(v).dtype)), out[1]))
    return out, seen


def _store(**values):
    return {k: jnp.asarray(v) for k, v in values.items()}


F32 = np.ones((2, 3), np.float32)
ZEROS = sj.initializers.Zeros
CASES = [
    ("plain", {"w": F32}, lambda: sj.get_variable("w", [2, 3])),
    ("tuple shape", {"w": F32}, lambda: sj.get_variable("w", (2, 3))),
    ("numpy dims", {"w": F32}, lambda: sj.get_variable("w", [np.int64(2), 3])),
    ("unknown dim", {"w": F32}, lambda: sj.get_variable("w", [None, 3], initializer=jnp.ones)),
    ("bool dim", {"w": F32}, lambda: sj.get_variable("w", [True, 3])),
    ("negative dim", {"w": F32}, lambda: sj.get_variable("w", [-2, 3])),
    ("int shape", {"w": np.ones(3, np.float32)}, lambda: sj.get_variable("w", 3)),
    ("scalar", {"w": np.float32(1)}, lambda: sj.get_variable("w", [])),
    ("wrong shape", {"w": F32}, lambda: sj.get_variable("w", [3, 2])),
    ("wrong dtype", {"w": F32}, lambda: sj.get_variable("w", [2, 3], jnp.int32)),
    ("int var", {"w": np.ones((2, 3), np.int32)}, lambda: sj.get_variable("w", [2, 3], "int32")),
    ("bad dtype", {"w": F32}, lambda: sj.get_variable("w", [2, 3], "nope")),
    ("string dtype", {"w": F32}, lambda: sj.get_variable("w", [2, 3], np.str_)),
    ("missing", {"v": F32}, lambda: sj.get_variable("w", [2, 3])),
    ("missing near", {"ww": F32}, lambda: sj.get_variable("w", [2, 3])),
    ("bad name", {"w": F32}, lambda: sj.get_variable("bad name", [2, 3])),
    ("empty name", {"w": F32}, lambda: sj.get_variable("", [2, 3])),
    ("slash name", {"w": F32}, lambda: sj.get_variable("w/", [2, 3])),
    ("constant init", {"w": F32}, lambda: sj.get_variable("w", initializer=jnp.ones((2, 3)))),
    ("shape and constant", {"w": F32}, lambda: sj.get_variable("w", [2, 3], initializer=F32)),
    (
        "class init",
        {"w": F32},
        lambda: sj.get_variable("w", [2, 3], initializer=sj.initializers.Zeros),
    ),
    (
        "untrainable",
        {"w": F32},
        lambda: sj.get_variable("w", [2, 3], trainable=False, collections=["a", "b", "a"]),
    ),
    ("collections", {"w": F32}, lambda: sj.get_variable("w", [2, 3], collections=("b",))),
    ("bad collections", {"w": F32}, lambda: sj.get_variable("w", [2, 3], collections="a")),
    (
        "twice",
        {"w": F32},
        lambda: (sj.get_variable("w", [2, 3]), sj.get_variable("w", [2, 3])),
    ),
    (
        "shared",
        {"s/w": F32},
        lambda: _twice_in("s", lambda: sj.get_variable("w", [2, 3])),
    ),
    (
        "reuse true missing",
        {"s/w": F32},
        lambda: _in("s", lambda: sj.get_variable("w", [2, 3]), reuse=True),
    ),
    (
        "auto reuse",
        {"s/w": F32},
        lambda: _in("s", lambda: sj.get_variable("w", [2, 3]), reuse=AUTO_REUSE),
    ),
    (
        "graph name taken",
        {"w": F32, "w_1": F32},
        lambda: (sj.Variable(F32, name="w"), sj.get_variable("w", [2, 3])),
    ),
    (
        "graph name case",
        {"W": F32, "w": F32},
        lambda: (sj.Variable(F32, name="W"), sj.get_variable("w", [2, 3])),
    ),
    (
        "trailing slash then plain",
        {"a": F32},
        lambda: (sj.get_variable("a/", [2, 3]), sj.get_variable("a", [2, 3])),
    ),
    (
        "under name scope",
        {"s/w": F32},
        lambda: _under_ns(lambda: _in("s", lambda: sj.get_variable("w", [2, 3]))),
    ),
    ("none in store", {"w": None}, lambda: sj.get_variable("w", [2, 3])),
]


def _in(name, fn, reuse=None):
    with variable_scope(name, reuse=reuse):
        return fn()


def _twice_in(name, fn):
    a = _in(name, fn)
    b = _in(name, fn, reuse=True)
    return a, b


def _under_ns(fn):
    with sj.name_scope("ns"):
        return fn()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_get_variable_at_apply_matches_the_general_getter(case):
    _, values, fn = case
    store = {k: (None if v is None else jnp.asarray(v)) for k, v in values.items()}
    assert _run_get(store, fn, general=False) == _run_get(store, fn, general=True)


def test_get_variable_fast_path_keeps_names_and_usage():
    def model(x):
        with variable_scope("enc"):
            h = sj.layers.dense(x, 4, name="fc")
            h = sj.layers.dense(h, 4)
        return sj.layers.dense(h, 2)

    x = jnp.ones([3, 5])
    net = sj.transform(model)
    store = net.init(jax.random.key(0), x)

    def general(x):
        with variable_scope("", custom_getter=_passthrough):
            return model(x)

    np.testing.assert_array_equal(net.apply(store, x), sj.transform(general).apply(store, x))
    assert store.names() == [
        "dense/bias",
        "dense/kernel",
        "enc/dense/bias",
        "enc/dense/kernel",
        "enc/fc/bias",
        "enc/fc/kernel",
    ]


# -- Dense without its scope for the rest of __init__ -------------------------------
def _dense_models():
    def plain(x):
        return sj.layers.dense(sj.layers.dense(x, 3), 2, name="out")

    def nested(x):
        with variable_scope("a"):
            with sj.name_scope("n"):
                d = Dense(3)
                e = Dense(3, name="dense")
            return e(d(x))

    def reopened(x):
        with variable_scope("b") as b:
            pass
        with variable_scope(b):
            y = Dense(3)(x)
        with variable_scope(b):
            return Dense(3)(y) + Dense(3, reuse=AUTO_REUSE, name="dense")(y)

    class Block(sj.Module):
        def __init__(self):
            super().__init__()
            self.d = Dense(3)

        def __call__(self, x):
            return self.d(x) + Dense(3)(x)

    def blocks(x):
        return Block()(x) + Block()(x)

    def failing(x):
        try:
            Dense(0)
        except ValueError:
            pass
        return Dense(3)(x)

    return [plain, nested, reopened, blocks, failing]


@pytest.mark.parametrize("model", _dense_models(), ids=lambda f: f.__name__)
def test_dense_skipping_its_init_scope_changes_nothing(model, monkeypatch):
    x = jnp.ones([2, 4])

    def run():
        net = sj.transform(model)
        init = _outcome(lambda: net.init(jax.random.key(0), x))
        if init[0] == "error":
            return init
        store = init[1]
        seen = {}

        def probe(x):
            out = model(x)
            seen["names"] = [v.name for v in sj.global_variables()]
            return out

        out = _outcome(lambda: np.asarray(sj.transform(probe).apply(store, x)).tolist())
        return store.names(), out, seen.get("names")

    fast = run()
    monkeypatch.setattr(Dense, "_sj_init_stores_only", False)
    assert run() == fast


def test_a_dense_subclass_with_its_own_init_gets_its_scope():
    class WithSub(Dense):
        def __init__(self, units):
            super().__init__(units)
            self.sub = Dense(units)

        def __call__(self, x):
            return self.sub(super().__call__(x))

    class Plain(Dense):
        pass

    def model(x):
        return Plain(2)(WithSub(2)(x))

    names = sj.transform(model).init(jax.random.key(0), jnp.ones([1, 3])).names()
    assert names == [
        "plain/bias",
        "plain/kernel",
        "with_sub/bias",
        "with_sub/dense/bias",
        "with_sub/dense/kernel",
        "with_sub/kernel",
    ]


# -- functional layers' binding ------------------------------------------------------
X = object()
CALLS = [
    ((X, 4), {}),
    ((X,), {"units": 4}),
    ((), {"inputs": X, "units": 4}),
    ((X, 4, "relu"), {"name": "fc", "reuse": True}),
    ((X, 4), {"use_bias": False, "kernel_initializer": None, "trainable": False}),
    ((X, 4, None, True, None, None, None, None, True, "n"), {}),
    ((X, 4, None, True, None, None, None, None, True, "n", "extra"), {}),
    ((X,), {}),
    ((), {"units": 4}),
    ((X, 4), {"units": 4}),
    ((X, 4), {"nope": 1}),
    ((X, 4), {"inputs": X}),
    ((X, 4, None, True, None, None, None, None, True, "n", None), {}),
]


@pytest.mark.parametrize("args,kwargs", CALLS)
def test_layer_binding_matches_signature_bind(args, kwargs):
    sig = signature_of(Dense)
    fast = _binder(sig)(args, kwargs)
    try:
        ref = dict(sig.bind(*args, **kwargs).arguments)
    except TypeError:
        ref = None
    if fast is not None:
        assert fast == ref
    # wrong calls always fall back, so their errors are inspect's
    if ref is None:
        assert fast is None


def test_layer_errors_are_unchanged():
    sig = inspect.signature(sj.layers.dense)
    for args, kwargs in [((jnp.ones([1, 2]),), {}), ((jnp.ones([1, 2]), 3), {"bogus": 1})]:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as e:
            expected = f"dense(): {e}"

        def call(args=args, kwargs=kwargs):
            return sj.layers.dense(*args, **kwargs)

        with pytest.raises(TypeError) as got:
            sj.transform(call).init(jax.random.key(0))
        assert str(got.value) == expected
