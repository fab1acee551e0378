"""``restore``: a checkpoint back into a Store (and optimizer state and step), by name."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, overload

import jax
import numpy as np

from scopejax._src.checkpoint.assign import _place, assign
from scopejax._src.checkpoint.convert import cast_exact, to_jax
from scopejax._src.checkpoint.errors import RestoreError
from scopejax._src.checkpoint.source import (
    TENSORFLOW,
    ScopejaxSource,
    TFSource,
    locate,
)
from scopejax._src.checkpoint.tree import rebuild, restore_into
from scopejax._src.core import sharding as _sharding
from scopejax._src.core.store import Store

T = TypeVar("T")


class Checkpoint(NamedTuple):
    """What :func:`restore` gives without a target."""

    store: Store
    """Every variable, with the metadata it was saved with."""
    opt_state: Any
    """The optimizer state rebuilt from its description (None if none was saved)."""
    step: int | None
    """The step saved with it (None if none)."""
    metadata: dict[str, Any]
    """The ``metadata=`` dict given to ``save``."""
    path: Path
    """The checkpoint directory read."""


def _is_state(x: Any) -> bool:
    return isinstance(x, tuple) and {"store", "opt_state", "step"} <= set(
        getattr(type(x), "_fields", ())
    )


def _converter(where: str) -> Callable[[str, Any, Any], Any]:
    """``convert(path, value, target_leaf)`` for optimizer-state leaves (see restore_into)."""

    def convert(path: str, value: Any, like: Any) -> Any:
        if isinstance(like, (bool, int, float)):
            return type(like)(np.asarray(value))
        dt = getattr(like, "dtype", None)
        dtype = np.dtype(dt if dt is not None else np.asarray(value).dtype)
        return _place(value, like, dtype, f"{where}optimizer-state leaf {path}")

    return convert


def _step(step: int, like: Any, where: str) -> Any:
    """The saved step in the type (and dtype) of the target's step, exactly."""
    if isinstance(like, (bool, int, float)):
        return type(like)(step)
    dt = getattr(like, "dtype", None)
    dtype = np.dtype(dt if dt is not None else np.asarray(step).dtype)
    fix = (
        f"The target's step is {dtype.name}: use a Python int or an int64 step (64-bit mode: "
        'jax.config.update("jax_enable_x64", True) or JAX_ENABLE_X64=1)'
    )
    value = cast_exact(np.asarray(step), dtype, f"{where}the step", fix)
    return _place(value, like, dtype, f"{where}the step")


@overload
def restore(
    path: str | os.PathLike[str], target: None = None, *, verify: bool = ...
) -> Checkpoint: ...
@overload
def restore(path: str | os.PathLike[str], target: T, *, verify: bool = ...) -> T: ...


def restore(path: str | os.PathLike[str], target: Any = None, *, verify: bool = True) -> Any:
    """Read a checkpoint written by :func:`save` (or a TensorFlow checkpoint's variables).

    Without ``target``: a :class:`Checkpoint` ``(store, opt_state, step, metadata, path)``;
    the optimizer state is rebuilt from its saved description (optax's state classes).

    With ``target``, the result has the target's type and structure, and everything is
    checked against it by name (a missing, extra or mis-shaped variable or optimizer-state
    leaf is a RestoreError that names it):

    * a Store (e.g. ``net.init(...)`` or ``net.init_abstract(...)``): a Store with the
      target's metadata and the checkpoint's values; only the variables are read;
    * a TrainState (``store``, ``opt_state``, ``step``; ``jax.eval_shape(trainer.init, ...)``
      is enough): the same, with the optimizer state restored leaf by leaf into the
      target's structure, and the step.

    Arrays land on the target's sharding when it has one, else on the default device.
    Inside ``sj.sharding.use(mesh, rules)`` the block's rules place the variables instead
    (unmatched ones keep the target's sharding on that mesh, else are replicated) and the
    optimizer state follows its parameters: restoring onto another mesh or other rules
    reshards, and a TensorFlow checkpoint (partitioned variables included) restores
    straight into a sharded store. A target from ``init_abstract`` inside the block
    carries the same shardings.
    With JAX's 64-bit mode off (its default), a 64-bit value is narrowed to 32 bits only
    if that changes no bit of it (a step of 1000 as int32); otherwise a CheckpointError
    names it and says how to turn 64-bit mode on. ``verify=False`` skips the checksums.
    Partial or renamed restores: :func:`init_from_checkpoint`.

    Args:
      path: a checkpoint directory (a CheckpointManager directory: its latest step).
      target: None, a Store (its variables, checked), or a TrainState (store, optimizer
        state and step, each like the target's).
      verify: check every array's checksum (CRC-32C; SHA-256 in version-1 checkpoints).

    Returns:
      With no target, a ``Checkpoint`` (``.store``, ``.opt_state``, ``.step``,
      ``.metadata``); else an object like ``target``.

    Raises:
      CheckpointError: no checkpoint at ``path``.
      CheckpointCorruptError: a checksum or the metadata does not match.
      RestoreError: the checkpoint does not fit ``target``.

    >>> import jax, jax.numpy as jnp, tempfile, scopejax as sj
    >>> store = sj.Store({"w": jnp.arange(3.0)})
    >>> path = sj.checkpoint.save(tempfile.mkdtemp() + "/c", store)
    >>> sj.checkpoint.restore(path, target=store)["w"]
    Array([0., 1., 2.], dtype=float32)
    """
    if _sharding.current() is None:
        return _restore(path, target, verify)
    # read each variable straight into the sharding the rules give it
    if isinstance(target, Store):
        target = _abstract_by_rules(target)
    elif _is_state(target) and isinstance(target.store, Store):
        target = target._replace(store=_abstract_by_rules(target.store))
    result = _restore(path, target, verify)
    # inside sj.sharding.use: the block's rules place the variables (a restore onto
    # another mesh or other rules reshards), the optimizer state follows them
    if isinstance(result, Store):
        return result.replace(_sharding.shard_params(result.flat()))
    if isinstance(result, Checkpoint):
        store = result.store.replace(_sharding.shard_params(result.store.flat()))
        opt_state = _sharding.shard_like(result.opt_state, store.flat())
        return result._replace(store=store, opt_state=opt_state)
    store = result.store.replace(_sharding.shard_params(result.store.flat()))
    opt_state = _sharding.shard_like(result.opt_state, store.flat())
    step = _sharding.shard_like(result.step, {})
    return result._replace(store=store, opt_state=opt_state, step=step)


