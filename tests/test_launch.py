"""``python -m scopejax.launch``: 2 processes x 4 CPU devices on loopback train like one
process with 8 devices, and a failed worker is a clear failure with its log, not a hang."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from test_sharding import device_env

from scopejax import checkpoint as ck
from scopejax.launch import launch

ROOT = Path(__file__).resolve().parent.parent
WORKER = str(ROOT / "tests" / "launch_worker.py")
TIMEOUT_S = 300

# subprocesses with simulated devices, tens of seconds each: the full suite only
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _this_checkout(monkeypatch):
    """The workers import scopejax from this checkout (their sys.path[0] is tests/)."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def parse(log: str, tag: str) -> list:
    line = next(ln for ln in log.splitlines() if ln.startswith(tag + " "))
    return json.loads("[" + line[len(tag) + 1 :].replace(" ", ",") + "]")


def test_two_processes_train_like_one_with_8_devices(tmp_path):
    """... and save one checkpoint (each process its own shards) that one process restores."""
    status, logs = launch(
        WORKER,
        ["--save", str(tmp_path / "two")],
        num_processes=2,
        devices_per_process=4,
        timeout=TIMEOUT_S,
        log_dir=tmp_path,
    )
    texts = [log.read_text() for log in logs]
    assert status == 0, "\n".join(texts)[-6000:]
    one = subprocess.run(
        [sys.executable, WORKER, "--save", str(tmp_path / "one")],
        cwd=ROOT,
        env=device_env(8),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert one.returncode == 0, one.stdout[-4000:] + one.stderr[-4000:]
    assert parse(texts[0], "DEVICES") == [8, 2] and parse(texts[1], "DEVICES") == [8, 2]
    assert parse(one.stdout, "DEVICES") == [8, 1]
    want = json.loads(next(ln for ln in one.stdout.splitlines() if ln.startswith("LOSSES"))[7:])
    for text in texts:
        got = json.loads(next(ln for ln in text.splitlines() if ln.startswith("LOSSES"))[7:])
        np.testing.assert_allclose(got, want, rtol=1e-5)
        restored = next(ln for ln in text.splitlines() if ln.startswith("RESTORED")).split()
        assert float(restored[1]) == 0.0 and "data" in restored[2], restored
    # every process wrote its own shards; the metadata has one CRC-32C per distinct shard
    arrays = tmp_path / "two" / "arrays"
    assert {p.name for p in arrays.glob("ocdbt.process_*")} == {
        "ocdbt.process_0",
        "ocdbt.process_1",
    }
    meta = json.loads((tmp_path / "two" / "scopejax" / "scopejax.json").read_text())
    kernel = next(v for v in meta["variables"] if v["name"] == "d1/kernel")
    assert kernel["crc32c"] is None and len(kernel["shards"]) == 8, kernel
    # one process (1 device here) restores the 2-process checkpoint: equal to the 1-process one
    two, one = ck.restore(tmp_path / "two"), ck.restore(tmp_path / "one")
    assert two.step == one.step == 3 and two.store.names() == one.store.names()
    for name in one.store.names():
        np.testing.assert_allclose(two.store[name], one.store[name], rtol=1e-5, atol=1e-7)
    for a, b in zip(jax.tree.leaves(two.opt_state), jax.tree.leaves(one.opt_state), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_failed_worker_stops_the_others_and_shows_its_log(tmp_path, capsys):
    status, _ = launch(
        WORKER,
        ["--fail", "1"],
        num_processes=2,
        devices_per_process=4,
        timeout=TIMEOUT_S,
        log_dir=tmp_path,
    )
    err = capsys.readouterr().err
    assert status not in (0, 124), err
    assert "process 1 failed" in err and "worker 1 fails on purpose" in err


def test_timeout_stops_every_process(tmp_path, capsys):
    script = tmp_path / "sleep.py"
    script.write_text("import time\ntime.sleep(60)\n")
    status, _ = launch(str(script), num_processes=2, timeout=1.0, log_dir=tmp_path)
    assert status == 124
    assert "timed out after 1.0 s" in capsys.readouterr().err


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_processes must be >= 1"):
        launch(WORKER, num_processes=0)
