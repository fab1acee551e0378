"""Initializers with TF1's names and formulas, drawing with ``jax.random``.

Every initializer is callable two ways:

* the JAX way, ``init(key, shape, dtype=jnp.float32)`` (drop-in for
  ``jax.nn.initializers``), which is how ``get_variable`` calls it;
* the TF1 way, ``init(shape, dtype=None)`` inside a transformed function, which
  draws its key from :func:`scopejax.next_rng_key`.

The formulas are TF1's (``tensorflow/python/ops/init_ops.py``): fans count a
1-D shape as ``fan_in = fan_out = shape[0]`` and a scalar as 1, the truncated
normal cuts at two standard deviations, and variance scaling corrects the
truncated normal's stddev by 0.8796...
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.dtypes import as_dtype, is_floating

Shape = Sequence[int]


def _is_key(x: Any) -> bool:
    if not isinstance(x, jax.Array):
        return False
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        return True
    return x.dtype == jnp.uint32 and x.shape[-1:] == (2,)


def _flat(draw, key, shape: tuple[int, ...], *args: Any) -> jax.Array:
    """Draw ``prod(shape)`` values and reshape: XLA compiles flat draws far faster than
    rank-4 ones (conv kernels), and the values are the same bits. Inside
    :func:`shaped_draws` the draw keeps its shape, so a draw into a sharding split on
    any axis is partitioned (a flat one is drawn whole on every device, then sliced)."""
    if _SHAPED:
        return draw(key, shape, *args)
    return draw(key, (math.prod(shape),), *args).reshape(shape)


_SHAPED: list[bool] = []  # non-empty inside shaped_draws (trace-time, one thread)


@contextlib.contextmanager
def shaped_draws() -> Iterator[None]:
    """Draw with the variable's shape rather than flat (same bits; see :func:`_flat`)."""
    _SHAPED.append(True)
    try:
        yield
    finally:
        _SHAPED.pop()


@functools.lru_cache(maxsize=4096)
def keyed_draw(initializer: Initializer, shape: tuple[int, ...], dtype: np.dtype):
    """A jitted ``(init_key, name_hash) -> draw(fold_in(init_key, name_hash))``.

    One dispatch (or one staged call under tracing) per variable instead of three,
    cached per (initializer config, shape, dtype); the values are those of
    ``initializer(fold_in(key, h), shape, dtype)``.
    """

    def fn(key: jax.Array, h: jax.Array) -> jax.Array:
        return initializer.draw(jax.random.fold_in(key, h), shape, dtype)

    return jax.jit(fn)


def draw_one(
    initializer: Initializer, shape: tuple[int, ...], dtype: np.dtype, init_key: Any, key: str
) -> jax.Array:
    """One variable's initial value: ``initializer`` drawn from ``fold_in(init_key, hash(key))``."""
    if not initializer.needs_key:
        return initializer.draw(None, shape, dtype)
    from scopejax._src.core.rng import stable_hash, variable_key

    try:
        fn = keyed_draw(initializer, shape, dtype)
    except TypeError:  # unhashable initializer config
        return initializer(variable_key(init_key, key), shape, dtype)
    return fn(init_key, np.uint32(stable_hash(key)))


def is_batchable(initializer: Initializer) -> bool:
    """Whether variables drawn by ``initializer`` may be drawn together under ``jax.vmap``.

    The built-in initializers are (their draws are elementwise, so a vmapped draw
    gives the same bits), except :class:`Orthogonal` (a batched QR need not).
    A subclass elsewhere opts in by setting ``batchable = True`` in its body.
    """
    cls = type(initializer)
    if "batchable" in cls.__dict__:
        return bool(cls.__dict__["batchable"])
    return cls.__module__ == __name__ and bool(cls.batchable)


def compute_fans(shape: Shape) -> tuple[float, float]:
    """TF1's fan computation (``init_ops._compute_fans``).

    Args:
      shape: a variable's shape.

    Returns:
      ``(fan_in, fan_out)`` as floats.
    """
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: subclasses implement ``draw(key, shape, dtype)``."""

    needs_key = True
    batchable = True  # see is_batchable: applies to this module's classes only

    def __call__(self, *args: Any, **kwargs: Any) -> jax.Array:
        kwargs.pop("partition_info", None)
        if args and _is_key(args[0]):
            key, rest = args[0], args[1:]
        else:
            key, rest = None, args
        if rest:
            shape, rest = rest[0], rest[1:]
        else:
            shape = kwargs.pop("shape")
        if rest:
            (dtype,) = rest
        else:
            dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}.")
        try:
            shape = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: shape must be a sequence of ints, got {shape!r}."
            ) from None
        dt = as_dtype(jnp.float32 if dtype is None else dtype)
        if key is None and self.needs_key:
            from scopejax._src.core.rng import next_rng_key

            key = next_rng_key()
        return self.draw(key, shape, dt)

    def draw(self, key: Any, shape: tuple[int, ...], dtype: np.dtype) -> jax.Array:
        raise NotImplementedError

    def _config(self) -> tuple[Any, ...]:
        return (type(self), tuple(sorted(vars(self).items())))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        try:
            return bool(self._config() == other._config())
        except (TypeError, ValueError):  # array-valued configs
            return self is other

    def __hash__(self) -> int:
        try:
            return hash(self._config())
        except TypeError:  # unhashable config (e.g. an array constant)
            return id(self)

    def _check_float(self, dtype: np.dtype) -> None:
        if not is_floating(dtype):
            raise ValueError(
                f"{type(self).__name__} draws floating-point values; dtype {dtype.name} is not "
                "floating point. Use zeros, ones or constant for integer variables."
            )

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Zeros(Initializer):
    """All zeros (``tf.zeros_initializer``)."""

    needs_key = False

    def draw(self, key, shape, dtype):
        return jnp.zeros(shape, dtype)


class Ones(Initializer):
    """All ones (``tf.ones_initializer``)."""

    needs_key = False

    def draw(self, key, shape, dtype):
        return jnp.ones(shape, dtype)


class Constant(Initializer):
    """A constant: a scalar broadcast, or an array of exactly ``shape``'s size."""

    needs_key = False

    def __init__(self, value: Any = 0) -> None:
        self.value = value

    def draw(self, key, shape, dtype):
        v = np.asarray(self.value)
        if v.size == math.prod(shape) and v.shape != shape:
            v = v.reshape(shape)
        return jnp.broadcast_to(jnp.asarray(v, dtype), shape)


