"""The ``tensorboard`` package, imported on first use (scopejax's core install goes without it)."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL = (
    "sj.summary needs the tensorboard package (TensorFlow is not needed): "
    "pip install 'scopejax[summary]' or pip install tensorboard."
)


def need(module: str) -> ModuleType:
    """Import ``module`` (a ``tensorboard.*`` module), or say how to install it.

    Args:
      module: the dotted module name.

    Returns:
      The module.

    Raises:
      ImportError: tensorboard is not installed; the message says what to install.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{INSTALL} ({module}: {e})") from e


def available() -> bool:
    """True if tensorboard can be imported."""
    try:
        importlib.import_module("tensorboard.compat.proto.event_pb2")
    except ImportError:
        return False
    return True
