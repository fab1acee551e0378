"""``save``: a Store (plus optimizer state and step) to a checkpoint directory, atomically.

A save never exposes a half-written checkpoint at ``path``:

1. orbax writes everything into a staging directory beside ``path``
   (``<name>.scopejax-tmp-<id>``, itself written as ``….orbax-checkpoint-tmp`` and renamed
   when complete);
2. the staging directory is renamed to ``path`` (one ``rename``); with ``overwrite=True`` the
   previous checkpoint is first renamed aside (``<name>.scopejax-old-<id>``) and deleted
   only after the new one is in place.

A process killed at any point therefore leaves either the previous or the new checkpoint
complete. If it dies between the two renames of an overwrite, ``path`` is briefly absent:
``restore`` then reads the complete sibling (with a warning) and the next ``save`` puts it
back in place.

One writer per path, enforced: a save holds an exclusive ``flock`` on the sibling file
``<name>.scopejax-lock`` (holding the writer's pid and host) from its first look at ``path``
to its last rename, and removes it when done. The kernel drops the lock of a process that
dies, so a killed writer never blocks the next. A second save of the same path meanwhile,
from any process or thread, fails at once with a CheckpointError naming the writer.
Everything a save cleans up (staging folders of interrupted saves) it touches only while
holding the lock, so it never removes another live writer's files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: an exclusive-create claim instead
    fcntl = None  # type: ignore[assignment]  # a module otherwise; callers test for None

from scopejax._src.checkpoint import orbax as _orbax
from scopejax._src.checkpoint import processes as _processes
from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.checkpoint.format import (
    CHECKSUM,
    FORMAT,
    META_CHECKSUM,
    OPT_STATE,
    SHARDS,
    STORED_AS,
    VARIABLES,
    VERSION,
    digest_many,
    dtype_name,
    is_scopejax_checkpoint,
    meta_sha256,
    variable_entry,
    versions,
)
from scopejax._src.checkpoint.tree import describe, leaves_with_paths
from scopejax._src.core.store import Store

TMP_TAG = ".scopejax-tmp-"
OLD_TAG = ".scopejax-old-"
LOCK_TAG = ".scopejax-lock"
ORBAX_TMP = ".orbax-checkpoint-tmp"


@dataclass
class Snapshot:
    """Host copies of everything a save writes, and its metadata (checksums not yet filled)."""

    meta: dict[str, Any]
    arrays: dict[str, dict[str, Any]]
    entries: list[tuple[dict[str, Any], Any]]  # numpy arrays, or jax.Arrays across processes


def unpack(obj: Any) -> tuple[Store, Any, Any]:
    """``(store, opt_state, step)`` from a Store, a mapping of arrays, or a TrainState-like."""
    if isinstance(obj, Store):
        return obj, None, None
    fields = getattr(type(obj), "_fields", ())
    if isinstance(obj, tuple) and {"store", "opt_state", "step"} <= set(fields):
        state: Any = obj  # a NamedTuple with those fields (TrainState or alike)
        return unpack_store(state.store), state.opt_state, state.step
    if isinstance(obj, Mapping):
        return Store(obj), None, None
    raise TypeError(
        "save() takes a Store, a mapping {name: array}, or a TrainState (store, opt_state, "
        f"step); got {type(obj).__name__}."
    )


def unpack_store(s: Any) -> Store:
    if isinstance(s, Store):
        return s
    if isinstance(s, Mapping):
        return Store(s)
    raise TypeError(f"expected a Store, got {type(s).__name__}.")


def _host(x: Any, what: str, copy: bool) -> Any:
    """``x`` as a numpy array; an array sharded across processes stays a ``jax.Array``
    (each process then writes only its own shards)."""
    if isinstance(x, jax.ShapeDtypeStruct):
        raise CheckpointError(
            f"{what} is abstract (a jax.ShapeDtypeStruct, e.g. from init_abstract): there are "
            "no values to save."
        )
    if isinstance(x, jax.Array):
        if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            dtype_name(np.dtype(object))  # the error that says to save key_data
        if not x.is_fully_addressable:
            dtype_name(x.dtype)
            if x.dtype in STORED_AS:
                raise CheckpointError(
                    f"{what}: {x.dtype} arrays sharded across processes "
                    "cannot be saved; gather it or cast it first."
                )
            return jax.numpy.array(x, copy=True) if copy else x
        x = jax.device_get(x)
    a = np.array(x, copy=True) if copy else np.asarray(x)
    dtype_name(a.dtype)  # raises for non-numeric dtypes
    return a


def _stored_view(a: Any) -> Any:
    """What orbax is given: a host array viewed as its storable dtype, or a global array."""
    return a.view(STORED_AS.get(a.dtype, a.dtype)) if isinstance(a, np.ndarray) else a


def _step_int(step: Any) -> int | None:
    if step is None:
        return None
    try:
        arr = np.asarray(jax.device_get(step))
        if arr.shape != () or arr.dtype.kind not in "iub":
            raise TypeError
        return int(arr)
    except (TypeError, ValueError):
        raise CheckpointError(f"step must be an integer scalar, got {step!r}.") from None


def snapshot(
    obj: Any,
    *,
    opt_state: Any = None,
    step: Any = None,
    metadata: Mapping[str, Any] | None = None,
    copy: bool = False,
) -> Snapshot:
    """Everything ``save`` writes, as host arrays (``copy``: independent of device buffers)."""
    store, opt0, step0 = unpack(obj)
    if opt_state is None:
        opt_state = opt0
    if step is None:
        step = step0
    user = dict(metadata or {})
    try:
        json.dumps(user, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"save(metadata=...) must be JSON-serializable: {e}") from None
    arrays: dict[str, dict[str, Any]] = {VARIABLES: {}, OPT_STATE: {}}
    entries: list[tuple[dict[str, Any], Any]] = []
    var_entries = []
    infos = store.infos
    for i, (name, value) in enumerate(store.flat().items()):
        a = _host(value, f"variable {name}", copy)
        key = str(i) if a.size else None
        if key is not None:
            arrays[VARIABLES][key] = _stored_view(a)
        info = infos[name]
        if store._prefix and info.key is not None and info.key.startswith(store._prefix):
            info = dataclasses.replace(info, key=info.key[len(store._prefix) :])
        entry = variable_entry(name, info, a, key, "")
        var_entries.append(entry)
        entries.append((entry, a))
    opt_meta = None
    if opt_state is not None:
        tree = describe(opt_state, known=infos)
        leaves = []
        for i, (p, leaf) in enumerate(leaves_with_paths(opt_state)):
            a = _host(leaf, f"optimizer state leaf {p}", copy)
            key = str(i) if a.size else None
            if key is not None:
                arrays[OPT_STATE][key] = _stored_view(a)
            py = type(leaf).__name__ if type(leaf) in (bool, int, float) else None
            leaf_entry = {
                "path": p,
                "shape": list(a.shape),
                "dtype": dtype_name(a.dtype),
                "array": key,
                "nbytes": int(a.nbytes),
                CHECKSUM: "",
                "py": py,
            }
            leaves.append(leaf_entry)
            entries.append((leaf_entry, a))
        opt_meta = {"tree": tree, "leaves": leaves}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "checksum": CHECKSUM,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "step": _step_int(step),
        "metadata": user,
        VARIABLES: var_entries,
        OPT_STATE: opt_meta,
    }
    return Snapshot(meta, arrays, entries)


# -- one writer per path ---------------------------------------------------------------------
def lock_path(path: Path) -> Path:
    """The lock file of checkpoint ``path``."""
    return path.with_name(path.name + LOCK_TAG)


def _holder(fd: int) -> str:
    """Who holds the lock on ``fd``'s file, from what it wrote there."""
    for _ in range(500):  # it writes its name right after locking; give it a moment
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            raw = os.read(fd, 4096)
            info = json.loads(raw.decode("utf-8")) if raw else None
        except (OSError, ValueError):
            info = None
        if isinstance(info, dict):
            return (
                f"pid {info.get('pid')!s:.20} on host {info.get('host')!s:.100}, since "
                f"{info.get('since')!s:.40}"
            )
        time.sleep(0.002)
    return "a process that has not recorded its pid and host"


