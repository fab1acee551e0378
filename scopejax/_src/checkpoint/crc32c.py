"""CRC-32C (Castagnoli) and TensorFlow's masked form, with or without a C package.

TensorFlow checksums each checkpoint index block and each tensor with CRC-32C,
stored "masked" (rotated and offset, so a CRC of data holding CRCs stays strong).
``crc32c`` uses the ``google-crc32c`` or ``crc32c`` package when one is
installed, else a pure numpy/Python version: a byte table for short inputs, and
for long ones many lanes computed side by side with numpy (slicing-by-4), joined
with the GF(2) "shift by n zero bytes" operator (under a second per 100 MB).

>>> hex(crc32c(b"123456789"))
'0xe3069283'
>>> crc32c(b"6789", crc32c(b"12345")) == crc32c(b"123456789")
True
>>> unmask(mask(0xE3069283)) == 0xE3069283
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

Buffer = bytes | bytearray | memoryview | np.ndarray

POLY = 0x82F63B78  # CRC-32C, reflected
MASK_DELTA = 0xA282EAD8
_M32 = 0xFFFFFFFF
_LANES_FROM = 4096  # inputs at least this long use the numpy lanes
_CHUNK = 256 << 10  # bytes copied at a time for a C backend that takes bytes only


def _byte_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (POLY if c & 1 else 0)
        table.append(c)
    return table


_TABLE = _byte_table()
_T = [np.array(_TABLE, dtype=np.uint32)]
for _ in range(3):  # slicing-by-4 tables: _T[k][i] = CRC of byte i followed by k zero bytes
    _T.append((_T[-1] >> 8) ^ _T[0][_T[-1] & 0xFF])


def mask(crc: int) -> int:
    """TensorFlow's masked CRC: rotate right by 15 bits, add a constant (mod 2**32)."""
    return ((((crc >> 15) | (crc << 17)) & _M32) + MASK_DELTA) & _M32


def unmask(masked: int) -> int:
    """Inverse of ``mask``."""
    rot = (masked - MASK_DELTA) & _M32
    return ((rot >> 17) | (rot << 15)) & _M32


