"""``tf.nn.*`` with TF1's signatures: activations, convolutions and pooling with TF's
padding strings and ``data_format``, moments, dropout, the cross-entropy family."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.compat.ops import _axis, _ints, convert_to_tensor
from scopejax._src.core.rng import next_rng_key

Array = jax.Array


def _act(fn: Any, tf_name: str) -> Any:
    def op(features: Any, name: str | None = None) -> Array:
        return fn(convert_to_tensor(features))

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.nn.{tf_name}``.

    Args:
      features: an array.
      name: ignored.

    Returns:
      A ``jax.Array``.
    """
    return op


relu = _act(jax.nn.relu, "relu")
relu6 = _act(jax.nn.relu6, "relu6")
elu = _act(jax.nn.elu, "elu")
selu = _act(jax.nn.selu, "selu")
softplus = _act(jax.nn.softplus, "softplus")
softsign = _act(jax.nn.soft_sign, "softsign")
swish = _act(jax.nn.swish, "swish")
sigmoid = _act(jax.nn.sigmoid, "sigmoid")
tanh = _act(jnp.tanh, "tanh")


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Array:
    """``tf.nn.leaky_relu``: ``max(x, alpha * x)``.

    Args:
      features: an array.
      alpha: the slope for negative inputs (TF's default 0.2).
      name: ignored.

    Returns:
      A ``jax.Array``.
    """
    x = convert_to_tensor(features)
    return jnp.maximum(x, x * jnp.asarray(alpha, x.dtype))


def _softmax_like(fn: Any, tf_name: str) -> Any:
    def op(logits: Any, axis: Any = None, name: str | None = None, dim: Any = None) -> Array:
        if dim is not None:
            axis = dim
        return fn(convert_to_tensor(logits), axis=-1 if axis is None else int(axis))

    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"""``tf.nn.{tf_name}`` over ``axis`` (default last).

    Args:
      logits: an array.
      axis: the axis.
      name: ignored.
      dim: TF1's old name for ``axis``.

    Returns:
      A ``jax.Array``.
    """
    return op


softmax = _softmax_like(jax.nn.softmax, "softmax")
log_softmax = _softmax_like(jax.nn.log_softmax, "log_softmax")


def _channels_first(data_format: Any) -> bool:
    return data_format is not None and str(data_format).upper().startswith("NC")


def bias_add(value: Any, bias: Any, data_format: Any = None, name: str | None = None) -> Array:
    """``tf.nn.bias_add``: add a vector along the channel axis (last, or 1 for ``NC..``).

    Args:
      value: an array.
      bias: a vector of the channel axis's length.
      data_format: ``'NHWC'`` (default) or ``'NCHW'`` (any ``N...C`` / ``NC...``).
      name: ignored.

    Returns:
      ``value + bias``.
    """
    x, b = convert_to_tensor(value), convert_to_tensor(bias)
    if _channels_first(data_format):
        return x + b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + b


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Array:
    """``tf.nn.xw_plus_b``: ``x @ weights + biases``.

    Args:
      x: a matrix.
      weights: a matrix.
      biases: a vector.
      name: ignored.

    Returns:
      A ``jax.Array``.
    """
    return convert_to_tensor(x) @ convert_to_tensor(weights) + convert_to_tensor(biases)


def _spatial(v: Any, n: int, channels_first: bool, what: str) -> tuple[int, ...]:
    """TF's strides/ksize/dilations: an int, ``n`` ints, or ``n + 2`` ints with 1s at N and C."""
    if v is None:
        return (1,) * n
    t = _ints(v)
    if len(t) == 1:
        return t * n
    if len(t) == n:
        return t
    if len(t) == n + 2:
        return t[2:] if channels_first else t[1:-1]
    raise ValueError(f"{what} must be an int or a list of {n} or {n + 2} ints, got {v!r}.")


def _padding(padding: Any, n: int, channels_first: bool) -> Any:
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}.")
        return p
    pairs = [tuple(int(a) for a in pr) for pr in padding]  # TF's explicit padding
    return pairs[2:] if channels_first else pairs[1:-1]


def _conv(x: Array, w: Array, strides: Any, padding: Any, dilations: Any, fmt: str) -> Array:
    n = x.ndim - 2
    cf = fmt.startswith("NC")
    spatial = "DHW"[3 - n :]
    lhs = ("NC" + spatial) if cf else ("N" + spatial + "C")
    dn = jax.lax.conv_dimension_numbers(x.shape, w.shape, (lhs, spatial + "IO", lhs))
    return jax.lax.conv_general_dilated(
        x,
        w,
        _spatial(strides, n, cf, "strides"),
        _padding(padding, n, cf),
        rhs_dilation=_spatial(dilations, n, cf, "dilations"),
        dimension_numbers=dn,
    )


