"""``scopejax.compat.v1.summary`` against TF1's graph-mode summaries
(``tests/compat_recordings/record_summary.py``): tags, order, collections, values."""

from __future__ import annotations

import glob
import json
import os
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from summary_cases import PROGRAMS, X  # noqa: E402

RECORDED = json.loads((HERE / "summary.json").read_text())["programs"]


def _run(fn, jit=False):
    net = sj.transform(lambda x: fn(tf, x))
    store = net.init(jax.random.key(0), jnp.asarray(X))
    apply = jax.jit(net.apply) if jit else net.apply
    return apply(store, jnp.asarray(X))


def _rows(summary):
    rows = []
    for s in summary:
        for tag in s.tags:
            row = {"tag": tag, "kind": s.kind}
            v = np.asarray(s.value, np.float64)
            if s.kind == "scalar":
                row["value"] = float(v)
            elif s.kind == "histogram":
                row.update({"num": v.size, "sum": v.sum(), "min": v.min(), "max": v.max()})
            elif s.kind == "image":
                row.update({"height": v.shape[1], "width": v.shape[2]})
            rows.append(row)
    return rows


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_against_tensorflow(name):
    out = _run(PROGRAMS[name])
    want = RECORDED[name]
    assert sorted(out) == sorted(want)
    for key, rows in want.items():
        if rows is None:
            assert out[key] is None, key
            continue
        got = _rows(out[key])
        assert [(r["tag"], r["kind"]) for r in got] == [(r["tag"], r["kind"]) for r in rows]
        for g, w in zip(got, rows, strict=True):
            for field in ("value", "num", "sum", "min", "max", "height", "width"):
                if field in w:
                    np.testing.assert_allclose(g[field], w[field], rtol=1e-6, atol=1e-6)


def test_jit_returns_summaries_and_file_writer_writes_them(tmp_path):
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    summaries = _run(PROGRAMS["in_scopes"], jit=True)
    assert isinstance(summaries["all"], tf.summary.MergedSummary)
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_summary(summaries["all"], global_step=7)
        writer.add_summary(_run(PROGRAMS["images"])["two"], global_step=7)
    (path,) = glob.glob(os.path.join(tmp_path, "events.out.tfevents.*"))
    written = [(v.tag, e.step) for e in EventFileLoader(path).Load() for v in e.summary.value]
    assert written == [
        ("train/loss", 7),
        ("model/act", 7),
        ("model_1/loss", 7),
        ("train_1/loss", 7),
        ("img/image/0", 7),
        ("img/image/1", 7),
    ]


def test_outside_a_model_and_errors():
    s = tf.summary.scalar("lr here", 0.1)  # a training script's top level
    assert s.tag == "lr_here" and float(s.value) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="must be a scalar"):
        tf.summary.scalar("loss", jnp.ones(3))
    with pytest.raises(ValueError, match="channels"):
        tf.summary.image("img", jnp.ones([2, 3]))
    with pytest.raises(TypeError, match="Python str"):
        tf.summary.text("t", jnp.ones(3))
    with pytest.raises(TypeError, match="expected summaries"):
        tf.summary.merge([b"serialized proto"])
    with pytest.raises(sj.NotInTransformError):
        tf.summary.merge_all()
