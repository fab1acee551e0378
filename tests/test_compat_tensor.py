"""TF's Tensor API on scopejax.compat.v1 values (shapes, Python scalars on operators),
against TensorFlow's own behaviour recorded by
tests/compat_recordings/record_tensor_api.py (TF 2.21, graph mode). No TensorFlow here.

Expressions are evaluated with ``eval`` in a namespace that holds the compat module as
``tf``, as TF1 model code runs them; the same expressions in a namespace without it
show that plain JAX code is untouched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf
from scopejax._src.compat import tensor as tensor_api

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from tensor_api_cases import SHAPE_CASES, operand, operator_cases  # noqa: E402

sys.path.remove(str(HERE))
REC = json.loads((HERE / "tensor_api.json").read_text())
NARROW = {"int64": "int32", "float64": "float32"}


def jsonable(v):
    if isinstance(v, (list, tuple)) and not isinstance(v, tf.TensorShape):
        return [jsonable(i) for i in v]
    if isinstance(v, tf.Dimension):
        return {"Dimension": v.value}
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return {"repr": repr(v)}


def compat_eval(expr: str, **names):
    return eval(expr, {"tf": tf, **names})


def plain_eval(expr: str, **names):
    return eval(expr, {"jnp": jnp, **names})


def test_shape_api_matches_tensorflow():
    assert set(REC["shape"]) == set(SHAPE_CASES)
    x = jnp.ones([2, 3, 4])
    for expr in SHAPE_CASES:
        want = REC["shape"][expr]
        try:
            got = {"value": jsonable(compat_eval(expr, x=x))}
        except Exception as e:  # noqa: BLE001 - compared with TF's refusal
            got = {"error": type(e).__name__, "message": str(e).splitlines()[0][:200]}
        assert got == want, expr


def _divergence(dtype: str, s, expr: str, rec: dict) -> str | None:
    """Where scopejax follows JAX rather than TF (documented in compat.v1)."""
    if rec.get("error") == "InvalidArgumentError":
        return "TF fails at run time (integer division by zero); JAX computes a value"
    if dtype == "bool":
        return "bool tensors follow JAX (TF refuses arithmetic or multiplies as bool)"
    if dtype == "uint8" and "**" in expr:
        return "TF has no uint8 Pow"
    if dtype == "float16" and "//" in expr and s < -65504:
        return "floor division by float16 -inf: JAX gives -1, TF -0"
    return None


def _replay(cases: list) -> dict[str, int]:
    """Replays operator cases against the recording; returns the divergences by reason."""
    recorded = REC["operators"]
    diverged: dict[str, int] = {}
    mismatches = []
    with np.errstate(all="ignore"):
        for id_, dtype, s, expr in cases:
            rec = recorded[id_]
            x = jnp.asarray(operand(dtype))
            why = _divergence(dtype, s, expr, rec)
            if why:
                diverged[why] = diverged.get(why, 0) + 1
                continue
            if "error" in rec:
                assert rec["error"] == "TypeError", id_
                with pytest.raises(TypeError, match="TF converts a Python scalar"):
                    compat_eval(expr, x=x, s=s)
                continue
            out = compat_eval(expr, x=x, s=s)
            got = np.asarray(out)
            want = np.asarray(rec["value"], dtype=NARROW.get(rec["dtype"], rec["dtype"]))
            if str(got.dtype) != str(want.dtype) or not np.allclose(
                got.astype(np.float64), want.astype(np.float64), rtol=1e-6, equal_nan=True
            ):
                mismatches.append((id_, rec, got.dtype, got.tolist()))
    assert not mismatches, mismatches
    return diverged


def test_python_scalars_on_operators_match_tensorflow_fast_subset():
    """float32 with the issue's big int, and the float-on-int refusals (few compiles)."""
    cases = [
        c
        for c in operator_cases()
        if (c[1] == "float32" and c[2] == -(2**32) + 1 and c[3] in ("x * s", "s - x", "x > s"))
        or (c[1] == "int32" and c[2] == 0.5)
    ]
    assert len(cases) == 16 and not _replay(cases)


@pytest.mark.slow
def test_python_scalars_on_operators_match_tensorflow():
    cases = operator_cases()  # ~240 small compiles: several seconds
    assert set(REC["operators"]) == {c[0] for c in cases} and len(cases) == 600
    diverged = _replay(cases)
    assert sorted(diverged.values()) == [1, 4, 10, 100], diverged
    assert len(cases) - sum(diverged.values()) == 485


