"""``init_from_checkpoint``: TF1's ``tf.compat.v1.train.init_from_checkpoint``, functional.

TF1 rewires variable initializers; here the target Store goes in and a new Store comes out,
with a :class:`RestoreReport` saying what was restored from where and what was not. The
assignment map follows TF1's ``_init_from_checkpoint`` (tensorflow/python/training/
checkpoint_utils.py) entry by entry:

* entries are taken in order of their checkpoint name (a later entry wins);
* ``'ckpt/name': 'var/name'`` where the value names a variable: that variable from that
  tensor;
* otherwise the value is a scope: ``'old_scope/': 'new_scope/'`` maps every variable under
  ``new_scope/`` to the tensor of the same relative name under ``old_scope/``;
  ``'/': 'new_scope/'`` maps them from the checkpoint's root; ``'old_scope/': '/'`` maps
  every variable; a scope entry whose checkpoint name does not end with ``/`` is TF's
  ``ValueError``. As in TF, the scope of a value is everything before its last ``/``
  (``'new_scope/x'``, not a variable, means the scope ``new_scope``).
* variables are looked up by their variable-store key (``get_variable``'s name), as TF1's
  ``_vars``; a name works too (TF1 would take the ``tf.Variable`` object).

Where TF1 raises at the first problem (a tensor not in the checkpoint, a shape mismatch) or
fails later when the initializer runs (a dtype mismatch), this collects every problem into
the report and leaves those variables unchanged; ``strict=True`` raises ``RestoreError``
(a ``ValueError``) naming them all.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import numpy as np

from scopejax._src.checkpoint.convert import to_jax
from scopejax._src.checkpoint.report import Mismatch, RestoreReport
from scopejax._src.checkpoint.source import open_source
from scopejax._src.core.selectors import select
from scopejax._src.core.store import Store, VariableInfo

AssignmentMap = Mapping[str, Any] | Iterable[Any] | None
CheckpointSource = str | os.PathLike[str] | Mapping[str, Any] | Store


def _value_name(v: Any, k: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        raise TypeError(
            f"assignment_map[{k!r}]: lists of variables (TF1's partitioned variables) are not "
            "supported; scopejax variables are never partitioned."
        )
    name = getattr(v, "name", None)  # a VariableInfo, a VariableHandle, a tf.Variable
    if isinstance(name, str):
        return name[:-2] if name.endswith(":0") else name
    raise TypeError(
        f"assignment_map[{k!r}] must be a variable name, a scope name ending in '/', or an "
        f"object with a .name (VariableInfo); got {type(v).__name__}."
    )


def _entries(assignment_map: AssignmentMap) -> list[tuple[str, str]]:
    if assignment_map is None:
        return []
    if isinstance(assignment_map, str):
        raise TypeError("assignment_map is a dict {checkpoint_name: variable_or_scope}, not a str.")
    items = assignment_map.items() if isinstance(assignment_map, Mapping) else assignment_map
    out = []
    for item in items:
        if isinstance(item, str):  # TF 1.x: a list of names maps each to itself
            k, v = item, item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            k, v = item
        else:
            raise TypeError(
                "assignment_map is a dict {checkpoint_name: variable_or_scope}, a list of "
                f"(checkpoint_name, variable_or_scope) pairs, or a list of names; got {item!r}."
            )
        out.append((k, _value_name(v, k)))
    return sorted(out, key=lambda kv: kv[0])  # TF sorts by checkpoint name (stable)


def _selector(var_list: Any) -> Callable[[VariableInfo], bool]:
    return select(var_list, what="var_list")


def _place(value: Any, like: Any, dtype: np.dtype, what: str) -> jax.Array:
    """``value`` as ``dtype`` on ``like``'s sharding (if any); see :func:`to_jax`."""
    return to_jax(value, what, getattr(like, "sharding", None), dtype)


def _close(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=2)
    return f" (close: {', '.join(map(repr, close))})" if close else ""


