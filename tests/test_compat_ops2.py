"""tf.math / tf.linalg / tf.losses / tf.image / tf.nn extras and tf.scatter_nd against
TensorFlow's own outputs, recorded by tests/compat_recordings/record_ops2.py (TF 2.21,
tf.compat.v1) from tests/compat_recordings/ops2_cases.py. No TensorFlow needed here."""

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

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from ops2_cases import CASES  # noqa: E402

sys.path.remove(str(HERE))
META = json.loads((HERE / "ops2.json").read_text())
OUT = np.load(HERE / "ops2.npz")
NARROW = {"int64": "int32", "float64": "float32", "uint64": "uint32", "complex128": "complex64"}
# float32 linear algebra: TF's and XLA's factorizations round differently
TOLERANCE = {"linalg": 2e-4, "matrix": 2e-4, "trace": 1e-5, "norm": 1e-5}


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
    assert len(META["cases"]) == len(CASES) >= 130


def _params():
    seen: set[str] = set()
    out = []
    for c in CASES:
        fast = c[1] not in seen  # one case per op in the inner loop, all in the full suite
        seen.add(c[1])
        out.append(pytest.param(*c, id=c[0], marks=() if fast else pytest.mark.slow))
    return out


@pytest.mark.parametrize("id_,op,args,kwargs", _params())
def test_op_matches_tensorflow(id_, op, args, kwargs):
    meta = META["cases"][id_]
    out = resolve(op)(*args, **kwargs)
    leaves = flatten(out)
    assert isinstance(out, (list, tuple)) == meta["list"]
    assert len(leaves) == len(meta["dtypes"])
    tol = next((t for k, t in TOLERANCE.items() if op.startswith(k)), 2e-5)
    for k, (leaf, dtype) in enumerate(zip(leaves, meta["dtypes"], strict=True)):
        want = OUT[f"{id_}/out{k}"]
        got = np.asarray(leaf)
        assert str(got.dtype) == NARROW.get(dtype, dtype), (k, got.dtype, dtype)
        assert got.shape == want.shape, (k, got.shape, want.shape)
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(got, want.astype(got.dtype), rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(got, want)


def test_losses_collect_and_total_as_in_a_tf1_graph():
    """The program of record_ops2.losses_program: LOSSES, get_total_loss, regularization."""
    want = META["losses_program"]

    def program():
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        w = tf.get_variable(
            "w",
            initializer=tf.constant([[0.5, -1.0], [2.0, 0.25]]),
            regularizer=lambda t: 0.1 * tf.reduce_sum(t * t),
        )
        y = tf.matmul(x, w)
        a = tf.losses.mean_squared_error(tf.ones_like(y), y)
        b = tf.losses.absolute_difference(tf.zeros_like(y), y, weights=0.5)
        tf.losses.absolute_difference(tf.zeros_like(y), y, loss_collection=None)
        counts = (len(tf.losses.get_losses()), len(tf.losses.get_regularization_losses()))
        return counts, {
            "a": a,
            "b": b,
            "total": tf.losses.get_total_loss(),
            "total_no_reg": tf.losses.get_total_loss(add_regularization_losses=False),
            "reg": tf.losses.get_regularization_loss(),
        }

    net = sj.transform(program)
    counts = []

    def run(key):  # one compile instead of an eager dispatch per op
        c, v = net.apply(net.init(key))
        counts.append(c)
        return v

    vals = jax.jit(run)(jax.random.key(0))
    n_losses, n_reg = counts[-1]
    assert (n_losses, n_reg) == (want["n_losses"], want["n_regularization_losses"])
    for k, v in vals.items():
        assert float(v) == pytest.approx(want[k], rel=1e-6), k


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        tf.losses.mean_squared_error(jnp.ones([2]), jnp.ones([2]), reduction="mean")
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        tf.losses.mean_squared_error(jnp.ones([2, 3]), jnp.ones([2, 3]), weights=jnp.ones([3]))
    with pytest.raises(ValueError, match="no losses"):
        net = sj.transform(lambda: tf.losses.get_total_loss())
        net.apply(net.init(jax.random.key(0)))


@pytest.mark.slow
def test_random_names_draw_from_the_key():
    def draws():
        return (
            tf.random.normal([2000]),
            tf.random.uniform([3]),
            tf.random.shuffle(jnp.arange(10)),
            tf.random.categorical(jnp.log(jnp.array([[0.1, 0.9]])), 4000),
        )

    net = sj.transform(draws)
    store = net.init(jax.random.key(0))
    normal, uniform, perm, cat = jax.jit(net.apply)(store, rng=jax.random.key(3))
    assert abs(float(normal.mean())) < 0.1 and 0.9 < float(normal.std()) < 1.1
    assert uniform.shape == (3,) and sorted(perm.tolist()) == list(range(10))
    assert cat.shape == (1, 4000) and 0.87 < float(cat.mean()) < 0.93
    tf.set_random_seed(1234)  # accepted; seeds come from the key
