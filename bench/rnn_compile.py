"""rnn_compile: compile time and step time of loops over time steps and over layers.

Two parts, in one process:

* ``lstm``: an LSTM (``--hidden`` 128, ``--batch`` 16, ``--features`` 32) over T time steps
  (``--steps`` 25 100 400), written six ways: scopejax's TF1 pattern (one cell called T
  times in a Python loop under one variable scope, ``scope.reuse_variables()`` after step 0)
  and ``sj.scan``; Haiku's ``hk.LSTM`` through ``hk.static_unroll`` (a Python loop) and
  ``hk.dynamic_unroll`` (``lax.scan``); Flax linen's ``nn.OptimizedLSTMCell`` called in a
  Python loop and through ``nn.RNN`` (``nn.scan``).
* ``stack``: ``--layers`` (48) identical residual blocks ``h + Dense(tanh(Dense(h)))`` of
  width ``--width`` (256) on a ``[--stack-batch, width]`` input: ``sj.layer_stack`` against
  a Python loop over ``block_{i}`` scopes, with ``hk.layer_stack`` and linen's ``nn.scan``
  over layers for reference.

Metrics, for the forward pass (``fwd``: ``apply(params, x)``) and for the gradient
(``grad``: ``value_and_grad`` of the sum of the outputs): ``trace``, ``lower`` and
``compile`` seconds of a fresh ``jax.jit`` of a fresh function object
(``jit(f).trace(...)``, ``.lower()``, ``.compile()``), and the steady-state time of the
compiled executable (each call blocked; a sample is as many calls as fill
``--min-sample-ms``, 100 ms), plus the size of the compiled program (HLO instructions) and
XLA's temporary buffers (``memory_analysis().temp_size_in_bytes``). Each repetition first
times every contender's step, then every contender's fresh compile, each phase in a rotated
order; figures are medians, ratios are taken per repetition (paired) then summarised.

The unrolled forms compile in time that grows with T (faster than linearly for the
gradient). A (form, T, pass) whose trace + lower + compile, extrapolated linearly from the
previous T, exceeds ``--max-compile-s`` (90 s) is skipped with a note. Each row's first
compile is a warm-up; up to ``--compile-repeats`` (= ``--repeats``, 7) fresh compiles are
then timed, fewer if they would take over ``--compile-budget-s`` (20 s): a row whose
warm-up took over 10 s keeps the warm-up as its one sample (marked ``*``).

Sanity checks (always run, and the exit status depends on them): ``sj.scan`` and the unrolled
loop create the same variable names and give the same outputs and gradients on the same
store; ``sj.unstack_layers`` turns the layer stack's store into the Python loop's names and
values, and both models then give the same outputs; the Haiku and Flax loop / scan pairs give
the same outputs on the same params.

Goals: ``sj.scan``'s trace + lower + compile at the largest T ≤ 1.3 × at the smallest T;
``sj.scan``'s trace + lower + compile no slower than Haiku's and Flax's scanned forms at
each T (paired median ratio ≤ 1.05: identical programs differ by up to ~5 % here).

Usage::

    .venv/bin/python bench/rnn_compile.py            # full run (~13 min on 2 CPU cores)
    .venv/bin/python bench/rnn_compile.py --quick    # CI smoke run (~30 s): T = 5, 10,
                                                     # hidden 16, 4 blocks, 1 repeat
    .venv/bin/python bench/rnn_compile.py --parts lstm --lstm-libs sj_scan haiku_scan \
        --steps 400 --repeats 15 --out /tmp/scans.json   # one comparison, more samples
"""

from __future__ import annotations

import argparse
import math
import os
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

