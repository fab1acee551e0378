"""TF1's op surface (``tf.add``, ``tf.reduce_mean(keep_dims=)``, ``tf.concat(values, axis)``,
``tf.shape``, ...) on plain ``jax.Array``s, with TF1's signatures and semantics.

Values are ``jax.Array``s: no wrapper type, nothing extra under ``jit``. Where TF1
returns a shape as a tensor (``tf.shape``, ``tf.rank``, ``tf.size``) these return
NumPy ``int32`` values, static under ``jit`` (JAX shapes are always static), so
``tf.tile(x, [tf.shape(x)[0], 1])`` and ``tf.reshape(x, tf.shape(y))`` trace.
A Python scalar next to an array takes the array's dtype, as in TF
(``tf.multiply(x_f32, -2**32 + 1)``). Each op takes ``name=`` and ignores it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.errors import ScopejaxError
from scopejax._src.core.rng import next_rng_key

Array = jax.Array

# ---------------------------------------------------------------------------------------------
# dtypes

float16 = half = jnp.dtype("float16")
bfloat16 = jnp.dtype(jnp.bfloat16)
float32 = jnp.dtype("float32")
float64 = double = jnp.dtype("float64")
int8 = jnp.dtype("int8")
int16 = jnp.dtype("int16")
int32 = jnp.dtype("int32")
int64 = jnp.dtype("int64")
uint8 = jnp.dtype("uint8")
uint16 = jnp.dtype("uint16")
uint32 = jnp.dtype("uint32")
uint64 = jnp.dtype("uint64")
bool = jnp.dtype("bool")  # noqa: A001 - TF1's name
complex64 = jnp.dtype("complex64")
complex128 = jnp.dtype("complex128")
newaxis = None


def as_dtype(type_value: Any) -> np.dtype:
    """``tf.as_dtype``: a NumPy dtype from a dtype, a type or a name.

    Args:
      type_value: ``tf.float32``, ``np.float32``, ``'float32'``, ...

    Returns:
      The ``numpy.dtype``.

    >>> import scopejax.compat.v1 as tf
    >>> tf.as_dtype("float32") == tf.float32
    True
    """
    return jnp.dtype(type_value)


def _dt(dtype: Any) -> Any:
    return None if dtype is None else jnp.dtype(dtype)


def _is_py(x: Any) -> builtins.bool:
    return isinstance(x, (int, float, complex)) and not isinstance(x, np.generic)


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None, **kwargs: Any):
    """``tf.convert_to_tensor``: a ``jax.Array`` (Python ints are int32, floats float32).

    Args:
      value: an array, scalar or nested list.
      dtype: the dtype; None infers it as TF does.
      name: ignored.
      **kwargs: TF1's ``preferred_dtype`` / ``dtype_hint`` (used when ``dtype`` is None).

    Returns:
      A ``jax.Array``.
    """
    if dtype is None:
        dtype = kwargs.get("preferred_dtype") or kwargs.get("dtype_hint")
        if dtype is not None and not _is_py(value):
            dtype = None
    if isinstance(value, jax.Array) and dtype is None:
        return value
    if dtype is None:
        arr = np.asarray(value)
        if arr.dtype == np.float64 and not isinstance(value, np.ndarray):
            dtype = jnp.float32
        elif arr.dtype == np.int64 and not isinstance(value, np.ndarray):
            dtype = jnp.int32
    return jnp.asarray(value, _dt(dtype))


def constant(
    value: Any, dtype: Any = None, shape: Any = None, name: str = "Const", verify_shape: Any = False
):
    """``tf.constant``: an array from a value, broadcast to ``shape`` if given.

    Args:
      value: a scalar, list or array.
      dtype: the dtype; None infers it as TF does (Python floats float32, ints int32).
      shape: the shape; a scalar fills it, a value of the same size is reshaped.
      name: ignored.
      verify_shape: ignored.

    Returns:
      A ``jax.Array``.

    >>> import scopejax.compat.v1 as tf
    >>> tf.constant(1.5, shape=[2]).tolist()
    [1.5, 1.5]
    """
    x = convert_to_tensor(value, dtype)
    if shape is not None:
        shape = _ints(shape)
        x = (
            x.reshape(shape)
            if x.size == int(np.prod(shape)) and x.ndim
            else jnp.broadcast_to(x, shape)
        )
    return x


def _pair(x: Any, y: Any) -> tuple[Array, Array]:
    """Two operands; a Python scalar takes the other operand's dtype, as TF converts it."""
    if _is_py(x) and not _is_py(y):
        y = convert_to_tensor(y)
        return _scalar_as(x, y.dtype), y
    if _is_py(y) and not _is_py(x):
        x = convert_to_tensor(x)
        return x, _scalar_as(y, x.dtype)
    return convert_to_tensor(x), convert_to_tensor(y)


def _scalar_as(v: Any, dtype: Any) -> Array:
    """A Python scalar in ``dtype``, as TF converts it: a float for an integer is refused."""
    if isinstance(v, float) and jnp.issubdtype(dtype, jnp.integer):
        raise TypeError(
            f"Expected {jnp.dtype(dtype).name}, but got {v!r} of type 'float': TF converts a "
            "Python scalar to the tensor's dtype. Cast the tensor first, e.g. "
            "tf.cast(x, tf.float32) or tf.to_float(x)."
        )
    if isinstance(v, int) and jnp.issubdtype(dtype, jnp.integer):
        return jnp.asarray(np.asarray(v).astype(dtype))  # wraps around, as TF's conversion
    return jnp.asarray(v, dtype)


