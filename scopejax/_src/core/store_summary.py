"""Text and HTML tables of a Store's variables."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scopejax._src.core.store import Store

_SHORT = {"variables": "global", "trainable_variables": "trainable"}
HEADER = ("name", "shape", "dtype", "params", "bytes", "trainable", "collections", "device")


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


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
                _human(info.nbytes),
                "yes" if info.trainable else "no",
                colls,
                info.device or "",
            )
        )
    return out


def summary_table(store: Store) -> str:
    body = rows(store)
    total = (
        f"Total: {len(body)} variables, {store.num_params:,} params "
        f"({_human(store.nbytes)}); trainable: {store.trainable().num_params:,} params"
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
        f"Store: {len(store.infos)} variables, {store.num_params:,} params, {_human(store.nbytes)}"
    )
    return (
        f"<table><caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
