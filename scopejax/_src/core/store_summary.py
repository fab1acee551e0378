"""Text and HTML tables of a Store's variables."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scopejax._src.core.store import Store

_SHORT = {"variables": "global", "trainable_variables": "trainable"}
HEADER = ("name", "shape", "dtype", "params", "bytes", "trainable", "collections", "device")


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


def rows(store: Store) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, info in store.infos.items():
        colls = ",".join(_SHORT.get(c, str(c)) for c in info.collections)
        out.append(
            (
                name,
                "(" + ", ".join(map(str, info.shape)) + ("," if len(info.shape) == 1 else "") + ")",
                info.dtype,
                f"{info.size:,}",
                human_bytes(info.nbytes),
                "yes" if info.trainable else "no",
                colls,
                info.device or "",
            )
        )
    return out


def summary_table(store: Store) -> str:
    body = rows(store)
    total = (
        f"Total: {plural(len(body), 'variable')}, {store.num_params:,} params "
        f"({human_bytes(store.nbytes)}); trainable: {store.trainable().num_params:,} params"
    )
    if not body:
        return "(empty store)\n" + total
    widths = [max(len(h), *(len(r[k]) for r in body)) for k, h in enumerate(HEADER)]
    numeric = {3, 4}

    def fmt(r: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if k in numeric else c.ljust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(HEADER), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in body]
    lines.append(total)
    return "\n".join(lines)


def summary_html(store: Store) -> str:
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows(store)
    )
    caption = (
        f"Store: {plural(len(store.infos), 'variable')}, {store.num_params:,} params, "
        f"{human_bytes(store.nbytes)}"
    )
    return (
        f"<table><caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
