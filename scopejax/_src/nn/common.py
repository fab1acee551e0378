"""Small helpers shared by the layers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.initializers import Zeros
from scopejax._src.core.variables import get_variable


def activation_fn(activation: Callable | str | None) -> Callable | None:
    """``None``, a callable, or the name of a ``jax.nn`` function (``'relu'``)."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str):
        fn = getattr(jax.nn, activation, None) or getattr(jnp, activation, None)
        if callable(fn):
            return fn
    raise ValueError(
        f"activation must be a callable or the name of a jax.nn function, got {activation!r}."
    )


def as_array(x: Any) -> jax.Array:
    return x if isinstance(x, jax.Array) else jnp.asarray(x)


_IS_FLOAT: dict[Any, bool] = {}


def float_dtype(x: Any) -> Any:
    """The dtype a layer's variables take from its input (float32 for integer inputs)."""
    dt = x.dtype
    floating = _IS_FLOAT.get(dt) if isinstance(dt, np.dtype) else None
    if floating is None:
        floating = bool(jnp.issubdtype(dt, jnp.floating))
        if isinstance(dt, np.dtype):
            _IS_FLOAT[dt] = floating
    return dt if floating else np.dtype(np.float32)


def tuple_of(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    out = tuple(int(v) for v in value)
    if len(out) != n:
        raise ValueError(f"{what} must be an int or a sequence of {n} ints, got {value!r}.")
    return out


def padding_of(padding: str) -> str:
    p = str(padding).upper()
    if p not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}.")
    return p


def make_kernel(
    shape: Sequence[int],
    dtype: Any,
    initializer: Any = None,
    regularizer: Callable | None = None,
    trainable: bool | None = None,
    collections: Sequence[Any] | None = None,
    *,
    name: str = "kernel",
) -> jax.Array:
    """A layer's weight (kernel, filter, table) in the current scope, via ``get_variable``.

    Every layer makes its variables here or in :func:`make_bias`, so initializer,
    regularizer, trainability, collections and dtype are handled one way.
    ``initializer=None`` falls back to the scope's, else glorot-uniform.

    Args:
      shape: the variable's shape.
      dtype: its dtype (layers pass :func:`float_dtype` of their input).
      initializer: an initializer, initializer class or array; None for the default.
      regularizer: ``fn(value) -> loss`` for ``REGULARIZATION_LOSSES`` (None: the scope's).
      trainable: whether it joins ``TRAINABLE_VARIABLES`` (None means True, as in TF1).
      collections: the collections it joins (None: global, plus trainable).
      name: the variable's name under the current scope.

    Returns:
      The variable's value.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> from scopejax._src.nn.common import make_kernel
    >>> net = sj.transform(lambda: make_kernel([3, 2], jnp.float32))
    >>> net.init(jax.random.key(0)).names()
    ['kernel']
    """
    return get_variable(
        name,
        list(shape),
        dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
    )


def make_bias(
    shape: Sequence[int],
    dtype: Any,
    initializer: Any = Zeros,
    regularizer: Callable | None = None,
    trainable: bool | None = None,
    collections: Sequence[Any] | None = None,
    *,
    name: str = "bias",
) -> jax.Array:
    """A per-feature vector (bias, beta, gamma, moving statistics): :func:`make_kernel`
    with ``name="bias"`` and zeros as the default initializer.

    Args:
      shape, dtype, initializer, regularizer, trainable, collections, name: as
        :func:`make_kernel`.

    Returns:
      The variable's value.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> from scopejax._src.nn.common import make_bias
    >>> net = sj.transform(lambda: make_bias([2], jnp.float32))
    >>> net.init(jax.random.key(0))["bias"].tolist()
    [0.0, 0.0]
    """
    return make_kernel(shape, dtype, initializer, regularizer, trainable, collections, name=name)


class KernelBias:
    """Mixin of :class:`Dense` and the convolutions: ``activation(op(x, kernel) + bias)``.

    ``_set_kernel_bias`` stores the shared constructor arguments; ``_kernel``
    makes ``kernel`` and ``_bias_activation`` adds ``bias`` (if ``use_bias``)
    and applies the activation.
    """

    activation: Callable | None
    use_bias: bool
    kernel_initializer: Any
    bias_initializer: Any
    kernel_regularizer: Callable | None
    bias_regularizer: Callable | None
    trainable: bool

    def _set_kernel_bias(
        self,
        activation: Callable | str | None,
        use_bias: bool,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Callable | None,
        bias_regularizer: Callable | None,
        trainable: bool,
    ) -> None:
        self.activation = activation_fn(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.trainable = trainable

    def _kernel(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        return make_kernel(
            shape, dtype, self.kernel_initializer, self.kernel_regularizer, self.trainable
        )

    def _bias_activation(self, y: jax.Array, dtype: Any) -> jax.Array:
        if self.use_bias:
            y = y + make_bias(
                [y.shape[-1]], dtype, self.bias_initializer, self.bias_regularizer, self.trainable
            )
        return self.activation(y) if self.activation is not None else y
