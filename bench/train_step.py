"""train_step: the jitted training step of scopejax against hand-written JAX and its peers.

The same model, loss and ``optax.adam(1e-3)`` are written as hand-written JAX (a dict of
params, ``jax.value_and_grad``, ``jax.jit(..., donate_argnums=0)``), scopejax
(``sj.train.minimize`` over ``sj.layers.dense``), Haiku, Flax linen and Flax NNX (both the
idiomatic ``nnx.jit`` + ``nnx.Optimizer`` and ``jax.jit`` over the split state). Every state
carries a step counter, as ``sj.train.TrainState`` does. Four parts:

* ``mlp``: MLP 784-256-128-10 (relu), batch 128, softmax cross-entropy on random labels;
* ``deep``: 500 dense 8->8 layers (tanh between them): 1000 variables, batch 8;
* ``freeze``: MLP 784-1024-512-256-10 whose first two layers (~91 % of the parameters) are
  frozen -- by collection or ``var_list`` in scopejax, by splitting the params by hand, or
  by ``optax`` masks (``multi_transform`` / ``masked`` + ``set_to_zero``) over all params;
* ``large``: a bf16 MLP (``--large-depth`` layers of width ``--large-width``) with float32
  master weights through ``sj.getters.mixed_precision()``; achieved TFLOP/s =
  ``6 * params * batch / step time`` (2 for the forward pass, 4 for the backward pass).

Metrics: steady-state step time (each step blocks on its loss; the state stays donated
from step to step), trace + lower time and XLA compile time of a fresh ``jit`` of the step
(AOT: ``.lower(...)`` then ``.compile()``), the optimizer-state bytes, and the number of
instructions in the compiled HLO (``.compile().as_text()``). Every repetition times every
contender back to back in a rotated order; ratios to the hand-written step are taken per
repetition, then their median is reported.

Usage::

    .venv/bin/python bench/train_step.py                  # all parts, 21 repeats
    .venv/bin/python bench/train_step.py --quick          # CI smoke run (tiny sizes, 2 repeats)
    .venv/bin/python bench/train_step.py --parts deep --profile scopejax
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import hashlib
import io
import math
import os
import pstats
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
import optax

if __package__ in (None, ""):  # run as a script: make ``bench._common`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
BASELINE = "handwritten"
CANDIDATE = "scopejax"
GOAL_RATIO = 1.02
LR = 1e-3
PARTS = ("mlp", "deep", "freeze", "large")

Batch = tuple[jax.Array, ...]


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """A dense network: ``in_dim`` -> ``widths``; activation between layers, none at the end.

    ``loss`` is ``"xent"`` (softmax cross-entropy, integer labels) or ``"mse"`` (float targets).
    ``frozen`` is the number of leading layers frozen (``freeze`` part only). ``dtype`` is the
    compute dtype (master weights are always float32).
    """

    in_dim: int
    widths: tuple[int, ...]
    batch: int
    act: str = "relu"
    loss: str = "xent"
    frozen: int = 0
    dtype: Any = jnp.float32

    @property
    def layer_dims(self) -> list[tuple[int, int]]:
        dims = [self.in_dim, *self.widths]
        return list(zip(dims[:-1], dims[1:], strict=True))

    @property
    def n_params(self) -> int:
        return sum(i * o + o for i, o in self.layer_dims)

    @property
    def n_frozen_params(self) -> int:
        return sum(i * o + o for i, o in self.layer_dims[: self.frozen])

    @property
    def n_leaves(self) -> int:
        return 2 * len(self.widths)

    def describe(self) -> str:
        dims = f"{self.in_dim}-" + "-".join(map(str, self.widths))
        if len(set(self.widths)) == 1 and len(self.widths) > 4:
            dims = f"{len(self.widths)} x dense {self.in_dim}->{self.widths[0]}"
        extra = f", {self.frozen} frozen layers" if self.frozen else ""
        dt = jnp.dtype(self.dtype).name
        return f"{dims} ({self.act}), batch {self.batch}, {self.loss}, {dt}{extra}"


def make_batch(spec: Spec) -> Batch:
    kx, ky = jax.random.split(jax.random.key(42))
    x = jax.random.normal(kx, (spec.batch, spec.in_dim), jnp.float32).astype(spec.dtype)
    if spec.loss == "xent":
        y = jax.random.randint(ky, (spec.batch,), 0, spec.widths[-1])
    else:
        y = jax.random.normal(ky, (spec.batch, spec.widths[-1]), jnp.float32)
    return block((x, y))


def activation(spec: Spec) -> Callable[[jax.Array], jax.Array]:
    return {"relu": jax.nn.relu, "tanh": jnp.tanh}[spec.act]


def loss_from_logits(spec: Spec, out: jax.Array, y: jax.Array) -> jax.Array:
    out = out.astype(jnp.float32)
    if spec.loss == "xent":
        return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
    return jnp.mean((out - y) ** 2)


def glorot(key: jax.Array, fan_in: int, fan_out: int) -> jax.Array:
    lim = math.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, (fan_in, fan_out), jnp.float32, -lim, lim)


def adam() -> optax.GradientTransformation:
    return optax.adam(LR)


# --------------------------------------------------------------------------- contenders


@dataclass
class Built:
    """One contender, ready to run.

    ``run()`` does one training step on the held state and returns the (unblocked) loss;
    ``lower()`` traces and lowers a *fresh* jit of the same step (compile timing);
    ``lower_step()`` lowers the step ``run`` calls (after the first call, its compiled HLO
    comes from the cache); ``opt_state()`` is the current optimizer state; ``state()`` the
    whole state.
    """

    run: Callable[[], jax.Array]
    lower: Callable[[], Any]
    lower_step: Callable[[], Any]
    opt_state: Callable[[], Any]
    state: Callable[[], Any]
    note: str = ""
    pure: bool = True  # the state is a pytree passed to and returned by a plain ``jax.jit``


def fresh(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object wrapping ``fn``, so ``jax.jit`` cannot reuse a cached trace."""
    return lambda *args: fn(*args)


