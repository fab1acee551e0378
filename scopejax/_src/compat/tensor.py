"""TF's Tensor API on plain ``jax.Array`` values, for TF1 code in the compat namespace.

TF1 model code calls ``x.get_shape().as_list()``, ``x.shape[i].value``,
``x.shape.ndims`` and writes ``mask * (-2**32 + 1)`` on float32 tensors. Values stay
``jax.Array``s (no wrapper type, so nothing changes under ``jit``); instead, when
``scopejax.compat.v1`` is imported, :func:`install` adds TF's API to JAX's array and
tracer classes:

- ``get_shape()`` and ``set_shape()``: new methods (JAX has neither, so plain JAX
  code cannot notice them). ``get_shape()`` returns a :class:`TensorShape`.
- ``.shape`` returns a :class:`TensorShape` (a ``tuple`` subclass whose items are
  :class:`Dimension` ints with ``.value``) only when read from code in the *compat
  namespace*: a module (or notebook, or ``exec`` namespace) whose globals hold the
  ``scopejax.compat.v1`` module, as ``import scopejax.compat.v1 as tf`` (or, after
  ``install_as_tensorflow()``, ``import tensorflow as tf``) binds it. Everywhere else,
  JAX's own code included, ``.shape`` is the plain tuple it always was.
- Binary operators with a Python scalar convert it to the tensor's dtype as TF does,
  only in the compat namespace: an int next to a float tensor is a float of that
  dtype (``mask * (-2**32 + 1)``: TF computes it in float32, JAX raises
  ``OverflowError``), next to an integer tensor it wraps around as TF's NumPy
  conversion does (``uint8 + (-3)`` adds 253); a float next to an integer tensor is a
  ``TypeError`` as in TF (JAX would promote to float). Bool tensors follow JAX. Small
  non-negative ints and floats on float tensors, where JAX's weak types already agree
  with TF, go straight to JAX without a check.

The cost is one Python check per ``.shape`` read (the caller's globals, cached) and
one type test per operator call; the compiled program is identical
(``tests/test_compat_tensor.py`` compares the HLO, ``bench/compat_tensor_api.py``
measures trace time).
"""

from __future__ import annotations

import builtins
import operator
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------
# Dimension and TensorShape (TF1's tensor_shape, for shapes that JAX always knows)


def _dim(d: Any) -> Any:
    if type(d) is int:
        return Dimension(d)
    return UnknownDimension() if d is None else d  # a JAX symbolic dimension stays as is


def _dim_value(d: Any) -> Any:
    if d is None or isinstance(d, UnknownDimension):
        return None
    try:
        return operator.index(d)
    except TypeError:
        if hasattr(d, "dimension_as_value"):  # a JAX symbolic dimension (jax.export)
            return d
        raise


