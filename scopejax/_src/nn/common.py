"""Small helpers shared by the layers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def activation_fn(activation: Callable | str | None) -> Callable | None:
    """``None``, a callable, or the name of a ``jax.nn`` function (``'relu'``)."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str):
        fn = getattr(jax.nn, activation, None) or getattr(jnp, activation, None)
        if callable(fn):
            return fn
    raise ValueError(
        f"activation must be a callable or the name of a jax.nn function, got {activation!r}."
    )


def as_array(x: Any) -> jax.Array:
    return x if isinstance(x, jax.Array) else jnp.asarray(x)


def float_dtype(x: Any) -> Any:
    """The dtype a layer's variables take from its input (float32 for integer inputs)."""
    dt = x.dtype
    return dt if jnp.issubdtype(dt, jnp.floating) else np.dtype(np.float32)


def tuple_of(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    out = tuple(int(v) for v in value)
    if len(out) != n:
        raise ValueError(f"{what} must be an int or a sequence of {n} ints, got {value!r}.")
    return out


def padding_of(padding: str) -> str:
    p = str(padding).upper()
    if p not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}.")
    return p
