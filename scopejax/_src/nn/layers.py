"""Functional layers, as ``tf.compat.v1.layers``: ``sj.layers.dense(x, 256, name="fc1")``.

Each call builds the module form (:mod:`scopejax.nn`) and applies it once, so
``dense(x, 10)`` twice gives ``dense`` and ``dense_1``; ``name="fc",
reuse=True`` (or an enclosing reuse scope) shares ``fc``'s variables, exactly
as TF1's ``tf.layers`` functions did.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     h = sj.layers.dense(x, 8, activation=jax.nn.relu, name="fc1")
...     return sj.layers.dense(h, 2, name="fc2")
>>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
['fc1/bias', 'fc1/kernel', 'fc2/bias', 'fc2/kernel']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from scopejax._src.core.scope import Reuse
from scopejax._src.nn.conv import Conv1D, Conv2D
from scopejax._src.nn.dropout import Dropout
from scopejax._src.nn.embedding import Embedding
from scopejax._src.nn.linear import Dense
from scopejax._src.nn.normalization import BatchNormalization, LayerNorm
from scopejax._src.nn.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    Flatten,
    MaxPooling1D,
    MaxPooling2D,
)


def dense(
    inputs: jax.Array,
    units: int,
    activation: Callable | str | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Callable | None = None,
    bias_regularizer: Callable | None = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse = None,
) -> jax.Array:
    """``tf.layers.dense``: see :class:`scopejax.nn.Dense`."""
    kw = {} if bias_initializer is None else {"bias_initializer": bias_initializer}
    return Dense(
        units,
        activation,
        use_bias,
        kernel_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        trainable=trainable,
        name=name,
        reuse=reuse,
        **kw,
    )(inputs)


def _conv(cls: type, inputs: jax.Array, filters: int, kernel_size: Any, **kw: Any) -> jax.Array:
    name, reuse = kw.pop("name", None), kw.pop("reuse", None)
    if kw.get("bias_initializer") is None:
        kw.pop("bias_initializer", None)
    return cls(filters, kernel_size, name=name, reuse=reuse, **kw)(inputs)


def conv1d(
    inputs: jax.Array,
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    activation: Callable | str | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Callable | None = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse = None,
) -> jax.Array:
    """``tf.layers.conv1d`` over ``[batch, width, channels]``."""
    return _conv(
        Conv1D,
        inputs,
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        groups=groups,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        trainable=trainable,
        name=name,
        reuse=reuse,
    )


def conv2d(
    inputs: jax.Array,
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    activation: Callable | str | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Callable | None = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse = None,
) -> jax.Array:
    """``tf.layers.conv2d`` over NHWC inputs."""
    return _conv(
        Conv2D,
        inputs,
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        groups=groups,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        trainable=trainable,
        name=name,
        reuse=reuse,
    )


def max_pooling1d(inputs, pool_size, strides, padding="valid", name=None) -> jax.Array:
    """``tf.layers.max_pooling1d``."""
    return MaxPooling1D(pool_size, strides, padding, name=name)(inputs)


def max_pooling2d(inputs, pool_size, strides, padding="valid", name=None) -> jax.Array:
    """``tf.layers.max_pooling2d`` (NHWC)."""
    return MaxPooling2D(pool_size, strides, padding, name=name)(inputs)


def average_pooling1d(inputs, pool_size, strides, padding="valid", name=None) -> jax.Array:
    """``tf.layers.average_pooling1d``."""
    return AveragePooling1D(pool_size, strides, padding, name=name)(inputs)


def average_pooling2d(inputs, pool_size, strides, padding="valid", name=None) -> jax.Array:
    """``tf.layers.average_pooling2d`` (NHWC; SAME padding does not count padded cells)."""
    return AveragePooling2D(pool_size, strides, padding, name=name)(inputs)


def flatten(inputs: jax.Array, name: str | None = None) -> jax.Array:
    """``tf.layers.flatten``."""
    return Flatten(name=name)(inputs)


def dropout(
    inputs: jax.Array,
    rate: float = 0.5,
    noise_shape: Sequence[int] | None = None,
    training: Any = False,
    name: str | None = None,
) -> jax.Array:
    """``tf.layers.dropout``: active only with ``training=True`` (needs ``apply(rng=...)``)."""
    return Dropout(rate, noise_shape, name=name)(inputs, training=training)


def batch_normalization(
    inputs: jax.Array,
    axis: int | Sequence[int] = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse = None,
    **initializers: Any,
) -> jax.Array:
    """``tf.layers.batch_normalization``; with ``training=True`` the moving statistics
    are assigned, so ``apply`` needs ``mutable=True``."""
    return BatchNormalization(
        axis,
        momentum,
        epsilon,
        center,
        scale,
        trainable=trainable,
        name=name,
        reuse=reuse,
        **initializers,
    )(inputs, training=training)


def layer_norm(
    inputs: jax.Array,
    center: bool = True,
    scale: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    epsilon: float = 1e-12,
    trainable: bool = True,
    name: str | None = None,
    reuse: Reuse = None,
) -> jax.Array:
    """TF1's ``tf.contrib.layers.layer_norm`` (scope ``LayerNorm``, BERT's names)."""
    return LayerNorm(
        center,
        scale,
        begin_norm_axis,
        begin_params_axis,
        epsilon,
        trainable,
        name=name,
        reuse=reuse,
    )(inputs)


def embedding(
    ids: jax.Array,
    input_dim: int,
    output_dim: int,
    embeddings_initializer: Any = None,
    name: str | None = None,
    reuse: Reuse = None,
) -> jax.Array:
    """Look ``ids`` up in a ``[input_dim, output_dim]`` table (``embedding/embeddings``)."""
    return Embedding(input_dim, output_dim, embeddings_initializer, name=name, reuse=reuse)(ids)