def _ints(v: Any) -> tuple[int, ...]:
    """A static shape: ints, NumPy ints, a NumPy array (``tf.shape``), or a concrete array."""
    if isinstance(v, (int, np.integer)):
        return (int(v),)
    try:
        return tuple(int(d) for d in np.asarray(v).reshape(-1))
    except jax.errors.ConcretizationTypeError:
        raise ScopejaxError(
            f"This shape must be known when the function is traced, got {v!r}. Shapes in JAX are "
            "static: compute it from tf.shape(x) (NumPy ints) or x.shape, not from array values."
        ) from None


def _axis(axis: Any) -> Any:
    if axis is None:
        return None
    if isinstance(axis, (list, tuple, np.ndarray)) or (isinstance(axis, jax.Array) and axis.ndim):
        return tuple(int(a) for a in np.asarray(axis).reshape(-1))
    return int(axis)


# ---------------------------------------------------------------------------------------------
# math


def _binary(fn: Callable[[Array, Array], Array], tf_name: str) -> Callable[..., Array]:
    def op(x: Any, y: Any, name: str | None = None) -> Array:
        a, b = _pair(x, y)
        return fn(a, b)

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.{tf_name}``, elementwise with broadcasting.

    A Python scalar operand takes the other operand's dtype, as in TF.

    Args:
      x: an array or scalar.
      y: an array or scalar.
      name: ignored.

    Returns:
      A ``jax.Array``.
    """
    return op


def _unary(fn: Callable[[Array], Array], tf_name: str, arg: str = "x") -> Callable[..., Array]:
    def op(x: Any, name: str | None = None) -> Array:
        return fn(convert_to_tensor(x))

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.{tf_name}``, elementwise.

    Args:
      x: an array or scalar.
      name: ignored.

    Returns:
      A ``jax.Array``.
    """
    return op


def _truediv(x: Array, y: Array) -> Array:
    if not jnp.issubdtype(x.dtype, jnp.inexact):  # TF: int32 / int32 -> float64 (here float32)
        f = jax.dtypes.canonicalize_dtype(jnp.float64 if x.dtype.itemsize >= 4 else jnp.float32)
        x, y = x.astype(f), y.astype(f)
    return x / y


def _floordiv(x: Array, y: Array) -> Array:
    return jnp.floor_divide(x, y)


add = _binary(jnp.add, "add")
subtract = _binary(jnp.subtract, "subtract")
multiply = _binary(jnp.multiply, "multiply")
divide = _binary(_truediv, "divide")
truediv = _binary(_truediv, "truediv")
realdiv = _binary(jnp.true_divide, "realdiv")
floordiv = _binary(_floordiv, "floordiv")
floor_div = floordiv
mod = _binary(jnp.mod, "mod")
floormod = mod
maximum = _binary(jnp.maximum, "maximum")
minimum = _binary(jnp.minimum, "minimum")
pow = _binary(jnp.power, "pow")  # noqa: A001 - TF1's name
squared_difference = _binary(lambda a, b: jnp.square(a - b), "squared_difference")
equal = _binary(jnp.equal, "equal")
not_equal = _binary(jnp.not_equal, "not_equal")
less = _binary(jnp.less, "less")
less_equal = _binary(jnp.less_equal, "less_equal")
greater = _binary(jnp.greater, "greater")
greater_equal = _binary(jnp.greater_equal, "greater_equal")
logical_and = _binary(jnp.logical_and, "logical_and")
logical_or = _binary(jnp.logical_or, "logical_or")
logical_xor = _binary(jnp.logical_xor, "logical_xor")
logical_not = _unary(jnp.logical_not, "logical_not")
negative = _unary(jnp.negative, "negative")
exp = _unary(jnp.exp, "exp")
log = _unary(jnp.log, "log")
log1p = _unary(jnp.log1p, "log1p")
sqrt = _unary(jnp.sqrt, "sqrt")
rsqrt = _unary(jax.lax.rsqrt, "rsqrt")
square = _unary(jnp.square, "square")
abs = _unary(jnp.abs, "abs")  # noqa: A001 - TF1's name
sign = _unary(jnp.sign, "sign")
reciprocal = _unary(jnp.reciprocal, "reciprocal")
floor = _unary(jnp.floor, "floor")
ceil = _unary(jnp.ceil, "ceil")
round = _unary(jnp.round, "round")  # noqa: A001 - TF1's name (half to even, as TF)
sin = _unary(jnp.sin, "sin")
cos = _unary(jnp.cos, "cos")
tanh = _unary(jnp.tanh, "tanh")
sigmoid = _unary(jax.nn.sigmoid, "sigmoid")
erf = _unary(jax.scipy.special.erf, "erf")
is_nan = _unary(jnp.isnan, "is_nan")
is_finite = _unary(jnp.isfinite, "is_finite")
is_inf = _unary(jnp.isinf, "is_inf")
identity = _unary(lambda x: x, "identity")
stop_gradient = _unary(jax.lax.stop_gradient, "stop_gradient")


def add_n(inputs: Sequence[Any], name: str | None = None) -> Array:
    """``tf.add_n``: the sum of a list of arrays of one shape.

    Args:
      inputs: a non-empty list of arrays.
      name: ignored.

    Returns:
      Their elementwise sum.
    """
    out = convert_to_tensor(inputs[0])
    for x in inputs[1:]:
        out = out + x
    return out


