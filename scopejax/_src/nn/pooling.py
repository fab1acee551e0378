"""Pooling and ``Flatten`` (TF1's ``max_pooling2d`` etc.): no variables, name scopes only."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.nn.common import as_array, padding_of, tuple_of
from scopejax._src.nn.module import Module


def _window(x: jax.Array, pool: tuple[int, ...], strides: tuple[int, ...]):
    return (1, *pool, 1), (1, *strides, 1)


def max_pool(x: jax.Array, pool: tuple[int, ...], strides: tuple[int, ...], padding: str):
    dims, st = _window(x, pool, strides)
    init = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    # a numpy (not traced) init value keeps reduce_window differentiable under jit
    return jax.lax.reduce_window(x, np.array(init, x.dtype), jax.lax.max, dims, st, padding)


def avg_pool(x: jax.Array, pool: tuple[int, ...], strides: tuple[int, ...], padding: str):
    """Average over the window; with SAME padding the padded cells are not counted (TF)."""
    dims, st = _window(x, pool, strides)
    zero = np.array(0, x.dtype)
    total = jax.lax.reduce_window(x, zero, jax.lax.add, dims, st, padding)
    if padding == "VALID":
        return total / np.prod(pool)
    ones = jnp.ones((1, *x.shape[1:-1], 1), x.dtype)
    count = jax.lax.reduce_window(ones, zero, jax.lax.add, dims, st, padding)
    return total / count


class _Pool(Module):
    rank = 2
    op = staticmethod(max_pool)

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str = "valid",
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.pool_size = tuple_of(pool_size, self.rank, "pool_size")
        self.strides = tuple_of(strides, self.rank, "strides")
        self.padding = padding_of(padding)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        if x.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.scope_name!r} expects inputs of rank "
                f"{self.rank + 2} (channels last), got shape {x.shape}."
            )
        return self.op(x, self.pool_size, self.strides, self.padding)


class MaxPooling1D(_Pool):
    """Max pooling over ``[batch, width, channels]``."""

    rank = 1


class MaxPooling2D(_Pool):
    """Max pooling over NHWC inputs (``tf.compat.v1.layers.MaxPooling2D``)."""

    rank = 2


class AveragePooling1D(_Pool):
    """Average pooling over ``[batch, width, channels]``."""

    rank = 1
    op = staticmethod(avg_pool)


class AveragePooling2D(_Pool):
    """Average pooling over NHWC inputs; SAME padding does not count padded cells."""

    rank = 2
    op = staticmethod(avg_pool)


class Flatten(Module):
    """``[batch, ...] -> [batch, prod(...)]``."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        return x.reshape(x.shape[0], -1)
