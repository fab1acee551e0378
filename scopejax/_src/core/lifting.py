"""Variables inside JAX transformations opened by scopejax (``sj.scan``, ``sj.vmap``, ...).

A lifted body is traced by a JAX transformation (``lax.scan``, ``jax.vmap``,
``jax.checkpoint``, ``lax.switch``) inside the transformed function. While it
runs, a :class:`Lift` is open on the frame:

* a variable created in the body is created in the trace that owns the frame
  (``set_current_trace``), so its value is a value of the whole ``init`` and
  the body closes over it: it exists once, shared by every step or member;
* a *per-member* variable (``sj.vmap`` with ``variable_axes``,
  ``sj.layer_stack``) is created stacked, ``n`` draws on one axis, and the body
  reads its member's slice (``dynamic_index`` by the member index; a layer
  stack's scan receives the slices of the stacks its body read as xs);
* ``assign`` in the body writes to the lift's ``local`` values, never to the
  frame, so nothing leaks; the lifted transform threads them out (a scan's
  carry, a vmap's outputs) and commits them when it returns;
* ``next_rng_key()`` draws from a per-step / per-member key.

Every lifted transform is a use of :func:`run_lifted` with a :class:`LiftPolicy`
saying which variables are stacked per member, whether state is carried
through the transform or returned from it, how the rng splits, and what the
body may do; the transform only picks the JAX primitive.

Run eagerly (``apply`` outside ``jax.jit``), the control-flow primitive of a
lifted transform would be compiled anew at every call, since its body is a new
closure: :func:`run_eager` traces it and runs one cached program per distinct
computation instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import jax
import jax.numpy as jnp
from jax.extend.core import ClosedJaxpr, Jaxpr, jaxpr_as_fun

from scopejax._src.core import jaxcompat
from scopejax._src.core.context import (
    Frame,
    current_trace,
    current_trace_state,
    is_eager,
    mutable_allows_collections,
)
from scopejax._src.core.dtypes import jax_flag
from scopejax._src.core.errors import AssignError, TracerLeakError, TransformError
from scopejax._src.core.request import Next, VariableRequest, checked, run_initializer
from scopejax._src.core.rng import next_rng_key

set_current_trace: Callable[[Any], contextlib.AbstractContextManager[Any]] | None
try:  # public since jax 0.4.36
    from jax.extend.core import set_current_trace
except ImportError:  # pragma: no cover
    set_current_trace = None

if TYPE_CHECKING:
    from scopejax._src.core.handle import VariableHandle


StateMode = Literal["carry", "return"]
SplitRng = Literal["inherit", "shared", "per_step", "per_member"]


@dataclasses.dataclass(frozen=True)
class LiftPolicy:
    """What a lifted transform does with variables, state, collections and rng.

    A variable the body reads is *broadcast* (closed over: one value shared by
    every step, member or branch) unless ``variable_axes`` *stacks* it (one value
    per member, stored stacked on an axis). Variables ``assign`` may change are
    *carried* (``state="carry"``: every one of them goes in with its current value
    and comes out, as a scan's carry or a cond's operand) or *returned*
    (``state="return"``: what the body assigned comes out, per member for a vmap);
    either way, what the body assigned is committed when the transform returns.

    Attributes:
      what: the public name (``"sj.scan"``), for messages and the eager cache key
        only: nothing dispatches on it.
      variable_axes: None: no members, every variable is broadcast. An int: every
        variable created in the body is stacked on that axis. Pairs
        ``((collection, axis or None), ...)``: the first listed collection of a
        variable decides, unlisted ones are broadcast.
      state: ``"carry"`` or ``"return"``. With ``"carry"`` the local value of a
        stacked variable is its whole stack, read and updated at the member index.
      split_rng: the body's ``next_rng_key()``: ``"inherit"`` (the frame's stream),
        ``"shared"`` (one new key for every member), ``"per_step"`` (one new key split
        ``n`` ways, step ``i`` takes key ``i``) or ``"per_member"`` (one new key,
        member ``i`` takes ``fold_in(key, i)``).
      shared_assign: whether ``assign`` may write a broadcast variable at ``apply``
        (not in a vmap: every member would write its own value).
      collect: whether arrays the body adds to collections are threaded out (stacked
        over steps or members) and added back; if not, adding one is an error.
      members_as_xs: stacked variables reach the body as slices passed in by the
        transform (a scan's ``xs``, see :func:`scan_members`), not by indexing the
        closed-over stack; autodiff then stacks their gradients instead of carrying
        a gradient buffer. Needs ``state="carry"`` and a scan.
    """

    what: str
    variable_axes: int | tuple[tuple[Any, int | None], ...] | None = None
    state: StateMode = "carry"
    split_rng: SplitRng = "inherit"
    shared_assign: bool = True
    collect: bool = True
    members_as_xs: bool = False

    @property
    def has_members(self) -> bool:
        """Whether the body has members (some variables may be stacked)."""
        return self.variable_axes is not None

    def axis(self, collections: Sequence[Any]) -> int | None:
        """The stacking axis of a variable created in the body with ``collections``."""
        axes = self.variable_axes
        if axes is None or isinstance(axes, int):
            return axes
        for coll, axis in axes:
            if coll in collections:
                return axis
        return None


class Slots:
    """The stacked variables a scan body read, each through a placeholder (see ``read``).

    ``trace`` is the trace the scan is built in: placeholders are its tracers, so
    every nested trace of the body receives them as inputs and they end up among the
    traced body's constants, where :func:`scan_members` replaces them by the slices.
    """

    __slots__ = ("trace", "taken")

    def __init__(self) -> None:
        self.trace: Any = None
        self.taken: dict[str, tuple[Any, Any]] = {}  # name -> (placeholder, whole stack)

    def slice_of(self, handle: VariableHandle) -> Any:
        """The placeholder standing for this member's slice of ``handle`` (axis 0)."""
        got = self.taken.get(handle.name)
        if got is None:
            whole = handle._value
            assert self.trace is not None and set_current_trace is not None
            with set_current_trace(self.trace):
                placeholder = jnp.zeros(jnp.shape(whole)[1:], jnp.result_type(whole))
            got = self.taken[handle.name] = (placeholder, whole)
        return got[0]


class Member:
    """Per-member variables of a lift: ``n`` members, this one indexed by ``index``.

    With ``full_local`` (a layer stack's scan: state carried) the local value of a
    per-member variable is the whole stack, read and updated at ``index``; otherwise
    (a vmap) it is the member's own value. With ``slots`` the body reads stacked
    variables as slices the scan passes in (``LiftPolicy.members_as_xs``).
    """

    __slots__ = ("n", "index", "policy", "full_local", "slots")

    def __init__(self, n: int, index: Any, policy: LiftPolicy, slots: Slots | None = None) -> None:
        self.n = n
        self.index = index  # a tracer of the body: this step's / member's number
        self.policy = policy
        self.full_local = policy.state == "carry"
        self.slots = slots


class Lift:
    """One open lifted body."""

    __slots__ = (
        "what",
        "policy",
        "trace_state",
        "local",
        "assigned",
        "member",
        "saved_rng",
        "added",
    )

    def __init__(self, policy: LiftPolicy, local: dict[str, Any], member: Member | None) -> None:
        self.what = policy.what
        self.policy = policy
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
        policy: LiftPolicy,
        local: Mapping[str, Any] | None = None,
        member: Member | None = None,
        rng: Any = None,
    ) -> None:
        self.frame = frame
        parent = frame.lifts[-1].local if frame.lifts else {}
        self.lift = Lift(policy, {**parent, **(local or {})}, member)
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
    return member.policy.axis(collections)


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
        if member.slots is not None and axis == 0 and handle.name not in local:
            value = member.slots.slice_of(handle)  # the scan passes the slice in
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
    if not lift.policy.shared_assign and handle._stack_axis is None and not frame.is_init:
        raise AssignError(
            f"assign to variable {handle.name} inside {lift.what}: the variable is shared by every "
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


# -- the lifting primitive ---------------------------------------------------------------
Body = Callable[..., tuple[Any, dict[str, Any], list[Any]]]


class Pack:
    """One call of a lifted transform: its policy, and what its bodies did.

    ``body(fn)`` is ``fn`` made a lifted body, ``body(state, key, members, *args)
    -> (out, state, added)``:

    * ``state``: the values the body starts from (the carried state, or ``{}``);
    * ``key``: its rng key per ``split_rng`` (None: the frame's stream);
    * ``members``: ``(n, index)`` when the policy has members, else None;
    * returns ``fn(*args)``, the state out (the carried names, or the assigned ones)
      and the arrays it added to collections.
    """

    __slots__ = ("frame", "policy", "assigned", "added_keys", "slots")

    def __init__(self, frame: Frame, policy: LiftPolicy) -> None:
        self.frame = frame
        self.policy = policy
        self.assigned: set[str] = set()  # names any body assigned
        self.added_keys: list[Any] = []  # collections the body added arrays to, one per add
        self.slots = Slots() if policy.members_as_xs else None

    def body(self, fn: Callable[..., Any]) -> Body:
        """``fn`` as a lifted body (see the class)."""
        frame, policy = self.frame, self.policy

        def lifted_body(
            state: dict[str, Any], key: Any, members: tuple[int, Any] | None, *args: Any
        ) -> tuple[Any, dict[str, Any], list[Any]]:
            member = None
            if members is not None:
                n, index = members
                member = Member(n, index, policy, self.slots)
                if policy.split_rng == "per_member" and key is not None:
                    key = jax.random.fold_in(key, index)
            with lifted(frame, policy, local=state, member=member, rng=key) as lift:
                out = fn(*args)
                self.assigned.update(lift.assigned)
                added = take_added(frame, lift, policy.what, allowed=policy.collect)
                self.added_keys[:] = [k for k, _ in lift.added]
                names = state if policy.state == "carry" else sorted(lift.assigned)
                return out, {k: lift.local[k] for k in names}, added

        return lifted_body


def _rng(frame: Frame, policy: LiftPolicy, length: int | None) -> Any:
    """The key(s) handed to the transform (None: inherit, or no rng in this call)."""
    if policy.split_rng == "inherit" or not frame.rngs.has_key():
        return None
    if policy.split_rng == "per_step":
        assert length is not None, "a per-step rng needs the number of steps"
        return jax.random.split(next_rng_key(), length)
    return next_rng_key()


def run_lifted(
    frame: Frame,
    policy: LiftPolicy,
    transform: Callable[[Pack, dict[str, Any], Any], tuple[Any, dict[str, Any], list[Any]]],
    length: int | None = None,
) -> Any:
    """Run a lifted transform: the one protocol every ``sj`` transform follows.

    In this order: collect the state to carry (``policy.state == "carry"``: every
    variable ``assign`` may change, :func:`carried_state`), draw the rng
    (``policy.split_rng``), call ``transform`` (which runs a JAX transformation of
    ``pack.body(fn)``; each body opens its :class:`Lift` and takes out the arrays it
    added to collections), commit the state the bodies assigned, and add the
    collected arrays back.

    Args:
      frame: the current frame.
      policy: what the transform does with variables, state, rng and collections.
      transform: ``transform(pack, state, key) -> (out, state, added)``: picks the
        JAX primitive. ``state`` out holds the new values by name (per-member ones
        already on their stack axis); ``added`` the arrays threaded out, one per add.
      length: the number of steps (``split_rng="per_step"``).

    Returns:
      The transform's ``out``.

    Raises:
      TransformError: a body added arrays to collections and ``policy.collect`` is off.
    """
    state = carried_state(frame) if policy.state == "carry" else {}
    key = _rng(frame, policy, length)
    pack = Pack(frame, policy)
    out, new, added = transform(pack, state, key)
    commit(frame, {k: new[k] for k in sorted(pack.assigned) if k in new})
    add_back(frame, pack.added_keys, added)
    return out


def _aval(x: Any, drop_leading: bool) -> jax.ShapeDtypeStruct:
    t = jax.typeof(x)
    shape = t.shape[1:] if drop_leading else t.shape
    return jax.ShapeDtypeStruct(shape, t.dtype, weak_type=t.weak_type)


def scan_members(
    pack: Pack,
    body: Callable[[Any, Any], tuple[Any, Any]],
    carry: Any,
    xs: Any,
    length: int,
    reverse: bool,
    unroll: int | bool,
) -> tuple[Any, Any]:
    """``lax.scan(body, carry, xs)``; the stacked variables the body reads come in as xs.

    The body is traced once (``make_jaxpr``); each stacked variable it reads is a
    placeholder that ends up among the traced body's constants (:class:`Slots`), and
    the scan replaces it by that step's slice of the stack, passed as xs. Which
    variables are passed is known by construction: exactly those the body read.
    Everything runs in a jaxpr trace of its own, so that the placeholders are tracers
    (a nested ``jax.jit`` could keep a concrete one inside its own program).
    """
    slots = pack.slots
    assert slots is not None, "scan_members needs a policy with members_as_xs"

    def build(carry: Any, xs: Any) -> tuple[Any, Any]:
        slots.trace = current_trace()
        step, shapes = jax.make_jaxpr(body, return_shape=True)(
            jax.tree.map(lambda a: _aval(a, False), carry),
            jax.tree.map(lambda a: _aval(a, True), xs),
        )
        where = {id(c): k for k, c in enumerate(step.consts)}
        positions: list[int] = []
        wholes: list[Any] = []
        for placeholder, whole in slots.taken.values():
            if id(placeholder) not in where:  # pragma: no cover - tracers are always hoisted
                raise AssertionError("scopejax: a stacked variable's slice was not passed in")
            positions.append(where[id(placeholder)])
            wholes.append(whole)
        out_tree = jax.tree.structure(shapes)

        def replay(c: Any, inp: Any) -> tuple[Any, Any]:
            x, slices = inp
            consts = list(step.consts)
            for k, s in zip(positions, slices, strict=True):
                consts[k] = s
            flat = jaxpr_as_fun(ClosedJaxpr(step.jaxpr, consts))(*jax.tree.leaves((c, x)))
            return jax.tree.unflatten(out_tree, flat)

        return jax.lax.scan(
            replay, carry, (xs, wholes), length=length, reverse=reverse, unroll=unroll
        )

    closed, shapes = jax.make_jaxpr(build, return_shape=True)(carry, xs)
    out = jaxpr_as_fun(closed)(*jax.tree.leaves((carry, xs)))
    return jax.tree.unflatten(jax.tree.structure(shapes), out)


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


def stack_axis_of(frame: Frame, name: str) -> int:
    """The member axis of per-member variable ``name`` (0 when it has none recorded)."""
    handle = frame.registry.by_name(name)
    assert handle is not None, name  # a lifted body read or assigned it
    return handle._stack_axis or 0


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