def matmul(
    a: Any,
    b: Any,
    transpose_a: builtins.bool = False,
    transpose_b: builtins.bool = False,
    adjoint_a: builtins.bool = False,
    adjoint_b: builtins.bool = False,
    a_is_sparse: builtins.bool = False,
    b_is_sparse: builtins.bool = False,
    name: str | None = None,
    **kwargs: Any,
) -> Array:
    """``tf.matmul``: ``a @ b`` over the last two axes, batch axes broadcast.

    Args:
      a: an array of rank >= 2.
      b: an array of rank >= 2.
      transpose_a: transpose ``a``'s last two axes first.
      transpose_b: transpose ``b``'s last two axes first.
      adjoint_a: conjugate-transpose ``a`` first.
      adjoint_b: conjugate-transpose ``b`` first.
      a_is_sparse: ignored.
      b_is_sparse: ignored.
      name: ignored.
      **kwargs: TF2's ``output_type`` (ignored).

    Returns:
      The product.

    >>> import jax.numpy as jnp, scopejax.compat.v1 as tf
    >>> tf.matmul(jnp.ones([2, 3]), jnp.ones([2, 3]), transpose_b=True).shape
    (2, 2)
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        a = jnp.conj(a) if adjoint_a else a
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        b = jnp.conj(b) if adjoint_b else b
    return jnp.matmul(a, b)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Array:
    """``tf.einsum``: ``jnp.einsum``.

    Args:
      equation: the subscripts, ``'ij,jk->ik'``.
      *inputs: the arrays.
      **kwargs: ``name`` (ignored).

    Returns:
      The contraction.
    """
    return jnp.einsum(equation, *(convert_to_tensor(x) for x in inputs))


def cast(x: Any, dtype: Any, name: str | None = None) -> Array:
    """``tf.cast``: a dtype change; floats to ints truncate toward zero, as TF.

    Args:
      x: an array.
      dtype: the new dtype.
      name: ignored.

    Returns:
      The converted array.
    """
    return convert_to_tensor(x).astype(jax.dtypes.canonicalize_dtype(dtype))


def to_float(x: Any, name: str = "ToFloat") -> Array:
    """``tf.to_float``: ``cast(x, float32)``.

    Args:
      x: an array.
      name: ignored.

    Returns:
      A float32 array.
    """
    return cast(x, jnp.float32)


def to_int32(x: Any, name: str = "ToInt32") -> Array:
    """``tf.to_int32``: ``cast(x, int32)``.

    Args:
      x: an array.
      name: ignored.

    Returns:
      An int32 array.
    """
    return cast(x, jnp.int32)


def to_int64(x: Any, name: str = "ToInt64") -> Array:
    """``tf.to_int64``: ``cast(x, int64)`` (int32 unless ``jax_enable_x64``).

    Args:
      x: an array.
      name: ignored.

    Returns:
      An integer array.
    """
    return cast(x, jnp.int64)


def to_double(x: Any, name: str = "ToDouble") -> Array:
    """``tf.to_double``: ``cast(x, float64)`` (float32 unless ``jax_enable_x64``).

    Args:
      x: an array.
      name: ignored.

    Returns:
      A float array.
    """
    return cast(x, jnp.float64)


# ---------------------------------------------------------------------------------------------
# reductions


def _reduce_axis(axis: Any, reduction_indices: Any, keepdims: Any, keep_dims: Any):
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError("Pass axis or reduction_indices, not both.")
        axis = reduction_indices
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("Pass keepdims or keep_dims, not both.")
        keepdims = keep_dims
    return _axis(axis), builtins.bool(keepdims)


def _int_mean(x: Array, axis: Any, keepdims: builtins.bool) -> Array:
    n = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    s = jnp.sum(x, axis, keepdims=keepdims)
    return jax.lax.div(s, jnp.asarray(builtins.max(n, 1), s.dtype))  # truncates, as TF


def _reduction(fn: Callable[..., Array], tf_name: str) -> Callable[..., Array]:
    def op(
        input_tensor: Any,
        axis: Any = None,
        keepdims: Any = None,
        name: str | None = None,
        reduction_indices: Any = None,
        keep_dims: Any = None,
    ) -> Array:
        ax, kd = _reduce_axis(axis, reduction_indices, keepdims, keep_dims)
        return fn(convert_to_tensor(input_tensor), ax, keepdims=kd)

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.{tf_name}`` with TF1's arguments.

    Args:
      input_tensor: the array.
      axis: an int or a list of ints (negative counts from the end); None reduces all.
      keepdims: keep the reduced axes with size 1.
      name: ignored.
      reduction_indices: TF1's old name for ``axis``.
      keep_dims: TF1's old name for ``keepdims``.

    Returns:
      The reduced array.

    Raises:
      ValueError: both ``axis`` and ``reduction_indices``, or both ``keepdims`` and
        ``keep_dims``.
    """
    return op


def _mean(x: Array, axis: Any, keepdims: builtins.bool) -> Array:
    if jnp.issubdtype(x.dtype, jnp.integer):
        return _int_mean(x, axis, keepdims)
    return jnp.mean(x, axis, keepdims=keepdims)


def _sum(x: Array, axis: Any, keepdims: builtins.bool) -> Array:
    return jnp.sum(x, axis, keepdims=keepdims, dtype=x.dtype if x.dtype != jnp.bool_ else None)


def _prod(x: Array, axis: Any, keepdims: builtins.bool) -> Array:
    return jnp.prod(x, axis, keepdims=keepdims, dtype=x.dtype)


reduce_sum = _reduction(_sum, "reduce_sum")
reduce_mean = _reduction(_mean, "reduce_mean")
reduce_max = _reduction(jnp.max, "reduce_max")
reduce_min = _reduction(jnp.min, "reduce_min")
reduce_prod = _reduction(_prod, "reduce_prod")
reduce_any = _reduction(jnp.any, "reduce_any")
reduce_all = _reduction(jnp.all, "reduce_all")
reduce_logsumexp = _reduction(
    lambda x, a, keepdims: jax.scipy.special.logsumexp(x, a, keepdims=keepdims),
    "reduce_logsumexp",
)


