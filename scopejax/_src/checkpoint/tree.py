"""Optimizer state (any pytree of arrays) as leaves plus a JSON description of its structure.

Saving records each leaf under its key path (``jax.tree_util.keystr``: ``[0].mu['l1/w']``)
and describes the structure with a few safe node kinds: ``none``, ``tuple``, ``list``,
``dict`` (string or integer keys), ``namedtuple`` (class recorded by module and name),
``store`` (a scopejax Store: its variables' metadata) and ``leaf``. Any other node type is
recorded as ``opaque``: its leaves are saved, but rebuilding it needs a target.

Restoring rebuilds the tree from that description without unpickling or evaluating
anything: a namedtuple class is looked up only in ``optax`` and ``scopejax`` modules that
are already imported (a checkpoint never causes an import), and only if its fields match;
otherwise a plain ``collections.namedtuple`` with the same name
and fields stands in. Restoring *into a target* (the structure ``optimizer.init`` gives,
or ``jax.eval_shape`` of it) matches leaves by key path and checks shapes and dtypes: that
is the exact way, and the one to use for resuming training.
"""

from __future__ import annotations

import collections
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError, RestoreError
from scopejax._src.core.store import Store, VariableInfo

MAX_DEPTH = 256
_SAFE_MODULE = re.compile(r"(optax|scopejax)(\.[A-Za-z_][A-Za-z0-9_]*)*")
_QUALNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_PY_SCALARS = (bool, int, float)


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_leaf(x: Any) -> bool:
    return x is not None and jax.tree_util.treedef_is_leaf(jax.tree.structure(x))


def _check_leaf(x: Any, path: str) -> None:
    if isinstance(x, (np.ndarray, np.generic, jax.Array, jax.ShapeDtypeStruct, *_PY_SCALARS)):
        return
    raise CheckpointError(
        f"optimizer state leaf {path} is a {type(x).__name__}: only arrays and numbers can be "
        "saved (nothing is pickled)."
    )


def _info_json(info: VariableInfo, rel: str) -> dict[str, Any]:
    return {
        "name": rel,
        "shape": list(info.shape),
        "dtype": info.dtype,
        "trainable": info.trainable,
        "collections": [c if isinstance(c, (str, int)) else str(c) for c in info.collections],
        "device": info.device,
        "key": info.key,
    }


def describe(tree: Any, known: Mapping[str, VariableInfo] | None = None) -> dict[str, Any]:
    """A JSON description of ``tree``'s structure (leaves are ``{"t": "leaf"}``).

    ``known`` maps names to the saved variables' metadata: a Store node whose variable
    has exactly that metadata records just the name.
    """
    known = known or {}

    def walk(x: Any, path: str) -> dict[str, Any]:
        if x is None:
            return {"t": "none"}
        if isinstance(x, Store):
            infos = x.infos
            vars_: list[Any] = []
            for rel, info in infos.items():
                vars_.append(
                    rel if known.get(rel) == info and not x._prefix else _info_json(info, rel)
                )
            vals = x.flat()
            return {
                "t": "store",
                "prefix": x._prefix,
                "vars": vars_,
                "c": [walk(vals[rel], f"{path}[{rel!r}]") for rel in infos],
            }
        if _is_namedtuple(x):
            cls = type(x)
            return {
                "t": "namedtuple",
                "cls": f"{cls.__module__}:{cls.__qualname__}",
                "fields": list(cls._fields),
                "c": [walk(v, f"{path}.{f}") for f, v in zip(cls._fields, x, strict=True)],
            }
        if type(x) in (tuple, list):
            return {
                "t": type(x).__name__,
                "c": [walk(v, f"{path}[{i}]") for i, v in enumerate(x)],
            }
        if type(x) is dict:
            keys = sorted(x)  # jax's order for dict children
            enc: list[list[str | int]] = []
            for k in keys:
                if isinstance(k, str):
                    enc.append(["s", k])
                elif isinstance(k, int) and not isinstance(k, bool):
                    enc.append(["i", k])
                else:
                    raise CheckpointError(
                        f"optimizer state {path or 'root'}: dict key {k!r} is neither a string "
                        "nor an integer."
                    )
            return {"t": "dict", "keys": enc, "c": [walk(x[k], f"{path}[{k!r}]") for k in keys]}
        if _is_leaf(x):
            _check_leaf(x, path or "(root)")
            return {"t": "leaf"}
        pairs, _ = jax.tree_util.tree_flatten_with_path(x, is_leaf=lambda y: y is not x)
        cls = type(x)
        return {
            "t": "opaque",
            "cls": f"{cls.__module__}:{cls.__qualname__}",
            "c": [walk(v, path + jax.tree_util.keystr(p)) for p, v in pairs],
        }

    return walk(tree, "")