def assign(
    src: Any,
    assignment_map: AssignmentMap,
    store: Store,
    *,
    var_list: Any = None,
    cast: bool = False,
) -> tuple[Store, RestoreReport]:
    """The engine behind :func:`init_from_checkpoint` (``src`` already opened)."""
    if not isinstance(store, Store):
        raise TypeError(
            "init_from_checkpoint needs the target Store (e.g. net.init(...) or "
            f"net.init_abstract(...)); got {type(store).__name__}."
        )
    available = src.variables()
    infos = store.infos
    prefix = store._prefix
    by_key: dict[str, str] = {}
    for n, info in infos.items():
        key = info.key
        lk = key[len(prefix) :] if key is not None and key.startswith(prefix) else n
        by_key.setdefault(lk, n)
    select = _selector(var_list)
    selected = {n for n, info in infos.items() if select(info)}
    excluded = tuple(n for n in infos if n not in selected)

    plan: dict[str, str] = {}
    entries = _entries(assignment_map)
    if assignment_map is None:  # restore each variable from the tensor of its own name
        plan = {n: n for n in infos if n in selected}
    for k, v in entries:
        target = by_key.get(v) or (v if v in infos else None)
        if target is not None:
            if target in selected:
                plan[target] = k
            continue
        if v != "/" and "/" not in v:
            raise ValueError(
                f"assignment_map[{k!r}] = {v!r}: {v!r} is neither a variable of the store nor a "
                f"scope. A scope ends with '/' ({v + '/'!r}); '/' is the root.{_close(v, by_key)}"
            )
        scopes = v[: v.rindex("/")]
        if not k.endswith("/"):
            raise ValueError(
                f"Assignment map with scope only name {scopes} should map to scope only {k}. "
                f"Should be 'scope/': 'other_scope/'. ({v!r} is not a variable of the store; "
                f"to map one tensor, the value must be a variable name.{_close(v, by_key)})"
            )
        for lk, n in sorted(by_key.items()):
            if scopes and not lk.startswith(scopes + "/"):
                continue
            full = lk[len(scopes) :]
            if v != "/":
                full = full[1:]
            if k != "/":
                full = k + full
            if full.endswith("/"):
                full = full[:-1]
            if n in selected:
                plan[n] = full

    restored: dict[str, str] = {}
    not_restored: dict[str, str] = {}
    mismatched: dict[str, Mismatch] = {}
    casts: dict[str, tuple[str, str]] = {}
    for n in sorted(plan):
        c = plan[n]
        if c not in available:
            not_restored[n] = f"the checkpoint has no tensor {c!r}{_close(c, available)}"
            continue
        info = infos[n]
        shape, dtype = tuple(available[c][0]), str(available[c][1])
        if tuple(info.shape) != shape or (info.dtype != dtype and not cast):
            mismatched[n] = Mismatch(c, tuple(info.shape), shape, info.dtype, dtype)
            continue
        if info.dtype != dtype:
            casts[n] = (dtype, info.dtype)
        restored[n] = c
    for n in sorted(selected - set(plan)):
        not_restored[n] = "no assignment_map entry covers it"
    used = set(plan.values())
    unused = tuple(sorted(c for c in available if c not in used))

    values = src.read(sorted(set(restored.values())))
    old = store.flat()
    new = {}
    for n, c in restored.items():
        v = values[c]
        if tuple(np.shape(v)) != tuple(infos[n].shape):  # the source's listing lied
            raise ValueError(
                f"{src.description}: tensor {c!r} was listed as {infos[n].shape} but reads as "
                f"{tuple(np.shape(v))}."
            )
        what = f"{src.description}: tensor {c!r}" + (f" (for variable {n!r})" if n != c else "")
        new[n] = _place(v, old[n], np.dtype(infos[n].dtype), what)
    report = RestoreReport(
        source=src.description,
        restored=restored,
        not_restored=dict(sorted(not_restored.items())),
        mismatched=mismatched,
        unused=unused,
        cast=casts,
        excluded=excluded,
    )
    return store.replace(new), report


def init_from_checkpoint(
    ckpt_dir_or_file: CheckpointSource,
    assignment_map: AssignmentMap,
    store: Store,
    *,
    var_list: Any = None,
    strict: bool = False,
    cast: bool = False,
    verify: bool = True,
    include_slots: bool = False,
) -> tuple[Store, RestoreReport]:
    """Initialise variables of ``store`` from a checkpoint by name: TF1's assignment maps.

    Args:
      ckpt_dir_or_file: a scopejax checkpoint directory (a CheckpointManager directory means
        its latest step), a TensorFlow checkpoint (prefix ``…/model.ckpt-1000`` or its
        directory; read without TensorFlow), a Store, or a ``{name: array}`` mapping.
      assignment_map: ``{checkpoint_name: variable_or_scope}`` with TF1's forms:
        ``{'old_scope/': 'new_scope/'}`` (a scope from another scope),
        ``{'old_scope/w': 'new_scope/w'}`` (one variable), ``{'/': 'new_scope/'}`` (the
        checkpoint's root into a scope), ``{'/': '/'}`` (everything, same names); or a
        list of ``(checkpoint_name, variable)`` pairs (one tensor into several variables);
        ``None`` restores every selected variable from the tensor of its own name.
      store: the target Store (``net.init(...)``; ``net.init_abstract(...)`` works when
        every variable gets restored). It is not modified.
      var_list: which variables may be restored (TF1's ``var_list`` idea; default all): a
        collection name or list of them, a selector (``sj.train.regex(...)``,
        ``sj.train.names(...)``), or a Store (its variables). Others are left unchanged
        and not reported as missing.
      strict: raise RestoreError unless every selected variable was restored, with its
        shape and dtype, and every checkpoint tensor was used (see ``report.check`` for a
        finer choice).
      cast: restore a tensor of another dtype by casting it (reported in ``report.cast``).
      verify: check checksums (scopejax: CRC-32C per array; TF: the bundle's CRC32C).
      include_slots: TF checkpoints: also list optimizer slot tensors (``…/Adam``).

    Returns:
      ``(new_store, report)``: the store with restored values (same metadata), and a
      :class:`RestoreReport` (print it).

    Raises:
      CheckpointError: the checkpoint is missing, unreadable or corrupt, or (JAX's 64-bit
        mode off) a 64-bit value would not survive narrowing to 32 bits.
      RestoreError: ``strict=True`` and the report is not clean.

    >>> import jax.numpy as jnp, numpy as np, scopejax as sj
    >>> pretrained = {"old/w": np.ones([2, 2], np.float32), "global_step": np.array(7)}
    >>> store = sj.Store({"new/w": jnp.zeros([2, 2]), "head/b": jnp.zeros([2])})
    >>> store2, report = sj.checkpoint.init_from_checkpoint(pretrained, {"old/": "new/"}, store)
    >>> float(store2["new/w"].sum()), report.restored
    (4.0, {'new/w': 'old/w'})
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    Restore from dict of 2 arrays: 1 of 2 variables restored, 1 not restored, 0 mismatched,
    1 checkpoint tensors unused.
      not restored (1):
        head/b: no assignment_map entry covers it
      unused checkpoint tensors (1):
        global_step
      restored (1):
        new/w <- old/w
    """
    src = open_source(ckpt_dir_or_file, verify=verify, include_slots=include_slots)
    new_store, report = assign(src, assignment_map, store, var_list=var_list, cast=cast)
    if strict:
        report.check()
    return new_store, report
