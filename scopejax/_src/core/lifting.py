"""Variables inside JAX transformations opened by scopejax (``sj.scan``, ``sj.vmap``, ...).

A lifted body is traced by a JAX transformation (``lax.scan``, ``jax.vmap``,
``jax.checkpoint``, ``lax.switch``) inside the transformed function. While it
runs, a :class:`Lift` is open on the frame:

* a variable created in the body is created in the trace that owns the frame
  (``set_current_trace``), so its value is a value of the whole ``init`` and
  the body closes over it: it exists once, shared by every step or member;
* a *per-member* variable (``sj.vmap`` with ``variable_axes``,
  ``sj.layer_stack``) is created stacked, ``n`` draws on one axis, and the body
  reads its member's slice (``dynamic_index`` by the member index);
* ``assign`` in the body writes to the lift's ``local`` values, never to the
  frame, so nothing leaks; the lifted transform threads them out (a scan's
  carry, a vmap's outputs) and commits them when it returns;
* ``next_rng_key()`` draws from a per-step / per-member key.

Run eagerly (``apply`` outside ``jax.jit``), the control-flow primitive of a
lifted transform would be compiled anew at every call, since its body is a new
closure: :func:`run_eager` traces it and runs one cached program per distinct
computation instead.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
from jax.extend.core import ClosedJaxpr, Jaxpr, jaxpr_as_fun

from scopejax._src.core import jaxcompat
from scopejax._src.core.context import (
    Frame,
    current_trace_state,
    is_eager,
    mutable_allows_collections,
)
from scopejax._src.core.dtypes import jax_flag
from scopejax._src.core.errors import TracerLeakError, TransformError
from scopejax._src.core.request import Next, VariableRequest, checked, run_initializer

set_current_trace: Callable[[Any], contextlib.AbstractContextManager[Any]] | None
try:  # public since jax 0.4.36
    from jax.extend.core import set_current_trace
except ImportError:  # pragma: no cover
    set_current_trace = None

if TYPE_CHECKING:
    from scopejax._src.core.handle import VariableHandle


class Member:
    """Per-member variables of a lift: ``n`` members, indexed by ``index`` in the body.

    With ``full_local`` (a layer stack's scan) the local value of a per-member
    variable is the whole stack, read and updated at ``index``; otherwise (a vmap)
    it is the member's own value.
    """

    __slots__ = ("n", "index", "axes", "full_local", "sliced")

    def __init__(
        self,
        n: int,
        index: Any,
        axes: Callable[[list[Any]], int | None],
        full_local: bool = False,
        sliced: dict[str, Any] | None = None,
    ) -> None:
        self.n = n
        self.index = index  # a tracer of the body: this step's / member's number
        self.axes = axes  # collections -> stacking axis (None: shared)
        self.full_local = full_local
        # member slices the transform already cut (a layer stack's scan passes the stacked
        # values as xs: autodiff then needs neither saved slices nor a gradient carry)
        self.sliced = sliced or {}


class Lift:
    """One open lifted body."""

    __slots__ = ("what", "trace_state", "local", "assigned", "member", "saved_rng", "added")

    def __init__(self, what: str, local: dict[str, Any], member: Member | None) -> None:
        self.what = what
        self.trace_state = current_trace_state()
        self.local = local  # variable name -> its value in this body
        self.assigned: set[str] = set()
        self.member = member
        self.saved_rng: Any = None
        self.added: list[tuple[Any, Any]] = []  # (collection, array) added in the body


def collect(frame: Frame, key: Any, item: Any) -> None:
    """``add_to_collection`` of an array (not a variable): inside a lift, remember it.

    The lifted transform takes it out of the collection, threads it out of the
    body (stacked over steps or members) and adds the result back.
    """
    if frame.lifts and isinstance(item, jax.core.Tracer):
        frame.lifts[-1].added.append((key, item))


def take_added(frame: Frame, lift: Lift, what: str, allowed: bool = True) -> list[Any]:
    """The arrays the body added to collections, removed from them (to thread out)."""
    if not lift.added:
        return []
    if not allowed:
        keys = sorted({str(k) for k, _ in lift.added})
        raise TransformError(
            f"{what}: a branch added arrays to collections {keys}; branches cannot pass "
            "collection items out. Return the values from the branch instead."
        )
    for key, item in lift.added:
        frame.colls.remove_last(key, item)
    return [item for _, item in lift.added]


def add_back(frame: Frame, keys: list[Any], values: list[Any]) -> None:
    """Add the threaded-out collection items (one array per add) after the transform."""
    for key, value in zip(keys, values, strict=True):
        frame.colls.add(key, value)
        collect(frame, key, value)


class lifted:  # noqa: N801 - used as a context manager
    """Open a :class:`Lift` on ``frame`` for the body being traced."""

    def __init__(
        self,
        frame: Frame,
        what: str,
        local: Mapping[str, Any] | None = None,
        member: Member | None = None,
        rng: Any = None,
    ) -> None:
        self.frame = frame
        parent = frame.lifts[-1].local if frame.lifts else {}
        self.lift = Lift(what, {**parent, **(local or {})}, member)
        self.rng = rng

    def __enter__(self) -> Lift:
        frame = self.frame
        lift = self.lift
        lift.saved_rng = frame.rngs.enter_stream(self.rng)
        frame.lifts.append(lift)
        return lift

    def __exit__(self, *exc: Any) -> None:
        frame = self.frame
        popped = frame.lifts.pop()
        assert popped is self.lift, "scopejax lift stack corrupted"
        frame.rngs.leave_stream(self.lift.saved_rng)


def creating(frame: Frame) -> Any:
    """Context for creating a variable: inside a lift, switch to the frame's own trace."""
    if frame.lifts and frame.owner_trace is not None and set_current_trace is not None:
        return set_current_trace(frame.owner_trace)
    return contextlib.nullcontext()


def member_of(frame: Frame) -> Member | None:
    """The per-member variables of the innermost open lift that has them."""
    for lift in reversed(frame.lifts):
        if lift.member is not None:
            return lift.member
    return None


def members(frame: Frame) -> int:
    """How many members a stacked variable has now (a per-member lift is open)."""
    member = member_of(frame)
    if member is None:  # pragma: no cover - callers hold a variable with a stack axis
        raise AssertionError("no per-member lift is open")
    return member.n


def stack_axis(frame: Frame, collections: list[Any]) -> int | None:
    """The stacking axis of a variable registered now with ``collections`` (None: shared)."""
    member = member_of(frame)
    if member is None:
        return None
    return member.axes(collections)


def read(frame: Frame, handle: VariableHandle) -> Any:
    """The value a body sees for ``handle``: its local value, or its (member's) value."""
    lifts = frame.lifts
    if not lifts:
        return handle._value
    local = lifts[-1].local
    axis = handle._stack_axis
    member = member_of(frame) if axis is not None else None
    if handle.name in local:
        value = local[handle.name]
        if member is None or not member.full_local:
            return value
    else:
        value = handle._value
    if member is not None:
        given = member.sliced.get(handle.name) if axis == 0 else None
        if given is not None and handle.name not in local:
            value = given
        else:
            value = jax.lax.dynamic_index_in_dim(value, member.index, axis, keepdims=False)
        frame.registry.note_value(handle, value)  # assign(value) finds its variable
    return value


def write(frame: Frame, handle: VariableHandle, value: Any) -> bool:
    """``assign`` inside a lift: record ``value`` locally. False outside lifts."""
    lifts = frame.lifts
    if not lifts:
        return False
    lift = lifts[-1]
    if lift.what == "sj.vmap" and handle._stack_axis is None and not frame.is_init:
        from scopejax._src.core.errors import AssignError

        raise AssignError(
            f"assign to variable {handle.name} inside sj.vmap: the variable is shared by every "
            "member, which would each write a different value. Give its collection a "
            "per-member axis with sj.vmap(..., variable_axes={collection: 0}), or assign it "
            "outside the vmap."
        )
    axis = handle._stack_axis
    owner = member_of(frame) if axis is not None else None
    if owner is not None and owner.full_local:  # update this layer's slice
        whole = lift.local.get(handle.name, handle._value)
        value = jax.lax.dynamic_update_index_in_dim(whole, value, owner.index, axis)
    lift.local[handle.name] = value
    lift.assigned.add(handle.name)
    return True


def commit(frame: Frame, values: Mapping[str, Any]) -> None:
    """Make the values a lifted transform threaded out current, as ``assign`` would."""
    if not values:
        return
    if frame.lifts:
        lift = frame.lifts[-1]
        lift.local.update(values)
        lift.assigned.update(values)
        return
    for name, value in values.items():
        handle = frame.registry.by_name(name)
        assert handle is not None  # the lift read it
        handle._value = value
        frame.registry.note_value(handle, value)
        if not frame.is_init:
            frame.registry.record_assign(name, value)


def carried_state(frame: Frame) -> dict[str, Any]:
    """At ``apply``: every variable ``assign`` may change, by name, with its current value.

    A scan carries them (and a cond passes them through every branch), since which
    ones the body assigns is known only after it is traced.
    """
    if frame.is_init or not frame.mutable or not frame.params:
        return {}
    local = frame.lifts[-1].local if frame.lifts else {}
    out: dict[str, Any] = {}
    for name, stored in frame.params.items():
        handle = frame.registry.by_name(name)
        colls: list[Any] | None
        if handle is not None:
            colls = handle.collections
            if handle._stack_axis is not None:
                member = member_of(frame)
                if member is not None and not member.full_local:
                    continue  # a vmap threads its members' state itself
        else:
            colls = (frame.param_colls or {}).get(name)
            if colls is None and frame.mutable is not True:
                continue
        if not mutable_allows_collections(frame.mutable, colls or ()):
            continue
        if name in local:
            out[name] = local[name]
        elif handle is not None:
            out[name] = handle._value
        else:
            out[name] = stored
    return out


def stacked_initial(
    frame: Frame, name: str, make: Callable[[Any], Any], n: int, axis: int, keyed: bool
) -> Any:
    """``n`` initial values stacked on ``axis``: member ``i`` drawn from ``fold_in(key, i)``."""
    from scopejax._src.core.rng import variable_key

    if keyed:
        keys = jax.vmap(lambda i: jax.random.fold_in(variable_key(frame.init_key, name), i))(
            jnp.arange(n, dtype=jnp.uint32)
        )
        value = jax.vmap(make)(keys)
    else:
        one = jnp.asarray(make(None))
        value = jnp.broadcast_to(one, (n, *one.shape))
    return jnp.moveaxis(value, 0, axis) if axis else value


def regularize(frame: Frame, regularizer: Callable, handle: VariableHandle, value: Any) -> Any:
    """A variable's regularization loss; inside a lift, on its whole value in the owner trace."""
    if not frame.lifts:
        return regularizer(value)
    with creating(frame):
        whole = handle._value
        axis = handle._stack_axis
        if axis is None:
            return regularizer(whole)
        losses = jax.vmap(regularizer, in_axes=axis)(whole)
        return None if losses is None else jnp.sum(losses)


# -- eager calls: one compiled program per distinct traced computation ----------------
EAGER_CACHE_SIZE = 64  # compiled programs kept (least recently used dropped); 0: no cache
_eager_cache: OrderedDict[Any, Callable[..., Any]] = OrderedDict()
_eager_lock = threading.Lock()
# primitives whose callable parameters only matter to autodiff (jvp / vjp rules, remat
# policies): an eager call evaluates them forward, so those callables do not change it
_AD_ONLY = frozenset(
    {
        "custom_jvp_call",
        "custom_vjp_call",
        "custom_vjp_call_jaxpr",
        "custom_lin",
        "remat2",
        "checkpoint",
    }
)


class _Same:
    """A cache-key part equal only to the same object (held, so its id is not reused)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _opaque(value: Any, ad_only: bool, out: list[_Same]) -> None:
    """The parts of an equation parameter that the printed jaxpr does not show."""
    if isinstance(value, ClosedJaxpr):
        out.extend(_Same(c) for c in value.consts)
        _opaque_eqns(value.jaxpr, out)
    elif isinstance(value, Jaxpr):
        _opaque_eqns(value, out)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _opaque(v, ad_only, out)
    elif callable(value) and not isinstance(value, type) and not ad_only:
        out.append(_Same(getattr(value, "callback_func", value)))  # e.g. a pure_callback


def _opaque_eqns(jaxpr: Any, out: list[_Same]) -> None:
    for eqn in jaxpr.eqns:
        ad_only = eqn.primitive.name in _AD_ONLY
        for value in eqn.params.values():
            _opaque(value, ad_only, out)


def _eval(jaxpr: Any, consts: list[Any], args: list[Any]) -> list[Any]:
    return jaxpr_as_fun(ClosedJaxpr(jaxpr, consts))(*args)


def eager_cache_clear() -> None:
    """Drop every program :func:`run_eager` compiled."""
    with _eager_lock:
        _eager_cache.clear()


def run_eager(what: str, run: Callable[..., Any], *operands: Any) -> Any:
    """``run(*operands)``; eagerly, through a compiled program cached by its computation.

    ``run`` calls a JAX control-flow function (``lax.scan``, ``lax.cond``) on a body
    that is a new closure at every call, so JAX's own caches miss and an eager call
    compiles (and keeps) a new program each time. Here the call is traced once per
    call (the body's effects on the frame happen as before) and keyed by its printed
    jaxpr, which holds the shapes, dtypes, literals and parameters, plus the identity
    of what printing hides (callbacks, constants of nested jaxprs). Programs live in
    a bounded LRU (``EAGER_CACHE_SIZE``). Under a trace (``jit``, ``grad``, an outer
    lift) or ``jax.disable_jit`` this is just ``run(*operands)``.

    Args:
      what: the lifted transform (part of the key).
      run: the function to run.
      *operands: its arguments, pytrees of arrays.

    Returns:
      ``run(*operands)``, bit-identical to the uncached call.
    """
    if EAGER_CACHE_SIZE <= 0 or not is_eager() or jax_flag("jax_disable_jit"):
        return run(*operands)
    closed, shapes = jax.make_jaxpr(run, return_shape=True)(*operands)
    opaque: list[_Same] = []
    _opaque_eqns(closed.jaxpr, opaque)
    key = (what, str(closed.jaxpr), tuple(opaque))
    with _eager_lock:
        fn = _eager_cache.get(key)
        if fn is None:
            fn = jax.jit(functools.partial(_eval, closed.jaxpr))
            _eager_cache[key] = fn
            while len(_eager_cache) > EAGER_CACHE_SIZE:
                _eager_cache.popitem(last=False)
        else:
            _eager_cache.move_to_end(key)
    out = fn(list(closed.consts), jax.tree.leaves(operands))
    return jax.tree.unflatten(jax.tree.structure(shapes), out)


# -- interceptors of variable creation (see core/request.py) --------------------------
def in_owner_trace(req: VariableRequest, next: Next) -> Any:
    """Inside a lifted body, create the variable in the trace that owns the frame."""
    if not req.frame.lifts:
        return next(req)
    with creating(req.frame):
        return next(req)


def per_member(req: VariableRequest, next: Next) -> Any:
    """A per-member variable (``sj.vmap`` / ``layer_stack``): one draw per member, stacked.

    Member ``i`` is drawn from ``fold_in(variable_key, i)`` (unkeyed values are
    broadcast); the stack is then moved to the request's axis.
    """
    if req.axis is None:
        return next(req)
    frame = req.frame
    n = members(frame)
    keyed = req.member_make is not None
    make = req.member_make if keyed else (lambda k: req.make())
    assert make is not None
    value = run_initializer(req, lambda: stacked_initial(frame, req.name, make, n, 0, keyed))
    value = checked(req.name, value, None if req.shape is None else (n, *req.shape), req.dtype)
    if req.axis:
        value = jnp.moveaxis(value, 0, req.axis)
    req.raw = value
    return value


# -- the lift stack (this module's part of a frame) -------------------------------
def active(frame: Frame) -> bool:
    """Whether a lifted body (``sj.scan``, ``sj.vmap``, ...) is open in ``frame``."""
    return bool(frame.lifts)


def depth(frame: Frame) -> int:
    """How many lifted bodies are open in ``frame``."""
    return len(frame.lifts)


def check_trace(frame: Frame, what: str, subject: str = "") -> None:
    """Raise TracerLeakError if we run inside a JAX transform opened in the function
(the frame's own trace and the traces of its open lifted bodies are fine)."""
    if frame.trace_state is None or jaxcompat.same_trace(frame.trace_state):
        return  # still in the frame's own trace (the usual case)
    state = current_trace_state()
    if state != frame.trace_state and not any(lf.trace_state == state for lf in frame.lifts):
        raise TracerLeakError(
            f"{what}{subject} inside a JAX transformation (jax.vmap, jax.jit, jax.lax.scan, "
            "jax.grad, ...) that was opened inside the transformed function. The value "
            "would be a tracer of that inner transformation and cannot be kept in the "
            "store. Use scopejax's lifted forms (sj.scan, sj.vmap, sj.remat, sj.cond, "
            "sj.switch, sj.layer_stack), create the variable before entering the inner "
            "transformation (call get_variable outside it and close over the value), or "
            "apply the JAX transformation to net.init / net.apply as a whole."
        )
