"""``tf.linalg.LinearOperatorLowerTriangular`` cases recorded from TensorFlow
(``record_linear_operator.py``) and replayed on ``scopejax.compat.v1``
(``tests/test_compat_linear_operator.py``). NumPy only.

Each case is ``fn(tf, tril, x) -> {name: array}``: ``tril`` has a non-zero strictly
upper triangle (which the operator must ignore).
"""

from __future__ import annotations

import numpy as np


def _r(*shape: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    return a


def _tril(*shape: int, seed: int) -> np.ndarray:
    a = _r(*shape, seed=seed)
    n = shape[-1]
    return a + 3.0 * np.eye(n, dtype=np.float32)  # a well-conditioned diagonal


def methods(tf, tril, x):
    op = tf.linalg.LinearOperatorLowerTriangular(tril)
    return {
        "to_dense": op.to_dense(),
        "diag_part": op.diag_part(),
        "matmul": op.matmul(x),
        "matmul_adjoint": op.matmul(x, adjoint=True),
        "matmul_adjoint_arg": op.matmul(tf.linalg.adjoint(x), adjoint_arg=True),
        "matvec": op.matvec(x[..., 0]),
        "matvec_adjoint": op.matvec(x[..., 0], adjoint=True),
        "solve": op.solve(x),
        "solve_adjoint": op.solve(x, adjoint=True),
        "solve_adjoint_arg": op.solve(tf.linalg.adjoint(x), adjoint_arg=True),
        "solvevec": op.solvevec(x[..., 0]),
        "determinant": op.determinant(),
        "log_abs_determinant": op.log_abs_determinant(),
        "trace": op.trace(),
        "add_to_tensor": op.add_to_tensor(x[..., :1]),
        "shape": np.asarray(op.shape.as_list()),
    }


def causal_mask(tf, tril, x):
    """Kyubyong's Transformer: ``LinearOperatorLowerTriangular(ones_like(...)).to_dense()``."""
    ones = tf.ones_like(x[0, :, :3])
    return {"tril": tf.linalg.LinearOperatorLowerTriangular(ones).to_dense()}


CASES = {
    "square": (methods, _tril(4, 4, seed=0), _r(4, 2, seed=1)),
    "batched": (methods, _tril(2, 3, 3, seed=2), _r(2, 3, 2, seed=3)),
    "causal_mask": (causal_mask, _tril(3, 3, seed=4), _r(2, 3, 5, seed=5)),
}