def _abstract_by_rules(target: Store) -> Store:
    """``target`` as shape structs with the shardings the active use block gives them."""
    values = {}
    for name, v in target.flat().items():
        sharding = _sharding.param_sharding(name, v)
        if sharding is None:
            sharding = getattr(v, "sharding", None)
        values[name] = jax.ShapeDtypeStruct(np.shape(v), v.dtype, sharding=sharding)
    return target.replace(values)


def _restore(path: str | os.PathLike[str], target: Any, verify: bool) -> Any:
    """:func:`restore` without the ``sj.sharding.use`` placement."""
    kind, p = locate(path)
    if kind == TENSORFLOW:
        src: Any = TFSource(p, verify=verify)
        if target is None:
            have = src.variables()
            numeric = [n for n, (_, dt) in have.items() if dt not in ("object", "string")]
            if len(numeric) < len(have):
                warnings.warn(
                    f"{src.description}: string tensors left out of the Store: "
                    f"{sorted(set(have) - set(numeric))} (load_variables reads them).",
                    stacklevel=3,
                )
            values = src.read(numeric)
            at = f"{src.description}: variable "
            store = Store({n: to_jax(v, f"{at}{n!r}") for n, v in values.items()})
            return Checkpoint(store, None, None, {}, p)
        if _is_state(target):
            raise RestoreError(
                f"{src.description} holds variables only; restore into a Store, or use "
                "init_from_checkpoint."
            )
        return _restore_store(src, target)
    src = ScopejaxSource(p, verify=verify)
    meta = src.meta
    where = f"Checkpoint {p}: "
    if target is None:
        values, opt_values = src.read_all()
        infos = [v.info for v in meta.variables]
        store = Store([to_jax(values[i.name], f"{where}variable {i.name!r}") for i in infos], infos)
        opt_state = None
        if meta.opt_leaves is not None:
            leaves = []
            for e, v in zip(meta.opt_leaves, opt_values, strict=True):
                py = e.raw.get("py")
                what = f"{where}optimizer-state leaf {e.raw['path']}"
                leaves.append(
                    {"int": int, "float": float, "bool": bool}[py](v) if py else to_jax(v, what)
                )
            known = {i.name: i for i in infos}
            opt_state = rebuild(meta.opt_tree, leaves, known, where)
        return Checkpoint(store, opt_state, meta.step, dict(meta.user), p)
    if isinstance(target, Store):
        return _restore_store(src, target)
    if _is_state(target):
        store = _restore_store(src, target.store)
        opt_state = target.opt_state
        if target.opt_state is not None:
            if meta.opt_leaves is None:
                raise RestoreError(f"{where}no optimizer state was saved, the target has one.")
            opt_state = restore_into(
                target.opt_state, src.opt_leaves(), src.read_opt, _converter(where), where
            )
        step = target.step
        if target.step is not None:
            if meta.step is None:
                raise RestoreError(f"{where}no step was saved, the target has one.")
            step = _step(meta.step, target.step, where)
        return target._replace(store=store, opt_state=opt_state, step=step)
    raise TypeError(
        "restore(target=...) takes a Store or a TrainState (store, opt_state, step); got "
        f"{type(target).__name__}."
    )


def _restore_store(src: Any, target: Store) -> Store:
    store, report = assign(src, None, target)
    if not report.ok:
        raise RestoreError(
            report.summary(limit=20)
            + "\nrestore(target=...) needs the same variables; for a partial or renamed "
            "restore use init_from_checkpoint(path, assignment_map, store)."
        )
    return store
