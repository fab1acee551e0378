"""The orbax-checkpoint calls: write a checkpoint directory, read some of its arrays.

orbax is imported here, lazily, so ``import scopejax`` (and even ``import
scopejax.checkpoint``) never pays for it; only saving or restoring our own format does.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError
from scopejax._src.checkpoint.format import ARRAYS_ITEM, META_FILE, META_ITEM


def ocp() -> Any:
    """``orbax.checkpoint``, or a CheckpointError saying how to install it."""
    try:
        import orbax.checkpoint as ocp
    except ImportError as e:  # pragma: no cover - the test extra installs it
        raise CheckpointError(
            "scopejax checkpoints are written with orbax-checkpoint, which is not installed: "
            "pip install 'scopejax[checkpoint]' (or pip install orbax-checkpoint)."
        ) from e
    _quiet_closed_loop_callbacks()
    return ocp


def _is_closed_loop_callback(u: Any) -> bool:
    """An unraisable ``RuntimeError('Event loop is closed')`` from ``call_soon_threadsafe``."""
    if not (isinstance(u.exc_value, RuntimeError) and str(u.exc_value) == "Event loop is closed"):
        return False
    tb = u.exc_traceback
    while tb is not None:
        if tb.tb_frame.f_code.co_name in ("call_soon_threadsafe", "_check_closed"):
            return True
        tb = tb.tb_next
    return False


def _quiet_closed_loop_callbacks() -> None:
    """Drop one known, harmless message from orbax's failure path (and only that one).

    When one array of a restore fails to read (a corrupt file), orbax raises and closes its
    event loop while tensorstore still completes the other reads; each completion then tries
    to call back into the closed loop and Python prints "RuntimeError: Event loop is closed"
    through ``sys.unraisablehook``, dozens of times, after the real error was raised. This
    hook swallows exactly those; everything else goes to the previous hook.
    """
    if getattr(sys.unraisablehook, "_scopejax", False):
        return
    previous = sys.unraisablehook

    def hook(u: Any) -> None:
        if not _is_closed_loop_callback(u):
            previous(u)

    hook._scopejax = True  # type: ignore[attr-defined]  # a marker on the function object
    sys.unraisablehook = hook


def _checkpointer(ocp: Any, with_arrays: bool) -> Any:
    items: dict[str, Any] = {META_ITEM: ocp.JsonCheckpointHandler(filename=META_FILE)}
    if with_arrays:
        items[ARRAYS_ITEM] = ocp.StandardCheckpointHandler()
    return ocp.Checkpointer(ocp.CompositeCheckpointHandler(**items))


def write(path: Path, arrays: Mapping[str, Mapping[str, np.ndarray]], meta: dict) -> None:
    """Write ``arrays`` (groups of ``{key: array}``) and ``meta`` as a new checkpoint at ``path``.

    orbax writes into ``<path>.orbax-checkpoint-tmp`` and renames it to ``path`` once
    everything is written, so ``path`` either does not exist or is complete.
    """
    o = ocp()
    tree = {g: dict(d) for g, d in arrays.items() if d}
    args: dict[str, Any] = {META_ITEM: o.args.JsonSave(meta)}
    if tree:
        args[ARRAYS_ITEM] = o.args.StandardSave(tree)
    try:
        _checkpointer(o, bool(tree)).save(path, args=o.args.Composite(**args))
    except CheckpointError:
        raise
    except Exception as e:
        raise CheckpointError(f"Saving checkpoint {path} failed: {type(e).__name__}: {e}") from e


def read(
    path: Path,
    wanted: Mapping[str, Mapping[str, tuple[tuple[int, ...], np.dtype]]],
    present: Mapping[str, list[str]],
    describe: Callable[[str, str], str] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Read the arrays ``wanted`` (``{group: {key: (shape, dtype)}}``) as numpy arrays.

    ``describe(group, key)`` names an array in error messages (e.g. its variable).

    ``present`` lists every key saved per group. Only the wanted arrays are read (orbax's
    partial restore); each comes back with the dtype and shape stored on disk, which the
    caller checks against the metadata.
    """
    if not any(wanted.values()):
        return {g: {} for g in wanted}
    o = ocp()
    item: dict[str, dict[str, Any]] = {}
    restore_args: dict[str, dict[str, Any]] = {}
    for group, want in wanted.items():
        keys = [k for k in want if k in set(present.get(group, ()))]
        if keys:
            item[group] = {k: np.empty((0,), want[k][1]) for k in keys}
            restore_args[group] = {k: o.RestoreArgs(restore_type=np.ndarray) for k in keys}
    reader = o.Checkpointer(
        o.CompositeCheckpointHandler(**{ARRAYS_ITEM: o.PyTreeCheckpointHandler()})
    )
    try:
        out = reader.restore(
            path,
            args=o.args.Composite(
                **{
                    ARRAYS_ITEM: o.args.PyTreeRestore(
                        item=item, restore_args=restore_args, partial_restore=True
                    )
                }
            ),
        )[ARRAYS_ITEM]
    except Exception as e:
        msg = " ".join(str(e).split()).split(" [tensorstore_spec=")[0]
        if len(msg) > 600:
            msg = msg[:600] + " …"
        which = ""
        hit = re.search(r"\b(" + "|".join(map(re.escape, present)) + r")\.(\d+)\b", msg)
        if hit and describe is not None:
            which = f" ({describe(hit.group(1), hit.group(2))})"
        raise CheckpointCorruptError(
            f"Checkpoint {path}: reading its arrays ({ARRAYS_ITEM}/) failed{which}: "
            f"{type(e).__name__}: {msg}. The checkpoint is incomplete or corrupt; restore "
            "another one."
        ) from None
    result: dict[str, dict[str, np.ndarray]] = {}
    for group, want in wanted.items():
        got = out.get(group, {}) if isinstance(out, dict) else {}
        result[group] = {}
        for k in want:
            v = got.get(k) if isinstance(got, dict) else None
            if v is None:
                raise CheckpointCorruptError(
                    f"Checkpoint {path}: array {group}/{k} is missing from {ARRAYS_ITEM}/."
                )
            result[group][k] = np.asarray(v)
    return result
