"""``BatchNormalization`` (TF1's ``tf.layers``) and ``LayerNorm`` (TF1's contrib layer_norm)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core.collection import GraphKeys
from scopejax._src.core.initializers import Ones, Zeros
from scopejax._src.core.scope import Reuse
from scopejax._src.core.variables import assign
from scopejax._src.nn.common import as_array, float_dtype, make_bias
from scopejax._src.nn.module import Module

_MOVING = [GraphKeys.GLOBAL_VARIABLES]  # TF1 puts the moving statistics there only


class BatchNormalization(Module):
    """Batch normalization with moving statistics, as ``tf.compat.v1.layers``.

    Variables ``gamma``/``beta`` (trainable) and ``moving_mean``/
    ``moving_variance`` (non-trainable). ``training=True`` normalizes with the
    batch statistics and ``assign``s the moving averages
    (``moving = moving * momentum + batch * (1 - momentum)``), so it needs
    ``apply_with_state``; ``training=False`` uses the moving statistics.

    As in TF1, the moving variance is fed the *unbiased* batch variance
    (``* n / (n - 1)``) on the fused path, which TF takes by default
    (``fused=None``) for rank-4 inputs normalized over the channel axis, and
    the biased one otherwise (``fused=False``, other ranks); the output always
    uses the biased variance.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> net = sj.transform(lambda x, t: sj.nn.BatchNormalization()(x, training=t))
    >>> x = jnp.arange(6.0).reshape(3, 2)
    >>> store = net.init(jax.random.key(0), x, False)
    >>> store.names()
    ['batch_normalization/beta', 'batch_normalization/gamma', \
'batch_normalization/moving_mean', 'batch_normalization/moving_variance']
    >>> y, new = net.apply_with_state(store, x, True)
    >>> [round(float(v), 3) for v in new["batch_normalization/moving_mean"]]
    [0.02, 0.03]
    """

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = Zeros,
        gamma_initializer: Any = Ones,
        moving_mean_initializer: Any = Zeros,
        moving_variance_initializer: Any = Ones,
        beta_regularizer: Callable | None = None,
        gamma_regularizer: Callable | None = None,
        trainable: bool = True,
        name: str | None = None,
        *,
        reuse: Reuse = None,
        fused: bool | None = None,
    ) -> None:
        super().__init__(name=name, reuse=reuse)
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        self.fused = fused
        self.momentum = momentum
        self.epsilon = epsilon
        self.center, self.scale = center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.trainable = trainable

    def __call__(self, x: jax.Array, training: Any = False) -> jax.Array:
        x = as_array(x)
        axes = tuple(a % x.ndim for a in self.axis)
        shape = [x.shape[a] for a in axes]
        reduce = tuple(a for a in range(x.ndim) if a not in axes)
        bshape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        dt = float_dtype(x)
        gamma = beta = None
        if self.scale:
            gamma = make_bias(
                shape,
                dt,
                self.gamma_initializer,
                self.gamma_regularizer,
                self.trainable,
                name="gamma",
            )
        if self.center:
            beta = make_bias(
                shape,
                dt,
                self.beta_initializer,
                self.beta_regularizer,
                self.trainable,
                name="beta",
            )
        moving_mean, moving_var = (
            make_bias(shape, dt, init, trainable=False, collections=_MOVING, name=name)
            for name, init in (
                ("moving_mean", self.moving_mean_initializer),
                ("moving_variance", self.moving_variance_initializer),
            )
        )

        def normalize(mean: jax.Array, var: jax.Array) -> jax.Array:
            inv = jax.lax.rsqrt(var.reshape(bshape) + self.epsilon)
            if gamma is not None:
                inv = inv * gamma.reshape(bshape)
            y = (x - mean.reshape(bshape)) * inv
            return y + beta.reshape(bshape) if beta is not None else y

        if isinstance(training, bool) and not training:
            return normalize(moving_mean, moving_var)
        mean = jnp.mean(x, reduce)
        var = jnp.var(x, reduce)
        m = self.momentum
        fused = self.fused
        if fused is None:  # TF1 takes the fused kernel for NHWC / NCHW batch norm
            fused = x.ndim == 4 and axes in ((3,), (1,))
        n = 1
        for a in reduce:
            n *= x.shape[a]
        moving_input = var * (n / (n - 1)) if fused and n > 1 else var
        new_mean = moving_mean * m + mean * (1 - m)
        new_var = moving_var * m + moving_input * (1 - m)
        if isinstance(training, bool):
            assign(moving_mean, new_mean)
            assign(moving_var, new_var)
            return normalize(mean, var)
        assign(moving_mean, jnp.where(training, new_mean, moving_mean))
        assign(moving_var, jnp.where(training, new_var, moving_var))
        return jnp.where(training, normalize(mean, var), normalize(moving_mean, moving_var))


class LayerNorm(Module):
    """Layer normalization as TF1's ``tf.contrib.layers.layer_norm`` (BERT's).

    Scope ``LayerNorm`` by default, variables ``beta`` and ``gamma`` of shape
    ``x.shape[begin_params_axis:]``; moments over ``x.shape[begin_norm_axis:]``;
    ``epsilon=1e-12`` as contrib's.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> net = sj.transform(lambda x: sj.nn.LayerNorm()(x))
    >>> net.init(jax.random.key(0), jnp.ones([2, 3])).names()
    ['LayerNorm/beta', 'LayerNorm/gamma']
    """

    _sj_base_name = "LayerNorm"

    def __init__(
        self,
        center: bool = True,
        scale: bool = True,
        begin_norm_axis: int = 1,
        begin_params_axis: int = -1,
        epsilon: float = 1e-12,
        trainable: bool = True,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(name=name, reuse=reuse)
        self.center, self.scale = center, scale
        self.begin_norm_axis, self.begin_params_axis = begin_norm_axis, begin_params_axis
        self.epsilon = epsilon
        self.trainable = trainable

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        norm_axis = self.begin_norm_axis % x.ndim
        params_axis = self.begin_params_axis % x.ndim
        shape = list(x.shape[params_axis:])
        dt = float_dtype(x)
        axes = tuple(range(norm_axis, x.ndim))
        mean = jnp.mean(x, axes, keepdims=True)
        var = jnp.var(x, axes, keepdims=True)
        beta = gamma = None
        if self.center:  # contrib creates beta first
            beta = make_bias(shape, dt, Zeros, trainable=self.trainable, name="beta")
        if self.scale:
            gamma = make_bias(shape, dt, Ones, trainable=self.trainable, name="gamma")
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if gamma is not None:
            y = y * gamma
        return y + beta if beta is not None else y


class LayerNormalization(Module):
    """Layer normalization as TF1's Keras ``LayerNormalization`` in graph mode.

    Scope ``layer_normalization``, variables ``gamma`` then ``beta`` with the
    shape of the normalized ``axis`` (default the last), ``epsilon=1e-3``.
    For BERT-style ``LayerNorm/beta|gamma`` names use :class:`LayerNorm`.
    """

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        trainable: bool = True,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(name=name, reuse=reuse)
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        self.epsilon, self.center, self.scale = epsilon, center, scale
        self.trainable = trainable

    def __call__(self, x: jax.Array) -> jax.Array:
        x = as_array(x)
        axes = tuple(sorted(a % x.ndim for a in self.axis))
        shape = [x.shape[a] for a in axes]
        bshape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        dt = float_dtype(x)
        gamma = beta = None
        if self.scale:
            gamma = make_bias(shape, dt, Ones, trainable=self.trainable, name="gamma")
        if self.center:
            beta = make_bias(shape, dt, Zeros, trainable=self.trainable, name="beta")
        mean = jnp.mean(x, axes, keepdims=True)
        var = jnp.var(x, axes, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if gamma is not None:
            y = y * gamma.reshape(bshape)
        return y + beta.reshape(bshape) if beta is not None else y