class Dimension(int):
    """``tf.Dimension``: one known axis length, an ``int`` with TF1's ``.value``.

    Arithmetic with ints or Dimensions gives a Dimension (``x.shape[1] * 2``), as in
    TF1; ``/`` is a ``TypeError`` as in TF (use ``//``). Anywhere an ``int`` is taken,
    a Dimension works.

    Args:
      value: the length, a non-negative int.

    >>> import scopejax.compat.v1 as tf
    >>> (tf.Dimension(3) * 2).value
    6
    """

    __slots__ = ()

    def __new__(cls, value: Any) -> Any:
        if value is None or isinstance(value, UnknownDimension):
            return UnknownDimension()
        return super().__new__(cls, operator.index(value))

    @property
    def value(self) -> int:
        """The length as a plain ``int``."""
        return int(self)

    def __repr__(self) -> str:
        return int.__repr__(self)

    def _op(self, other: Any, fn: Callable[[int, int], int]) -> Any:
        if isinstance(other, UnknownDimension) or other is None:
            return UnknownDimension()
        if isinstance(other, (int, np.integer)) and not isinstance(other, builtins.bool):
            return Dimension(fn(int(self), int(other)))
        return NotImplemented

    def __add__(self, other: Any) -> Any:
        return self._op(other, operator.add)

    def __radd__(self, other: Any) -> Any:
        return self._op(other, lambda a, b: b + a)

    def __sub__(self, other: Any) -> Any:
        return self._op(other, operator.sub)

    def __rsub__(self, other: Any) -> Any:
        return self._op(other, lambda a, b: b - a)

    def __mul__(self, other: Any) -> Any:
        return self._op(other, operator.mul)

    def __rmul__(self, other: Any) -> Any:
        return self._op(other, lambda a, b: b * a)

    def __floordiv__(self, other: Any) -> Any:
        return self._op(other, operator.floordiv)

    def __rfloordiv__(self, other: Any) -> Any:
        return self._op(other, lambda a, b: b // a)

    def __mod__(self, other: Any) -> Any:
        return self._op(other, operator.mod)

    def __rmod__(self, other: Any) -> Any:
        return self._op(other, lambda a, b: b % a)

    def __truediv__(self, other: Any) -> Any:
        raise TypeError(
            f"unsupported operand type(s) for /: 'Dimension' and '{type(other).__name__}', "
            "please use // instead"
        )

    def __rtruediv__(self, other: Any) -> Any:
        raise TypeError(
            f"unsupported operand type(s) for /: '{type(other).__name__}' and 'Dimension', "
            "please use // instead"
        )

    def __reduce__(self) -> Any:
        return (Dimension, (int(self),))


class UnknownDimension:
    """An axis of unknown length in a user-built :class:`TensorShape` (``.value`` None).

    JAX values always have known shapes; this only appears in shapes written by hand,
    such as ``tf.TensorShape([None, 3])`` for ``set_shape``.
    """

    __slots__ = ()
    value = None

    def __repr__(self) -> str:
        return "?"

    def __eq__(self, other: Any) -> Any:
        return None

    def __hash__(self) -> int:
        return hash(None)


def dimension_value(dimension: Any) -> Any:
    """``tf.compat.v1.dimension_value``: a Dimension's ``.value``; an int as is.

    Args:
      dimension: a :class:`Dimension`, an int or None.

    Returns:
      The int, or None for an unknown axis.
    """
    return _dim_value(dimension)


def _fmt(shape: Any) -> str:
    dims = ["?" if d is None else str(d) for d in TensorShape(shape).as_list()]
    return "(" + ", ".join(dims) + ("," if builtins.len(dims) == 1 else "") + ")"


class TensorShape(tuple):
    """``tf.TensorShape``: a shape with TF1's API, and a ``tuple`` of its ints.

    ``x.get_shape()`` returns one, as does ``x.shape`` in the compat namespace. Items
    are :class:`Dimension` (``shape[0].value``); slices are TensorShapes. It equals
    the tuple and the list of its ints, hashes as the tuple, and prints as the tuple.
    Axes of a hand-written shape may be None (unknown).

    Args:
      dims: a list or tuple of ints (None for an unknown axis), another shape, or an
        int (a vector's length).

    Raises:
      ValueError: ``dims`` is None (an unknown rank: never the case in JAX).

    >>> import scopejax.compat.v1 as tf
    >>> s = tf.TensorShape([2, 3])
    >>> s.as_list(), s.ndims, s[1].value, s.is_fully_defined()
    ([2, 3], 2, 3, True)
    """

    __slots__ = ()

    def __new__(cls, dims: Any) -> TensorShape:
        if dims is None:
            raise ValueError(
                "TensorShape(None): a shape of unknown rank. JAX shapes are always known; "
                "give the axes, e.g. TensorShape([None, 3])."
            )
        if type(dims) is tuple and all(type(d) is int for d in dims):
            return super().__new__(cls, dims)  # a JAX shape: the fast path
        if isinstance(dims, (int, np.integer)):
            dims = [dims]
        return super().__new__(cls, tuple(_dim_value(d) for d in dims))

    # -- TF1's accessors

    @property
    def ndims(self) -> int:
        """The rank."""
        return builtins.len(self)

    rank = ndims

    @property
    def dims(self) -> list[Any]:
        """The axes as :class:`Dimension` objects."""
        return [_dim(d) for d in tuple.__iter__(self)]

    def as_list(self) -> list[Any]:
        """The axis lengths as a list of ints (None where unknown)."""
        return list(tuple.__iter__(self))

    def is_fully_defined(self) -> builtins.bool:
        """Whether every axis length is known (always, for a JAX value)."""
        return None not in tuple.__iter__(self)

    def num_elements(self) -> Any:
        """The number of elements, or None when an axis is unknown."""
        if not self.is_fully_defined():
            return None
        return int(np.prod(self.as_list(), dtype=np.int64))

    def is_compatible_with(self, other: Any) -> builtins.bool:
        """Whether the shapes agree wherever both axes are known.

        Args:
          other: a shape, tuple or list.

        Returns:
          True when ranks match and every known pair of axes is equal.
        """
        other = TensorShape(other)
        if builtins.len(self) != builtins.len(other):
            return False
        pairs = zip(self.as_list(), other.as_list(), strict=True)
        return all(a is None or b is None or a == b for a, b in pairs)

    def assert_is_compatible_with(self, other: Any) -> None:
        """Raises unless :meth:`is_compatible_with`.

        Args:
          other: a shape, tuple or list.

        Raises:
          ValueError: the shapes are incompatible.
        """
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {_fmt(other)} are not compatible")

    def merge_with(self, other: Any) -> TensorShape:
        """The shape with each axis known from either side.

        Args:
          other: a compatible shape.

        Returns:
          The merged :class:`TensorShape`.

        Raises:
          ValueError: the shapes are incompatible.
        """
        self.assert_is_compatible_with(other)
        other = TensorShape(other)
        pairs = zip(self.as_list(), other.as_list(), strict=True)
        return TensorShape([a if a is not None else b for a, b in pairs])

    def concatenate(self, other: Any) -> TensorShape:
        """This shape's axes followed by ``other``'s.

        Args:
          other: a shape, tuple or list.

        Returns:
          A :class:`TensorShape`.
        """
        return TensorShape(self.as_list() + TensorShape(other).as_list())

    def assert_has_rank(self, rank: int) -> None:
        """Raises unless the rank is ``rank``.

        Args:
          rank: the expected rank.

        Raises:
          ValueError: another rank.
        """
        if builtins.len(self) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank: int) -> TensorShape:
        """This shape, checked to have rank ``rank``.

        Args:
          rank: the expected rank.

        Returns:
          ``self``.

        Raises:
          ValueError: another rank.
        """
        self.assert_has_rank(rank)
        return self

    def assert_same_rank(self, other: Any) -> None:
        """Raises unless ``other`` has this shape's rank.

        Args:
          other: a shape, tuple or list.

        Raises:
          ValueError: another rank.
        """
        if builtins.len(self) != builtins.len(TensorShape(other)):
            raise ValueError(f"Shapes {self} and {_fmt(other)} must have the same rank")

    # -- tuple behaviour with TF's items

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, builtins.slice):
            return TensorShape(tuple.__getitem__(self, key))
        return _dim(tuple.__getitem__(self, key))

    def __iter__(self) -> Iterator[Any]:
        return (_dim(d) for d in tuple.__iter__(self))

    def __eq__(self, other: Any) -> builtins.bool:
        if isinstance(other, (tuple, list)):
            try:
                return tuple.__eq__(self, tuple(_dim_value(d) for d in other))
            except TypeError:
                return False
        return NotImplemented

    def __ne__(self, other: Any) -> builtins.bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = tuple.__hash__

    def __add__(self, other: Any) -> TensorShape:
        return self.concatenate(other)

    def __radd__(self, other: Any) -> TensorShape:
        return TensorShape(other).concatenate(self)

    def __repr__(self) -> str:
        return tuple.__repr__(self)

    def __reduce__(self) -> Any:
        return (TensorShape, (tuple(self.as_list()),))


