"""``scopejax.compat.v1.summary`` against TF1's graph-mode summaries
(``tests/compat_recordings/record_summary_tags.py``): tags (name scopes, uniquification,
``family``, cleaned names), collections, ``merge`` / ``merge_all`` order and scope
filter, image tags, scalar and histogram values."""

from __future__ import annotations

import json
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
from summary_tag_cases import PROGRAMS, X  # noqa: E402

RECORDED = json.loads((HERE / "summary_tags.json").read_text())["programs"]


def _run(fn, jit=False):
    net = sj.transform(lambda x: fn(tf, x))
    store = net.init(jax.random.key(0), jnp.asarray(X))
    apply = jax.jit(net.apply) if jit else net.apply
    return apply(store, jnp.asarray(X))


def _rows(summary):
    """What TF's serialized Summary holds: one row per value (an image summary has one
    per image, tagged as FileWriter writes them)."""
    rows = []
    for kind, tag, value, max_outputs in summary:
        if kind == "image":
            n = min(max_outputs, np.shape(value)[0])
            tags = [f"{tag}/image/{i}" if max_outputs > 1 else f"{tag}/image" for i in range(n)]
        else:
            tags = [tag]
        for t in tags:
            row = {"tag": t, "kind": kind}
            v = np.asarray(value, np.float64)
            if kind == "scalar":
                row["value"] = float(v)
            elif kind == "histogram":
                row.update({"num": v.size, "sum": v.sum(), "min": v.min(), "max": v.max()})
            elif kind == "image":
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


def test_merge_all_scope_under_jit():
    out = _run(PROGRAMS["merge_all_scope"], jit=True)
    assert [tag for _, tag, _, _ in out["gen"]] == ["gen/loss"]
    assert [tag for _, tag, _, _ in out["disc"]] == ["disc/loss"]
