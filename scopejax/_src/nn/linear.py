"""``Dense``: TF1's ``tf.layers.Dense`` (variables ``kernel`` and ``bias``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core.initializers import Zeros
from scopejax._src.core.scope import Reuse
from scopejax._src.core.variables import get_variable
from scopejax._src.nn.common import activation_fn, as_array, float_dtype
from scopejax._src.nn.module import Module


class Dense(Module):
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
        self.activation = activation_fn(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.trainable = trainable

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        dt = float_dtype(x)
        kernel = get_variable(
            "kernel",
            [x.shape[-1], self.units],
            dt,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            trainable=self.trainable,
        )
        y = jnp.matmul(x, kernel) if x.ndim <= 2 else jnp.tensordot(x, kernel, [[-1], [0]])
        if self.use_bias:
            bias = get_variable(
                "bias",
                [self.units],
                dt,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                trainable=self.trainable,
            )
            y = y + bias
        return self.activation(y) if self.activation is not None else y