def _busy(path: Path, holder: str) -> CheckpointError:
    return CheckpointError(
        f"Checkpoint {path} is being saved by another writer ({holder}) right now: only one "
        "writer per path at a time, so this save was not started and nothing was changed. "
        "Save to another path (a CheckpointManager gives each step its own directory), or "
        "wait for that save to finish."
    )


def _claim(lock: Path, path: Path) -> int:
    """An open descriptor of ``lock``, exclusively locked, with this writer's name in it."""
    me = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
    ).encode()
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    for _ in range(1000):
        try:
            fd = os.open(lock, flags if fcntl is not None else flags | os.O_EXCL, 0o644)
        except FileExistsError:  # no fcntl: the file itself is the claim
            fd = os.open(lock, os.O_RDONLY)
            try:
                raise _busy(path, _holder(fd) + f"; if it is gone, delete {lock}") from None
            finally:
                os.close(fd)
        except OSError as e:
            raise CheckpointError(
                f"Cannot create the lock file {lock} to save checkpoint {path}: {e}."
            ) from None
        if fcntl is None:
            os.write(fd, me)
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                raise _busy(path, _holder(fd)) from None
            finally:
                os.close(fd)
        except OSError as e:
            os.close(fd)
            raise CheckpointError(f"Cannot lock {lock} to save checkpoint {path}: {e}.") from None
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            os.ftruncate(fd, 0)
            os.pwrite(fd, me, 0)
            return fd
        os.close(fd)  # its last holder removed that file as we opened it: take the new one
    raise CheckpointError(f"Cannot lock {lock} to save checkpoint {path}: it keeps changing.")


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Hold the writer lock of checkpoint ``path`` for the ``with`` block (never waits).

    Args:
      path: the checkpoint directory (its parent must exist); the lock is the sibling
        ``<name>.scopejax-lock``, removed on exit.

    Raises:
      CheckpointError: another writer (process or thread) holds it, named by its pid and
        host; or the lock file cannot be created.
    """
    lock = lock_path(path)
    fd = _claim(lock, path)
    try:
        yield
    finally:
        try:
            os.unlink(lock)  # while still locked, so no one else is holding this file
        except OSError:
            pass
        os.close(fd)


# -- atomic placement -------------------------------------------------------------------------
def _siblings(path: Path, tag: str) -> list[Path]:
    prefix = path.name + tag
    try:
        found = [p for p in path.parent.iterdir() if p.name.startswith(prefix)]
    except FileNotFoundError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime if p.exists() else 0.0)


def _complete(p: Path) -> bool:
    return not p.name.endswith(ORBAX_TMP) and is_scopejax_checkpoint(p)


def fallback(path: Path) -> Path | None:
    """A complete checkpoint left beside a missing ``path`` by an interrupted overwrite."""
    new = [p for p in _siblings(path, TMP_TAG) if _complete(p)]
    if new:
        return new[-1]
    old = [p for p in _siblings(path, OLD_TAG) if _complete(p)]
    return old[-1] if old else None


def recover(path: Path) -> None:
    """Finish an interrupted save of ``path``: put a complete sibling back, drop leftovers.

    Call it only while holding ``writing(path)``: then every sibling is a dead writer's.
    """
    if not path.exists():
        found = fallback(path)
        if found is not None:
            os.rename(found, path)
    for p in _siblings(path, TMP_TAG) + _siblings(path, OLD_TAG):
        shutil.rmtree(p, ignore_errors=True)


def _exists(path: Path) -> CheckpointError:
    return CheckpointError(
        f"Checkpoint {path} already exists; pass overwrite=True to replace it (atomically), "
        "or use a CheckpointManager to keep one directory per step."
    )


def _commit(staging: Path, path: Path, overwrite: bool) -> None:
    """Rename the complete ``staging`` to ``path`` (moving an old one aside first)."""
    old = None
    if path.exists():
        if not overwrite:
            shutil.rmtree(staging, ignore_errors=True)
            raise _exists(path)
        old = path.with_name(path.name + OLD_TAG + uuid.uuid4().hex[:8])
    try:
        if old is not None:
            os.rename(path, old)
        os.rename(staging, path)
    except OSError as e:
        if old is not None and not path.exists():
            with contextlib.suppress(OSError):
                os.rename(old, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise CheckpointError(
            f"Saving checkpoint {path} failed at its final rename ({e}); "
            + ("the previous checkpoint is unchanged." if old is not None else "nothing changed.")
        ) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_snapshot(path: Path, snap: Snapshot, *, overwrite: bool = False) -> Path:
    """Fill in the checksums and write ``snap`` at ``path`` atomically, as its only writer.

    Args:
      path: the checkpoint directory (its parent must exist).
      snap: what to write (from :func:`snapshot`).
      overwrite: replace an existing checkpoint at ``path``.

    Returns:
      ``path``.

    Raises:
      CheckpointError: ``path`` exists (and not ``overwrite``), another writer is saving it,
        or writing failed (the previous checkpoint, if any, is then unchanged).
    """
    _fill_checksums(snap)
    primary = _processes.is_primary()
    with writing(path) if primary else contextlib.nullcontext():
        verdict = _OK
        if primary:
            recover(path)
            if path.exists() and not overwrite:
                verdict = _EXISTS
        if _processes.agree(verdict) == _EXISTS:
            raise _exists(path)
        # one staging name for every process: process 0's
        token = _processes.agree(uuid.uuid4().int & 0x7FFFFFFF if primary else 0)
        staging = path.with_name(path.name + TMP_TAG + f"{token:08x}")
        try:
            _orbax.write(staging, snap.arrays, snap.meta)
        except BaseException:
            if primary:
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(staging.with_name(staging.name + ORBAX_TMP), ignore_errors=True)
            raise
        failed = ""
        if primary:
            try:
                _commit(staging, path, overwrite)
            except CheckpointError as e:
                failed = str(e)
        if _processes.agree(1 if failed else _OK) != _OK:
            raise CheckpointError(failed or f"Saving checkpoint {path} failed in process 0.")
    return path


_OK, _EXISTS = 0, 2


def _fill_checksums(snap: Snapshot) -> None:
    """Write each entry's CRC-32C (per shard for arrays sharded across processes) and the
    metadata's SHA-256 into ``snap.meta``."""
    local = [(e, a) for e, a in snap.entries if not _processes.is_global(a)]
    for (e, _), d in zip(local, digest_many(a for _, a in local), strict=True):
        e[CHECKSUM] = d
    spread = [(e, a) for e, a in snap.entries if _processes.is_global(a)]
    for (e, _), shards in zip(
        spread, _processes.shard_checksums([a for _, a in spread]), strict=True
    ):
        e[CHECKSUM] = None
        e[SHARDS] = [{"index": index, CHECKSUM: crc} for index, crc in shards]
    snap.meta[META_CHECKSUM] = meta_sha256(snap.meta)