def test_the_case_in_the_issue():
    mask = jnp.asarray([1.0, 0.0], jnp.float32)
    out = compat_eval("mask * (-2**32 + 1)", mask=mask)
    assert out.dtype == jnp.float32 and out.tolist() == [-4294967296.0, 0.0]
    with pytest.raises(OverflowError):  # plain JAX, unchanged
        plain_eval("mask * (-2**32 + 1)", mask=mask)


def test_plain_jax_code_is_untouched():
    x = jnp.ones([2, 3], jnp.float32)
    i = jnp.ones([2], jnp.int32)
    s = plain_eval("x.shape", x=x)
    assert type(s) is tuple and type(s[0]) is int and s == (2, 3)
    assert plain_eval("(i * 0.5).dtype", i=i) == jnp.float32  # JAX promotes; TF refuses
    assert plain_eval("(i + 300).tolist()", i=i) == [301, 301]
    # JAX's own functions never see a TensorShape, even when called from compat code: a
    # spy defined outside the compat namespace records what jnp.reshape's code reads
    seen: list = []
    spy_ns = {"orig": jnp.reshape, "seen": seen}
    exec(  # noqa: S102
        "def spy(a, shape, *args, **kw):\n"
        "    seen.append(type(a.shape))\n"
        "    return orig(a, shape, *args, **kw)\n",
        spy_ns,
    )
    jnp.reshape = spy_ns["spy"]
    try:
        tf.reshape(x, [3, 2])
        jax.jit(lambda a: tf.reshape(a, [3, 2]))(x)
    finally:
        jnp.reshape = spy_ns["orig"]
    assert seen == [tuple, tuple]


def test_compat_code_sees_tensor_shapes_under_jit_and_the_hlo_is_unchanged():
    def compat_f(x):
        n = x.shape[-1].value * x.get_shape()[0].value
        return tf.reshape(x, [n]) * (-(2**32) + 1) + x.shape.num_elements()

    namespace = {"tf": tf, "__builtins__": __builtins__}
    compat_f = type(compat_f)(compat_f.__code__, namespace)

    def plain_f(x):
        return jnp.reshape(x, [6]) * np.float32(-4294967295.0) + 6

    x = jnp.ones([2, 3], jnp.float32)
    compat_text = jax.jit(compat_f).lower(x).as_text()
    plain_text = jax.jit(plain_f).lower(x).as_text()
    assert compat_text.replace("compat_f", "f") == plain_text.replace("plain_f", "f")
    np.testing.assert_array_equal(jax.jit(compat_f)(x), plain_f(x))


def test_variables_and_their_handles_have_get_shape():
    def model(x):
        with tf.variable_scope("fc"):
            w = tf.get_variable("w", [x.get_shape()[-1].value, 5])
        sizes = [int(np.prod(v.get_shape().as_list())) for v in tf.trainable_variables()]
        assert w.shape.as_list() == [3, 5] and sizes == [15]
        return tf.matmul(x, w)

    net = sj.transform(model)
    store = net.init(jax.random.key(0), jnp.ones([2, 3]))
    assert net.apply(store, jnp.ones([2, 3])).shape == (2, 5)


def test_set_shape_checks_compatibility():
    x = jnp.ones([2, 3])
    x.set_shape([None, 3])
    x.set_shape(tf.TensorShape([2, 3]))
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(2, 4\) are not compatible"):
        x.set_shape([2, 4])


def test_shapes_work_where_ints_and_tuples_do():
    x = jnp.ones([2, 3, 4])
    s = x.get_shape()
    assert jnp.zeros(s).shape == (2, 3, 4) and np.zeros(s[1:]).shape == (3, 4)
    assert list(range(s[1])) == [0, 1, 2] and hash(s) == hash((2, 3, 4))
    assert s[:-1] + [5] == [2, 3, 5] and isinstance(s[:-1] + [5], tf.TensorShape)
    b, t, d = s
    assert (b * t).value == 6 and tf.reshape(x, [b * t, d]).shape == (6, 4)
    assert x * s[-1] is not None and (x * s[-1]).dtype == jnp.float32  # TF: scalar -> float32
    assert tf.TensorShape(x.shape).dims[0].value == 2 and repr(s) == "(2, 3, 4)"


def test_uninstall_restores_jax_classes():
    x = jnp.ones([2])
    tensor_api.uninstall()
    try:
        assert type(compat_eval("x.shape", x=x)) is tuple and not hasattr(x, "get_shape")
    finally:
        tensor_api.install()
    assert type(compat_eval("x.shape", x=x)) is tf.TensorShape and tensor_api.installed()
