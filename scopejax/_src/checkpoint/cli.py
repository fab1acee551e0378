"""``python -m scopejax.checkpoint {ls,verify} PATH``: inspect a checkpoint, ours or TF's.

``ls`` lists every variable (name, shape, dtype, bytes) and the totals; it reads metadata
only. ``verify`` reads every array and checks its checksum (CRC-32C for scopejax
checkpoints, SHA-256 for version-1 ones, CRC32C for TensorFlow bundles). Both exit with
status 1 and a one-line reason on a missing, malformed or corrupt checkpoint.

    python -m scopejax.checkpoint ls runs/mlp/1000
    python -m scopejax.checkpoint ls tf_train_dir --slots      # with Adam slots etc.
    python -m scopejax.checkpoint ls runs/mlp/1000 --json
    python -m scopejax.checkpoint verify runs/mlp/1000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.checkpoint.source import TENSORFLOW, ScopejaxSource, locate, open_source
from scopejax._src.core.store_summary import human_bytes, plural


def _nbytes(shape: tuple[int, ...], dtype: str) -> int | None:
    from scopejax._src.checkpoint.format import dtype_from_name

    try:
        return math.prod(shape) * dtype_from_name(dtype).itemsize
    except CheckpointError:  # strings (TF), unknown dtypes
        return None


def listing(path: str, *, slots: bool = False) -> dict[str, Any]:
    """What ``ls`` shows, as a dict (also the ``--json`` output)."""
    kind, p = locate(path)
    src = open_source(p, include_slots=slots)
    rows: list[dict[str, Any]] = []
    for name, (shape, dtype) in sorted(src.variables().items()):
        rows.append(
            {"name": name, "shape": list(shape), "dtype": dtype, "bytes": _nbytes(shape, dtype)}
        )
    out: dict[str, Any] = {
        "path": str(p),
        "format": kind,
        "variables": rows,
        "count": len(rows),
        "params": sum(math.prod(r["shape"]) for r in rows),
        "bytes": sum(r["bytes"] or 0 for r in rows),
    }
    if isinstance(src, ScopejaxSource):
        m = src.meta
        for r, v in zip(rows, sorted(m.variables, key=lambda v: v.name), strict=True):
            r["trainable"] = v.info.trainable
            r["collections"] = list(v.info.collections)
        out["step"] = m.step
        out["created"] = m.raw.get("created")
        out["metadata"] = m.user
        leaves = m.opt_leaves
        out["opt_state"] = (
            None
            if leaves is None
            else {"leaves": len(leaves), "bytes": sum(e.nbytes for e in leaves)}
        )
    elif kind == TENSORFLOW and not slots:
        every = open_source(p, include_slots=True).variables()
        out["hidden"] = len(every) - len(rows)
    return out


def render(info: dict[str, Any]) -> str:
    """The ``ls`` table."""
    kind = "scopejax checkpoint" if info["format"] != TENSORFLOW else "TensorFlow checkpoint"
    head = f"{kind} {info['path']}"
    extra = []
    if info.get("step") is not None:
        extra.append(f"step {info['step']}")
    if info.get("created"):
        extra.append(f"saved {info['created']}")
    if extra:
        head += f" ({', '.join(extra)})"
    rows = [
        (
            r["name"],
            "(" + ", ".join(map(str, r["shape"])) + ("," if len(r["shape"]) == 1 else "") + ")",
            r["dtype"],
            "?" if r["bytes"] is None else f"{r['bytes']:,}",
            "" if r.get("trainable", True) else "non-trainable",
        )
        for r in info["variables"]
    ]
    headers = ("name", "shape", "dtype", "bytes", "")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i == 3 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [head, line(headers), line(["-" * w for w in widths[:4]] + [""])]
    lines += [line(r) for r in rows]
    lines.append(
        f"{plural(info['count'], 'variable')}, {plural(info['params'], 'parameter')}, "
        f"{human_bytes(info['bytes'])}"
    )
    opt = info.get("opt_state")
    if opt:
        lines.append(f"optimizer state: {opt['leaves']} leaves, {human_bytes(opt['bytes'])}")
    if info.get("hidden"):
        lines.append(
            f"({info['hidden']} optimizer slots and bookkeeping tensors not shown; --slots "
            "lists them)"
        )
    return "\n".join(lines)


def verify(path: str) -> str:
    """Read every array of the checkpoint, checking checksums; a one-line summary."""
    kind, p = locate(path)
    src = open_source(p, verify=True, include_slots=True)
    if isinstance(src, ScopejaxSource):
        values, opt = src.read_all()
        n, nbytes = len(values) + len(opt), sum(v.nbytes for v in values.values())
        nbytes += sum(v.nbytes for v in opt)
        what = "SHA-256" if src.meta.raw.get("checksum") == "sha256" else "CRC-32C"
    else:
        values = src.read(src.variables())
        n = len(values)
        nbytes = sum(getattr(v, "nbytes", 0) for v in values.values())
        what = "CRC32C"
    return f"OK: {p}: {n} arrays, {human_bytes(int(nbytes))}, every {what} checksum matches."


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m scopejax.checkpoint", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("ls", help="list variables: name, shape, dtype, bytes; totals")
    ls.add_argument("path", help="a scopejax checkpoint directory or a TensorFlow checkpoint")
    ls.add_argument("--slots", action="store_true", help="TF: include optimizer slots")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ve = sub.add_parser("verify", help="read every array and check its checksum")
    ve.add_argument("path")
    args = parser.parse_args(argv)
    try:
        if args.command == "ls":
            info = listing(args.path, slots=args.slots)
            text = json.dumps(info, indent=1) if args.json else render(info)
        else:
            text = verify(args.path)
    except (CheckpointError, OSError) as e:
        print("error: " + " ".join(str(e).split()), file=sys.stderr)
        return 1
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `... | head`: the reader left early; no traceback for that
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
        os.close(devnull)
        return 1
    return 0
