"""``sj.vmap``: map a function that calls ``get_variable`` over a batch axis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import current_frame, frame_stack
from scopejax._src.core.errors import TransformError


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

    Args:
      fn: the function to map; it may call ``get_variable`` and ``assign``.
      in_axes: the mapped axis of each argument, as in ``jax.vmap`` (None: not mapped).
      out_axes: where the mapped axis goes in the outputs, as in ``jax.vmap``.
      variable_axes: collection name to axis (an int: one variable per member, stacked
        on that axis) or None (shared); None shares every variable.
      split_rngs: give each member its own ``next_rng_key()`` stream (default True);
        False: every member draws the same keys.
      axis_size: the number of members, needed when no argument is mapped (``jax.vmap``).
      axis_name: the mapped axis's name for collectives (``jax.lax.psum``, ...); None:
        a generated name.

    Returns:
      ``fn`` mapped; call it inside a transformed function.

    Raises:
      TransformError: ``variable_axes`` is not a mapping of collections to non-negative
        ints or None, or ``fn`` is not callable.

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

    policy = _lift.LiftPolicy(
        "sj.vmap",
        variable_axes=tuple(axes_by_coll.items()),
        state="return",
        split_rng="per_member" if split_rngs else "shared",
        shared_assign=False,
    )

    def mapped(*args: Any) -> Any:
        frame = current_frame("vmap")
        # the same name at every call (a new one would make each eager op of the body
        # compile again: the axis name is part of JAX's cache keys); unique among the
        # axes open around it, since each nesting level opens a frame or a lift
        name = axis_name or f"scopejax_vmap_{len(frame_stack())}_{_lift.depth(frame)}"

        def transform(pack: _lift.Pack, state: dict[str, Any], key: Any) -> Any:
            body = pack.body(fn)

            def member(*a: Any) -> Any:
                index = jax.lax.axis_index(name)
                return body(state, key, (_axis_size(name), index), *a)

            out_ax = (out_axes, 0, 0)
            vmapped = jax.vmap(
                member, in_axes=in_axes, out_axes=out_ax, axis_size=axis_size, axis_name=name
            )
            out, new, added = vmapped(*args)
            axes = {k: _lift.stack_axis_of(frame, k) for k in new}
            return out, {k: jnp.moveaxis(v, 0, axes[k]) for k, v in new.items()}, added

        return _lift.run_lifted(frame, policy, transform)

    mapped.__name__ = f"vmap_{getattr(fn, '__name__', 'fn')}"
    return mapped
