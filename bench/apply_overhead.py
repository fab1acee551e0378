"""Eager (un-jitted) apply overhead of a 3-layer MLP built from ``sj.layers``.

Same model four ways, same parameters where the library allows: hand-written
JAX (a dict of arrays), scopejax (``sj.layers.dense``), Haiku (``hk.Linear``)
and Flax linen (``nn.Dense``). Each repetition times every contender back to
back; the table reports the median per-call time and its ratio to hand-written
JAX (goal for scopejax: <= 1.3x). Run: ``python bench/apply_overhead.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    autorange,
    describe_environment,
    device_kind,
    fmt,
    markdown_table,
    rotate,
    summarize,
    time_once,
    write_json,
)

import scopejax as sj  # noqa: E402

WIDTHS: tuple[int, ...] = (256, 128, 10)  # the size being measured (see _measure)
#: (input width, layer widths, batch): the two sizes of the goal
SIZES = ((784, (256, 128, 10), 128), (32, (64, 64, 10), 8))


def build_handwritten(x: jax.Array) -> Callable[[], Any]:
    params = {}
    d = x.shape[-1]
    for i, w in enumerate(WIDTHS):
        params[f"l{i}"] = {
            "kernel": jax.random.normal(jax.random.key(i), (d, w)) * 0.1,
            "bias": jnp.zeros((w,)),
        }
        d = w

    def apply(p: dict[str, Any], x: jax.Array) -> jax.Array:
        for i in range(len(WIDTHS)):
            x = x @ p[f"l{i}"]["kernel"] + p[f"l{i}"]["bias"]
            if i < len(WIDTHS) - 1:
                x = jax.nn.relu(x)
        return x

    return lambda: jax.block_until_ready(apply(params, x))


def build_scopejax(x: jax.Array) -> Callable[[], Any]:
    def mlp(x: jax.Array) -> jax.Array:
        for i, w in enumerate(WIDTHS):
            act = jax.nn.relu if i < len(WIDTHS) - 1 else None
            x = sj.layers.dense(x, w, activation=act, name=f"l{i}")
        return x

    net = sj.transform(mlp)
    store = net.init(jax.random.key(0), x)
    return lambda: jax.block_until_ready(net.apply(store, x))


def build_haiku(x: jax.Array) -> Callable[[], Any]:
    import haiku as hk

    def mlp(x: jax.Array) -> jax.Array:
        for i, w in enumerate(WIDTHS):
            x = hk.Linear(w, name=f"l{i}")(x)
            if i < len(WIDTHS) - 1:
                x = jax.nn.relu(x)
        return x

    net = hk.without_apply_rng(hk.transform(mlp))
    params = net.init(jax.random.key(0), x)
    return lambda: jax.block_until_ready(net.apply(params, x))


def build_flax(x: jax.Array) -> Callable[[], Any]:
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            for i, w in enumerate(WIDTHS):
                x = nn.Dense(w, name=f"l{i}")(x)
                if i < len(WIDTHS) - 1:
                    x = nn.relu(x)
            return x

    model = MLP()
    params = model.init(jax.random.key(0), x)
    return lambda: jax.block_until_ready(model.apply(params, x))


BUILDERS = {
    "handwritten": build_handwritten,
    "scopejax": build_scopejax,
    "haiku": build_haiku,
    "flax_linen": build_flax,
}


def _measure(in_dim: int, widths: tuple[int, ...], batch: int, repeats: int) -> dict[str, Any]:
    """Time every contender on one MLP size; returns the results and the table rows."""
    global WIDTHS
    WIDTHS = widths
    x = jnp.ones((batch, in_dim))
    thunks: dict[str, Callable[[], Any]] = {}
    for name, build in BUILDERS.items():
        try:
            thunks[name] = build(x)
            thunks[name]()  # warm up (caches, compilation of eager primitives)
        except ImportError as e:
            print(f"skipping {name}: {e}")
    number = {n: autorange(t, 0.05) for n, t in thunks.items()}
    samples: dict[str, list[float]] = {n: [] for n in thunks}
    for r in range(repeats):
        for n in rotate(list(thunks), r):
            samples[n].append(time_once(thunks[n], number[n]))
    base = samples["handwritten"]
    size = f"{in_dim}-{'-'.join(map(str, widths))} b{batch}"
    rows, results = [], {}
    for n, s in samples.items():
        ratios = [a / b for a, b in zip(s, base, strict=False)]
        stat = summarize(s)
        results[n] = {"seconds": stat, "ratio_median": summarize(ratios)["median"]}
        rows.append(
            [size, n, fmt(stat["median"] * 1e6, 1), fmt(summarize(ratios)["median"], 2) + "×"]
        )
    ratio = results["scopejax"]["ratio_median"]
    return {
        "in_dim": in_dim,
        "widths": list(widths),
        "batch": batch,
        "results": results,
        "goal_pass": ratio <= 1.3,
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--batch", type=int, default=None, help="one size: batch")
    p.add_argument("--in-dim", type=int, default=None, help="one size: input width")
    p.add_argument("--widths", type=int, nargs="+", default=None, help="one size: layer widths")
    p.add_argument("--quick", action="store_true", help="3 repeats (CI smoke run)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    sizes: tuple[tuple[int, tuple[int, ...], int], ...] = SIZES
    if args.batch is not None or args.in_dim is not None or args.widths is not None:
        sizes = (
            (
                args.in_dim or 784,
                tuple(args.widths or (256, 128, 10)),
                args.batch or 128,
            ),
        )
    measured = [_measure(i, w, b, repeats) for i, w, b in sizes]
    env = describe_environment(("jax", "jaxlib", "haiku", "flax"))
    rows = [r for m in measured for r in m.pop("rows")]
    table = markdown_table(["MLP, batch", "library", "eager apply µs/call", "× hand-written"], rows)
    print(f"# apply_overhead on {env['backend']} ({env['cpu']}), {repeats} repeats\n")
    print(table)
    for m in measured:
        ratio = m["results"]["scopejax"]["ratio_median"]
        print(
            f"goal scopejax <= 1.3x hand-written at {m['in_dim']}-"
            f"{'-'.join(map(str, m['widths']))} b{m['batch']}: "
            f"{'pass' if m['goal_pass'] else 'FAIL'} ({ratio:.2f}x)"
        )
    out = args.out or Path(__file__).parent / "results" / f"apply_overhead_{device_kind()}.json"
    goal = all(m["goal_pass"] for m in measured)
    write_json(out, {"env": env, "sizes": measured, "goal_pass": goal, "table": table})
    return {"sizes": measured, "goal_pass": goal}


if __name__ == "__main__":
    main()