def _arg(fn: Callable[..., Array], tf_name: str) -> Callable[..., Array]:
    def op(
        input: Any,  # noqa: A002 - TF1's name
        axis: Any = None,
        name: str | None = None,
        dimension: Any = None,
        output_type: Any = int64,
    ) -> Array:
        if dimension is not None:
            axis = dimension
        out = fn(convert_to_tensor(input), 0 if axis is None else int(axis))
        return out.astype(jax.dtypes.canonicalize_dtype(output_type))

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.{tf_name}``: the index along ``axis`` (TF1's default axis 0).

    Args:
      input: the array.
      axis: the axis; None means 0, as in TF1.
      name: ignored.
      dimension: TF1's old name for ``axis``.
      output_type: the index dtype (int64, int32 unless ``jax_enable_x64``).

    Returns:
      The indices.
    """
    return op


argmax = _arg(jnp.argmax, "argmax")
argmin = _arg(jnp.argmin, "argmin")


def _cumulative(
    x: Any,
    axis: Any,
    exclusive: Any,
    reverse: Any,
    scan: Callable[..., Array],
    drop_self: Callable[[Array, Array, int], Array],
) -> Array:
    """The running ``scan`` (``jnp.cumsum`` / ``jnp.cumprod``) of ``x`` along ``axis``,
    as ``tf.cumsum`` / ``tf.cumprod`` compute it: ``reverse`` flips ``x`` before and the
    result after; ``exclusive`` turns the scan into ``drop_self(out, x, axis)``."""
    x = convert_to_tensor(x)
    axis = int(axis) % x.ndim
    if reverse:
        x = jnp.flip(x, axis)
    out = scan(x, axis, dtype=x.dtype)
    if exclusive:
        out = drop_self(out, x, axis)
    return jnp.flip(out, axis) if reverse else out


def cumsum(
    x: Any,
    axis: int = 0,
    exclusive: builtins.bool = False,
    reverse: builtins.bool = False,
    name: str | None = None,
) -> Array:
    """``tf.cumsum``: the running sum along ``axis``.

    Args:
      x: the array.
      axis: the axis (default 0).
      exclusive: leave each element out of its own sum.
      reverse: sum from the end.
      name: ignored.

    Returns:
      The running sums.
    """
    return _cumulative(x, axis, exclusive, reverse, jnp.cumsum, lambda out, x, axis: out - x)


# ---------------------------------------------------------------------------------------------
# array ops


def shape(input: Any, name: str | None = None, out_type: Any = int32) -> np.ndarray:  # noqa: A002
    """``tf.shape``: the shape as a NumPy ``int32`` vector, static under ``jit``.

    JAX shapes are always known when tracing, so this is a constant: index it
    (``tf.shape(x)[0]``), do arithmetic on it, pass it to ``reshape``, ``tile``,
    ``zeros`` and ``fill``.

    Args:
      input: an array.
      name: ignored.
      out_type: the dtype (int32 or int64).

    Returns:
      A ``numpy.ndarray``.

    >>> import jax.numpy as jnp, scopejax.compat.v1 as tf
    >>> tf.shape(jnp.ones([2, 3])).tolist()
    [2, 3]
    """
    return np.asarray(np.shape(input), dtype=np.dtype(out_type))


def rank(input: Any, name: str | None = None) -> np.int32:  # noqa: A002
    """``tf.rank``: the number of axes, a static NumPy ``int32``.

    Args:
      input: an array.
      name: ignored.

    Returns:
      ``numpy.int32``.
    """
    return np.int32(np.ndim(input))


def size(input: Any, name: str | None = None, out_type: Any = int32) -> np.ndarray:  # noqa: A002
    """``tf.size``: the number of elements, a static NumPy integer.

    Args:
      input: an array.
      name: ignored.
      out_type: the dtype.

    Returns:
      A NumPy scalar.
    """
    return np.asarray(np.size(input), np.dtype(out_type))


def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Array:
    """``tf.concat(values, axis)``: join along an existing axis.

    Args:
      values: a list of arrays.
      axis: the axis; negative counts from the end.
      name: ignored.

    Returns:
      The joined array.
    """
    return jnp.concatenate([convert_to_tensor(v) for v in values], int(axis))


def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Array:
    """``tf.stack``: join along a new axis.

    Args:
      values: a list of arrays of one shape.
      axis: the new axis.
      name: ignored.

    Returns:
      The stacked array.
    """
    return jnp.stack([convert_to_tensor(v) for v in values], int(axis))


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack"):
    """``tf.unstack``: a list of slices along ``axis``.

    Args:
      value: the array.
      num: the length of ``axis`` (checked when given).
      axis: the axis.
      name: ignored.

    Returns:
      A list of arrays.

    Raises:
      ValueError: ``num`` differs from the axis's length.
    """
    value = convert_to_tensor(value)
    n = value.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num} but axis {axis} has length {n}.")
    return [jnp.take(value, i, axis=axis) for i in range(n)]


def split(
    value: Any,
    num_or_size_splits: Any,
    axis: int = 0,
    num: int | None = None,
    name: str = "split",
) -> list[Array]:
    """``tf.split``: equal parts (an int) or parts of the given sizes (one may be -1).

    Args:
      value: the array.
      num_or_size_splits: the number of equal parts, or a list of sizes.
      axis: the axis.
      num: ignored (the number of outputs is always known here).
      name: ignored.

    Returns:
      A list of arrays.

    Raises:
      ValueError: the axis does not divide evenly.
    """
    value = convert_to_tensor(value)
    axis = int(axis)
    n = value.shape[axis]
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = int(num_or_size_splits)
        if n % k:
            raise ValueError(f"split: axis {axis} of length {n} does not split into {k} parts.")
        return list(jnp.split(value, k, axis))
    sizes = list(_ints(num_or_size_splits))
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (builtins.sum(sizes) + 1)
    return list(jnp.split(value, np.cumsum(sizes)[:-1].tolist(), axis))


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Array:
    """``tf.reshape``: a new shape (one entry may be -1).

    Args:
      tensor: the array.
      shape: a list of ints, or ``tf.shape(...)``.
      name: ignored.

    Returns:
      The reshaped array.
    """
    return jnp.reshape(convert_to_tensor(tensor), _ints(shape))


def transpose(
    a: Any, perm: Any = None, name: str = "transpose", conjugate: builtins.bool = False
) -> Array:
    """``tf.transpose``: permute the axes (None reverses them).

    Args:
      a: the array.
      perm: the permutation.
      name: ignored.
      conjugate: conjugate too.

    Returns:
      The transposed array.
    """
    a = convert_to_tensor(a)
    out = jnp.transpose(a, None if perm is None else _ints(perm))
    return jnp.conj(out) if conjugate else out


def expand_dims(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,
    dim: Any = None,
) -> Array:
    """``tf.expand_dims``: a new axis of size 1.

    Args:
      input: the array.
      axis: where the new axis goes (negative counts from the end of the result); an
        int or, as TF takes it, a one-element list or vector (BERT writes
        ``axis=[-1]``).
      name: ignored.
      dim: TF1's old name for ``axis``.

    Returns:
      The array with one more axis.

    Raises:
      ValueError: ``axis`` holds more than one value.
    """
    if dim is not None:
        axis = dim
    if np.ndim(axis) == 1:
        if np.size(axis) != 1:
            raise ValueError(
                f"tf.expand_dims: 'dim' input must be a tensor with a single value, got {axis!r}."
            )
        axis = np.asarray(axis).reshape(())
    return jnp.expand_dims(convert_to_tensor(input), int(axis))


def squeeze(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,
    squeeze_dims: Any = None,
) -> Array:
    """``tf.squeeze``: drop axes of size 1 (all, or those listed).

    Args:
      input: the array.
      axis: an int or list of ints; None drops every axis of size 1.
      name: ignored.
      squeeze_dims: TF1's old name for ``axis``.

    Returns:
      The squeezed array.
    """
    if squeeze_dims is not None:
        axis = squeeze_dims
    return jnp.squeeze(convert_to_tensor(input), _axis(axis))


def tile(input: Any, multiples: Any, name: str | None = None) -> Array:  # noqa: A002
    """``tf.tile``: repeat the array ``multiples[i]`` times along axis ``i``.

    Args:
      input: the array.
      multiples: one int per axis (static; ``tf.shape(x)[0]`` is).
      name: ignored.

    Returns:
      The tiled array.
    """
    return jnp.tile(convert_to_tensor(input), _ints(multiples))


def _gather(params: Array, indices: Array, axis: int, batch_dims: int) -> Array:
    if batch_dims == 0:
        return jnp.take(params, indices, axis=axis, mode="clip")
    return jax.vmap(lambda p, i: _gather(p, i, axis - 1, batch_dims - 1))(params, indices)


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    name: str | None = None,
    axis: Any = None,
    batch_dims: int = 0,
) -> Array:
    """``tf.gather``: slices of ``params`` along ``axis`` at ``indices``.

    Out-of-range indices are clamped (TF raises on CPU and gives zeros on GPU).

    Args:
      params: the array.
      indices: an integer array.
      validate_indices: ignored.
      name: ignored.
      axis: the axis (default: ``batch_dims``).
      batch_dims: the number of leading batch axes shared by params and indices.

    Returns:
      The gathered array.
    """
    params, indices = convert_to_tensor(params), convert_to_tensor(indices)
    batch_dims = int(batch_dims) % (indices.ndim + 1) if batch_dims < 0 else int(batch_dims)
    axis = batch_dims if axis is None else int(axis) % params.ndim
    return _gather(params, indices, axis, batch_dims)


def gather_nd(params: Any, indices: Any, name: str | None = None, batch_dims: int = 0) -> Array:
    """``tf.gather_nd``: ``params[tuple(indices[..., :])]``.

    Args:
      params: the array.
      indices: an integer array whose last axis indexes ``params``' leading axes.
      name: ignored.
      batch_dims: leading batch axes shared by params and indices.

    Returns:
      The gathered array.
    """
    params, indices = convert_to_tensor(params), convert_to_tensor(indices)
    if batch_dims:
        return jax.vmap(lambda p, i: gather_nd(p, i, batch_dims=batch_dims - 1))(params, indices)
    return params[tuple(jnp.moveaxis(indices, -1, 0))]


def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: Any = None,
    dtype: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.one_hot``: indices out of ``[0, depth)`` give all ``off_value``.

    Args:
      indices: an integer array.
      depth: the number of classes.
      on_value: the value at the index (default 1).
      off_value: the value elsewhere (default 0).
      axis: where the new axis goes (default last).
      dtype: the dtype (default ``on_value``'s, else float32).
      name: ignored.

    Returns:
      The one-hot array.
    """
    if dtype is None:
        dtype = next(
            (convert_to_tensor(v).dtype for v in (on_value, off_value) if v is not None),
            jnp.float32,
        )
    dt = jnp.dtype(dtype)
    on = jnp.asarray(1 if on_value is None else on_value, dt)
    off = jnp.asarray(0 if off_value is None else off_value, dt)
    indices = convert_to_tensor(indices)
    hit = indices[..., None] == jnp.arange(int(depth), dtype=indices.dtype)
    out = jnp.where(hit, on, off)
    if axis is not None and int(axis) != -1:
        out = jnp.moveaxis(out, -1, int(axis))
    return out


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> Array:
    """``tf.zeros``.

    Args:
      shape: a list of ints or ``tf.shape(...)``.
      dtype: the dtype (default float32).
      name: ignored.

    Returns:
      An array of zeros.
    """
    return jnp.zeros(_ints(shape) if np.ndim(shape) or not _is_py(shape) else (shape,), dtype)


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> Array:
    """``tf.ones``.

    Args:
      shape: a list of ints or ``tf.shape(...)``.
      dtype: the dtype (default float32).
      name: ignored.

    Returns:
      An array of ones.
    """
    return jnp.ones(_ints(shape) if np.ndim(shape) or not _is_py(shape) else (shape,), dtype)


def zeros_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: builtins.bool = True
) -> Array:
    """``tf.zeros_like``.

    Args:
      tensor: the array whose shape (and dtype) to take.
      dtype: the dtype; None keeps ``tensor``'s.
      name: ignored.
      optimize: ignored.

    Returns:
      An array of zeros.
    """
    return jnp.zeros_like(convert_to_tensor(tensor), _dt(dtype))