def conv2d(
    input: Any = None,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Array:
    """``tf.nn.conv2d``: a 2-D convolution (cross-correlation, as TF).

    Args:
      input: ``[batch, h, w, in]`` (``NHWC``) or ``[batch, in, h, w]`` (``NCHW``).
      filter: ``[kh, kw, in, out]``.
      strides: an int, 2 ints, or 4 ints (TF's ``[1, sh, sw, 1]``).
      padding: ``'SAME'``, ``'VALID'``, or explicit ``[[0, 0], [t, b], [l, r], [0, 0]]``.
      use_cudnn_on_gpu: ignored.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      dilations: an int, 2 ints or 4 ints.
      name: ignored.
      filters: TF2's name for ``filter``.

    Returns:
      The output, in ``data_format``.

    >>> import jax.numpy as jnp, scopejax.compat.v1 as tf
    >>> tf.nn.conv2d(jnp.ones([1, 5, 5, 3]), jnp.ones([3, 3, 3, 8]), [1, 2, 2, 1], "SAME").shape
    (1, 3, 3, 8)
    """
    w = filter if filter is not None else filters
    x, w = convert_to_tensor(input), convert_to_tensor(w)
    return _conv(x, w, strides, padding, dilations, (data_format or "NHWC").upper())


def conv1d(
    value: Any = None,
    filters: Any = None,
    stride: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: Any = None,
    data_format: Any = None,
    name: str | None = None,
    input: Any = None,  # noqa: A002
    dilations: Any = None,
) -> Array:
    """``tf.nn.conv1d``: a 1-D convolution.

    Args:
      value: ``[batch, width, in]`` (``NWC``) or ``[batch, in, width]`` (``NCW``).
      filters: ``[k, in, out]``.
      stride: an int or 1 or 3 ints.
      padding: ``'SAME'`` or ``'VALID'``.
      use_cudnn_on_gpu: ignored.
      data_format: ``'NWC'`` (default) or ``'NCW'``.
      name: ignored.
      input: TF2's name for ``value``.
      dilations: an int or 1 or 3 ints.

    Returns:
      The output, in ``data_format``.
    """
    x = convert_to_tensor(value if value is not None else input)
    return _conv(
        x, convert_to_tensor(filters), stride, padding, dilations, (data_format or "NWC").upper()
    )


def conv2d_transpose(
    value: Any = None,
    filter: Any = None,  # noqa: A002
    output_shape: Any = None,
    strides: Any = None,
    padding: str = "SAME",
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
    filters: Any = None,
    dilations: Any = None,
) -> Array:
    """``tf.nn.conv2d_transpose``: the gradient of ``conv2d`` with respect to its input.

    Args:
      value: the input, in ``data_format``.
      filter: ``[kh, kw, out, in]`` (output channels first, as TF).
      output_shape: the output's full shape (static ints).
      strides: an int, 2 ints or 4 ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      name: ignored.
      input: TF2's name for ``value``.
      filters: TF2's name for ``filter``.
      dilations: an int, 2 ints or 4 ints.

    Returns:
      An array of ``output_shape``.
    """
    x = convert_to_tensor(value if value is not None else input)
    w = convert_to_tensor(filter if filter is not None else filters)
    fmt = (data_format or "NHWC").upper()
    out_shape = _ints(output_shape)

    def forward(z: Array) -> Array:
        return _conv(z, w, strides, padding, dilations, fmt)

    _, vjp = jax.vjp(forward, jnp.zeros(out_shape, x.dtype))
    return vjp(x)[0]


def conv1d_transpose(
    input: Any,  # noqa: A002
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> Array:
    """``tf.nn.conv1d_transpose``: the gradient of ``conv1d`` with respect to its input.

    Args:
      input: the input, in ``data_format``.
      filters: ``[k, out, in]``.
      output_shape: the output's full shape.
      strides: an int or 1 or 3 ints.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NWC'`` or ``'NCW'``.
      dilations: an int or 1 or 3 ints.
      name: ignored.

    Returns:
      An array of ``output_shape``.
    """
    return conv2d_transpose(
        input, filters, output_shape, strides, padding, data_format, dilations=dilations
    )


def _pool(x: Array, ksize: Any, strides: Any, padding: str, data_format: Any, kind: str) -> Array:
    n = x.ndim - 2
    fmt = (data_format or "NHWC").upper()
    cf = fmt.startswith("NC")
    k = _spatial(ksize, n, cf, "ksize")
    s = _spatial(strides, n, cf, "strides")
    dims = (1, 1) + k if cf else (1,) + k + (1,)
    strd = (1, 1) + s if cf else (1,) + s + (1,)
    pad = _padding(padding, n, cf)
    if not isinstance(pad, str):
        raise ValueError("pooling takes padding 'SAME' or 'VALID'.")
    if kind == "max":
        init = (
            jnp.array(-jnp.inf, x.dtype)
            if jnp.issubdtype(x.dtype, jnp.floating)
            else jnp.iinfo(x.dtype).min
        )
        return jax.lax.reduce_window(x, init, jax.lax.max, dims, strd, pad)
    total = jax.lax.reduce_window(x, jnp.zeros((), x.dtype), jax.lax.add, dims, strd, pad)
    count = jax.lax.reduce_window(
        jnp.ones(x.shape, x.dtype), jnp.zeros((), x.dtype), jax.lax.add, dims, strd, pad
    )
    return total / count  # TF's SAME average counts only the elements inside


def max_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: str = "VALID",
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
) -> Array:
    """``tf.nn.max_pool``: max pooling (``SAME`` pads with -inf).

    Args:
      value: the input, rank 3 to 5, in ``data_format``.
      ksize: an int, one per spatial axis, or TF's ``[1, kh, kw, 1]``.
      strides: as ``ksize``.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'``, ``'NCHW'``, ``'NWC'``, ...
      name: ignored.
      input: TF2's name for ``value``.

    Returns:
      The pooled array.
    """
    x = convert_to_tensor(value if value is not None else input)
    return _pool(x, ksize, strides, padding, data_format, "max")


def avg_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: str = "VALID",
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
) -> Array:
    """``tf.nn.avg_pool``: average pooling (``SAME`` averages the elements inside only).

    Args:
      value: the input, rank 3 to 5, in ``data_format``.
      ksize: an int, one per spatial axis, or TF's ``[1, kh, kw, 1]``.
      strides: as ``ksize``.
      padding: ``'SAME'`` or ``'VALID'``.
      data_format: ``'NHWC'``, ``'NCHW'``, ``'NWC'``, ...
      name: ignored.
      input: TF2's name for ``value``.

    Returns:
      The pooled array.
    """
    x = convert_to_tensor(value if value is not None else input)
    return _pool(x, ksize, strides, padding, data_format, "avg")


