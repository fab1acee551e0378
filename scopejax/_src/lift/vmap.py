"""``sj.vmap``: map a function that calls ``get_variable`` over a batch axis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import current_frame, frame_stack
from scopejax._src.core.errors import TransformError
from scopejax._src.core.rng import next_rng_key


def _check_axes(variable_axes: Any) -> dict[Any, int | None]:
    if variable_axes is None:
        return {}
    if not isinstance(variable_axes, Mapping):
        raise TransformError(
            "sj.vmap: variable_axes must map collection names to an axis (int) or None "
            f"(shared), e.g. {{'trainable_variables': 0}}; got {type(variable_axes).__name__}."
        )
    for coll, axis in variable_axes.items():
        if axis is not None and (not isinstance(axis, int) or isinstance(axis, bool) or axis < 0):
            raise TransformError(
                f"sj.vmap: variable_axes[{coll!r}] = {axis!r} is not a valid axis: use a "
                "non-negative int (the member axis of the stacked variables) or None (shared)."
            )
    return dict(variable_axes)


def _axis_size(name: str) -> int:
    """The size of the mapped axis, known while the body is traced."""
    if hasattr(jax.lax, "axis_size"):
        return int(jax.lax.axis_size(name))
    return int(jax.lax.psum(1, name))  # pragma: no cover - older jax


def vmap(
    fn: Callable[..., Any],
    in_axes: Any = 0,
    out_axes: Any = 0,
    *,
    variable_axes: Mapping[Any, int | None] | None = None,
    split_rngs: bool = True,
    axis_size: int | None = None,
    axis_name: str | None = None,
) -> Callable[..., Any]:
    """``jax.vmap`` for functions that call ``get_variable``.

    ``variable_axes`` says, per collection, whether the variables ``fn``
    creates are shared by every member (``None``, the default for every
    collection) or one set per member (an int: the variables are stored stacked
    on that axis, member ``i`` reads slice ``i``; an ensemble). A variable takes
    the axis of the first of its collections listed. ``split_rngs`` gives each
    member its own ``next_rng_key()`` stream. ``assign`` works on per-member
    variables; assigning a shared one inside the map is an error.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def ensemble(x):
    ...     member = lambda x: sj.nn.Dense(2)(x)
    ...     return sj.vmap(member, in_axes=None, axis_size=5,
    ...                    variable_axes={"trainable_variables": 0})(x)
    >>> net = sj.transform(ensemble)
    >>> store = net.init(jax.random.key(0), jnp.ones([3, 4]))
    >>> store["dense/kernel"].shape
    (5, 4, 2)
    >>> net.apply(store, jnp.ones([3, 4])).shape
    (5, 3, 2)
    """
    axes_by_coll = _check_axes(variable_axes)
    if not callable(fn):
        raise TransformError(f"sj.vmap takes a function, got {type(fn).__name__}.")

    def axes(colls: list[Any]) -> int | None:
        for coll, axis in axes_by_coll.items():
            if coll in colls:
                return axis
        return None

    def mapped(*args: Any) -> Any:
        frame = current_frame("vmap")
        # the same name at every call (a new one would make each eager op of the body
        # compile again: the axis name is part of JAX's cache keys); unique among the
        # axes open around it, since each nesting level opens a frame or a lift
        name = axis_name or f"scopejax_vmap_{len(frame_stack())}_{_lift.depth(frame)}"
        base = next_rng_key() if frame.rngs.has_key() else None
        stack_axes: dict[str, int] = {}

        def body(*a: Any) -> tuple[Any, dict[str, Any], list[Any]]:
            index = jax.lax.axis_index(name)
            member = _lift.Member(_axis_size(name), index, axes)
            rng = None
            if base is not None:
                rng = jax.random.fold_in(base, index) if split_rngs else base
            with _lift.lifted(frame, "sj.vmap", member=member, rng=rng) as lift:
                out = fn(*a)
                state = {k: lift.local[k] for k in sorted(lift.assigned)}
                added = _lift.take_added(frame, lift, "sj.vmap")
                added_keys[:] = [k for k, _ in lift.added]
            for k in state:
                handle = frame.registry.by_name(k)
                assert handle is not None  # the body assigned it
                axis = handle._stack_axis
                stack_axes[k] = 0 if axis is None else axis
            return out, state, added

        added_keys: list[Any] = []
        out, state, added = jax.vmap(
            body, in_axes=in_axes, out_axes=(out_axes, 0, 0), axis_size=axis_size, axis_name=name
        )(*args)
        _lift.commit(frame, {k: jnp.moveaxis(v, 0, stack_axes[k]) for k, v in state.items()})
        _lift.add_back(frame, added_keys, added)
        return out

    mapped.__name__ = f"vmap_{getattr(fn, '__name__', 'fn')}"
    return mapped
