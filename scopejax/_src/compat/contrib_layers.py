"""``tf.contrib.layers``: ``fully_connected``, ``conv2d``, ``batch_norm``, ``layer_norm``
with contrib's variable names (``fully_connected/weights``, ``Conv/biases``,
``BatchNorm/moving_mean``, ``LayerNorm/gamma``), collections (``model_variables``) and
math (``batch_norm``'s fused path: the moving variance takes the unbiased variance)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.compat import nn_ops
from scopejax._src.compat.initializers import xavier_initializer
from scopejax._src.core.collection import GraphKeys, add_to_collections
from scopejax._src.core.initializers import Ones, Zeros
from scopejax._src.core.scope import variable_scope
from scopejax._src.core.variables import assign, get_variable

_MODEL = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]


def _collections(variables_collections: Any, name: str) -> list[Any]:
    """contrib's ``model_variable`` collections: the user's, then GLOBAL and MODEL."""
    extra = variables_collections
    if isinstance(extra, dict):
        extra = extra.get(name)
    if isinstance(extra, str):
        extra = [extra]
    return [*(extra or []), *_MODEL]


def _model_variable(
    name: str,
    shape: Sequence[int],
    dtype: Any,
    initializer: Any,
    regularizer: Callable | None,
    trainable: bool,
    variables_collections: Any,
    key: str | None = None,
) -> jax.Array:
    return get_variable(
        name,
        list(shape),
        dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=_collections(variables_collections, key or name),
    )


def _outputs(outputs: jax.Array, outputs_collections: Any) -> jax.Array:
    if outputs_collections:
        add_to_collections(outputs_collections, outputs)
    return outputs


def _float(x: jax.Array) -> Any:
    return x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32


def fully_connected(
    inputs: Any,
    num_outputs: int,
    activation_fn: Callable | None = nn_ops.relu,
    normalizer_fn: Callable | None = None,
    normalizer_params: dict | None = None,
    weights_initializer: Any = None,
    weights_regularizer: Callable | None = None,
    biases_initializer: Any = Zeros,
    biases_regularizer: Callable | None = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: Any = None,
) -> jax.Array:
    """``tf.contrib.layers.fully_connected``: ``activation_fn(x @ weights + biases)``.

    Variables ``<scope>/weights`` ``[in, num_outputs]`` and ``<scope>/biases`` (no biases
    with a ``normalizer_fn``, which runs inside the scope), in ``model_variables``; the
    scope defaults to ``fully_connected``, made unique. Inputs of rank > 2 are
    transformed along their last axis.

    Args:
      inputs: ``[..., in]``.
      num_outputs: the output size.
      activation_fn: applied last (default ``relu``); None for linear.
      normalizer_fn: e.g. ``batch_norm``, applied before the activation instead of biases.
      normalizer_params: its keyword arguments.
      weights_initializer: default ``xavier_initializer()``.
      weights_regularizer: ``fn(weights) -> loss``.
      biases_initializer: default zeros; None means no biases.
      biases_regularizer: ``fn(biases) -> loss``.
      reuse: reuse the scope's variables.
      variables_collections: extra collections, a list or a dict by variable name.
      outputs_collections: collections the output joins.
      trainable: whether the variables join ``trainable_variables``.
      scope: the variable scope (name or ``VariableScope``).

    Returns:
      ``[..., num_outputs]``.

    >>> import jax, jax.numpy as jnp, scopejax as sj, scopejax.compat.v1 as tf
    >>> f = lambda x: tf.contrib.layers.fully_connected(x, 2)
    >>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
    ['fully_connected/biases', 'fully_connected/weights']
    """
    x = nn_ops.convert_to_tensor(inputs)
    dt = _float(x)
    with variable_scope(scope, default_name="fully_connected", reuse=reuse):
        w = _model_variable(
            "weights",
            [x.shape[-1], int(num_outputs)],
            dt,
            weights_initializer if weights_initializer is not None else xavier_initializer(),
            weights_regularizer,
            trainable,
            variables_collections,
        )
        y = jnp.tensordot(x.astype(dt), w, [[x.ndim - 1], [0]])
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            b = _model_variable(
                "biases",
                [int(num_outputs)],
                dt,
                biases_initializer,
                biases_regularizer,
                trainable,
                variables_collections,
            )
            y = y + b
        if activation_fn is not None:
            y = activation_fn(y)
    return _outputs(y, outputs_collections)


def conv2d(
    inputs: Any,
    num_outputs: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: str = "SAME",
    data_format: str | None = None,
    rate: Any = 1,
    activation_fn: Callable | None = nn_ops.relu,
    normalizer_fn: Callable | None = None,
    normalizer_params: dict | None = None,
    weights_initializer: Any = None,
    weights_regularizer: Callable | None = None,
    biases_initializer: Any = Zeros,
    biases_regularizer: Callable | None = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: Any = None,
) -> jax.Array:
    """``tf.contrib.layers.conv2d``: a 2-D convolution with contrib's names.

    Variables ``<scope>/weights`` ``[kh, kw, in, out]`` and ``<scope>/biases``, in
    ``model_variables``; the scope defaults to ``Conv``, made unique.

    Args:
      inputs: ``NHWC`` (default) or ``NCHW``.
      num_outputs: the output channels.
      kernel_size: an int or ``[kh, kw]``.
      stride: an int or ``[sh, sw]``.
      padding: ``'SAME'`` (default) or ``'VALID'``.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      rate: the dilation, an int or ``[rh, rw]``.
      activation_fn: applied last (default ``relu``); None for linear.
      normalizer_fn: e.g. ``batch_norm``, applied before the activation instead of biases.
      normalizer_params: its keyword arguments.
      weights_initializer: default ``xavier_initializer()``.
      weights_regularizer: ``fn(weights) -> loss``.
      biases_initializer: default zeros; None means no biases.
      biases_regularizer: ``fn(biases) -> loss``.
      reuse: reuse the scope's variables.
      variables_collections: extra collections, a list or a dict by variable name.
      outputs_collections: collections the output joins.
      trainable: whether the variables join ``trainable_variables``.
      scope: the variable scope.

    Returns:
      The output, in ``data_format``.
    """
    x = nn_ops.convert_to_tensor(inputs)
    fmt = (data_format or "NHWC").upper()
    dt = _float(x)
    kh, kw = nn_ops._spatial(kernel_size, 2, False, "kernel_size")
    cin = x.shape[1] if fmt == "NCHW" else x.shape[-1]
    with variable_scope(scope, default_name="Conv", reuse=reuse):
        w = _model_variable(
            "weights",
            [kh, kw, cin, int(num_outputs)],
            dt,
            weights_initializer if weights_initializer is not None else xavier_initializer(),
            weights_regularizer,
            trainable,
            variables_collections,
        )
        y = nn_ops._conv(x.astype(dt), w, stride, padding, rate, fmt)
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            b = _model_variable(
                "biases",
                [int(num_outputs)],
                dt,
                biases_initializer,
                biases_regularizer,
                trainable,
                variables_collections,
            )
            y = nn_ops.bias_add(y, b, data_format=fmt)
        if activation_fn is not None:
            y = activation_fn(y)
    return _outputs(y, outputs_collections)


def layer_norm(
    inputs: Any,
    center: bool = True,
    scale: bool = True,
    activation_fn: Callable | None = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    scope: Any = None,
) -> jax.Array:
    """``tf.contrib.layers.layer_norm``: moments over ``begin_norm_axis:``, epsilon 1e-12.

    Variables ``<scope>/beta`` and ``<scope>/gamma`` of shape
    ``inputs.shape[begin_params_axis:]``; the scope defaults to ``LayerNorm``.

    Args:
      inputs: an array of rank >= 2.
      center: add ``beta``.
      scale: multiply by ``gamma``.
      activation_fn: applied last.
      reuse: reuse the scope's variables.
      variables_collections: extra collections, a list or a dict by variable name.
      outputs_collections: collections the output joins.
      trainable: whether the variables join ``trainable_variables``.
      begin_norm_axis: the first axis of the moments.
      begin_params_axis: the first axis of the parameters' shape.
      scope: the variable scope.

    Returns:
      The normalized array.
    """
    x = nn_ops.convert_to_tensor(inputs)
    norm_axis = begin_norm_axis % x.ndim
    params_shape = list(x.shape[begin_params_axis % x.ndim :])
    dt = _float(x)
    with variable_scope(scope, default_name="LayerNorm", reuse=reuse):
        beta = gamma = None
        if center:
            beta = _model_variable(
                "beta", params_shape, dt, Zeros, None, trainable, variables_collections
            )
        if scale:
            gamma = _model_variable(
                "gamma", params_shape, dt, Ones, None, trainable, variables_collections
            )
        mean, var = nn_ops.moments(x, list(range(norm_axis, x.ndim)), keep_dims=True)
        y = nn_ops.batch_normalization(x, mean, var, beta, gamma, 1e-12)
        if activation_fn is not None:
            y = activation_fn(y)
    return _outputs(y, outputs_collections)


def batch_norm(
    inputs: Any,
    decay: float = 0.999,
    center: bool = True,
    scale: bool = False,
    epsilon: float = 0.001,
    activation_fn: Callable | None = None,
    param_initializers: dict | None = None,
    param_regularizers: dict | None = None,
    updates_collections: Any = GraphKeys.UPDATE_OPS,
    is_training: Any = True,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    batch_weights: Any = None,
    fused: bool | None = None,
    data_format: str = "NHWC",
    zero_debias_moving_mean: bool = False,
    scope: Any = None,
    renorm: bool = False,
    renorm_clipping: Any = None,
    renorm_decay: float = 0.99,
    adjustment: Any = None,
) -> jax.Array:
    """``tf.contrib.layers.batch_norm``: contrib's names, defaults and moving statistics.

    Variables ``<scope>/beta`` (``center``), ``<scope>/gamma`` (``scale``, off by
    default), ``<scope>/moving_mean`` and ``<scope>/moving_variance`` (not trainable),
    all in ``model_variables``; the scope defaults to ``BatchNorm``. While training the
    batch's moments normalize and the moving statistics are ``assign``-ed (kept by
    ``apply_with_state`` or ``sj.train``; ``updates_collections`` makes no difference
    here). Inputs of rank 2 or 4 take TF's fused path, whose moving variance takes the
    unbiased batch variance (``n / (n - 1)``), unless ``fused=False``.

    Args:
      inputs: an array of rank >= 2, channels last (``NHWC``) or at axis 1 (``NCHW``).
      decay: the moving averages' decay.
      center: add ``beta``.
      scale: multiply by ``gamma``.
      epsilon: added to the variance.
      activation_fn: applied last.
      param_initializers: initializers by name (``'beta'``, ``'gamma'``,
        ``'moving_mean'``, ``'moving_variance'``).
      param_regularizers: regularizers by name (``'beta'``, ``'gamma'``).
      updates_collections: accepted (the updates are assignments here).
      is_training: a Python bool or a boolean scalar.
      reuse: reuse the scope's variables.
      variables_collections: extra collections, a list or a dict by variable name.
      outputs_collections: collections the output joins.
      trainable: whether ``beta`` and ``gamma`` join ``trainable_variables``.
      batch_weights: only None.
      fused: None or True takes the fused path for rank 2 and 4.
      data_format: ``'NHWC'`` or ``'NCHW'``.
      zero_debias_moving_mean: only False.
      scope: the variable scope.
      renorm: only False.
      renorm_clipping: ignored.
      renorm_decay: ignored.
      adjustment: only None.

    Returns:
      The normalized array.

    Raises:
      NotImplementedError: ``batch_weights``, ``renorm``, ``adjustment`` or
        ``zero_debias_moving_mean``.
    """
    if batch_weights is not None or renorm or adjustment is not None or zero_debias_moving_mean:
        raise NotImplementedError(
            "batch_norm: batch_weights, renorm, adjustment and zero_debias_moving_mean are not "
            "provided; use sj.layers.batch_normalization or write the normalization out."
        )
    x = nn_ops.convert_to_tensor(inputs)
    dt = _float(x)
    channels = 1 if str(data_format).upper().startswith("NC") else x.ndim - 1
    reduce = tuple(a for a in range(x.ndim) if a != channels)
    bshape = [x.shape[a] if a == channels else 1 for a in range(x.ndim)]
    shape = [x.shape[channels]]
    inits = param_initializers or {}
    regs = param_regularizers or {}
    fused_path = fused is not False and x.ndim in (2, 4)
    if fused_path:
        epsilon = max(epsilon, 1.001e-5)  # the fused kernel's floor
    with variable_scope(scope, default_name="BatchNorm", reuse=reuse):
        beta = gamma = None
        if center:
            beta = _model_variable(
                "beta",
                shape,
                dt,
                inits.get("beta", Zeros),
                regs.get("beta"),
                trainable,
                variables_collections,
            )
        if scale:
            gamma = _model_variable(
                "gamma",
                shape,
                dt,
                inits.get("gamma", Ones),
                regs.get("gamma"),
                trainable,
                variables_collections,
            )
        moving_mean = _model_variable(
            "moving_mean",
            shape,
            dt,
            inits.get("moving_mean", Zeros),
            None,
            False,
            variables_collections,
        )
        moving_var = _model_variable(
            "moving_variance",
            shape,
            dt,
            inits.get("moving_variance", Ones),
            None,
            False,
            variables_collections,
        )

        def normalize(mean: jax.Array, var: jax.Array) -> jax.Array:
            inv = jax.lax.rsqrt(var.reshape(bshape) + epsilon)
            if gamma is not None:
                inv = inv * gamma.reshape(bshape)
            y = (x - mean.reshape(bshape)) * inv
            return y + beta.reshape(bshape) if beta is not None else y

        if isinstance(is_training, bool) and not is_training:
            y = normalize(moving_mean, moving_var)
        else:
            mean = jnp.mean(x, reduce)
            var = jnp.mean(jnp.square(x - mean.reshape(bshape)), reduce)
            n = 1
            for a in reduce:
                n *= x.shape[a]
            moving_in = var * (n / (n - 1)) if fused_path and n > 1 else var
            new_mean = moving_mean * decay + mean * (1 - decay)
            new_var = moving_var * decay + moving_in * (1 - decay)
            if isinstance(is_training, bool):
                assign(moving_mean, new_mean)
                assign(moving_var, new_var)
                y = normalize(mean, var)
            else:
                assign(moving_mean, jnp.where(is_training, new_mean, moving_mean))
                assign(moving_var, jnp.where(is_training, new_var, moving_var))
                y = jnp.where(is_training, normalize(mean, var), normalize(moving_mean, moving_var))
        if activation_fn is not None:
            y = activation_fn(y)
    return _outputs(y, outputs_collections)
