"""More of TF1's op surface: the ``tf.math`` / ``tf.linalg`` / ``tf.random`` / ``tf.image``
names the top-level module lacks, ``tf.scatter_nd`` and ``tf.nn``'s depthwise and
separable convolutions and local response normalization.

Formulas follow TF's kernels and Python wrappers (cited per function); outputs are
checked against TF's in ``tests/compat_recordings/record_ops2.py``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.compat.nn_ops import _channels_first, _conv, _spatial
from scopejax._src.compat.ops import (
    _axis,
    _cumulative,
    _ints,
    _pair,
    _random_shape,
    _reduce_axis,
    _unary,
    convert_to_tensor,
    float32,
    int64,
)
from scopejax._src.core.rng import next_rng_key

Array = jax.Array

# ---------------------------------------------------------------------------------------------
# math

tan = _unary(jnp.tan, "tan")
atan = _unary(jnp.arctan, "atan")
asin = _unary(jnp.arcsin, "asin")
acos = _unary(jnp.arccos, "acos")
sinh = _unary(jnp.sinh, "sinh")
cosh = _unary(jnp.cosh, "cosh")
expm1 = _unary(jnp.expm1, "expm1")
lgamma = _unary(jax.scipy.special.gammaln, "lgamma")
digamma = _unary(jax.scipy.special.digamma, "digamma")
erfc = _unary(jax.scipy.special.erfc, "erfc")
log_sigmoid = _unary(jax.nn.log_sigmoid, "log_sigmoid")
softplus = _unary(jax.nn.softplus, "softplus")


def atan2(y: Any, x: Any, name: str | None = None) -> Array:
    """``tf.atan2``: the angle of ``(x, y)``, elementwise.

    Args:
      y: an array.
      x: an array.
      name: ignored.

    Returns:
      The angles in radians.
    """
    a, b = _pair(y, x)
    return jnp.arctan2(a, b)


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> Array:
    """``tf.math.divide_no_nan`` (``tf.div_no_nan``): ``x / y``, 0 where ``y`` is 0.

    Args:
      x: the numerator.
      y: the denominator.
      name: ignored.

    Returns:
      The quotient.
    """
    a, b = _pair(x, y)
    zero = b == 0
    return jnp.where(zero, jnp.zeros((), a.dtype), a / jnp.where(zero, jnp.ones((), b.dtype), b))


def count_nonzero(
    input_tensor: Any = None,
    axis: Any = None,
    keepdims: Any = None,
    dtype: Any = int64,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
    input: Any = None,  # noqa: A002 - TF2's name
) -> Array:
    """``tf.count_nonzero``: how many elements are not zero.

    Args:
      input_tensor: the array.
      axis: the axes to count over; None counts all.
      keepdims: keep the counted axes with size 1.
      dtype: the count's dtype (int64, int32 unless ``jax_enable_x64``).
      name: ignored.
      reduction_indices: TF1's old name for ``axis``.
      keep_dims: TF1's old name for ``keepdims``.
      input: TF2's name for ``input_tensor``.

    Returns:
      The counts.
    """
    x = convert_to_tensor(input_tensor if input_tensor is not None else input)
    ax, kd = _reduce_axis(axis, reduction_indices, keepdims, keep_dims)
    nz = (x != 0).astype(jax.dtypes.canonicalize_dtype(jnp.int64))
    return jnp.sum(nz, ax, keepdims=kd).astype(jax.dtypes.canonicalize_dtype(dtype))


def _shift_in_one(out: Array, x: Array, axis: int) -> Array:
    """An inclusive running product made exclusive: a 1 in front, the last one dropped."""
    ones = jnp.ones_like(jax.lax.slice_in_dim(out, 0, 1, axis=axis))
    rest = jax.lax.slice_in_dim(out, 0, x.shape[axis] - 1, axis=axis)
    return jnp.concatenate([ones, rest], axis)


def cumprod(
    x: Any,
    axis: int = 0,
    exclusive: builtins.bool = False,
    reverse: builtins.bool = False,
    name: str | None = None,
) -> Array:
    """``tf.cumprod``: the running product along ``axis``.

    Args:
      x: the array.
      axis: the axis (default 0).
      exclusive: leave each element out of its own product (the first is 1).
      reverse: multiply from the end.
      name: ignored.

    Returns:
      The running products.
    """
    return _cumulative(x, axis, exclusive, reverse, jnp.cumprod, _shift_in_one)


def _moment_reduction(tf_name: str, std: builtins.bool) -> Callable[..., Array]:
    def op(
        input_tensor: Any, axis: Any = None, keepdims: builtins.bool = False, name: Any = None
    ) -> Array:
        x = convert_to_tensor(input_tensor)
        ax = _axis(axis)
        mean = jnp.mean(x, ax, keepdims=True)
        var = jnp.mean(jnp.square(jnp.abs(x - mean)), ax, keepdims=builtins.bool(keepdims))
        return jnp.sqrt(var) if std else var

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.math.{tf_name}``: the population {
        "standard deviation" if std else "variance"
    } (divided by N, as TF).

    Args:
      input_tensor: a float array.
      axis: the axes; None reduces all.
      keepdims: keep the reduced axes with size 1.
      name: ignored.

    Returns:
      The reduced array.
    """
    return op