def ones_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: builtins.bool = True
) -> Array:
    """``tf.ones_like``.

    Args:
      tensor: the array whose shape (and dtype) to take.
      dtype: the dtype; None keeps ``tensor``'s.
      name: ignored.
      optimize: ignored.

    Returns:
      An array of ones.
    """
    return jnp.ones_like(convert_to_tensor(tensor), _dt(dtype))


def fill(dims: Any, value: Any, name: str | None = None) -> Array:
    """``tf.fill``: an array of ``dims`` filled with ``value`` (its dtype as TF infers it).

    Args:
      dims: the shape.
      value: a scalar.
      name: ignored.

    Returns:
      The filled array.
    """
    return jnp.full(_ints(dims), convert_to_tensor(value))


def range(  # noqa: A001 - TF1's name
    start: Any,
    limit: Any = None,
    delta: Any = 1,
    dtype: Any = None,
    name: str = "range",
) -> Array:
    """``tf.range``: ``[start, limit)`` by ``delta`` (ints: int32, floats: float32).

    Args:
      start: the first value (the limit when ``limit`` is None).
      limit: the end, excluded.
      delta: the step.
      dtype: the dtype; None infers it from the arguments.
      name: ignored.

    Returns:
      A 1-D array.
    """
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        floats = builtins.any(
            isinstance(v, float) or jnp.issubdtype(np.asarray(v).dtype, jnp.floating)
            for v in (start, limit, delta)
        )
        dtype = jnp.float32 if floats else jnp.int32
    return jnp.arange(start, limit, delta, dtype=jnp.dtype(dtype))


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Array:
    """``tf.where`` (TF1): pick from ``x`` or ``y``; or, without them, the true coordinates.

    As in TF1, a vector ``condition`` selects along the first axis of higher-rank
    ``x`` and ``y``; otherwise the shapes must match (``where_v2`` broadcasts). The
    coordinates form (``tf.where(cond)``) has a data-dependent shape: it works outside
    ``jit`` only.

    Args:
      condition: a boolean array.
      x: the values where true.
      y: the values where false.
      name: ignored.

    Returns:
      The selected array, or int64 (int32) coordinates ``[n, rank]``.

    Raises:
      ValueError: only one of ``x`` and ``y``.
    """
    c = convert_to_tensor(condition)
    if x is None and y is None:
        return jnp.argwhere(c).astype(jax.dtypes.canonicalize_dtype(jnp.int64))
    if x is None or y is None:
        raise ValueError("tf.where: pass both x and y, or neither.")
    a, b = _pair(x, y)
    if c.ndim == 1 and a.ndim > 1:
        c = c.reshape((-1,) + (1,) * (a.ndim - 1))
    return jnp.where(c, a, b)


