"""Runs the sharding cases (``tests/sharding*_cases.py``) on 8 simulated CPU devices.

``XLA_FLAGS=--xla_force_host_platform_device_count=8`` only takes effect before JAX
starts its backend, and the rest of the suite (and the notebooks it executes) should
keep seeing the machine as it is. So each cases file runs in a pytest subprocess with
the flag set, under a timeout; a failure or a timeout fails here with the
subprocess's log, and the command to rerun it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p.name for p in (ROOT / "tests").glob("sharding*_cases.py"))
DEVICES = 8
TIMEOUT_S = 600

# subprocesses with simulated devices, tens of seconds each: the full suite only
pytestmark = pytest.mark.slow


def device_env(n: int = DEVICES) -> dict[str, str]:
    """This process's environment with ``n`` host devices forced (other XLA flags kept)."""
    env = dict(os.environ)
    flags = re.sub(r"--xla_force_host_platform_device_count=\S+", "", env.get("XLA_FLAGS", ""))
    env["XLA_FLAGS"] = f"{flags.strip()} --xla_force_host_platform_device_count={n}".strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _tail(text: str | bytes | None, n: int = 12000) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return text if len(text) <= n else "...\n" + text[-n:]


@pytest.mark.parametrize("cases", CASES)
def test_sharding_cases_on_8_devices(cases: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        f"tests/{cases}",  # -q comes from the addopts
        "-p",
        "no:cacheprovider",
        "--tb=short",
        "-rfE",
        "-W",
        "error::pytest.PytestUnraisableExceptionWarning",
    ]
    rerun = f"XLA_FLAGS=--xla_force_host_platform_device_count={DEVICES} " + " ".join(
        ["python", *cmd[1:4]]
    )
    try:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=device_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(
            f"{cases} did not finish in {TIMEOUT_S} s on {DEVICES} simulated devices; its "
            f"log so far:\n{_tail(e.stdout)}\n{_tail(e.stderr, 4000)}\nRerun: {rerun}",
            pytrace=False,
        )
    log = proc.stdout + ("\n" + proc.stderr if proc.stderr.strip() else "")
    if proc.returncode != 0:
        pytest.fail(
            f"{cases} failed on {DEVICES} simulated devices (exit {proc.returncode}):\n"
            f"{_tail(log)}\nRerun: {rerun}",
            pytrace=False,
        )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert " passed" in summary and "skipped" not in summary, (
        f"{cases} ran, but not fully on {DEVICES} devices: {summary!r}\n{_tail(log)}"
    )