max_pool2d = max_pool
avg_pool2d = avg_pool


def moments(
    x: Any,
    axes: Any,
    shift: Any = None,
    name: str | None = None,
    keep_dims: Any = None,
    keepdims: Any = None,
) -> tuple[Array, Array]:
    """``tf.nn.moments``: mean and (biased) variance over ``axes``.

    Args:
      x: an array.
      axes: the axes to reduce.
      shift: ignored (as in TF).
      name: ignored.
      keep_dims: keep the reduced axes with size 1.
      keepdims: the same.

    Returns:
      ``(mean, variance)``.
    """
    x = convert_to_tensor(x)
    kd = bool(keepdims if keepdims is not None else keep_dims)
    ax = _axis(list(_ints(axes)))
    y = x.astype(jnp.float32) if x.dtype == jnp.float16 else x
    mean = jnp.mean(y, ax, keepdims=True)
    var = jnp.mean(jnp.square(y - jax.lax.stop_gradient(mean)), ax, keepdims=True)
    if not kd:
        mean, var = jnp.squeeze(mean, ax), jnp.squeeze(var, ax)
    return mean.astype(x.dtype), var.astype(x.dtype)


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Array:
    """``tf.nn.batch_normalization``: ``(x - mean) * scale / sqrt(variance + eps) + offset``.

    Args:
      x: an array.
      mean: broadcastable to ``x``.
      variance: broadcastable to ``x``.
      offset: broadcastable to ``x``, or None.
      scale: broadcastable to ``x``, or None.
      variance_epsilon: added to the variance.
      name: ignored.

    Returns:
      The normalized array.
    """
    x = convert_to_tensor(x)
    inv = jax.lax.rsqrt(convert_to_tensor(variance) + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    return x * inv.astype(x.dtype) + (
        (offset - mean * inv) if offset is not None else (-mean * inv)
    ).astype(x.dtype)


def l2_loss(t: Any, name: str | None = None) -> Array:
    """``tf.nn.l2_loss``: ``sum(t ** 2) / 2``.

    Args:
      t: an array.
      name: ignored.

    Returns:
      A scalar.
    """
    t = convert_to_tensor(t)
    return jnp.sum(jnp.square(t)) / 2


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Array:
    """``tf.nn.l2_normalize``: ``x / sqrt(max(sum(x ** 2), epsilon))`` over ``axis``.

    Args:
      x: an array.
      axis: an int or list; None normalizes over all axes.
      epsilon: the floor of the squared norm.
      name: ignored.
      dim: TF1's old name for ``axis``.

    Returns:
      The normalized array.
    """
    if dim is not None:
        axis = dim
    x = convert_to_tensor(x)
    sq = jnp.sum(jnp.square(x), _axis(axis), keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(sq, jnp.asarray(epsilon, sq.dtype)))


def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: Any = None,
    name: str | None = None,
    rate: Any = None,
) -> Array:
    """``tf.nn.dropout``: zero elements with probability ``rate = 1 - keep_prob`` and scale
    the rest by ``1 / keep_prob``; the mask is drawn from ``sj.next_rng_key()``.

    As in TF1, it always drops (there is no ``training`` flag: ``keep_prob=1.0`` is the
    identity and needs no key).

    Args:
      x: an array.
      keep_prob: the probability of keeping an element.
      noise_shape: the mask's shape, broadcast to ``x``'s.
      seed: ignored (keys come from ``apply(..., rng=key)``).
      name: ignored.
      rate: the probability of dropping (TF2's spelling).

    Returns:
      The array with elements dropped.

    Raises:
      ValueError: both or neither of ``keep_prob`` and ``rate``.
      MissingRNGError: no ``rng`` was given to ``apply`` while dropping.
    """
    if (keep_prob is None) == (rate is None):
        raise ValueError("tf.nn.dropout: pass keep_prob= or rate=, exactly one.")
    keep = 1.0 - rate if keep_prob is None else keep_prob
    x = convert_to_tensor(x)
    if isinstance(keep, (int, float)) and keep == 1:
        return x
    shape = x.shape if noise_shape is None else _ints(noise_shape)
    mask = jax.random.uniform(next_rng_key(), shape, jnp.float32) < keep
    return jnp.where(mask, x / jnp.asarray(keep, x.dtype), jnp.zeros((), x.dtype))