def where_v2(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Array:
    """``tf.where_v2``: ``jnp.where`` with broadcasting.

    Args:
      condition: a boolean array.
      x: the values where true.
      y: the values where false.
      name: ignored.

    Returns:
      The selected array, or coordinates when ``x`` and ``y`` are None.
    """
    if x is None and y is None:
        return where(condition)
    a, b = _pair(x, y)
    return jnp.where(convert_to_tensor(condition), a, b)


def matrix_band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None):  # noqa: A002
    """``tf.matrix_band_part``: keep a band around the diagonal of the last two axes.

    Args:
      input: an array of rank >= 2.
      num_lower: sub-diagonals to keep; negative keeps the whole lower triangle.
      num_upper: super-diagonals to keep; negative keeps the whole upper triangle.
      name: ignored.

    Returns:
      The masked array.
    """
    x = convert_to_tensor(input)
    m, n = x.shape[-2:]
    i = jnp.arange(m)[:, None]
    j = jnp.arange(n)[None, :]
    keep = jnp.ones((m, n), jnp.bool_)
    if int(num_lower) >= 0:
        keep &= (i - j) <= int(num_lower)
    if int(num_upper) >= 0:
        keep &= (j - i) <= int(num_upper)
    return jnp.where(keep, x, jnp.zeros((), x.dtype))


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = bool, name: str | None = None
) -> Array:
    """``tf.sequence_mask``: ``mask[..., j] = j < lengths[...]``.

    Args:
      lengths: an integer array.
      maxlen: the mask's last axis; None takes ``max(lengths)``, which needs concrete
        lengths (outside ``jit``): pass ``maxlen`` under ``jit``.
      dtype: the dtype (default bool).
      name: ignored.

    Returns:
      The mask.
    """
    lengths = convert_to_tensor(lengths)
    if maxlen is None:
        try:
            maxlen = int(jnp.max(lengths))
        except jax.errors.ConcretizationTypeError:
            raise ScopejaxError(
                "tf.sequence_mask(lengths) under jit needs maxlen=: the mask's length must be "
                "static in JAX (pass maxlen=x.shape[1], for example)."
            ) from None
    out = jnp.arange(int(maxlen)) < lengths[..., None]
    return out.astype(jnp.dtype(dtype))


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    name: str | None = None,
    constant_values: Any = 0,
) -> Array:
    """``tf.pad``: ``CONSTANT``, ``REFLECT`` or ``SYMMETRIC`` padding.

    Args:
      tensor: the array.
      paddings: ``[[before, after], ...]``, one pair per axis.
      mode: ``'CONSTANT'``, ``'REFLECT'`` or ``'SYMMETRIC'`` (any case).
      name: ignored.
      constant_values: the fill value for ``CONSTANT``.

    Returns:
      The padded array.

    Raises:
      ValueError: an unknown mode.
    """
    x = convert_to_tensor(tensor)
    pads = np.asarray(_ints(paddings)).reshape(-1, 2).tolist()
    m = mode.upper()
    if m == "CONSTANT":
        return jnp.pad(x, pads, constant_values=jnp.asarray(constant_values, x.dtype))
    if m in ("REFLECT", "SYMMETRIC"):
        return jnp.pad(x, pads, mode=m.lower())
    raise ValueError(f"tf.pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}.")


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Array:  # noqa: A001
    """``tf.slice``: ``size[i]`` elements from ``begin[i]`` on each axis (-1: to the end).

    Args:
      input_: the array.
      begin: the start per axis (static ints, or a traced vector).
      size: the length per axis, static; -1 takes the rest.
      name: ignored.

    Returns:
      The slice.
    """
    x = convert_to_tensor(input_)
    sizes = _ints(size)
    try:
        starts = _ints(begin)
    except ScopejaxError:
        if -1 in sizes:
            raise
        return jax.lax.dynamic_slice(x, list(jnp.asarray(begin)), sizes)
    sizes = tuple(
        x.shape[i] - b if s == -1 else s for i, (b, s) in enumerate(zip(starts, sizes, strict=True))
    )
    return jax.lax.slice(x, starts, tuple(b + s for b, s in zip(starts, sizes, strict=True)))


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Array:
    """``tf.reverse``: flip along the listed axes.

    Args:
      tensor: the array.
      axis: a list of axes.
      name: ignored.

    Returns:
      The flipped array.
    """
    return jnp.flip(convert_to_tensor(tensor), _axis(list(_ints(axis))))


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Array:
    """``tf.boolean_mask``: the elements where ``mask`` is true (outside ``jit`` only:
    the result's shape depends on the values; under ``jit`` use ``tf.where(mask, x, 0)``).

    Args:
      tensor: the array.
      mask: a boolean array matching ``tensor``'s leading axes (from ``axis``).
      name: ignored.
      axis: the first axis the mask covers (default 0).

    Returns:
      The selected elements.
    """
    x, m = convert_to_tensor(tensor), convert_to_tensor(mask)
    axis = 0 if axis is None else int(axis)
    flat = x.reshape(x.shape[:axis] + (-1,) + x.shape[axis + m.ndim :])
    return jnp.compress(m.reshape(-1), flat, axis=axis)


