"""``Embedding``: a lookup table (``embedding/embeddings``) and its tied output."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core.initializers import RandomUniform
from scopejax._src.core.scope import Reuse
from scopejax._src.nn.common import as_array, make_kernel
from scopejax._src.nn.module import Module


class Embedding(Module):
    """A ``[input_dim, output_dim]`` table ``<scope>/embeddings`` (TF1's Keras naming).

    ``embedding(ids)`` looks rows up; ``embedding.attend(h)`` is the tied output
    projection ``h @ embeddings.T`` (logits over the vocabulary).

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(ids):
    ...     emb = sj.nn.Embedding(10, 4)
    ...     return emb.attend(emb(ids))
    >>> net = sj.transform(f)
    >>> ids = jnp.array([1, 2])
    >>> net.apply(net.init(jax.random.key(0), ids), ids).shape
    (2, 10)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = None,
        trainable: bool = True,
        dtype: Any = jnp.float32,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(name=name, reuse=reuse)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer or RandomUniform(-0.05, 0.05)
        self.trainable = trainable
        self.dtype = dtype

    def table(self) -> jax.Array:
        """The ``[input_dim, output_dim]`` table itself."""
        return make_kernel(
            [self.input_dim, self.output_dim],
            self.dtype,
            self.embeddings_initializer,
            trainable=self.trainable,
            name="embeddings",
        )

    def __call__(self, ids: jax.Array) -> jax.Array:
        ids = as_array(ids)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            raise TypeError(
                f"Embedding {self.scope_name!r} takes integer ids, got dtype {ids.dtype}."
            )
        return jnp.take(self.table(), ids, axis=0)

    def attend(self, h: jax.Array) -> jax.Array:
        """Logits ``h @ embeddings.T``: the output layer tied to the input table."""
        return jnp.matmul(h, self.table().T)
