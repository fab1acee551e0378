"""``Dropout``: apply-time randomness from ``next_rng_key()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core.rng import next_rng_key
from scopejax._src.nn.common import as_array
from scopejax._src.nn.module import Module


def dropout(x: jax.Array, rate: float, training: Any, noise_shape: Sequence[int] | None = None):
    """Zero each element with probability ``rate`` and scale the rest by ``1/(1-rate)``."""
    x = as_array(x)
    if isinstance(training, bool) and not training or rate == 0.0:
        return x
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}.")
    shape = tuple(noise_shape) if noise_shape is not None else x.shape
    keep = jax.random.bernoulli(next_rng_key(), 1.0 - rate, shape)
    dropped = jnp.where(keep, x / (1.0 - rate), jnp.zeros((), x.dtype)).astype(x.dtype)
    if isinstance(training, bool):
        return dropped
    return jnp.where(training, dropped, x)  # a traced flag: both branches, one chosen


class Dropout(Module):
    """Dropout with rate ``rate``; active only when called with ``training=True``.

    The mask comes from :func:`scopejax.next_rng_key`, so ``apply`` needs
    ``rng=`` when training (TF1's ``tf.layers.Dropout``; ``training``
    defaults to False as there).

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> net = sj.transform(lambda x, t: sj.nn.Dropout(0.5)(x, training=t))
    >>> x = jnp.ones([8])
    >>> bool((net.apply({}, x, False) == x).all())
    True
    >>> y = net.apply({}, x, True, rng=jax.random.key(0))
    >>> sorted(set(y.tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """

    def __init__(
        self, rate: float = 0.5, noise_shape: Sequence[int] | None = None, name: str | None = None
    ) -> None:
        super().__init__(name=name)
        self.rate = float(rate)
        self.noise_shape = noise_shape

    def __call__(self, x: jax.Array, training: Any = False) -> jax.Array:
        return dropout(x, self.rate, training, self.noise_shape)
