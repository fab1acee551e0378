"""TF1's Tensor API cases, recorded from TensorFlow (record_tensor_api.py) and replayed on
scopejax.compat.v1 (tests/test_compat_tensor.py). NumPy only: imported in both venvs.

Each case is a Python expression evaluated in a namespace holding ``tf`` (the TF1 module
or ``scopejax.compat.v1``), ``x`` (a tensor) and ``s`` (a Python scalar), so the
operators run as TF1 model code runs them.
"""

from __future__ import annotations

import numpy as np

# x is a [2, 3, 4] float32 tensor for the shape cases
SHAPE_CASES = [
    "x.get_shape().as_list()",
    "x.shape.as_list()",
    "x.shape.ndims",
    "x.get_shape().ndims",
    "x.shape.rank",
    "x.shape[1].value",
    "x.shape[-1].value",
    "x.get_shape()[0].value",
    "[d.value for d in x.shape]",
    "[d.value for d in x.shape.dims]",
    "x.shape[1:].as_list()",
    "x.shape.is_fully_defined()",
    "x.shape.num_elements()",
    "len(x.shape)",
    "x.shape == [2, 3, 4]",
    "x.shape == (2, 3, 4)",
    "x.shape != [2, 3, 5]",
    "x.shape[1] == 3",
    "(x.shape[1] * 2).value",
    "(2 * x.shape[1]).value",
    "(x.shape[1] + x.shape[2]).value",
    "(x.shape[2] // 3).value",
    "(x.shape[2] % 3).value",
    "(x.shape[2] - 1).value",
    "x.shape[1] / 2",
    "int(x.shape[1]) * 5",
    "str(x.shape)",
    "x.shape.concatenate([5]).as_list()",
    "x.shape.merge_with([None, 3, None]).as_list()",
    "x.shape.is_compatible_with([2, None, 4])",
    "x.shape.is_compatible_with([2, 5, 4])",
    "x.shape.is_compatible_with([2, 3])",
    "x.shape.merge_with([2, 5, 4])",
    "x.shape.with_rank(3).as_list()",
    "x.shape.with_rank(2)",
    "tf.TensorShape([None, 3]).as_list()",
    "tf.TensorShape([None, 3]).is_fully_defined()",
    "tf.TensorShape([None, 3]).num_elements()",
    "tf.TensorShape([None, 3])[0].value",
    "tf.TensorShape([2, 3]).num_elements()",
    "tf.dimension_value(x.shape[1])",
    "tf.dimension_value(7)",
    "x.dtype.name",
    "tf.reshape(x, [-1, x.shape[-1].value]).get_shape().as_list()",
    "tf.reshape(x, [x.shape[0], -1]).get_shape().as_list()",
    "tf.zeros(x.get_shape()[1:]).get_shape().as_list()",
]

OPERATOR_DTYPES = ["float32", "float16", "int32", "int8", "uint8", "bool"]
OPERATOR_SCALARS = [1, -3, 0.5, 1e5, 300, 2**31, -(2**32) + 1, 2**33]
OPERATORS = [
    "x + s",
    "s + x",
    "x - s",
    "s - x",
    "x * s",
    "s * x",
    "x / s",
    "s / x",
    "x // s",
    "x % s",
    "x ** s",
    "x > s",
    "s <= x",
]


def operand(dtype: str) -> np.ndarray:
    """The tensor the operator cases use for ``dtype``."""
    if dtype == "bool":
        return np.array([True, False, True])
    return np.array([1, 2, 3], dtype)


def operator_cases() -> list[tuple[str, str, object, str]]:
    """Every (id, dtype, scalar, expression)."""
    out = []
    for dtype in OPERATOR_DTYPES:
        for s in OPERATOR_SCALARS:
            for expr in OPERATORS:
                if "**" in expr and isinstance(s, int) and (s < 0 or s > 300):
                    continue  # TF and NumPy refuse or overflow differently; not model code
                out.append((f"{dtype} | {expr} | s={s!r}", dtype, s, expr))
    return out
