"""sharded: init and training steps across 8 devices, scopejax vs hand-written ``jax.jit``.

Runs on 8 devices: on a CPU-only machine it forces 8 simulated host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``, set here before JAX starts, so
``python bench/sharded.py`` needs nothing else); on a machine with accelerators it uses
the first 8 (or ``--devices``) of them.

Init (``sj.sharding.use(mesh, rules)`` around ``net.init``, fast init, eager):

* ``mlp{L}``: L dense layers of width W (tanh), each kernel split over the 8 devices by
  its output axis (``P(None, 'model')``), biases replicated: 1000 layers in the full run;
* ``stack{L}``: the same L layers as one ``sj.layer_stack`` (one stacked kernel of
  ``(L, W, W)``, split the same way);
* ``wide``: 8 layers of 2048 x 2048 (128 MB of kernels), more than a device's share.

Each is timed sharded and unsharded (the same init without ``use``, all on one device),
with the store's bytes per device (``sj.sharding.bytes_by_device``: the most any one device
holds) and the peak of live bytes per device during init (all live arrays' shards summed
per device, sampled every ~2 ms in a thread, in a separate run from the timing).

Training (Adam, an MLP of 4 layers of width W, batch B, ``trainer.step`` inside
``use``) against a hand-written ``jax.jit`` step with the same shardings (params and
optimizer state donated, ``out_shardings`` = the input shardings, the batch split over
``data``): ``dp`` (mesh ``data: 8``, everything replicated), ``tp`` (mesh ``data: 2 x
model: 4``, Megatron-style: odd layers split by columns, even ones by rows), ``fsdp``
(mesh ``data: 8``, kernels split by rows over ``data``). Repetitions alternate the two in a
rotated order; the ratio (scopejax / hand-written) is taken per repetition, then the median.

Usage::

    .venv/bin/python bench/sharded.py              # the full run (a few minutes on 2 cores)
    .venv/bin/python bench/sharded.py --quick      # a smoke run (~40 s)
"""

from __future__ import annotations

import os
import sys

if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    _n = "8"
    for _i, _a in enumerate(sys.argv):  # --devices N (before JAX starts)
        if _a == "--devices" and _i + 1 < len(sys.argv):
            _n = sys.argv[_i + 1]
        elif _a.startswith("--devices="):
            _n = _a.split("=", 1)[1]
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={_n}"
    ).strip()

import argparse  # noqa: E402
import functools  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

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
    rotate,
    summarize,
    time_once,
    write_json,
)

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
GOAL_STEP_RATIO = 1.05  # scopejax step / hand-written jit step, each of dp, tp, fsdp
GOAL_INIT_S = 5.0  # the 1000-layer model's sharded init, seconds (issue 13)
GOAL_INIT_L = 1000