reduce_variance = _moment_reduction("reduce_variance", std=False)
reduce_std = _moment_reduction("reduce_std", std=True)


def _segment(fn: Callable[..., Array], tf_name: str, what: str) -> Callable[..., Array]:
    def op(data: Any, segment_ids: Any, num_segments: Any, name: str | None = None) -> Array:
        x = convert_to_tensor(data)
        ids = convert_to_tensor(segment_ids)
        n = int(np.asarray(num_segments))
        out = fn(x, ids, num_segments=n)
        if fn is jax.ops.segment_sum:
            return out
        # TF fills an empty segment with the dtype's lowest (max) / highest (min) value
        info = jnp.finfo(x.dtype) if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype)
        fill = info.min if fn is jax.ops.segment_max else info.max
        count = jax.ops.segment_sum(jnp.ones(ids.shape, jnp.int32), ids, num_segments=n)
        count = count.reshape(count.shape + (1,) * (out.ndim - count.ndim))
        return jnp.where(count > 0, out, jnp.asarray(fill, x.dtype))

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.math.{tf_name}``: the {what} of ``data``'s rows per segment id.

    Args:
      data: the array; its leading axes match ``segment_ids``.
      segment_ids: an int array of ids in ``[0, num_segments)`` (others are dropped).
      num_segments: the number of segments, a static int.
      name: ignored.

    Returns:
      An array of ``num_segments`` rows (empty segments: 0 for a sum, the dtype's
      lowest / highest value for a max / min, as TF).
    """
    return op


unsorted_segment_sum = _segment(jax.ops.segment_sum, "unsorted_segment_sum", "sum")
unsorted_segment_max = _segment(jax.ops.segment_max, "unsorted_segment_max", "maximum")
unsorted_segment_min = _segment(jax.ops.segment_min, "unsorted_segment_min", "minimum")


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Array:
    """``tf.scatter_nd``: a zero array of ``shape`` with ``updates`` added at ``indices``.

    Duplicate indices add up, as in TF.

    Args:
      indices: an int array ``[..., k]`` of index tuples into the first ``k`` axes.
      updates: the values, shape ``indices.shape[:-1] + shape[k:]``.
      shape: the output's shape (static).
      name: ignored.

    Returns:
      The scattered array.

    >>> import jax.numpy as jnp, scopejax.compat.v1 as tf
    >>> tf.scatter_nd([[1], [3], [1]], jnp.array([1.0, 2.0, 3.0]), [4]).tolist()
    [0.0, 4.0, 0.0, 2.0]
    """
    idx = jnp.asarray(indices)
    upd = convert_to_tensor(updates)
    out = jnp.zeros(_ints(shape), upd.dtype)
    k = idx.shape[-1]
    return out.at[tuple(idx[..., i] for i in range(k))].add(upd)


# ---------------------------------------------------------------------------------------------
# linalg


def _mt(x: Array) -> Array:
    return jnp.swapaxes(x, -1, -2)


def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = float32,
    name: str | None = None,
) -> Array:
    """``tf.eye``: identity matrices.

    Args:
      num_rows: the rows.
      num_columns: the columns (default ``num_rows``).
      batch_shape: leading batch axes.
      dtype: the dtype.
      name: ignored.

    Returns:
      ``batch_shape + [num_rows, num_columns]``.
    """
    m = jnp.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=dtype)
    if batch_shape is not None:
        m = jnp.broadcast_to(m, _ints(batch_shape) + m.shape) if len(_ints(batch_shape)) else m
    return m


def matrix_transpose(a: Any, name: str | None = None, conjugate: builtins.bool = False):
    """``tf.linalg.transpose`` (``tf.matrix_transpose``): swaps the last two axes.

    Args:
      a: an array of rank >= 2.
      name: ignored.
      conjugate: also conjugate.

    Returns:
      The transposed array.
    """
    x = _mt(convert_to_tensor(a))
    return jnp.conj(x) if conjugate else x


def adjoint(matrix: Any, name: str | None = None) -> Array:
    """``tf.linalg.adjoint``: the conjugate transpose of the last two axes.

    Args:
      matrix: an array of rank >= 2.
      name: ignored.

    Returns:
      The adjoint.
    """
    return jnp.conj(_mt(convert_to_tensor(matrix)))


def matrix_diag(diagonal: Any, name: str | None = None, **kwargs: Any) -> Array:
    """``tf.linalg.diag`` (``tf.matrix_diag``): batched square matrices with ``diagonal``.

    Args:
      diagonal: ``[..., n]``.
      name: ignored.
      **kwargs: TF2's ``k``, ``num_rows``, ``num_cols``, ``padding_value`` (refused).

    Returns:
      ``[..., n, n]``.

    Raises:
      ValueError: a TF2 argument.
    """
    if kwargs:
        raise ValueError(f"matrix_diag: {sorted(kwargs)} (TF2's band arguments) are not provided.")
    d = convert_to_tensor(diagonal)
    return d[..., :, None] * jnp.eye(d.shape[-1], dtype=d.dtype)


def matrix_diag_part(input: Any, name: str | None = None, **kwargs: Any) -> Array:  # noqa: A002
    """``tf.linalg.diag_part`` (``tf.matrix_diag_part``): the main diagonals.

    Args:
      input: ``[..., m, n]``.
      name: ignored.
      **kwargs: TF2's ``k``, ``padding_value`` (refused).

    Returns:
      ``[..., min(m, n)]``.

    Raises:
      ValueError: a TF2 argument.
    """
    if kwargs:
        raise ValueError(f"matrix_diag_part: {sorted(kwargs)} are not provided.")
    return jnp.diagonal(convert_to_tensor(input), axis1=-2, axis2=-1)


def matrix_set_diag(input: Any, diagonal: Any, name: str | None = None, **kwargs: Any) -> Array:  # noqa: A002
    """``tf.linalg.set_diag`` (``tf.matrix_set_diag``): replaces the main diagonals.

    Args:
      input: ``[..., m, n]``.
      diagonal: ``[..., min(m, n)]``.
      name: ignored.
      **kwargs: TF2's ``k`` (refused).

    Returns:
      The matrices with the new diagonals.

    Raises:
      ValueError: a TF2 argument.
    """
    if kwargs:
        raise ValueError(f"matrix_set_diag: {sorted(kwargs)} are not provided.")
    x = convert_to_tensor(input)
    d = convert_to_tensor(diagonal).astype(x.dtype)
    m, n = x.shape[-2:]
    k = builtins.min(m, n)
    mask = jnp.eye(m, n, dtype=jnp.bool_)
    full = jnp.zeros(x.shape, x.dtype).at[..., jnp.arange(k), jnp.arange(k)].set(d)
    return jnp.where(mask, full, x)


def trace(x: Any, name: str | None = None) -> Array:
    """``tf.linalg.trace`` (``tf.trace``): the sum of the main diagonal of the last two axes.

    Args:
      x: ``[..., m, n]``.
      name: ignored.

    Returns:
      ``[...]``.
    """
    return jnp.trace(convert_to_tensor(x), axis1=-2, axis2=-1)


def matrix_determinant(input: Any, name: str | None = None) -> Array:  # noqa: A002
    """``tf.linalg.det`` (``tf.matrix_determinant``).

    Args:
      input: ``[..., n, n]``.
      name: ignored.

    Returns:
      ``[...]``.
    """
    return jnp.linalg.det(convert_to_tensor(input))


def slogdet(input: Any, name: str | None = None) -> tuple[Array, Array]:  # noqa: A002
    """``tf.linalg.slogdet``: the sign and the log of the absolute determinant.

    Args:
      input: ``[..., n, n]``.
      name: ignored.

    Returns:
      ``(sign, log_abs_determinant)``.
    """
    sign, logabs = jnp.linalg.slogdet(convert_to_tensor(input))
    return sign, logabs


def logdet(matrix: Any, name: str | None = None) -> Array:
    """``tf.linalg.logdet``: the log determinant of Hermitian positive definite matrices,
    from their Cholesky factor (as TF).

    Args:
      matrix: ``[..., n, n]``, positive definite.
      name: ignored.

    Returns:
      ``[...]``.
    """
    chol = jnp.linalg.cholesky(convert_to_tensor(matrix))
    return 2.0 * jnp.sum(jnp.log(jnp.real(jnp.diagonal(chol, axis1=-2, axis2=-1))), -1)


def matrix_inverse(input: Any, adjoint: builtins.bool = False, name: str | None = None):  # noqa: A002
    """``tf.linalg.inv`` (``tf.matrix_inverse``).

    Args:
      input: ``[..., n, n]``.
      adjoint: invert the adjoint instead.
      name: ignored.

    Returns:
      The inverses.
    """
    x = convert_to_tensor(input)
    return jnp.linalg.inv(jnp.conj(_mt(x)) if adjoint else x)


def cholesky(input: Any, name: str | None = None) -> Array:  # noqa: A002
    """``tf.linalg.cholesky`` (``tf.cholesky``): the lower Cholesky factors.

    Args:
      input: ``[..., n, n]``, positive definite.
      name: ignored.

    Returns:
      Lower-triangular ``[..., n, n]``.
    """
    return jnp.linalg.cholesky(convert_to_tensor(input))


def matrix_solve(
    matrix: Any, rhs: Any, adjoint: builtins.bool = False, name: str | None = None
) -> Array:
    """``tf.linalg.solve`` (``tf.matrix_solve``): ``X`` with ``matrix @ X = rhs``.

    Args:
      matrix: ``[..., n, n]``.
      rhs: ``[..., n, k]``.
      adjoint: solve with the adjoint of ``matrix``.
      name: ignored.

    Returns:
      ``[..., n, k]``.
    """
    a = convert_to_tensor(matrix)
    return jnp.linalg.solve(jnp.conj(_mt(a)) if adjoint else a, convert_to_tensor(rhs))


def matrix_triangular_solve(
    matrix: Any,
    rhs: Any,
    lower: builtins.bool = True,
    adjoint: builtins.bool = False,
    name: str | None = None,
) -> Array:
    """``tf.linalg.triangular_solve`` (``tf.matrix_triangular_solve``).

    Only the triangle named by ``lower`` is read, as in TF.

    Args:
      matrix: ``[..., n, n]``, triangular.
      rhs: ``[..., n, k]``.
      lower: whether ``matrix`` is lower triangular.
      adjoint: solve with its adjoint.
      name: ignored.

    Returns:
      ``[..., n, k]``.
    """
    a, b = convert_to_tensor(matrix), convert_to_tensor(rhs)
    return jax.scipy.linalg.solve_triangular(
        a, b, trans="C" if adjoint else 0, lower=builtins.bool(lower)
    )


def matvec(
    a: Any,
    b: Any,
    transpose_a: builtins.bool = False,
    adjoint_a: builtins.bool = False,
    name: str | None = None,
    **kwargs: Any,
) -> Array:
    """``tf.linalg.matvec``: matrices times vectors.

    Args:
      a: ``[..., m, n]``.
      b: ``[..., n]``.
      transpose_a: transpose ``a`` first.
      adjoint_a: conjugate-transpose ``a`` first.
      name: ignored.
      **kwargs: ``a_is_sparse`` / ``b_is_sparse`` (ignored).

    Returns:
      ``[..., m]``.
    """
    x = convert_to_tensor(a)
    if transpose_a or adjoint_a:
        x = _mt(x)
        x = jnp.conj(x) if adjoint_a else x
    return jnp.matmul(x, convert_to_tensor(b)[..., None])[..., 0]


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Array:
    """``tf.tensordot``: contraction over ``axes``.

    Args:
      a: an array.
      b: an array.
      axes: an int (the last N of ``a`` with the first N of ``b``) or two lists of axes.
      name: ignored.

    Returns:
      The contraction.
    """
    if not isinstance(axes, (int, np.integer)):
        axes = tuple(_ints(ax) for ax in axes)
    return jnp.tensordot(convert_to_tensor(a), convert_to_tensor(b), axes)


def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002 - TF's name
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    keep_dims: Any = None,
) -> Array:
    """``tf.norm``: a vector norm (``axis`` None or an int) or a matrix norm (two axes).

    With ``axis=None`` the tensor is one flat vector (TF's rule, also for matrices).

    Args:
      tensor: the array.
      ord: ``'euclidean'``, ``'fro'``, 1, 2, ``np.inf`` or a positive number (vectors);
        ``'euclidean'``/``'fro'``, 1 or ``np.inf`` (matrices).
      axis: None, an int or a pair of ints.
      keepdims: keep the reduced axes with size 1.
      name: ignored.
      keep_dims: TF1's old name for ``keepdims``.

    Returns:
      The norms.

    Raises:
      ValueError: an ``ord`` TF refuses for the axes given.
    """
    x = convert_to_tensor(tensor)
    kd = builtins.bool(keep_dims if keep_dims is not None else keepdims)
    ax = _axis(axis)
    matrix = isinstance(ax, tuple) and len(ax) == 2
    if matrix:
        assert isinstance(ax, tuple)
        a0, a1 = (a % x.ndim for a in ax)
        if ord in ("euclidean", "fro"):
            out = jnp.sqrt(jnp.sum(jnp.square(jnp.abs(x)), (a0, a1), keepdims=True))
        elif ord == 1:  # the largest column sum
            s = jnp.sum(jnp.abs(x), a0, keepdims=True)
            out = jnp.max(s, a1, keepdims=True)
        elif ord == np.inf:  # the largest row sum
            s = jnp.sum(jnp.abs(x), a1, keepdims=True)
            out = jnp.max(s, a0, keepdims=True)
        else:
            raise ValueError(f"norm: ord={ord!r} is not supported for matrices (TF's rule).")
        return out if kd else jnp.squeeze(out, (a0, a1))
    if ord in ("euclidean", "fro", 2, 2.0):
        return jnp.sqrt(jnp.sum(jnp.square(jnp.abs(x)), ax, keepdims=kd))
    if ord == np.inf:
        return jnp.max(jnp.abs(x), ax, keepdims=kd)
    if isinstance(ord, (int, float)) and ord > 0:
        return jnp.sum(jnp.abs(x) ** ord, ax, keepdims=kd) ** (1.0 / ord)
    raise ValueError(
        f"norm: ord must be 'euclidean', 'fro', inf or a positive number, got {ord!r}."
    )


# ---------------------------------------------------------------------------------------------
# random


def random_shuffle(value: Any, seed: Any = None, name: str | None = None) -> Array:
    """``tf.random_shuffle`` (``tf.random.shuffle``): a permutation along axis 0.

    Args:
      value: the array.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.

    Returns:
      The shuffled array.

    Raises:
      MissingRNGError: no ``rng`` was given to ``apply`` / ``init``.
    """
    return jax.random.permutation(next_rng_key(), convert_to_tensor(value), axis=0)


def multinomial(
    logits: Any,
    num_samples: int,
    seed: Any = None,
    name: str | None = None,
    output_dtype: Any = int64,
) -> Array:
    """``tf.multinomial``: class indices drawn from unnormalized log-probabilities.

    Args:
      logits: ``[batch, classes]``.
      num_samples: draws per row.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.
      output_dtype: the index dtype (int64, int32 unless ``jax_enable_x64``).

    Returns:
      ``[batch, num_samples]``.

    Raises:
      MissingRNGError: no ``rng`` was given to ``apply`` / ``init``.
    """
    x = convert_to_tensor(logits)
    draws = jax.random.categorical(
        next_rng_key(), x[:, None, :], axis=-1, shape=(x.shape[0], int(num_samples))
    )
    return draws.astype(jax.dtypes.canonicalize_dtype(output_dtype))


def categorical(
    logits: Any, num_samples: int, dtype: Any = None, seed: Any = None, name: str | None = None
) -> Array:
    """``tf.random.categorical``: :func:`multinomial` with TF2's argument names.

    Args:
      logits: ``[batch, classes]``.
      num_samples: draws per row.
      dtype: the index dtype (default int64, int32 unless ``jax_enable_x64``).
      seed: ignored.
      name: ignored.

    Returns:
      ``[batch, num_samples]``.
    """
    return multinomial(logits, num_samples, output_dtype=int64 if dtype is None else dtype)


def set_random_seed(seed: Any) -> None:
    """``tf.set_random_seed``: nothing to do; every draw comes from the key given to
    ``init`` / ``apply`` (``rng=``), so set the seed there.

    Args:
      seed: ignored.
    """


def random_gamma(
    shape: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = float32,
    seed: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.random_gamma``: gamma draws of shape ``shape + alpha.shape``.

    Args:
      shape: the sample shape.
      alpha: the concentration (broadcast with ``beta``).
      beta: the rate (default 1).
      dtype: the dtype.
      seed: ignored.
      name: ignored.

    Returns:
      The draws.
    """
    a = jnp.asarray(alpha, dtype)
    if beta is not None:
        a = jnp.broadcast_to(a, jnp.broadcast_shapes(a.shape, jnp.shape(beta)))
    out = jax.random.gamma(next_rng_key(), a, _random_shape(shape) + a.shape, dtype)
    return out if beta is None else out / jnp.asarray(beta, dtype)


# ---------------------------------------------------------------------------------------------
# nn


def depthwise_conv2d(
    input: Any,  # noqa: A002
    filter: Any,  # noqa: A002
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: Any = None,
    dilations: Any = None,
) -> Array:
    """``tf.nn.depthwise_conv2d``: each input channel convolved with its own
    ``channel_multiplier`` filters (TF's ``depthwise_conv2d_native``).

    Args:
      input: ``[batch, h, w, in]`` (``NHWC``) or ``[batch, in, h, w]`` (``NCHW``).
      filter: ``[kh, kw, in, channel_multiplier]``.
      strides: 4 ints (``[1, s, s, 1]``; TF requires equal spatial strides).
      padding: ``'SAME'`` or ``'VALID'``.
      rate: the dilation, 2 ints (TF1's name).
      name: ignored.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      dilations: TF2's name for ``rate``.

    Returns:
      ``[batch, h', w', in * channel_multiplier]`` (in ``data_format``): output channel
      ``k * channel_multiplier + q`` is input channel ``k`` with filter ``q``, as TF.
    """
    x, w = convert_to_tensor(input), convert_to_tensor(filter)
    fmt = (data_format or "NHWC").upper()
    cf = _channels_first(fmt)
    kh, kw, cin, mult = w.shape
    rate = rate if rate is not None else dilations
    n = x.ndim - 2
    spatial = "HW"
    lhs = ("NC" + spatial) if cf else ("N" + spatial + "C")
    dn = jax.lax.conv_dimension_numbers(x.shape, (kh, kw, 1, cin * mult), (lhs, "HWIO", lhs))
    return jax.lax.conv_general_dilated(
        x,
        w.reshape(kh, kw, 1, cin * mult),
        _spatial(strides, n, cf, "strides"),
        padding.upper() if isinstance(padding, str) else padding,
        rhs_dilation=_spatial(rate, n, False, "rate") if rate is not None else None,
        dimension_numbers=dn,
        feature_group_count=cin,
    )


def separable_conv2d(
    input: Any,  # noqa: A002
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: Any = None,
    dilations: Any = None,
) -> Array:
    """``tf.nn.separable_conv2d``: a depthwise convolution, then a 1x1 convolution.

    Args:
      input: ``[batch, h, w, in]`` (``NHWC``) or ``[batch, in, h, w]`` (``NCHW``).
      depthwise_filter: ``[kh, kw, in, channel_multiplier]``.
      pointwise_filter: ``[1, 1, in * channel_multiplier, out]``.
      strides: 4 ints, for the depthwise step.
      padding: ``'SAME'`` or ``'VALID'``, for the depthwise step.
      rate: the dilation, 2 ints.
      name: ignored.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      dilations: TF2's name for ``rate``.

    Returns:
      ``[batch, h', w', out]`` (in ``data_format``).
    """
    fmt = (data_format or "NHWC").upper()
    h = depthwise_conv2d(input, depthwise_filter, strides, padding, rate, None, fmt, dilations)
    return _conv(h, convert_to_tensor(pointwise_filter), 1, "VALID", None, fmt)


def local_response_normalization(
    input: Any,  # noqa: A002
    depth_radius: int = 5,
    bias: float = 1.0,
    alpha: float = 1.0,
    beta: float = 0.5,
    name: str | None = None,
) -> Array:
    """``tf.nn.local_response_normalization`` (``tf.nn.lrn``), over the last axis:
    ``x / (bias + alpha * sum(x[d - r: d + r + 1] ** 2)) ** beta`` (TF's LRN kernel).

    Args:
      input: a 4-D float array (channels last).
      depth_radius: ``r``, the half-width of the window.
      bias: the offset.
      alpha: the scale.
      beta: the exponent.
      name: ignored.

    Returns:
      The normalized array.
    """
    x = convert_to_tensor(input)
    r = int(depth_radius)
    sq = jnp.pad(jnp.square(x), [(0, 0)] * (x.ndim - 1) + [(r, r)])
    window = jax.lax.reduce_window(
        sq,
        jnp.zeros((), x.dtype),
        jax.lax.add,
        (1,) * (x.ndim - 1) + (2 * r + 1,),
        (1,) * x.ndim,
        "VALID",
    )
    return x / (bias + alpha * window) ** beta


# ---------------------------------------------------------------------------------------------
# image: TF1's resize ops (legacy coordinates unless half_pixel_centers)


class ResizeMethod:
    """``tf.image.ResizeMethod``: TF1's method codes."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _source(out: int, inp: int, align_corners: builtins.bool, half_pixel: builtins.bool):
    """TF's resize coordinate map (resize_bilinear_op.cc, image_resizer_state.h)."""
    if align_corners and out > 1:
        scale = np.float32(inp - 1) / np.float32(out - 1)
    else:
        scale = np.float32(inp) / np.float32(out)
    i = np.arange(out, dtype=np.float32)  # float32 arithmetic, as TF's kernels
    return (i + np.float32(0.5)) * scale - np.float32(0.5) if half_pixel else i * scale, scale


def _bilinear_axis(x: Array, axis: int, out: int, align: builtins.bool, half: builtins.bool):
    inp = x.shape[axis]
    src, _ = _source(out, inp, align, half)
    lo = np.floor(src)
    frac = (src - lo).astype(np.float32)
    lo_i = np.clip(lo, 0, inp - 1).astype(np.int32)
    hi_i = np.clip(lo + 1, 0, inp - 1).astype(np.int32)
    a, b = jnp.take(x, lo_i, axis=axis), jnp.take(x, hi_i, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = out
    f = jnp.asarray(frac).reshape(shape)
    return a + (b - a) * f


def resize_bilinear(
    images: Any,
    size: Any,
    align_corners: builtins.bool = False,
    name: str | None = None,
    half_pixel_centers: builtins.bool = False,
) -> Array:
    """``tf.image.resize_bilinear``: TF1's bilinear resize (float32 out, as TF).

    Without ``half_pixel_centers`` TF1 maps output pixel ``i`` to input ``i * in / out``
    (``align_corners``: ``i * (in - 1) / (out - 1)``), not the half-pixel grid of
    ``jax.image.resize``; this follows TF.

    Args:
      images: ``[batch, h, w, c]`` or ``[h, w, c]``.
      size: ``[new_h, new_w]``.
      align_corners: align the corner pixels.
      name: ignored.
      half_pixel_centers: TF2's pixel-centre convention.

    Returns:
      The resized float32 images.
    """
    x = convert_to_tensor(images).astype(jnp.float32)
    nh, nw = _ints(size)
    h_axis = x.ndim - 3
    x = _bilinear_axis(x, h_axis, nh, align_corners, half_pixel_centers)
    return _bilinear_axis(x, h_axis + 1, nw, align_corners, half_pixel_centers)


def _nearest_index(out: int, inp: int, align: builtins.bool, half: builtins.bool) -> np.ndarray:
    # resize_nearest_neighbor_op.cc: round with align_corners, floor otherwise; half-pixel
    # centres sample at (i + 0.5) * scale (no -0.5 for nearest)
    _, scale = _source(out, inp, align, half)
    i = np.arange(out, dtype=np.float32)
    src = (i + np.float32(0.5)) * scale if half else i * scale
    idx = np.floor(src + np.float32(0.5)) if align else np.floor(src)  # roundf: half up here
    return np.clip(idx, 0, inp - 1).astype(np.int32)


def resize_nearest_neighbor(
    images: Any,
    size: Any,
    align_corners: builtins.bool = False,
    name: str | None = None,
    half_pixel_centers: builtins.bool = False,
) -> Array:
    """``tf.image.resize_nearest_neighbor``: TF1's nearest-neighbour resize (dtype kept).

    Args:
      images: ``[batch, h, w, c]`` or ``[h, w, c]``.
      size: ``[new_h, new_w]``.
      align_corners: align the corner pixels (round instead of floor).
      name: ignored.
      half_pixel_centers: TF2's pixel-centre convention.

    Returns:
      The resized images.
    """
    x = convert_to_tensor(images)
    nh, nw = _ints(size)
    h_axis = x.ndim - 3
    x = jnp.take(x, _nearest_index(nh, x.shape[h_axis], align_corners, half_pixel_centers), h_axis)
    idx = _nearest_index(nw, x.shape[h_axis + 1], align_corners, half_pixel_centers)
    return jnp.take(x, idx, h_axis + 1)


def resize_images(
    images: Any,
    size: Any,
    method: int = ResizeMethod.BILINEAR,
    align_corners: builtins.bool = False,
    preserve_aspect_ratio: builtins.bool = False,
    name: str | None = None,
) -> Array:
    """``tf.image.resize_images``: TF1's resize, bilinear or nearest neighbour.

    Args:
      images: ``[batch, h, w, c]`` or ``[h, w, c]``.
      size: ``[new_h, new_w]``.
      method: ``ResizeMethod.BILINEAR`` or ``NEAREST_NEIGHBOR`` (others are refused).
      align_corners: align the corner pixels.
      preserve_aspect_ratio: refused (compute the size yourself).
      name: ignored.

    Returns:
      The resized images: float32 for bilinear, the input dtype for nearest (as TF1).

    Raises:
      ValueError: another method, or ``preserve_aspect_ratio``.
    """
    if preserve_aspect_ratio:
        raise ValueError("resize_images: preserve_aspect_ratio is not provided; pass the size.")
    if method == ResizeMethod.BILINEAR:
        return resize_bilinear(images, size, align_corners)
    if method == ResizeMethod.NEAREST_NEIGHBOR:
        return resize_nearest_neighbor(images, size, align_corners)
    raise ValueError(
        f"resize_images: method {method!r} is not provided (BILINEAR and NEAREST_NEIGHBOR are); "
        "jax.image.resize has cubic and area-like methods with half-pixel centres."
    )
