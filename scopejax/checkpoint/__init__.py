"""Checkpoints: save and restore Stores by name, and read TF1/TF2 checkpoints without TF.

* :func:`save` / :func:`restore`: a Store (values and metadata), optionally an optax state
  and the step, through orbax-checkpoint; atomic, CRC-32C per array, nothing pickled.
* :class:`CheckpointManager`: one checkpoint per step, the last K kept, async saves.
* :func:`init_from_checkpoint`: TF1's assignment maps (``{'old_scope/': 'new_scope/'}``),
  functional, with a :class:`RestoreReport` of what was and was not restored.
* :func:`save_tf`: write a TensorFlow V2 checkpoint (``.index`` + ``.data-*``) that TF
  reads, from a Store or ``{name: array}``.
* :func:`list_variables` / :func:`load_variables`: any checkpoint (ours or TensorFlow's) by
  name; ``python -m scopejax.checkpoint ls PATH`` lists one.

orbax-checkpoint is imported only when a scopejax checkpoint is written or read.
"""

from __future__ import annotations

from typing import Any

from scopejax._src.checkpoint.assign import init_from_checkpoint
from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError, RestoreError
from scopejax._src.checkpoint.format import is_scopejax_checkpoint
from scopejax._src.checkpoint.manager import CheckpointManager
from scopejax._src.checkpoint.report import Mismatch, RestoreReport
from scopejax._src.checkpoint.restore import Checkpoint, restore
from scopejax._src.checkpoint.save import save
from scopejax._src.checkpoint.source import list_variables, load_variables

__all__ = [
    "Checkpoint",
    "CheckpointCorruptError",
    "CheckpointError",
    "CheckpointManager",
    "Mismatch",
    "RestoreError",
    "RestoreReport",
    "init_from_checkpoint",
    "is_scopejax_checkpoint",
    "is_tf_checkpoint",
    "list_variables",
    "load_tf_checkpoint",
    "load_variables",
    "restore",
    "save",
    "save_tf",
]

_TF_NAMES = ("is_tf_checkpoint", "load_tf_checkpoint")


def __getattr__(name: str) -> Any:
    """The TensorFlow bundle reader's functions, imported on first use."""
    if name in _TF_NAMES:
        from scopejax._src.checkpoint import tf_bundle as _tf_bundle

        return getattr(_tf_bundle, name)
    if name == "save_tf":
        from scopejax._src.checkpoint.tf_writer import save_tf

        return save_tf
    raise AttributeError(f"module 'scopejax.checkpoint' has no attribute {name!r}")
