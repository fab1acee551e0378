"""``tf.linalg.LinearOperatorLowerTriangular`` against TF's graph mode
(``tests/compat_recordings/record_linear_operator.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from linear_operator_cases import CASES  # noqa: E402

with np.load(HERE / "linear_operator.npz") as _z:
    RECORDED = {k: _z[k] for k in _z.files}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_tensorflow(name):
    fn, tril, x = CASES[name]
    out = jax.jit(lambda t, v: fn(tf, t, v))(tril, x)  # one compile, not one per op
    want = {k.split("/", 1)[1]: v for k, v in RECORDED.items() if k.startswith(f"{name}/")}
    assert sorted(out) == sorted(want)
    for k, v in want.items():
        got = np.asarray(out[k])
        assert got.shape == v.shape, k
        np.testing.assert_allclose(got, v, rtol=2e-6, atol=2e-6, err_msg=k)


def test_under_jit_and_errors():
    mask = jax.jit(lambda m: tf.linalg.LinearOperatorLowerTriangular(m).to_dense())
    np.testing.assert_array_equal(mask(np.ones((3, 3), np.float32)), np.tril(np.ones((3, 3))))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tf.linalg.LinearOperatorLowerTriangular(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="Only square"):
        tf.linalg.LinearOperatorLowerTriangular(np.ones((3, 3), np.float32), is_square=False)