def functional(
    init_state: Any,
    step_fn: Callable[..., tuple[Any, Any]],
    batch: Batch,
    opt_of: Callable[[Any], Any],
    jitted: Callable[..., tuple[Any, Any]] | None = None,
    note: str = "",
) -> Built:
    """A pure ``(state, *batch) -> (state, loss_or_metrics)`` step, jitted with donation."""
    step = jitted or jax.jit(step_fn, donate_argnums=0)
    holder = [init_state]

    def run() -> jax.Array:
        holder[0], out = step(holder[0], *batch)
        return out["loss"] if isinstance(out, dict) else out

    def lower() -> Any:
        return jax.jit(fresh(step_fn), donate_argnums=0).lower(holder[0], *batch)

    def lower_step() -> Any:
        # sj.train's step is a Python wrapper around its jitted step: lower the same
        # computation with the same donation when the callable has no .lower
        lowerable = step if hasattr(step, "lower") else jax.jit(step_fn, donate_argnums=0)
        return lowerable.lower(holder[0], *batch)

    return Built(run, lower, lower_step, lambda: opt_of(holder[0]), lambda: holder[0], note)


def _adam_step(
    loss: Callable[..., jax.Array], tx: optax.GradientTransformation
) -> Callable[..., tuple[Any, jax.Array]]:
    """``(params, opt_state, step), *batch -> (new state, loss)`` for ``loss(params, *batch)``."""

    def step_fn(state: Any, *batch: jax.Array) -> tuple[Any, jax.Array]:
        params, opt_state, step = state
        value, grads = jax.value_and_grad(loss)(params, *batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, step + 1), value

    return step_fn


def _start(
    make_params: Callable[[jax.Array], Any], tx: optax.GradientTransformation
) -> tuple[Any, Any, jax.Array]:
    """``(params, optimizer state, step 0)`` from one jitted call (many small eager ops would
    each be compiled on first use: on CPU that dominated ``--quick``)."""

    def start(key: jax.Array) -> tuple[Any, Any, jax.Array]:
        params = make_params(key)
        return params, tx.init(params), jnp.zeros((), jnp.int32)

    return block(jax.jit(start)(jax.random.key(0)))


def hand_params(spec: Spec, key: jax.Array) -> dict[str, dict[str, jax.Array]]:
    return {
        f"l{i}": {
            "kernel": glorot(jax.random.fold_in(key, i), fan_in, fan_out),
            "bias": jnp.zeros((fan_out,), jnp.float32),
        }
        for i, (fan_in, fan_out) in enumerate(spec.layer_dims)
    }


def hand_forward(spec: Spec, params: dict[str, Any], x: jax.Array) -> jax.Array:
    act, n, dt = activation(spec), len(spec.widths), spec.dtype
    for i in range(n):
        p = params[f"l{i}"]
        x = x @ p["kernel"].astype(dt) + p["bias"].astype(dt)
        if i < n - 1:
            x = act(x)
    return x


def build_handwritten(spec: Spec, batch: Batch) -> Built:
    """Params dict, ``jax.value_and_grad``, ``optax.adam``, ``jit(donate_argnums=0)``."""
    tx = adam()

    def loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return loss_from_logits(spec, hand_forward(spec, params, x), y)

    state = _start(lambda k: hand_params(spec, k), tx)
    return functional(state, _adam_step(loss, tx), batch, lambda s: s[1])


