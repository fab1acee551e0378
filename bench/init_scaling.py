"""init_scaling: Python overhead of parameter creation as the number of variables grows.

The same model -- N dense layers (width 16, batch 4, tanh between layers), each in its own
scope -- is written as hand-written JAX, scopejax, Haiku, Flax linen and Flax NNX. For each
library and N we time

* ``eager_init``: calling ``init`` eagerly and blocking on the result;
* ``trace_init``: ``jax.jit(init).trace(key, x)`` (tracing only, no lowering/compilation);
* ``trace_apply``: ``jax.jit(apply).trace(params, x)``.

Every repetition runs every library back to back (in a rotated order), so ratios and the
per-variable overhead ``(t_lib - t_handwritten) / n_variables`` are computed per repetition
against the hand-written baseline and then summarised by their median.

Usage::

    .venv/bin/python bench/init_scaling.py            # N = 10, 100, 1000; 7 repeats
    .venv/bin/python bench/init_scaling.py --quick    # N = 10, 1 repeat (CI smoke run)
    .venv/bin/python bench/init_scaling.py --profile scopejax   # + cProfile at the largest N
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

if __package__ in (None, ""):  # run as a script: make ``bench._common`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    autorange,
    block,
    describe_environment,
    device_kind,
    fmt,
    git_state,
    markdown_table,
    paired,
    rotate,
    summarize,
    time_once,
    write_json,
)

WIDTH = 16
BATCH = 4
METRICS = ("eager_init", "trace_init", "trace_apply")
METRIC_TITLES = {
    "eager_init": "eager init",
    "trace_init": "jit(init) trace",
    "trace_apply": "jit(apply) trace",
}
BASELINE = "handwritten"
FORWARD = "handwritten_fwd"
CANDIDATE = "scopejax"
PEERS = ("haiku", "flax_linen", "flax_nnx")
ALL_LIBS = (BASELINE, FORWARD, CANDIDATE, *PEERS)
GOAL_FACTOR = 0.5
RESULTS_DIR = Path(__file__).resolve().parent / "results"

InitFn = Callable[[jax.Array, jax.Array], Any]
ApplyFn = Callable[[Any, jax.Array], jax.Array]


@dataclass(frozen=True)
class Model:
    """One library's version of the N-layer model as a pure (init, apply) pair."""

    init: InitFn
    apply: ApplyFn


def _glorot_limit(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6.0 / (fan_in + fan_out))


# --------------------------------------------------------------------------- the contenders


def build_handwritten(n: int) -> Model:
    """Explicit nested dict; ``fold_in(key, i)`` per layer, glorot-uniform kernel, zero bias."""

    def init(key: jax.Array, x: jax.Array) -> dict[str, dict[str, jax.Array]]:
        params: dict[str, dict[str, jax.Array]] = {}
        fan_in = x.shape[-1]
        for i in range(n):
            lim = _glorot_limit(fan_in, WIDTH)
            kernel = jax.random.uniform(
                jax.random.fold_in(key, i), (fan_in, WIDTH), x.dtype, -lim, lim
            )
            params[f"layer_{i}"] = {"kernel": kernel, "bias": jnp.zeros((WIDTH,), x.dtype)}
            fan_in = WIDTH
        return params

    def apply(params: dict[str, dict[str, jax.Array]], x: jax.Array) -> jax.Array:
        for i in range(n):
            p = params[f"layer_{i}"]
            x = x @ p["kernel"] + p["bias"]
            if i < n - 1:
                x = jnp.tanh(x)
        return x

    return Model(init, apply)


def build_handwritten_fwd(n: int) -> Model:
    """Hand-written, but ``init`` also runs the forward pass, as transform-style inits do.

    Not a contender: the gap between it and ``handwritten`` is the part of every library's
    init overhead that comes from running the model, not from managing variables.
    """
    base = build_handwritten(n)

    def init(key: jax.Array, x: jax.Array) -> dict[str, dict[str, jax.Array]]:
        params = base.init(key, x)
        base.apply(params, x)
        return params

    return Model(init, base.apply)