class RandomNormal(Initializer):
    """Normal draws (``tf.random_normal_initializer``)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0) -> None:
        self.mean, self.stddev = mean, stddev

    def draw(self, key, shape, dtype):
        self._check_float(dtype)
        return (_flat(jax.random.normal, key, shape, dtype) * self.stddev + self.mean).astype(dtype)


class TruncatedNormal(Initializer):
    """Normal draws cut at two standard deviations (``tf.truncated_normal_initializer``)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0) -> None:
        self.mean, self.stddev = mean, stddev

    def draw(self, key, shape, dtype):
        self._check_float(dtype)
        x = _flat(
            lambda k, s, d: jax.random.truncated_normal(k, -2.0, 2.0, s, d), key, shape, dtype
        )
        return (x * self.stddev + self.mean).astype(dtype)


class RandomUniform(Initializer):
    """Uniform draws in ``[minval, maxval)`` (``tf.random_uniform_initializer``);
    ``maxval=None`` means 1 for floats. Integer dtypes need ``maxval``."""

    def __init__(self, minval: float = 0.0, maxval: float | None = None) -> None:
        self.minval, self.maxval = minval, maxval

    def draw(self, key, shape, dtype):
        if is_floating(dtype):
            hi = 1.0 if self.maxval is None else self.maxval
            return _flat(jax.random.uniform, key, shape, dtype, self.minval, hi)
        if self.maxval is None:
            raise ValueError("RandomUniform: integer dtypes need an explicit maxval.")
        return jax.random.randint(key, shape, int(self.minval), int(self.maxval), dtype)


class VarianceScaling(Initializer):
    """TF1's ``variance_scaling_initializer``: ``scale / fan`` variance.

    ``mode`` is ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'``; ``distribution`` is
    ``'truncated_normal'`` (alias ``'normal'``), ``'untruncated_normal'`` or
    ``'uniform'``.
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
    ) -> None:
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid mode {mode!r}.")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: invalid distribution {distribution!r}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def draw(self, key, shape, dtype):
        self._check_float(dtype)
        fan_in, fan_out = compute_fans(shape)
        if self.mode == "fan_in":
            scale = self.scale / max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale = self.scale / max(1.0, fan_out)
        else:
            scale = self.scale / max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            x = _flat(
                lambda k, s, d: jax.random.truncated_normal(k, -2.0, 2.0, s, d), key, shape, dtype
            )
            return (x * stddev).astype(dtype)
        if self.distribution == "untruncated_normal":
            return (_flat(jax.random.normal, key, shape, dtype) * math.sqrt(scale)).astype(dtype)
        limit = math.sqrt(3.0 * scale)
        return _flat(jax.random.uniform, key, shape, dtype, -limit, limit)


class GlorotUniform(VarianceScaling):
    """Glorot/Xavier uniform: TF1's default initializer for float variables."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")


class GlorotNormal(VarianceScaling):
    """Glorot/Xavier truncated normal (``tf.glorot_normal_initializer``)."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal")


class HeNormal(VarianceScaling):
    """He truncated normal: ``VarianceScaling(2.0, 'fan_in', 'truncated_normal')``."""

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal")


class LecunNormal(VarianceScaling):
    """LeCun truncated normal: ``VarianceScaling(1.0, 'fan_in', 'truncated_normal')``."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, over the last axis (TF1's recipe)."""

    batchable = False  # a batched QR need not give the bits of one QR each

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def draw(self, key, shape, dtype):
        self._check_float(dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a shape of rank >= 2, got {shape}; use another initializer "
                "for vectors."
            )
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (cols, rows) if rows < cols else (rows, cols)
        a = jax.random.normal(key, flat, jnp.float32)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)


# TF1 spellings (classes, so ``initializer=sj.initializers.zeros`` works as in TF1).
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
truncated_normal = TruncatedNormal
random_uniform = RandomUniform
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
lecun_normal = LecunNormal
orthogonal = Orthogonal