import scopejax as sj  # noqa: E402
from bench._common import (  # noqa: E402
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

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MODES = ("fwd", "grad")
LSTM_LIBS = (
    "sj_unrolled",
    "sj_scan",
    "haiku_unrolled",
    "haiku_scan",
    "flax_unrolled",
    "flax_scan",
)
STACK_LIBS = ("sj_loop", "sj_layer_stack", "haiku_layer_stack", "flax_scan")
UNROLLED = ("sj_unrolled", "haiku_unrolled", "flax_unrolled", "sj_loop")
SCAN_RATIO_GOAL = 1.3  # sj.scan total compile at the largest T / at the smallest T
PEER_GOAL = 1.05  # sj.scan total compile / each peer's scanned form (paired median): "no
# slower", within the ~5 % that paired compile timings of one program vary by on this machine


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class LstmSpec:
    hidden: int
    batch: int
    features: int

    def inputs(self, steps: int) -> jax.Array:
        return jax.random.normal(jax.random.key(1), (steps, self.batch, self.features))

    def describe(self, steps: int) -> str:
        return (
            f"LSTM hidden {self.hidden}, batch {self.batch}, {self.features} input features, "
            f"T = {steps} (time-major inputs [{steps}, {self.batch}, {self.features}])"
        )


@dataclass(frozen=True)
class StackSpec:
    layers: int
    width: int
    batch: int

    def inputs(self) -> jax.Array:
        return jax.random.normal(jax.random.key(1), (self.batch, self.width))

    def describe(self) -> str:
        return (
            f"{self.layers} residual blocks h + Dense({self.width})(tanh(Dense({self.width})(h))), "
            f"input [{self.batch}, {self.width}]"
        )


@dataclass
class Model:
    """A pure ``forward(params, x)`` and its params (any pytree)."""

    params: Any
    forward: Callable[[Any, jax.Array], jax.Array]
    note: str = ""

    def fn(self, mode: str) -> Callable[[Any, jax.Array], Any]:
        if mode == "fwd":
            return self.forward
        return jax.value_and_grad(lambda p, x: jnp.sum(self.forward(p, x)))


# scopejax ------------------------------------------------------------------------


def sj_lstm_unrolled(hidden: int) -> Callable[[jax.Array], jax.Array]:
    """TF1's pattern: one cell, a Python loop, ``reuse_variables()`` after step 0."""

    def rnn(xs: jax.Array) -> jax.Array:
        with sj.variable_scope("rnn") as scope:
            cell = sj.nn.LSTMCell(hidden)
            state = cell.zero_state(xs.shape[1], xs.dtype)
            outs = []
            for t in range(xs.shape[0]):
                if t > 0:
                    scope.reuse_variables()
                out, state = cell(xs[t], state)
                outs.append(out)
        return jnp.stack(outs)

    return rnn


def sj_lstm_scan(hidden: int) -> Callable[[jax.Array], jax.Array]:
    """The same model with ``sj.scan``: same variable names."""

    def rnn(xs: jax.Array) -> jax.Array:
        with sj.variable_scope("rnn"):
            cell = sj.nn.LSTMCell(hidden)
            state = cell.zero_state(xs.shape[1], xs.dtype)

            def step(state: Any, x: jax.Array) -> tuple[Any, jax.Array]:
                out, state = cell(x, state)
                return state, out

            _, ys = sj.scan(step, state, xs)
        return ys

    return rnn


def _sj_model(fn: Callable[[jax.Array], jax.Array], x: jax.Array, note: str = "") -> Model:
    net = sj.transform(fn)
    store = block(net.init(jax.random.key(0), x))
    return Model(store, net.apply, note)


def build_sj_unrolled(spec: LstmSpec, x: jax.Array) -> Model:
    return _sj_model(sj_lstm_unrolled(spec.hidden), x, "Python loop, reuse_variables()")


def build_sj_scan(spec: LstmSpec, x: jax.Array) -> Model:
    return _sj_model(sj_lstm_scan(spec.hidden), x, "sj.scan")


# Haiku ---------------------------------------------------------------------------


def _haiku(spec: LstmSpec, x: jax.Array, scanned: bool) -> Model:
    import haiku as hk

    def rnn(xs: jax.Array) -> jax.Array:
        core = hk.LSTM(spec.hidden)
        state = core.initial_state(xs.shape[1])
        unroll = hk.dynamic_unroll if scanned else hk.static_unroll
        ys, _ = unroll(core, xs, state, time_major=True)
        return ys

    net = hk.without_apply_rng(hk.transform(rnn))
    params = block(net.init(jax.random.key(0), x))
    return Model(params, net.apply, "hk.dynamic_unroll" if scanned else "hk.static_unroll")


def build_haiku_unrolled(spec: LstmSpec, x: jax.Array) -> Model:
    return _haiku(spec, x, scanned=False)


def build_haiku_scan(spec: LstmSpec, x: jax.Array) -> Model:
    return _haiku(spec, x, scanned=True)


# Flax linen ----------------------------------------------------------------------


def _flax(spec: LstmSpec, x: jax.Array, scanned: bool) -> Model:
    import flax.linen as nn

    hidden = spec.hidden

    class Unrolled(nn.Module):
        @nn.compact
        def __call__(self, xs: jax.Array) -> jax.Array:
            cell = nn.OptimizedLSTMCell(hidden, name="cell")
            carry = cell.initialize_carry(jax.random.key(0), xs[0].shape)
            outs = []
            for t in range(xs.shape[0]):
                carry, y = cell(carry, xs[t])
                outs.append(y)
            return jnp.stack(outs)

    class Scanned(nn.Module):
        @nn.compact
        def __call__(self, xs: jax.Array) -> jax.Array:
            cell = nn.OptimizedLSTMCell(hidden, name="cell")
            return nn.RNN(cell, time_major=True, name="rnn")(xs)

    module = Scanned() if scanned else Unrolled()
    params = block(jax.jit(module.init)(jax.random.key(0), x))
    return Model(
        params, module.apply, "nn.RNN (nn.scan)" if scanned else "Python loop over the cell"
    )


def build_flax_unrolled(spec: LstmSpec, x: jax.Array) -> Model:
    return _flax(spec, x, scanned=False)


def build_flax_scan(spec: LstmSpec, x: jax.Array) -> Model:
    return _flax(spec, x, scanned=True)


LSTM_BUILDERS: dict[str, Callable[[LstmSpec, jax.Array], Model]] = {
    "sj_unrolled": build_sj_unrolled,
    "sj_scan": build_sj_scan,
    "haiku_unrolled": build_haiku_unrolled,
    "haiku_scan": build_haiku_scan,
    "flax_unrolled": build_flax_unrolled,
    "flax_scan": build_flax_scan,
}


# layer stacks --------------------------------------------------------------------


def sj_block(h: jax.Array) -> jax.Array:
    width = h.shape[-1]
    return h + sj.nn.Dense(width)(jnp.tanh(sj.nn.Dense(width)(h)))


def sj_stack_loop(layers: int) -> Callable[[jax.Array], jax.Array]:
    def model(x: jax.Array) -> jax.Array:
        for i in range(layers):
            with sj.variable_scope(f"block_{i}"):
                x = sj_block(x)
        return x

    return model


def sj_stack_scan(layers: int) -> Callable[[jax.Array], jax.Array]:
    def model(x: jax.Array) -> jax.Array:
        with sj.variable_scope("blocks"):
            return sj.layer_stack(layers, sj_block)(x)

    return model


def build_sj_loop(spec: StackSpec, x: jax.Array) -> Model:
    return _sj_model(sj_stack_loop(spec.layers), x, "Python loop over block_{i} scopes")


def build_sj_layer_stack(spec: StackSpec, x: jax.Array) -> Model:
    return _sj_model(sj_stack_scan(spec.layers), x, "sj.layer_stack")


def build_haiku_layer_stack(spec: StackSpec, x: jax.Array) -> Model:
    import haiku as hk

    def model(x: jax.Array) -> jax.Array:
        def blk(h: jax.Array) -> jax.Array:
            return h + hk.Linear(spec.width)(jnp.tanh(hk.Linear(spec.width)(h)))

        return hk.layer_stack(spec.layers)(blk)(x)

    net = hk.without_apply_rng(hk.transform(model))
    params = block(net.init(jax.random.key(0), x))
    return Model(params, net.apply, "hk.layer_stack")


def build_flax_stack_scan(spec: StackSpec, x: jax.Array) -> Model:
    import flax.linen as nn

    width = spec.width

    class Block(nn.Module):
        @nn.compact
        def __call__(self, h: jax.Array, _: Any) -> tuple[jax.Array, None]:
            return h + nn.Dense(width)(jnp.tanh(nn.Dense(width)(h))), None

    class Stack(nn.Module):
        @nn.compact
        def __call__(self, h: jax.Array) -> jax.Array:
            scanned = nn.scan(
                Block,
                variable_axes={"params": 0},
                split_rngs={"params": True},
                length=spec.layers,
            )
            h, _ = scanned(name="blocks")(h, None)
            return h

    module = Stack()
    params = block(jax.jit(module.init)(jax.random.key(0), x))
    return Model(params, module.apply, "nn.scan over Block")


STACK_BUILDERS: dict[str, Callable[[StackSpec, jax.Array], Model]] = {
    "sj_loop": build_sj_loop,
    "sj_layer_stack": build_sj_layer_stack,
    "haiku_layer_stack": build_haiku_layer_stack,
    "flax_scan": build_flax_stack_scan,
}


# --------------------------------------------------------------------------- sanity


def _close(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(
        np.allclose(np.asarray(u), np.asarray(v), rtol=rtol, atol=atol)
        for u, v in zip(la, lb, strict=True)
    )


def sanity_lstm(spec: LstmSpec, steps: int, models: dict[str, Model]) -> dict[str, Any]:
    """``sj.scan`` vs the unrolled loop: names, outputs and gradients on the same store;
    Haiku / Flax loop vs scan: outputs on the same params."""
    x = spec.inputs(steps)
    checks: dict[str, Any] = {}
    unr, scn = models.get("sj_unrolled"), models.get("sj_scan")
    if unr is not None and scn is not None:
        names_u, names_s = unr.params.names(), scn.params.names()
        checks["sj_same_names"] = names_u == names_s
        checks["sj_names"] = names_u
        checks["sj_same_init"] = checks["sj_same_names"] and _close(unr.params, scn.params, 0, 0)
        store = unr.params
        y_u, y_s = unr.forward(store, x), scn.forward(store, x)
        checks["sj_outputs_allclose"] = _close(y_u, y_s)
        checks["sj_outputs_max_abs_diff"] = float(jnp.max(jnp.abs(y_u - y_s)))
        g_u = jax.grad(lambda p: jnp.sum(unr.forward(p, x)))(store)
        g_s = jax.grad(lambda p: jnp.sum(scn.forward(p, x)))(store)
        checks["sj_grads_allclose"] = _close(g_u, g_s, 1e-4, 1e-4)
    for lib in ("haiku", "flax"):
        a, b = models.get(f"{lib}_unrolled"), models.get(f"{lib}_scan")
        if a is None or b is None:
            continue
        same = jax.tree.structure(a.params) == jax.tree.structure(b.params)
        ok = False
        if same:
            ok = _close(a.forward(a.params, x), b.forward(a.params, x))
        elif lib == "flax":  # nn.RNN nests the cell one level down: {"rnn": {"cell": ...}}
            inner = {"params": {"rnn": a.params["params"]}}
            same = jax.tree.structure(inner) == jax.tree.structure(b.params)
            ok = same and _close(a.forward(a.params, x), b.forward(inner, x))
        checks[f"{lib}_loop_equals_scan"] = bool(ok)
    return checks


def sanity_stack(spec: StackSpec, models: dict[str, Model]) -> dict[str, Any]:
    """``unstack_layers(layer_stack store)`` has the loop's names; both give the same output."""
    x = spec.inputs()
    checks: dict[str, Any] = {}
    loop, stack = models.get("sj_loop"), models.get("sj_layer_stack")
    if loop is None or stack is None:
        return checks
    unstacked = sj.unstack_layers(stack.params, "blocks/", "block_{}/")
    checks["unstacked_names_equal_loop"] = unstacked.names() == loop.params.names()
    checks["stack_variables"] = len(stack.params.names())
    checks["loop_variables"] = len(loop.params.names())
    if checks["unstacked_names_equal_loop"]:
        y_stack = stack.forward(stack.params, x)
        y_loop = loop.forward(unstacked, x)
        checks["outputs_allclose"] = _close(y_stack, y_loop, 1e-4, 1e-4)
        restacked = sj.stack_layers(unstacked, "block_{}/", "blocks/")
        checks["stack_unstack_roundtrip"] = restacked.names() == stack.params.names() and _close(
            restacked, stack.params, 0, 0
        )
    return checks


def checks_pass(checks: dict[str, Any]) -> bool:
    return all(v for k, v in checks.items() if isinstance(v, bool))


# --------------------------------------------------------------------------- measuring


def fresh(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object wrapping ``fn``, so ``jax.jit`` cannot reuse a cached trace."""
    return lambda *args: fn(*args)


@dataclass
class Cell:
    """One (contender, pass) at one size."""

    trace_s: list[float] = field(default_factory=list)
    lower_s: list[float] = field(default_factory=list)
    compile_s: list[float] = field(default_factory=list)
    step_s: list[float] = field(default_factory=list)
    first: dict[str, float] = field(default_factory=dict)  # the warm-up compile
    number: int = 1
    single: bool = False  # the warm-up compile is the only compile sample
    samples: int = 0  # fresh compiles timed in the repetitions
    skipped: str | None = None
    error: str | None = None
    hlo_instructions: int | None = None
    temp_bytes: int | None = None
    executable: Any = None

    def totals(self) -> list[float]:
        return [
            a + b + c for a, b, c in zip(self.trace_s, self.lower_s, self.compile_s, strict=True)
        ]


def aot(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[dict[str, float], Any]:
    """Trace, lower and compile a fresh ``jax.jit`` of ``fn``; the three times and the
    executable."""
    jitted = jax.jit(fresh(fn))
    t0 = perf_counter()
    traced = jitted.trace(*args)
    t1 = perf_counter()
    lowered = traced.lower()
    t2 = perf_counter()
    compiled = lowered.compile()
    t3 = perf_counter()
    return {"trace": t1 - t0, "lower": t2 - t1, "compile": t3 - t2}, compiled


def compile_samples(first_total: float, args: argparse.Namespace) -> int:
    """Fresh compiles to time for a cell whose warm-up compile took ``first_total`` seconds:
    ``--compile-repeats``, fewer if they would exceed ``--compile-budget-s``, at least 1."""
    if args.compile_repeats <= 0:
        return 1
    fit = int(args.compile_budget_s // max(first_total, 1e-9))
    return max(1, min(args.compile_repeats, args.repeats, fit))


def _record(cell: Cell, times: dict[str, float]) -> None:
    cell.trace_s.append(times["trace"])
    cell.lower_s.append(times["lower"])
    cell.compile_s.append(times["compile"])


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def _temp_bytes(compiled: Any) -> int | None:
    """XLA's temporary buffer bytes for one call (activations, residuals, accumulators)."""
    try:
        stats = compiled.memory_analysis()
        return None if stats is None else int(stats.temp_size_in_bytes)
    except Exception:  # noqa: BLE001 - informational only
        return None


def _hlo_instructions(compiled: Any) -> int | None:
    try:
        text = compiled.as_text()
    except Exception:  # noqa: BLE001 - informational only
        return None
    return sum(
        1 for line in text.splitlines() if " = " in line and not line.startswith("HloModule")
    )


def measure(
    label: str,
    models: dict[str, Model],
    x: jax.Array,
    args: argparse.Namespace,
    predicted: dict[tuple[str, str], float],
) -> dict[tuple[str, str], Cell]:
    """Warm up (first compile + calls), then interleaved repetitions of compile and step."""
    cells: dict[tuple[str, str], Cell] = {}
    max_s = args.max_compile_s
    for lib, model in models.items():
        for mode in MODES:
            cell = cells[(lib, mode)] = Cell()
            guess = predicted.get((lib, mode))
            if guess is not None and guess > max_s:
                cell.skipped = (
                    f"skipped: trace + lower + compile extrapolates to {guess:.0f} s "
                    f"> {max_s:.0f} s"
                )
                print(f"  [{label}] {lib} {mode}: {cell.skipped}", file=sys.stderr)
                continue
            try:
                times, compiled = aot(model.fn(mode), (model.params, x))
                cell.first = times
                cell.executable = compiled
                cell.hlo_instructions = _hlo_instructions(compiled)
                cell.temp_bytes = _temp_bytes(compiled)
                out = block(compiled(model.params, x))
                leaves = jax.tree.leaves(out)
                if not all(bool(jnp.all(jnp.isfinite(v))) for v in leaves):
                    raise FloatingPointError("non-finite output")
                one = time_once(lambda c=compiled, m=model: block(c(m.params, x)))
                cell.number = max(
                    1, min(1000, math.ceil(args.min_sample_ms / 1e3 / max(one, 1e-9)))
                )
                total = sum(times.values())
                cell.samples = compile_samples(total, args)
                if cell.samples <= 1:  # the warm-up compile is the one sample
                    cell.single = True
                    _record(cell, times)
                print(
                    f"  [{label}] {lib} {mode}: first trace+lower+compile {total:.2f} s, "
                    f"step {one * 1e3:.2f} ms",
                    file=sys.stderr,
                    flush=True,
                )
            except Exception as exc:  # noqa: BLE001 - a broken contender must not stop the run
                cell.error = _error(exc)
                if args.verbose:
                    traceback.print_exc()
                print(f"  [{label}] {lib} {mode}: FAILED: {cell.error}", file=sys.stderr)
    keys = [k for k, c in cells.items() if c.executable is not None]
    for rep in range(args.repeats):
        # Each repetition: every contender's step, then every contender's fresh compile, each
        # phase in a rotated order (compiles back to back, as paired as the machine allows).
        for phase in ("step", "compile"):
            for key in rotate(keys, rep):
                cell, model = cells[key], models[key[0]]
                if cell.error is not None:
                    continue
                try:
                    if phase == "step":
                        cell.step_s.append(
                            time_once(
                                lambda c=cell, m=model: block(c.executable(m.params, x)),
                                cell.number,
                            )
                        )
                    elif not cell.single and rep < cell.samples:
                        times, compiled = aot(model.fn(key[1]), (model.params, x))
                        _record(cell, times)
                        del compiled
                except Exception as exc:  # noqa: BLE001
                    cell.error = _error(exc)
                    if args.verbose:
                        traceback.print_exc()
                    print(f"  [{label}] {key}: FAILED in rep {rep}: {cell.error}", file=sys.stderr)
        if args.verbose:
            print(f"  [{label}] repetition {rep + 1}/{args.repeats}", file=sys.stderr)
    for cell in cells.values():
        cell.executable = None  # free the executables before the next size
    return cells


def _div(a: float, b: float) -> float:
    return a / b


def build_models(
    label: str,
    builders: dict[str, Callable[[Any, jax.Array], Model]],
    libs: Sequence[str],
    spec: Any,
    x: jax.Array,
    verbose: bool,
) -> tuple[dict[str, Model], dict[str, str]]:
    """The contenders that build; the errors of those that do not (a broken peer is reported,
    it does not stop the run)."""
    models: dict[str, Model] = {}
    errors: dict[str, str] = {}
    for lib in libs:
        try:
            models[lib] = builders[lib](spec, x)
        except Exception as exc:  # noqa: BLE001
            errors[lib] = _error(exc)
            if verbose:
                traceback.print_exc()
            print(f"  [{label}] {lib}: FAILED to build: {errors[lib]}", file=sys.stderr)
    return models, errors


def summarise_cells(cells: dict[tuple[str, str], Cell], models: dict[str, Model]) -> dict:
    out: dict[str, Any] = {}
    for (lib, mode), cell in cells.items():
        entry: dict[str, Any] = {
            "note": models[lib].note if lib in models else "",
            "trace_seconds": summarize(cell.trace_s),
            "lower_seconds": summarize(cell.lower_s),
            "compile_seconds": summarize(cell.compile_s),
            "total_seconds": summarize(cell.totals()),
            "total_samples_s": cell.totals(),
            "first_compile": cell.first,
            "single_compile_sample": cell.single,
            "step_seconds": summarize(cell.step_s),
            "step_samples_s": cell.step_s,
            "calls_per_sample": cell.number,
            "hlo_instructions": cell.hlo_instructions,
            "temp_bytes": cell.temp_bytes,
        }
        if cell.skipped:
            entry["skipped"] = cell.skipped
        if cell.error:
            entry["error"] = cell.error
        out.setdefault(lib, {})[mode] = entry
    return out


def _failed(error: str) -> dict[str, Any]:
    return {"error": error, "step_seconds": summarize([])}


def paired_ratio(cells: dict, a: tuple[str, str], b: tuple[str, str]) -> float | None:
    ca, cb = cells.get(a), cells.get(b)
    if ca is None or cb is None or not ca.totals() or not cb.totals():
        return None
    if ca.single or cb.single:  # one sample each: ratio of the two
        return summarize(ca.totals())["median"] / summarize(cb.totals())["median"]
    return summarize(paired(ca.totals(), cb.totals(), _div))["median"]


# --------------------------------------------------------------------------- reporting


def _s(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return fmt(x, 3 if x < 0.1 else 2 if x < 10 else 1)


def _ms(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return fmt(x * 1e3, 3 if x < 1e-3 else 2 if x < 0.1 else 1)


def render_table(
    title: str,
    results: dict[str, dict[str, Any]],
    libs: Sequence[str],
    ref: str,
    steps: int | None = None,
) -> str:
    heads = ["library", "pass", "trace s", "lower s", "compile s", "total s", f"× {ref}"]
    heads += ["step ms", f"step × {ref}", "HLO instr", "temp MiB"]
    if steps:
        heads.append("µs / time step")
    rows = []
    for lib in libs:
        for mode in MODES:
            e = results.get(lib, {}).get(mode)
            if e is None:
                continue
            if "skipped" in e or ("error" in e and not e["step_seconds"]["n"]):
                why = e.get("skipped") or f"failed: {e.get('error')}"
                rows.append([lib, mode, why] + [""] * (len(heads) - 3))
                continue
            star = "*" if e["single_compile_sample"] else ""
            ratio = e.get("total_vs_ref")
            step_ratio = e.get("step_vs_ref")
            row = [
                lib,
                mode,
                _s(e["trace_seconds"]["median"]) + star,
                _s(e["lower_seconds"]["median"]) + star,
                _s(e["compile_seconds"]["median"]) + star,
                _s(e["total_seconds"]["median"]) + star,
                fmt(ratio, 2) + "×" if ratio is not None else "–",
                _ms(e["step_seconds"]["median"]),
                fmt(step_ratio, 2) + "×" if step_ratio is not None else "–",
                str(e.get("hlo_instructions") or "–"),
                fmt(e["temp_bytes"] / 2**20, 1) if e.get("temp_bytes") is not None else "–",
            ]
            if steps:
                row.append(fmt(e["step_seconds"]["median"] * 1e6 / steps, 1))
            rows.append(row)
    return f"{title}\n\n{markdown_table(heads, rows)}"


def add_ref_ratios(cells: dict, results: dict, ref: str) -> None:
    for (lib, mode), cell in cells.items():
        e = results[lib][mode]
        r = paired_ratio(cells, (lib, mode), (ref, mode))
        if r is not None:
            e["total_vs_ref"] = r
        rc = cells.get((ref, mode))
        if rc is not None and rc.step_s and cell.step_s:
            e["step_vs_ref"] = summarize(paired(cell.step_s, rc.step_s, _div))["median"]


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI smoke run: tiny sizes, 1 repeat")
    p.add_argument("--parts", nargs="+", choices=("lstm", "stack"), default=["lstm", "stack"])
    p.add_argument("--steps", nargs="+", type=int, default=None, help="T (25 100 400)")
    p.add_argument("--hidden", type=int, default=None, help="LSTM units (128; quick 16)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--features", type=int, default=None, help="LSTM inputs (32; quick 8)")
    p.add_argument("--lstm-libs", nargs="+", choices=LSTM_LIBS, default=list(LSTM_LIBS))
    p.add_argument("--layers", type=int, default=None, help="blocks of the stack (48; quick 4)")
    p.add_argument("--width", type=int, default=None, help="block width (256; quick 16)")
    p.add_argument("--stack-batch", type=int, default=32)
    p.add_argument("--stack-libs", nargs="+", choices=STACK_LIBS, default=list(STACK_LIBS))
    p.add_argument("--repeats", type=int, default=None, help="interleaved repetitions (7)")
    p.add_argument(
        "--compile-repeats", type=int, default=None, help="fresh compiles timed (7; quick 0)"
    )
    p.add_argument("--min-sample-ms", type=float, default=None, help="calls per sample (100 ms)")
    p.add_argument("--max-compile-s", type=float, default=90.0, help="skip above (extrapolated)")
    p.add_argument(
        "--compile-budget-s",
        type=float,
        default=20.0,
        help="seconds of timed compiles per cell (fewer repeats above; 1 = the warm-up only)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON path (default: results/rnn_compile_<device>.json, plus a .md of the tables)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if a peer fails too")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    q = args.quick
    args.steps = args.steps or ([5, 10] if q else [25, 100, 400])
    args.steps = sorted(set(args.steps))
    args.hidden = args.hidden or (16 if q else 128)
    args.features = args.features or (8 if q else 32)
    args.layers = args.layers or (4 if q else 48)
    args.width = args.width or (16 if q else 256)
    args.repeats = args.repeats or (1 if q else 7)
    if args.compile_repeats is None:
        args.compile_repeats = 0 if q else args.repeats
    args.min_sample_ms = args.min_sample_ms or (5.0 if q else 100.0)
    return args


def run_lstm(args: argparse.Namespace) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    spec = LstmSpec(args.hidden, args.batch, args.features)
    libs = list(args.lstm_libs)
    by_t: dict[str, Any] = {}
    texts: list[str] = []
    all_cells: dict[int, dict] = {}
    predicted: dict[tuple[str, str], float] = {}
    for steps in args.steps:
        x = spec.inputs(steps)
        models, errors = build_models(f"lstm T={steps}", LSTM_BUILDERS, libs, spec, x, args.verbose)
        checks = sanity_lstm(spec, steps, models)
        print(f"  [lstm T={steps}] sanity: {checks_pass(checks)}", file=sys.stderr, flush=True)
        cells = measure(f"lstm T={steps}", models, x, args, predicted)
        all_cells[steps] = cells
        results = summarise_cells(cells, models)
        for lib, err in errors.items():
            results[lib] = {m: _failed(err) for m in MODES}
        ref = "sj_scan" if "sj_scan" in libs else libs[0]
        add_ref_ratios(cells, results, ref)
        by_t[str(steps)] = {
            "spec": vars(spec) | {"steps": steps},
            "checks": checks,
            "build_errors": errors,
            "results": results,
        }
        texts.append(render_table(f"### lstm: {spec.describe(steps)}", results, libs, ref, steps))
        # extrapolate each (form, pass) linearly in T for the next size
        predicted = {}
        for key, cell in cells.items():
            tot = cell.totals() or ([sum(cell.first.values())] if cell.first else [])
            if tot and key[0] in UNROLLED:
                nxt = args.steps[args.steps.index(steps) + 1] if steps != args.steps[-1] else None
                if nxt is not None:
                    predicted[key] = summarize(tot)["median"] * nxt / steps
            elif cell.skipped and key[0] in UNROLLED:
                predicted[key] = math.inf
        del models
    goal = lstm_goals(all_cells, args.steps, args.quick)
    return by_t, texts, goal


def _status(ok: bool, quick: bool) -> str:
    """``pass`` / ``FAIL``; ``info`` in a smoke run (one warm-up compile per row, tiny T: the
    ratios are not evidence either way)."""
    if quick:
        return "info"
    return "pass" if ok else "FAIL"


def lstm_goals(all_cells: dict[int, dict], steps: list[int], quick: bool) -> dict[str, Any]:
    lo, hi = steps[0], steps[-1]
    goal: dict[str, Any] = {"scan_growth": {}, "vs_peers": {}}
    for mode in MODES:
        a, b = all_cells[hi].get(("sj_scan", mode)), all_cells[lo].get(("sj_scan", mode))
        if lo == hi or a is None or b is None or not a.totals() or not b.totals():
            goal["scan_growth"][mode] = {"status": "n/a"}
            continue
        ratio = summarize(a.totals())["median"] / summarize(b.totals())["median"]
        goal["scan_growth"][mode] = {
            "rule": f"sj_scan total(T={hi}) / total(T={lo}) <= {SCAN_RATIO_GOAL}",
            "ratio": ratio,
            "status": _status(ratio <= SCAN_RATIO_GOAL, quick),
        }
    for t in steps:
        for peer in ("haiku_scan", "flax_scan"):
            for mode in MODES:
                r = paired_ratio(all_cells[t], ("sj_scan", mode), (peer, mode))
                key = f"T={t} {mode} vs {peer}"
                if r is None:
                    goal["vs_peers"][key] = {"status": "n/a"}
                else:
                    goal["vs_peers"][key] = {
                        "rule": f"sj_scan total / {peer} total <= {PEER_GOAL} (paired median)",
                        "ratio": r,
                        "status": _status(r <= PEER_GOAL, quick),
                    }
    return goal


def run_stack(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    spec = StackSpec(args.layers, args.width, args.stack_batch)
    libs = list(args.stack_libs)
    x = spec.inputs()
    models, errors = build_models("stack", STACK_BUILDERS, libs, spec, x, args.verbose)
    checks = sanity_stack(spec, models)
    print(f"  [stack] sanity: {checks_pass(checks)}", file=sys.stderr, flush=True)
    cells = measure("stack", models, x, args, {})
    results = summarise_cells(cells, models)
    for lib, err in errors.items():
        results[lib] = {m: _failed(err) for m in MODES}
    ref = "sj_loop" if "sj_loop" in libs else libs[0]
    add_ref_ratios(cells, results, ref)
    text = render_table(f"### stack: {spec.describe()}", results, libs, ref)
    payload = {"spec": vars(spec), "checks": checks, "build_errors": errors, "results": results}
    return payload, text


def goal_lines(goal: dict[str, Any]) -> list[str]:
    lines = []
    for mode, g in goal.get("scan_growth", {}).items():
        if "ratio" in g:
            lines.append(f"- {g['rule']} ({mode}): {g['ratio']:.2f}× — **{g['status']}**")
    for key, g in goal.get("vs_peers", {}).items():
        if "ratio" in g:
            lines.append(f"- {key}: sj_scan / peer = {g['ratio']:.2f}× — **{g['status']}**")
    return lines


def _all_results(payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [(f"lstm T={t}", r["results"]) for t, r in payload.get("lstm", {}).items()]
    if "stack" in payload:
        out.append(("stack", payload["stack"]["results"]))
    return out


QUICK_XLA_FLAG = "--xla_backend_optimization_level=0"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the parts, print markdown, write JSON + markdown. Exit 1 if a sanity check failed or
    a scopejax contender broke (``--strict``: any contender)."""
    args = parse_args(argv)
    if args.quick:
        # The smoke run is compile-bound; skipping LLVM's optimisations saves time on CPU and
        # changes neither the HLO nor the sanity checks (as in train_step --quick). No effect if
        # the backend is already initialised (main() called in-process).
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + QUICK_XLA_FLAG).strip()
    env = describe_environment(("jax", "jaxlib", "numpy", "scopejax", "haiku", "flax"))
    env["git"] = git_state(Path(__file__).resolve().parent.parent, "scopejax")
    print(
        f"# rnn_compile on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} cores), "
        f"jax {env['versions']['jax']}, T={args.steps}, repeats={args.repeats}",
        file=sys.stderr,
    )
    start = perf_counter()
    payload: dict[str, Any] = {"benchmark": "rnn_compile", "environment": env}
    sections: list[str] = []
    ok = True
    goal: dict[str, Any] = {}
    if "lstm" in args.parts:
        by_t, texts, goal = run_lstm(args)
        payload["lstm"] = by_t
        sections += texts
        for t, r in by_t.items():
            if not checks_pass(r["checks"]):
                ok = False
                sections.append(f"**sanity FAILED at T={t}**: {r['checks']}")
        lines = goal_lines(goal)
        if lines:
            sections.append("Goals (total = trace + lower + compile):\n\n" + "\n".join(lines))
    if "stack" in args.parts:
        stack, text = run_stack(args)
        payload["stack"] = stack
        sections.append(text)
        if not checks_pass(stack["checks"]):
            ok = False
            sections.append(f"**sanity FAILED (stack)**: {stack['checks']}")
    broken = [
        f"{where} {lib} {mode}: {e['error']}"
        for where, results in _all_results(payload)
        for lib, modes in results.items()
        for mode, e in modes.items()
        if "error" in e and (args.strict or lib.startswith("sj_"))
    ]
    if broken:
        ok = False
        sections.append("**Failures**:\n\n" + "\n".join(f"- {b}" for b in broken))
    note = (
        "`total` = trace + lower + compile of a fresh `jax.jit` (median); `×` columns: median "
        "of per-repetition ratios to the reference row's library (same pass); `*`: one sample "
        "(the warm-up compile: repeating it would exceed the "
        f"{args.compile_budget_s:.0f} s compile budget per row"
        f"{'' if args.compile_repeats else ', or --quick'}). `step ms`: the compiled "
        "executable, blocked (median)."
    )
    sections.append(note)
    markdown = "\n\n".join(sections)
    print(markdown, flush=True)
    payload |= {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "goal": goal,
        "sanity_ok": ok,
        "wall_seconds": perf_counter() - start,
        "markdown": markdown,
    }
    suffix = "_quick" if args.quick else ""
    out = args.out or RESULTS_DIR / f"rnn_compile_{device_kind()}{suffix}.json"
    write_json(out, payload)
    wrote = [str(out)]
    if args.out is None:  # the record run by hand: its tables as markdown too (run_all keeps
        md = out.with_suffix(".md")  # the stdout of the runs it collects itself)
        md.write_text(markdown + "\n")
        wrote.append(str(md))
    print(f"wrote {' and '.join(wrote)} ({perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