def build_scopejax(n: int) -> Model:
    """``get_variable`` under one ``variable_scope`` per layer, wrapped by ``sj.transform``."""
    import scopejax as sj

    def dense(x: jax.Array, units: int, scope: str) -> jax.Array:
        with sj.variable_scope(scope):
            w = sj.get_variable(
                "kernel", [x.shape[-1], units], initializer=sj.initializers.glorot_uniform()
            )
            b = sj.get_variable("bias", [units], initializer=sj.initializers.zeros())
        return x @ w + b

    def model_fn(x: jax.Array) -> jax.Array:
        for i in range(n):
            x = dense(x, WIDTH, f"layer_{i}")
            if i < n - 1:
                x = jnp.tanh(x)
        return x

    net = sj.transform(model_fn)
    return Model(net.init, net.apply)


def build_haiku(n: int) -> Model:
    """``hk.Linear`` per layer under ``hk.without_apply_rng(hk.transform(...))``."""
    import haiku as hk

    def model_fn(x: jax.Array) -> jax.Array:
        w_init = hk.initializers.VarianceScaling(1.0, "fan_avg", "uniform")
        for i in range(n):
            x = hk.Linear(WIDTH, w_init=w_init, name=f"layer_{i}")(x)
            if i < n - 1:
                x = jnp.tanh(x)
        return x

    net = hk.without_apply_rng(hk.transform(model_fn))
    return Model(net.init, net.apply)


def build_flax_linen(n: int) -> Model:
    """``nn.Dense`` in a loop inside an ``nn.compact`` module."""
    import flax.linen as nn

    class MLP(nn.Module):
        depth: int

        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            for i in range(self.depth):
                x = nn.Dense(
                    WIDTH, kernel_init=nn.initializers.glorot_uniform(), name=f"layer_{i}"
                )(x)
                if i < self.depth - 1:
                    x = jnp.tanh(x)
            return x

    module = MLP(n)
    return Model(module.init, module.apply)


def build_flax_nnx(n: int) -> Model:
    """``nnx.Linear`` layers; init = construct + ``nnx.split``, apply = ``nnx.merge`` + call."""
    from flax import nnx

    class MLP(nnx.Module):
        def __init__(self, depth: int, rngs: nnx.Rngs) -> None:
            init = nnx.initializers.glorot_uniform()
            self.layers = nnx.List(
                [nnx.Linear(WIDTH, WIDTH, kernel_init=init, rngs=rngs) for _ in range(depth)]
            )

        def __call__(self, x: jax.Array) -> jax.Array:
            for i, layer in enumerate(self.layers):
                x = layer(x)
                if i < len(self.layers) - 1:
                    x = jnp.tanh(x)
            return x

    graphdef, _ = nnx.split(nnx.eval_shape(lambda: MLP(n, nnx.Rngs(0))), nnx.Param)

    def init(key: jax.Array, x: jax.Array) -> Any:
        del x  # NNX layers take their input size at construction
        return nnx.split(MLP(n, nnx.Rngs(params=key)), nnx.Param)[1]

    def apply(params: Any, x: jax.Array) -> jax.Array:
        return nnx.merge(graphdef, params)(x)

    return Model(init, apply)


BUILDERS: dict[str, Callable[[int], Model]] = {
    "handwritten": build_handwritten,
    "handwritten_fwd": build_handwritten_fwd,
    "scopejax": build_scopejax,
    "haiku": build_haiku,
    "flax_linen": build_flax_linen,
    "flax_nnx": build_flax_nnx,
}


# --------------------------------------------------------------------------- measurement


