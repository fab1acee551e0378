"""Text and HTML tables of a Store's variables.

When some value is spread over several devices (``sj.sharding``), two columns follow
``bytes``: ``per device`` (the most one device holds of it) and ``sharding`` (its
``PartitionSpec``, or ``replicated``), and the total gives the most bytes any one
device holds. A store on one device keeps the plain table.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from jax.sharding import NamedSharding

if TYPE_CHECKING:
    from scopejax._src.core.store import Store

_SHORT = {"variables": "global", "trainable_variables": "trainable"}
HEADER = ("name", "shape", "dtype", "params", "bytes", "trainable", "collections", "device")
SHARDED_HEADER = (*HEADER[:5], "per device", "sharding", *HEADER[5:])


def _sharding(value: Any) -> Any:
    return getattr(value, "sharding", None)


def is_multi_device(value: Any) -> bool:
    """Whether ``value`` (an array or a ``ShapeDtypeStruct``) spans several devices."""
    sharding = _sharding(value)
    return sharding is not None and len(getattr(sharding, "device_set", ())) > 1


def describe(value: Any) -> str:
    """A short text for a value's sharding: ``P(None, 'model')``, ``replicated``, ``-``.

    Args:
      value: a ``jax.Array`` or ``jax.ShapeDtypeStruct``.

    Returns:
      ``P(...)`` for a split NamedSharding, ``replicated`` for one that copies the value
      to every device of its mesh, ``-`` for anything else (one device, no sharding).
    """
    sharding = _sharding(value)
    if isinstance(sharding, NamedSharding):
        if all(e is None for e in sharding.spec):
            return "replicated"
        inner = ", ".join(repr(e) for e in sharding.spec)
        return f"P({inner})"
    return "-"


def _nbytes(shape: tuple[int, ...], dtype: Any) -> int:
    return math.prod(shape) * np.dtype(dtype).itemsize


def bytes_per_device(value: Any) -> int:
    """The bytes of ``value`` one device holds (all of it unless it is split).

    Args:
      value: a ``jax.Array``, a ``jax.ShapeDtypeStruct`` or a NumPy array.

    Returns:
      The bytes of its largest shard (with uneven shardings the shards differ).
    """
    shape = tuple(np.shape(value))
    sharding = _sharding(value)
    if sharding is None or not hasattr(sharding, "shard_shape"):
        return _nbytes(shape, value.dtype)
    return _nbytes(tuple(sharding.shard_shape(shape)), value.dtype)


def bytes_by_device(values: Any) -> dict[Any, int]:
    """The bytes each device holds of ``values`` (an iterable of arrays or
    ``ShapeDtypeStruct``; a Store's ``.flat().values()``), from their shardings.

    Args:
      values: arrays or shape structs; values without a sharding are left out.

    Returns:
      ``{jax.Device: bytes}``: a replicated value counts in full on every device.
    """
    out: dict[Any, int] = {}
    for value in values:
        sharding = _sharding(value)
        if sharding is None or not hasattr(sharding, "devices_indices_map"):
            continue
        shape = tuple(np.shape(value))
        for dev, index in sharding.devices_indices_map(shape).items():
            part = tuple(len(range(*sl.indices(n))) for sl, n in zip(index, shape, strict=True))
            out[dev] = out.get(dev, 0) + _nbytes(part, value.dtype)
    return out


def human_bytes(n: float) -> str:
    """``n`` bytes in decimal units, as everywhere in scopejax: ``24 B``, ``1.5 kB``, ``2.0 MB``.

    >>> human_bytes(24), human_bytes(1500), human_bytes(3_200_000)
    ('24 B', '1.5 kB', '3.2 MB')
    """
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover


def plural(n: int, noun: str) -> str:
    """``1 variable``, ``2 variables``, ``0 variables`` (thousands separated).

    >>> plural(1, "variable"), plural(1200, "parameter")
    ('1 variable', '1,200 parameters')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def sharded(store: Store) -> bool:
    """Whether some value of ``store`` spans several devices (the table then shows it)."""
    return any(is_multi_device(v) for v in store.flat().values())


def rows(store: Store) -> list[tuple[str, ...]]:
    """One row of strings per variable, in :data:`HEADER` order (or
    :data:`SHARDED_HEADER` when :func:`sharded`)."""
    out: list[tuple[str, ...]] = []
    values = store.flat()
    spread = sharded(store)
    for name, info in store.infos.items():
        colls = ",".join(_SHORT.get(c, str(c)) for c in info.collections)
        row = [
            name,
            "(" + ", ".join(map(str, info.shape)) + ("," if len(info.shape) == 1 else "") + ")",
            info.dtype,
            f"{info.size:,}",
            human_bytes(info.nbytes),
            "yes" if info.trainable else "no",
            colls,
            info.device or "",
        ]
        if spread:
            value = values[name]
            row[5:5] = [human_bytes(bytes_per_device(value)), describe(value)]
        out.append(tuple(row))
    return out


def _total(store: Store, n: int) -> str:
    text = (
        f"Total: {plural(n, 'variable')}, {store.num_params:,} params "
        f"({human_bytes(store.nbytes)}); trainable: {store.trainable().num_params:,} params"
    )
    if sharded(store):
        per = bytes_by_device(store.flat().values())
        text += f"; per device: at most {human_bytes(max(per.values()))} ({len(per)} devices)"
    return text


def summary_table(store: Store) -> str:
    """The text table ``store.summary()`` prints, with a total line."""
    body = rows(store)
    total = _total(store, len(body))
    if not body:
        return "(empty store)\n" + total
    header = SHARDED_HEADER if sharded(store) else HEADER
    widths = [max(len(h), *(len(r[k]) for r in body)) for k, h in enumerate(header)]
    numeric = {3, 4, 5} if header is SHARDED_HEADER else {3, 4}

    def fmt(r: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if k in numeric else c.ljust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in body]
    lines.append(total)
    return "\n".join(lines)


def summary_html(store: Store) -> str:
    """The HTML table of a Store (Jupyter's display)."""
    head = "".join(f"<th>{h}</th>" for h in (SHARDED_HEADER if sharded(store) else HEADER))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows(store)
    )
    caption = (
        f"Store: {plural(len(store.infos), 'variable')}, {store.num_params:,} params, "
        f"{human_bytes(store.nbytes)}"
    )
    if sharded(store):
        per = bytes_by_device(store.flat().values())
        caption += f", at most {human_bytes(max(per.values()))} per device ({len(per)} devices)"
    return (
        f"<table><caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
