"""Custom getters: the implementations behind :mod:`scopejax.getters`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.dtypes import as_dtype, is_floating
from scopejax._src.core.names import compile_pattern

Getter = Callable[..., Any]


def mixed_precision(param_dtype: Any = jnp.float32, compute_dtype: Any = None) -> Getter:
    """Store floating variables in ``param_dtype`` (float32), read them in the dtype
    asked for (the scope's, e.g. bfloat16) or in ``compute_dtype`` when given.

    TF1's classic mixed-precision idiom: master weights stay float32 in the store
    (and so in gradients and optimizer state); the model computes in 16 bits.

    Args:
      param_dtype: the dtype variables are stored in.
      compute_dtype: the dtype reads return; default the dtype asked for (the scope's).

    Returns:
      A custom getter for ``variable_scope(..., custom_getter=...)``.
    """
    param_dt = as_dtype(param_dtype)
    compute_dt = None if compute_dtype is None else as_dtype(compute_dtype)

    def getter(getter: Getter, name: str, shape: Any = None, dtype: Any = None, *args, **kwargs):
        want = (
            compute_dt if compute_dt is not None else (None if dtype is None else as_dtype(dtype))
        )
        if want is None or not is_floating(want):
            return getter(name, shape, dtype, *args, **kwargs)
        var = getter(name, shape, param_dt, *args, **kwargs)
        return var.astype(want)

    return getter


def weight_norm(pattern: str = r"(^|/)kernel$", axis: int | None = None) -> Getter:
    """Weight normalisation (Salimans & Kingma, 2016) for variables matching ``pattern``.

    The stored variable keeps its name and is the direction ``v``; a gain
    ``<name>_g`` of shape ``[shape[-1]]`` (initialized to ``||v||`` of the
    initial value's columns, i.e. the reparametrisation starts at the original
    weights) is created beside it; reads return ``g * v / ||v||`` with the
    norm over every axis but the last (or ``axis``).

    Args:
      pattern: a regex on the variable's name: which variables to reparametrise.
      axis: the axis kept when taking the norm; default the last (the output units).

    Returns:
      A custom getter.
    """
    rx = compile_pattern(pattern, "getters.weight_norm(pattern)")

    def getter(getter: Getter, name: str, shape: Any = None, dtype: Any = None, *args, **kwargs):
        v = getter(name, shape, dtype, *args, **kwargs)
        if not rx.search(name) or v.ndim < 1 or not jnp.issubdtype(v.dtype, jnp.floating):
            return v
        axes = tuple(a for a in range(v.ndim) if a != (v.ndim - 1 if axis is None else axis))
        norm = jnp.sqrt(jnp.sum(jnp.square(v), axis=axes))
        g = _gain(getter, name, norm, kwargs)
        shape_b = [1] * v.ndim
        shape_b[v.ndim - 1 if axis is None else axis] = -1
        return v * (g / jnp.maximum(norm, 1e-12)).reshape(shape_b)

    return getter


def _gain(getter: Getter, name: str, norm: jax.Array, kwargs: dict[str, Any]) -> jax.Array:
    from scopejax._src.core.initializers import Initializer

    class _InitialNorm(Initializer):
        needs_key = False

        def draw(self, key, shape, dtype):
            return jnp.asarray(norm, dtype).reshape(shape)

    return getter(
        name + "_g",
        list(np.shape(norm)),
        norm.dtype,
        _InitialNorm(),
        None,
        kwargs.get("reuse"),
        kwargs.get("trainable"),
        kwargs.get("collections"),
    )


def constraint(fn: Callable[[jax.Array], jax.Array], pattern: str = r"(^|/)kernel$") -> Getter:
    """Read variables matching ``pattern`` through ``fn`` (e.g. a max-norm projection).

    The store keeps the raw value; every read sees ``fn(value)``, so gradients
    flow through the constraint (a reparametrisation, not TF1's post-update
    projection).

    Args:
      fn: ``array -> array``, applied to the value read (``max_norm(2.0)``).
      pattern: a regex on the variable's name: which variables to constrain.

    Returns:
      A custom getter.
    """
    rx = compile_pattern(pattern, "getters.constraint(pattern=...)")

    def getter(getter: Getter, name: str, *args: Any, **kwargs: Any) -> Any:
        v = getter(name, *args, **kwargs)
        return fn(v) if rx.search(name) else v

    return getter


def max_norm(max_value: float = 2.0, axis: int = 0) -> Callable[[jax.Array], jax.Array]:
    """``w * min(1, max_value / ||w||)`` with the norm along ``axis`` (for ``constraint``).

    Args:
      max_value: the largest norm allowed.
      axis: the axis along which the norm is taken.

    Returns:
      ``array -> array``, for :func:`constraint`.
    """

    def fn(w: jax.Array) -> jax.Array:
        norms = jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))
        return w * jnp.minimum(1.0, max_value / jnp.maximum(norms, 1e-12))

    return fn
