"""numpy -> JAX for every read path, never losing a value to JAX's 32-bit default.

With 64-bit mode off (JAX's default), JAX stores int64, uint64, float64 and complex128
arrays as int32, uint32, float32 and complex64. A checkpoint value narrowed that way
would come back silently changed (``2**40 + 1`` as ``1``, ``1e300`` as ``inf``), after its
checksum had passed. :func:`to_jax` narrows only when every element survives bit for bit
(a TF ``global_step`` of 1000, float64 values that were float32 to begin with) and
otherwise raises a CheckpointError naming the value and how to enable 64-bit mode.
"""

from __future__ import annotations

import warnings
from typing import Any

import jax
import numpy as np

from scopejax._src.checkpoint.errors import CheckpointError

X64_FIX = (
    'to restore it exactly, enable 64-bit mode first: jax.config.update("jax_enable_x64", '
    "True) at the start of the program, or JAX_ENABLE_X64=1 in the environment (to round it "
    "on purpose: init_from_checkpoint(path, None, store, cast=True) into a 32-bit store; "
    "load_variables reads it exactly, as numpy)"
)
_CHUNK = 1 << 20  # elements compared at a time (bounds the extra memory of the check)


def _bits(a: np.ndarray) -> np.ndarray:
    """The bit patterns of a contiguous 1-D array, as unsigned integers."""
    size = a.dtype.itemsize
    return a.view(np.dtype(f"u{size}") if size in (1, 2, 4, 8) else np.uint64)


def first_change(a: np.ndarray, b: np.ndarray) -> int | None:
    """The flat index of the first element whose bits differ between ``a`` and ``b``.

    ``b`` has ``a``'s shape in another dtype; it is converted back to ``a.dtype`` chunk by
    chunk and compared bit for bit (so ``-0.0`` and NaN payloads count).
    """
    fa = np.ascontiguousarray(a).reshape(-1)
    fb = np.asarray(b).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for start in range(0, fa.size, _CHUNK):
            back = np.ascontiguousarray(fb[start : start + _CHUNK].astype(a.dtype))
            here = fa[start : start + _CHUNK]
            diff = _bits(back) != _bits(here)
            if diff.any():
                i = int(np.argmax(diff))
                if a.dtype.itemsize == 16:  # two uint64 words per element
                    i //= 2
                return start + i
    return None


def cast_exact(a: np.ndarray, dtype: np.dtype, what: str, why: str) -> np.ndarray:
    """``a.astype(dtype)`` if every element survives it bit for bit, else CheckpointError.

    Args:
      a: the array read from a checkpoint.
      dtype: the dtype it must take.
      what: names the value in the error (``"variable 'w' of Checkpoint /p"``).
      why: the reason and remedy, the error's last sentence.

    Returns:
      The converted array (``a`` itself when the dtype already matches).

    Raises:
      CheckpointError: some element would change; the message gives one.
    """
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = a.astype(dtype)
    i = first_change(a, out)
    if i is None:
        return out
    value, became = a.reshape(-1)[i].item(), out.reshape(-1)[i].item()
    where = f" at index {tuple(int(k) for k in np.unravel_index(i, a.shape))}" if a.ndim else ""
    raise CheckpointError(
        f"{what} is {a.dtype.name} and its value {value!r}{where} does not fit in "
        f"{dtype.name} (it would read as {became!r}); nothing was restored. {why}."
    )


def narrow(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` in the dtype JAX will store it as (64-bit mode off: 32-bit), losing nothing."""
    canonical = np.dtype(jax.dtypes.canonicalize_dtype(a.dtype))
    if canonical == a.dtype:
        return a
    why = f"JAX holds {a.dtype.name} as {canonical.name} while 64-bit mode is off; {X64_FIX}"
    return cast_exact(a, canonical, what, why)


def to_jax(value: Any, what: str, sharding: Any = None, dtype: Any = None) -> jax.Array:
    """A checkpoint value as a JAX array, bit for bit, or a CheckpointError.

    Args:
      value: a numpy array (or anything ``np.asarray`` takes), or a JAX array.
      what: names the value in errors (``"variable 'w' of Checkpoint /p"``).
      sharding: a ``jax.sharding.Sharding`` to place it on (default: the default device).
      dtype: convert to this dtype first (an explicit, requested cast; may round).

    Returns:
      The JAX array.

    Raises:
      CheckpointError: 64-bit mode is off and a 64-bit value does not fit in 32 bits.
    """
    if isinstance(value, jax.Array):
        a: Any = value
        if dtype is not None and a.dtype != np.dtype(dtype):
            a = a.astype(dtype)
    else:
        a = np.asarray(value)
        if dtype is not None and a.dtype != np.dtype(dtype):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                a = a.astype(dtype)
        a = narrow(a, what)
    if isinstance(sharding, jax.sharding.Sharding):
        return jax.device_put(a, sharding)
    return jax.device_put(a)
