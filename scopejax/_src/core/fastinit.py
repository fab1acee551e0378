"""Fast ``init``: find the variables without running the model, then draw them in groups.

TF1 never ran a model to initialise it: its initializer op ran the initializers
alone. ``init`` does the same in two steps.

1. *Discover.* The function runs once under ``jax.make_jaxpr`` with the init
   frame in planning mode. ``get_variable`` / ``Variable`` record each new
   variable (name, shape, dtype, collections, initializer, device); the forward
   pass is traced, never compiled or run.
2. *Materialise.* Variables drawn by the same built-in initializer config with
   the same shape and dtype are drawn by one vmapped call over their name
   hashes (bit-identical to drawing each on its own: ``fold_in(key, hash)``
   then the draw); constants are converted; every other initial value (a user
   initializer function, a value computed from the inputs or from other
   variables) is computed by evaluating the part of the traced program it
   depends on, after dead-code elimination has dropped the rest of the forward
   pass.

Compile time of ``jax.jit(init)`` then grows with the number of distinct
(initializer, shape, dtype) groups, not with the number of variables. When
the function needs concrete values at init (Python control flow on an array,
``np.asarray`` of an activation), discovery fails and ``init`` runs the
function forward instead, as TF1-style eager code expects.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from scopejax._src.core.context import Frame
from scopejax._src.core.errors import ScopejaxError
from scopejax._src.core.initializers import Initializer, draw_one, is_batchable, shaped_draws
from scopejax._src.core.jaxcompat import dce_jaxpr
from scopejax._src.core.request import Next, VariableRequest, checked, run_initializer
from scopejax._src.core.rng import stable_hash
from scopejax._src.core.sharding import check_one_device, place, put_on_device

log = logging.getLogger("scopejax")

_empty: Callable[[tuple[int, ...], np.dtype], jax.Array]
if hasattr(jax.lax, "empty"):  # an array whose values are never read: cheapest to trace
    _empty = jax.lax.empty
else:  # pragma: no cover - older jax

    def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> jax.Array:
        return jax.lax.broadcast_in_dim(np.zeros((), dtype), shape, ())

    _empty = _zeros

_NEEDS_CONCRETE = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


class Plan:
    """What discovery learnt about each new variable's initial value."""

    __slots__ = (
        "exact",
        "placeholders",
        "groups",
        "consts",
        "traced",
        "devices",
        "shardings",
        "recorded",
    )

    def __init__(self, exact: bool = False) -> None:
        # exact: every drawn value is drawn in the trace too (needed when a traced
        # initial value may depend on it); else batchable draws are zero placeholders
        self.exact = exact
        self.placeholders = 0
        # (initializer, shape, dtype, sharding) -> [(graph name, key)]: one vmapped draw each
        self.groups: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
        self.consts: dict[str, tuple[Any, np.dtype]] = {}  # concrete initial values
        # values computed in the trace (user initializers, values from the inputs):
        # evaluated from the discovery program, one draw each
        self.traced: dict[str, Any] = {}
        self.devices: dict[str, Any] = {}  # placement under sj.device(...)
        self.shardings: dict[str, Any] = {}  # NamedSharding (sj.sharding) by name
        self.recorded: dict[str, Any] = {}  # the value discovery recorded for each name

    def final(self, name: str, value: Any) -> None:
        """The value the whole creation chain returned for ``name``.

        When an interceptor outside discovery changed it (e.g. ``intercepting``), the
        recorded draw or constant is not the value any more: it becomes a traced value
        (and, if it was computed from a placeholder, discovery is redone exactly).
        """
        if self.recorded.get(name) is value:
            return
        for key, members in list(self.groups.items()):
            kept = [m for m in members if m[0] != name]
            if len(kept) != len(members):
                if kept:
                    self.groups[key] = kept
                else:
                    del self.groups[key]
        self.consts.pop(name, None)
        self.traced[name] = value
        self.recorded[name] = value

    def placeholder(self, initializer: Initializer, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        """A stand-in for a batchable draw (shape and dtype only), or None to draw it."""
        if self.exact or not _groupable(initializer):
            return None
        out = _draw_shape(initializer, shape, dtype)  # the draw's own checks, once per group
        self.placeholders += 1
        return _empty(out.shape, out.dtype)

    def drawn(
        self,
        name: str,
        key: str,
        initializer: Initializer,
        shape: tuple[int, ...],
        dtype: np.dtype,
        value: Any,
        device: Any,
        sharding: Any = None,
    ) -> None:
        """``name`` is ``initializer`` drawn from ``fold_in(init_key, stable_hash(key))``.

        Batchable built-in configs join a group (one per sharding too: each group is
        drawn straight into its sharding); any other initializer (a user subclass, or
        one holding a traced value) keeps its traced draw.
        """
        if device is not None:
            self.devices[name] = device
        if sharding is not None:
            self.shardings[name] = sharding
        if _groupable(initializer):
            group = (initializer, shape, dtype, sharding)
            self.groups.setdefault(group, []).append((name, key))
        else:
            self.traced[name] = value
        self.recorded[name] = value

    def computed(self, name: str, raw: Any, value: Any, device: Any, sharding: Any = None) -> None:
        """``name``'s initial value came from ``raw`` (a constant or a traced result)."""
        if device is not None:
            self.devices[name] = device
        if sharding is not None:
            self.shardings[name] = sharding
        if isinstance(raw, jax.core.Tracer):
            self.traced[name] = value
        else:
            self.consts[name] = (raw, np.dtype(value.dtype))
        self.recorded[name] = value


_KEY_DTYPE = jax.eval_shape(jax.random.key, 0).dtype


@functools.lru_cache(maxsize=4096)
def _draw_shape(initializer: Initializer, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """What ``initializer`` draws for this shape and dtype (raising as the draw would)."""
    key = jax.ShapeDtypeStruct((), _KEY_DTYPE) if initializer.needs_key else None
    return jax.eval_shape(lambda k: initializer.draw(k, shape, dtype), key)


def _groupable(initializer: Initializer) -> bool:
    """A built-in, hashable config holding no traced value: drawn in a group."""
    if not is_batchable(initializer):
        return False
    config = list(getattr(initializer, "__dict__", {}).values())
    if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(config)):
        return False
    try:
        hash(initializer._config())
    except TypeError:
        return False
    return True


def _needs_concrete(e: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, _NEEDS_CONCRETE):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def _split_args(args: tuple, kwargs: dict) -> tuple[list[Any], Callable[[list], tuple]]:
    """Arrays (and ShapeDtypeStructs) become inputs of the trace; the rest stays static."""
    leaves, treedef = jax.tree.flatten((args, kwargs))
    idx = [i for i, x in enumerate(leaves) if isinstance(x, (jax.Array, jax.ShapeDtypeStruct))]

    def rebuild(dyn: list[Any]) -> tuple:
        full = list(leaves)
        for i, d in zip(idx, dyn, strict=True):
            full[i] = d
        return jax.tree.unflatten(treedef, full)

    return [leaves[i] for i in idx], rebuild


def discover(
    new_frame: Callable[[], Frame],
    run: Callable[[Frame, tuple, dict], Any],
    args: tuple,
    kwargs: dict,
) -> tuple[Frame, Any, list[Any]] | None:
    """Trace ``run`` in a new init frame in planning mode.

    Returns the frame, the closed program whose outputs are the traced initial
    values, and its inputs; or None when the function needs concrete values
    (then the caller runs it forward). A traced initial value may read other
    variables, so when there is one and placeholders stood in for draws, the
    trace is redone drawing every value.
    """
    for exact in (False, True):
        frame = new_frame()
        try:
            found = _discover(frame, run, args, kwargs, exact)
        except BaseException:
            frame.release()
            raise
        if found is None:
            frame.release()
            return None
        if not (frame.plan.traced and frame.plan.placeholders):
            break
        frame.release()
    assert found is not None  # the loop ran and returned on None
    return (frame, *found)


def _discover(
    frame: Frame, run: Callable[[Frame, tuple, dict], Any], args: tuple, kwargs: dict, exact: bool
) -> tuple[Any, list[Any]] | None:
    frame.plan = Plan(exact)
    dyn, rebuild = _split_args(args, kwargs)

    def body(*leaves: Any) -> list[Any]:
        a, k = rebuild(list(leaves))
        frame.follow_current_trace()
        run(frame, a, k)
        return list(frame.plan.traced.values())

    try:
        closed = jax.make_jaxpr(body)(*dyn)
    except ScopejaxError:
        raise
    except Exception as e:
        if not _needs_concrete(e):
            raise
        log.debug("scopejax init: the function needs concrete values (%s); running it forward", e)
        return None
    return closed, dyn


@functools.lru_cache(maxsize=1024)
def _group_draw(
    initializer: Initializer, shape: tuple[int, ...], dtype: np.dtype, n: int, sharding: Any = None
):
    """A jitted ``(init_key, hashes[n]) -> values[n, *shape]``: one vmapped draw for all;
    with a ``NamedSharding`` for one value, the batch is born with it (stacked axis
    unsplit), so no device ever holds a whole value."""

    def fn(key: jax.Array, hashes: jax.Array) -> jax.Array:
        if initializer.needs_key:
            return jax.vmap(lambda h: initializer.draw(jax.random.fold_in(key, h), shape, dtype))(
                hashes
            )
        return jax.numpy.broadcast_to(initializer.draw(None, shape, dtype), (n, *shape))

    if sharding is not None:  # drawn with its shape, so each device draws its own part
        flat_fn = fn

        def fn(key: jax.Array, hashes: jax.Array) -> jax.Array:
            with shaped_draws():
                return flat_fn(key, hashes)

    if sharding is None:
        return jax.jit(fn)
    stacked = NamedSharding(sharding.mesh, PartitionSpec(None, *sharding.spec))
    return jax.jit(fn, out_shardings=stacked)


def _index(batch: jax.Array, i: jax.Array) -> jax.Array:
    return jax.lax.dynamic_index_in_dim(batch, i, keepdims=False)


_take = jax.jit(_index)


@functools.lru_cache(maxsize=256)
def _take_into(sharding: Any) -> Callable[[jax.Array, Any], jax.Array]:
    """``_take`` whose result has ``sharding`` (each device slices its own shard)."""
    return jax.jit(_index, out_shardings=sharding)


def _unstack(batch: jax.Array, sharding: Any = None) -> list[jax.Array]:
    """The rows of ``batch`` as separate arrays (each owns its buffer)."""
    n = batch.shape[0]
    if isinstance(batch, jax.core.Tracer):
        return [jax.lax.index_in_dim(batch, i, keepdims=False) for i in range(n)]
    # eager: one compiled dynamic slice for every row (a static slice compiles per row)
    take = _take if sharding is None else _take_into(sharding)
    return [take(batch, i) for i in range(n)]


def _evaluate_traced(closed: Any, dyn: list[Any], n_out: int) -> list[Any]:
    """Run the part of the discovery program that computes the traced initial values."""
    from jax.extend.core import ClosedJaxpr, jaxpr_as_fun

    kept, ok = dce_jaxpr(closed.jaxpr, n_out)
    if not ok:  # pragma: no cover - see jaxcompat
        return jaxpr_as_fun(closed)(*dyn)
    return jaxpr_as_fun(ClosedJaxpr(kept, []))(*closed.consts, *dyn)


def _evaluate_traced_into(closed: Any, dyn: list[Any], shardings: list[Any]) -> list[Any]:
    """:func:`_evaluate_traced` as one jitted program whose outputs are born in their
    shardings (a stacked ``layer_stack`` variable is never whole on one device). The
    program is compiled once per (discovery program, shardings)."""
    from jax.extend.core import ClosedJaxpr, jaxpr_as_fun

    kept, ok = dce_jaxpr(closed.jaxpr, len(shardings))
    if not ok:  # pragma: no cover - see jaxcompat
        return _evaluate_traced(closed, dyn, len(shardings))
    key = (str(kept), tuple(shardings))
    fn = _TRACED_PROGRAMS.get(key)
    if fn is None:
        body = jaxpr_as_fun(ClosedJaxpr(kept, []))

        def run(*args: Any) -> list[Any]:
            values = body(*args)
            return [place(v, s) for v, s in zip(values, shardings, strict=True)]

        if len(_TRACED_PROGRAMS) >= 64:
            _TRACED_PROGRAMS.clear()
        fn = _TRACED_PROGRAMS[key] = jax.jit(run)
    return fn(*closed.consts, *dyn)


_TRACED_PROGRAMS: dict[tuple[Any, ...], Callable[..., list[Any]]] = {}


def materialise(frame: Frame, closed: Any, dyn: list[Any]) -> None:
    """Fill the frame's initial values from the plan discovery made."""
    plan: Plan = frame.plan
    key = frame.init_key
    out = dict(frame.registry.initial())
    for (initializer, shape, dtype, sharding), members in plan.groups.items():
        if len(members) > 1 or sharding is not None:
            hashes = np.array([stable_hash(k) for _, k in members], np.uint32)
            try:
                draw = _group_draw(initializer, shape, dtype, len(members), sharding)
                values = _unstack(draw(key, hashes), sharding)
            except Exception as e:  # not vmap-able after all: one draw each
                log.debug("scopejax init: batched draw of %r failed (%s)", initializer, e)
                values = [draw_one(initializer, shape, dtype, key, k) for _, k in members]
        else:
            values = [draw_one(initializer, shape, dtype, key, members[0][1])]
        for (name, _), v in zip(members, values, strict=True):
            out[name] = v
    for name, (raw, dtype) in plan.consts.items():
        out[name] = jax.numpy.asarray(raw, dtype)
    if plan.traced:
        shardings = [plan.shardings.get(name) for name in plan.traced]
        eager = not any(isinstance(x, jax.core.Tracer) for x in dyn)
        if eager and any(s is not None for s in shardings):
            values = _evaluate_traced_into(closed, dyn, shardings)
        else:
            values = _evaluate_traced(closed, dyn, len(plan.traced))
        for name, v in zip(plan.traced, values, strict=True):
            out[name] = v
    check_one_device({n: d for n, d in plan.devices.items() if isinstance(out[n], jax.core.Tracer)})
    for name, dev in plan.devices.items():
        out[name] = put_on_device(out[name], dev)
    for name, sharding in plan.shardings.items():
        out[name] = place(out[name], sharding)  # a no-op for the born-sharded draws
    frame.registry.set_initial(out)  # in get_variable order


def abstract_values(frame: Frame) -> dict[str, jax.ShapeDtypeStruct]:
    """Every discovered variable as a ``ShapeDtypeStruct`` (no value drawn)."""
    shardings = frame.plan.shardings
    return {
        name: jax.ShapeDtypeStruct(h.shape, h.dtype, sharding=shardings.get(name))
        for name, h in frame.registry.items()
    }


def settled(req: VariableRequest, next: Next) -> Any:
    """Interceptor, outermost: in fast init's discovery, tell the plan the value the whole
    chain settled on (an outer interceptor may have replaced the one discovery recorded)."""
    value = next(req)
    plan: Plan | None = req.frame.plan
    if plan is not None:
        plan.final(req.graph_name, value)
    return value


def discovery(req: VariableRequest, next: Next) -> Any:
    """Interceptor: in fast init's discovery, stand in for batchable draws and record how
    each value is made (a grouped draw, a constant, or a traced computation)."""
    plan: Plan | None = req.frame.plan
    if plan is None:
        return next(req)
    inst = req.initializer
    if inst is not None and req.axis is None and req.shape is not None:
        shape, dtype = req.shape, req.dtype
        assert dtype is not None  # a keyed draw always has its dtype
        stand_in = run_initializer(req, lambda: plan.placeholder(inst, shape, dtype))
        if stand_in is not None:
            value = checked(req.name, stand_in, shape, dtype)
        else:
            value = next(req)
        plan.drawn(req.graph_name, req.name, inst, shape, dtype, value, req.device, req.sharding)
        return value
    value = next(req)
    plan.computed(req.graph_name, req.raw, value, req.device, req.sharding)
    return value
