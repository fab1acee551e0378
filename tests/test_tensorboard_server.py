"""A real TensorBoard server (a subprocess, no TensorFlow) reads what sj.summary wrote: the
graph's scope and variable nodes and edges, scalars and histograms, through its HTTP data API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj

pytest.importorskip("tensorboard")
pytestmark = pytest.mark.slow

DEADLINE_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model(x):
    with sj.variable_scope("model"):
        h = sj.layers.dense(x, 4, activation=jnp.tanh, name="l1")
        with sj.variable_scope("blocks"):
            h = sj.layer_stack(2, lambda h: jnp.tanh(sj.nn.Dense(4)(h)))(h)
        return sj.layers.dense(h, 1, name="l2")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(get(path) -> bytes)`` against a TensorBoard serving two runs: ``graph`` and ``train``."""
    logdir = tmp_path_factory.mktemp("tb")
    net = sj.transform(model)
    x = jnp.ones([2, 3])
    store = net.init(jax.random.key(0), x)
    sj.summary.write_graph(logdir / "graph", net.apply, store, x)
    with sj.summary.create_file_writer(logdir / "train") as w:
        for step in range(5):
            w.scalar("loss", 1.0 / (step + 1), step)
        w.histogram("weights", np.arange(100.0), step=4, buckets=5)
    port = free_port()
    log_path = logdir.parent / f"tensorboard_{port}.log"
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1",
        "--port", str(port), "--load_fast", "false", "--reload_interval", "1",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def server_log() -> str:
        log.flush()
        return log_path.read_text()[-4000:]

    def get(path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return bytes(r.read())

    try:
        end = time.monotonic() + DEADLINE_S
        runs: list = []
        while time.monotonic() < end:
            if proc.poll() is not None:
                pytest.fail(f"TensorBoard exited with {proc.returncode}; its log:\n{server_log()}")
            try:
                runs = json.loads(get("/data/runs"))
                if {"graph", "train"} <= set(runs):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        else:
            pytest.fail(
                f"TensorBoard did not list the runs within {DEADLINE_S:.0f} s (runs: {runs}; "
                f"{' '.join(cmd)}); its log:\n{server_log()}"
            )
        get.log = server_log  # type: ignore[attr-defined]
        yield get
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def poll(get, path: str, ready) -> bytes:
    """GET ``path`` until ``ready(body)`` (the server loads runs in the background)."""
    end = time.monotonic() + DEADLINE_S
    body = b""
    while time.monotonic() < end:
        try:
            body = get(path)
            if ready(body):
                return body
        except urllib.error.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{path} never became ready; last body {body[:500]!r}; log:\n{get.log()}")


def test_graph_has_scope_nodes_variables_and_edges(server):
    from google.protobuf import text_format
    from tensorboard.compat.proto import graph_pb2

    body = poll(
        server, "/data/plugin/graphs/graph?run=graph&conceptual=false", lambda b: b"node" in b
    )
    g = text_format.Parse(body.decode(), graph_pb2.GraphDef())
    nodes = {n.name: n for n in g.node}
    # variable_scope("model") names the variables and the ops: TF1's picture, variables
    # inside their scope's box
    assert nodes["model/l1/kernel"].op == "VariableV2"
    assert [d.size for d in nodes["model/l1/kernel"].attr["shape"].shape.dim] == [3, 4]
    stacked = nodes["model/blocks/dense/kernel"]
    assert stacked.op == "VariableV2"
    assert [d.size for d in stacked.attr["shape"].shape.dim] == [2, 4, 4]
    assert set(nodes["model/l1/dot_general"].input) == {"inputs/1", "model/l1/kernel"}
    tops = {n.split("/")[1] for n in nodes if n.startswith("model/")}
    assert {"l1", "blocks", "l2"} <= tops
    # the layer stack: one loop box under its scope, the block once inside
    inner = [n for n in nodes if n.startswith("model/blocks/scan/body/")]
    assert sum(n.endswith("dot_general") for n in inner) == 1
    dot = next(n for n in inner if n.endswith("dot_general"))
    assert "model/blocks/dense/kernel" in nodes[dot].input


def test_scalars_and_histograms_are_served(server):
    q = urllib.parse.urlencode({"run": "train", "tag": "loss"})
    body = poll(server, f"/data/plugin/scalars/scalars?{q}", lambda b: len(json.loads(b)) == 5)
    points = json.loads(body)
    assert [p[1] for p in points] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([p[2] for p in points], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rtol=1e-6)
    q = urllib.parse.urlencode({"run": "train", "tag": "weights"})
    body = poll(server, f"/data/plugin/histograms/histograms?{q}", lambda b: len(json.loads(b)))
    ((_, step, buckets),) = json.loads(body)
    assert step == 4 and len(buckets) == 5 and sum(b[2] for b in buckets) == 100
    assert buckets[0][0] == 0.0 and buckets[-1][1] == 99.0
