"""What TF1's op names (``scopejax.compat.v1`` ops naming themselves) cost at trace time.

Each compat op opens a name scope with its TF1 name (``MatMul``, ``MatMul_1``) so that HLO
metadata carries it. This times tracing (``jax.make_jaxpr`` of ``net.apply``: Python only,
nothing compiles) of the TF1-style model of ``compat_tensor_api.py`` (``--layers`` blocks
of matmul, relu, moments, a masked softmax) with the naming on and switched off, back to
back in a rotated order, and checks that the two lowered programs differ only in their
metadata (the same HLO once locations are stripped).
Run: ``python bench/compat_opnames.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    describe_environment,
    device_kind,
    fmt,
    markdown_table,
    paired,
    rotate,
    summarize,
    time_once,
    write_json,
)
from compat_tensor_api import COMPAT_SOURCE  # noqa: E402

import scopejax as sj  # noqa: E402


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--layers", type=int, default=48)
    p.add_argument("--quick", action="store_true", help="3 repeats, 8 layers (CI smoke run)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    repeats, layers = (3, 8) if args.quick else (args.repeats, args.layers)
    compat = importlib.import_module("scopejax.compat.v1")
    opnames = importlib.import_module("scopejax._src.compat.opnames")
    namespace: dict[str, Any] = {"tf": compat}
    exec(COMPAT_SOURCE, namespace)  # noqa: S102 - the model lives in the compat namespace
    x = jax.random.normal(jax.random.key(0), (4, 16, 32))
    mask = jnp.ones([4, 16, 16])
    net = sj.transform(namespace["compat_model"])
    store = net.init(jax.random.key(1), x, mask, layers)
    real_context = opnames._context
    off_context = types.SimpleNamespace(maybe_frame=lambda: None)

    def naming(on: bool) -> None:
        opnames._context = real_context if on else off_context

    def trace() -> Any:  # a fresh function each time: JAX caches traces per function
        return jax.make_jaxpr(lambda s, a, m: net.apply(s, a, m, layers))(store, x, mask)

    def hlo() -> str:
        text = jax.jit(lambda s, a, m: net.apply(s, a, m, layers)).lower(store, x, mask).as_text()
        return re.sub(r"\s*loc\(.*?\)$|^#loc.*$", "", text, flags=re.M)

    samples: dict[bool, list[float]] = {True: [], False: []}
    try:
        texts = {}
        for on in (True, False):
            naming(on)
            trace()  # warm up
            texts[on] = hlo()
        for r in range(repeats):
            for on in rotate([True, False], r):
                naming(on)
                samples[on].append(time_once(trace, pause_gc=True))
    finally:
        naming(True)
    result = {
        "named_ms": summarize([s * 1e3 for s in samples[True]]),
        "unnamed_ms": summarize([s * 1e3 for s in samples[False]]),
        "ratio": summarize(paired(samples[True], samples[False], lambda a, b: a / b)),
        "same_hlo_without_locations": texts[True] == texts[False],
    }
    table = markdown_table(
        ["model", "trace ms (names off)", "trace ms (names on)", "on / off", "same HLO ops"],
        [
            [
                f"compat, {layers} blocks",
                fmt(result["unnamed_ms"]["median"], 1),
                fmt(result["named_ms"]["median"], 1),
                fmt(result["ratio"]["median"], 3),
                "yes" if result["same_hlo_without_locations"] else "NO",
            ]
        ],
    )
    print(table, flush=True)
    record = {
        "benchmark": "compat_opnames",
        "environment": describe_environment(),
        "options": {"repeats": repeats, "layers": layers},
        "results": result,
        "markdown": table,
    }
    out = args.out or Path(__file__).resolve().parent / "results" / (
        f"compat_opnames_{device_kind()}{'_quick' if args.quick else ''}.json"
    )
    write_json(out, record)
    return record


if __name__ == "__main__":
    main()
