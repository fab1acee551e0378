"""``CheckpointManager``: one checkpoint directory per step, the last K kept, async saves.

Layout: ``DIRECTORY/<step>/`` is a checkpoint written by :func:`save` (so each step is
atomic, under save's one-writer lock). Old steps are removed only after a newer one is
complete, each by renaming it to ``<step>.scopejax-deleting-…`` first, so an interrupted
deletion never leaves a half step that looks whole. A step another writer (another
manager, another process) is saving right now is never cleaned up or deleted; saving it
too is a CheckpointError naming that writer.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.checkpoint.format import STEP_NAME, step_dirs
from scopejax._src.checkpoint.save import (
    LOCK_TAG,
    ORBAX_TMP,
    TMP_TAG,
    recover,
    snapshot,
    write_snapshot,
    writing,
)

DELETING_TAG = ".scopejax-deleting-"


class CheckpointManager:
    """Save a checkpoint per step into ``directory``, keep the last ``max_to_keep``.

    ``save(step, state)`` takes what :func:`save` takes (a Store or a TrainState; ``opt_state``
    and ``metadata`` by keyword). With ``async_save=True`` it returns once the values are
    copied to host memory; writing (checksums, orbax, the atomic rename, removing old steps)
    runs in a background thread, one save at a time. ``wait()`` blocks until it is done and
    re-raises its error, as do the next ``save`` and ``close``.

    >>> import jax.numpy as jnp, tempfile, scopejax as sj
    >>> mgr = sj.checkpoint.CheckpointManager(tempfile.mkdtemp(), max_to_keep=2)
    >>> for step in range(4):
    ...     _ = mgr.save(step, sj.Store({"w": jnp.full([2], float(step))}))
    >>> mgr.steps(), mgr.restore().store["w"]
    ([2, 3], Array([3., 3.], dtype=float32))
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_to_keep: int | None = None,
        async_save: bool = False,
    ) -> None:
        if max_to_keep is not None and max_to_keep < 1:
            raise ValueError(f"max_to_keep must be None or >= 1, got {max_to_keep}.")
        self.directory = Path(directory).expanduser().absolute()
        self.max_to_keep = max_to_keep
        self.async_save = async_save
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._cleanup()

    # -- layout ------------------------------------------------------------------------------
    def path(self, step: int) -> Path:
        """The directory of ``step``'s checkpoint (which may not exist)."""
        return self.directory / str(int(step))

    def steps(self) -> list[int]:
        """The steps with a complete checkpoint, ascending."""
        return sorted(step_dirs(self.directory))

    def latest_step(self) -> int | None:
        """The newest complete step, or None."""
        steps = self.steps()
        return steps[-1] if steps else None

    def _cleanup(self) -> None:
        """Leftovers of killed saves and deletions; a step another writer holds is left be.

        A step's staging folders are removed (or a complete one put in place) only while
        holding its writer lock; a lock file left by a writer that died is removed by
        taking and releasing it.
        """
        for p in list(self.directory.iterdir()):
            name = p.name
            stem = name.split(".", 1)[0]
            if not STEP_NAME.fullmatch(stem) or name == stem:
                continue
            if DELETING_TAG in name:
                shutil.rmtree(p, ignore_errors=True)
            elif TMP_TAG in name or name.endswith(ORBAX_TMP) or name.endswith(LOCK_TAG):
                try:
                    with writing(self.directory / stem):
                        recover(self.directory / stem)
                        if p.is_dir():
                            shutil.rmtree(p, ignore_errors=True)
                except CheckpointError:  # being saved right now, by another process
                    pass

    def _delete(self, step: int) -> None:
        """Remove ``step`` (renamed aside first); skipped while another writer saves it."""
        p = self.path(step)
        gone = p.with_name(p.name + DELETING_TAG + uuid.uuid4().hex[:8])
        try:
            with writing(p):
                os.rename(p, gone)
        except (CheckpointError, FileNotFoundError):  # being saved, or already deleted
            return
        shutil.rmtree(gone, ignore_errors=True)

    # -- saving ------------------------------------------------------------------------------
    def save(
        self,
        step: int,
        state: Any,
        *,
        opt_state: Any = None,
        metadata: Mapping[str, Any] | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Save ``state`` as ``step`` (see :func:`save`); returns the step's path."""
        step = int(step)
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}.")
        self.wait()
        path = self.path(step)
        if path.exists() and not overwrite:
            raise CheckpointError(
                f"Step {step} already has a checkpoint at {path}; pass overwrite=True."
            )
        snap = snapshot(
            state, opt_state=opt_state, step=step, metadata=metadata, copy=self.async_save
        )
        if not self.async_save:
            self._write(path, snap, overwrite)
            return path
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scopejax-ckpt")
            self._pending = self._pool.submit(self._write, path, snap, overwrite)
        return path

    def _write(self, path: Path, snap: Any, overwrite: bool) -> None:
        write_snapshot(path, snap, overwrite=overwrite)
        if self.max_to_keep is not None:
            for old in self.steps()[: -self.max_to_keep]:
                self._delete(old)

    def wait(self) -> None:
        """Block until a pending async save is written; re-raise its error, if any."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for a pending save, then stop the background thread."""
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def __enter__(self) -> CheckpointManager:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- restoring ---------------------------------------------------------------------------
    def restore(self, step: int | None = None, target: Any = None, *, verify: bool = True) -> Any:
        """:func:`restore` of ``step`` (default: the latest; waits for a pending save)."""
        from scopejax._src.checkpoint.restore import restore

        self.wait()
        if step is None:
            step = self.latest_step()
            if step is None:
                raise CheckpointError(f"No checkpoint in {self.directory} yet.")
        elif int(step) not in step_dirs(self.directory):
            raise CheckpointError(
                f"No checkpoint for step {step} in {self.directory}; steps: {self.steps()}."
            )
        return restore(self.path(step), target, verify=verify)

    def __repr__(self) -> str:
        return (
            f"CheckpointManager({str(self.directory)!r}, max_to_keep={self.max_to_keep}, "
            f"async_save={self.async_save}, steps={self.steps()})"
        )
