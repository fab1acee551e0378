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


def _masked_crc32c_fast(data: bytes) -> int:
    """TFRecord's masked CRC-32C (the value tensorboard's pure-Python one gives), in C."""
    import google_crc32c

    x = int(google_crc32c.value(bytes(data)))
    return (((x >> 15) | (x << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record_writer() -> ModuleType:
    """``tensorboard.summary.writer.record_writer``, its record checksum in C when possible.

    tensorboard (without TensorFlow) checksums each record with a pure-Python CRC-32C,
    about 0.2 µs a byte (a scalar event: 15 µs; a PNG: milliseconds).
    When ``google-crc32c`` is installed (the ``summary`` extra installs it) the record
    writer's ``masked_crc32c`` is swapped for the C one, which gives the same values
    (``tests/test_summary.py`` checks).

    Returns:
      The module.

    Raises:
      ImportError: tensorboard is not installed.
    """
    records = need("tensorboard.summary.writer.record_writer")
    if getattr(records, "masked_crc32c", None) is not _masked_crc32c_fast:
        try:
            import google_crc32c  # noqa: F401
        except ImportError:
            return records
        setattr(records, "masked_crc32c", _masked_crc32c_fast)  # noqa: B010
    return records
