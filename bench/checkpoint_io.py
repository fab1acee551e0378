"""checkpoint_io: save and restore throughput of scopejax.checkpoint vs plain orbax and np.savez.

One store of ``--layers`` dense layers (``--width`` x ``--width`` float32 kernels plus biases;
200 MB by default), saved and restored by:

* ``scopejax``: ``sj.checkpoint.save(path, store)`` -- host copy, a CRC-32C per array, orbax
  (tensorstore/OCDBT) into a staging directory, JSON metadata, atomic rename -- and
  ``sj.checkpoint.restore(path)`` (a Store of jax arrays, every checksum verified);
  ``scopejax_noverify`` restores with ``verify=False``; ``scopejax_async`` is
  ``CheckpointManager(async_save=True).save``: the time until it returns (values copied to
  host) and, separately, until the write is finished;
* ``orbax``: ``ocp.Checkpointer(ocp.StandardCheckpointHandler())`` on the same tree (the
  ``{name: array}`` dict), restored into ``jax.ShapeDtypeStruct`` targets (jax arrays);
* ``npz``: ``np.savez`` of the same dict, ``np.load`` and ``jnp.asarray`` of every array.

Every repetition runs every contender back to back in a rotated order, each into a fresh
directory (deleted afterwards); throughput = store bytes / median time; ratios to ``orbax``
are per repetition (paired), then their median. Restores read files that were just written,
so they come from the OS page cache: these are not cold-disk figures.

Usage::

    .venv/bin/python bench/checkpoint_io.py              # 200 MB, 5 repeats
    .venv/bin/python bench/checkpoint_io.py --quick      # CI smoke run (2 MB, 2 repeats)
    .venv/bin/python bench/checkpoint_io.py --layers 24 --width 2048 --dir /fast/disk
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

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
    write_json,
)
from scopejax._src.checkpoint.format import digest_many  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASELINE = "orbax"


CHECKSUMS = ("crc32c", "sha256")


def make_store(layers: int, width: int) -> Any:
    import scopejax as sj

    rng = np.random.default_rng(0)
    values = {}
    for i in range(layers):
        values[f"model/layer_{i}/kernel"] = jnp.asarray(
            rng.standard_normal((width, width), dtype=np.float32)
        )
        values[f"model/layer_{i}/bias"] = jnp.zeros((width,), jnp.float32)
    return block(sj.Store(values))


# -- contenders: each save(path) / restore(path) -> values ---------------------------------------
def scopejax_ops(store: Any) -> dict[str, tuple[Callable, Callable] | None]:
    from scopejax import checkpoint as ck

    def save(p: Path) -> None:
        ck.save(p, store)

    def restore(p: Path) -> Any:
        return block(ck.restore(p).store)

    def restore_noverify(p: Path) -> Any:
        return block(ck.restore(p, verify=False).store)

    return {"scopejax": (save, restore), "scopejax_noverify": (save, restore_noverify)}


def orbax_ops(store: Any) -> tuple[Callable, Callable]:
    import orbax.checkpoint as ocp

    tree = store.flat()
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    abstract = {
        k: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=sharding) for k, v in tree.items()
    }
    ckptr = ocp.Checkpointer(ocp.StandardCheckpointHandler())

    def save(p: Path) -> None:
        ckptr.save(p, args=ocp.args.StandardSave(tree))

    def restore(p: Path) -> Any:
        return block(ckptr.restore(p, args=ocp.args.StandardRestore(abstract)))

    return save, restore


def npz_ops(store: Any) -> tuple[Callable, Callable]:
    tree = store.flat()

    def save(p: Path) -> None:
        np.savez(p.with_suffix(".npz"), **{k: np.asarray(v) for k, v in tree.items()})

    def restore(p: Path) -> Any:
        with np.load(p.with_suffix(".npz")) as f:
            return block({k: jnp.asarray(f[k]) for k in f.files})

    return save, restore


def async_save_op(store: Any) -> Callable[[Path], tuple[float, float]]:
    """CheckpointManager(async_save=True).save: (seconds until it returns, until written)."""
    from scopejax import checkpoint as ck

    def run(p: Path) -> tuple[float, float]:
        mgr = ck.CheckpointManager(p, async_save=True)
        start = perf_counter()
        mgr.save(0, store)
        returned = perf_counter() - start
        mgr.wait()
        total = perf_counter() - start
        mgr.close()
        return returned, total

    return run


def _clear(p: Path) -> None:
    shutil.rmtree(p, ignore_errors=True)
    p.with_suffix(".npz").unlink(missing_ok=True)


def measure(store: Any, repeats: int, workdir: Path, verbose: bool) -> dict[str, Any]:
    """Samples (seconds) of every save and restore, interleaved and rotated."""
    ops: dict[str, tuple[Callable, Callable]] = {}
    ops.update(scopejax_ops(store))
    ops["orbax"] = orbax_ops(store)
    ops["npz"] = npz_ops(store)
    async_save = async_save_op(store)
    names = list(ops)
    save_s: dict[str, list[float]] = {n: [] for n in names if n != "scopejax_noverify"}
    restore_s: dict[str, list[float]] = {n: [] for n in names}
    async_s: dict[str, list[float]] = {"returns": [], "written": []}
    reference = {k: np.asarray(v) for k, v in store.flat().items()}
    checksum_s: dict[str, list[float]] = {algo: [] for algo in CHECKSUMS}
    for r in range(-1, repeats):  # r = -1: warm-up (imports, compilation), not recorded
        for name in rotate(names, max(r, 0)):
            save, restore = ops[name]
            p = workdir / f"{name}_{r}"
            _clear(p)
            t0 = perf_counter()
            save(p)
            t1 = perf_counter()
            got = restore(p)
            t2 = perf_counter()
            if r < 0:  # check once that every contender round-trips the values
                flat = got.flat() if hasattr(got, "flat") else got
                for k, v in reference.items():
                    np.testing.assert_array_equal(np.asarray(flat[k]), v, err_msg=f"{name}: {k}")
            else:
                if name in save_s:
                    save_s[name].append(t1 - t0)
                restore_s[name].append(t2 - t1)
            _clear(p)
            del got
        for algo in CHECKSUMS:  # what verification costs: every array's checksum
            t0 = perf_counter()
            digest_many(reference.values(), algo)
            if r >= 0:
                checksum_s[algo].append(perf_counter() - t0)
        p = workdir / f"async_{r}"
        _clear(p)
        returned, written = async_save(p)
        _clear(p)
        if r >= 0:
            async_s["returns"].append(returned)
            async_s["written"].append(written)
        if verbose:
            print(f"repeat {r}: done", file=sys.stderr, flush=True)
    return {"save": save_s, "restore": restore_s, "async": async_s, "checksum": checksum_s}


def analyse(samples: dict[str, Any], nbytes: int) -> dict[str, Any]:
    mb = nbytes / 1e6
    out: dict[str, Any] = {}
    for op in ("save", "restore"):
        base = samples[op][BASELINE]
        out[op] = {}
        for name, s in samples[op].items():
            stat = summarize(s)
            ratio = summarize(paired(s, base, lambda a, b: a / b))["median"]
            out[op][name] = {
                "seconds": stat,
                "samples": s,
                "mb_per_s": mb / stat["median"],
                "time_ratio_to_orbax": ratio,
            }
    out["checksum"] = {
        algo: {
            "seconds": summarize(s),
            "samples": s,
            "mb_per_s": mb / summarize(s)["median"],
            "time_ratio_to_orbax_save": summarize(
                paired(s, samples["save"][BASELINE], lambda a, b: a / b)
            )["median"],
        }
        for algo, s in samples["checksum"].items()
    }
    a = samples["async"]
    out["async_save"] = {
        "returns": summarize(a["returns"]),
        "written": summarize(a["written"]),
        "samples": a,
        "mb_per_s_written": mb / summarize(a["written"])["median"],
    }
    return out


def render(results: dict[str, Any], nbytes: int, nvars: int, repeats: int, env: dict) -> str:
    lines = [
        f"# checkpoint_io on {env['device_kind']} ({env['cpu']}, {env['cpu_count']} cores)",
        "",
        f"Store: {nvars} variables, {nbytes / 1e6:.1f} MB float32; {repeats} interleaved "
        "repetitions; medians; time ratios to plain orbax are per repetition (paired).",
        "",
    ]
    rows = []
    for op in ("save", "restore"):
        for name, r in results[op].items():
            rows.append(
                [
                    f"{op}: {name}",
                    fmt(r["seconds"]["median"], 3),
                    fmt(r["seconds"]["min"], 3),
                    fmt(r["mb_per_s"], 0),
                    fmt(r["time_ratio_to_orbax"], 2) + "×",
                ]
            )
    a = results["async_save"]
    rows.append(
        [
            "save: scopejax async (returns)",
            fmt(a["returns"]["median"], 3),
            fmt(a["returns"]["min"], 3),
            "–",
            "–",
        ]
    )
    rows.append(
        [
            "save: scopejax async (written)",
            fmt(a["written"]["median"], 3),
            fmt(a["written"]["min"], 3),
            fmt(a["mb_per_s_written"], 0),
            "–",
        ]
    )
    for algo, c in results["checksum"].items():
        rows.append(
            [
                f"checksum every array: {algo}"
                + (" (format 2)" if algo == "crc32c" else " (format 1)"),
                fmt(c["seconds"]["median"], 3),
                fmt(c["seconds"]["min"], 3),
                fmt(c["mb_per_s"], 0),
                fmt(c["time_ratio_to_orbax_save"], 2) + "× of a save",
            ]
        )
    lines.append(markdown_table(["operation", "median s", "min s", "MB/s", "time × orbax"], rows))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2 MB, 2 repeats (CI smoke run)")
    p.add_argument("--layers", type=int, default=None, help="dense layers (48; quick: 8)")
    p.add_argument("--width", type=int, default=None, help="kernel width (1024; quick: 256)")
    p.add_argument("--repeats", type=int, default=None, help="repetitions (5; quick: 2)")
    p.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    p.add_argument("--out", type=Path, default=None, help="JSON path (markdown beside it)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    args.layers = args.layers or (8 if args.quick else 48)
    args.width = args.width or (256 if args.quick else 1024)
    args.repeats = args.repeats or (2 if args.quick else 5)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = describe_environment(("jax", "jaxlib", "numpy", "orbax.checkpoint", "scopejax"))
    env["git"] = git_state(Path(__file__).resolve().parent.parent, "scopejax/checkpoint")
    store = make_store(args.layers, args.width)
    nbytes, nvars = store.nbytes, len(store.names())
    print(f"# checkpoint_io: {nvars} variables, {nbytes / 1e6:.1f} MB", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="checkpoint_io_", dir=args.dir))
    try:
        samples = measure(store, args.repeats, workdir, args.verbose)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = analyse(samples, nbytes)
    markdown = render(results, nbytes, nvars, args.repeats, env)
    print(markdown, flush=True)
    suffix = "_quick" if args.quick else ""
    out = args.out or RESULTS_DIR / f"checkpoint_io_{device_kind()}{suffix}.json"
    payload = {
        "benchmark": "checkpoint_io",
        "environment": env,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "store": {"variables": nvars, "bytes": nbytes},
        "results": results,
        "markdown": markdown,
    }
    write_json(out, payload)
    out.with_suffix(".md").write_text(markdown + "\n")
    print(f"wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
