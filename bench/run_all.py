"""run_all: every benchmark in ``bench/``, each in its own process, into one record per device.

Each ``bench/<name>.py`` (every module whose name does not start with ``_``, except this
runner) runs as a subprocess with its own ``--out`` (``bench/results/<device>/<name>.json``,
apart from the records a benchmark writes when run by hand) and ``--quick`` passed through.
Their JSON records are collected into ``bench/results/<device>.json``, and their markdown
(what each prints on stdout) into ``bench/results/<device>.md`` under a summary table naming
the device and library versions. ``--quick`` writes ``<device>_quick...`` instead, so a smoke
run never overwrites a full one.

Usage::

    .venv/bin/python bench/run_all.py              # full runs (tens of minutes on a CPU)
    .venv/bin/python -m bench --quick              # CI smoke run of every benchmark
    .venv/bin/python bench/run_all.py --only train_step --quick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
MODULES = ("jax", "jaxlib", "numpy", "optax", "scopejax", "haiku", "flax")

if __package__ in (None, ""):  # run as a script: make ``bench._common`` importable
    sys.path.insert(0, str(REPO))

from bench._common import markdown_table, write_json  # noqa: E402


def discover() -> list[str]:
    """Benchmark names: ``bench/*.py`` not starting with ``_``, minus this runner."""
    return sorted(
        p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_") and p.stem != "run_all"
    )


def probe_environment() -> dict[str, Any]:
    """Device and versions, asked of a child process (the runner never initialises a backend,
    so on a GPU it holds no device memory while the benchmarks run)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from bench._common import describe_environment, device_kind, git_state; "
        f"env = describe_environment({MODULES!r}); env['device'] = device_kind(); "
        "from pathlib import Path; env['git'] = git_state(Path(sys.argv[1]), 'scopejax'); "
        "print(json.dumps(env))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def goal_summary(data: Any) -> str:
    """``pass`` / ``FAIL (k of n)`` from a record's goal fields, whatever their layout."""
    statuses: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "status" and isinstance(v, str):
                    statuses.append(v)
                elif k == "goal_pass" and isinstance(v, bool):
                    statuses.append("pass" if v else "FAIL")
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    if isinstance(data, dict):
        walk({k: v for k, v in data.items() if k in ("goal", "goal_pass")})
    checked = [s for s in statuses if s in ("pass", "FAIL")]
    if not checked:
        return "–"
    fails = checked.count("FAIL")
    return "pass" if not fails else f"FAIL ({fails} of {len(checked)})"


def run_one(name: str, out: Path, quick: bool, timeout: float) -> dict[str, Any]:
    """Run ``bench/<name>.py --out out [--quick]``; stdout is echoed and kept."""
    cmd = [sys.executable, str(BENCH_DIR / f"{name}.py"), "--out", str(out)]
    if quick:
        cmd.append("--quick")
    print(f"## {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    if out.exists():
        out.unlink()  # never collect a stale record
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, stdout=subprocess.PIPE, text=True, cwd=REPO, timeout=timeout, check=False
        )
        rc, stdout = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        rc = "timeout"
        stdout = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
    seconds = time.perf_counter() - start
    sys.stdout.write(stdout)
    sys.stdout.flush()
    record: Any = None
    if out.exists():
        record = json.loads(out.read_text())
    return {
        "command": cmd[1:],
        "returncode": rc,
        "seconds": round(seconds, 1),
        "json": str(out.relative_to(REPO)) if out.is_relative_to(REPO) else str(out),
        "goal": goal_summary(record),
        "stdout": stdout,
        "record": record,
    }


def render(env: dict[str, Any], runs: dict[str, dict[str, Any]], quick: bool) -> str:
    """The device's markdown page: environment, summary table, each benchmark's output."""
    v = env["versions"]
    git = env.get("git") or {}
    commit = (git.get("commit") or "?")[:7] + (" (dirty)" if git.get("dirty") else "")
    lines = [
        f"# Benchmarks on {env['device_kind']} ({env['backend']}){' — quick' if quick else ''}",
        "",
        f"- device: {env['device_kind']} × {env['device_count']}, host CPU {env['cpu']} "
        f"({env['cpu_count']} cores), {env['platform']}",
        f"- python {env['python']}; " + ", ".join(f"{m} {v.get(m) or 'n/a'}" for m in MODULES),
        f"- scopejax commit {commit}; date {env['date']}",
        "",
    ]
    rows = [
        [name, str(r["returncode"]), f"{r['seconds']:.0f}", r["goal"], f"`{r['json']}`"]
        for name, r in runs.items()
    ]
    lines.append(markdown_table(["benchmark", "exit", "wall s", "goal", "record"], rows))
    for name, r in runs.items():
        body = "\n".join(
            "##" + line if line.startswith("#") else line  # nest the benchmark's own headings
            for line in r["stdout"].strip().splitlines()
        )
        lines += ["", f"## {name}", "", body or "(no output)"]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    p.add_argument("--only", nargs="+", default=None, help="benchmark names to run")
    p.add_argument("--skip", nargs="+", default=[], help="benchmark names to leave out")
    p.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per benchmark")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; exit 1 if any failed (non-zero exit, timeout or no record)."""
    args = parse_args(argv)
    names = discover()
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {unknown}; found {names}")
        names = [n for n in names if n in args.only]
    names = [n for n in names if n not in args.skip]
    env = probe_environment()
    suffix = "_quick" if args.quick else ""
    device = env["device"]
    runs: dict[str, dict[str, Any]] = {}
    for name in names:
        out = args.results_dir / f"{device}{suffix}" / f"{name}.json"
        runs[name] = run_one(name, out, args.quick, args.timeout)
    markdown = render(env, runs, args.quick)
    payload = {
        "benchmark": "run_all",
        "environment": env,
        "quick": args.quick,
        "benchmarks": {
            n: {k: v for k, v in r.items() if k != "stdout"} | {"markdown": r["stdout"]}
            for n, r in runs.items()
        },
    }
    base = args.results_dir / f"{device}{suffix}"
    write_json(base.with_suffix(".json"), payload)
    md = base.with_suffix(".md")
    md.write_text(markdown)
    print(f"\nwrote {base.with_suffix('.json')} and {md}", file=sys.stderr)
    for name, r in runs.items():
        print(
            f"  {name}: exit {r['returncode']}, {r['seconds']:.0f} s, goal {r['goal']}",
            file=sys.stderr,
        )
    failed = [n for n, r in runs.items() if r["returncode"] != 0 or r["record"] is None]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