def scopejax_loss(spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
    import scopejax as sj

    def forward(x: jax.Array) -> jax.Array:
        act, n = activation(spec), len(spec.widths)
        for i, w in enumerate(spec.widths):
            x = sj.layers.dense(x, w, activation=act if i < n - 1 else None)
        return x

    def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
        if spec.dtype == jnp.float32:
            return loss_from_logits(spec, forward(x), y)
        with sj.variable_scope("net", dtype=spec.dtype, custom_getter=sj.getters.mixed_precision()):
            return loss_from_logits(spec, forward(x), y)

    return loss_fn


def build_scopejax(spec: Spec, batch: Batch) -> Built:
    """``sj.train.minimize(loss_fn, optax.adam)`` over ``sj.layers.dense``; ``trainer.step``."""
    import scopejax as sj

    trainer = sj.train.minimize(scopejax_loss(spec), adam())
    state = block(jax.jit(trainer.init)(jax.random.key(0), *batch))
    return functional(state, trainer.step_fn, batch, lambda s: s.opt_state, jitted=trainer.step)


def build_haiku(spec: Spec, batch: Batch) -> Built:
    """``hk.Linear`` under ``hk.without_apply_rng(hk.transform(loss))``; hand-written step."""
    import haiku as hk

    def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
        act, n = activation(spec), len(spec.widths)
        w_init = hk.initializers.VarianceScaling(1.0, "fan_avg", "uniform")
        for i, w in enumerate(spec.widths):
            x = hk.Linear(w, w_init=w_init)(x)
            if i < n - 1:
                x = act(x)
        return loss_from_logits(spec, x, y)

    net = hk.without_apply_rng(hk.transform(loss_fn))
    tx = adam()
    state = _start(lambda k: net.init(k, *batch), tx)
    return functional(state, _adam_step(net.apply, tx), batch, lambda s: s[1])


def build_flax_linen(spec: Spec, batch: Batch) -> Built:
    """``nn.Dense`` in an ``nn.compact`` module; ``module.apply`` in a hand-written step."""
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            act, n = activation(spec), len(spec.widths)
            for i, w in enumerate(spec.widths):
                x = nn.Dense(
                    w,
                    kernel_init=nn.initializers.glorot_uniform(),
                    dtype=spec.dtype,
                    param_dtype=jnp.float32,
                )(x)
                if i < n - 1:
                    x = act(x)
            return x

    module = MLP()

    def loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return loss_from_logits(spec, module.apply({"params": params}, x), y)

    tx = adam()
    state = _start(lambda k: module.init(k, batch[0])["params"], tx)
    return functional(state, _adam_step(loss, tx), batch, lambda s: s[1])


def _nnx_model(spec: Spec) -> Any:
    from flax import nnx

    class MLP(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            init = nnx.initializers.glorot_uniform()
            self.layers = nnx.List(
                [
                    nnx.Linear(i, o, kernel_init=init, dtype=spec.dtype, rngs=rngs)
                    for i, o in spec.layer_dims
                ]
            )

        def __call__(self, x: jax.Array) -> jax.Array:
            act, n = activation(spec), len(self.layers)
            for i, layer in enumerate(self.layers):
                x = layer(x)
                if i < n - 1:
                    x = act(x)
            return x

    return nnx.jit(lambda: MLP(nnx.Rngs(0)))()  # one compile, not one per eager op


def build_flax_nnx_split(spec: Spec, batch: Batch) -> Built:
    """NNX model; ``nnx.split`` once, then ``jax.jit`` over ``(params, opt_state, step)``."""
    from flax import nnx

    graphdef, params = nnx.split(_nnx_model(spec), nnx.Param)

    def loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return loss_from_logits(spec, nnx.merge(graphdef, params)(x), y)

    tx = adam()
    state = _start(lambda _: params, tx)
    return functional(state, _adam_step(loss, tx), batch, lambda s: s[1])


def build_flax_nnx(spec: Spec, batch: Batch) -> Built:
    """Idiomatic NNX: ``nnx.Optimizer`` and an ``nnx.jit`` step mutating model and optimizer."""
    from flax import nnx

    def train_step(model: Any, optimizer: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        def loss(model: Any) -> jax.Array:
            return loss_from_logits(spec, model(x), y)

        value, grads = nnx.value_and_grad(loss)(model)
        optimizer.update(model, grads)
        return value

    def make() -> tuple[Any, Any]:
        model = _nnx_model(spec)
        return model, nnx.Optimizer(model, adam(), wrt=nnx.Param)

    model, optimizer = make()
    step = nnx.jit(train_step, donate_argnums=(0, 1))

    def run() -> jax.Array:
        return step(model, optimizer, *batch)

    def lower() -> Any:
        return nnx.jit(fresh(train_step), donate_argnums=(0, 1)).lower(model, optimizer, *batch)

    def lower_step() -> Any:
        return step.lower(model, optimizer, *batch)

    def opt_state() -> Any:
        return nnx.state(optimizer, nnx.optimizer.OptState)

    state = lambda: nnx.state((model, optimizer))  # noqa: E731
    return Built(run, lower, lower_step, opt_state, state, pure=False)


BUILDERS: dict[str, Callable[[Spec, Batch], Built]] = {
    "handwritten": build_handwritten,
    "scopejax": build_scopejax,
    "haiku": build_haiku,
    "flax_linen": build_flax_linen,
    "flax_nnx_split": build_flax_nnx_split,
    "flax_nnx": build_flax_nnx,
}
LARGE_LIBS = ("handwritten", "scopejax", "flax_linen")


# --------------------------------------------------------------------------- freezing


def _freeze_labels(spec: Spec, params: dict[str, Any], frozen: Any, train: Any) -> Any:
    """``params``' structure with ``frozen`` at the first ``spec.frozen`` layers, else ``train``."""
    return {
        name: {k: frozen if int(name[1:]) < spec.frozen else train for k in layer}
        for name, layer in params.items()
    }


def build_freeze_split(spec: Spec, batch: Batch) -> Built:
    """Hand-written: ``(train, frozen)`` dicts; only ``train`` is differentiated and in adam."""
    tx = adam()

    def loss(train: Any, frozen: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return loss_from_logits(spec, hand_forward(spec, {**frozen, **train}, x), y)

    def step_fn(state: Any, x: jax.Array, y: jax.Array) -> tuple[Any, jax.Array]:
        train, frozen, opt_state, step = state
        value, grads = jax.value_and_grad(loss)(train, frozen, x, y)
        updates, opt_state = tx.update(grads, opt_state, train)
        return (optax.apply_updates(train, updates), frozen, opt_state, step + 1), value

    def start(key: jax.Array) -> Any:
        params = hand_params(spec, key)
        train = {k: v for k, v in params.items() if int(k[1:]) >= spec.frozen}
        frozen = {k: v for k, v in params.items() if int(k[1:]) < spec.frozen}
        return train, frozen, tx.init(train), jnp.zeros((), jnp.int32)

    state = block(jax.jit(start)(jax.random.key(0)))
    return functional(state, step_fn, batch, lambda s: s[2])


def _freeze_optax(spec: Spec, batch: Batch, how: str) -> Built:
    """Full params, full gradients, freezing by an optax mask."""
    params = jax.eval_shape(lambda: hand_params(spec, jax.random.key(0)))
    if how == "multi_transform":
        labels = _freeze_labels(spec, params, "frozen", "train")
        tx = optax.multi_transform({"train": adam(), "frozen": optax.set_to_zero()}, labels)
    elif how == "masked":
        is_train = _freeze_labels(spec, params, False, True)
        is_frozen = jax.tree.map(lambda t: not t, is_train)
        tx = optax.chain(
            optax.masked(adam(), is_train), optax.masked(optax.set_to_zero(), is_frozen)
        )
    elif how == "zero_grads":  # zero the frozen gradients, then adam over every parameter
        is_frozen = _freeze_labels(spec, params, True, False)
        tx = optax.chain(optax.masked(optax.set_to_zero(), is_frozen), adam())
    elif how == "all_trainable":  # no freezing (reference)
        tx = adam()
    else:
        raise ValueError(how)

    def loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return loss_from_logits(spec, hand_forward(spec, params, x), y)

    state = _start(lambda k: hand_params(spec, k), tx)
    return functional(state, _adam_step(loss, tx), batch, lambda s: s[1])


def _freeze_scopejax(spec: Spec, batch: Batch, how: str) -> Built:
    """scopejax: frozen layers in a ``FROZEN`` collection (``trainable=False``), or every
    variable trainable and ``var_list=sj.train.regex(...)`` selecting the head."""
    import scopejax as sj

    def dense(x: jax.Array, units: int, frozen: bool) -> jax.Array:
        with sj.variable_scope(None, default_name="backbone" if frozen else "head"):
            kw: dict[str, Any] = {}
            if frozen and how == "collection":
                kw = {"trainable": False, "collections": [sj.GraphKeys.GLOBAL_VARIABLES, "FROZEN"]}
            w = sj.get_variable(
                "kernel", [x.shape[-1], units], initializer=sj.initializers.glorot_uniform(), **kw
            )
            b = sj.get_variable("bias", [units], initializer=sj.initializers.zeros(), **kw)
        return x @ w + b

    def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
        act, n = activation(spec), len(spec.widths)
        for i, w in enumerate(spec.widths):
            x = dense(x, w, i < spec.frozen)
            if i < n - 1:
                x = act(x)
        return loss_from_logits(spec, x, y)

    var_list = None if how == "collection" else sj.train.regex("^head")
    trainer = sj.train.minimize(loss_fn, adam(), var_list=var_list)
    state = block(jax.jit(trainer.init)(jax.random.key(0), *batch))
    frozen_names = state.store.partition(collection="FROZEN")[0].names()
    if how == "collection" and len(frozen_names) != 2 * spec.frozen:
        raise AssertionError(f"FROZEN collection holds {frozen_names}")
    return functional(state, trainer.step_fn, batch, lambda s: s.opt_state, jitted=trainer.step)


FREEZE_BUILDERS: dict[str, Callable[[Spec, Batch], Built]] = {
    "handwritten_split": build_freeze_split,
    "scopejax_collection": lambda s, b: _freeze_scopejax(s, b, "collection"),
    "scopejax_var_list": lambda s, b: _freeze_scopejax(s, b, "var_list"),
    "optax_multi_transform": lambda s, b: _freeze_optax(s, b, "multi_transform"),
    "optax_masked": lambda s, b: _freeze_optax(s, b, "masked"),
    "optax_zero_grads": lambda s, b: _freeze_optax(s, b, "zero_grads"),
    "all_trainable": lambda s, b: _freeze_optax(s, b, "all_trainable"),
}
FREEZE_BASELINE = "handwritten_split"


# --------------------------------------------------------------------------- HLO


_METADATA = re.compile(r",? metadata=\{[^}]*\}")
_NAME = re.compile(r"%[\w.\-]+")
_GEMM = re.compile(r"custom-call\(.*custom_call_target=\"[^\"]*(?:gemm|matmul)", re.I)
_SIG_NAME = re.compile(r"([(,]\s*)[\w.\-]+: ")  # parameter names in a computation's signature
_INSTR = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+ = (?:\([^=]*?\)|\S+) ([a-z][\w\-]*)\(", re.M)
_COMP = re.compile(r"^(ENTRY\s+)?%?[\w.\-]+ \(.*\{\s*$", re.M)


def hlo_fingerprint(text: str) -> str:
    """SHA-256 of a compiled HLO module with names and metadata taken out.

    The module header (its name, layouts), the source-location tables and every
    ``metadata={...}`` (op names: scopejax's name scopes show there) are dropped and every
    ``%name`` is renumbered in order of first appearance, so two modules share a fingerprint
    exactly when they are the same program with the same parameter order.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _COMP.match(line)), len(lines))
    body = "\n".join(
        _SIG_NAME.sub(r"\1", line) if _COMP.match(line) else line for line in lines[start:]
    )
    body = _METADATA.sub("", body)
    ids: dict[str, str] = {}
    body = _NAME.sub(lambda m: ids.setdefault(m.group(0), f"%{len(ids)}"), body)
    return hashlib.sha256(body.encode()).hexdigest()


def hlo_counts(text: str) -> dict[str, Any]:
    """Instruction counts of a compiled HLO module (total, in ENTRY, by opcode), fingerprint."""
    ops = collections.Counter(_INSTR.findall(text))
    entry_ops = 0
    in_entry = False
    for line in text.splitlines():
        if _COMP.match(line):
            in_entry = line.startswith("ENTRY")
        elif in_entry and _INSTR.match(line):
            entry_ops += 1
    return {
        "instructions": sum(ops.values()),
        "entry_instructions": entry_ops,
        "computations": len(_COMP.findall(text)),
        "fusions": ops.get("fusion", 0),
        # dots and convolutions, and on GPUs the library calls they become (cuBLAS gemms)
        "dots": ops.get("dot", 0) + ops.get("convolution", 0) + len(_GEMM.findall(text)),
        "by_opcode": dict(sorted(ops.items())),
        "fingerprint": hlo_fingerprint(text),
    }


# --------------------------------------------------------------------------- measurement


def _error(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"[:300]


def pytree_seconds(tree: Any, number: int = 50) -> float:
    """Seconds to flatten and unflatten ``tree`` once: the library-dependent part of the host
    work a jitted call does for its arguments and results (``jit`` flattens the state and
    unflattens the new one on every step; the executable is the same)."""
    leaves, treedef = jax.tree.flatten(tree)
    best = math.inf
    for _ in range(3):
        t0 = perf_counter()
        for _ in range(number):
            jax.tree.flatten(tree)
            jax.tree.unflatten(treedef, leaves)
        best = min(best, (perf_counter() - t0) / number)
    return best


def nbytes(tree: Any) -> int:
    return sum(int(getattr(x, "nbytes", 0)) for x in jax.tree.leaves(tree))


@dataclass
class Cell:
    """Everything measured for one contender in one part."""

    step_s: list[float] = field(default_factory=list)
    lower_s: list[float] = field(default_factory=list)
    compile_s: list[float] = field(default_factory=list)
    number: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    hlo: dict[str, Any] | None = None
    error: str | None = None


def measure_part(
    part: str,
    spec: Spec,
    builders: dict[str, Callable[[Spec, Batch], Built]],
    libs: Sequence[str],
    repeats: int,
    compile_repeats: int,
    min_sample_s: float,
    verbose: bool,
) -> dict[str, Cell]:
    """Build and warm every contender, then time steps (and compiles) interleaved."""
    batch = make_batch(spec)
    cells = {lib: Cell() for lib in libs}
    built: dict[str, Built] = {}
    for lib in libs:
        try:
            b = builders[lib](spec, batch)
            first = perf_counter()
            loss0 = float(block(b.run()))
            first = perf_counter() - first
            for _ in range(2):
                loss = float(block(b.run()))
            if not math.isfinite(loss):
                raise FloatingPointError(f"loss is {loss}")
            cells[lib].hlo = hlo_counts(b.lower_step().compile().as_text())  # cached
            one = time_once(lambda b=b: block(b.run()))
            cells[lib].number = max(1, min(1000, math.ceil(min_sample_s / max(one, 1e-9))))
            cells[lib].facts = {
                "first_call_s": first,
                "pytree_us": pytree_seconds(b.state()) * 1e6 if b.pure else None,
                "loss_first": loss0,
                "loss_after_3": loss,
                "opt_state_bytes": nbytes(b.opt_state()),
                "state_bytes": nbytes(b.state()),
                "state_leaves": len(jax.tree.leaves(b.state())),
                "note": b.note,
            }
            built[lib] = b
        except Exception as exc:  # noqa: BLE001 - a broken contender must not stop the run
            cells[lib].error = _error(exc)
            if verbose:
                traceback.print_exc()
            print(f"  [{part}] {lib}: FAILED during setup: {cells[lib].error}", file=sys.stderr)
    names = [lib for lib in libs if lib in built]
    for rep in range(repeats):
        for lib in rotate(names, rep):
            b, cell = built[lib], cells[lib]
            if cell.error is not None:
                continue
            try:
                cell.step_s.append(time_once(lambda b=b: block(b.run()), cell.number))
                if rep < compile_repeats:
                    t0 = perf_counter()
                    lowered = b.lower()
                    t1 = perf_counter()
                    compiled = lowered.compile()
                    t2 = perf_counter()
                    cell.lower_s.append(t1 - t0)
                    cell.compile_s.append(t2 - t1)
                    del lowered, compiled
            except Exception as exc:  # noqa: BLE001
                cell.error = _error(exc)
                if verbose:
                    traceback.print_exc()
                print(f"  [{part}] {lib}: FAILED in rep {rep}: {cell.error}", file=sys.stderr)
        if verbose:
            print(f"  [{part}] repetition {rep + 1}/{repeats} done", file=sys.stderr)
    return cells


def analyse(cells: dict[str, Cell], baseline: str, spec: Spec, part: str) -> dict[str, Any]:
    """Summaries, paired ratios to ``baseline``, HLO comparison, TFLOP/s for ``large``."""
    base = cells.get(baseline)
    out: dict[str, Any] = {}
    for lib, cell in cells.items():
        entry: dict[str, Any] = {
            "step_seconds": summarize(cell.step_s),
            "steps_per_sample": cell.number,
            "step_samples_s": cell.step_s,
            "lower_seconds": summarize(cell.lower_s),
            "compile_seconds": summarize(cell.compile_s),
            "facts": cell.facts,
            "hlo": cell.hlo,
        }
        if cell.error is not None:
            entry["error"] = cell.error
        if base is not None and base.step_s and cell.step_s:
            entry["ratio_vs_baseline"] = summarize(paired(cell.step_s, base.step_s, _div))
            entry["ratio_of_minima"] = min(cell.step_s) / min(base.step_s)
        if base is not None and base.hlo is not None and cell.hlo is not None:
            entry["hlo_same_opcodes_as_baseline"] = cell.hlo["by_opcode"] == base.hlo["by_opcode"]
            entry["hlo_identical_to_baseline"] = cell.hlo["fingerprint"] == base.hlo["fingerprint"]
        if part == "large" and cell.step_s:
            flops = 6 * spec.n_params * spec.batch
            entry["flops_per_step"] = flops
            entry["tflops"] = flops / summarize(cell.step_s)["median"] / 1e12
        out[lib] = entry
    return out


def _div(a: float, b: float) -> float:
    return a / b


def goal_check(analysis: dict[str, Any]) -> dict[str, Any]:
    sj = analysis.get(CANDIDATE, {})
    ratio = sj.get("ratio_vs_baseline", {}).get("median")
    if ratio is None:
        return {"status": "n/a", "reason": sj.get("error", "no data")}
    return {
        "status": "pass" if ratio <= GOAL_RATIO else "FAIL",
        "ratio": ratio,
        "ratio_of_minima": sj.get("ratio_of_minima"),
        "bound": GOAL_RATIO,
        "hlo_same_opcodes": sj.get("hlo_same_opcodes_as_baseline"),
        "hlo_identical": sj.get("hlo_identical_to_baseline"),
    }


# --------------------------------------------------------------------------- reporting


def _ms(x: float) -> str:
    return fmt(x * 1e3, 3 if x < 1e-3 else 2 if x < 0.1 else 1)


def render_part(part: str, spec: Spec, analysis: dict[str, Any], baseline: str) -> str:
    heads = ["library", "step ms", f"× {baseline}", "× (minima)", "pytree µs", "first call s"]
    heads += ["trace+lower s", "compile s", "HLO instr", "ENTRY instr", "fusions", "dots"]
    heads += ["opt-state KiB"]
    if part == "large":
        heads.append("TFLOP/s")
    rows = []
    for lib, e in analysis.items():
        if "error" in e and not e["step_seconds"]["n"]:
            rows.append([lib, "failed"] + [""] * (len(heads) - 2))
            continue
        ratio = e.get("ratio_vs_baseline", {}).get("median")
        hlo = e.get("hlo") or {}
        same = e.get("hlo_same_opcodes_as_baseline")
        mark = "" if lib == baseline or same is None else (" =" if same else " ≠")
        if same and e.get("hlo_identical_to_baseline") and lib != baseline:
            mark = " ≡"
        row = [
            lib,
            _ms(e["step_seconds"]["median"]),
            fmt(ratio, 3) + "×" if ratio is not None else "–",
            fmt(e.get("ratio_of_minima"), 3) + "×" if "ratio_of_minima" in e else "–",
            fmt(e["facts"].get("pytree_us"), 0),
            fmt(e["facts"].get("first_call_s"), 2),
            fmt(e["lower_seconds"]["median"], 2),
            fmt(e["compile_seconds"]["median"], 2),
            f"{hlo['instructions']}{mark}" if hlo else "–",
            str(hlo.get("entry_instructions", "–")),
            str(hlo.get("fusions", "–")),
            str(hlo.get("dots", "–")),
            fmt(e["facts"].get("opt_state_bytes", math.nan) / 1024, 1),
        ]
        if part == "large":
            row.append(fmt(e.get("tflops"), 3))
        rows.append(row)
    title = f"### {part}: {spec.describe()}; {spec.n_params:,} params, {spec.n_leaves} variables"
    if spec.frozen:
        title += f" ({spec.n_frozen_params / spec.n_params:.1%} of the params frozen)"
    lines = [title, "", markdown_table(heads, rows)]
    lines += [
        "",
        f"`× {baseline}`: median of per-repetition ratios; `× (minima)`: fastest sample over "
        f"fastest sample. `pytree µs`: flatten + unflatten of the whole train state (host work "
        "each jitted call repeats; `–` for `nnx.jit`, which walks the object graph instead). "
        f"HLO instr: instructions in the compiled module (`≡`: the same program as {baseline}, "
        "names and metadata aside; `=`: the same count of every opcode; `≠`: different).",
    ]
    failures = [f"- {lib}: {e['error']}" for lib, e in analysis.items() if "error" in e]
    if failures:
        lines += ["", "Failures:", *failures]
    return "\n".join(lines)


def profile_lib(lib: str, spec: Spec, builders: dict[str, Any], steps: int = 200) -> str:
    """cProfile of ``steps`` steady-state steps (Python-side dispatch cost) of ``lib``."""
    batch = make_batch(spec)
    b = builders[lib](spec, batch)
    for _ in range(3):
        block(b.run())
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        block(b.run())
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(20)
    return f"### cProfile {lib}, {steps} steps of {spec.describe()} (by tottime)\n{buf.getvalue()}"


def specs_for(args: argparse.Namespace) -> dict[str, Spec]:
    q = args.quick
    large_w = args.large_width
    large_b = args.large_batch
    gpu = jax.default_backend() != "cpu"
    if large_w is None:
        large_w = 64 if q else (8192 if gpu else 1024)
    if large_b is None:
        large_b = 32 if q else (4096 if gpu else 256)
    deep = args.deep_layers or (50 if q else 500)
    return {
        "mlp": Spec(784, (256, 128, 10), 128),
        "deep": Spec(8, (8,) * deep, 8, act="tanh"),
        "freeze": Spec(784, (1024, 512, 256, 10), 128, frozen=2),
        "large": Spec(
            large_w, (large_w,) * args.large_depth, large_b, loss="mse", dtype=jnp.bfloat16
        ),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, 2 repeats (CI smoke run)")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    p.add_argument("--libs", nargs="+", choices=list(BUILDERS), default=list(BUILDERS))
    p.add_argument("--repeats", type=int, default=None, help="interleaved repetitions (21)")
    p.add_argument(
        "--compile-repeats", type=int, default=None, help="fresh compiles timed (3; quick: 0)"
    )
    p.add_argument("--min-sample-ms", type=float, default=None, help="steps per sample (200 ms)")
    p.add_argument("--deep-layers", type=int, default=None, help="layers of `deep` (500)")
    p.add_argument("--large-width", type=int, default=None, help="8192 on GPU, 1024 on CPU")
    p.add_argument("--large-batch", type=int, default=None, help="4096 on GPU, 256 on CPU")
    p.add_argument("--large-depth", type=int, default=4)
    p.add_argument("--out", type=Path, default=None, help="JSON path")
    p.add_argument("--profile", choices=list(BUILDERS), default=None, help="cProfile steps")
    p.add_argument("--strict", action="store_true", help="exit 1 if any contender failed")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    args.repeats = args.repeats or (2 if args.quick else 21)
    if args.compile_repeats is None:
        args.compile_repeats = 0 if args.quick else 3
    args.min_sample_ms = args.min_sample_ms or (10.0 if args.quick else 200.0)
    if BASELINE not in args.libs:
        args.libs.insert(0, BASELINE)
    return args


QUICK_XLA_FLAG = "--xla_backend_optimization_level=0"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the parts, print markdown, write JSON. Exit 1 if a baseline (--strict: any) broke."""
    args = parse_args(argv)
    if args.quick:
        # A smoke run is compile-bound (two XLA compiles per contender); skipping LLVM's
        # optimisations saves about a quarter on CPU and leaves the HLO (and its op counts)
        # unchanged. No effect if the backend is already initialised (main() called in-process).
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + QUICK_XLA_FLAG).strip()
    env = describe_environment(("jax", "jaxlib", "numpy", "optax", "scopejax", "haiku", "flax"))
    env["git"] = git_state(Path(__file__).resolve().parent.parent, "scopejax")
    specs = specs_for(args)
    print(
        f"# train_step on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} cores), "
        f"jax {env['versions']['jax']}, parts={args.parts}, repeats={args.repeats}",
        file=sys.stderr,
    )
    results: dict[str, Any] = {}
    goals: dict[str, Any] = {}
    sections: list[str] = []
    for part in args.parts:
        spec = specs[part]
        if part == "freeze":
            builders, libs, baseline = FREEZE_BUILDERS, list(FREEZE_BUILDERS), FREEZE_BASELINE
        else:
            builders, baseline = BUILDERS, BASELINE
            libs = [lib for lib in args.libs if part != "large" or lib in LARGE_LIBS]
        cells = measure_part(
            part,
            spec,
            builders,
            libs,
            args.repeats,
            min(args.compile_repeats, args.repeats),
            args.min_sample_ms / 1e3,
            args.verbose,
        )
        analysis = analyse(cells, baseline, spec, part)
        results[part] = {"spec": _spec_json(spec), "baseline": baseline, "results": analysis}
        text = render_part(part, spec, analysis, baseline)
        if part in ("mlp", "deep"):
            goals[part] = goal_check(analysis)
            g = goals[part]
            text += f"\n\ngoal scopejax/handwritten <= {GOAL_RATIO}: {g['status']}"
            if "ratio" in g:
                text += (
                    f" ({g['ratio']:.3f}×, minima {g['ratio_of_minima']:.3f}×; compiled HLO: "
                    "same opcode counts "
                    f"{g['hlo_same_opcodes']}, identical program {g['hlo_identical']})"
                )
        if part == "large":
            text += (
                f"\n\nTFLOP/s = 6 × {spec.n_params:,} params × batch {spec.batch} / step time "
                "(2 forward + 4 backward FLOPs per parameter and example; counts the unneeded "
                "input gradient of the first layer, so a slight overestimate)."
            )
        print(text + "\n", flush=True)
        sections.append(text)
    markdown = "\n\n".join(sections)
    payload = {
        "benchmark": "train_step",
        "environment": env,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "results": results,
        "goal": {"rule": f"scopejax step time / handwritten <= {GOAL_RATIO}", "by_part": goals},
        "markdown": markdown,
    }
    suffix = "_quick" if args.quick else ""
    out = args.out or RESULTS_DIR / f"train_step_{device_kind()}{suffix}.json"
    write_json(out, payload)
    print(f"wrote {out}", file=sys.stderr)
    if args.profile:
        part = "deep" if "deep" in args.parts else args.parts[0]
        print("\n" + profile_lib(args.profile, specs[part], BUILDERS))
    broken = [
        (part, lib)
        for part, r in results.items()
        for lib, e in r["results"].items()
        if "error" in e and (args.strict or lib in (BASELINE, FREEZE_BASELINE))
    ]
    return 1 if broken else 0


def _spec_json(spec: Spec) -> dict[str, Any]:
    return {
        "in_dim": spec.in_dim,
        "widths": list(spec.widths) if len(set(spec.widths)) > 1 else [spec.widths[0]],
        "layers": len(spec.widths),
        "batch": spec.batch,
        "activation": spec.act,
        "loss": spec.loss,
        "dtype": np.dtype(spec.dtype).name,
        "frozen_layers": spec.frozen,
        "params": spec.n_params,
        "frozen_params": spec.n_frozen_params,
        "variables": spec.n_leaves,
    }


if __name__ == "__main__":
    raise SystemExit(main())
