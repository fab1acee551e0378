"""Variable creation as a chain of interceptors.

``get_variable`` and ``Variable`` decide *whether* a variable is new (TF1's sharing
rules, in ``variables``). A new one is described by a :class:`VariableRequest` and
handed down the frame's chain of interceptors (Haiku's creator stack and TF1's
custom getters are the models): each interceptor is ``fn(request, next) -> value``
and may change the request, call ``next`` (the rest of the chain) or answer itself.
At the end, the base creator only makes the value (``init``) or only reads it from
the store (``apply``).

The chain of an ``init`` call, outermost first (built by ``transform``):

1. ``lifting.in_owner_trace``: inside a lifted body (``sj.scan``, ``sj.vmap``, ...),
   create in the trace that owns the frame;
2. ``device.placement``: put the value on the ``sj.device`` of its scope;
3. ``fastinit.discovery``: in fast init's abstract discovery, stand in for batchable
   draws and record how each value is made;
4. ``lifting.per_member``: a per-member variable of ``sj.vmap`` / ``sj.layer_stack``
   is ``n`` draws stacked on its axis.

Sharding (``sj.sharding``) is one more interceptor of the same kind.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.errors import InitializerError

if TYPE_CHECKING:
    from scopejax._src.core.context import Frame


class VariableRequest:
    """One new variable, as it travels down the interceptor chain.

    Attributes:
      frame: the ``init`` / ``apply`` call it belongs to.
      name: the key ``get_variable`` knows it by (``Variable``: its graph name).
      graph_name: its unique full name in the store.
      shape: the shape asked for, when known (else the initializer decides).
      dtype: the dtype asked for (None: the value's own).
      collections: the collections it joins.
      trainable: whether it is in ``TRAINABLE_VARIABLES``.
      make: makes the raw initial value (a keyed draw uses the variable's own key).
      member_make: makes one member's raw value from a key (``None``: not keyed).
      initializer: the :class:`Initializer` instance of a keyed draw, else None.
      axis: the per-member stacking axis inside ``sj.vmap`` / ``layer_stack`` (None:
        shared by every member).
      device: the ``jax.Device`` of the enclosing ``sj.device`` (None if none).
      device_spec: its spec as written (``'gpu:0'``), kept in the metadata.
      raw: what ``make`` returned (set by the base creator).
      wrap_errors: whether an initializer's ValueError/TypeError is reported as an
        InitializerError naming the variable (``get_variable``; not ``Variable``).
      placed: ``(spec, device)`` of the ``sj.device`` block it is created in.
      sharding: the ``NamedSharding`` chosen for it (``core/sharding.py``), or None.
    """

    __slots__ = (
        "frame",
        "name",
        "graph_name",
        "shape",
        "dtype",
        "collections",
        "trainable",
        "make",
        "member_make",
        "initializer",
        "axis",
        "device",
        "device_spec",
        "raw",
        "wrap_errors",
        "sharding",
    )

    def __init__(
        self,
        frame: Frame,
        name: str,
        graph_name: str,
        shape: tuple[int, ...] | None,
        dtype: np.dtype | None,
        collections: list[Any],
        trainable: bool,
        make: Callable[[], Any],
        *,
        member_make: Callable[[Any], Any] | None = None,
        initializer: Any = None,
        axis: int | None = None,
        wrap_errors: bool = True,
        placed: tuple[str | None, Any] = (None, None),
    ) -> None:
        self.frame = frame
        self.name = name
        self.graph_name = graph_name
        self.shape = shape
        self.dtype = dtype
        self.collections = collections
        self.trainable = trainable
        self.make = make
        self.member_make = member_make
        self.initializer = initializer
        self.axis = axis
        spec, dev = placed
        self.device: Any = dev
        self.device_spec: str | None = spec
        self.raw: Any = None
        self.wrap_errors = wrap_errors
        self.sharding: Any = None  # its NamedSharding (core/sharding.py), None: JAX decides


Next = Callable[[VariableRequest], Any]
Interceptor = Callable[[VariableRequest, Next], Any]


def fmt_shape(shape: Sequence[Any] | None) -> str:
    """``(3, 4)``, ``(3,)``, ``<unknown>``: shapes as TF1's messages print them."""
    if shape is None:
        return "<unknown>"
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def checked(name: str, value: Any, shape: Any, dtype: np.dtype | None) -> jax.Array:
    """``value`` as an array of ``dtype``, or an InitializerError if its shape is wrong."""
    if not isinstance(value, jax.Array):
        value = jnp.asarray(value)
    if dtype is not None and value.dtype != dtype:
        value = value.astype(dtype)
    if shape is not None and tuple(value.shape) != shape:
        raise InitializerError(
            f"Variable {name}: the initializer returned shape {fmt_shape(value.shape)}, "
            f"expected {fmt_shape(shape)}."
        )
    return value


def run_initializer(req: VariableRequest, fn: Callable[[], Any]) -> Any:
    """``fn()``; an initializer's ValueError/TypeError names the variable (``get_variable``)."""
    try:
        return fn()
    except (ValueError, TypeError) as e:
        if not req.wrap_errors or isinstance(e, InitializerError):
            raise
        if str(e).startswith(f"Variable {req.name}"):
            raise
        raise InitializerError(f"Variable {req.name}: the initializer failed: {e}") from e


def base_create(req: VariableRequest) -> jax.Array:
    """The end of the chain at ``init``: only makes the value (and checks it)."""
    req.raw = raw = run_initializer(req, req.make)
    return checked(req.name, raw, req.shape, req.dtype)


def create(req: VariableRequest, base: Next = base_create) -> Any:
    """Run ``req`` down its frame's interceptors, ending in ``base``."""
    chain = req.frame.chain
    if not chain:
        return base(req)

    def step(i: int) -> Next:
        if i == len(chain):
            return base
        here, after = chain[i], step(i + 1)
        return lambda r: here(r, after)

    return step(0)(req)


class _Active(threading.local):
    def __init__(self) -> None:
        self.stack: list[Interceptor] = []


_ACTIVE = _Active()


@contextlib.contextmanager
def intercepting(interceptor: Interceptor) -> Iterator[None]:
    """Add ``interceptor`` to the creation chain of every ``init`` started inside (this thread).

    It runs outside the built-in interceptors, so it sees the value they produced (on
    its device, stacked for a lifted body). Nested ones run outermost first. Sharding
    rules (``sj.sharding.use``) are one of these.

    Args:
      interceptor: ``fn(request, next) -> value``; call ``next(request)`` to create.

    >>> import jax, scopejax as sj
    >>> seen = []
    >>> def log(req, next):
    ...     seen.append(req.graph_name)
    ...     return next(req)
    >>> with intercepting(log):
    ...     _ = sj.transform(lambda: sj.get_variable("w", [2])).init(jax.random.key(0))
    >>> seen
    ['w']
    """
    _ACTIVE.stack.append(interceptor)
    try:
        yield
    finally:
        _ACTIVE.stack.pop()


def active_interceptors() -> list[Interceptor]:
    """The interceptors added by enclosing :func:`intercepting` blocks, outermost first."""
    return list(_ACTIVE.stack)
