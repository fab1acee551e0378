"""TF1's initializer constructors (``tf.constant_initializer(...)``, ...) over
:mod:`scopejax.initializers`: same arguments, same formulas.

``seed`` is accepted and ignored: each variable's values come from scopejax's
per-variable key (``fold_in(init_key, hash(name))``). ``dtype`` is accepted;
the variable's dtype is ``get_variable``'s, as in TF1.
"""

from __future__ import annotations

from typing import Any

from scopejax._src.core import initializers as sji

#: contrib's truncated normal takes ``stddev = sqrt(1.3 * factor / n)``; scopejax's
#: VarianceScaling takes ``stddev = sqrt(scale / n) / 0.8796...``: this maps one onto the other.
_CONTRIB_TRUNC = 1.3 * 0.87962566103423978**2


def constant_initializer(value: Any = 0, dtype: Any = None, verify_shape: bool = False):
    """``tf.constant_initializer``: a scalar broadcast, or an array of the variable's size.

    Args:
      value: a scalar, list or array.
      dtype: accepted (the variable's dtype is ``get_variable``'s).
      verify_shape: accepted and ignored.

    Returns:
      An initializer (``sj.initializers.Constant``).

    >>> import scopejax.compat.v1 as tf
    >>> tf.constant_initializer(0.5)
    Constant(value=0.5)
    """
    return sji.Constant(value)


def zeros_initializer(dtype: Any = None):
    """``tf.zeros_initializer``: all zeros.

    Args:
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.Zeros()``.
    """
    return sji.Zeros()


def ones_initializer(dtype: Any = None):
    """``tf.ones_initializer``: all ones.

    Args:
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.Ones()``.
    """
    return sji.Ones()


def random_normal_initializer(
    mean: float = 0.0, stddev: float = 1.0, seed: Any = None, dtype: Any = None
):
    """``tf.random_normal_initializer``: normal draws.

    Args:
      mean: the mean.
      stddev: the standard deviation.
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.RandomNormal(mean, stddev)``.
    """
    return sji.RandomNormal(mean, stddev)


def truncated_normal_initializer(
    mean: float = 0.0, stddev: float = 1.0, seed: Any = None, dtype: Any = None
):
    """``tf.truncated_normal_initializer``: normal draws cut at two standard deviations.

    Args:
      mean: the mean.
      stddev: the standard deviation before truncation.
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.TruncatedNormal(mean, stddev)``.
    """
    return sji.TruncatedNormal(mean, stddev)


def random_uniform_initializer(
    minval: float = 0.0, maxval: float | None = None, seed: Any = None, dtype: Any = None
):
    """``tf.random_uniform_initializer``: uniform draws in ``[minval, maxval)``.

    Args:
      minval: the lower bound.
      maxval: the upper bound; None means 1 for floats.
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.RandomUniform(minval, maxval)``.
    """
    return sji.RandomUniform(minval, maxval)


def variance_scaling_initializer(
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    seed: Any = None,
    dtype: Any = None,
):
    """``tf.variance_scaling_initializer``: variance ``scale / fan``.

    Args:
      scale: the scale, positive.
      mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'``.
      distribution: ``'truncated_normal'`` (or ``'normal'``), ``'untruncated_normal'``
        or ``'uniform'``.
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.VarianceScaling(scale, mode, distribution)``.

    Raises:
      ValueError: a scale that is not positive, an unknown mode or distribution.
    """
    return sji.VarianceScaling(scale, mode, distribution)


def glorot_uniform_initializer(seed: Any = None, dtype: Any = None):
    """``tf.glorot_uniform_initializer`` (TF1's default): uniform, variance ``1 / fan_avg``.

    Args:
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.GlorotUniform()``.
    """
    return sji.GlorotUniform()


def glorot_normal_initializer(seed: Any = None, dtype: Any = None):
    """``tf.glorot_normal_initializer``: truncated normal, variance ``1 / fan_avg``.

    Args:
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.GlorotNormal()``.
    """
    return sji.GlorotNormal()


def orthogonal_initializer(gain: float = 1.0, seed: Any = None, dtype: Any = None):
    """``tf.orthogonal_initializer``: a (semi-)orthogonal matrix times ``gain``.

    Args:
      gain: the factor.
      seed: accepted and ignored (keys come from the variable's name).
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      ``sj.initializers.Orthogonal(gain)``.
    """
    return sji.Orthogonal(gain)


def he_normal(seed: Any = None):
    """``tf.initializers.he_normal``: truncated normal, variance ``2 / fan_in``.

    Args:
      seed: accepted and ignored.

    Returns:
      ``sj.initializers.HeNormal()``.
    """
    return sji.HeNormal()


def lecun_normal(seed: Any = None):
    """``tf.initializers.lecun_normal``: truncated normal, variance ``1 / fan_in``.

    Args:
      seed: accepted and ignored.

    Returns:
      ``sj.initializers.LecunNormal()``.
    """
    return sji.LecunNormal()


def contrib_variance_scaling_initializer(
    factor: float = 2.0,
    mode: str = "FAN_IN",
    uniform: bool = False,
    seed: Any = None,
    dtype: Any = None,
):
    """``tf.contrib.layers.variance_scaling_initializer``: contrib's formulas.

    Uniform draws in ``±sqrt(3 * factor / n)``, else a normal truncated at two
    standard deviations with ``stddev = sqrt(1.3 * factor / n)``; ``n`` is the
    fan ``mode`` names (``'FAN_IN'``, ``'FAN_OUT'``, ``'FAN_AVG'``).

    Args:
      factor: the variance factor.
      mode: ``'FAN_IN'``, ``'FAN_OUT'`` or ``'FAN_AVG'``.
      uniform: uniform rather than truncated-normal draws.
      seed: accepted and ignored.
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      A ``sj.initializers.VarianceScaling``.

    Raises:
      ValueError: an unknown mode.
    """
    modes = {"FAN_IN": "fan_in", "FAN_OUT": "fan_out", "FAN_AVG": "fan_avg"}
    if mode not in modes:
        raise ValueError(f"mode must be one of {sorted(modes)}, got {mode!r}.")
    if uniform:
        return sji.VarianceScaling(factor, modes[mode], "uniform")
    return sji.VarianceScaling(factor * _CONTRIB_TRUNC, modes[mode], "truncated_normal")


def xavier_initializer(uniform: bool = True, seed: Any = None, dtype: Any = None):
    """``tf.contrib.layers.xavier_initializer``: Glorot with contrib's formulas.

    Args:
      uniform: uniform draws (as ``glorot_uniform``) rather than a truncated normal
        with ``stddev = sqrt(1.3 / fan_avg)``.
      seed: accepted and ignored.
      dtype: accepted (the variable's dtype is ``get_variable``'s).

    Returns:
      A ``sj.initializers.VarianceScaling``.

    >>> import scopejax.compat.v1 as tf
    >>> tf.contrib.layers.xavier_initializer().distribution
    'uniform'
    """
    return contrib_variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)
