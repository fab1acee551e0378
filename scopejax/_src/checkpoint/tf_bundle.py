"""Read TensorFlow checkpoints (V2 tensor bundles) with numpy alone, no TensorFlow.

A checkpoint written by ``tf.compat.v1.train.Saver`` or ``tf.train.Checkpoint``
is a prefix ``dir/model.ckpt`` with an index ``model.ckpt.index`` (a LevelDB-style
table: tensor name -> ``BundleEntryProto``) and data files
``model.ckpt.data-0000K-of-0000N`` (raw little-endian bytes). This module reads
the index, checks every checksum (masked CRC-32C) and returns numpy arrays by
name: TF1 names as saved (``dense/kernel``), TF2 object-based names as saved
(``model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE``); partitioned variables
(``fixed_size_partitioner``) are assembled to their full shape. Optimizer slots
and bookkeeping (``dense/kernel/Adam``, ``beta1_power``, ``global_step``,
``.OPTIMIZER_SLOT``, ``save_counter``, ``_CHECKPOINTABLE_OBJECT_GRAPH``) are
skipped unless ``include_slots=True``.

Example::

    from scopejax._src.checkpoint.tf_bundle import list_variables, load_tf_checkpoint

    list_variables("train_dir")           # via train_dir/checkpoint, or its one .index
    # [('dense/bias', (5,), 'float32'), ('dense/kernel', (6, 5), 'float32'), ...]
    values = load_tf_checkpoint("train_dir/model.ckpt-2")   # {name: np.ndarray}

Nothing is unpickled or evaluated; malformed files raise ``CheckpointCorruptError``
(unreadable, unsupported or missing ones ``CheckpointError``) naming the file.
"""

from __future__ import annotations

import difflib
import glob
import io
import math
import os
import re
import sys
from collections.abc import Iterable
from typing import BinaryIO

import ml_dtypes
import numpy as np

from scopejax._src.checkpoint import proto as _proto
from scopejax._src.checkpoint.crc32c import crc32c, mask, unmask
from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError
from scopejax._src.checkpoint.files import open_regular

PathLike = str | os.PathLike

# TF DataType enum -> numpy dtype (all stored as raw little-endian items; strings aside).
DTYPES: dict[int, np.dtype] = {
    1: np.dtype(np.float32),
    2: np.dtype(np.float64),
    3: np.dtype(np.int32),
    4: np.dtype(np.uint8),
    5: np.dtype(np.int16),
    6: np.dtype(np.int8),
    7: np.dtype(object),  # DT_STRING: bytes objects
    8: np.dtype(np.complex64),
    9: np.dtype(np.int64),
    10: np.dtype(np.bool_),
    14: np.dtype(ml_dtypes.bfloat16),
    17: np.dtype(np.uint16),
    18: np.dtype(np.complex128),
    19: np.dtype(np.float16),
    22: np.dtype(np.uint32),
    23: np.dtype(np.uint64),
    24: np.dtype(ml_dtypes.float8_e5m2),
    25: np.dtype(ml_dtypes.float8_e4m3fn),
    26: np.dtype(ml_dtypes.float8_e4m3fnuz),
    27: np.dtype(ml_dtypes.float8_e4m3b11fnuz),
    28: np.dtype(ml_dtypes.float8_e5m2fnuz),
    29: np.dtype(ml_dtypes.int4),  # one byte per item in bundles
    30: np.dtype(ml_dtypes.uint4),
}
UNSUPPORTED = {
    0: "invalid",
    11: "qint8",
    12: "quint8",
    13: "qint32",
    15: "qint16",
    16: "quint16",
    20: "resource",
    21: "variant",
    31: "int2",
    32: "uint2",
    33: "float4_e2m1fn",
}
_STRING = 7

_MAX_RANK = 64  # numpy's limit
_MAX_ELEMENTS = 1 << 48  # per tensor, counting only nonzero dimensions
_FOOTER_SIZE = 48
_MAGIC = 0xDB4775248B80FB57
_TRAILER_SIZE = 5
_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")
_REMEDY = "Copy the checkpoint files again from where they were written, or re-save it in TF"