def _partitioned(params: Any, strategy: str) -> tuple[Array, Any]:
    """One table from a list of shards, and the map from ids to rows (TF's mod/div)."""
    if not isinstance(params, (list, tuple)):
        return convert_to_tensor(params), None
    parts = [convert_to_tensor(p) for p in params]
    if len(parts) == 1:
        return parts[0], None
    table = jnp.concatenate(parts, 0)
    n = len(parts)
    sizes = np.array([p.shape[0] for p in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    if strategy == "mod":
        return table, lambda ids: jnp.asarray(offsets)[ids % n] + ids // n
    if strategy == "div":
        return table, None  # rows in order: shard p holds a contiguous block of ids
    raise ValueError(f"partition_strategy must be 'mod' or 'div', got {strategy!r}.")


def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
    max_norm: Any = None,
) -> Array:
    """``tf.nn.embedding_lookup``: rows of ``params`` at ``ids`` (a table or a list of shards).

    Args:
      params: a table ``[vocab, ...]``, or a list of shards (``partition_strategy``).
      ids: an integer array.
      partition_strategy: ``'mod'`` or ``'div'``, for a list of shards.
      name: ignored.
      validate_indices: ignored (out-of-range ids are clamped).
      max_norm: clip each looked-up row to this L2 norm.

    Returns:
      ``ids.shape + params.shape[1:]``.
    """
    table, remap = _partitioned(params, partition_strategy)
    ids = convert_to_tensor(ids)
    rows = jnp.take(table, remap(ids) if remap else ids, axis=0, mode="clip")
    if max_norm is not None:
        axes = tuple(range(ids.ndim, rows.ndim))
        norm = jnp.sqrt(jnp.sum(jnp.square(rows), axes, keepdims=True))
        rows = rows * jnp.minimum(1.0, max_norm / jnp.maximum(norm, 1e-30))
    return rows


def _xent(labels: Array, logits: Array, axis: int) -> Array:
    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=axis), axis=axis)


def softmax_cross_entropy_with_logits(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: Any = None,
) -> Array:
    """``tf.nn.softmax_cross_entropy_with_logits`` (v1): no gradient into ``labels``.

    Args:
      _sentinel: pass the arguments by name, as TF requires.
      labels: a distribution over classes, like ``logits``.
      logits: unnormalized log-probabilities.
      dim: the class axis.
      name: ignored.
      axis: TF2's name for ``dim``.

    Returns:
      The loss per example (the class axis removed).

    Raises:
      ValueError: positional arguments.
    """
    if _sentinel is not None:
        raise ValueError("softmax_cross_entropy_with_logits: pass labels= and logits= by name.")
    labels = jax.lax.stop_gradient(convert_to_tensor(labels))
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, dim=dim, axis=axis)


