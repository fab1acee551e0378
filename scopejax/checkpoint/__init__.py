"""Checkpoints: save and restore Stores by name, and read TF1/TF2 checkpoints without TF."""

from __future__ import annotations

from scopejax.checkpoint._errors import CheckpointCorruptError, CheckpointError, RestoreError

__all__ = ["CheckpointCorruptError", "CheckpointError", "RestoreError"]