def leaves_with_paths(tree: Any) -> list[tuple[str, Any]]:
    """``[(keystr(path), leaf)]`` in ``jax.tree`` order."""
    pairs, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [(jax.tree_util.keystr(p), v) for p, v in pairs]


def _resolve_namedtuple(spec: Any, fields: list[str], where: str) -> type:
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise CheckpointCorruptError(f"{where}bad namedtuple class {spec!r}.")
    module, qualname = spec.split(":")
    obj: Any = None
    if _SAFE_MODULE.fullmatch(module) and _QUALNAME.fullmatch(qualname):
        obj = sys.modules.get(module)  # never imported because a checkpoint says so
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        if (
            isinstance(obj, type)
            and issubclass(obj, tuple)
            and tuple(getattr(obj, "_fields", ())) == tuple(fields)
        ):
            return obj
    typename = qualname.rsplit(".", 1)[-1] if _QUALNAME.fullmatch(qualname) else "State"
    warnings.warn(
        f"{where}optimizer-state class {spec} is not an optax/scopejax class this installation "
        f"has; rebuilt as a plain namedtuple {typename}{tuple(fields)}. Restore into a target "
        "(restore(path, target=state)) to get the original classes.",
        stacklevel=4,
    )
    try:
        return collections.namedtuple(typename, fields)
    except (ValueError, TypeError) as e:
        raise CheckpointCorruptError(f"{where}bad namedtuple fields {fields!r}: {e}") from None


def _store_infos(vars_: Any, known: Mapping[str, VariableInfo], prefix: str, where: str):
    from scopejax._src.checkpoint.format import dtype_from_name

    if not isinstance(vars_, list):
        raise CheckpointCorruptError(f"{where}a Store node's 'vars' must be a list.")
    infos = []
    for v in vars_:
        if isinstance(v, str):
            if v not in known:
                raise CheckpointCorruptError(f"{where}Store node names unknown variable {v!r}.")
            infos.append(known[v])
            continue
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            raise CheckpointCorruptError(f"{where}bad Store node variable {v!r}"[:300])
        shape = v.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise CheckpointCorruptError(f"{where}bad shape for Store node variable {v['name']!r}.")
        colls = v.get("collections")
        if not isinstance(colls, list) or not all(isinstance(c, (str, int)) for c in colls):
            raise CheckpointCorruptError(f"{where}bad collections for {v['name']!r}.")
        dev, key = v.get("device"), v.get("key")
        if not (dev is None or isinstance(dev, str)) or not (key is None or isinstance(key, str)):
            raise CheckpointCorruptError(f"{where}bad device/key for {v['name']!r}.")
        infos.append(
            VariableInfo(
                name=prefix + v["name"],
                shape=tuple(shape),
                dtype=dtype_from_name(v.get("dtype"), where).name,
                trainable=bool(v.get("trainable")),
                collections=tuple(colls),
                device=dev,
                key=key,
            )
        )
    return tuple(infos)