# TF1 optimizer slots: `<var>/<Optimizer>` and `<var>/<Optimizer>_1`, ... (slot_creator names),
# EMA shadows alike; bookkeeping: global_step and Adam's beta powers (maybe under a scope).
_TF1_SLOT = re.compile(
    r"/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|ProximalAdagrad|Adadelta|Ftrl"
    r"|ExponentialMovingAverage)(_\d+)?$"
)
_TF1_BOOKKEEPING = re.compile(r"(^|/)(global_step|beta1_power(_\d+)?|beta2_power(_\d+)?)$")
_TF2_BOOKKEEPING = {"_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE"}


def is_slot_name(name: str) -> bool:
    """True for optimizer slots and training bookkeeping that ``include_slots`` controls.

    >>> [is_slot_name(n) for n in ("dense/kernel/Adam_1", "global_step", "dense/kernel")]
    [True, True, False]
    >>> is_slot_name("model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE")
    True
    """
    return (
        name in _TF2_BOOKKEEPING
        or "/.OPTIMIZER_SLOT/" in name
        or bool(_TF1_SLOT.search(name) or _TF1_BOOKKEEPING.search(name))
    )


# ------------------------------------------------------------------------ locating


def _has_magic(index_path: str) -> bool:
    """True if ``index_path`` ends with the table magic; a FIFO or device raises."""
    try:
        with open_regular(index_path) as f:
            size = f.seek(0, os.SEEK_END)
            if size < _FOOTER_SIZE:
                return False
            f.seek(size - 8)
            return int.from_bytes(f.read(8), "little") == _MAGIC
    except OSError:
        return False


def _state_file_prefix(directory: str) -> str | None:
    """The ``model_checkpoint_path`` of ``directory/checkpoint``, made absolute; or None."""
    state = os.path.join(directory, "checkpoint")
    if not os.path.exists(state) or os.path.isdir(state):
        return None
    try:
        with open_regular(state) as f:
            text = f.read(1 << 20)
    except OSError as e:
        raise CheckpointError(f"Cannot read the checkpoint state file {state}: {e}.") from e
    m = re.search(rb'^\s*model_checkpoint_path\s*:\s*"((?:[^"\\\n]|\\.)*)"', text, re.M)
    if m is None:
        raise CheckpointError(
            f"The checkpoint state file {state} has no model_checkpoint_path line; pass the "
            "checkpoint prefix itself (e.g. dir/model.ckpt-1000)."
        )
    raw = re.sub(
        rb"\\([0-7]{1,3}|x[0-9a-fA-F]{2}|.)",
        lambda e: _unescape(e.group(1)),
        m.group(1),
    )
    prefix = os.fsdecode(raw)
    if not os.path.isabs(prefix):
        return os.path.join(directory, prefix)
    if not os.path.exists(prefix + ".index"):  # an absolute path from another machine
        moved = os.path.join(directory, os.path.basename(prefix))
        if os.path.exists(moved + ".index"):
            return moved
    return prefix


def _unescape(code: bytes) -> bytes:
    simple = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b'"': b'"', b"'": b"'", b"\\": b"\\"}
    if code in simple:
        return simple[code]
    if code[:1] == b"x":
        return bytes([int(code[1:], 16)])
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    return code


