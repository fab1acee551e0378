"""init_compile: jit-compile time and eager time of ``init``, scopejax's fast init vs the rest.

``sj.transform(fn)`` (``fast_init=True``, the default) makes ``init`` trace ``fn``
abstractly to find the variables, then draws the variables sharing (initializer, shape,
dtype) in one batched draw; ``sj.transform(fn, fast_init=False)`` runs the forward pass
at init, as Haiku and Flax do. The same models are written as

* ``scopejax_fast``: ``sj.layers.dense`` / ``conv2d`` under ``sj.transform(fn)``;
* ``scopejax_forward``: the same under ``sj.transform(fn, fast_init=False)``;
* ``handwritten``: ``jax.random.split`` keys, ``jax.nn.initializers.glorot_uniform()`` for
  kernels, ``jnp.zeros`` for biases, params as a list of dicts (the baseline);
* ``haiku``: ``hk.Linear`` / ``hk.Conv2D`` under ``hk.transform``, ``.init``;
* ``flax_linen``: ``nn.Dense`` / ``nn.Conv`` in an ``nn.compact`` module, ``.init``;
* ``xla_floor`` (compile only): a jitted function returning N distinct computed arrays of
  the model's variable shapes (``broadcast(x[0, 0] + i)``), N = the number of variables:
  XLA:CPU emits (and LLVM compiles) one kernel per such output;
* ``xla_floor_kernels`` (compile only): the same for the kernels only, the biases being
  ``jnp.zeros`` (one broadcast, then a copy per output, which needs no kernel of its own):
  what any init that returns each variable as its own buffer pays at least on XLA:CPU.

Models: ``mlp``: L dense layers of width 64 (tanh), input [8, 64], L = 10, 100, 1000
(2L variables); ``conv``: 6 conv layers 3x3, 32 channels, SAME, relu, then flatten and a
dense head of 10, input [8, 28, 28, 1] (14 variables). All kernels are Glorot-uniform, all
biases zero.

Metrics, all in one process:

* ``jit(init)``: ``jax.jit(fresh(init)).lower(key, x)`` (trace + lower) then
  ``.compile()``, with ``jax.clear_caches()`` first, so every measurement is a cold compile;
  plus the fusions / copies in the compiled ENTRY computation;
* eager ``init(key, x)`` (blocked): the first call after ``jax.clear_caches()`` (it compiles
  each op it dispatches) and the steady state (median over interleaved repetitions), also
  per variable.

A contender whose jit(init) time at the previous L, extrapolated to the next L, exceeds
``--budget-s`` (120 s) is skipped there and reported as ``skipped: >budget``. The estimate
is ``t(L_prev) * (L / L_prev) ** --growth-exponent``: XLA:CPU's compile time grows faster
than linearly with the module (8-74x from L = 100 to 1000 here), so the default exponent is
1.4 (25x per 10x L); ``--growth-exponent 1`` extrapolates linearly. The two XLA floors are
never skipped: they are the reference for every other figure, and grow about linearly.

Usage::

    .venv/bin/python bench/init_compile.py            # L = 10, 100, 1000 + conv (~6 min, 2 cores)
    .venv/bin/python bench/init_compile.py --quick    # L = 10 + a tiny conv, 1 repeat (~20 s)
    .venv/bin/python bench/init_compile.py --budget-s inf     # no skipping (~25 min)
"""

from __future__ import annotations

import argparse
import collections
import gc
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

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
    perf_counter,
    rotate,
    summarize,
    time_once,
    write_json,
)

BASELINE = "handwritten"
CANDIDATE = "scopejax_fast"
FORWARD = "scopejax_forward"
FLOOR = "xla_floor"
FLOOR_KERNELS = "xla_floor_kernels"
FLOORS = (FLOOR, FLOOR_KERNELS)
LIBS = (CANDIDATE, FORWARD, BASELINE, "haiku", "flax_linen")
ALL_LIBS = (*LIBS, *FLOORS)
RESULTS_DIR = Path(__file__).resolve().parent / "results"

