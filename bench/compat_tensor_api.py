"""What TF's Tensor API on JAX values (``scopejax.compat.v1``) costs at trace time.

Importing ``scopejax.compat.v1`` adds ``get_shape``/``set_shape`` to JAX's array and
tracer classes, makes ``.shape`` check its caller's module (a ``TensorShape`` for code in
the compat namespace, the plain tuple elsewhere) and wraps the binary operators (a type
test; Python scalars JAX and TF disagree on take a slow path). This times tracing
(``jax.make_jaxpr`` of ``net.apply``: Python only, nothing compiles) of two models with
the API installed and uninstalled, back to back in a rotated order:

* ``compat``: TF1-style code in the compat namespace (``import scopejax.compat.v1 as tf``):
  ``--layers`` blocks of ``get_variable`` + ``tf.matmul`` + ``tf.nn.relu`` + a layer norm
  with ``x.shape`` reads, a masked softmax (``mask * -1e9``) and scalar arithmetic;
* ``plain``: the same model in plain JAX (``sj.get_variable``, ``jnp``), outside it.

It also checks that the lowered StableHLO is identical installed and uninstalled.
Run: ``python bench/compat_tensor_api.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import importlib
import sys
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

COMPAT_SOURCE = """
def compat_model(x, mask, layers):
    for i in range(layers):
        with tf.variable_scope("block%d" % i):
            d = int(x.shape[-1])
            w = tf.get_variable("w", [d, d])
            b = tf.get_variable("b", [d], initializer=tf.zeros_initializer())
            h = tf.nn.relu(tf.matmul(x, w) + b)
            mean, var = tf.nn.moments(h, axes=[len(h.shape) - 1], keep_dims=True)
            h = (h - mean) * tf.rsqrt(var + 1e-6)
            scores = tf.matmul(h, h, transpose_b=True) / float(d) ** 0.5
            scores = scores + (1.0 - mask) * -1e9
            x = x + 0.5 * tf.matmul(tf.nn.softmax(scores), h)
    return tf.reduce_mean(x)
"""


def plain_model(x: jax.Array, mask: jax.Array, layers: int) -> jax.Array:
    for i in range(layers):
        with sj.variable_scope(f"block{i}"):
            d = int(x.shape[-1])
            w = sj.get_variable("w", [d, d])
            b = sj.get_variable("b", [d], initializer=sj.initializers.zeros())
            h = jax.nn.relu(jnp.matmul(x, w) + b)
            mean = jnp.mean(h, axis=len(h.shape) - 1, keepdims=True)
            var = jnp.mean(jnp.square(h - mean), axis=len(h.shape) - 1, keepdims=True)
            h = (h - mean) * jax.lax.rsqrt(var + 1e-6)
            scores = jnp.matmul(h, jnp.swapaxes(h, -1, -2)) / float(d) ** 0.5
            scores = scores + (1.0 - mask) * -1e9
            x = x + 0.5 * jnp.matmul(jax.nn.softmax(scores), h)
    return jnp.mean(x)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--layers", type=int, default=48)
    p.add_argument("--quick", action="store_true", help="3 repeats, 8 layers (CI smoke run)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    repeats, layers = (3, 8) if args.quick else (args.repeats, args.layers)
    compat = importlib.import_module("scopejax.compat.v1")  # not bound in these globals
    tensor_api = importlib.import_module("scopejax._src.compat.tensor")
    namespace: dict[str, Any] = {"tf": compat}
    exec(COMPAT_SOURCE, namespace)  # noqa: S102 - the model lives in the compat namespace
    models: dict[str, Callable[..., Any]] = {
        "compat": namespace["compat_model"],
        "plain": plain_model,
    }
    x = jax.random.normal(jax.random.key(0), (4, 16, 32))
    mask = jnp.ones([4, 16, 16])
    nets = {k: sj.transform(fn) for k, fn in models.items()}
    stores = {k: net.init(jax.random.key(1), x, mask, layers) for k, net in nets.items()}

    def trace(kind: str) -> Callable[[], Any]:
        def once() -> Any:  # a fresh function each time: JAX caches traces per function
            return jax.make_jaxpr(lambda s, a, m: nets[kind].apply(s, a, m, layers))(
                stores[kind], x, mask
            )

        return once

    def hlo(kind: str) -> str:
        fn = jax.jit(lambda s, a, m: nets[kind].apply(s, a, m, layers))  # fresh: no cache
        return fn.lower(stores[kind], x, mask).as_text()

    hlo_installed = {k: hlo(k) for k in models}
    contenders = [(k, inst) for k in models for inst in (True, False)]
    samples: dict[tuple[str, bool], list[float]] = {c: [] for c in contenders}
    try:
        for c in contenders:  # warm up
            (tensor_api.install if c[1] else tensor_api.uninstall)()
            trace(c[0])()
        for r in range(repeats):
            for kind, inst in rotate(contenders, r):
                (tensor_api.install if inst else tensor_api.uninstall)()
                samples[(kind, inst)].append(time_once(trace(kind), pause_gc=True))
        tensor_api.uninstall()
        hlo_plain = {k: hlo(k) for k in models}
    finally:
        tensor_api.install()
    same_hlo = {k: hlo_installed[k] == hlo_plain[k] for k in models}
    results: dict[str, Any] = {}
    rows = []
    for kind in models:
        on, off = samples[(kind, True)], samples[(kind, False)]
        results[kind] = {
            "installed_ms": summarize([s * 1e3 for s in on]),
            "uninstalled_ms": summarize([s * 1e3 for s in off]),
            "ratio": summarize(paired(on, off, lambda a, b: a / b)),
            "same_hlo": same_hlo[kind],
        }
        rows.append(
            [
                kind,
                fmt(results[kind]["uninstalled_ms"]["median"], 1),
                fmt(results[kind]["installed_ms"]["median"], 1),
                fmt(results[kind]["ratio"]["median"], 3),
                "yes" if same_hlo[kind] else "NO",
            ]
        )
    env = describe_environment(("jax", "jaxlib"))
    table = markdown_table(
        ["model", "trace ms (API off)", "trace ms (API on)", "on / off", "same HLO"], rows
    )
    print(
        f"# compat_tensor_api on {env['backend']} ({env['cpu']}), {repeats} repeats, "
        f"{layers} layers\n"
    )
    print(table)
    out = args.out or Path(__file__).parent / "results" / f"compat_tensor_api_{device_kind()}.json"
    write_json(
        out,
        {"env": env, "repeats": repeats, "layers": layers, "results": results, "table": table},
    )
    return results


if __name__ == "__main__":
    main()
