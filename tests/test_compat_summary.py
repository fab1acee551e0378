"""tf.summary in scopejax.compat.v1 against what TF1 writes (recorded by
tests/compat_recordings/record_summary.py from the same program in TF 2.21 graph mode),
read back with tensorboard's EventFileLoader. No TensorFlow here."""

from __future__ import annotations

import glob
import io
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

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.util import tensor_util  # noqa: E402

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
REC = json.loads((HERE / "summary.json").read_text())
PIXELS = np.load(HERE / "summary.npz")
sys.path.remove(str(HERE))

RNG = [np.random.default_rng(i) for i in range(4)]
FLOAT_IMAGES = RNG[0].uniform(-2, 3, size=(2, 4, 5, 3)).astype(np.float32)
POSITIVE_IMAGE = RNG[1].uniform(0, 0.5, size=(1, 3, 3, 1)).astype(np.float32)
UINT8_IMAGES = RNG[2].integers(0, 256, size=(2, 3, 4, 3)).astype(np.uint8)
VALUES = RNG[3].normal(size=(50,)).astype(np.float32)


def summary_program(x):
    """record_summary.py's TF1 program, for scopejax.compat.v1."""
    with tf.name_scope("train"):
        tf.summary.scalar("loss", tf.reduce_mean(x))
        tf.summary.scalar("loss", tf.reduce_sum(x))
    tf.summary.scalar("lr", tf.constant(0.5), family="opt")
    tf.summary.histogram("weights", tf.constant(VALUES))
    tf.summary.image("pics", tf.constant(FLOAT_IMAGES), max_outputs=3)
    tf.summary.image("one", tf.constant(POSITIVE_IMAGE), max_outputs=1)
    tf.summary.image("bytes", tf.constant(UINT8_IMAGES), max_outputs=1)
    tf.summary.text("note", "**hello**")
    tf.summary.scalar("other", tf.constant(7.0), collections=["EXTRA"])
    return tf.summary.merge_all(), tf.summary.merge_all("EXTRA")


def read(logdir: str) -> dict[str, object]:
    """{tag: value} of every summary in logdir's event files (images decoded)."""
    from PIL import Image

    out: dict[str, object] = {}
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for event in EventFileLoader(path).Load():
            for v in event.summary.value:
                plugin = v.metadata.plugin_data.plugin_name
                arr = tensor_util.make_ndarray(v.tensor)
                if plugin == "graphs":
                    out["graph"] = True
                elif plugin == "images":
                    out[v.tag] = np.asarray(Image.open(io.BytesIO(arr[2])))
                elif plugin == "text":
                    out[v.tag] = arr.item().decode()
                elif plugin == "histograms":
                    out[v.tag] = (arr[:, 2].sum(), arr[0, 0], arr[-1, 1])
                else:
                    out[v.tag] = (float(arr), event.step)
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    net = sj.transform(summary_program)
    x = jnp.array([1.0, 2.0, 3.0])
    merged, extra = jax.jit(net.apply)(net.init(jax.random.key(0), x), x)  # a pytree
    logdir = str(tmp_path_factory.mktemp("summaries"))
    with tf.summary.FileWriter(logdir) as w:
        w.add_summary(merged, global_step=3)
        w.add_summary(extra, global_step=3)
    return merged, extra, read(logdir)


def test_tags_are_tf1s(written):
    merged, extra, _ = written
    want = [v["tag"] for v in REC["values"] if v["collection"] == "SUMMARIES"]
    got = []
    for kind, tag, _, max_outputs in merged:
        if kind == "image":
            n = min(max_outputs, len(merged.entries[merged.tags.index(tag)][2]))
            got += [f"{tag}/image/{i}" for i in range(n)] if max_outputs > 1 else [f"{tag}/image"]
        else:
            got.append(tag)
    assert got == want
    assert extra.tags == [v["tag"] for v in REC["values"] if v["collection"] == "EXTRA"]


def test_written_values_are_tf1s(written):
    _, _, back = written
    assert len(back) == len(REC["values"])
    for v in REC["values"]:
        got = back[v["tag"]]
        if v["field"] == "simple_value":
            assert got == (pytest.approx(v["value"]), 3), v["tag"]
        elif v["field"] == "histo":
            count, lo, hi = got
            assert (count, lo, hi) == (v["num"], pytest.approx(v["min"]), pytest.approx(v["max"]))
        elif v["field"] == "image":
            want = PIXELS[v["tag"]]
            np.testing.assert_array_equal(got, want.squeeze(-1) if got.ndim == 2 else want)
        else:
            assert got == v["text"]


def test_graph_and_misuse(tmp_path):
    def model(x):
        with tf.variable_scope("l1"):
            return tf.matmul(x, tf.get_variable("w", [3, 2]))

    net = sj.transform(model)
    x = jnp.ones([1, 3])
    store = net.init(jax.random.key(0), x)
    with tf.summary.FileWriter(str(tmp_path), graph=(net.apply, store, x)) as w:
        w.add_summary({"loss": 0.25}, global_step=1)
        with pytest.raises(TypeError, match="sj.summary.graph_def"):
            w.add_graph(object())
        with pytest.raises(TypeError, match="merge_all"):
            w.add_summary(b"serialized")
    assert read(str(tmp_path)) == {"graph": True, "loss": (0.25, 1)}
    with pytest.raises(ValueError, match=r"\[batch, h, w, c\]"):
        tf.summary.image("x", jnp.ones([3, 3]))
    assert sj.transform(lambda: tf.summary.merge_all()).apply(sj.Store({})) is None
