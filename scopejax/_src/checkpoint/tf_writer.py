"""Write TensorFlow checkpoints (V2 tensor bundles) with numpy alone, no TensorFlow.

``save_tf(prefix, values)`` writes ``prefix.index`` and ``prefix.data-00000-of-00001``,
the files ``tf.compat.v1.train.Saver`` writes and ``tf.train.load_checkpoint``,
``tf.train.NewCheckpointReader``, ``Saver.restore`` and ``tf.train.init_from_checkpoint``
read: the data file holds each tensor's raw little-endian bytes; the index is a
LevelDB-style table (uncompressed blocks, each with its masked CRC-32C) mapping the
empty key to the ``BundleHeaderProto`` and each name, in byte order, to its
``BundleEntryProto`` (dtype, shape, offset, size, masked CRC-32C of the bytes). Names
are the variables' full names (``dense/kernel``: TF1's names, no ``:0``).

Example::

    from scopejax._src.checkpoint.tf_writer import save_tf
    save_tf("train_dir/model.ckpt-100", store)          # a Store or {name: array}

The reader is :mod:`scopejax._src.checkpoint.tf_bundle`; the TF-side check is
``tests/compat_recordings/check_tf_reads.py`` (TensorFlow reads these files back bit
for bit).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from scopejax._src.checkpoint.crc32c import crc32c, mask
from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.checkpoint.proto import encode_varint
from scopejax._src.checkpoint.tf_bundle import _MAGIC, DTYPES

PathLike = str | os.PathLike

#: numpy dtype -> TF DataType enum (what a bundle entry records); strings and the 4-bit
#: types are not written.
TF_DTYPES: dict[np.dtype, int] = {d: k for k, d in DTYPES.items() if k not in (7, 29, 30)}
_BLOCK_SIZE = 4096  # table data blocks are cut after about this many bytes (TF: 4 KiB)
_VERSION = b"\x1a\x02\x08\x01"  # BundleHeaderProto.version = VersionDef{producer: 1}


def _field_varint(number: int, value: int) -> bytes:
    return encode_varint(number << 3) + encode_varint(value) if value else b""


def _field_bytes(number: int, data: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(data)) + data


def _shape_proto(shape: tuple[int, ...]) -> bytes:
    return b"".join(_field_bytes(2, _field_varint(1, d)) for d in shape)


def _entry_proto(dtype: int, shape: tuple[int, ...], offset: int, size: int, crc: int) -> bytes:
    return (
        _field_varint(1, dtype)
        + _field_bytes(2, _shape_proto(shape))
        + _field_varint(4, offset)
        + _field_varint(5, size)
        + encode_varint(6 << 3 | 5)
        + mask(crc).to_bytes(4, "little")
    )


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    """One table block: every entry a restart point (no shared key prefixes)."""
    out, restarts = bytearray(), []
    for key, value in entries:
        restarts.append(len(out))
        out += encode_varint(0) + encode_varint(len(key)) + encode_varint(len(value))
        out += key + value
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += r.to_bytes(4, "little")
    out += len(restarts).to_bytes(4, "little")
    return bytes(out)


def _table(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A LevelDB-style table of sorted ``entries``: data blocks, an empty metaindex
    block, an index block (last key of each data block -> its handle) and the footer."""
    out = bytearray()

    def put(block: bytes) -> bytes:
        handle = encode_varint(len(out)) + encode_varint(len(block))
        trailer = b"\x00"  # no compression
        out.extend(block + trailer + mask(crc32c(block + trailer)).to_bytes(4, "little"))
        return handle

    index: list[tuple[bytes, bytes]] = []
    chunk: list[tuple[bytes, bytes]] = []
    size = 0
    for key, value in entries:
        chunk.append((key, value))
        size += len(key) + len(value) + 8
        if size >= _BLOCK_SIZE:
            index.append((key, put(_block(chunk))))
            chunk, size = [], 0
    if chunk:
        index.append((chunk[-1][0], put(_block(chunk))))
    meta = put(_block([]))
    idx = put(_block(index))
    footer = (meta + idx).ljust(40, b"\x00") + _MAGIC.to_bytes(8, "little")
    return bytes(out + footer)


def _as_arrays(values: Any) -> dict[str, np.ndarray]:
    flat = values.flat() if hasattr(values, "flat") and callable(values.flat) else values
    if not isinstance(flat, Mapping):
        raise TypeError(
            "save_tf takes a Store or a {name: array} mapping (a TrainState: pass "
            f"state.store), got {type(values).__name__}."
        )
    out = {}
    for name, value in flat.items():
        if not isinstance(name, str) or not name or name.startswith("\x00"):
            raise CheckpointError(f"save_tf: {name!r} is not a variable name.")
        arr = np.asarray(value)
        dtype = arr.dtype.newbyteorder("=") if arr.dtype.byteorder == ">" else arr.dtype
        if dtype not in TF_DTYPES:
            raise CheckpointError(
                f"save_tf: variable {name} has dtype {arr.dtype}, which a TF bundle cannot "
                f"hold here; supported: {sorted({str(d) for d in TF_DTYPES})}."
            )
        out[name] = np.asarray(arr, dtype.newbyteorder("<"), order="C")  # keeps 0-d
    return out


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_tf(prefix: PathLike, values: Any) -> str:
    """Write ``values`` as a TensorFlow V2 checkpoint at ``prefix`` (TF1 names).

    Writes ``prefix.data-00000-of-00001`` then ``prefix.index`` (each through a
    temporary file renamed into place, the index last), replacing existing files.

    Args:
      prefix: the checkpoint prefix (``train_dir/model.ckpt-100``); its directory is
        created if missing.
      values: a Store (every variable, by full name) or a mapping ``{name: array}``
        (e.g. a Store's ``flat()`` plus an optimizer's ``state_to_tf``).

    Returns:
      The prefix, as a string.

    Raises:
      TypeError: ``values`` is neither a Store nor a mapping.
      CheckpointError: a name is empty, or a dtype a bundle cannot hold here (strings,
        4-bit integers).

    >>> import tempfile, numpy as np
    >>> from scopejax._src.checkpoint.tf_bundle import load_tf_checkpoint
    >>> d = tempfile.mkdtemp()
    >>> p = save_tf(f"{d}/model.ckpt-1", {"dense/kernel": np.ones([2, 3], np.float32)})
    >>> load_tf_checkpoint(p)["dense/kernel"].shape
    (2, 3)
    """
    prefix = os.fspath(prefix)
    arrays = _as_arrays(values)
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    data = bytearray()
    entries: list[tuple[bytes, bytes]] = [(b"", _field_varint(1, 1) + _VERSION)]
    for name in sorted(arrays, key=lambda n: n.encode("utf-8")):
        arr = arrays[name]
        raw = arr.tobytes()
        entry = _entry_proto(
            TF_DTYPES[arr.dtype.newbyteorder("=")], arr.shape, len(data), len(raw), crc32c(raw)
        )
        entries.append((name.encode("utf-8"), entry))
        data += raw
    _write(f"{prefix}.data-00000-of-00001", bytes(data))
    _write(f"{prefix}.index", _table(entries))
    return prefix
