"""Randomness: path-derived initial-value keys and ``next_rng_key``."""

from __future__ import annotations

import hashlib
from typing import Any, cast

import jax
import numpy as np

from scopejax._src.core.context import current_frame
from scopejax._src.core.errors import MissingRNGError, TransformError

_PERSON = b"scopejax-v1"


def stable_hash(name: str) -> int:
    """A 32-bit hash of a variable's full name, the same in every process.

    BLAKE2b of the UTF-8 bytes (personalised), so it does not depend on
    ``PYTHONHASHSEED``; the full name is a single string, which TF1 itself
    treats as the variable's identity (``a/b`` in scope ``x`` is ``x/a/b``).

    Args:
      name: a variable's full name.

    Returns:
      An integer in [0, 2**32), the same on every machine and run.

    >>> from scopejax._src.core.rng import stable_hash
    >>> stable_hash("dense/kernel")
    3515210733
    """
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4, person=_PERSON).digest()
    return int.from_bytes(digest, "little")


# jitted once: an eager fold_in dispatches several primitives (~10x slower)
_fold_in = jax.jit(jax.random.fold_in)


def variable_key(init_key: jax.Array, name: str) -> jax.Array:
    """``fold_in(init_key, stable_hash(name))``: the key a variable is drawn from."""
    return _fold_in(init_key, np.uint32(stable_hash(name)))


RNG_STREAM = "\x00next_rng_key"  # cannot collide: not a legal variable name


def as_key(rng: Any, api: str) -> jax.Array:
    """Accept a typed key, a raw uint32[2] key or an int seed."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        seed = int(rng)
        if not -(2**63) <= seed < 2**63:
            raise TransformError(
                f"{api}: the seed {seed} does not fit in 64 bits; pass an int in "
                f"[-2**63, 2**63) or a key (jax.random.key(0))."
            )
        return jax.random.key(seed)
    if isinstance(rng, (jax.Array, np.ndarray)):
        if jax.dtypes.issubdtype(rng.dtype, jax.dtypes.prng_key):
            if rng.shape != ():
                raise TransformError(
                    f"{api} takes a single PRNG key, got a batch of keys of shape {rng.shape}; "
                    f"to build several, jax.vmap the {api} call."
                )
            return cast(jax.Array, rng)  # numpy arrays never hold keys
        if rng.dtype == np.uint32 and rng.shape == (2,):
            return jax.random.wrap_key_data(cast(jax.Array, rng))  # host key data works too
    raise TransformError(
        f"{api} expects a PRNG key as its rng (jax.random.key(0)) or an int seed, got "
        f"{type(rng).__name__}. Call it as {api}(jax.random.key(0), ...)."
    )


def next_rng_key() -> jax.Array:
    """A fresh PRNG key, different on every call within one ``init``/``apply``.

    At ``apply`` the keys derive from ``apply(..., rng=key)``; at ``init`` from the
    init key. Keys are ``fold_in(base, n)`` for the n-th call, so they are
    reproducible given the same key and the same program.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     return jax.random.uniform(sj.next_rng_key(), [])
    >>> net = sj.transform(f)
    >>> a = net.apply({}, rng=jax.random.key(1))
    >>> bool(a == net.apply({}, rng=jax.random.key(1)))
    True

    Raises:
      MissingRNGError: ``apply`` was called without ``rng=``.
    """
    return current_frame("next_rng_key").rngs.next()


class RngState:
    """A frame's random-key state, owned by this module: the base key of
    :func:`next_rng_key` with its draw count, and the key a TF-style initializer draws
    from while it makes one variable.

    Args:
      key: the base key (None: ``next_rng_key`` raises MissingRNGError).
    """

    __slots__ = ("_key", "_count", "_draw_key")

    def __init__(self, key: Any = None) -> None:
        self._key = key
        self._count = 0
        self._draw_key: Any = None

    def has_key(self) -> bool:
        """Whether :meth:`next` has a key to draw from."""
        return self._key is not None or self._draw_key is not None

    def next(self) -> jax.Array:
        """A fresh key: ``fold_in(base, n)`` for the n-th draw (see :func:`next_rng_key`)."""
        if self._draw_key is not None:  # a TF-style initializer drawing for one variable
            self._draw_key, sub = jax.random.split(self._draw_key)
            return sub
        if self._key is None:
            raise MissingRNGError(
                "next_rng_key() needs a random key, but apply was called without one. Pass it: "
                "net.apply(store, *args, rng=jax.random.key(0)) (a fresh key per step)."
            )
        key = jax.random.fold_in(self._key, np.uint32(self._count))
        self._count += 1
        return key

    def swap_draw_key(self, key: Any) -> Any:
        """Make ``key`` the one an initializer draws from (None: none); returns the old one."""
        old, self._draw_key = self._draw_key, key
        return old

    def enter_stream(self, key: Any) -> tuple[Any, int]:
        """Draw from ``key`` (count restarting at 0) until :meth:`leave_stream`; None keeps
        the current stream. Returns what ``leave_stream`` restores."""
        saved = (self._key, self._count)
        if key is not None:
            self._key, self._count = key, 0
        return saved

    def leave_stream(self, saved: tuple[Any, int]) -> None:
        """Go back to the stream :meth:`enter_stream` saved."""
        self._key, self._count = saved
