"""Every scopejax.compat.v1 op against TensorFlow's own outputs, recorded by
tests/compat_recordings/record.py (TF 2.21, tf.compat.v1) from the cases in
tests/compat_recordings/cases.py. No TensorFlow needed here.

Without ``jax_enable_x64``, TF's int64 / float64 results are compared as int32 / float32.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from cases import CASES  # noqa: E402

sys.path.remove(str(HERE))
META = json.loads((HERE / "ops.json").read_text())
OUT = np.load(HERE / "ops.npz")
RECORDED = [c for c in CASES if c[0] in META["cases"]]
NARROW = {"int64": "int32", "float64": "float32", "uint64": "uint32", "complex128": "complex64"}


def resolve(path: str):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def test_every_case_is_recorded():
    assert not META["refused"], META["refused"]
    assert len(RECORDED) == len(CASES) >= 200


def test_the_recording_covers_every_op_in_the_brief():
    ops = {op for _, op, _, _ in RECORDED}
    wanted = """add subtract multiply divide truediv maximum minimum pow exp log sqrt rsqrt square
    abs tanh sigmoid matmul einsum cast to_float to_int32 reduce_sum reduce_mean reduce_max
    reduce_min reduce_prod reduce_any reduce_all concat stack unstack split reshape transpose
    expand_dims squeeze tile gather one_hot zeros ones zeros_like ones_like fill range shape rank
    size where equal not_equal less greater logical_and logical_or logical_not argmax argmin
    matrix_band_part sequence_mask pad slice clip_by_global_norm clip_by_value stop_gradient
    nn.relu nn.relu6 nn.elu nn.selu nn.softplus nn.leaky_relu nn.softmax nn.log_softmax
    nn.bias_add nn.conv1d nn.conv2d nn.conv2d_transpose nn.max_pool nn.avg_pool nn.moments
    nn.l2_loss nn.l2_normalize nn.embedding_lookup nn.softmax_cross_entropy_with_logits
    nn.softmax_cross_entropy_with_logits_v2 nn.sparse_softmax_cross_entropy_with_logits
    nn.sigmoid_cross_entropy_with_logits nn.top_k""".split()
    assert set(wanted) <= ops, sorted(set(wanted) - ops)


def _first_case_of_each_op_is_fast(cases: list) -> list:
    """The inner loop (-m "not slow") checks one recorded case of every other op (in the
    recording's order, which groups related ops); the full suite checks all of them."""
    seen: set[object] = set()
    out = []
    for c in cases:
        key = c[1] if isinstance(c[1], str) else id(c[1])
        fast = key not in seen and len(seen) % 2 == 0
        seen.add(key)
        out.append(pytest.param(*c, id=c[0], marks=() if fast else pytest.mark.slow))
    return out


@pytest.mark.parametrize("id_,op,args,kwargs", _first_case_of_each_op_is_fast(RECORDED))
def test_op_matches_tensorflow(id_, op, args, kwargs):
    meta = META["cases"][id_]
    out = resolve(op)(*args, **kwargs)
    leaves = flatten(out)
    assert isinstance(out, (list, tuple)) == meta["list"]
    assert len(leaves) == len(meta["dtypes"])
    for k, (leaf, dtype) in enumerate(zip(leaves, meta["dtypes"], strict=True)):
        want = OUT[f"{id_}/out{k}"]
        got = np.asarray(leaf)
        assert str(got.dtype) == NARROW.get(dtype, dtype), (k, got.dtype, dtype)
        assert got.shape == want.shape, (k, got.shape, want.shape)
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(got, want.astype(got.dtype), rtol=2e-5, atol=2e-5)
        else:
            np.testing.assert_array_equal(got, want)


# under jit, one case per op (the eager test above checks every case against TF)
JITTABLE = list(
    {
        (c[1] if isinstance(c[1], str) else id(c[1])): c
        for c in reversed(RECORDED)
        if c[0] not in ("where_coordinates", "boolean_mask", "sequence_mask_no_maxlen")
    }.values()
)[::-1]


@pytest.mark.slow
@pytest.mark.parametrize("id_,op,args,kwargs", JITTABLE, ids=[c[0] for c in JITTABLE])
def test_op_traces_under_jit(id_, op, args, kwargs):
    leaves, treedef = jax.tree_util.tree_flatten(
        (args, kwargs), is_leaf=lambda x: isinstance(x, np.ndarray)
    )
    arrays = [i for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray)]

    def f(*xs):
        full = list(leaves)
        for i, x in zip(arrays, xs, strict=True):
            full[i] = x
        a, kw = jax.tree_util.tree_unflatten(treedef, full)
        return resolve(op)(*a, **kw)

    out = jax.jit(f)(*(jnp.asarray(leaves[i]) for i in arrays))
    ref = resolve(op)(*args, **kwargs)
    for a, b in zip(flatten(out), flatten(ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