GOAL_COMPILE_RATIO = 0.1  # scopejax_fast / handwritten jit(init) time at L = 100
GOAL_COMPILE_RATIO_L = 100
GOAL_COMPILE_ABS_S = 5.0  # scopejax_fast jit(init) seconds at L = 1000
GOAL_COMPILE_ABS_L = 1000
GOAL_EAGER_RATIO = 1.5  # scopejax_fast / handwritten eager steady-state time per variable

InitFn = Callable[[jax.Array, jax.Array], Any]


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Spec:
    """One model: an MLP of ``layers`` dense layers, or the conv net."""

    kind: str  # "mlp" | "conv"
    layers: int  # dense layers (mlp) or conv layers (conv)
    width: int = 64  # mlp width / conv channels
    batch: int = 8
    image: int = 28  # conv input side
    head: int = 10  # conv head units

    @property
    def key(self) -> str:
        return f"mlp_L{self.layers}" if self.kind == "mlp" else "conv"

    def input_shape(self) -> tuple[int, ...]:
        if self.kind == "mlp":
            return (self.batch, self.width)
        return (self.batch, self.image, self.image, 1)

    def variable_shapes(self) -> list[tuple[int, ...]]:
        """(kernel, bias) shapes in layer order."""
        if self.kind == "mlp":
            return [
                s for _ in range(self.layers) for s in ((self.width, self.width), (self.width,))
            ]
        shapes: list[tuple[int, ...]] = []
        cin = 1
        for _ in range(self.layers):
            shapes += [(3, 3, cin, self.width), (self.width,)]
            cin = self.width
        shapes += [(self.image * self.image * self.width, self.head), (self.head,)]
        return shapes

    @property
    def n_vars(self) -> int:
        return len(self.variable_shapes())

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.variable_shapes())

    def describe(self) -> str:
        if self.kind == "mlp":
            return (
                f"MLP, {self.layers} dense {self.width}→{self.width} (tanh), input "
                f"[{self.batch}, {self.width}]"
            )
        return (
            f"conv net, {self.layers} conv 3×3×{self.width} (SAME, relu) + dense head "
            f"{self.head}, input [{self.batch}, {self.image}, {self.image}, 1]"
        )


def scopejax_net(spec: Spec, fast_init: bool) -> Any:
    """``sj.transform(model, fast_init=...)`` of the model (``sj.layers``)."""
    import scopejax as sj

    def model(x: jax.Array) -> jax.Array:
        if spec.kind == "mlp":
            for i in range(spec.layers):
                x = sj.layers.dense(x, spec.width, activation=jnp.tanh, name=f"dense_{i}")
            return x
        for i in range(spec.layers):
            x = sj.layers.conv2d(
                x, spec.width, 3, padding="same", activation=jax.nn.relu, name=f"conv_{i}"
            )
        return sj.layers.dense(sj.layers.flatten(x), spec.head, name="head")

    return sj.transform(model, fast_init=fast_init)


def build_scopejax(spec: Spec, fast_init: bool) -> InitFn:
    return scopejax_net(spec, fast_init).init


