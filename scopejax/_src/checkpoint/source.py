"""Where named arrays come from: a scopejax checkpoint, a TF1/TF2 bundle, or a mapping.

``open_source(x)`` gives an object with ``variables() -> {name: (shape, dtype_name)}`` and
``read(names) -> {name: np.ndarray}`` (only the arrays asked for are read, and checked).
``locate(path)`` says what a path holds: a scopejax checkpoint (or a CheckpointManager
directory: its latest step), or a TensorFlow checkpoint (read by ``_tf_bundle``, no TF).
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import numpy as np

from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError
from scopejax._src.checkpoint.format import (
    META_FILE,
    META_ITEM,
    OPT_STATE,
    STORED_AS,
    VARIABLES,
    Entry,
    Metadata,
    digest_many,
    is_scopejax_checkpoint,
    read_metadata,
    step_dirs,
)
from scopejax._src.core.store import Store, flatten_mapping

SCOPEJAX = "scopejax"
TENSORFLOW = "tensorflow"


def tf_bundle() -> ModuleType | None:
    """The TF bundle reader module, or None while it is not available."""
    try:
        from scopejax._src.checkpoint import tf_bundle as _tf_bundle
    except ImportError:
        return None
    return _tf_bundle


def locate(path: str | os.PathLike[str]) -> tuple[str, Path]:
    """``(kind, path)``: what ``path`` holds (``"scopejax"`` or ``"tensorflow"``).

    A directory of step checkpoints (a CheckpointManager's) gives its latest step, as
    TF1 gives a directory's latest checkpoint.
    """
    p = Path(path).expanduser().absolute()
    if is_scopejax_checkpoint(p):
        return SCOPEJAX, p
    if not p.exists():
        from scopejax._src.checkpoint.save import fallback

        found = fallback(p)
        if found is not None:
            warnings.warn(
                f"Checkpoint {p} is missing but a complete checkpoint from an interrupted save "
                f"is at {found}; reading that (the next save to {p} moves it into place).",
                stacklevel=3,
            )
            return SCOPEJAX, found
    tf = tf_bundle()
    if tf is not None and tf.is_tf_checkpoint(p):
        return TENSORFLOW, p
    if p.is_dir():
        steps = step_dirs(p)
        if steps:
            return SCOPEJAX, steps[max(steps)]
    if (p / META_ITEM).is_dir():
        raise CheckpointCorruptError(
            f"Checkpoint {p}: {META_ITEM}/{META_FILE} is missing: the checkpoint is incomplete "
            "or damaged; restore another one."
        )
    raise CheckpointError(_not_found(p, tf is not None))


def _not_found(p: Path, have_tf: bool) -> str:
    if not p.exists():
        return f"No checkpoint at {p}: the path does not exist.{_nearby(p)}"
    if p.is_dir() and ((p / "_CHECKPOINT_METADATA").exists() or (p / "_METADATA").exists()):
        return (
            f"{p} is an orbax checkpoint without scopejax metadata. Restore it with orbax and "
            "pass the resulting {name: array} dict (init_from_checkpoint accepts mappings)."
        )
    tf = "nor a TensorFlow checkpoint" if have_tf else "(TensorFlow bundles are not readable here)"
    return (
        f"{p} is not a checkpoint: neither a scopejax checkpoint directory (no "
        f"scopejax/scopejax.json inside) {tf}."
    )


def _nearby(p: Path, limit: int = 8) -> str:
    """The checkpoints next to a missing ``p`` (in its nearest existing folder), closest
    names first, as the end of an error message: TF prefixes and scopejax checkpoints."""
    folder = p.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return ""
    found: list[str] = []
    for e in entries:
        if e.name.endswith(".index") and e.is_file():
            found.append(str(e)[: -len(".index")])
        elif e.is_dir() and (is_scopejax_checkpoint(e) or step_dirs(e) or any(e.glob("*.index"))):
            found.append(str(e))
    if not found:
        return f" {folder} holds no checkpoint."
    close = difflib.get_close_matches(str(p), found, n=len(found), cutoff=0.0)
    shown = ", ".join(close[:limit]) + (", ..." if len(found) > limit else "")
    return f" Checkpoints in {folder}: {shown}."


def _stored(v: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """An array as read, viewed back as ``dtype`` if it was stored as another (STORED_AS)."""
    if dtype in STORED_AS and v.dtype == STORED_AS[dtype]:
        return v.view(dtype)
    return v


class ScopejaxSource:
    """The arrays of a scopejax checkpoint, read through orbax and checked."""

    def __init__(self, path: Path, verify: bool = True) -> None:
        self.path = path
        self.verify = verify
        self.meta: Metadata = read_metadata(path, verify)
        self.description = f"scopejax checkpoint {path}"
        self._vars = {v.name: v for v in self.meta.variables}
        self._opt = {e.raw["path"]: e for e in (self.meta.opt_leaves or [])}

    def variables(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return {n: (v.shape, v.dtype.name) for n, v in self._vars.items()}

    def opt_leaves(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        return {p: (e.shape, e.dtype) for p, e in self._opt.items()}

    def _read(self, want: Mapping[str, Sequence[Entry]]) -> dict[str, list[np.ndarray]]:
        from scopejax._src.checkpoint import orbax as _orbax

        present = {
            VARIABLES: [v.array for v in self.meta.variables if v.array is not None],
            OPT_STATE: [e.array for e in (self.meta.opt_leaves or []) if e.array is not None],
        }
        wanted = {
            g: {e.array: (e.shape, STORED_AS.get(e.dtype, e.dtype)) for e in es if e.array}
            for g, es in want.items()
        }
        got = _orbax.read(self.path, wanted, present, self._describe)
        out: dict[str, list[np.ndarray]] = {}
        for g, es in want.items():
            vals = [
                _stored(got[g][e.array], e.dtype) if e.array else np.zeros(e.shape, e.dtype)
                for e in es
            ]
            if self.verify:
                ok = [
                    tuple(v.shape) == e.shape and v.dtype == e.dtype and e.digest is not None
                    for e, v in zip(es, vals, strict=True)
                ]
                algo = es[0].algo if es else ""
                digests = digest_many((v for v, good in zip(vals, ok, strict=True) if good), algo)
                it = iter(digests)
                for e, v, good in zip(es, vals, ok, strict=True):
                    e.check(v, self.path, next(it) if good else None)
            out[g] = vals
        return out

    def _describe(self, group: str, key: str) -> str:
        entries = self.meta.variables if group == VARIABLES else (self.meta.opt_leaves or [])
        return next((e.label for e in entries if e.array == key), f"array {group}/{key}")

    def read(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        names = list(dict.fromkeys(names))
        entries = [self._vars[n] for n in names]
        return dict(zip(names, self._read({VARIABLES: entries})[VARIABLES], strict=True))

    def read_opt(self, paths: Iterable[str]) -> dict[str, np.ndarray]:
        paths = list(dict.fromkeys(paths))
        entries = [self._opt[p] for p in paths]
        return dict(zip(paths, self._read({OPT_STATE: entries})[OPT_STATE], strict=True))

    def read_all(self) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        """Every variable and every optimizer-state leaf (in saved order), in one read."""
        opt = list(self.meta.opt_leaves or [])
        got = self._read({VARIABLES: list(self.meta.variables), OPT_STATE: opt})
        names = [v.name for v in self.meta.variables]
        return dict(zip(names, got[VARIABLES], strict=True)), got[OPT_STATE]


class TFSource:
    """The tensors of a TensorFlow checkpoint (V2 bundle), read without TensorFlow."""

    def __init__(self, path: Path, verify: bool = True, include_slots: bool = False) -> None:
        tf = tf_bundle()
        if tf is None:  # pragma: no cover - only while the reader is not installed
            raise CheckpointError(f"{path}: reading TensorFlow checkpoints is not available.")
        self._tf = tf
        self.path = path
        self.verify = verify
        self.include_slots = include_slots
        self.description = f"TensorFlow checkpoint {path}"
        self._vars = {
            n: (tuple(int(d) for d in shape), str(dt))
            for n, shape, dt in tf.list_variables(path, include_slots=include_slots)
        }

    def variables(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return dict(self._vars)

    def read(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        got = self._tf.load_tf_checkpoint(
            self.path, verify=self.verify, include_slots=self.include_slots, names=names
        )
        return {n: np.asarray(got[n]) for n in names}


def _dtype_str(x: Any) -> str:
    dt = getattr(x, "dtype", None)
    return np.dtype(dt if dt is not None else np.result_type(x)).name


class MappingSource:
    """Arrays given directly: ``{name: array}`` (nested mappings and Stores are flattened)."""

    def __init__(self, mapping: Mapping[str, Any] | Store) -> None:
        flat = mapping.flat() if isinstance(mapping, Store) else flatten_mapping(mapping)
        self._arrays = flat
        self.path = None
        self.description = f"{type(mapping).__name__} of {len(flat)} arrays"

    def variables(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return {n: (tuple(np.shape(v)), _dtype_str(v)) for n, v in self._arrays.items()}

    def read(self, names: Iterable[str]) -> dict[str, Any]:
        out = {}
        for n in names:
            v = self._arrays[n]
            if isinstance(v, jax.ShapeDtypeStruct):
                raise CheckpointError(f"{n}: the source holds an abstract value, not an array.")
            out[n] = v
        return out


Source = ScopejaxSource | TFSource | MappingSource


def open_source(
    source: Any, *, verify: bool = True, include_slots: bool = False
) -> ScopejaxSource | TFSource | MappingSource:
    """A source of named arrays from a path, a Store, a mapping or a restored Checkpoint."""
    if isinstance(source, (ScopejaxSource, TFSource, MappingSource)):
        return source
    if isinstance(source, (str, os.PathLike)):
        kind, p = locate(source)
        if kind == TENSORFLOW:
            return TFSource(p, verify=verify, include_slots=include_slots)
        return ScopejaxSource(p, verify=verify)
    store = getattr(source, "store", None)
    if isinstance(store, Store) and isinstance(source, tuple):  # a Checkpoint / TrainState
        return MappingSource(store)
    if isinstance(source, (Store, Mapping)):
        return MappingSource(source)
    raise TypeError(
        "a checkpoint source is a path (scopejax checkpoint or TensorFlow checkpoint), a Store, "
        f"or a mapping {{name: array}}; got {type(source).__name__}."
    )


def list_variables(
    path: str | os.PathLike[str], *, include_slots: bool = False
) -> list[tuple[str, tuple[int, ...], str]]:
    """``[(name, shape, dtype)]`` of a checkpoint (scopejax or TensorFlow), sorted by name.

    Like ``tf.train.list_variables``, plus the dtype; reads metadata only.

    Args:
      path: a scopejax checkpoint, a TF checkpoint (prefix or directory).
      include_slots: TF: also list optimizer slots and bookkeeping tensors.

    Returns:
      ``[(name, shape, dtype name)]`` sorted by name.

    Raises:
      CheckpointError: no checkpoint at ``path`` (the message lists those beside it).

    >>> import jax.numpy as jnp, tempfile, scopejax as sj
    >>> p = sj.checkpoint.save(tempfile.mkdtemp() + "/c", {"w": jnp.ones([2, 3])})
    >>> sj.checkpoint.list_variables(p)
    [('w', (2, 3), 'float32')]
    """
    src = open_source(path, include_slots=include_slots)
    return sorted((n, s, d) for n, (s, d) in src.variables().items())


def load_variables(
    path: str | os.PathLike[str],
    names: Iterable[str] | None = None,
    *,
    verify: bool = True,
    include_slots: bool = False,
) -> dict[str, np.ndarray]:
    """``{name: numpy array}`` from a checkpoint (scopejax or TensorFlow): all, or ``names``.

    Checksums are verified unless ``verify=False``. A name not in the checkpoint is a
    CheckpointError that lists close names.

    Args:
      path: a scopejax checkpoint, a TF checkpoint (prefix or directory).
      names: the variables to read (a name or names); None reads all.
      verify: check the checksums (CRC-32C, SHA-256 in version-1 checkpoints, or TF's CRC32C).
      include_slots: TF: also read optimizer slots and bookkeeping tensors.

    Returns:
      ``{name: np.ndarray}``, exact (no dtype conversion).

    Raises:
      CheckpointError: no checkpoint at ``path``, or a name is not in it.
      CheckpointCorruptError: a checksum does not match.

    >>> import numpy as np, tempfile, scopejax as sj
    >>> p = sj.checkpoint.save(tempfile.mkdtemp() + "/c", {"a/w": np.eye(2), "b": np.ones(3)})
    >>> sj.checkpoint.load_variables(p, ["a/w"])
    {'a/w': array([[1., 0.],
           [0., 1.]])}
    """
    src = open_source(path, verify=verify, include_slots=include_slots)
    have = src.variables()
    names = sorted(have) if names is None else list(names)
    missing = [n for n in names if n not in have]
    if missing:
        import difflib

        hints = []
        for n in missing[:5]:
            close = difflib.get_close_matches(n, list(have), n=2)
            hints.append(
                f"{n!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else "")
            )
        raise CheckpointError(
            f"{src.description} has no variable {', '.join(hints)}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + ". List its variables with `python -m scopejax.checkpoint ls PATH`."
        )
    return {n: np.asarray(v) for n, v in src.read(names).items()}