def fresh(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object wrapping ``fn``, so ``jax.jit`` cannot reuse a cached trace."""
    return lambda *args: fn(*args)


def make_thunks(model: Model, key: jax.Array, x: jax.Array) -> dict[str, Callable[[], Any]]:
    """Zero-argument callables for each metric (params for ``apply`` are created once)."""
    params = block(model.init(key, x))
    return {
        "eager_init": lambda: block(model.init(key, x)),
        "trace_init": lambda: jax.jit(fresh(model.init)).trace(key, x),
        "trace_apply": lambda: jax.jit(fresh(model.apply)).trace(params, x),
    }


def check_model(model: Model, key: jax.Array, x: jax.Array, n: int) -> dict[str, Any]:
    """Run init/apply once; check shapes and parameter count; return a few facts."""
    params = block(model.init(key, x))
    y = block(model.apply(params, x))
    leaves = [leaf for leaf in jax.tree.leaves(params) if hasattr(leaf, "shape")]
    n_params = sum(math.prod(leaf.shape) for leaf in leaves)
    expected = n * (WIDTH * WIDTH + WIDTH)
    notes = []
    if y.shape != (BATCH, WIDTH):
        raise AssertionError(f"apply returned shape {y.shape}, expected {(BATCH, WIDTH)}")
    if n_params != expected:
        notes.append(f"{n_params} parameters, expected {expected}")
    if len(leaves) != 2 * n:
        notes.append(f"{len(leaves)} array leaves, expected {2 * n}")
    return {"n_leaves": len(leaves), "n_params": n_params, "notes": notes}


def _error(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"[:300]


@dataclass
class Cell:
    """Raw per-repetition samples (seconds) for one library at one N."""

    samples: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    number: dict[str, int] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    facts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def measure_size(
    n: int,
    libs: Sequence[str],
    repeats: int,
    min_sample_s: float,
    max_call_s: float,
    pause_gc: bool,
    verbose: bool,
) -> dict[str, Cell]:
    """Build, check and warm every library at size ``n``, then time them interleaved.

    A metric whose warm-up call takes longer than ``max_call_s`` keeps that call as its only
    sample (marked ``slow``), so one pathological case cannot eat the run.
    """
    key = jax.random.key(0)
    x = jnp.ones((BATCH, WIDTH), jnp.float32)
    cells: dict[str, Cell] = {lib: Cell() for lib in libs}
    thunks: dict[str, dict[str, Callable[[], Any]]] = {}
    for lib in libs:
        try:
            model = BUILDERS[lib](n)
            cells[lib].facts = check_model(model, key, x, n)
            thunks[lib] = make_thunks(model, key, x)
            for metric, thunk in thunks[lib].items():
                # warm-up: primitive compilation caches, lazy imports
                first = time_once(thunk, 1, pause_gc)
                if first > max_call_s:  # the warm-up call is the one sample
                    cells[lib].slow.add(metric)
                    cells[lib].number[metric] = 1
                    cells[lib].samples[metric].append(first)
                else:
                    cells[lib].number[metric] = autorange(thunk, min_sample_s)
        except Exception as exc:  # noqa: BLE001 - a broken contender must not stop the run
            cells[lib].error = _error(exc)
            thunks.pop(lib, None)
            if verbose:
                traceback.print_exc()
            print(f"  [N={n}] {lib}: FAILED during setup: {cells[lib].error}", file=sys.stderr)
    for rep in range(repeats):
        for lib in rotate([lib for lib in libs if lib in thunks], rep):
            try:
                for metric, thunk in thunks[lib].items():
                    if metric in cells[lib].slow:
                        continue
                    t = time_once(thunk, cells[lib].number[metric], pause_gc)
                    cells[lib].samples[metric].append(t)
            except Exception as exc:  # noqa: BLE001
                cells[lib].error = _error(exc)
                thunks.pop(lib)
                print(f"  [N={n}] {lib}: FAILED in rep {rep}: {cells[lib].error}", file=sys.stderr)
        if verbose:
            print(f"  [N={n}] repetition {rep + 1}/{repeats} done", file=sys.stderr)
    return cells


def analyse(n: int, cells: dict[str, Cell]) -> dict[str, Any]:
    """Per-library summaries, paired ratios and per-variable overhead vs the baseline."""
    n_vars = 2 * n
    base = cells.get(BASELINE)
    out: dict[str, Any] = {}
    for lib, cell in cells.items():
        entry: dict[str, Any] = {"n_variables": n_vars, "facts": cell.facts}
        if cell.slow:
            entry["single_sample"] = sorted(cell.slow)
        if cell.error is not None:
            entry["error"] = cell.error
        for metric in METRICS:
            samples = cell.samples[metric]
            m: dict[str, Any] = {
                "seconds": summarize(samples),
                "calls_per_sample": cell.number.get(metric),
                "samples_s": samples,
            }
            if base is not None and base.error is None and samples:
                ref = base.samples[metric]
                ratios = paired(samples, ref, lambda a, b: a / b)
                diffs = paired(samples, ref, lambda a, b: (a - b) / n_vars * 1e6)
                m["ratio_vs_handwritten"] = summarize(ratios)
                m["overhead_us_per_variable"] = summarize(diffs)
            entry[metric] = m
        out[lib] = entry
    return out


def goal_check(n: int, analysis: dict[str, Any]) -> dict[str, Any]:
    """scopejax's per-variable overhead vs ``GOAL_FACTOR`` x the best measured peer's.

    Also reported, for information: the same comparison net of the forward pass
    (every overhead minus ``handwritten_fwd``'s), which all transform-style inits pay.
    """
    result: dict[str, Any] = {}
    sj = analysis.get(CANDIDATE, {})
    for metric in METRICS:
        peers = {
            p: analysis[p][metric]["overhead_us_per_variable"]["median"]
            for p in PEERS
            if p in analysis and "overhead_us_per_variable" in analysis[p].get(metric, {})
        }
        sj_m = sj.get(metric, {}).get("overhead_us_per_variable")
        if not peers or sj_m is None or sj_m["n"] == 0:
            result[metric] = {"status": "n/a", "reason": sj.get("error", "no data")}
            continue
        best = min(peers, key=lambda p: peers[p])
        bound = GOAL_FACTOR * peers[best]
        ok = sj_m["median"] <= bound
        result[metric] = {
            "status": "pass" if ok else "FAIL",
            "scopejax_us": sj_m["median"],
            "best_peer": best,
            "best_peer_us": peers[best],
            "bound_us": bound,
        }
        fwd = analysis.get(FORWARD, {}).get(metric, {}).get("overhead_us_per_variable")
        if fwd is not None and fwd["n"] and metric != "trace_apply":
            net_sj = sj_m["median"] - fwd["median"]
            net_bound = GOAL_FACTOR * (peers[best] - fwd["median"])
            result[metric]["net_of_forward"] = {
                "status": "pass" if net_sj <= net_bound else "FAIL",
                "forward_us": fwd["median"],
                "scopejax_us": net_sj,
                "bound_us": net_bound,
            }
    return result


# --------------------------------------------------------------------------- reporting


def render(results: dict[int, dict[str, Any]], goals: dict[int, dict[str, Any]]) -> str:
    """Markdown: times with ratios, per-variable overheads, goal lines, failures."""
    time_rows: list[list[str]] = []
    over_rows: list[list[str]] = []
    failures: list[str] = []
    for n, analysis in results.items():
        for lib, entry in analysis.items():
            if "error" in entry:
                failures.append(f"- {lib} @ N={n}: {entry['error']}")
            row = [lib, str(n)]
            orow = [lib, str(n), str(entry["n_variables"])]
            for metric in METRICS:
                m = entry[metric]
                ms = m["seconds"]["median"] * 1e3
                ratio = m.get("ratio_vs_handwritten", {}).get("median")
                star = "*" if metric in entry.get("single_sample", ()) else ""
                row += [fmt(ms, 2 if ms < 100 else 1) + star, fmt(ratio) + "×" if ratio else "–"]
                ov = m.get("overhead_us_per_variable", {}).get("median")
                orow.append("–" if lib == BASELINE else fmt(ov, 1))
            if "error" in entry and not entry["eager_init"]["seconds"]["n"]:
                row = [lib, str(n), "failed", "", "", "", "", ""]
                orow = [lib, str(n), str(entry["n_variables"]), "failed", "", ""]
            time_rows.append(row)
            over_rows.append(orow)
    heads = ["library", "N"]
    for metric in METRICS:
        heads += [f"{METRIC_TITLES[metric]} ms", "× hand"]
    parts = [markdown_table(heads, time_rows), ""]
    parts.append(
        markdown_table(
            ["library", "N", "variables"] + [f"{METRIC_TITLES[m]} µs/var" for m in METRICS],
            over_rows,
        )
    )
    parts.append("")
    for n, goal in goals.items():
        items = []
        for metric in METRICS:
            g = goal[metric]
            if g["status"] == "n/a":
                items.append(f"{METRIC_TITLES[metric]}: n/a")
            else:
                text = (
                    f"{METRIC_TITLES[metric]}: {g['status']} ({fmt(g['scopejax_us'], 1)} µs vs "
                    f"≤ {fmt(g['bound_us'], 1)} = {GOAL_FACTOR}× {g['best_peer']}"
                )
                if "net_of_forward" in g:
                    net = g["net_of_forward"]
                    text += (
                        f"; net of forward: {net['status']}, {fmt(net['scopejax_us'], 1)} vs "
                        f"≤ {fmt(net['bound_us'], 1)}"
                    )
                items.append(text + ")")
        parts.append(f"- goal @ N={n}: " + " · ".join(items))
    if any(e.get("single_sample") for a in results.values() for e in a.values()):
        note = "single sample (the warm-up call): it exceeded --max-call-s, so was not repeated."
        parts += ["", "\\* " + note]
    if failures:
        parts += ["", "Failures:", *failures]
    return "\n".join(parts)


def profile_lib(lib: str, n: int, top: int = 25) -> str:
    """cProfile of eager init and of the jit(init) trace for ``lib`` at size ``n``."""
    key = jax.random.key(0)
    x = jnp.ones((BATCH, WIDTH), jnp.float32)
    model = BUILDERS[lib](n)
    thunks = make_thunks(model, key, x)
    report = []
    for metric in ("eager_init", "trace_init", "trace_apply"):
        thunks[metric]()
        prof = cProfile.Profile()
        prof.enable()
        thunks[metric]()
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime")
        stats.print_stats(top)
        report.append(f"### cProfile {lib} {metric} N={n} (sorted by tottime)\n{buf.getvalue()}")
    return "\n".join(report)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="N=10 only, 1 repeat (CI smoke run)")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="default: 10 100 1000")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repetitions (7)")
    p.add_argument("--libs", nargs="+", choices=ALL_LIBS, default=list(ALL_LIBS))
    p.add_argument(
        "--min-sample-ms", type=float, default=20.0, help="calls are batched to last this long"
    )
    p.add_argument(
        "--max-call-s",
        type=float,
        default=5.0,
        help="metrics slower than this per call are timed once, not repeated",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON path (default bench/results/init_scaling_<device>[_quick][_pause_gc].json)",
    )
    p.add_argument(
        "--pause-gc",
        action="store_true",
        help="turn the cyclic GC off while timing (timeit-style); default: GC runs as usual",
    )
    p.add_argument("--profile", choices=ALL_LIBS, default=None, help="cProfile at largest N")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 if any library failed (default: baseline)"
    )
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    args.sizes = args.sizes or ([10] if args.quick else [10, 100, 1000])
    args.repeats = args.repeats or (1 if args.quick else 7)
    if BASELINE not in args.libs:
        args.libs.insert(0, BASELINE)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print markdown, write JSON. Exit 1 if the baseline (--strict: any library) broke."""
    args = parse_args(argv)
    env = describe_environment(("jax", "jaxlib", "numpy", "scopejax", "haiku", "flax"))
    env["git"] = git_state(Path(__file__).resolve().parent.parent, "scopejax")
    print(
        f"# init_scaling on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} cores), "
        f"jax {env['versions']['jax']}, sizes={args.sizes}, repeats={args.repeats}, "
        f"gc={'paused' if args.pause_gc else 'on'}",
        file=sys.stderr,
    )
    results: dict[int, dict[str, Any]] = {}
    goals: dict[int, dict[str, Any]] = {}
    for n in args.sizes:
        cells = measure_size(
            n,
            args.libs,
            args.repeats,
            args.min_sample_ms / 1e3,
            args.max_call_s,
            args.pause_gc,
            args.verbose,
        )
        results[n] = analyse(n, cells)
        goals[n] = goal_check(n, results[n])
    table = render(results, goals)
    print(table)
    payload: dict[str, Any] = {
        "benchmark": "init_scaling",
        "model": {"width": WIDTH, "batch": BATCH, "activation": "tanh", "variables_per_layer": 2},
        "environment": env,
        "options": {
            "sizes": args.sizes,
            "repeats": args.repeats,
            "libs": args.libs,
            "min_sample_ms": args.min_sample_ms,
            "max_call_s": args.max_call_s,
            "pause_gc": args.pause_gc,
            "quick": args.quick,
        },
        "results": {str(n): r for n, r in results.items()},
        "goal": {
            "rule": f"scopejax overhead per variable <= {GOAL_FACTOR} x best peer's",
            "by_size": {str(n): g for n, g in goals.items()},
        },
        "markdown": table,
    }
    suffix = ("_quick" if args.quick else "") + ("_pause_gc" if args.pause_gc else "")
    out = args.out or RESULTS_DIR / f"init_scaling_{device_kind()}{suffix}.json"
    write_json(out, payload)
    print(f"\nwrote {out}", file=sys.stderr)
    if args.profile:
        print("\n" + profile_lib(args.profile, max(args.sizes)))
    watched = args.libs if args.strict else [BASELINE]
    ok = all(r.get(lib, {}).get("error") is None for r in results.values() for lib in watched)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