# ---------------------------------------------------------------------------------------------
# clipping, gradients


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None):
    """``tf.clip_by_value``.

    Args:
      t: the array.
      clip_value_min: the lower bound.
      clip_value_max: the upper bound.
      name: ignored.

    Returns:
      The clipped array.
    """
    t = convert_to_tensor(t)
    return jnp.clip(t, jnp.asarray(clip_value_min, t.dtype), jnp.asarray(clip_value_max, t.dtype))


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Array:
    """``tf.clip_by_norm``: rescale so the L2 norm (over ``axes``) is at most ``clip_norm``.

    Args:
      t: the array.
      clip_norm: the largest norm.
      axes: the axes of the norm (default all).
      name: ignored.

    Returns:
      The clipped array.
    """
    t = convert_to_tensor(t)
    l2sum = jnp.sum(t * t, _axis(axes), keepdims=True)
    pred = l2sum > 0
    l2norm = jnp.where(pred, jnp.sqrt(jnp.where(pred, l2sum, 1.0)), l2sum)
    return t * clip_norm / jnp.maximum(l2norm, clip_norm)


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Array:
    """``tf.global_norm``: the L2 norm of all arrays together (None entries skipped).

    Args:
      t_list: a list of arrays.
      name: ignored.

    Returns:
      A scalar.
    """
    return jnp.sqrt(builtins.sum(jnp.sum(jnp.square(t)) for t in t_list if t is not None))


def clip_by_global_norm(
    t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Any], Array]:
    """``tf.clip_by_global_norm``: scale all arrays by ``clip_norm / max(norm, clip_norm)``.

    Args:
      t_list: a list of arrays (None entries stay None).
      clip_norm: the largest global norm.
      use_norm: the global norm, if already computed.
      name: ignored.

    Returns:
      ``(clipped_list, global_norm)``.
    """
    norm = global_norm(t_list) if use_norm is None else use_norm
    scale = clip_norm * jnp.minimum(1.0 / norm, 1.0 / clip_norm)
    return [None if t is None else t * scale.astype(t.dtype) for t in t_list], norm


