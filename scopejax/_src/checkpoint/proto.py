"""A minimal protobuf wire-format decoder for TensorFlow's checkpoint bundle messages.

Only what ``tensor_bundle.proto`` needs: varints, 64/32-bit fixed fields and
length-delimited fields, decoded into small dataclasses for
``BundleHeaderProto``, ``BundleEntryProto``, ``TensorShapeProto`` and
``TensorSliceProto``. Unknown fields are skipped, as protobuf does; malformed
bytes raise ``ProtoError`` (the caller adds the file name).

>>> encode_varint(300)
b'\\xac\\x02'
>>> read_varint(b"\\xac\\x02", 0)
(300, 2)
>>> parse_tensor_shape(b"\\x12\\x02\\x08\\x03\\x12\\x02\\x08\\x04").dims
(3, 4)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

Bytes = bytes | bytearray | memoryview

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_U64 = (1 << 64) - 1


class ProtoError(ValueError):
    """Bytes that are not a well-formed protobuf message of the expected type."""


def read_varint(buf: Bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned varint (at most 10 bytes, 64 bits) at ``pos``: (value, next pos)."""
    result, shift, end = 0, 0, len(buf)
    while True:
        if pos >= end:
            raise ProtoError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            if result > _U64:
                raise ProtoError("varint larger than 64 bits")
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def encode_varint(value: int) -> bytes:
    """Encode a non-negative int below 2**64 (negatives: pass ``value & (2**64 - 1)``)."""
    if not 0 <= value <= _U64:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def to_signed64(value: int) -> int:
    """Read a decoded varint as a two's-complement int64 (how int32/int64 fields go)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def iter_fields(buf: Bytes) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yield ``(field number, wire type, value)``; ints for numeric, views for bytes."""
    view = memoryview(buf)
    pos, end = 0, len(view)
    while pos < end:
        tag, pos = read_varint(view, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == VARINT:
            value, pos = read_varint(view, pos)
            yield number, wire, value
        elif wire == FIXED64 or wire == FIXED32:
            width = 8 if wire == FIXED64 else 4
            if pos + width > end:
                raise ProtoError("truncated fixed-width field")
            yield number, wire, int.from_bytes(view[pos : pos + width], "little")
            pos += width
        elif wire == LENGTH:
            size, pos = read_varint(view, pos)
            if size > end - pos:
                raise ProtoError(f"length-delimited field of {size} bytes past the end")
            yield number, wire, view[pos : pos + size]
            pos += size
        else:
            raise ProtoError(f"unsupported wire type {wire} (field {number})")


def _want(number: int, wire: int, expected: int, message: str) -> None:
    if wire != expected:
        raise ProtoError(f"{message} field {number} has wire type {wire}, expected {expected}")


def _int32(value: int) -> int:
    value = to_signed64(value)
    if not -(1 << 31) <= value < 1 << 31:
        raise ProtoError(f"int32 field out of range: {value}")
    return value


def _packed_or_single(wire: int, value: int | memoryview) -> list[int]:
    if wire == VARINT:
        assert isinstance(value, int)
        return [value]
    if wire != LENGTH:
        raise ProtoError(f"repeated varint field has wire type {wire}")
    assert isinstance(value, memoryview)
    out, pos = [], 0
    while pos < len(value):
        v, pos = read_varint(value, pos)
        out.append(v)
    return out


@dataclasses.dataclass(frozen=True)
class TensorShape:
    """``TensorShapeProto``: dim sizes (-1 = unknown) and ``unknown_rank``."""

    dims: tuple[int, ...] = ()
    unknown_rank: bool = False


@dataclasses.dataclass(frozen=True)
class TensorSlice:
    """``TensorSliceProto``: per dimension ``(start, length)``; length None = the whole dim."""

    extents: tuple[tuple[int, int | None], ...] = ()


@dataclasses.dataclass(frozen=True)
class BundleHeader:
    """``BundleHeaderProto`` with its ``VersionDef`` flattened."""

    num_shards: int = 0
    endianness: int = 0  # 0 little, 1 big
    producer: int = 0
    min_consumer: int = 0
    bad_consumers: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class BundleEntry:
    """``BundleEntryProto``: where one tensor (or one slice of one) lives in the data files."""

    dtype: int = 0
    shape: TensorShape = TensorShape()
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    crc32c: int = 0  # masked
    slices: tuple[TensorSlice, ...] = ()


def parse_tensor_shape(buf: Bytes) -> TensorShape:
    """Decode a ``TensorShapeProto`` (``dim`` = 2: {size = 1, name = 2}, unknown_rank = 3)."""
    dims, unknown = [], False
    for number, wire, value in iter_fields(buf):
        if number == 2:
            _want(number, wire, LENGTH, "TensorShapeProto")
            size = 0
            assert isinstance(value, memoryview)
            for n2, w2, v2 in iter_fields(value):
                if n2 == 1:
                    _want(n2, w2, VARINT, "TensorShapeProto.Dim")
                    assert isinstance(v2, int)
                    size = to_signed64(v2)
            dims.append(size)
        elif number == 3:
            _want(number, wire, VARINT, "TensorShapeProto")
            unknown = bool(value)
    return TensorShape(tuple(dims), unknown)


def parse_tensor_slice(buf: Bytes) -> TensorSlice:
    """Decode a ``TensorSliceProto`` (``extent`` = 1: {start = 1, length = 2})."""
    extents = []
    for number, wire, value in iter_fields(buf):
        if number != 1:
            continue
        _want(number, wire, LENGTH, "TensorSliceProto")
        start, length = 0, None
        assert isinstance(value, memoryview)
        for n2, w2, v2 in iter_fields(value):
            if n2 in (1, 2):
                _want(n2, w2, VARINT, "TensorSliceProto.Extent")
                assert isinstance(v2, int)
                if n2 == 1:
                    start = to_signed64(v2)
                else:
                    length = to_signed64(v2)
        extents.append((start, length))
    return TensorSlice(tuple(extents))


def parse_bundle_header(buf: Bytes) -> BundleHeader:
    """Decode a ``BundleHeaderProto`` (num_shards = 1, endianness = 2, version = 3)."""
    fields: dict[str, Any] = {}  # decoded values, checked as each is read
    for number, wire, value in iter_fields(buf):
        if number in (1, 2):
            _want(number, wire, VARINT, "BundleHeaderProto")
            assert isinstance(value, int)
            fields["num_shards" if number == 1 else "endianness"] = _int32(value)
        elif number == 3:
            _want(number, wire, LENGTH, "BundleHeaderProto")
            assert isinstance(value, memoryview)
            bad: list[int] = []
            for n2, w2, v2 in iter_fields(value):
                if n2 in (1, 2):
                    _want(n2, w2, VARINT, "VersionDef")
                    assert isinstance(v2, int)
                    fields["producer" if n2 == 1 else "min_consumer"] = _int32(v2)
                elif n2 == 3:
                    bad.extend(_int32(v) for v in _packed_or_single(w2, v2))
            fields["bad_consumers"] = tuple(bad)
    return BundleHeader(**fields)


def parse_bundle_entry(buf: Bytes) -> BundleEntry:
    """Decode a ``BundleEntryProto`` (dtype 1, shape 2, shard_id 3, offset 4, size 5,
    crc32c 6 (fixed32), slices 7)."""
    fields: dict[str, Any] = {}  # decoded values, checked as each is read
    slices = []
    for number, wire, value in iter_fields(buf):
        if number in (1, 3, 4, 5):
            _want(number, wire, VARINT, "BundleEntryProto")
            assert isinstance(value, int)
            key = {1: "dtype", 3: "shard_id", 4: "offset", 5: "size"}[number]
            fields[key] = _int32(value) if number in (1, 3) else to_signed64(value)
        elif number == 2:
            _want(number, wire, LENGTH, "BundleEntryProto")
            assert isinstance(value, memoryview)
            fields["shape"] = parse_tensor_shape(value)
        elif number == 6:
            _want(number, wire, FIXED32, "BundleEntryProto")
            fields["crc32c"] = value
        elif number == 7:
            _want(number, wire, LENGTH, "BundleEntryProto")
            assert isinstance(value, memoryview)
            slices.append(parse_tensor_slice(value))
    return BundleEntry(slices=tuple(slices), **fields)
