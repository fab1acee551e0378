"""What a TensorBoard summary costs per training step: ``sj.summary`` writes vs none.

A trivial jitted step (an SGD step of a 32-64-10 MLP, batch 8: the case where overhead shows
most) runs ``--steps`` times per sample, four ways, back to back in a rotated order:

* ``no_summary``: the step only (async dispatch; one block at the end);
* ``host_read``: plus ``float(loss)`` every step (the device round trip a summary needs);
* ``scalar``: plus ``writer.scalar("loss", loss, step)`` every step;
* ``scalar+histogram``: plus ``writer.histogram`` of a 64x10 kernel every step.

The table gives the median µs per step and the paired ratio to ``no_summary``.
Run: ``python bench/summary_overhead.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
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

import scopejax as sj  # noqa: E402


def _step_fn() -> tuple[Callable[..., Any], Any, tuple[jax.Array, jax.Array]]:
    def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
        h = sj.layers.dense(x, 64, activation=jax.nn.relu, name="l1")
        logits = sj.layers.dense(h, 10, name="l2")
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(y.shape[0]), y])

    net = sj.transform(loss_fn)
    x = jax.random.normal(jax.random.key(0), (8, 32))
    y = jnp.arange(8) % 10
    store = net.init(jax.random.key(1), x, y)

    @jax.jit
    def step(store: sj.Store, x: jax.Array, y: jax.Array) -> tuple[sj.Store, jax.Array]:
        loss, grads = jax.value_and_grad(net.apply)(store, x, y)
        return jax.tree.map(lambda p, g: p - 0.01 * g, store, grads), loss

    return step, store, (x, y)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--steps", type=int, default=300, help="steps per sample")
    p.add_argument("--quick", action="store_true", help="3 repeats of 50 steps (CI smoke run)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    repeats, steps = (3, 50) if args.quick else (args.repeats, args.steps)
    step, store0, (x, y) = _step_fn()
    jax.block_until_ready(step(store0, x, y))  # compile
    logdir = tempfile.mkdtemp(prefix="summary_overhead_")
    writer = sj.summary.create_file_writer(logdir)

    def run(kind: str) -> Callable[[], None]:
        def loop() -> None:
            store = store0
            loss = None
            for i in range(steps):
                store, loss = step(store, x, y)
                if kind == "host_read":
                    float(loss)
                elif kind == "scalar":
                    writer.scalar("loss", loss, i)
                elif kind == "scalar+histogram":
                    writer.scalar("loss", loss, i)
                    writer.histogram("l2/kernel", store["l2/kernel"], i)
            jax.block_until_ready((store, loss))

        return loop

    kinds = ["no_summary", "host_read", "scalar", "scalar+histogram"]
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    for r in range(repeats):
        for kind in rotate(kinds, r):
            samples[kind].append(time_once(run(kind)) / steps)
    writer.close()
    base = samples["no_summary"]
    results = {
        k: {
            "us_per_step": summarize([s * 1e6 for s in v]),
            "ratio": summarize(paired(v, base, lambda a, b: a / b)),
            "extra_us": summarize(paired(v, base, lambda a, b: (a - b) * 1e6)),
        }
        for k, v in samples.items()
    }
    rows = [
        [
            k,
            fmt(results[k]["us_per_step"]["median"], 1),
            fmt(results[k]["extra_us"]["median"], 1),
            fmt(results[k]["ratio"]["median"], 2),
        ]
        for k in kinds
    ]
    env = describe_environment(("jax", "jaxlib", "tensorboard"))
    table = markdown_table(["per step", "µs/step", "+µs vs none", "× no_summary"], rows)
    print(f"# summary_overhead on {env['backend']} ({env['cpu']}), {repeats}x{steps} steps\n")
    print(table)
    out = args.out or Path(__file__).parent / "results" / f"summary_overhead_{device_kind()}.json"
    write_json(
        out, {"env": env, "repeats": repeats, "steps": steps, "results": results, "table": table}
    )
    return results


if __name__ == "__main__":
    main()
