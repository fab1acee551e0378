"""Checkpoint errors: each names the file (or variable) and what to do."""

from __future__ import annotations

from scopejax._src.core.errors import ScopejaxError


class CheckpointError(ScopejaxError, ValueError):
    """A checkpoint cannot be read or written: missing, truncated, wrong format."""


class CheckpointCorruptError(CheckpointError):
    """A checkpoint's bytes fail their checksum, or its structure is malformed."""


class RestoreError(CheckpointError):
    """A restore would lose or mismatch variables (strict mode); the report says which."""
