"""``fit`` and ``evaluate``: a training loop with a progress bar, for scripts and notebooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import numpy as np

from scopejax._train import Trainer, TrainState, _as_batches


def _tuple(batch: Any) -> tuple[Any, ...]:
    return batch if isinstance(batch, tuple) else (batch,)


def fit(
    trainer: Trainer,
    state: TrainState,
    batches: Iterable[Any] | Callable[[int], Iterable[Any]],
    epochs: int = 1,
    rng: jax.Array | None = None,
    progress: bool = True,
    history: list[dict[str, float]] | None = None,
    desc: str = "train",
) -> TrainState:
    """Run ``trainer.step`` over ``batches`` (tuples of step arguments) for ``epochs``.

    ``batches`` is an iterable, or a callable ``epoch -> iterable`` for a fresh
    shuffle per epoch. With ``rng`` every step gets ``fold_in(rng, step)``. A
    tqdm bar (when tqdm is installed and ``progress``) shows the loss, the
    accuracy if the metrics have one, and steps/s; ``history`` (a list) receives
    every step's metrics as floats. Returns the final state.
    """
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            total = None
            if not callable(batches) and hasattr(batches, "__len__"):
                total = len(batches) * epochs  # type: ignore[arg-type]
            bar = tqdm(desc=desc, unit="step", leave=True, total=total)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            bar = None
    n = 0
    step0 = int(state.step) if rng is not None else 0  # one host sync, not one per step
    try:
        for epoch in range(epochs):
            for batch in _as_batches(batches, epoch):
                key = None if rng is None else jax.random.fold_in(rng, step0 + n)
                state, metrics = trainer.step(state, *_tuple(batch), rng=key)
                n += 1
                if history is not None or (bar is not None and n % 10 == 0):
                    host = {k: float(np.asarray(v)) for k, v in metrics.items() if np.ndim(v) == 0}
                    if history is not None:
                        history.append(host)
                    if bar is not None and n % 10 == 0:
                        post = {
                            k: f"{v:.4f}"
                            for k, v in host.items()
                            if k in ("loss", "accuracy", "acc")
                        }
                        post["epoch"] = str(epoch)
                        bar.set_postfix(post, refresh=False)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return state


def evaluate(
    fn: Callable[..., dict[str, Any]], store: Any, batches: Iterable[Any]
) -> dict[str, float]:
    """Average the scalar metrics ``fn(store, *batch)`` returns over ``batches``,
    weighting each batch by its size (the leading dimension of its first array)."""
    totals: dict[str, float] = {}
    weight = 0.0
    for batch in batches:
        batch = _tuple(batch)
        w = float(np.shape(batch[0])[0]) if np.ndim(batch[0]) else 1.0
        out = fn(store, *batch)
        for k, v in out.items():
            totals[k] = totals.get(k, 0.0) + float(np.asarray(v)) * w
        weight += w
    if not weight:
        raise ValueError("evaluate: no batches.")
    return {k: v / weight for k, v in totals.items()}