# ---------------------------------------------------------------------------------------------
# the compat namespace: code whose module globals hold scopejax.compat.v1

_COMPAT_PREFIX = "scopejax.compat.v1"
ALIAS_MODULES: set[int] = set()  # ids of modules standing in for `tensorflow`
_GLOBALS_CACHE: dict[int, tuple[dict, int, builtins.bool]] = {}


def _is_compat_module(v: Any) -> builtins.bool:
    if type(v) is not types.ModuleType:
        return False
    name = getattr(v, "__name__", "")
    return (
        name == _COMPAT_PREFIX
        or name.startswith(_COMPAT_PREFIX + ".")
        or builtins.id(v) in ALIAS_MODULES
    )


def in_compat_namespace(g: dict) -> builtins.bool:
    """Whether a globals dict belongs to the compat namespace (it holds the compat module).

    Cached per dict and recomputed when the dict's size changes (a new import).

    Args:
      g: a frame's ``f_globals``.

    Returns:
      True when one of its values is ``scopejax.compat.v1`` or one of its submodules.
    """
    entry = _GLOBALS_CACHE.get(builtins.id(g))
    n = builtins.len(g)
    if entry is not None and entry[1] == n:
        return entry[2]
    flag = any(_is_compat_module(v) for v in list(g.values()))
    _GLOBALS_CACHE[builtins.id(g)] = (g, n, flag)  # holds g, so its id is not reused
    return flag


def _caller_in_compat(depth: int = 2) -> builtins.bool:
    return in_compat_namespace(sys._getframe(depth).f_globals)


# ---------------------------------------------------------------------------------------------
# Python scalars on operators, as TF converts them


