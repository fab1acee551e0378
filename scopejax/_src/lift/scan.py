"""``sj.scan`` and ``sj.layer_stack``: loops over steps or layers that create variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import Frame, current_frame
from scopejax._src.core.errors import TransformError


def _length(xs: Any, length: int | None, api: str) -> int:
    leaves = jax.tree.leaves(xs)
    sizes = {int(jnp.shape(x)[0]) if jnp.ndim(x) else -1 for x in leaves}
    if -1 in sizes:
        raise TransformError(f"{api}: every leaf of xs needs a leading axis to scan over.")
    if length is not None:
        sizes.add(int(length))
    if not sizes:
        raise TransformError(f"{api} needs xs or length= to know how many steps to run.")
    if len(sizes) > 1:
        raise TransformError(
            f"{api}: the leading axes of xs (and length) disagree: {sorted(sizes)}; every leaf "
            "must have the same number of steps."
        )
    return sizes.pop()


SCAN = _lift.LiftPolicy("sj.scan", split_rng="per_step")
"""``sj.scan``: variables broadcast to every step; state carried; one key per step."""

LAYER_STACK = _lift.LiftPolicy(
    "sj.layer_stack", variable_axes=0, split_rng="per_step", members_as_xs=True
)
"""``sj.layer_stack``: every variable created in the body stacked on axis 0 (one slice per
layer, passed to the scan as xs); state carried; one key per layer."""


def scan(
    fn: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """``jax.lax.scan`` for functions that call ``get_variable``: one set of variables.

    The variables ``fn`` asks for are created once, from the first step's shapes,
    and shared by every step, with the names a Python loop would give them
    (TF1's ``tf.while_loop`` RNN with ``reuse_variables()``): a model can switch
    between the loop and the scan without touching its checkpoint. The body is
    traced once, so compile time does not grow with the number of steps.

    At ``apply_with_state`` the variables ``assign`` may change are
    carried from step to step and the final values returned in the new store.
    ``next_rng_key()`` gives a different key at every step.

    Args:
      fn: one step, ``fn(carry, x) -> (new_carry, y)``.
      init: the initial carry (a pytree).
      xs: the inputs scanned over their leading axis (a pytree); None gives every step
        ``x=None`` and needs ``length``.
      length: the number of steps; None takes it from ``xs`` (both given: they agree).
      reverse: run the steps from last to first, as in ``jax.lax.scan``.
      unroll: steps unrolled per loop iteration, as in ``jax.lax.scan`` (True: all).

    Returns:
      ``(carry, ys)``: the final carry and the steps' ``y`` stacked on a leading axis.

    Raises:
      TransformError: a leaf of ``xs`` has no leading axis, neither ``xs`` nor
        ``length`` gives the number of steps, they disagree, or ``fn`` does not return
        a pair.
      NotInTransformError: called outside a transformed function.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def rnn(xs):
    ...     cell = sj.nn.BasicRNNCell(4)
    ...     def step(h, x):
    ...         out, h = cell(x, h)
    ...         return h, out
    ...     h, ys = sj.scan(step, jnp.zeros([2, 4]), xs)
    ...     return ys
    >>> net = sj.transform(rnn)
    >>> xs = jnp.ones([7, 2, 3])                      # [time, batch, features]
    >>> store = net.init(jax.random.key(0), xs)
    >>> store.names()
    ['basic_rnn_cell/bias', 'basic_rnn_cell/kernel']
    >>> net.apply(store, xs).shape
    (7, 2, 4)
    """
    frame = current_frame("scan")
    n = _length(xs, length, "sj.scan")

    def step(c: Any, x: Any, i: Any) -> tuple[Any, Any]:
        out = fn(c, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TransformError(
                "sj.scan: fn(carry, x) must return a pair (new_carry, y); got "
                f"{type(out).__name__}."
            )
        return out

    return _lifted_scan(frame, SCAN, step, init, xs, n, reverse, unroll)


def _lifted_scan(
    frame: Frame,
    policy: _lift.LiftPolicy,
    step: Callable[[Any, Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    n: int,
    reverse: bool,
    unroll: int | bool,
) -> tuple[Any, Any]:
    """``lax.scan`` of ``step(carry, x, i)`` as a lifted transform with ``policy``."""

    def transform(pack: _lift.Pack, state: dict[str, Any], keys: Any) -> Any:
        body = pack.body(step)
        members = policy.has_members

        def scan_body(carry: Any, inp: Any) -> tuple[Any, Any]:
            st, c = carry
            x, i, key = inp
            (c, y), st, added = body(st, key, (n, i) if members else None, c, x, i)
            return (st, c), (y, added)

        def run(carry: Any, inputs: Any) -> Any:
            if policy.members_as_xs:
                return _lift.scan_members(pack, scan_body, carry, inputs, n, reverse, unroll)
            return jax.lax.scan(scan_body, carry, inputs, length=n, reverse=reverse, unroll=unroll)

        inputs = (xs, jnp.arange(n), keys)
        (st, carry), (ys, added) = _lift.run_eager(policy.what, run, (state, init), inputs)
        return (carry, ys), st, added

    return _lift.run_lifted(frame, policy, transform, length=n)


def layer_stack(
    num_layers: int, fn: Callable[..., Any], *, unroll: int | bool = 1
) -> Callable[..., Any]:
    """``fn`` applied ``num_layers`` times in sequence, each with its own variables, in one scan.

    ``fn(x, *args) -> x`` is one block. Every variable it creates is stacked:
    one name (``blocks/dense/kernel``) with a leading axis of ``num_layers``, and
    layer ``i`` reads slice ``i``; variables created outside the stack are
    shared by all layers. Compile time is that of one block.
    :func:`unstack_layers` / :func:`stack_layers` convert to and from the names
    of an unrolled model (``block_0/dense/kernel``, ...).

    Args:
      num_layers: the number of layers (an int >= 1), the stacked variables' leading axis.
      fn: one block, ``fn(x, *args) -> x``, returning the structure it takes.
      unroll: layers unrolled per loop iteration, as in ``jax.lax.scan`` (True: all).

    Returns:
      ``stacked(x, *args) -> x``, running the ``num_layers`` blocks in sequence; call it
      inside a transformed function.

    Raises:
      TransformError: ``num_layers`` is not an int >= 1, or ``fn`` is not callable.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def model(x):
    ...     with sj.variable_scope("blocks"):
    ...         return sj.layer_stack(6, lambda h: jnp.tanh(sj.nn.Dense(8)(h)))(x)
    >>> net = sj.transform(model)
    >>> store = net.init(jax.random.key(0), jnp.ones([2, 8]))
    >>> store["blocks/dense/kernel"].shape
    (6, 8, 8)
    """
    if not isinstance(num_layers, int) or num_layers < 1:
        raise TransformError(f"sj.layer_stack: num_layers must be an int >= 1, got {num_layers!r}.")
    if not callable(fn):
        raise TransformError(f"sj.layer_stack takes a function, got {type(fn).__name__}.")

    def stacked(x: Any, *args: Any) -> Any:
        frame = current_frame("layer_stack")

        def step(h: Any, _: Any, i: Any) -> tuple[Any, None]:
            return fn(h, *args), None

        out, _ = _lifted_scan(frame, LAYER_STACK, step, x, None, num_layers, False, unroll)
        return out

    stacked.__name__ = f"layer_stack_{getattr(fn, '__name__', 'fn')}"
    return stacked
