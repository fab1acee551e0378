"""``Conv1D`` / ``Conv2D``: TF1's convolution layers, channels last (NWC / NHWC)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from scopejax._src.core.initializers import Zeros
from scopejax._src.core.scope import Reuse
from scopejax._src.nn.common import KernelBias, as_array, float_dtype, padding_of, tuple_of
from scopejax._src.nn.module import Module

_DIMS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC")}


class _Conv(Module, KernelBias):
    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
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
        n = self.rank
        self.filters = int(filters)
        self.kernel_size = tuple_of(kernel_size, n, "kernel_size")
        self.strides = tuple_of(strides, n, "strides")
        self.padding = padding_of(padding)
        self.dilation_rate = tuple_of(dilation_rate, n, "dilation_rate")
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{type(self).__name__}: filters ({self.filters}) must be divisible by groups "
                f"({self.groups})."
            )
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
        if x.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.scope_name!r} expects inputs of rank "
                f"{self.rank + 2} (batch, spatial..., channels), got shape {x.shape}."
            )
        channels = x.shape[-1]
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} {self.scope_name!r}: input channels ({channels}) must be "
                f"divisible by groups ({self.groups})."
            )
        dt = float_dtype(x)
        kernel = self._kernel([*self.kernel_size, channels // self.groups, self.filters], dt)
        y = jax.lax.conv_general_dilated(
            x,
            kernel,
            window_strides=self.strides,
            padding=self.padding,
            rhs_dilation=self.dilation_rate,
            dimension_numbers=_DIMS[self.rank],
            feature_group_count=self.groups,
        )
        return self._bias_activation(y, dt)


class Conv1D(_Conv):
    """1-D convolution over ``[batch, width, channels]``; ``kernel`` is
    ``[k, in/groups, filters]`` (``tf.compat.v1.layers.Conv1D``)."""

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over NHWC inputs; ``kernel`` is ``[kh, kw, in/groups, filters]``
    (``tf.compat.v1.layers.Conv2D``), with ``strides``, ``'same'``/``'valid'``
    padding, ``dilation_rate`` and ``groups``.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(x):
    ...     return sj.nn.Conv2D(4, 3, padding="same")(x)
    >>> net = sj.transform(f)
    >>> x = jnp.ones([1, 5, 5, 2])
    >>> net.apply(net.init(jax.random.key(0), x), x).shape
    (1, 5, 5, 4)
    """

    rank = 2
