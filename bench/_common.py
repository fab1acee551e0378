"""Shared helpers for the scopejax benchmarks: timing, statistics, environment, output.

The machines these run on are often shared and noisy, so the helpers favour *paired*
measurements: every repetition times every contender back to back, and ratios or
differences are taken per repetition before summarising (median, plus the minimum).
"""

from __future__ import annotations

import datetime as _dt
import gc
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

perf_counter = time.perf_counter


def block(tree: Any) -> Any:
    """Wait until every array in ``tree`` is computed; returns ``tree``."""
    return jax.block_until_ready(tree)


def time_once(fn: Callable[[], Any], number: int = 1, pause_gc: bool = False) -> float:
    """Seconds per call of ``fn`` averaged over ``number`` back-to-back calls.

    The heap is collected first; with ``pause_gc`` the cyclic GC is also off while timing
    (``timeit``'s convention), otherwise collections the calls trigger are part of their cost.
    ``fn`` is responsible for blocking on its own results if it dispatches async work.
    """
    gc_was_enabled = gc.isenabled()
    gc.collect()
    if pause_gc:
        gc.disable()
    try:
        start = perf_counter()
        for _ in range(number):
            fn()
        elapsed = perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / number


def autorange(fn: Callable[[], Any], min_sample_s: float = 0.02, max_number: int = 1000) -> int:
    """Number of calls per sample so one sample lasts at least ``min_sample_s`` (>= 1)."""
    one = time_once(fn)
    if one <= 0:
        return max_number
    return max(1, min(max_number, math.ceil(min_sample_s / one)))


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """Median / min / max / count of ``samples`` (seconds or any unit)."""
    if not samples:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def paired(
    lib: Sequence[float], base: Sequence[float], op: Callable[[float, float], float]
) -> list[float]:
    """``op(lib[i], base[i])`` for each repetition both series have."""
    return [op(a, b) for a, b in zip(lib, base, strict=False)]


def rotate(items: Sequence[Any], k: int) -> list[Any]:
    """``items`` rotated left by ``k`` (used to vary the order contenders run in)."""
    if not items:
        return []
    k %= len(items)
    return list(items[k:]) + list(items[:k])


def _version(module: str) -> str | None:
    try:
        mod = importlib.import_module(module)
    except Exception:  # any import failure just means "not available"
        return None
    return str(getattr(mod, "__version__", "unknown"))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_kind() -> str:
    """A short, file-name-safe name for the default JAX device (e.g. ``cpu``, ``nvidia_h100``)."""
    kind = jax.devices()[0].device_kind
    return "".join(c if c.isalnum() else "_" for c in kind.lower()).strip("_") or "unknown"


def describe_environment(modules: Iterable[str] = ("jax", "jaxlib", "numpy")) -> dict[str, Any]:
    """Device, host and library versions, for the record in each results file."""
    dev = jax.devices()[0]
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "backend": jax.default_backend(),
        "device_kind": dev.device_kind,
        "device_count": jax.device_count(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {m: _version(m) for m in modules},
    }


def git_state(repo: Path, path: str = ".") -> dict[str, Any]:
    """HEAD commit of ``repo`` and whether ``path`` has uncommitted changes (read-only git)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        dirty = git("--no-optional-locks", "status", "--porcelain", "--", path)
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def fmt(x: float | None, digits: int = 2) -> str:
    """Format a number for a table; ``None``/NaN become an en dash."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table (first column left-aligned, the rest right)."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join([":--"] + ["--:"] * (len(headers) - 1)) + "|")
    lines.extend("| " + " | ".join(r) + " |" for r in rows)
    return "\n".join(lines)


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (via ``<path>.tmp``), creating parents.

    Paths inside the repository are recorded relative to it (``bench/results/...``), so a
    record does not name the machine it was made on.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n"
    root = str(Path(__file__).resolve().parent.parent) + os.sep
    tmp.write_text(text.replace(json.dumps(root)[1:-1], ""))
    os.replace(tmp, path)