def build_handwritten(spec: Spec) -> InitFn:
    """Split keys, ``glorot_uniform()(k, shape)`` for kernels, zeros for biases."""
    glorot = jax.nn.initializers.glorot_uniform()

    def init(key: jax.Array, x: jax.Array) -> list[dict[str, jax.Array]]:
        shapes = spec.variable_shapes()
        keys = jax.random.split(key, len(shapes) // 2)
        return [
            {
                "kernel": glorot(keys[i], shapes[2 * i], x.dtype),
                "bias": jnp.zeros(shapes[2 * i + 1], x.dtype),
            }
            for i in range(len(shapes) // 2)
        ]

    return init


def build_haiku(spec: Spec) -> InitFn:
    import haiku as hk

    def model(x: jax.Array) -> jax.Array:
        w_init = hk.initializers.VarianceScaling(1.0, "fan_avg", "uniform")  # Glorot uniform
        if spec.kind == "mlp":
            for i in range(spec.layers):
                x = jnp.tanh(hk.Linear(spec.width, w_init=w_init, name=f"dense_{i}")(x))
            return x
        for i in range(spec.layers):
            conv = hk.Conv2D(spec.width, 3, padding="SAME", w_init=w_init, name=f"conv_{i}")
            x = jax.nn.relu(conv(x))
        return hk.Linear(spec.head, w_init=w_init, name="head")(hk.Flatten()(x))

    return hk.transform(model).init


def build_flax_linen(spec: Spec) -> InitFn:
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            k_init = nn.initializers.glorot_uniform()
            if spec.kind == "mlp":
                for i in range(spec.layers):
                    x = jnp.tanh(nn.Dense(spec.width, kernel_init=k_init, name=f"dense_{i}")(x))
                return x
            for _ in range(spec.layers):
                conv = nn.Conv(spec.width, (3, 3), padding="SAME", kernel_init=k_init)
                x = nn.relu(conv(x))
            x = x.reshape((x.shape[0], -1))
            return nn.Dense(spec.head, kernel_init=k_init, name="head")(x)

    return Net().init


def build_floor(spec: Spec, kernels_only: bool) -> Callable[[jax.Array], tuple[jax.Array, ...]]:
    """N distinct computed outputs (one XLA kernel each) of the model's variable shapes.

    With ``kernels_only`` only the kernels are computed; the biases are ``jnp.zeros``, which
    XLA emits as one broadcast and a copy per output (no kernel each).
    """
    shapes = spec.variable_shapes()

    def floor(x: jax.Array) -> tuple[jax.Array, ...]:
        v = x.reshape(-1)[0]  # depends on the input, so nothing is constant-folded
        return tuple(
            jnp.zeros(s, x.dtype) if kernels_only and i % 2 else jnp.broadcast_to(v + i, s)
            for i, s in enumerate(shapes)
        )

    return floor


def build(lib: str, spec: Spec) -> Callable[..., Any]:
    if lib == CANDIDATE:
        return build_scopejax(spec, fast_init=True)
    if lib == FORWARD:
        return build_scopejax(spec, fast_init=False)
    if lib == BASELINE:
        return build_handwritten(spec)
    if lib == "haiku":
        return build_haiku(spec)
    if lib == "flax_linen":
        return build_flax_linen(spec)
    if lib == FLOOR:
        return build_floor(spec, kernels_only=False)
    if lib == FLOOR_KERNELS:
        return build_floor(spec, kernels_only=True)
    raise ValueError(lib)


# --------------------------------------------------------------------------- measurement


def fresh(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object wrapping ``fn``, so ``jax.jit`` cannot reuse a cached trace."""
    return lambda *args: fn(*args)


_INSTR = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+ = (?:\([^=]*?\)|\S+) ([a-z][\w\-]*)\(")
_COMP = re.compile(r"^(ENTRY\s+)?%?[\w.\-]+ \(.*\{\s*$")


def entry_ops(text: str) -> dict[str, int]:
    """Opcode counts of the ENTRY computation of a compiled HLO module."""
    ops: collections.Counter[str] = collections.Counter()
    in_entry = False
    for line in text.splitlines():
        if _COMP.match(line):
            in_entry = line.startswith("ENTRY")
        elif in_entry:
            m = _INSTR.match(line)
            if m:
                ops[m.group(1)] += 1
    return dict(sorted(ops.items()))


def _error(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"[:300]


@dataclass
class Cell:
    """Raw samples (seconds) for one contender on one model."""

    lower_s: list[float] = field(default_factory=list)
    compile_s: list[float] = field(default_factory=list)
    first_s: float | None = None
    eager_s: list[float] = field(default_factory=list)
    eager_number: int = 1
    hlo: dict[str, int] | None = None
    skipped: str | None = None
    error: str | None = None

    @property
    def total_s(self) -> list[float]:
        return [a + b for a, b in zip(self.lower_s, self.compile_s, strict=False)]


def time_compile(
    fn: Callable[..., Any], args: tuple, want_hlo: bool, check: Any = None
) -> tuple[float, float, Any, bool | None]:
    """(trace+lower s, compile s, ENTRY opcode counts or None, equal) of a cold ``jit(fn)``.

    With ``check`` (a pytree), the compiled function is also run once and ``equal`` says
    whether its result equals ``check`` leaf for leaf, bit for bit.
    """
    jax.clear_caches()
    gc.collect()
    t0 = perf_counter()
    lowered = jax.jit(fresh(fn)).lower(*args)
    t1 = perf_counter()
    compiled = lowered.compile()
    t2 = perf_counter()
    hlo = entry_ops(compiled.as_text()) if want_hlo else None
    equal = None
    if check is not None:
        got = jax.tree.leaves(compiled(*args))
        equal = all(
            np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(got, jax.tree.leaves(check), strict=True)
        )
    del lowered, compiled
    return t1 - t0, t2 - t1, hlo, equal


def sanity(spec: Spec, inits: dict[str, Callable[..., Any]], key: jax.Array, x: jax.Array) -> dict:
    """Run every eager init once; check counts/shapes; fast and forward stores bit-identical."""
    facts: dict[str, Any] = {}
    want = sorted(spec.variable_shapes())
    for lib, init in inits.items():
        if lib in FLOORS:
            continue
        leaves = jax.tree.leaves(block(init(key, x)))
        shapes = sorted(tuple(leaf.shape) for leaf in leaves)
        if shapes != want:
            raise AssertionError(f"{lib} on {spec.key}: variable shapes {shapes} != {want}")
        facts[lib] = {"variables": len(leaves), "params": sum(leaf.size for leaf in leaves)}
    if CANDIDATE in inits and FORWARD in inits:
        fast, fwd = inits[CANDIDATE](key, x), inits[FORWARD](key, x)
        if fast.names() != fwd.names():
            raise AssertionError(f"{spec.key}: fast and forward init give different names")
        same = all(
            np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(jax.tree.leaves(fast), jax.tree.leaves(fwd), strict=True)
        )
        if not same:
            raise AssertionError(f"{spec.key}: fast and forward init are not bit-identical")
        abstract = scopejax_net(spec, fast_init=True).init_abstract(key, x)
        got = [(leaf.shape, leaf.dtype) for leaf in jax.tree.leaves(abstract)]
        if got != [(leaf.shape, leaf.dtype) for leaf in jax.tree.leaves(fast)]:
            raise AssertionError(f"{spec.key}: init_abstract disagrees with init")
        facts["fast_equals_forward"] = True
        facts["fast_store"] = fast
    return facts


def measure(
    spec: Spec,
    libs: Sequence[str],
    args: argparse.Namespace,
    estimates: dict[str, float],
) -> tuple[dict[str, Cell], dict[str, Any]]:
    """Compile and eager measurements of every contender on ``spec``."""
    key = jax.random.key(0)
    x = jnp.ones(spec.input_shape(), jnp.float32)
    cells = {lib: Cell() for lib in libs}
    inits: dict[str, Callable[..., Any]] = {}
    for lib in libs:
        try:
            inits[lib] = build(lib, spec)
        except Exception as exc:  # noqa: BLE001 - a broken contender must not stop the run
            cells[lib].error = _error(exc)
            print(f"  [{spec.key}] {lib}: FAILED to build: {cells[lib].error}", file=sys.stderr)
    for lib, est in estimates.items():
        if lib in cells and lib not in FLOORS and est > args.budget_s:
            cells[lib].skipped = f"skipped: >budget (est. {est:.0f} s > {args.budget_s:g} s)"
            print(f"  [{spec.key}] {lib}: {cells[lib].skipped}", file=sys.stderr)
    facts = sanity(spec, {k: v for k, v in inits.items() if cells[k].error is None}, key, x)
    fast_store = facts.pop("fast_store", None)

    def live(lib: str) -> bool:
        return lib in inits and cells[lib].error is None

    # jit(init): cold lower + compile, rotated order; slow ones are timed once
    for rep in range(args.compile_repeats):
        for lib in rotate([lib for lib in libs if live(lib) and not cells[lib].skipped], rep):
            cell = cells[lib]
            if rep > 0 and cell.total_s and cell.total_s[0] > args.max_compile_s:
                continue
            call_args = (x,) if lib in FLOORS else (key, x)
            try:
                check = fast_store if lib == CANDIDATE and rep == 0 else None
                lo, co, hlo, equal = time_compile(inits[lib], call_args, rep == 0, check)
            except Exception as exc:  # noqa: BLE001
                cell.error = _error(exc)
                if args.verbose:
                    traceback.print_exc()
                print(f"  [{spec.key}] {lib}: jit FAILED: {cell.error}", file=sys.stderr)
                continue
            cell.lower_s.append(lo)
            cell.compile_s.append(co)
            if hlo is not None:
                cell.hlo = hlo
            if equal is not None:
                facts["jit_fast_equals_eager_fast"] = equal
            if args.verbose:
                print(f"  [{spec.key}] {lib}: jit(init) {lo:.2f} + {co:.2f} s", file=sys.stderr)

    # eager init: first call after clearing JAX's caches, then steady state
    eager_libs = [lib for lib in libs if live(lib) and lib not in FLOORS]
    for lib in eager_libs:
        cell = cells[lib]
        try:
            jax.clear_caches()
            cell.first_s = time_once(lambda lib=lib: block(inits[lib](key, x)))
        except Exception as exc:  # noqa: BLE001
            cell.error = _error(exc)
            print(f"  [{spec.key}] {lib}: eager FAILED: {cell.error}", file=sys.stderr)
    for lib in eager_libs:  # warm again: the other contenders' first calls cleared the caches
        if cells[lib].error is None:
            block(inits[lib](key, x))
    for lib in eager_libs:
        if cells[lib].error is None:
            cells[lib].eager_number = autorange(
                lambda lib=lib: block(inits[lib](key, x)), args.min_sample_ms / 1e3
            )
    for rep in range(args.eager_repeats):
        for lib in rotate([lib for lib in eager_libs if cells[lib].error is None], rep):
            cell = cells[lib]
            cell.eager_s.append(
                time_once(lambda lib=lib: block(inits[lib](key, x)), cell.eager_number)
            )
    return cells, facts


# --------------------------------------------------------------------------- analysis


def _div(a: float, b: float) -> float:
    return a / b


def analyse(spec: Spec, cells: dict[str, Cell]) -> dict[str, Any]:
    base = cells.get(BASELINE)
    n = spec.n_vars
    out: dict[str, Any] = {}
    for lib, cell in cells.items():
        e: dict[str, Any] = {
            "lower_seconds": summarize(cell.lower_s),
            "compile_seconds": summarize(cell.compile_s),
            "jit_init_seconds": summarize(cell.total_s),
            "lower_samples_s": cell.lower_s,
            "compile_samples_s": cell.compile_s,
            "entry_ops": cell.hlo,
            "eager_first_call_s": cell.first_s,
            "eager_seconds": summarize(cell.eager_s),
            "eager_samples_s": cell.eager_s,
            "eager_calls_per_sample": cell.eager_number,
        }
        if cell.total_s:
            e["jit_init_ms_per_var"] = summarize(cell.total_s)["median"] / n * 1e3
        if cell.eager_s:
            e["eager_us_per_var"] = summarize(cell.eager_s)["median"] / n * 1e6
        if base is not None and base.total_s and cell.total_s:
            # paired per repetition when both were repeated, else ratio of the (single) samples
            k = min(len(base.total_s), len(cell.total_s))
            e["jit_init_ratio_vs_baseline"] = summarize(
                paired(cell.total_s[:k], base.total_s[:k], _div)
            )
        if base is not None and base.eager_s and cell.eager_s:
            e["eager_ratio_vs_baseline"] = summarize(paired(cell.eager_s, base.eager_s, _div))
        if cell.skipped:
            e["skipped"] = cell.skipped
        if cell.error:
            e["error"] = cell.error
        out[lib] = e
    return out


def _median(entry: dict[str, Any], metric: str) -> float | None:
    s = entry.get(metric) or {}
    return s.get("median") if s.get("n") else None


def goal_check(results: dict[str, dict[str, Any]], specs: Sequence[Spec]) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    by_l = {s.layers: s.key for s in specs if s.kind == "mlp"}

    key = by_l.get(GOAL_COMPILE_RATIO_L)
    name = f"jit_ratio_L{GOAL_COMPILE_RATIO_L}"
    if key is None:
        checks[name] = {"status": "n/a", "reason": f"L={GOAL_COMPILE_RATIO_L} not measured"}
    else:
        r = results[key].get(CANDIDATE, {}).get("jit_init_ratio_vs_baseline", {}).get("median")
        checks[name] = (
            {"status": "n/a", "reason": "no data"}
            if r is None
            else {
                "status": "pass" if r <= GOAL_COMPILE_RATIO else "FAIL",
                "ratio": r,
                "bound": GOAL_COMPILE_RATIO,
            }
        )

    key = by_l.get(GOAL_COMPILE_ABS_L)
    name = f"jit_seconds_L{GOAL_COMPILE_ABS_L}"
    if key is None:
        checks[name] = {"status": "n/a", "reason": f"L={GOAL_COMPILE_ABS_L} not measured"}
    else:
        t = _median(results[key].get(CANDIDATE, {}), "jit_init_seconds")
        checks[name] = (
            {"status": "n/a", "reason": "no data"}
            if t is None
            else {
                "status": "pass" if t < GOAL_COMPILE_ABS_S else "FAIL",
                "seconds": t,
                "bound_s": GOAL_COMPILE_ABS_S,
            }
        )

    for spec in specs:
        r = results[spec.key].get(CANDIDATE, {}).get("eager_ratio_vs_baseline", {}).get("median")
        checks[f"eager_ratio_{spec.key}"] = (
            {"status": "n/a", "reason": "no data"}
            if r is None
            else {
                "status": "pass" if r <= GOAL_EAGER_RATIO else "FAIL",
                "ratio": r,
                "bound": GOAL_EAGER_RATIO,
            }
        )
    return checks


# --------------------------------------------------------------------------- reporting


def _s(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return fmt(x, 3 if x < 0.1 else 2 if x < 10 else 1)


def _x(r: float | None) -> str:
    return "–" if r is None else fmt(r, 3 if r < 0.1 else 2) + "×"


def render(specs: Sequence[Spec], results: dict[str, dict[str, Any]], goals: dict) -> str:
    jit_rows, eager_rows, failures = [], [], []
    for spec in specs:
        res = results[spec.key]
        label = spec.key.replace("_", " ")
        for lib, e in res.items():
            if e.get("error"):
                failures.append(f"- {spec.key} / {lib}: {e['error']}")
            if e.get("skipped"):
                jit_rows.append(
                    [f"{label}", lib, str(spec.n_vars), e["skipped"], "", "", "", "", "", ""]
                )
            elif _median(e, "jit_init_seconds") is not None:
                ops = e.get("entry_ops") or {}
                reps = e["jit_init_seconds"]["n"]
                jit_rows.append(
                    [
                        label,
                        lib,
                        str(spec.n_vars),
                        _s(_median(e, "lower_seconds")),
                        _s(_median(e, "compile_seconds")),
                        _s(_median(e, "jit_init_seconds")) + ("" if reps > 1 else "¹"),
                        fmt(e.get("jit_init_ms_per_var"), 1),
                        _x(e.get("jit_init_ratio_vs_baseline", {}).get("median")),
                        str(ops.get("fusion", 0)),
                        str(ops.get("copy", 0)),
                    ]
                )
            if lib not in FLOORS and _median(e, "eager_seconds") is not None:
                eager_rows.append(
                    [
                        label,
                        lib,
                        str(spec.n_vars),
                        _s(e.get("eager_first_call_s")),
                        fmt(_median(e, "eager_seconds") * 1e3, 2),
                        fmt(e.get("eager_us_per_var"), 1),
                        _x(e.get("eager_ratio_vs_baseline", {}).get("median")),
                    ]
                )
    parts = [
        "### jit(init): cold `jax.jit(init).lower(key, x).compile()`",
        "",
        markdown_table(
            [
                "model",
                "library",
                "vars",
                "trace+lower s",
                "compile s",
                "total s",
                "ms/var",
                "× handwritten",
                "fusions",
                "copies",
            ],
            jit_rows,
        ),
        "",
        "¹ one sample (`--compile-repeats 1`, or the first compile took longer than "
        "`--max-compile-s`, so was not repeated). "
        "`fusions` / `copies`: instructions in the compiled ENTRY computation (XLA:CPU compiles "
        "one kernel per fusion; a copy needs none). `xla_floor`: N outputs "
        "`broadcast(x[0, 0] + i)` of the model's variable shapes; `xla_floor_kernels`: the "
        "same for the kernels, `jnp.zeros` for the biases. `skipped`: the jit(init) time "
        "extrapolated from the previous L exceeds `--budget-s` (the floors are never skipped).",
        "",
        "### eager init (no jit)",
        "",
        markdown_table(
            ["model", "library", "vars", "first call s", "steady ms", "µs/var", "× handwritten"],
            eager_rows,
        ),
        "",
        "`first call`: after `jax.clear_caches()`, so it includes compiling each dispatched op. "
        "`steady`: median over interleaved repetitions; `× handwritten`: median of "
        "per-repetition ratios.",
        "",
        "### goals (scopejax_fast)",
        "",
    ]
    for name, g in goals.items():
        if g["status"] == "n/a":
            parts.append(f"- {name}: n/a ({g.get('reason', '')})")
        elif "ratio" in g:
            parts.append(f"- {name}: **{g['status']}** ({_x(g['ratio'])} vs ≤ {g['bound']}×)")
        else:
            parts.append(
                f"- {name}: **{g['status']}** ({_s(g['seconds'])} s vs < {g['bound_s']} s)"
            )
    if failures:
        parts += ["", "Failures:", *failures]
    return "\n".join(parts)


# --------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="L=10 + tiny conv, 1 repeat (CI smoke)")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="MLP L (10 100 1000)")
    p.add_argument("--no-conv", action="store_true", help="leave out the conv net")
    p.add_argument("--libs", nargs="+", choices=ALL_LIBS, default=list(ALL_LIBS))
    p.add_argument("--compile-repeats", type=int, default=None, help="cold compiles (3)")
    p.add_argument("--eager-repeats", type=int, default=None, help="eager repetitions (7)")
    p.add_argument("--min-sample-ms", type=float, default=50.0, help="eager calls per sample")
    p.add_argument(
        "--max-compile-s", type=float, default=40.0, help="slower jit(init)s are timed once"
    )
    p.add_argument(
        "--budget-s",
        type=float,
        default=120.0,
        help="skip a contender whose jit(init) extrapolates (linearly in L) beyond this",
    )
    p.add_argument(
        "--growth-exponent",
        type=float,
        default=1.4,
        help="the skip rule's estimate is t(L_prev) * (L / L_prev) ** this (1 = linear)",
    )
    p.add_argument("--out", type=Path, default=None, help="JSON path (.md written beside it)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any contender failed")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    args.sizes = sorted(args.sizes or ([10] if args.quick else [10, 100, 1000]))
    if args.compile_repeats is None:
        args.compile_repeats = 1 if args.quick else 3
    if args.eager_repeats is None:
        args.eager_repeats = 1 if args.quick else 7
    if args.quick:
        args.min_sample_ms = min(args.min_sample_ms, 5.0)
    for lib in (BASELINE, CANDIDATE):
        if lib not in args.libs:
            args.libs.insert(0, lib)
    args.libs = [lib for lib in ALL_LIBS if lib in args.libs]
    return args


QUICK_XLA_FLAG = "--xla_backend_optimization_level=0"


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print markdown, write JSON + markdown. Exit 1 if baseline/candidate/sanity broke."""
    args = parse_args(argv)
    if args.quick:
        # The smoke run is compile-bound; skipping LLVM's optimisations makes it faster and
        # leaves the HLO unchanged. No effect if the backend is already initialised.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + QUICK_XLA_FLAG).strip()
    env = describe_environment(("jax", "jaxlib", "numpy", "scopejax", "haiku", "flax"))
    env["git"] = git_state(Path(__file__).resolve().parent.parent, "scopejax")
    specs = [Spec("mlp", n) for n in args.sizes]
    if not args.no_conv:
        specs.append(
            Spec("conv", 2, width=8, batch=2, image=8) if args.quick else Spec("conv", 6, 32)
        )
    print(
        f"# init_compile on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} cores), "
        f"jax {env['versions']['jax']}, models={[s.key for s in specs]}, "
        f"compile repeats={args.compile_repeats}, eager repeats={args.eager_repeats}",
        file=sys.stderr,
    )
    start = perf_counter()
    results: dict[str, dict[str, Any]] = {}
    facts: dict[str, Any] = {}
    loads: dict[str, Any] = {}  # 1/5/15-min load averages: the machine is shared
    sanity_errors: list[str] = []
    prev: tuple[int, dict[str, Any]] | None = None
    for spec in specs:
        estimates: dict[str, float] = {}
        if spec.kind == "mlp" and prev is not None:
            n_prev, res_prev = prev
            for lib, e in res_prev.items():
                t = _median(e, "jit_init_seconds")
                if t is not None:
                    estimates[lib] = t * (spec.layers / n_prev) ** args.growth_exponent
                elif e.get("skipped"):
                    estimates[lib] = math.inf
        t0 = perf_counter()
        load_before = os.getloadavg()
        try:
            cells, facts[spec.key] = measure(spec, args.libs, args, estimates)
        except AssertionError as exc:
            sanity_errors.append(str(exc))
            print(f"  [{spec.key}] SANITY FAILED: {exc}", file=sys.stderr)
            continue
        results[spec.key] = analyse(spec, cells)
        loads[spec.key] = {
            "before": load_before,
            "after": os.getloadavg(),
            "seconds": perf_counter() - t0,
        }
        if spec.kind == "mlp":
            prev = (spec.layers, results[spec.key])
        print(f"  [{spec.key}] done in {perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    done = [s for s in specs if s.key in results]
    goals = goal_check(results, done)
    header = "\n".join(
        f"- `{s.key}`: {s.describe()}; {s.n_vars} variables, {s.n_params:,} params" for s in done
    )
    if loads:
        first, last = loads[done[0].key]["before"], loads[done[-1].key]["after"]
        header += (
            f"\n- load average (1/5/15 min; {env['cpu_count']} cores, shared machine): "
            f"{'/'.join(f'{v:.1f}' for v in first)} at the start, "
            f"{'/'.join(f'{v:.1f}' for v in last)} at the end"
        )
    table = header + "\n\n" + render(done, results, goals)
    if sanity_errors:
        table += "\n\nSanity failures:\n" + "\n".join(f"- {m}" for m in sanity_errors)
    print(table)
    payload: dict[str, Any] = {
        "benchmark": "init_compile",
        "environment": env,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "models": {
            s.key: {"description": s.describe(), "variables": s.n_vars, "params": s.n_params}
            for s in done
        },
        "sanity": facts,
        "load_average": loads,
        "results": results,
        "goal": {
            "rule": (
                f"scopejax_fast jit(init) <= {GOAL_COMPILE_RATIO} x handwritten at "
                f"L={GOAL_COMPILE_RATIO_L} and < {GOAL_COMPILE_ABS_S} s at L={GOAL_COMPILE_ABS_L}; "
                f"eager init per variable <= {GOAL_EAGER_RATIO} x handwritten"
            ),
            "checks": goals,
        },
        "wall_seconds": perf_counter() - start,
        "markdown": table,
    }
    suffix = "_quick" if args.quick else ""
    out = args.out or RESULTS_DIR / f"init_compile_{device_kind()}{suffix}.json"
    write_json(out, payload)
    md = out.with_suffix(".md")
    md.write_text(
        f"# init_compile on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} "
        f"cores), jax {env['versions']['jax']}, {env['date']}\n\n{table}\n"
    )
    print(f"\nwrote {out} and {md} ({perf_counter() - start:.0f} s)", file=sys.stderr)
    watched = args.libs if args.strict else [BASELINE, CANDIDATE]
    broken = [
        (k, lib) for k, r in results.items() for lib in watched if r.get(lib, {}).get("error")
    ]
    return 1 if broken or sanity_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
