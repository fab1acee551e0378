"""Run a script in N local processes that form one JAX cluster, to try multi-process code.

``python -m scopejax.launch -n 2 --devices-per-process 4 train.py [args]`` starts
``train.py`` twice. Each process gets ``jax.distributed``'s environment: the
coordinator's address (``JAX_COORDINATOR_ADDRESS``, a free loopback port), the number of
processes and its index (``SCOPEJAX_NUM_PROCESSES``, ``SCOPEJAX_PROCESS_ID``), and on a CPU
``XLA_FLAGS=--xla_force_host_platform_device_count=4``. The script calls
:func:`initialize` before it uses JAX (a no-op when it is not launched), then runs the
same code as on one process: ``jax.devices()`` lists all 8 devices, and a mesh over them
under ``sj.sharding.use`` trains and saves across both processes.

This is a thin launcher for one machine, not a scheduler: each process's output goes to
its own log (``--log-dir``, default a temporary folder), printed with a ``[i]`` prefix when
all are done. If one exits with an error, the others are stopped and its log is printed;
``--timeout`` stops them all. A real cluster starts one process per host with its own
tools (SLURM, Kubernetes, ``mpirun``) and calls ``jax.distributed.initialize`` there.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NUM_PROCESSES = "SCOPEJAX_NUM_PROCESSES"
PROCESS_ID = "SCOPEJAX_PROCESS_ID"
COORDINATOR = "JAX_COORDINATOR_ADDRESS"


def initialize() -> bool:
    """Join the cluster :func:`main` started (``jax.distributed.initialize``), if any.

    Call it first in a script run by ``python -m scopejax.launch``, before any JAX
    computation. On a CPU it selects gloo for the collectives across processes.

    Returns:
      True when this process was started by the launcher and joined its cluster; False
      (and nothing done) otherwise.
    """
    n = os.environ.get(NUM_PROCESSES)
    if not n:
        return False
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=os.environ[COORDINATOR],
        num_processes=int(n),
        process_id=int(os.environ[PROCESS_ID]),
    )
    sys.excepthook = _exit_at_once
    return True


def _exit_at_once(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    """An uncaught error in a launched process: print it and exit now.

    A normal exit would first wait in ``jax.distributed``'s shutdown for the other
    processes (tens of seconds until it times out); the launcher stops them instead.
    """
    sys.__excepthook__(kind, value, tb)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(i: int, n: int, port: int, devices: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env[COORDINATOR] = f"127.0.0.1:{port}"
    env[NUM_PROCESSES] = str(n)
    env[PROCESS_ID] = str(i)
    if devices is not None:
        flags = re.sub(r"--xla_force_host_platform_device_count=\S+", "", env.get("XLA_FLAGS", ""))
        env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    return env


def _tail(path: Path, chars: int = 6000) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text if len(text) <= chars else "...\n" + text[-chars:]


def launch(
    script: str,
    args: Sequence[str] = (),
    *,
    num_processes: int = 2,
    devices_per_process: int | None = None,
    timeout: float | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    port: int | None = None,
) -> tuple[int, list[Path]]:
    """Run ``python script *args`` in ``num_processes`` processes of one JAX cluster.

    Args:
      script: the Python script each process runs (it calls :func:`initialize`).
      args: its arguments.
      num_processes: how many processes.
      devices_per_process: CPU devices each simulates (``XLA_FLAGS``); None leaves them.
      timeout: seconds before all are stopped (None: no limit).
      log_dir: where each process's log goes (``process_<i>.log``); default a new
        temporary folder.
      port: the coordinator's loopback port (default: a free one).

    Returns:
      ``(exit status, log paths)``: 0 when every process succeeded, else the first
      failure's status (124 on timeout).
    """
    if num_processes < 1:
        raise ValueError(f"launch: num_processes must be >= 1, got {num_processes}.")
    logs_at = Path(log_dir or tempfile.mkdtemp(prefix="scopejax-launch-"))
    logs_at.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    logs = [logs_at / f"process_{i}.log" for i in range(num_processes)]
    procs = []
    for i, log in enumerate(logs):
        with open(log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, script, *args],
                    env=_env(i, num_processes, port, devices_per_process),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = None if timeout is None else time.monotonic() + timeout
    status = 0
    try:
        while True:
            codes = [p.poll() for p in procs]
            failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                # a failure often brings the others down with it (their collectives time
                # out): give them a moment, then show every failed process's log
                time.sleep(1.0)
                codes = [p.poll() for p in procs]
                failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
                status = failed[0][1]
                for i, code in failed:
                    sys.stderr.write(
                        f"scopejax.launch: process {i} failed (exit {code}); its log "
                        f"({logs[i]}):\n{_tail(logs[i])}\n"
                    )
                sys.stderr.write("scopejax.launch: stopping the other processes.\n")
                break
            if all(c == 0 for c in codes):
                break
            if deadline is not None and time.monotonic() > deadline:
                status = 124
                running = [i for i, c in enumerate(codes) if c is None]
                sys.stderr.write(
                    f"scopejax.launch: timed out after {timeout} s; processes {running} were "
                    f"still running. Process {running[0]}'s log ({logs[running[0]]}):\n"
                    f"{_tail(logs[running[0]])}\n"
                )
                break
            time.sleep(0.1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return status, logs


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scopejax.launch -n N [--devices-per-process D] script.py [args]``."""
    p = argparse.ArgumentParser(
        prog="python -m scopejax.launch",
        description="Run a script in N local processes forming one JAX cluster.",
    )
    p.add_argument("-n", "--num-processes", type=int, default=2)
    p.add_argument("--devices-per-process", type=int, default=None, help="simulated CPU devices")
    p.add_argument("--timeout", type=float, default=None, help="seconds before stopping all")
    p.add_argument("--log-dir", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    status, logs = launch(
        a.script,
        a.args,
        num_processes=a.num_processes,
        devices_per_process=a.devices_per_process,
        timeout=a.timeout,
        log_dir=a.log_dir,
        port=a.port,
    )
    if status == 0:
        for i, log in enumerate(logs):
            for line in log.read_text(errors="replace").splitlines():
                print(f"[{i}] {line}")
    return status


if __name__ == "__main__":
    sys.exit(main())