def _as_bytes(data: Buffer) -> memoryview:
    """The bytes of ``data`` as a flat memoryview (an array's in C order)."""
    if isinstance(data, np.ndarray):  # any dtype, ml_dtypes ones included
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8).data
    view = memoryview(data)
    if not view.c_contiguous:
        return memoryview(view.tobytes())
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _register_bytes(reg: int, data: memoryview) -> int:
    """Raw CRC register after feeding ``data`` (no pre/post inversion)."""
    table = _TABLE
    for b in data.tobytes():
        reg = table[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg


# ---------------------------------------------------------------- GF(2) operators
# A linear map on 32-bit registers is stored as its 32 column images (tuple of ints).


def _apply(op: tuple[int, ...], x: int) -> int:
    out, i = 0, 0
    while x:
        if x & 1:
            out ^= op[i]
        x >>= 1
        i += 1
    return out


def _compose(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The map x -> a(b(x))."""
    return tuple(_apply(a, col) for col in b)


@functools.lru_cache(maxsize=256)
def _shift_op(nbytes: int) -> tuple[int, ...]:
    """The map: register -> register after feeding ``nbytes`` zero bytes."""
    if nbytes == 0:
        return tuple(1 << i for i in range(32))
    if nbytes == 1:
        return tuple(_TABLE[(1 << i) & 0xFF] ^ ((1 << i) >> 8) for i in range(32))
    half = _shift_op(nbytes // 2)
    op = _compose(half, half)
    return _compose(_shift_op(1), op) if nbytes % 2 else op


@functools.lru_cache(maxsize=64)
def _shift_tables(nbytes: int) -> np.ndarray:
    """``_shift_op(nbytes)`` as four 256-entry tables (one per register byte)."""
    cols = np.array(_shift_op(nbytes), dtype=np.uint32)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for byte in range(4):
        for bit in range(8):
            lo = 1 << bit
            tables[byte, lo : 2 * lo] = tables[byte, :lo] ^ cols[8 * byte + bit]
    return tables


def _shift_many(values: np.ndarray, nbytes: int) -> np.ndarray:
    t = _shift_tables(nbytes)
    return (
        t[0][values & 0xFF]
        ^ t[1][(values >> 8) & 0xFF]
        ^ t[2][(values >> 16) & 0xFF]
        ^ t[3][values >> 24]
    )


def _register_lanes(data: memoryview) -> int:
    """Raw register (start 0) of ``data``, computing many lanes at once with numpy."""
    n = len(data)
    lanes = 1 << max(4, min(16, (n // 256).bit_length() - 1))
    words = (n // lanes) // 4
    if words == 0:
        return _register_bytes(0, data)
    width = 4 * words
    head = np.frombuffer(data, dtype=np.uint8, count=lanes * width)
    cols = np.ascontiguousarray(head.view("<u4").reshape(lanes, words).T.astype(np.uint32))
    t0, t1, t2, t3 = _T
    reg = np.zeros(lanes, dtype=np.uint32)
    for w in cols:
        x = reg ^ w
        reg = t3[x & 0xFF] ^ t2[(x >> 8) & 0xFF] ^ t1[(x >> 16) & 0xFF] ^ t0[x >> 24]
    length = width
    while len(reg) > 1:  # join neighbours: reg(A + B) = shift(reg(A), len(B)) ^ reg(B)
        reg = _shift_many(reg[0::2], length) ^ reg[1::2]
        length *= 2
    out = int(reg[0])
    rest = data[lanes * width :]
    if len(rest):
        tail = _register_lanes(rest) if len(rest) >= _LANES_FROM else _register_bytes(0, rest)
        out = _apply(_shift_op(len(rest)), out) ^ tail
    return out


def crc32c_python(data: Buffer, crc: int = 0) -> int:
    """CRC-32C of ``data`` continuing from ``crc`` (the CRC of what came before), no C code."""
    view = _as_bytes(data)
    start = (crc ^ _M32) & _M32
    if len(view) < _LANES_FROM:
        return _register_bytes(start, view) ^ _M32
    return _apply(_shift_op(len(view)), start) ^ _register_lanes(view) ^ _M32


def _fast_backend() -> tuple[str, Callable[[Buffer, int], int] | None]:
    try:
        import google_crc32c

        if getattr(google_crc32c, "implementation", "c") == "c":
            return "google-crc32c", lambda data, crc: google_crc32c.extend(crc, data)
    except ImportError:
        pass
    try:
        import crc32c as _crc32c_pkg

        return "crc32c", lambda data, crc: _crc32c_pkg.crc32c(data, crc)
    except (ImportError, AttributeError):
        pass
    return "numpy", None


IMPLEMENTATION, _FAST = _fast_backend()


def crc32c(data: Buffer, crc: int = 0) -> int:
    """CRC-32C of ``data`` continuing from ``crc``; uses a C package when installed.

    ``IMPLEMENTATION`` says which is used: ``"google-crc32c"``, ``"crc32c"`` or
    ``"numpy"`` (pure Python and numpy).
    """
    if _FAST is None:
        return crc32c_python(data, crc)
    if not isinstance(data, bytes):
        data = _as_bytes(data)
    try:
        return _FAST(data, crc)
    except TypeError:  # google-crc32c takes bytes only: copy in cache-sized pieces
        view = memoryview(data)
        for i in range(0, len(view), _CHUNK):
            crc = _FAST(bytes(view[i : i + _CHUNK]), crc)
        return crc


def masked_crc32c(data: Buffer) -> int:
    """TensorFlow's stored checksum of ``data``: ``mask(crc32c(data))``."""
    return mask(crc32c(data))
