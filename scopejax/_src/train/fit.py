"""``fit`` and ``evaluate``: a training loop with a progress bar, for scripts and notebooks."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.errors import ScopejaxError
from scopejax._src.core.store import Store
from scopejax._src.train.fitlog import FitLogger
from scopejax._src.train.train import (
    NonFiniteError,
    Trainer,
    TrainState,
    _as_batches,
    raise_if_donated,
)

POLICIES = ("stop", "skip", "warn")


def _tuple(batch: Any) -> tuple[Any, ...]:
    return batch if isinstance(batch, tuple) else (batch,)


def _bar(progress: bool, desc: str, total: int | None, unit: str) -> Any:
    """A tqdm bar (notebook widget or text), or None without ``progress``."""
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(desc=desc, unit=unit, leave=True, total=total, dynamic_ncols=True)


@contextlib.contextmanager
def _compiling(bar: Any, desc: str, timing: dict[str, float], first_call: bool) -> Iterator[None]:
    """Around the first step: the bar says ``compiling``, then shows how long it took."""
    if bar is None or not first_call:
        yield
        return
    bar.set_description(f"{desc} (compiling the step)")
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    bar.set_description(desc, refresh=False)
    if seconds >= 0.05:  # else the step was compiled before (JAX's cache): nothing to show
        timing["compile"] = seconds
        bar.set_postfix({"compile": f"{seconds:.1f}s"}, refresh=False)


@jax.jit
def _finite_leaves(tree: Any) -> Any:
    return jax.tree.map(lambda v: jnp.all(jnp.isfinite(v)), tree)


def _nonfinite(store: Any) -> list[str]:
    """The variables of ``store`` (a Store) holding a NaN or an inf, by name."""
    if not isinstance(store, Store):
        return []
    inexact = store.filter(predicate=lambda i: jnp.issubdtype(jnp.dtype(i.dtype), jnp.inexact))
    flags = jax.device_get(_finite_leaves(inexact).flat())
    return [n for n, ok in flags.items() if not ok]


def _listed(names: list[str]) -> str:
    more = f" (and {len(names) - 1} more: {', '.join(names[1:4])}" if len(names) > 1 else ""
    return names[0] + (more + (" ...)" if len(names) > 4 else ")") if more else "")


def _diagnose(trainer: Trainer, state: TrainState, batch: tuple, key: Any) -> tuple[str, Any]:
    """Which variable makes the step non-finite: (a sentence, the first name or None)."""
    try:
        _, grads, updates = trainer.gradients(state, *batch, rng=key)
        bad_grads, bad_updates = _nonfinite(grads), _nonfinite(updates)
    except Exception as e:  # noqa: BLE001 - a diagnosis must not hide the real error
        return f"(the gradients could not be recomputed: {type(e).__name__}: {e})", None
    held = _nonfinite(state.store)
    sentence = ""
    if held:
        sentence = f"variable {_listed(held)} already holds non-finite values; "
    if bad_grads:
        return sentence + f"the first non-finite gradient is {_listed(bad_grads)}", bad_grads[0]
    if bad_updates:
        update = f"the optimizer's update of {_listed(bad_updates)}"
        return sentence + f"the gradients are finite but {update} is not", bad_updates[0]
    return sentence + "every gradient is finite (the loss itself is not)", None


def fit(
    trainer: Trainer,
    state: TrainState,
    batches: Iterable[Any] | Callable[[int], Iterable[Any]],
    epochs: int = 1,
    rng: jax.Array | None = None,
    progress: bool = True,
    history: list[dict[str, float]] | None = None,
    desc: str = "train",
    on_nonfinite: str = "stop",
    steps_per_epoch: int | None = None,
    logdir: str | os.PathLike[str] | None = None,
    log_every: int = 10,
) -> TrainState:
    """Run ``trainer.step`` over ``batches`` (tuples of step arguments) for ``epochs``.

    ``batches`` is an iterable, or a callable ``epoch -> iterable`` for a fresh
    shuffle per epoch. With ``rng`` every step gets ``fold_in(rng, step)``. A
    tqdm bar (``progress``) shows steps done of the total, the ETA, the loss, the
    accuracy if the metrics have one, and steps/s. Its total is known when
    ``batches`` has a length or ``steps_per_epoch`` is given, else after the first
    epoch. The first step compiles the training step (seconds, once per input
    shape): the bar says ``compiling`` meanwhile and then shows the compile time
    (``compile=2.1s``). ``history`` (a list) receives every step's metrics as floats.

    **Donation.** The compiled step reuses the buffers of the selected variables
    (``var_list``) and of the optimizer state for the new state, and deletes the old
    arrays: after ``fit``, ``state`` (the argument) and any store taken from it
    before (``before = state.store``) hold deleted arrays for those variables, and
    using them raises :class:`DonatedStateError` naming the variable (or, inside
    your own ``jax.jit``, JAX's ``RuntimeError: Array has been deleted``). Use the
    returned state. To keep a copy, make it first:
    ``saved = jax.tree.map(jnp.copy, state.store)`` (or keep host copies,
    ``np.asarray``); ``trainer.init_from(store)`` starts from a copy, and
    ``minimize(..., donate=False)`` turns donation off. Variables ``var_list`` does
    not select (frozen ones) are not donated and stay valid.

    A step is *non-finite* when its loss or an optimizer update holds a NaN or
    an inf (checked inside the compiled step; the host reads the flag one step
    late, so the device never waits). ``on_nonfinite`` says what then:

    * ``"stop"`` (default): the update is not applied, and ``fit`` raises
      :class:`NonFiniteError` (a ``FloatingPointError``) naming the step and the
      first variable whose gradient is not finite; its ``.state`` is the state
      before the bad update (not donated: resume or inspect it).
    * ``"skip"``: the update is not applied (variables, optimizer state and
      ``state.step`` unchanged) and training goes on; a ``RuntimeWarning`` at the
      end counts the skipped steps, and ``history`` entries get ``skipped``.
    * ``"warn"``: a ``RuntimeWarning`` names the step, and the update is applied.

    Args:
      trainer: from :func:`minimize`.
      state: the state to start from (donated: use the returned one).
      batches: an iterable of batches, or ``epoch -> iterable``.
      epochs: passes over ``batches``.
      rng: a key; step ``i`` gets ``fold_in(rng, state.step + i)``.
      progress: show a tqdm bar.
      history: a list to append every step's metrics to.
      desc: the bar's label.
      on_nonfinite: ``"stop"``, ``"skip"`` or ``"warn"``.
      steps_per_epoch: the number of batches per epoch, for the bar's total and ETA
        when ``batches`` is a callable or an iterator without a length.
      logdir: a folder for TensorBoard (``sj.summary``; needs the tensorboard package).
        Every ``log_every`` steps (and the first) it records ``train/loss``, the other
        scalar metrics (``train/<name>``), ``train/learning_rate`` when the optimizer
        exposes it (``optax.inject_hyperparams``), and the global norms of the gradients
        and updates of each collection (``grad_norm/trainable_variables``, ...), at x =
        ``state.step`` before the step. The norms cost one extra forward and backward pass
        on those steps; without ``logdir`` nothing changes.
      log_every: the logging interval in steps.

    Returns:
      The final TrainState (the one passed in is donated: see above).

    Raises:
      NonFiniteError: ``on_nonfinite="stop"`` and a step was not finite.
      DonatedStateError: ``state`` holds arrays an earlier step donated.
      ValueError: ``on_nonfinite`` is not one of the policies, or ``log_every`` < 1.
      ImportError: ``logdir`` is given and tensorboard is not installed.
    """
    if on_nonfinite not in POLICIES:
        raise ValueError(f"fit: on_nonfinite must be one of {POLICIES}, got {on_nonfinite!r}.")
    log = None if logdir is None else FitLogger(logdir, log_every)
    guard = on_nonfinite != "warn"
    halted = jnp.zeros((), bool) if guard else None
    per_epoch = steps_per_epoch
    if per_epoch is None and not callable(batches) and isinstance(batches, Sized):
        per_epoch = len(batches)
    bar = _bar(progress, desc, None if per_epoch is None else per_epoch * epochs, "step")
    timing: dict[str, float] = {}
    n = 0
    # one host sync, not one per step
    step0 = int(state.step) if rng is not None or log is not None else 0
    pending: tuple[int, Any, tuple, Any, Any] | None = None  # the step not checked yet
    bad_steps: list[int] = []
    first: str | None = None

    def check(entry: tuple[int, Any, tuple, Any, Any], state: TrainState) -> None:
        """Read one step's flag (after the next step is queued) and apply the policy."""
        nonlocal first
        i, bad, batch, key, loss = entry
        if not bool(bad):
            return
        bad_steps.append(i)
        if on_nonfinite == "stop":  # later steps were halted: ``state`` is the one before
            why, name = _diagnose(trainer, state, batch, key)
            lost = float(np.asarray(loss))
            raise NonFiniteError(
                f"fit: step {i} (state.step {int(state.step)}) has a non-finite loss or update "
                f"(loss {lost}); {why}. The update was not applied and training stopped: the "
                "state before it is this error's .state (not donated). Look for log, sqrt or "
                "division of 0 or a too large learning rate; fit(..., on_nonfinite='skip') "
                "skips such steps, 'warn' applies them and goes on.",
                state=state,
                step=i,
                variable=name,
                loss=lost,
            )
        if first is None:
            first, _ = _diagnose(trainer, state, batch, key)
            if on_nonfinite == "warn":
                warnings.warn(
                    f"fit: step {i} has a non-finite loss or update; {first}. The update was "
                    "applied (on_nonfinite='warn'): the variables may now hold NaN or inf.",
                    RuntimeWarning,
                    stacklevel=3,
                )

    try:
        for epoch in range(epochs):
            for batch in _as_batches(batches, epoch):
                batch = _tuple(batch)
                key = None if rng is None else jax.random.fold_in(rng, step0 + n)
                logged = log is not None and log.due(n)
                if log is not None and logged:
                    log.norms(trainer, state, batch, key, step0 + n)  # before donation
                with _compiling(bar, desc, timing, first_call=n == 0):
                    state, metrics, flags = trainer.checked_step(
                        guard, state, halted, batch, key, None, "fit"
                    )
                bad = flags
                if guard:
                    bad, after = flags
                    if on_nonfinite == "stop":
                        halted = after  # sticky: once bad, later steps change nothing
                if pending is not None:
                    check(pending, state)
                pending = (n, bad, batch, key, metrics.get("loss"))
                if log is not None and logged:
                    log.metrics(metrics, state, step0 + n)
                n += 1
                if history is not None or (bar is not None and n % 10 == 0):
                    host = {k: float(np.asarray(v)) for k, v in metrics.items() if np.ndim(v) == 0}
                    if on_nonfinite == "skip":
                        host["skipped"] = float(np.asarray(bad))
                    if history is not None:
                        history.append(host)
                    if bar is not None and n % 10 == 0:
                        post = {
                            k: f"{v:.4f}"
                            for k, v in host.items()
                            if k in ("loss", "accuracy", "acc")
                        }
                        post["epoch"] = f"{epoch + 1}/{epochs}"
                        if "compile" in timing:
                            post["compile"] = f"{timing['compile']:.1f}s"
                        if bad_steps and on_nonfinite == "skip":
                            post["skipped"] = str(len(bad_steps))
                        bar.set_postfix(post, refresh=False)
                if bar is not None:
                    bar.update(1)
            if bar is not None and bar.total is None and epoch == 0 and epochs > 1:
                bar.total = n * epochs  # now known: the bar gets its total and ETA
                bar.refresh()
        if pending is not None:
            check(pending, state)
    finally:
        if bar is not None:
            bar.close()
        if log is not None:
            log.close()
    if bad_steps and on_nonfinite == "skip":
        shown = ", ".join(map(str, bad_steps[:10])) + (" ..." if len(bad_steps) > 10 else "")
        warnings.warn(
            f"fit skipped {len(bad_steps)} of {n} steps whose loss or update was not finite "
            f"(steps {shown}; their updates were not applied); at step {bad_steps[0]} {first}.",
            RuntimeWarning,
            stacklevel=2,
        )
    elif len(bad_steps) > 1 and on_nonfinite == "warn":
        warnings.warn(
            f"fit: {len(bad_steps)} of {n} steps had a non-finite loss or update (first: step "
            f"{bad_steps[0]}).",
            RuntimeWarning,
            stacklevel=2,
        )
    return state


_METRIC_FNS: dict[int, tuple[Any, Callable[..., Any]]] = {}


def _metrics_of(trainer: Trainer) -> Callable[..., dict[str, Any]]:
    """``(store, *batch, rng=None) -> {"loss", **aux}``: the trainer's loss, jitted, stateless.

    Python scalars, strings and None in a batch (a ``training=False`` flag) are static
    arguments; each distinct set of them compiles once.
    """
    hit = _METRIC_FNS.get(id(trainer.net))
    if hit is not None and hit[0] is trainer.net:
        return hit[1]
    net = trainer.net
    jitted: dict[tuple[int, ...], Callable[..., Any]] = {}

    def metrics(store: Store, *batch: Any, rng: Any = None) -> dict[str, Any]:
        static = tuple(i for i, a in enumerate(batch) if isinstance(a, bool | int | str | None))
        fn = jitted.get(static)
        if fn is None:

            def run(store: Store, rng: Any, *batch: Any) -> dict[str, Any]:
                loss, aux = net.apply(store, *batch, rng=rng)
                return {"loss": loss, **aux}

            fn = jitted[static] = jax.jit(run, static_argnums=tuple(i + 2 for i in static))
        return fn(store, rng, *batch)

    if len(_METRIC_FNS) >= 8:
        _METRIC_FNS.clear()
    _METRIC_FNS[id(net)] = (net, metrics)
    return metrics


def evaluate(
    fn: Trainer | Callable[..., dict[str, Any]],
    store: TrainState | Store | Any,
    batches: Iterable[Any] | Callable[[int], Iterable[Any]],
    rng: jax.Array | None = None,
    progress: bool = False,
    history: list[dict[str, float]] | None = None,
    desc: str = "evaluate",
    steps: int | None = None,
) -> dict[str, float]:
    """Average the scalar metrics of ``batches``, called as :func:`fit` is.

    ``evaluate(trainer, state, batches)`` mirrors ``fit(trainer, state, batches)``:
    the same trainer, state and batch tuples (the loss function's arguments). Each
    batch gives ``{"loss": loss, **aux}`` from the trainer's loss function, run
    stateless (no update, no assignment: pass the flag that turns training
    behaviour off, e.g. batches ``(x, y, False)``; Python bools, ints and strings in a
    batch are static under ``jit``). The older form ``evaluate(fn, store, batches)``
    with your own ``fn(store, *batch) -> {name: scalar}`` works as before.

    Each batch is weighted by its size (the leading dimension of its first array).
    Nothing is donated: the state stays usable.

    Args:
      fn: a :class:`Trainer` (from :func:`minimize`), or a function
        ``fn(store, *batch) -> {name: scalar}``.
      store: a :class:`TrainState` or a Store (with a Trainer, the state's store is
        used); with a function, passed to it as is.
      batches: an iterable of batches (tuples of arguments), or a callable
        ``epoch -> iterable`` as for ``fit`` (called with 0).
      rng: with a Trainer, a key; batch ``i`` gets ``fold_in(rng, i)`` (for
        ``next_rng_key`` at inference, e.g. sampling). Ignored for a function.
      progress: show a tqdm bar.
      history: a list to append every batch's metrics (floats) to.
      desc: the bar's label.
      steps: the number of batches, for the bar's total when ``batches`` has no length.

    Returns:
      ``{name: weighted mean}`` as floats.

    Raises:
      ValueError: ``batches`` is empty.
      DonatedStateError: ``store`` holds arrays a training step donated.

    >>> import jax, jax.numpy as jnp, optax, scopejax as sj
    >>> def loss_fn(x, y):
    ...     return jnp.mean((sj.layers.dense(x, 1)[:, 0] - y) ** 2)
    >>> trainer = sj.train.minimize(loss_fn, optax.sgd(0.1))
    >>> x, y = jnp.ones([4, 3]), jnp.zeros([4])
    >>> state = trainer.init(jax.random.key(0), x, y)
    >>> batches = [(x, y), (x, y)]
    >>> state = sj.train.fit(trainer, state, batches, progress=False)
    >>> sorted(sj.train.evaluate(trainer, state, batches))
    ['loss']
    """
    if isinstance(fn, Trainer):
        call: Callable[..., dict[str, Any]] = _metrics_of(fn)
        if isinstance(store, TrainState):
            store = store.store
        with_rng = True
    else:
        call, with_rng = fn, False
    if callable(batches):
        batches = batches(0)
    if steps is None and isinstance(batches, Sized):
        steps = len(batches)
    bar = _bar(progress, desc, steps, "batch")
    totals: dict[str, float] = {}
    weight = 0.0
    try:
        for i, batch in enumerate(batches):
            batch = _tuple(batch)
            w = float(np.shape(batch[0])[0]) if np.ndim(batch[0]) else 1.0
            try:
                if with_rng:
                    key = None if rng is None else jax.random.fold_in(rng, i)
                    out = call(store, *batch, rng=key)
                else:
                    out = call(store, *batch)
            except (RuntimeError, ValueError) as e:
                if not isinstance(e, ScopejaxError):
                    raise_if_donated(store, "evaluate", e)
                raise
            host = {k: float(np.asarray(v)) for k, v in out.items()}
            for k, v in host.items():
                totals[k] = totals.get(k, 0.0) + v * w
            weight += w
            if history is not None:
                history.append(host)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if not weight:
        raise ValueError("evaluate: no batches.")
    return {k: v / weight for k, v in totals.items()}
