"""``sj.remat``, ``sj.cond`` and ``sj.switch`` for functions that call ``get_variable``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import current_frame
from scopejax._src.core.errors import TransformError

REMAT = _lift.LiftPolicy("sj.remat", state="return")
"""``sj.remat``: variables broadcast; the state the body assigns returned; the frame's rng."""

COND = _lift.LiftPolicy("sj.cond", collect=False)
"""``sj.cond``: variables broadcast; state carried through every branch; the frame's rng;
branches cannot add arrays to collections."""

SWITCH = _lift.LiftPolicy("sj.switch", collect=False)
"""``sj.switch``: as :data:`COND`."""


def remat(
    fn: Callable[..., Any],
    *,
    policy: Callable[..., bool] | None = None,
    prevent_cse: bool = True,
    static_argnums: int | tuple[int, ...] = (),
) -> Callable[..., Any]:
    """``jax.checkpoint`` (rematerialisation) for functions that call ``get_variable``.

    Activations inside ``fn`` are recomputed on the backward pass instead of
    stored (``policy`` chooses what may be saved, as in ``jax.checkpoint``).
    Variables and ``assign`` behave as without it.

    Args:
      fn: the function to rematerialise; it may call ``get_variable`` and ``assign``.
      policy: which intermediates may be saved, as ``jax.checkpoint``'s ``policy``;
        None: ``jax.checkpoint``'s default.
      prevent_cse: as in ``jax.checkpoint``: True keeps XLA from merging the
        recomputation into the forward pass (False is safe inside a scan).
      static_argnums: positions of ``fn``'s arguments taken as static (``jax.checkpoint``).

    Returns:
      ``fn`` rematerialised, taking ``fn``'s positional arguments; call it inside a
      transformed function.

    Raises:
      TransformError: ``fn`` is not callable.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> block = sj.remat(lambda x: jnp.tanh(sj.nn.Dense(4)(x)))
    >>> net = sj.transform(lambda x: block(x).sum())
    >>> store = net.init(jax.random.key(0), jnp.ones([2, 4]))
    >>> jax.grad(net.apply)(store, jnp.ones([2, 4]))["dense/kernel"].shape
    (4, 4)
    """
    if not callable(fn):
        raise TransformError(f"sj.remat takes a function, got {type(fn).__name__}.")

    def rematted(*args: Any) -> Any:
        def transform(pack: _lift.Pack, state: dict[str, Any], key: Any) -> Any:
            body = pack.body(fn)
            ckpt = jax.checkpoint(
                lambda *a: body(state, key, None, *a),
                policy=policy,
                prevent_cse=prevent_cse,
                static_argnums=static_argnums,
            )
            return ckpt(*args)

        return _lift.run_lifted(current_frame("remat"), REMAT, transform)

    rematted.__name__ = f"remat_{getattr(fn, '__name__', 'fn')}"
    return rematted


def _branches(pack: _lift.Pack, fns: Sequence[Callable[..., Any]], key: Any) -> list[Any]:
    """Each branch as ``body(state, *operands) -> (out, state, added)``."""

    def branch(fn: Callable[..., Any]) -> Callable[..., Any]:
        body = pack.body(fn)
        return lambda state, *operands: body(state, key, None, *operands)

    return [branch(fn) for fn in fns]


def cond(pred: Any, true_fn: Callable[..., Any], false_fn: Callable[..., Any], *operands: Any):
    """``jax.lax.cond`` for branches that call ``get_variable``.

    As with TF1's ``tf.cond``, both branches are built: at ``init`` the
    variables of each are created (``true_fn``'s first), and the store holds
    them all; at ``apply`` only the chosen branch runs. Both branches must
    return the same structure. Variables either branch may ``assign``
    (``apply_with_state``) pass through both.

    Args:
      pred: a boolean scalar (a Python bool or an array); true runs ``true_fn``.
      true_fn: the branch run when ``pred`` is true, called as ``true_fn(*operands)``.
      false_fn: the branch run when ``pred`` is false, called as ``false_fn(*operands)``.
      *operands: the arguments passed to the chosen branch.

    Returns:
      The chosen branch's output.

    Raises:
      TransformError: a branch added arrays to collections.
      NotInTransformError: called outside a transformed function.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(x, training):
    ...     return sj.cond(training, lambda x: sj.nn.Dense(2, name="a")(x),
    ...                    lambda x: sj.nn.Dense(2, name="b")(x), x)
    >>> net = sj.transform(f)
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 3]), True)
    >>> store.names()
    ['a/bias', 'a/kernel', 'b/bias', 'b/kernel']
    """
    frame = current_frame("cond")

    def transform(pack: _lift.Pack, state: dict[str, Any], key: Any) -> Any:
        branches = _branches(pack, (true_fn, false_fn), key)

        def run(pred: Any, state: Any, operands: tuple) -> Any:
            return jax.lax.cond(pred, *branches, state, *operands)

        return _lift.run_eager(COND.what, run, pred, state, operands)

    return _lift.run_lifted(frame, COND, transform)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``jax.lax.switch`` for branches that call ``get_variable`` (every branch is built).

    Args:
      index: an integer scalar choosing the branch, clamped to the range of ``branches``
        as in ``jax.lax.switch``.
      branches: the functions, each called as ``branch(*operands)``.
      *operands: the arguments passed to the chosen branch.

    Returns:
      The chosen branch's output.

    Raises:
      TransformError: ``branches`` is empty or holds a non-callable, or a branch added
        arrays to collections.
      NotInTransformError: called outside a transformed function.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(x, i):
    ...     heads = [lambda x, k=k: sj.nn.Dense(k + 1, name=f"h{k}")(x).sum() for k in range(3)]
    ...     return sj.switch(i, heads, x)
    >>> net = sj.transform(f)
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 3]), 0)
    >>> sorted({n.split("/")[0] for n in store.names()})
    ['h0', 'h1', 'h2']
    """
    frame = current_frame("switch")
    if not branches or not all(callable(b) for b in branches):
        raise TransformError("sj.switch takes a non-empty sequence of functions as branches.")

    def transform(pack: _lift.Pack, state: dict[str, Any], key: Any) -> Any:
        bodies = _branches(pack, branches, key)

        def run(index: Any, state: Any, operands: tuple) -> Any:
            return jax.lax.switch(index, bodies, state, *operands)

        return _lift.run_eager(SWITCH.what, run, index, state, operands)

    return _lift.run_lifted(frame, SWITCH, transform)
