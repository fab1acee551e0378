"""The README's profiling recipe: jax.profiler.trace of a jitted step names ops by scope."""

from __future__ import annotations

import gzip
import json

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj


@pytest.mark.slow
def test_profiler_trace_of_a_jitted_step_carries_scope_names(tmp_path):
    def model(x):
        with sj.variable_scope("model"):
            h = sj.layers.dense(x, 8, activation=jax.nn.relu, name="l1")
            return sj.layers.dense(h, 1, name="l2")

    net = sj.transform(model)
    x = jnp.ones([4, 3])
    store = net.init(jax.random.key(0), x)
    step = jax.jit(net.apply)
    step(store, x).block_until_ready()
    with jax.profiler.trace(str(tmp_path)):
        step(store, x).block_until_ready()

    runs = list((tmp_path / "plugins" / "profile").iterdir())
    assert len(runs) == 1
    xplanes = list(runs[0].glob("*.xplane.pb"))
    assert len(xplanes) == 1
    # XPlane is a protobuf of the compiled HLO, whose op metadata names each op by its
    # name-scope path; protobuf stores strings as raw UTF-8, so they can be found in the bytes.
    data = xplanes[0].read_bytes()
    for name in (b"model/l1/dot_general", b"model/l2/dot_general", b"model/l1/kernel"):
        assert name in data, name
    # the Chrome trace beside it (when written) is valid JSON naming the jitted step
    for path in runs[0].glob("*.trace.json.gz"):
        events = json.loads(gzip.decompress(path.read_bytes()))["traceEvents"]
        assert any("model_apply" in str(e.get("name", "")) for e in events)