def _strip_suffix(path: str) -> str:
    for suffix in (".index", ".meta"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return _DATA_SUFFIX.sub("", path)


def resolve_prefix(path: PathLike) -> str:
    """The checkpoint prefix that ``path`` names (a prefix, one of its files, or a directory).

    A directory uses its ``checkpoint`` state file (``model_checkpoint_path``,
    relative or absolute), else its single ``*.index`` file.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        from_state = _state_file_prefix(path)
        if from_state is not None:
            if not os.path.exists(from_state + ".index"):
                raise CheckpointError(
                    f"{os.path.join(path, 'checkpoint')} names {from_state}, but "
                    f"{from_state}.index does not exist; the checkpoint was moved or deleted. "
                    f"Pass a prefix instead{_choices(path)}."
                )
            return from_state
        found = sorted(glob.glob(os.path.join(glob.escape(path), "*.index")))
        if len(found) == 1:
            return found[0][: -len(".index")]
        if not found:
            raise CheckpointError(
                f"No TensorFlow checkpoint in directory {path}: it has no *.index file and no "
                "'checkpoint' state file. Pass the checkpoint prefix (dir/model.ckpt)."
            )
        raise CheckpointError(
            f"Directory {path} holds {len(found)} checkpoints and no 'checkpoint' state file "
            f"saying which is the latest; pass one prefix{_choices(path)}."
        )
    prefix = _strip_suffix(path)
    if os.path.exists(prefix + ".index"):
        return prefix
    if os.path.isfile(path) and _has_magic(path):
        raise CheckpointError(
            f"{path} looks like a V1 TensorFlow checkpoint (one table file, no .index); only V2 "
            "bundles are supported. Load it in TensorFlow and save it again with the default "
            "tf.compat.v1.train.Saver (V2)."
        )
    raise CheckpointError(
        f"No TensorFlow checkpoint at {path}: {prefix}.index does not exist. Pass the prefix "
        f"(dir/model.ckpt, without .index) or the directory{_choices(os.path.dirname(prefix))}."
    )


def _choices(directory: str) -> str:
    found = sorted(glob.glob(os.path.join(glob.escape(directory or "."), "*.index")))
    if not found:
        return ""
    shown = ", ".join(p[: -len(".index")] for p in found[:8])
    return f" (found: {shown}{', ...' if len(found) > 8 else ''})"


def is_tf_checkpoint(path: PathLike) -> bool:
    """True when ``path`` names a TF V2 checkpoint: a prefix, one of its files, or a
    directory holding one or more (its index must end with the table magic number).

    An index that is a FIFO or a device raises CheckpointCorruptError naming it, rather
    than being opened.

    Args:
      path: a prefix, one of its files, or a directory.

    Returns:
      True for a TF V2 checkpoint.

    Raises:
      CheckpointCorruptError: the index is a FIFO or a device.

    >>> is_tf_checkpoint("/nonexistent/model.ckpt")
    False
    """
    try:
        prefix = resolve_prefix(path)
    except CheckpointError:
        p = os.fspath(path)
        return os.path.isdir(p) and any(
            _has_magic(f) for f in glob.glob(os.path.join(glob.escape(p), "*.index"))
        )
    except (OSError, TypeError, ValueError):
        return False
    return _has_magic(prefix + ".index")


# -------------------------------------------------------------------- the table


def _corrupt(path: str, what: str) -> CheckpointCorruptError:
    return CheckpointCorruptError(f"Corrupt TensorFlow checkpoint file {path}: {what}. {_REMEDY}.")


def _handle(buf: bytes | memoryview, pos: int, path: str, what: str) -> tuple[int, int, int]:
    try:
        offset, pos = _proto.read_varint(buf, pos)
        size, pos = _proto.read_varint(buf, pos)
    except _proto.ProtoError as e:
        raise _corrupt(path, f"bad {what} block handle ({e})") from None
    return offset, size, pos


def _read_block(f: BinaryIO, path: str, offset: int, size: int, limit: int, verify: bool) -> bytes:
    if offset + size + _TRAILER_SIZE > limit:
        raise _corrupt(
            path,
            f"a block at offset {offset} of {size} bytes runs past the end of the table "
            f"({limit} bytes); the file is truncated or not a checkpoint index",
        )
    f.seek(offset)
    data = f.read(size + _TRAILER_SIZE)
    if len(data) != size + _TRAILER_SIZE:
        raise _corrupt(path, "the file is shorter than its own table says (truncated)")
    kind = data[size]
    if verify:
        stored = int.from_bytes(data[size + 1 :], "little")
        if unmask(stored) != crc32c(memoryview(data)[: size + 1]):
            raise _corrupt(path, f"the block at offset {offset} fails its checksum")
    if kind != 0:
        name = {1: "snappy", 2: "zlib"}.get(kind, f"unknown type {kind}")
        raise CheckpointError(
            f"TensorFlow checkpoint index {path} has a compressed block ({name}); only "
            "uncompressed tables (what TensorFlow writes for checkpoints) can be read."
        )
    return data[:size]


def _block_entries(block: bytes, path: str) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs of one table block (prefix-compressed keys, restart array)."""
    if len(block) < 4:
        raise _corrupt(path, "a table block is shorter than its restart count")
    restarts = int.from_bytes(block[-4:], "little")
    end = len(block) - 4 * (restarts + 1)
    if restarts > len(block) // 4 or end < 0:
        raise _corrupt(path, f"a table block claims {restarts} restart points")
    view, pos, key, out = memoryview(block), 0, b"", []
    try:
        while pos < end:
            shared, pos = _proto.read_varint(view, pos)
            unshared, pos = _proto.read_varint(view, pos)
            vlen, pos = _proto.read_varint(view, pos)
            if shared > len(key) or pos + unshared + vlen > end:
                raise _corrupt(path, "a table entry runs past its block or shares too much")
            key = key[:shared] + bytes(view[pos : pos + unshared])
            pos += unshared
            out.append((key, bytes(view[pos : pos + vlen])))
            pos += vlen
    except _proto.ProtoError as e:
        raise _corrupt(path, f"bad varint in a table block ({e})") from None
    return out


def read_table(path: str, verify: bool = True) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a TF table file (the ``.index`` of a bundle), in order."""
    try:
        f = open_regular(path)
    except OSError as e:
        raise CheckpointError(f"Cannot open TensorFlow checkpoint index {path}: {e}.") from e
    with f:
        size = f.seek(0, os.SEEK_END)
        if size < _FOOTER_SIZE:
            raise _corrupt(path, f"{size} bytes is too short for a table (48-byte footer)")
        f.seek(size - _FOOTER_SIZE)
        footer = f.read(_FOOTER_SIZE)
        if int.from_bytes(footer[-8:], "little") != _MAGIC:
            raise _corrupt(path, "bad magic number (not a TensorFlow table file)")
        _, _, pos = _handle(footer, 0, path, "metaindex")
        index_offset, index_size, _ = _handle(footer, pos, path, "index")
        limit = size - _FOOTER_SIZE
        index = _read_block(f, path, index_offset, index_size, limit, verify)
        out: list[tuple[bytes, bytes]] = []
        for _, value in _block_entries(index, path):
            offset, block_size, _ = _handle(value, 0, path, "data")
            out.extend(
                _block_entries(_read_block(f, path, offset, block_size, limit, verify), path)
            )
        return out


# ---------------------------------------------------------------- the bundle


def _ordered_string(s: bytes) -> bytes:
    escaped = re.sub(rb"[\x00\xff]", lambda m: b"\x00\xff" if m[0] == b"\x00" else b"\xff\x00", s)
    return escaped + b"\x00\x01"


def _ordered_uint(n: int) -> bytes:
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([len(body)]) + body


def _ordered_int(n: int) -> bytes:
    length = (~n if n < 0 else n).bit_length() // 7 + 1
    header = [0, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF, 0xFF, 0xFF][length]
    second = {9: 0x80, 10: 0xC0}.get(length, 0)
    bits = (header << (8 * length - 8)) | (second << (8 * length - 16) if length > 1 else 0)
    return ((n % (1 << (8 * length))) ^ bits).to_bytes(length, "big")


def slice_key(name: bytes, extents: tuple[tuple[int, int | None], ...]) -> bytes:
    """The index key of one saved slice (TF's ``EncodeTensorNameSlice``, OrderedCode)."""
    out = _ordered_uint(0) + _ordered_string(name) + _ordered_uint(len(extents))
    for start, length in extents:
        out += _ordered_int(start) + _ordered_int(-1 if length is None else length)
    return out


def _dtype_name(dtype: int) -> str:
    if dtype in DTYPES:
        return DTYPES[dtype].name
    return UNSUPPORTED.get(dtype, f"dtype{dtype}")


class _Bundle:
    """An opened checkpoint: its header and entries; reads tensors from the data files."""

    def __init__(self, path: PathLike, verify: bool = True) -> None:
        self.prefix = resolve_prefix(path)
        self.index = self.prefix + ".index"
        self.entries: dict[str, _proto.BundleEntry] = {}
        self.slices: dict[bytes, _proto.BundleEntry] = {}
        self.files: dict[int, tuple[io.BufferedReader, int, str]] = {}
        header = None
        for key, value in read_table(self.index, verify):
            try:
                if key == b"":
                    header = _proto.parse_bundle_header(value)
                    continue
                entry = _proto.parse_bundle_entry(value)
            except _proto.ProtoError as e:
                what = "the header" if key == b"" else f"the entry of {key!r}"
                raise _corrupt(self.index, f"cannot decode {what} ({e})") from None
            if key[:1] == b"\x00":
                self.slices[key] = entry
            else:
                self.entries[key.decode("utf-8", "surrogateescape")] = entry
        if header is None:
            raise _corrupt(self.index, "no bundle header (the entry with the empty key)")
        self._check_header(header)
        self.num_shards = header.num_shards
        self._check_disjoint()

    def _check_header(self, header: _proto.BundleHeader) -> None:
        if header.endianness != 0:
            raise CheckpointError(
                f"TensorFlow checkpoint {self.prefix} was written on a big-endian machine; only "
                "little-endian bundles can be read. Re-save it on a little-endian machine."
            )
        if header.min_consumer > 1 or 1 in header.bad_consumers:
            raise CheckpointError(
                f"TensorFlow checkpoint {self.prefix} needs a newer bundle reader (format "
                f"version {header.producer}, min_consumer {header.min_consumer}); re-save it "
                "with a TensorFlow that writes format version 1."
            )
        if header.num_shards < 1 and self.entries:
            raise _corrupt(self.index, f"the header says {header.num_shards} data shards")

    def _check_disjoint(self) -> None:
        """Refuse two tensors (or slices) whose bytes overlap in a data file.

        TensorFlow writes each tensor's bytes once, one after another. Overlapping ranges
        would let a small file stand for a huge checkpoint (a thousand slices of one
        megabyte, all the same bytes, read as a gigabyte); with every range disjoint and
        inside its file (checked before reading), what is allocated is bounded by the
        size of the data files.
        """
        owner = {}
        for n, e in self.entries.items():
            key = n.encode("utf-8", "surrogateescape")
            for piece in e.slices:
                owner[slice_key(key, piece.extents)] = f"a slice of {n!r}"
        ranges = [
            (e.shard_id, e.offset, e.offset + e.size, repr(n))
            for n, e in self.entries.items()
            if e.size > 0 and not e.slices
        ]
        ranges += [
            (e.shard_id, e.offset, e.offset + e.size, owner.get(k, "an unlisted slice"))
            for k, e in self.slices.items()
            if e.size > 0
        ]
        ranges.sort(key=lambda r: r[:3])
        for a, b in zip(ranges, ranges[1:], strict=False):
            if a[0] == b[0] and b[1] < a[2]:
                raise _corrupt(
                    self.index,
                    f"the bytes of {a[3]} ({a[1]}..{a[2]}) and of {b[3]} ({b[1]}..{b[2]}) "
                    f"overlap in data shard {a[0]}; TensorFlow writes each tensor's bytes once",
                )

    def close(self) -> None:
        for f, _, _ in self.files.values():
            f.close()
        self.files.clear()

    def __enter__(self) -> _Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def names(self, include_slots: bool) -> list[str]:
        return sorted(n for n in self.entries if include_slots or not is_slot_name(n))

    def info(self, name: str) -> tuple[str, tuple[int, ...], str]:
        entry = self.entries[name]
        return name, self._shape(name, entry), _dtype_name(entry.dtype)

    def _shape(self, name: str, entry: _proto.BundleEntry) -> tuple[int, ...]:
        dims = entry.shape.dims
        if entry.shape.unknown_rank or any(d < 0 for d in dims):
            raise _corrupt(self.index, f"variable {name!r} has an unknown or negative shape {dims}")
        if len(dims) > _MAX_RANK:
            raise _corrupt(
                self.index, f"variable {name!r} has rank {len(dims)} (at most {_MAX_RANK})"
            )
        if math.prod(d for d in dims if d) > _MAX_ELEMENTS:
            raise _corrupt(self.index, f"variable {name!r} has an implausible shape {dims}")
        return dims

    def _dtype(self, name: str, entry: _proto.BundleEntry) -> np.dtype:
        if entry.dtype not in DTYPES:
            raise CheckpointError(
                f"Variable {name!r} in {self.prefix} has TensorFlow dtype "
                f"{_dtype_name(entry.dtype)!r}, which cannot be read without TensorFlow. Skip "
                "it (names=...) or convert it in TensorFlow to a numeric dtype and re-save."
            )
        return DTYPES[entry.dtype]

    def _file(self, name: str, shard: int) -> tuple[io.BufferedReader, int, str]:
        if not 0 <= shard < self.num_shards:
            raise _corrupt(
                self.index, f"variable {name!r} is in shard {shard} of {self.num_shards}"
            )
        if shard not in self.files:
            path = f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}"
            try:
                f = open_regular(path)
            except OSError as e:
                raise CheckpointError(
                    f"Cannot open data file {path} of TensorFlow checkpoint {self.prefix} (needed "
                    f"for {name!r}): {e}. Copy all {self.num_shards} .data-* files with the .index."
                ) from e
            self.files[shard] = (f, f.seek(0, os.SEEK_END), path)
        return self.files[shard]

    def _locate(
        self, name: str, entry: _proto.BundleEntry, nbytes: int | None
    ) -> tuple[io.BufferedReader, str]:
        """The entry's data file, once its size and byte range are checked."""
        f, file_size, path = self._file(name, entry.shard_id)
        if nbytes is not None and entry.size != nbytes:
            raise _corrupt(
                self.index,
                f"variable {name!r} has {entry.size} bytes but its shape and dtype need {nbytes}",
            )
        if entry.offset < 0 or entry.size < 0 or entry.offset + entry.size > file_size:
            raise _corrupt(
                path,
                f"variable {name!r} needs bytes {entry.offset}..{entry.offset + entry.size} but "
                f"the file has {file_size} (truncated?)",
            )
        return f, path

    def _raw(
        self, name: str, entry: _proto.BundleEntry, nbytes: int | None
    ) -> tuple[np.ndarray, str]:
        """The entry's bytes from its data file, and the file's name."""
        f, path = self._locate(name, entry, nbytes)
        buf = np.empty(entry.size, np.uint8)
        f.seek(entry.offset)
        if f.readinto(buf.data) != entry.size:
            raise _corrupt(path, f"short read for variable {name!r}")
        return buf, path

    def _check_crc(self, name: str, path: str, entry: _proto.BundleEntry, crc: int) -> None:
        if mask(crc) != entry.crc32c:
            raise CheckpointCorruptError(
                f"Variable {name!r} in TensorFlow checkpoint data file {path} fails its checksum "
                f"(stored {entry.crc32c:#010x}, computed {mask(crc):#010x}): the file is damaged. "
                "Copy it again, or load with verify=False to read the bytes anyway."
            )

    def read(self, name: str, verify: bool = True) -> np.ndarray:
        """The tensor ``name``, assembled from its slices when it was partitioned."""
        entry = self.entries[name]
        shape, dtype = self._shape(name, entry), self._dtype(name, entry)
        if entry.slices:
            return self._assemble(name, entry, shape, dtype, verify)
        return self._read_entry(name, entry, shape, dtype, verify)

    def _read_entry(
        self,
        name: str,
        entry: _proto.BundleEntry,
        shape: tuple[int, ...],
        dtype: np.dtype,
        verify: bool,
    ) -> np.ndarray:
        count = int(np.prod(shape, dtype=object))
        if entry.dtype == _STRING:
            buf, path = self._raw(name, entry, None)
            return self._strings(name, path, entry, buf, count, verify).reshape(shape)
        buf, path = self._raw(name, entry, count * dtype.itemsize)
        if verify:
            self._check_crc(name, path, entry, crc32c(buf))
        if sys.byteorder == "big" and dtype.kind in "biufc":
            return buf.view(dtype.newbyteorder("<")).astype(dtype).reshape(shape)
        return buf.view(dtype).reshape(shape)

    def _strings(
        self,
        name: str,
        path: str,
        entry: _proto.BundleEntry,
        buf: np.ndarray,
        count: int,
        verify: bool,
    ) -> np.ndarray:
        """[varint64 length] * count, masked crc of the lengths (4 bytes), then the bytes."""
        data = buf.tobytes()
        if count + 4 > len(data):
            raise _corrupt(path, f"string variable {name!r} is too short for {count} strings")
        lengths, pos = [], 0
        try:
            for _ in range(count):
                n, pos = _proto.read_varint(data, pos)
                lengths.append(n)
        except _proto.ProtoError as e:
            raise _corrupt(path, f"string variable {name!r}: bad length ({e})") from None
        if pos + 4 + sum(lengths) != len(data):
            raise _corrupt(path, f"string variable {name!r}: lengths do not add up to its size")
        if verify:  # TF checksums each length as uint32 (older versions: uint64)
            stored = data[pos : pos + 4]
            wide = np.array(lengths, np.uint64)
            crcs = [crc32c(wide.astype(f).tobytes()) for f in ("<u4", "<u8")]
            crc = next((c for c in crcs if mask(c) == int.from_bytes(stored, "little")), None)
            if crc is None:
                raise _corrupt(path, f"string variable {name!r}: lengths fail their checksum")
            self._check_crc(name, path, entry, crc32c(data[pos + 4 :], crc32c(stored, crc)))
        out = np.empty(count, dtype=object)
        pos += 4
        for i, n in enumerate(lengths):
            out[i] = data[pos : pos + n]
            pos += n
        return out

    def _assemble(
        self,
        name: str,
        entry: _proto.BundleEntry,
        shape: tuple[int, ...],
        dtype: np.dtype,
        verify: bool,
    ) -> np.ndarray:
        """A partitioned variable: every saved slice, checked, placed in the full tensor."""
        if entry.dtype == _STRING:
            raise CheckpointError(
                f"Variable {name!r} in {self.prefix} is a partitioned string tensor; reading "
                "those is not supported. Save it unpartitioned."
            )
        parts, volume = [], 0
        key = name.encode("utf-8", "surrogateescape")
        for piece in entry.slices:
            if len(piece.extents) != len(shape):
                raise _corrupt(self.index, f"variable {name!r}: a slice of the wrong rank")
            index: list[slice] = []
            sub: list[int] = []
            for (start, length), dim in zip(piece.extents, shape, strict=True):
                size = dim if length is None else length
                if start < 0 or size < 0 or start + size > dim:
                    raise _corrupt(self.index, f"variable {name!r}: a slice outside {shape}")
                index.append(slice(start, start + size))
                sub.append(size)
            part = self.slices.get(slice_key(key, piece.extents))
            if part is None:
                raise _corrupt(self.index, f"variable {name!r}: a saved slice is missing")
            if part.dtype != entry.dtype or tuple(part.shape.dims) != tuple(sub):
                raise _corrupt(self.index, f"variable {name!r}: a slice's dtype or shape differs")
            count = int(np.prod(sub, dtype=object))
            self._locate(name, part, count * dtype.itemsize)  # checked before allocating
            volume += count
            parts.append((tuple(index), part, tuple(sub)))
        total = int(np.prod(shape, dtype=object))
        if volume != total:
            raise _corrupt(
                self.index, f"variable {name!r}: its slices hold {volume} of {total} values"
            )
        out = np.empty(shape, dtype)
        seen = np.zeros(shape, bool)
        for where, part, part_shape in parts:
            if seen[where].any():
                raise _corrupt(self.index, f"variable {name!r}: two slices overlap")
            seen[where] = True
            out[where] = self._read_entry(name, part, part_shape, dtype, verify)
        return out


# ---------------------------------------------------------------- public API


def list_variables(
    path: PathLike, *, include_slots: bool = False
) -> list[tuple[str, tuple[int, ...], str]]:
    """``(name, shape, dtype name)`` of every variable in a TF checkpoint, sorted by name.

    ``path`` is a prefix (``dir/model.ckpt``), one of its files, or a directory.
    Dtype names are numpy's (``'float32'``, ``'bfloat16'``; ``'object'`` for TF
    strings, read as ``bytes``); dtypes numpy cannot hold keep TF's name
    (``'resource'``, ``'qint8'``) and cannot be loaded. Partitioned variables
    are listed once, with their full shape. Optimizer slots and bookkeeping
    (see ``is_slot_name``) are left out unless ``include_slots``.
    """
    with _Bundle(path) as bundle:
        return [bundle.info(n) for n in bundle.names(include_slots)]


def load_tf_checkpoint(
    path: PathLike,
    *,
    verify: bool = True,
    include_slots: bool = False,
    names: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every variable of a TF checkpoint as numpy arrays, by name (sorted).

    Args:
      path: a checkpoint prefix (``dir/model.ckpt-1000``), one of its files, or a
        directory (its ``checkpoint`` state file's latest, else its one ``.index``).
      verify: check each block's and tensor's CRC-32C (``verify=False`` reads
        damaged files as they are).
      include_slots: also return optimizer slots and bookkeeping (``is_slot_name``).
      names: read only these variables (given names are read even if slots).

    Raises:
      CheckpointError: missing files, unsupported dtype or format, unknown name.
      CheckpointCorruptError: a checksum or structure failure (names file, variable).
    """
    with _Bundle(path, verify) as bundle:
        if names is None:
            wanted = bundle.names(include_slots)
        else:
            wanted = sorted({names} if isinstance(names, str) else set(names))
            missing = [n for n in wanted if n not in bundle.entries]
            if missing:
                hints = [
                    f"{n!r} (did you mean {', '.join(map(repr, close))}?)"
                    if (close := difflib.get_close_matches(n, bundle.entries, 3))
                    else repr(n)
                    for n in missing
                ]
                raise CheckpointError(
                    f"TensorFlow checkpoint {bundle.prefix} has no variable "
                    f"{', '.join(hints)}; list_variables() shows what it holds."
                )
        return {n: bundle.read(n, verify) for n in wanted}
