"""``tf.train``'s learning-rate decays of the global step (TF1's ``*_decay`` functions).

Each follows the float32 arithmetic of the Keras ``LearningRateSchedule`` that
``tf.compat.v1.train.*_decay`` builds (``legacy_learning_rate_decay.py``), so the
values match TF's bit for bit or to a float32 rounding.

TF1 code computes the learning rate from the global step tensor, outside the model,
and hands it to the optimizer::

    global_step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, global_step, 1000, 0.96, staircase=True)
    train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=global_step)

The same lines work here. Outside a model ``get_or_create_global_step()`` returns
:data:`GLOBAL_STEP` (a reference: the variable exists only inside the step), and a
decay given that reference (or any callable) returns a :class:`LearningRateSchedule`,
a function of the step. The optimizers evaluate it on the model's global step as
the step reads it, before the step's increment, as TF1's graph does (or, where the
model has no global step, on the optimizer's update count). Given a value (a step
number, or the global step read inside a model), a decay returns the learning rate
itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_F32 = jnp.float32


class GlobalStepRef:
    """The global step outside a model: what ``get_or_create_global_step()`` returns
    where no ``sj.transform`` call is running (TF1 code creates it at the top of the
    training script). Decays given it return a :class:`LearningRateSchedule`;
    ``minimize(global_step=...)`` and ``apply_gradients`` accept it. It has no value:
    read the step inside the model (``get_or_create_global_step()`` there returns the
    variable's value) or from the store (``state.store['global_step']``).

    Attributes:
      name: ``'global_step'``, the variable's name.
    """

    name = "global_step"

    def __repr__(self) -> str:
        return "<global_step: read inside the training step (sj.transform)>"


#: The global step outside a model (see :class:`GlobalStepRef`).
GLOBAL_STEP = GlobalStepRef()


class LearningRateSchedule:
    """A decay of the global step, not yet evaluated: ``schedule(step) -> lr``.

    Optimizers take it as ``learning_rate`` and call it with the global step.

    Attributes:
      name: the decay (``'ExponentialDecay'``, ...).
    """

    def __init__(self, fn: Callable[[Any], jax.Array], name: str) -> None:
        self._fn = fn
        self.name = name

    def __call__(self, step: Any) -> jax.Array:
        """The learning rate at ``step``.

        Args:
          step: the global step (an integer array or number).

        Returns:
          The learning rate, a float32 scalar.
        """
        return self._fn(step)

    def __repr__(self) -> str:
        return f"<LearningRateSchedule {self.name}>"


def _decay(global_step: Any, fn: Callable[[Any], jax.Array], name: str, api: str) -> Any:
    if global_step is None:
        raise ValueError(f"global_step is required for {api}.")
    if isinstance(global_step, GlobalStepRef):
        return LearningRateSchedule(fn, name)
    if callable(global_step):
        return LearningRateSchedule(lambda step: fn(global_step(step)), name)
    return fn(global_step)


def _step(step: Any) -> jax.Array:
    return jnp.asarray(step).astype(_F32)


def _over(x: Any, const: Any) -> jax.Array:
    """``x / const`` as TF1's graph computes it: grappler's constant folding turns a
    division by a constant into a product with its float32 reciprocal (so that, e.g.,
    ``150 / 30`` is ``5.0000005`` and ``ceil`` of it 6)."""
    return x * (np.float32(1) / np.float32(const))


def _progress(step: Any, decay_steps: Any, staircase: bool) -> jax.Array:
    """``step / decay_steps`` (see :func:`_over`), floored with ``staircase``."""
    p = _over(_step(step), decay_steps)
    return jnp.floor(p) if staircase else p


def exponential_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.train.exponential_decay``: ``lr * decay_rate ^ (step / decay_steps)``.

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step: a value, or :data:`GLOBAL_STEP` / a callable for a
        schedule (see the module docstring).
      decay_steps: the steps per decay.
      decay_rate: the decay per ``decay_steps``.
      staircase: decay at whole multiples of ``decay_steps`` (floor the exponent).
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.

    >>> import scopejax.compat.v1 as tf
    >>> float(tf.train.exponential_decay(0.1, 20, 10, 0.5))
    0.02500000037252903
    """

    def fn(step: Any) -> jax.Array:
        p = _progress(step, decay_steps, staircase)
        return _F32(learning_rate) * jnp.power(_F32(decay_rate), p)

    return _decay(global_step, fn, "ExponentialDecay", "exponential_decay")


def natural_exp_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.train.natural_exp_decay``: ``lr * exp(-decay_rate * step / decay_steps)``
    (computed as TF does, ``exponential_decay`` with the rate ``exp(-decay_rate)``).

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      decay_steps: the steps per decay.
      decay_rate: the decay rate.
      staircase: floor ``step / decay_steps``.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """
    rate = float(np.exp(-np.float32(decay_rate)))
    return exponential_decay(learning_rate, global_step, decay_steps, rate, staircase)


def inverse_time_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.train.inverse_time_decay``: ``lr / (1 + decay_rate * step / decay_steps)``.

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      decay_steps: the steps per decay.
      decay_rate: the decay rate.
      staircase: floor ``step / decay_steps``.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """

    def fn(step: Any) -> jax.Array:
        p = _progress(step, decay_steps, staircase)
        return _F32(learning_rate) / (_F32(1) + _F32(decay_rate) * p)

    return _decay(global_step, fn, "InverseTimeDecay", "inverse_time_decay")


def polynomial_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.train.polynomial_decay``: ``(lr - end) * (1 - step / decay_steps) ^ power +
    end``, the step capped at ``decay_steps`` (or, with ``cycle``, ``decay_steps``
    stretched to the next multiple above the step).

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      decay_steps: the steps to reach ``end_learning_rate``.
      end_learning_rate: the final learning rate.
      power: the polynomial's power.
      cycle: restart the decay after ``decay_steps``.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """

    def fn(step: Any) -> jax.Array:
        s, d = _step(step), _F32(decay_steps)
        if cycle:
            p = s / (d * jnp.where(s == 0, _F32(1), jnp.ceil(_over(s, decay_steps))))
        else:
            p = _over(jnp.minimum(s, d), decay_steps)
        lr, end = _F32(learning_rate), _F32(end_learning_rate)
        return (lr - end) * jnp.power(_F32(1) - p, _F32(power)) + end

    return _decay(global_step, fn, "PolynomialDecay", "polynomial_decay")


def cosine_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    alpha: float = 0.0,
    name: str | None = None,
) -> Any:
    """``tf.train.cosine_decay``: ``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * s /
    decay_steps)) + alpha)``, ``s`` the step capped at ``decay_steps``.

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      decay_steps: the steps of the decay.
      alpha: the final fraction of ``learning_rate``.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """

    def fn(step: Any) -> jax.Array:
        done = _over(jnp.minimum(_step(step), _F32(decay_steps)), decay_steps)
        cosine = _F32(0.5) * (_F32(1) + jnp.cos(_F32(math.pi) * done))
        return _F32(learning_rate) * ((_F32(1 - alpha)) * cosine + _F32(alpha))

    return _decay(global_step, fn, "CosineDecay", "cosine_decay")


def cosine_decay_restarts(
    learning_rate: float,
    global_step: Any,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str | None = None,
) -> Any:
    """``tf.train.cosine_decay_restarts`` (SGDR): cosine decays over periods growing by
    ``t_mul``, each restart's height scaled by ``m_mul``.

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      first_decay_steps: the first period's length.
      t_mul: each period's length over the previous one's.
      m_mul: each restart's learning rate over the previous one's.
      alpha: the final fraction of ``learning_rate``.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """
    geometric = np.float32(t_mul) != np.float32(1.0)

    def fn(step: Any) -> jax.Array:
        t, m, a = _F32(t_mul), _F32(m_mul), _F32(alpha)
        done = _over(_step(step), first_decay_steps)
        if geometric:
            i = jnp.floor(_over(jnp.log(_F32(1) - done * (_F32(1) - t)), np.log(t)))
            sum_r = _over(_F32(1) - jnp.power(t, i), _F32(1) - t)
            done = (done - sum_r) / jnp.power(t, i)
        else:
            i = jnp.floor(done)
            done = done - i
        cosine = _F32(0.5) * jnp.power(m, i) * (_F32(1) + jnp.cos(_F32(math.pi) * done))
        return _F32(learning_rate) * ((_F32(1) - a) * cosine + a)

    return _decay(global_step, fn, "SGDRDecay", "cosine_decay_restarts")


def linear_cosine_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: int,
    num_periods: float = 0.5,
    alpha: float = 0.0,
    beta: float = 0.001,
    name: str | None = None,
) -> Any:
    """``tf.train.linear_cosine_decay``: ``lr * ((alpha + (d - s) / d) * 0.5 * (1 +
    cos(2 pi num_periods s / d)) + beta)``, ``s`` the step capped at ``d = decay_steps``.

    Args:
      learning_rate: the initial learning rate.
      global_step: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      decay_steps: the steps of the decay.
      num_periods: the cosine's periods over ``decay_steps``.
      alpha: see the formula.
      beta: see the formula.
      name: ignored.

    Returns:
      The learning rate (float32), or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``global_step`` is None.
    """

    def fn(step: Any) -> jax.Array:
        d = _F32(decay_steps)
        s = jnp.minimum(_step(step), d)
        linear = _over(d - s, decay_steps)
        fraction = _F32(2) * _F32(num_periods) * _over(s, decay_steps)
        cosine = _F32(0.5) * (_F32(1) + jnp.cos(_F32(math.pi) * fraction))
        return _F32(learning_rate) * ((_F32(alpha) + linear) * cosine + _F32(beta))

    return _decay(global_step, fn, "LinearCosineDecay", "linear_cosine_decay")


def _tf_scalar(v: Any) -> jax.Array:
    """A Python number as TF converts it: float32 / int32 (arrays keep their dtype)."""
    if isinstance(v, bool):
        return jnp.asarray(v)
    if isinstance(v, float):
        return jnp.asarray(v, _F32)
    if isinstance(v, int):
        return jnp.asarray(v, jnp.int32)
    return jnp.asarray(v)


def piecewise_constant(
    x: Any, boundaries: Sequence[Any], values: Sequence[Any], name: str | None = None
) -> Any:
    """``tf.train.piecewise_constant``: ``values[0]`` while ``x <= boundaries[0]``,
    ``values[i]`` while ``boundaries[i-1] < x <= boundaries[i]``, ``values[-1]`` after.

    Args:
      x: the global step (a value, or :data:`GLOBAL_STEP` / a callable).
      boundaries: increasing step boundaries.
      values: one more value than boundaries, all of one dtype.
      name: ignored.

    Returns:
      The value at ``x``, or a :class:`LearningRateSchedule`.

    Raises:
      ValueError: ``x`` is None, ``len(values) != len(boundaries) + 1``, or the values'
        dtypes differ.
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            "piecewise_constant: the length of boundaries should be 1 less than the length "
            f"of values, got {len(boundaries)} boundaries and {len(values)} values."
        )
    vals = [_tf_scalar(v) for v in values]
    if len({v.dtype for v in vals}) > 1:
        raise ValueError(
            "piecewise_constant: values must have elements all with the same dtype, got "
            f"{[str(v.dtype) for v in vals]}."
        )

    def fn(step: Any) -> jax.Array:
        s = jnp.asarray(step)
        out = vals[-1]
        for b, v in zip(reversed(boundaries), reversed(vals[:-1]), strict=True):
            out = jnp.where(s <= jnp.asarray(b).astype(s.dtype), v, out)
        return out

    return _decay(x, fn, "PiecewiseConstant", "piecewise_constant")


piecewise_constant_decay = piecewise_constant