def rel(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- memory
class PeakSampler:
    """The largest sum of live array bytes per device, sampled in a thread."""

    def __init__(self, period_s: float = 0.002) -> None:
        self.period_s = period_s
        self.peak: dict[Any, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        # A sharded array's shards are live arrays of their own once looked at (by this
        # sampler, too): count each device buffer once, by its address, or every sharded
        # value counts twice.
        per: dict[Any, int] = {}
        seen: set[tuple[Any, int]] = set()
        for a in jax.live_arrays():
            try:
                for s in a.addressable_shards:
                    buffer = (s.device, s.data.unsafe_buffer_pointer())
                    if buffer not in seen:
                        seen.add(buffer)
                        per[s.device] = per.get(s.device, 0) + s.data.nbytes
            except Exception:  # deleted meanwhile
                continue
        for d, b in per.items():
            self.peak[d] = max(self.peak.get(d, 0), b)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.period_s)

    def __enter__(self) -> PeakSampler:
        self.base = {}
        self.sample()
        self.base, self.peak = dict(self.peak), {}
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def max_over_base(self) -> int:
        """The most any device held at once during the block, above what it held before."""
        return max((b - self.base.get(d, 0) for d, b in self.peak.items()), default=0)


# --------------------------------------------------------------------------- init
def mlp_model(layers: int, width: int) -> Callable[[jax.Array], jax.Array]:
    def fn(x: jax.Array) -> jax.Array:
        for i in range(layers):
            x = jnp.tanh(sj.layers.dense(x, width, name=f"l{i}"))
        return x

    return fn


def stack_model(layers: int, width: int) -> Callable[[jax.Array], jax.Array]:
    def fn(x: jax.Array) -> jax.Array:
        with sj.variable_scope("blocks"):
            return sj.layer_stack(layers, lambda h: jnp.tanh(sj.nn.Dense(width)(h)))(x)

    return fn


INIT_RULES = [("kernel$", P(None, "model")), (".*", P())]
STACK_RULES = [("kernel$", P(None, None, "model")), (".*", P())]


def init_cases(quick: bool) -> list[tuple[str, Callable, int, list]]:
    if quick:
        return [
            ("mlp100", mlp_model(100, 64), 64, INIT_RULES),
            ("stack100", stack_model(100, 64), 64, STACK_RULES),
            ("wide", mlp_model(4, 512), 512, INIT_RULES),
        ]
    return [
        ("mlp1000", mlp_model(1000, 64), 64, INIT_RULES),
        ("stack1000", stack_model(1000, 64), 64, STACK_RULES),
        ("wide", mlp_model(8, 2048), 2048, INIT_RULES),
    ]


def delete(tree: Any) -> None:
    for leaf in jax.tree.leaves(tree):
        if isinstance(leaf, jax.Array):
            leaf.delete()


def measure_init(name: str, fn: Callable, width: int, rules: list, mesh: Mesh, repeats: int):
    net = sj.transform(fn)
    x = jnp.ones([8, width])
    key = jax.random.key(0)

    def run(sharded: bool) -> sj.Store:
        if sharded:
            with sj.sharding.use(mesh, rules):
                return block(net.init(key, x))
        return block(net.init(key, x))

    out: dict[str, Any] = {}
    for sharded in (False, True):
        label = "sharded" if sharded else "unsharded"
        t0 = time.perf_counter()
        store = run(sharded)  # the first call compiles the draws
        first = time.perf_counter() - t0
        per_device = sj.sharding.bytes_by_device(store.flat().values())
        n_vars, nbytes = len(store.names()), store.nbytes
        delete(store)
        del store
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            delete(run(sharded))
            times.append(time.perf_counter() - t0)
        with PeakSampler() as sampler:
            store = run(sharded)
        delete(store)
        del store
        out[label] = {
            "first_call_s": first,
            "steady_s": summarize(times),
            "store_bytes_per_device_max": max(per_device.values()),
            "devices_holding": len(per_device),
            "peak_live_bytes_per_device": sampler.max_over_base(),
        }
    out["variables"], out["bytes"] = n_vars, nbytes
    print(f"  [init {name}] done", file=sys.stderr, flush=True)
    return out


# --------------------------------------------------------------------------- training
def loss_fn(x: jax.Array, y: jax.Array, layers: int, width: int) -> jax.Array:
    h = x
    for i in range(layers):
        h = jnp.tanh(sj.layers.dense(h, width, name=f"l{i}"))
    return jnp.mean((sj.layers.dense(h, 1, name="out")[:, 0] - y) ** 2)


def hand_loss(params: dict[str, jax.Array], x: jax.Array, y: jax.Array, layers: int):
    h = x
    for i in range(layers):
        h = jnp.tanh(h @ params[f"l{i}/kernel"] + params[f"l{i}/bias"])
    out = h @ params["out/kernel"] + params["out/bias"]
    return jnp.mean((out[:, 0] - y) ** 2)


def step_rules(kind: str, layers: int) -> list:
    if kind == "dp":
        return [(".*", P())]
    if kind == "fsdp":
        return [("l\\d+/kernel$", P("data")), (".*", P())]
    rules: list = []
    for i in range(layers):  # Megatron: column-split, then row-split, in pairs
        if i % 2 == 0:
            rules += [(f"^l{i}/kernel$", P(None, "model")), (f"^l{i}/bias$", P("model"))]
        else:
            rules += [(f"^l{i}/kernel$", P("model", None))]
    return [*rules, (".*", P())]


def step_mesh(kind: str, devices: Sequence[Any]) -> Mesh:
    n = len(devices)
    if kind == "tp":
        return Mesh(np.array(devices).reshape(2, n // 2), ("data", "model"))
    return Mesh(np.array(devices), ("data",))


def measure_step(kind: str, devices: Sequence[Any], args: argparse.Namespace) -> dict[str, Any]:
    layers, width, batch = args.step_layers, args.width, args.batch
    mesh = step_mesh(kind, devices)
    rules = step_rules(kind, layers)
    opt = optax.adam(1e-3)
    x = jax.random.normal(jax.random.key(1), (batch, width))
    y = jax.random.normal(jax.random.key(2), (batch,))
    trainer = sj.train.minimize(functools.partial(loss_fn, layers=layers, width=width), opt)
    with sj.sharding.use(mesh, rules):
        state = trainer.init(jax.random.key(0), x, y)
        xs, ys = sj.sharding.shard_batch((x, y))

    # the hand-written step: the same values, shardings, optimizer, donation
    params = {n: jnp.copy(v) for n, v in state.store.flat().items()}
    p_shard = {n: v.sharding for n, v in params.items()}
    replicated = NamedSharding(mesh, P())
    hopt = opt.init(params)
    o_shard = (hopt[0]._replace(count=replicated, mu=p_shard, nu=p_shard), hopt[1])
    hopt = jax.device_put(hopt, o_shard)

    @functools.partial(
        jax.jit,
        donate_argnums=(0, 1),
        out_shardings=(p_shard, o_shard, replicated),
    )
    def hand_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(hand_loss)(params, x, y, layers)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    box: dict[str, Any] = {"sj": state, "hand": (params, hopt)}

    def sj_steps() -> None:
        with sj.sharding.use(mesh, rules):
            s = box["sj"]
            for _ in range(args.steps):
                s, m = trainer.step(s, xs, ys)
            block(m["loss"])
            box["sj"] = s

    def hand_steps() -> None:
        p, o = box["hand"]
        for _ in range(args.steps):
            p, o, loss = hand_step(p, o, xs, ys)
        block(loss)
        box["hand"] = (p, o)

    # warm up (compile), and check both compute the same losses
    with sj.sharding.use(mesh, rules):
        s1, m1 = trainer.step(box["sj"], xs, ys)
    box["sj"] = s1
    p1, o1, l1 = hand_step(*box["hand"], xs, ys)
    box["hand"] = (p1, o1)
    np.testing.assert_allclose(float(m1["loss"]), float(l1), rtol=1e-4)
    for n, v in s1.store.flat().items():
        assert v.sharding.is_equivalent_to(p1[n].sharding, v.ndim), n
    contenders = {"scopejax": sj_steps, "handwritten": hand_steps}
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for r in range(args.repeats):
        for name in rotate(list(contenders), r):
            samples[name].append(time_once(contenders[name]) / args.steps)
    ratios = paired(samples["scopejax"], samples["handwritten"], lambda a, b: a / b)
    print(f"  [step {kind}] done", file=sys.stderr, flush=True)
    return {
        "mesh": dict(zip(mesh.axis_names, map(int, mesh.devices.shape), strict=True)),
        "scopejax_s": summarize(samples["scopejax"]),
        "handwritten_s": summarize(samples["handwritten"]),
        "ratio": summarize(ratios),
        "ratio_of_minima": min(samples["scopejax"]) / min(samples["handwritten"]),
        "samples": samples,
        "goal_pass": statistics.median(ratios) <= GOAL_STEP_RATIO,
    }


# --------------------------------------------------------------------------- report
def mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} KB"


def render(init: dict[str, Any], steps: dict[str, Any]) -> str:
    rows = []
    for name, r in init.items():
        for label in ("unsharded", "sharded"):
            c = r[label]
            rows.append(
                [
                    name,
                    label,
                    str(r["variables"]),
                    mb(r["bytes"]),
                    fmt(c["first_call_s"]),
                    fmt(c["steady_s"]["median"], 3),
                    mb(c["store_bytes_per_device_max"]),
                    mb(c["peak_live_bytes_per_device"]),
                ]
            )
    init_table = markdown_table(
        [
            "model",
            "init",
            "variables",
            "bytes",
            "first call s",
            "steady s",
            "store bytes/device (max)",
            "peak live bytes/device",
        ],
        rows,
    )
    step_rows = [
        [
            kind,
            " x ".join(f"{a}: {n}" for a, n in r["mesh"].items()),
            f"{r['scopejax_s']['median'] * 1e3:.2f}",
            f"{r['handwritten_s']['median'] * 1e3:.2f}",
            f"{r['ratio']['median']:.3f} (min {r['ratio']['min']:.3f})",
            f"{r['ratio_of_minima']:.3f}",
            "pass" if r["goal_pass"] else "FAIL",
        ]
        for kind, r in steps.items()
    ]
    step_table = markdown_table(
        [
            "step",
            "mesh",
            "scopejax ms",
            "hand-written jit ms",
            "paired ratio",
            "ratio of minima",
            f"<= {GOAL_STEP_RATIO}",
        ],
        step_rows,
    )
    return init_table + "\n\n" + step_table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke sizes, few repetitions")
    p.add_argument("--out", type=Path, default=None, help="JSON path (markdown beside it)")
    p.add_argument("--devices", type=int, default=8, help="devices in the mesh (default 8)")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--steps", type=int, default=None, help="steps per timed sample")
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--step-layers", type=int, default=4)
    p.add_argument("--skip-init", action="store_true")
    args = p.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 9)
    args.steps = args.steps or (5 if args.quick else 20)
    args.width = args.width or (128 if args.quick else 512)
    args.batch = args.batch or (64 if args.quick else 256)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    devices = jax.devices()[: args.devices]
    if len(devices) < args.devices:
        print(f"sharded: needs {args.devices} devices, found {len(devices)}", file=sys.stderr)
        return 1
    env = describe_environment(("jax", "jaxlib", "numpy", "optax", "scopejax"))
    env["git"] = git_state(REPO, "scopejax")
    env["devices"] = [str(d) for d in devices]
    kind = device_kind()
    print(
        f"# sharded on {len(devices)} x {kind} ({env['cpu']}, {env['cpu_count']} cores), "
        f"jax {env['versions']['jax']}",
        file=sys.stderr,
    )
    load_before = os.getloadavg()
    init_mesh = Mesh(np.array(devices), ("model",))
    init: dict[str, Any] = {}
    if not args.skip_init:
        for name, fn, width, rules in init_cases(args.quick):
            init[name] = measure_init(name, fn, width, rules, init_mesh, 1 if args.quick else 3)
    steps = {k: measure_step(k, devices, args) for k in ("dp", "tp", "fsdp")}
    big = next((r for n, r in init.items() if n == f"mlp{GOAL_INIT_L}"), None)
    goal = {
        "rule": (
            f"trainer.step / hand-written jax.jit step <= {GOAL_STEP_RATIO} for dp, tp and "
            f"fsdp; {GOAL_INIT_L}-layer sharded init (first call) < {GOAL_INIT_S} s"
        ),
        "steps_pass": all(r["goal_pass"] for r in steps.values()),
    }
    if big is not None:
        goal["init_pass"] = big["sharded"]["first_call_s"] < GOAL_INIT_S
    goal["goal_pass"] = all(v for k, v in goal.items() if k.endswith("_pass"))
    table = render(init, steps)
    load_after = os.getloadavg()
    note = (
        f"- {len(devices)} {'simulated ' if kind == 'cpu' else ''}{kind} devices"
        + (
            f" sharing the host's {env['cpu_count']} cores: collectives are memory copies "
            "and the devices compete for the same cores, so the step times show scopejax's "
            "overhead over the same XLA program, not a parallel speed-up"
            if kind == "cpu"
            else ""
        )
        + f"\n- training: Adam, {args.step_layers} layers of width {args.width} + a head, "
        f"batch {args.batch}, {args.steps} steps per sample, {args.repeats} paired samples"
        f"\n- load average (1/5/15 min, shared machine): "
        f"{'/'.join(f'{v:.1f}' for v in load_before)} at the start, "
        f"{'/'.join(f'{v:.1f}' for v in load_after)} at the end"
    )
    print(note + "\n\n" + table)
    out = args.out or RESULTS_DIR / f"sharded_{kind}{'_quick' if args.quick else ''}.json"
    options = {k: (rel(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    write_json(
        out,
        {
            "benchmark": "sharded",
            "environment": env,
            "options": options,
            "init": init,
            "steps": steps,
            "goal": goal,
            "load_average": {"before": load_before, "after": load_after},
        },
    )
    out.with_suffix(".md").write_text(note + "\n\n" + table + "\n")
    print(f"wrote {rel(out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
