"""``tf.losses`` (TF1's ``tf.compat.v1.losses``): the weighted losses, their reductions
(``Reduction.SUM_BY_NONZERO_WEIGHTS`` by default) and the ``LOSSES`` collection.

Follows ``tensorflow/python/ops/losses/losses_impl.py``: each loss computes its
elementwise losses in float32, multiplies them by ``weights`` broadcast to their shape,
reduces them as ``reduction`` says (the mean over the number of non-zero weights by
default, 0 when there are none) and adds the result to ``loss_collection``. Outside a
transformed function there is no collection to add to, and the loss is only returned.
"""

from __future__ import annotations

import builtins
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.compat.nn_ops import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from scopejax._src.compat.ops import convert_to_tensor
from scopejax._src.core import collection
from scopejax._src.core.collection import GraphKeys
from scopejax._src.core.context import maybe_frame

Array = jax.Array


class Reduction:
    """``tf.losses.Reduction``: how a weighted loss is reduced to a scalar."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        """Every reduction key."""
        return (
            cls.NONE,
            cls.SUM,
            cls.MEAN,
            cls.SUM_OVER_BATCH_SIZE,
            cls.SUM_OVER_NONZERO_WEIGHTS,
            cls.SUM_BY_NONZERO_WEIGHTS,
        )

    @classmethod
    def validate(cls, key: str) -> None:
        """Raises unless ``key`` is a reduction.

        Args:
          key: the reduction.

        Raises:
          ValueError: an unknown key.
        """
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}: one of {cls.all()}.")


def add_loss(loss: Any, loss_collection: Any = GraphKeys.LOSSES) -> None:
    """``tf.losses.add_loss``: adds ``loss`` to ``loss_collection`` (inside a transform).

    Args:
      loss: a scalar.
      loss_collection: the collection; None adds nowhere.
    """
    if loss_collection is not None and maybe_frame() is not None:
        collection.add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: Any = GraphKeys.LOSSES) -> list[Any]:
    """``tf.losses.get_losses``: the losses in ``loss_collection``.

    Args:
      scope: a regex on their names (scopejax's losses carry none: None or ``''`` keep all).
      loss_collection: the collection.

    Returns:
      The list of losses.
    """
    return collection.get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Any]:
    """``tf.losses.get_regularization_losses``: the ``REGULARIZATION_LOSSES`` collection.

    Args:
      scope: a regex on the regularized variables' names.

    Returns:
      The list of losses.
    """
    return collection.get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: str | None = None, name: str = "total_regularization_loss"):
    """``tf.losses.get_regularization_loss``: the sum of the regularization losses (0.0
    when there are none).

    Args:
      scope: a regex on the regularized variables' names.
      name: ignored.

    Returns:
      A scalar.
    """
    return collection.get_regularization_loss(scope)


def get_total_loss(
    add_regularization_losses: builtins.bool = True,
    name: str = "total_loss",
    scope: str | None = None,
) -> Array:
    """``tf.losses.get_total_loss``: the sum of ``LOSSES`` (and of the regularization losses).

    Args:
      add_regularization_losses: also add ``REGULARIZATION_LOSSES``.
      name: ignored.
      scope: a regex filter, as for :func:`get_losses`.

    Returns:
      A scalar.

    Raises:
      ValueError: there are no losses at all (TF's ``add_n`` of an empty list).
    """
    losses = list(get_losses(scope))
    if add_regularization_losses:
        losses += get_regularization_losses(scope)
    if not losses:
        raise ValueError(
            "get_total_loss: no losses: call a tf.losses.* function (or tf.losses.add_loss) "
            "in the model first."
        )
    total = losses[0]
    for x in losses[1:]:
        total = total + x
    return total


def _broadcast_weights(weights: Array, losses: Array) -> Array:
    """TF's ``weights_broadcast_ops``: a scalar, or each axis 1 or the losses' length."""
    if weights.ndim == 0:
        return jnp.broadcast_to(weights, losses.shape)
    ok = weights.ndim == losses.ndim and all(
        w in (1, n) for w, n in zip(weights.shape, losses.shape, strict=True)
    )
    if not ok:
        raise ValueError(
            f"weights can not be broadcast to values. values.rank={losses.ndim}. "
            f"weights.rank={weights.ndim}. values.shape={losses.shape}. "
            f"weights.shape={weights.shape}."
        )
    return jnp.broadcast_to(weights, losses.shape)


def _div_no_nan(a: Array, b: Array) -> Array:
    zero = b == 0
    return jnp.where(zero, jnp.zeros((), a.dtype), a / jnp.where(zero, jnp.ones((), b.dtype), b))


def compute_weighted_loss(
    losses: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.compute_weighted_loss``: weights, reduces and collects ``losses``.

    Args:
      losses: the elementwise losses.
      weights: a scalar, or an array whose axes are 1 or the losses' (same rank).
      scope: ignored.
      loss_collection: the collection the result is added to (None: none).
      reduction: a :class:`Reduction` key.

    Returns:
      The loss: a scalar, or the weighted losses for ``Reduction.NONE``.

    Raises:
      ValueError: an unknown reduction, or weights that do not broadcast.
    """
    Reduction.validate(reduction)
    x = convert_to_tensor(losses)
    in_dtype = x.dtype
    x = x.astype(jnp.float32)
    w_in = weights
    w = jnp.asarray(weights, jnp.float32)
    wb = _broadcast_weights(w, x)
    weighted = x * wb
    if reduction == Reduction.NONE:
        loss = weighted
    else:
        loss = jnp.sum(weighted)
        if reduction == Reduction.MEAN:
            loss = _div_no_nan(loss, jnp.sum(wb))
        elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
            if isinstance(w_in, float) and w_in != 0.0:
                present = jnp.asarray(x.size, jnp.float32)  # TF's shortcut for a float weight
            else:
                present = jnp.sum((wb != 0).astype(jnp.float32))
            loss = _div_no_nan(loss, present)
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            loss = _div_no_nan(loss, jnp.asarray(x.size, jnp.float32))
    loss = loss.astype(in_dtype)
    add_loss(loss, loss_collection)
    return loss


def _check_shapes(labels: Array, predictions: Array, what: str) -> None:
    if tuple(labels.shape) != tuple(predictions.shape):
        raise ValueError(
            f"{what}: labels {tuple(labels.shape)} and predictions {tuple(predictions.shape)} "
            "must have the same shape."
        )


def _f32(x: Any) -> Array:
    return convert_to_tensor(x).astype(jnp.float32)


def _float_pair(labels: Any, predictions: Any, what: str) -> tuple[Array, Array]:
    """``labels`` and ``predictions`` in float32, checked to have one shape."""
    y, p = _f32(labels), _f32(predictions)
    _check_shapes(y, p, what)
    return y, p


def _labels_like_logits(labels: Any, logits: Any, what: str) -> tuple[Array, Array]:
    """``labels`` cast to the logits' dtype and the logits, checked to have one shape."""
    x = convert_to_tensor(logits)
    y = convert_to_tensor(labels).astype(x.dtype)
    _check_shapes(y, x, what)
    return y, x


def absolute_difference(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.absolute_difference``: ``|predictions - labels|``, weighted and reduced.

    Args:
      labels: the targets.
      predictions: the predictions, of the labels' shape.
      weights: see :func:`compute_weighted_loss`.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, p = _float_pair(labels, predictions, "absolute_difference")
    return compute_weighted_loss(jnp.abs(p - y), weights, scope, loss_collection, reduction)


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.mean_squared_error``: ``(predictions - labels) ** 2``, weighted, reduced.

    Args:
      labels: the targets.
      predictions: the predictions, of the labels' shape.
      weights: see :func:`compute_weighted_loss`.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, p = _float_pair(labels, predictions, "mean_squared_error")
    return compute_weighted_loss(jnp.square(p - y), weights, scope, loss_collection, reduction)


def huber_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    delta: float = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.huber_loss``: quadratic within ``delta``, linear beyond.

    Args:
      labels: the targets.
      predictions: the predictions, of the labels' shape.
      weights: see :func:`compute_weighted_loss`.
      delta: where the loss turns linear.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, p = _float_pair(labels, predictions, "huber_loss")
    err = jnp.abs(p - y)
    quadratic = jnp.minimum(err, delta)
    linear = err - quadratic
    losses = 0.5 * quadratic * quadratic + delta * linear
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def log_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    epsilon: float = 1e-7,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.log_loss``: the binary cross-entropy of probabilities.

    Args:
      labels: targets in [0, 1].
      predictions: probabilities, of the labels' shape.
      weights: see :func:`compute_weighted_loss`.
      epsilon: added inside the logs.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, p = _float_pair(labels, predictions, "log_loss")
    losses = -y * jnp.log(p + epsilon) - (1 - y) * jnp.log(1 - p + epsilon)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def hinge_loss(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.hinge_loss``: ``max(0, 1 - (2 * labels - 1) * logits)``.

    Args:
      labels: 0/1 targets.
      logits: the scores, of the labels' shape.
      weights: see :func:`compute_weighted_loss`.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, x = _float_pair(labels, logits, "hinge_loss")
    losses = jax.nn.relu(1.0 - (2.0 * y - 1.0) * x)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def cosine_distance(
    labels: Any,
    predictions: Any,
    axis: Any = None,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
    dim: Any = None,
) -> Array:
    """``tf.losses.cosine_distance``: ``1 - sum(labels * predictions, axis)`` of unit vectors.

    Args:
      labels: unit-normalized targets.
      predictions: unit-normalized predictions, of the labels' shape.
      axis: the vector axis (required).
      weights: see :func:`compute_weighted_loss` (the reduced axis is kept with size 1).
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.
      dim: TF1's old name for ``axis``.

    Returns:
      The loss.

    Raises:
      ValueError: no axis, or the shapes differ.
    """
    axis = axis if axis is not None else dim
    if axis is None:
        raise ValueError("cosine_distance: you must specify 'axis'.")
    y, p = _float_pair(labels, predictions, "cosine_distance")
    losses = 1 - jnp.sum(y * p, axis=int(axis), keepdims=True)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.sigmoid_cross_entropy``: per-class sigmoid cross-entropy.

    With ``label_smoothing`` the labels become ``labels * (1 - s) + 0.5 * s``.

    Args:
      multi_class_labels: 0/1 targets, of the logits' shape.
      logits: the scores.
      weights: see :func:`compute_weighted_loss`.
      label_smoothing: ``s``.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, x = _labels_like_logits(multi_class_labels, logits, "sigmoid_cross_entropy")
    if label_smoothing > 0:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    losses = sigmoid_cross_entropy_with_logits(labels=y, logits=x)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.softmax_cross_entropy``: the cross-entropy per example (no gradient
    into the labels).

    With ``label_smoothing`` the labels become ``labels * (1 - s) + s / num_classes``.

    Args:
      onehot_labels: ``[batch, classes]`` distributions.
      logits: ``[batch, classes]``.
      weights: a scalar or ``[batch]`` (see :func:`compute_weighted_loss`).
      label_smoothing: ``s``.
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.

    Raises:
      ValueError: the shapes differ.
    """
    y, x = _labels_like_logits(onehot_labels, logits, "softmax_cross_entropy")
    if label_smoothing > 0:
        n = y.shape[-1]
        y = y * (1 - label_smoothing) + label_smoothing / n
    losses = softmax_cross_entropy_with_logits_v2(labels=jax.lax.stop_gradient(y), logits=x)
    return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Array:
    """``tf.losses.sparse_softmax_cross_entropy``: the cross-entropy of class indices.

    ``labels`` (and ``weights``) of the logits' rank with a last axis of 1 are squeezed,
    as TF does.

    Args:
      labels: ``[batch]`` (or ``[batch, 1]``) int class indices.
      logits: ``[batch, classes]``.
      weights: a scalar or ``[batch]`` (see :func:`compute_weighted_loss`).
      scope: ignored.
      loss_collection: the collection the loss is added to.
      reduction: a :class:`Reduction` key.

    Returns:
      The loss.
    """
    x = convert_to_tensor(logits)
    y = convert_to_tensor(labels)
    if y.ndim == x.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    w = weights
    if np.ndim(w) == x.ndim and np.shape(w)[-1] == 1:
        w = jnp.asarray(w)[..., 0]
    losses = sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)
    return compute_weighted_loss(losses, w, scope, loss_collection, reduction)