def gradients(ys: Any, xs: Any, *args: Any, **kwargs: Any):
    """``tf.gradients``: not available; differentiate the function with ``jax.grad``.

    Args:
      ys: ignored.
      xs: ignored.
      *args: ignored.
      **kwargs: ignored.

    Raises:
      ScopejaxError: always, saying what to write instead.
    """
    raise ScopejaxError(
        "tf.gradients has no JAX counterpart inside the model: differentiate a function of "
        "the store instead, jax.grad(lambda s: net.apply(s, x))(store.trainable()), or use "
        "tf.train.*Optimizer(...).minimize / sj.train.minimize."
    )


# ---------------------------------------------------------------------------------------------
# random


def _random_shape(shape: Any) -> tuple[int, ...]:
    return _ints(shape) if np.ndim(shape) or not _is_py(shape) else (int(shape),)


def random_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = float32,
    seed: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.random_normal``: normal draws from ``sj.next_rng_key()``.

    Args:
      shape: the shape.
      mean: the mean.
      stddev: the standard deviation.
      dtype: the dtype.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.

    Returns:
      The draws.

    Raises:
      MissingRNGError: no ``rng`` was given to ``apply`` / ``init``.
    """
    dt = jnp.dtype(dtype)
    return jax.random.normal(next_rng_key(), _random_shape(shape), dt) * stddev + mean


def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = float32,
    seed: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.truncated_normal``: normal draws cut at two standard deviations.

    Args:
      shape: the shape.
      mean: the mean.
      stddev: the standard deviation before truncation.
      dtype: the dtype.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.

    Returns:
      The draws.

    Raises:
      MissingRNGError: no ``rng`` was given to ``apply`` / ``init``.
    """
    dt = jnp.dtype(dtype)
    x = jax.random.truncated_normal(next_rng_key(), -2.0, 2.0, _random_shape(shape), dt)
    return x * stddev + mean


def random_uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = float32,
    seed: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.random_uniform``: uniform draws in ``[minval, maxval)``.

    Args:
      shape: the shape.
      minval: the lower bound.
      maxval: the upper bound; None means 1 for floats (integers need it).
      dtype: the dtype.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.

    Returns:
      The draws.

    Raises:
      ValueError: an integer dtype without ``maxval``.
      MissingRNGError: no ``rng`` was given to ``apply`` / ``init``.
    """
    dt = jnp.dtype(dtype)
    s = _random_shape(shape)
    if jnp.issubdtype(dt, jnp.integer):
        if maxval is None:
            raise ValueError("tf.random_uniform: integer dtypes need maxval=.")
        return jax.random.randint(next_rng_key(), s, minval, maxval, dt)
    return jax.random.uniform(next_rng_key(), s, dt, minval, 1.0 if maxval is None else maxval)


# ---------------------------------------------------------------------------------------------
# control flow


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    strict: builtins.bool = False,
    name: str | None = None,
    fn1: Callable[[], Any] | None = None,
    fn2: Callable[[], Any] | None = None,
) -> Any:
    """``tf.cond``: ``sj.cond`` (branches may call ``get_variable``; both are built).

    Args:
      pred: a boolean scalar.
      true_fn: the branch when true, no arguments.
      false_fn: the branch when false, no arguments.
      strict: keep singleton lists as lists (TF1 unpacks them otherwise).
      name: ignored.
      fn1: TF1's old name for ``true_fn``.
      fn2: TF1's old name for ``false_fn``.

    Returns:
      The chosen branch's outputs.

    Raises:
      TypeError: a branch is missing or not callable.
    """
    from scopejax._src.lift.control import cond as sj_cond

    true_fn = true_fn or fn1
    false_fn = false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("tf.cond needs true_fn and false_fn, both callables of no arguments.")
    out = sj_cond(pred, true_fn, false_fn)
    if not strict and isinstance(out, (list, tuple)) and len(out) == 1:
        return out[0]
    return out


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: builtins.bool = True,
    swap_memory: builtins.bool = False,
    name: str | None = None,
    maximum_iterations: Any = None,
    return_same_structure: builtins.bool = False,
) -> Any:
    """``tf.while_loop``: ``jax.lax.while_loop`` with TF1's calling convention.

    ``cond(*loop_vars)`` and ``body(*loop_vars)`` take the loop variables as
    separate arguments; ``body`` returns them in the same structure. Shapes and
    dtypes may not change between iterations (``shape_invariants`` is ignored). The
    loop is differentiable forward-mode only (use ``sj.scan`` for a trained loop of
    known length); the body may not create variables.

    Args:
      cond: ``cond(*loop_vars) -> bool scalar``.
      body: ``body(*loop_vars) -> loop_vars``.
      loop_vars: a list or tuple of arrays (or nested structures).
      shape_invariants: ignored.
      parallel_iterations: ignored.
      back_prop: ignored.
      swap_memory: ignored.
      name: ignored.
      maximum_iterations: stop after this many iterations.
      return_same_structure: keep a one-element list as a list.

    Returns:
      The final loop variables.
    """
    single = not isinstance(loop_vars, (list, tuple))
    lv = (loop_vars,) if single else tuple(loop_vars)
    lv = jax.tree_util.tree_map(convert_to_tensor, lv)

    def c(state: tuple) -> Any:
        i, v = state
        ok = jnp.asarray(cond(*v), jnp.bool_)
        if maximum_iterations is not None:
            ok = ok & (i < maximum_iterations)
        return ok

    def b(state: tuple) -> tuple:
        i, v = state
        out = body(*v)
        out = (out,) if not isinstance(out, (list, tuple)) else tuple(out)
        out = jax.tree_util.tree_map(lambda new, old: jnp.asarray(new, old.dtype), out, v)
        return i + 1, out

    _, out = jax.lax.while_loop(c, b, (jnp.int32(0), lv))
    if single or (len(out) == 1 and not return_same_structure):
        return out[0]
    return type(loop_vars)(out) if isinstance(loop_vars, list) else out