def _tf_scalar(x: Any, other: Any, op: str) -> Any:
    """The scalar TF's operator would use, or ``other`` unchanged outside compat code."""
    if not _caller_in_compat(3):
        return other
    if isinstance(other, Dimension):
        other = int(other)
    dtype = np.dtype(x.dtype)
    if type(other) is float and dtype.kind in "iu":
        raise TypeError(
            f"{op}: a {dtype.name} tensor and the Python float {other!r}. TF converts a "
            f"Python scalar to the tensor's dtype and refuses a float for {dtype.name}; "
            "cast first, e.g. tf.cast(x, tf.float32) or tf.to_float(x)."
        )
    if type(other) is int and dtype.kind in "iu":
        return np.asarray(other).astype(dtype)  # wraps around, as TF's NumPy conversion
    if type(other) is int and dtype.kind in "fc":
        return np.asarray(other, dtype)
    return other  # bool tensors: JAX's rules


_BINARY = {
    "__add__": "add",
    "__radd__": "add",
    "__sub__": "subtract",
    "__rsub__": "subtract",
    "__mul__": "multiply",
    "__rmul__": "multiply",
    "__truediv__": "truediv",
    "__rtruediv__": "truediv",
    "__floordiv__": "floordiv",
    "__rfloordiv__": "floordiv",
    "__mod__": "mod",
    "__rmod__": "mod",
    "__pow__": "pow",
    "__rpow__": "pow",
    "__lt__": "less",
    "__le__": "less_equal",
    "__gt__": "greater",
    "__ge__": "greater_equal",
}


def _wrap_operator(orig: Callable[..., Any], op: str) -> Callable[..., Any]:
    def method(self: Any, other: Any, *args: Any) -> Any:
        t = type(other)
        if (t is int and not 0 <= other <= 127) or (
            (t is float and np.dtype(self.dtype).kind in "iu") or t is Dimension
        ):
            other = _tf_scalar(self, other, op)
        return orig(self, other, *args)

    method.__name__ = getattr(orig, "__name__", op)
    method.__wrapped__ = orig  # type: ignore[attr-defined]
    return method


# ---------------------------------------------------------------------------------------------
# install / uninstall on JAX's classes


def _get_shape(self: Any) -> TensorShape:
    """``x.get_shape()``: the shape as a :class:`TensorShape`, as TF1's Tensor has it."""
    return TensorShape(self.shape)


def _set_shape(self: Any, shape: Any) -> None:
    """``x.set_shape(shape)``: checks that ``shape`` is compatible (JAX shapes are known).

    Raises:
      ValueError: the shapes differ on a known axis or in rank.
    """
    TensorShape(self.shape).assert_is_compatible_with(shape)


_SAVED: list[tuple[type, str, Any]] = []


def _classes() -> list[type]:
    from jax._src import array, core

    return [array.ArrayImpl, core.Tracer]


def _shape_property(orig: property) -> property:
    fget = orig.fget
    assert fget is not None
    getframe = sys._getframe
    cache = _GLOBALS_CACHE

    new = tuple.__new__

    def shape(self: Any) -> Any:
        s = fget(self)
        g = getframe(1).f_globals
        entry = cache.get(builtins.id(g))
        if entry is not None and entry[1] == builtins.len(g):
            return new(TensorShape, s) if entry[2] else s
        return new(TensorShape, s) if in_compat_namespace(g) else s

    return property(shape, doc=orig.__doc__)


def install() -> None:
    """Adds TF's Tensor API to JAX's array and tracer classes (idempotent).

    See the module docstring for exactly what changes, and where.
    """
    if _SAVED:
        return
    from scopejax._src.core.handle import VariableHandle

    for cls in _classes():
        for name in ("get_shape", "set_shape", "shape", *_BINARY):
            _SAVED.append((cls, name, cls.__dict__.get(name, _MISSING)))
        cls.get_shape = _get_shape  # type: ignore[attr-defined]
        cls.set_shape = _set_shape  # type: ignore[attr-defined]
        cls.shape = _shape_property(cls.__dict__["shape"])  # type: ignore[attr-defined]
        for name, op in _BINARY.items():
            orig = cls.__dict__.get(name)
            if orig is not None:
                setattr(cls, name, _wrap_operator(orig, op))
    _SAVED.append((VariableHandle, "get_shape", _MISSING))
    VariableHandle.get_shape = _get_shape  # type: ignore[attr-defined]


def uninstall() -> None:
    """Restores JAX's classes as they were before :func:`install` (for measurements)."""
    while _SAVED:
        cls, name, orig = _SAVED.pop()
        if orig is _MISSING:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, orig)


def installed() -> builtins.bool:
    """Whether :func:`install` is in effect."""
    return builtins.bool(_SAVED)


_MISSING = object()
install()

__all__ = [
    "Dimension",
    "TensorShape",
    "UnknownDimension",
    "dimension_value",
    "in_compat_namespace",
    "install",
    "installed",
    "uninstall",
]
