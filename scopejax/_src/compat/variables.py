"""TF1's ``tf.assign`` family with TF1's arguments, over ``sj.assign``."""

from __future__ import annotations

from typing import Any

import jax

from scopejax._src.core import variables as _v


def assign(
    ref: Any, value: Any, validate_shape: Any = None, use_locking: Any = None, name: Any = None
) -> jax.Array:
    """``tf.assign``: ``sj.assign(ref, value)`` (kept by ``apply_with_state``).

    Args:
      ref: the variable (its value from ``get_variable``, a handle or its name).
      value: the new value.
      validate_shape: ignored (shapes never change).
      use_locking: ignored.
      name: ignored.

    Returns:
      The new value.
    """
    return _v.assign(ref, value)


def assign_add(ref: Any, value: Any, use_locking: Any = None, name: Any = None) -> jax.Array:
    """``tf.assign_add``: ``sj.assign_add(ref, value)``.

    Args:
      ref: the variable (its value, a handle or its name).
      value: the increment.
      use_locking: ignored.
      name: ignored.

    Returns:
      The new value.
    """
    return _v.assign_add(ref, value)


def assign_sub(ref: Any, value: Any, use_locking: Any = None, name: Any = None) -> jax.Array:
    """``tf.assign_sub``: ``sj.assign_sub(ref, value)``.

    Args:
      ref: the variable (its value, a handle or its name).
      value: the decrement.
      use_locking: ignored.
      name: ignored.

    Returns:
      The new value.
    """
    return _v.assign_sub(ref, value)