def save(
    path: str | os.PathLike[str],
    state: Any,
    *,
    opt_state: Any = None,
    step: Any = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a Store (or a TrainState: store, optimizer state, step) to directory ``path``.

    ``state`` is a :class:`~scopejax.Store`, a ``{name: array}`` mapping, or a
    ``TrainState`` (``opt_state`` and ``step`` are then taken from it). Values, every
    variable's metadata (name, shape, dtype, trainable, collections, device) and a
    CRC-32C of each array (of each shard, for arrays sharded across processes) are
    written through orbax-checkpoint; the optimizer state is saved as its leaves plus a
    JSON description of its structure (never pickled); ``metadata`` is any
    JSON-serializable dict kept with the checkpoint. The write is atomic (see the module
    docstring). With several JAX processes every process calls it with the same
    arguments; each writes only its own shards and process 0 writes the metadata.
    Returns the checkpoint's path.

    Args:
      path: the checkpoint directory to write.
      state: a Store, a ``{name: array}`` mapping, or a TrainState.
      opt_state: an optimizer state to save (taken from a TrainState when not given).
      step: the training step to save.
      metadata: a JSON-serializable dict kept with the checkpoint.
      overwrite: replace an existing checkpoint at ``path``.

    Returns:
      The checkpoint's path.

    Raises:
      CheckpointError: ``path`` exists (without ``overwrite``), another writer holds it,
        or a value cannot be saved.

    >>> import jax, jax.numpy as jnp, tempfile, scopejax as sj
    >>> store = sj.Store({"l1/w": jnp.ones([2, 3]), "l1/b": jnp.zeros([3])})
    >>> path = sj.checkpoint.save(tempfile.mkdtemp() + "/ckpt", store, step=10)
    >>> ckpt = sj.checkpoint.restore(path)
    >>> ckpt.step, ckpt.store.names()
    (10, ['l1/b', 'l1/w'])
    """
    path = Path(path).expanduser().absolute()
    if path.exists() and not overwrite:
        raise _exists(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    snap = snapshot(state, opt_state=opt_state, step=step, metadata=metadata)
    return write_snapshot(path, snap, overwrite=overwrite)
