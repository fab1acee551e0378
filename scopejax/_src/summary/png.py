"""PNG encoding for image summaries: Pillow when installed, else a small zlib encoder."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np


def to_uint8(array: Any) -> np.ndarray:
    """An image as ``uint8[H, W, C]`` with C in 1, 3, 4: floats are read as [0, 1] and clipped.

    Args:
      array: ``[H, W]`` or ``[H, W, C]``, integer (0..255) or float (0..1).

    Returns:
      The ``uint8[H, W, C]`` image.

    Raises:
      ValueError: the shape is not an image's.
    """
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"image: expected [H, W], [H, W, C] or [N, H, W, C] with C in 1, 3, 4, got shape "
            f"{np.shape(array)}; move the channel axis last."
        )
    if a.dtype == np.uint8:
        return a
    if np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float64)) * 255.0 + 0.5
    return np.clip(a, 0, 255).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_zlib(img: np.ndarray) -> bytes:
    """``uint8[H, W, C]`` as PNG bytes, with zlib only (8-bit gray, gray+alpha, RGB or RGBA)."""
    h, w, c = img.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _chunk(b"IEND", b""),
        ]
    )


def encode_png(array: Any) -> bytes:
    """One image as PNG bytes (Pillow if installed, else :func:`encode_zlib`).

    Args:
      array: ``[H, W]`` or ``[H, W, C]`` as for :func:`to_uint8`.

    Returns:
      The PNG file's bytes.
    """
    img = to_uint8(array)
    try:
        from PIL import Image
    except ImportError:
        return encode_zlib(img)
    buf = io.BytesIO()
    Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(buf, format="PNG")
    return buf.getvalue()