def softmax_cross_entropy_with_logits_v2(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: Any = None,
) -> Array:
    """``tf.nn.softmax_cross_entropy_with_logits_v2``: gradients reach ``labels`` too.

    Args:
      _sentinel: pass the arguments by name, as TF requires.
      labels: a distribution over classes, like ``logits``.
      logits: unnormalized log-probabilities.
      dim: the class axis.
      name: ignored.
      axis: TF2's name for ``dim``.

    Returns:
      The loss per example (the class axis removed).

    Raises:
      ValueError: positional arguments.
    """
    if _sentinel is not None:
        raise ValueError("softmax_cross_entropy_with_logits_v2: pass labels= and logits= by name.")
    ax = dim if axis is None else axis
    return _xent(convert_to_tensor(labels), convert_to_tensor(logits), ax)


def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Array:
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: integer labels.

    Args:
      _sentinel: pass the arguments by name, as TF requires.
      labels: class indices, ``logits.shape[:-1]``.
      logits: ``[..., classes]``.
      name: ignored.

    Returns:
      The loss per example.

    Raises:
      ValueError: positional arguments.
    """
    if _sentinel is not None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits: pass labels= and logits=.")
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels)
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), -1)[..., 0]


def sigmoid_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Array:
    """``tf.nn.sigmoid_cross_entropy_with_logits``: ``max(x, 0) - x * z + log(1 + exp(-|x|))``.

    Args:
      _sentinel: pass the arguments by name, as TF requires.
      labels: targets in [0, 1], like ``logits``.
      logits: an array.
      name: ignored.

    Returns:
      The elementwise loss.

    Raises:
      ValueError: positional arguments.
    """
    if _sentinel is not None:
        raise ValueError("sigmoid_cross_entropy_with_logits: pass labels= and logits= by name.")
    x, z = convert_to_tensor(logits), convert_to_tensor(labels)
    return jnp.maximum(x, 0) - x * z + jnp.log1p(jnp.exp(-jnp.abs(x)))


def weighted_cross_entropy_with_logits(
    targets: Any = None,
    logits: Any = None,
    pos_weight: Any = None,
    name: str | None = None,
    labels: Any = None,
) -> Array:
    """``tf.nn.weighted_cross_entropy_with_logits``: the sigmoid loss with positives weighted.

    Args:
      targets: targets in [0, 1] (TF1's name).
      logits: an array.
      pos_weight: the positives' weight.
      name: ignored.
      labels: TF2's name for ``targets``.

    Returns:
      The elementwise loss.
    """
    z = convert_to_tensor(targets if targets is not None else labels)
    x = convert_to_tensor(logits)
    lw = 1 + (pos_weight - 1) * z
    return (1 - z) * x + lw * (jnp.log1p(jnp.exp(-jnp.abs(x))) + jnp.maximum(-x, 0))


class TopKV2(NamedTuple):
    """``tf.nn.top_k``'s result."""

    values: Array
    indices: Array


def top_k(input: Any, k: int = 1, sorted: bool = True, name: str | None = None) -> TopKV2:  # noqa: A002
    """``tf.nn.top_k``: the ``k`` largest along the last axis (lower index first on ties).

    Args:
      input: an array.
      k: how many.
      sorted: ignored (always sorted, as TF on CPU).
      name: ignored.

    Returns:
      ``TopKV2(values, indices)``.
    """
    values, indices = jax.lax.top_k(convert_to_tensor(input), int(k))
    return TopKV2(values, indices.astype(jnp.int32))


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Array:
    """``tf.nn.in_top_k``: whether each target's score is among the ``k`` largest.

    Args:
      predictions: ``[batch, classes]``.
      targets: ``[batch]`` class indices.
      k: how many.
      name: ignored.

    Returns:
      A boolean vector.
    """
    p = convert_to_tensor(predictions)
    t = convert_to_tensor(targets)
    score = jnp.take_along_axis(p, t[:, None].astype(jnp.int32), 1)
    return jnp.sum(p > score, axis=1) < k


def zero_fraction(value: Any, name: str | None = None) -> Array:
    """``tf.nn.zero_fraction``: the fraction of zeros.

    Args:
      value: an array.
      name: ignored.

    Returns:
      A float32 scalar.
    """
    return jnp.mean((convert_to_tensor(value) == 0).astype(jnp.float32))
