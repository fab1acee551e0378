"""``Dense``: TF1's ``tf.layers.Dense`` (variables ``kernel`` and ``bias``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core.initializers import Zeros
from scopejax._src.core.scope import Reuse
from scopejax._src.nn.common import KernelBias, as_array, float_dtype
from scopejax._src.nn.module import Module


class Dense(Module, KernelBias):
    """A fully connected layer: ``activation(x @ kernel + bias)``.

    Variables ``<scope>/kernel`` of shape ``[in, units]`` (default initializer:
    the scope's, else glorot-uniform) and ``<scope>/bias`` of shape ``[units]``
    (zeros), as ``tf.compat.v1.layers.Dense``. Inputs of rank > 2 are
    contracted on their last axis.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(x):
    ...     return sj.nn.Dense(4, activation="relu")(x)
    >>> net = sj.transform(f)
    >>> net.init(jax.random.key(0), jnp.ones([2, 3])).names()
    ['dense/bias', 'dense/kernel']
    """

    _sj_init_stores_only = True  # __init__ below builds nothing under the scope

    def __init__(
        self,
        units: int,
        activation: Callable | str | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = Zeros,
        kernel_regularizer: Callable | None = None,
        bias_regularizer: Callable | None = None,
        trainable: bool = True,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(name=name, reuse=reuse)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}.")
        self.units = int(units)
        self._set_kernel_bias(
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            trainable,
        )

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        dt = float_dtype(x)
        kernel = self._kernel([x.shape[-1], self.units], dt)
        y = jnp.matmul(x, kernel) if x.ndim <= 2 else jnp.tensordot(x, kernel, [[-1], [0]])
        return self._bias_activation(y, dt)
