"""dtype normalisation shared by variables, initializers and the Store."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from scopejax._src.core.jaxcompat import x64_enabled

_CACHE: dict[tuple[Any, bool], np.dtype] = {}


def jax_flag(name: str) -> Any:
    """The value of ``jax.config.<name>`` (its flags are attributes type checkers cannot see)."""
    return getattr(jax.config, name)


def as_dtype(dtype: Any, what: str = "dtype") -> np.dtype:
    """A numpy dtype for ``dtype`` ('float32', jnp.float32, np.dtype, ...).

    Canonicalised for JAX: float64 becomes float32 unless ``jax_enable_x64``.
    """
    try:
        key = (dtype, x64_enabled())
        hit = _CACHE.get(key)
    except TypeError:  # unhashable
        key, hit = None, None
    if hit is not None:
        return hit
    dt = _as_dtype(dtype, what)
    if key is not None:
        _CACHE[key] = dt
    return dt


def _as_dtype(dtype: Any, what: str) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        name = getattr(dtype, "name", None)  # e.g. tf.float32-like objects
        if isinstance(name, str):
            try:
                dt = np.dtype(name)
            except TypeError:
                raise TypeError(f"{what}: {dtype!r} is not a dtype.") from e
        else:
            raise TypeError(f"{what}: {dtype!r} is not a dtype.") from e
    return np.dtype(jax.dtypes.canonicalize_dtype(dt))


_FLOATING: dict[np.dtype, bool] = {}


def is_floating(dt: np.dtype) -> bool:
    if isinstance(dt, np.dtype):  # the usual case: answered once per dtype
        hit = _FLOATING.get(dt)
        if hit is None:
            hit = _FLOATING[dt] = bool(jax.dtypes.issubdtype(dt, np.floating))
        return hit
    return bool(jax.dtypes.issubdtype(dt, np.floating))


def is_int_or_bool(dt: np.dtype) -> bool:
    return bool(jax.dtypes.issubdtype(dt, np.integer)) or dt == np.dtype(bool)