def rebuild(desc: Any, leaves: list[Any], known: Mapping[str, VariableInfo], where: str) -> Any:
    """The tree ``desc`` describes, with ``leaves`` (in order) as its leaves."""
    it = iter(leaves)
    count = [0]

    def build(d: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CheckpointCorruptError(f"{where}optimizer-state tree nested too deeply.")
        if not isinstance(d, dict):
            raise CheckpointCorruptError(f"{where}bad optimizer-state tree node {d!r}"[:300])
        t = d.get("t")
        if t == "leaf":
            count[0] += 1
            try:
                return next(it)
            except StopIteration:
                raise CheckpointCorruptError(
                    f"{where}the optimizer-state tree has more leaves than were saved."
                ) from None
        if t == "none":
            return None
        kids = d.get("c")
        if not isinstance(kids, list):
            raise CheckpointCorruptError(f"{where}optimizer-state node {t!r} without children.")
        if t == "opaque":
            raise CheckpointError(
                f"{where}the optimizer state contains a {d.get('cls')} node, which cannot be "
                "rebuilt from a checkpoint without running code. Restore into a target: "
                "restore(path, target=state) with the state your optimizer's init gives "
                "(jax.eval_shape of it is enough)."
            )
        children = [build(c, depth + 1) for c in kids]
        if t == "tuple":
            return tuple(children)
        if t == "list":
            return children
        if t == "dict":
            keys = d.get("keys")
            if not isinstance(keys, list) or len(keys) != len(children):
                raise CheckpointCorruptError(f"{where}dict node keys do not match its children.")
            out: dict[str | int, Any] = {}
            for k, v in zip(keys, children, strict=True):
                if isinstance(k, list) and len(k) == 2 and k[0] == "s" and isinstance(k[1], str):
                    out[k[1]] = v
                elif isinstance(k, list) and len(k) == 2 and k[0] == "i" and type(k[1]) is int:
                    out[k[1]] = v
                else:
                    raise CheckpointCorruptError(f"{where}bad dict key {k!r}.")
            return out
        if t == "namedtuple":
            fields = d.get("fields")
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise CheckpointCorruptError(f"{where}bad namedtuple fields {fields!r}.")
            if len(fields) != len(children):
                raise CheckpointCorruptError(f"{where}namedtuple fields do not match children.")
            return _resolve_namedtuple(d.get("cls"), fields, where)(*children)
        if t == "store":
            prefix = d.get("prefix", "")
            if not isinstance(prefix, str):
                raise CheckpointCorruptError(f"{where}bad Store prefix.")
            infos = _store_infos(d.get("vars"), known, prefix, where)
            if len(infos) != len(children):
                raise CheckpointCorruptError(f"{where}Store node: variables do not match values.")
            return Store.tree_unflatten((prefix, infos), children)
        raise CheckpointCorruptError(f"{where}unknown optimizer-state node kind {t!r}.")

    tree = build(desc, 0)
    if next(it, None) is not None or count[0] != len(leaves):
        raise CheckpointCorruptError(
            f"{where}the optimizer-state tree has fewer leaves than were saved."
        )
    return tree


def _leaf_sig(x: Any) -> tuple[tuple[int, ...], np.dtype]:
    dt = getattr(x, "dtype", None)
    return tuple(np.shape(x)), np.dtype(dt if dt is not None else np.result_type(x))


def restore_into(
    target: Any,
    saved: Mapping[str, tuple[tuple[int, ...], np.dtype]],
    read: Callable[[list[str]], dict[str, Any]],
    convert: Callable[[str, Any, Any], Any],
    where: str,
) -> Any:
    """``target`` with each leaf replaced by the saved leaf at the same key path.

    ``saved`` maps key paths to (shape, dtype); ``read(paths)`` gives their values;
    ``convert(path, value, target_leaf)`` places one. Raises RestoreError naming every
    missing, unexpected or mismatched path.
    """
    pairs, treedef = jax.tree_util.tree_flatten_with_path(target)
    paths = [jax.tree_util.keystr(p) for p, _ in pairs]
    missing = [p for p in paths if p not in saved]
    unexpected = sorted(set(saved) - set(paths))
    mismatched = []
    for p, (_, leaf) in zip(paths, pairs, strict=True):
        if p in saved:
            shape, dtype = _leaf_sig(leaf)
            s_shape, s_dtype = saved[p]
            if shape != tuple(s_shape) or dtype != s_dtype:
                mismatched.append(
                    f"{p}: target {dtype.name}{list(shape)}, checkpoint "
                    f"{s_dtype.name}{list(s_shape)}"
                )
    if missing or unexpected or mismatched:
        lines = [f"{where}the optimizer state does not match the target's structure:"]
        for title, items in (
            ("in the target, not in the checkpoint", missing),
            ("in the checkpoint, not in the target", unexpected),
            ("shape/dtype differ", mismatched),
        ):
            if items:
                shown = items[:10] + (
                    [f"... and {len(items) - 10} more"] if len(items) > 10 else []
                )
                lines.append(f"  {title} ({len(items)}): " + "; ".join(shown))
        lines.append(
            "  Build the target with the same optimizer (and var_list) that produced the "
            "checkpoint, or restore without a target to inspect what was saved."
        )
        raise RestoreError("\n".join(lines))
    values = read(paths)
    return jax.tree_util.tree_unflatten(
        treedef, [convert(p, values[p], leaf) for p, (_, leaf) in zip(paths, pairs, strict=True)]
    )
