"""``fit(..., logdir=)``: the loss, metrics, learning rate and per-collection gradient and
update norms as TensorBoard scalars (``sj.summary``), every ``log_every`` steps."""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.store import Store
from scopejax._src.summary.writer import SummaryWriter


@jax.jit
def _norms(grads: Store, updates: Store) -> dict[str, jax.Array]:
    """``{"grad_norm/<collection>": ..., "update_norm/<collection>": ...}``, global L2 norms
    over each collection's variables (the collections are static: a Store's metadata)."""
    out: dict[str, jax.Array] = {}
    for kind, tree in (("grad_norm", grads), ("update_norm", updates)):
        if not isinstance(tree, Store):
            continue
        by: dict[str, list[jax.Array]] = {}
        for name, value in tree.flat().items():
            for c in tree.info(name).collections:
                by.setdefault(str(c), []).append(value)
        for c, values in sorted(by.items()):
            total = sum(jnp.sum(jnp.square(jnp.asarray(v, jnp.float32))) for v in values)
            out[f"{kind}/{c}"] = jnp.sqrt(total)
    return out


def learning_rate(opt_state: Any) -> float | None:
    """The learning rate an optimizer state exposes (``optax.inject_hyperparams``), or None.

    Args:
      opt_state: the optimizer state (any pytree of optax states).

    Returns:
      The first ``hyperparams["learning_rate"]`` found, as a float, or None.
    """
    found: list[Any] = []

    def visit(node: Any) -> bool:
        hp = getattr(node, "hyperparams", None)
        if isinstance(hp, dict) and "learning_rate" in hp and not found:
            found.append(hp["learning_rate"])
        return False

    jax.tree_util.tree_flatten(opt_state, is_leaf=lambda n: visit(n))
    return None if not found else float(np.asarray(found[0]))


class FitLogger:
    """Writes one run's scalars; ``due(n)`` says whether step ``n`` (0-based) is logged.

    Args:
      logdir: the run's folder.
      every: log every this many steps (and the first).
    """

    def __init__(self, logdir: str | os.PathLike[str], every: int) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"fit: log_every must be an int >= 1, got {every!r}.")
        self.writer = SummaryWriter(logdir)
        self.every = every

    def due(self, n: int) -> bool:
        return n % self.every == 0

    def norms(self, trainer: Any, state: Any, batch: tuple, key: Any, step: int) -> None:
        """Gradient and update norms per collection at ``state`` (before the step: the
        step donates it). One extra forward and backward pass, on logged steps only."""
        _, grads, updates = trainer.gradients(state, *batch, rng=key)
        for tag, value in jax.device_get(_norms(grads, updates)).items():
            self.writer.scalar(tag, value, step)

    def metrics(self, metrics: dict[str, Any], state: Any, step: int) -> None:
        for k, v in metrics.items():
            if np.ndim(v) == 0:
                self.writer.scalar(f"train/{k}", v, step)
        lr = learning_rate(state.opt_state)
        if lr is not None:
            self.writer.scalar("train/learning_rate", lr, step)

    def close(self) -> None:
        self.writer.close()
