"""Record what TF1's summary ops write (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_summary.py

One TF1 graph-mode program (SUMMARY_PROGRAM in test_compat_summary.py is the same model
written for scopejax.compat.v1): summaries in name scopes, a repeated name, a family,
a histogram, float and uint8 image batches, a text; merge_all, Session.run, and the
Summary proto parsed. Writes summary.json (tags, scalar values, histogram counts and
ranges, text) and summary.npz (the decoded PNG pixels of each image tag).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
v1 = tf.compat.v1
v1.disable_eager_execution()

FLOAT_IMAGES = np.random.default_rng(0).uniform(-2, 3, size=(2, 4, 5, 3)).astype(np.float32)
POSITIVE_IMAGE = np.random.default_rng(1).uniform(0, 0.5, size=(1, 3, 3, 1)).astype(np.float32)
UINT8_IMAGES = np.random.default_rng(2).integers(0, 256, size=(2, 3, 4, 3)).astype(np.uint8)
VALUES = np.random.default_rng(3).normal(size=(50,)).astype(np.float32)


def decode_png(data: bytes) -> np.ndarray:
    with tf.Graph().as_default(), v1.Session() as sess:
        return sess.run(tf.image.decode_png(data))


def main() -> None:
    with tf.Graph().as_default():
        x = v1.constant([1.0, 2.0, 3.0])
        with v1.name_scope("train"):
            v1.summary.scalar("loss", v1.reduce_mean(x))
            v1.summary.scalar("loss", v1.reduce_sum(x))
        v1.summary.scalar("lr", v1.constant(0.5), family="opt")
        v1.summary.histogram("weights", v1.constant(VALUES))
        v1.summary.image("pics", v1.constant(FLOAT_IMAGES), max_outputs=3)
        v1.summary.image("one", v1.constant(POSITIVE_IMAGE), max_outputs=1)
        v1.summary.image("bytes", v1.constant(UINT8_IMAGES), max_outputs=1)
        v1.summary.text("note", v1.constant("**hello**"))
        v1.summary.scalar("other", v1.constant(7.0), collections=["EXTRA"])
        merged = v1.summary.merge_all()
        extra = v1.summary.merge_all("EXTRA")
        with v1.Session() as sess:
            raw, raw_extra = sess.run([merged, extra])
    out: dict = {"tensorflow": tf.__version__, "values": []}
    arrays = {}
    for blob, key in ((raw, "SUMMARIES"), (raw_extra, "EXTRA")):
        s = v1.Summary()
        s.ParseFromString(blob)
        for v in s.value:
            kind = v.WhichOneof("value")
            entry = {"collection": key, "tag": v.tag, "field": kind}
            if kind == "simple_value":
                entry["value"] = v.simple_value
            elif kind == "histo":
                entry.update(num=v.histo.num, min=v.histo.min, max=v.histo.max)
            elif kind == "image":
                arrays[v.tag] = decode_png(v.image.encoded_image_string)
                entry.update(height=v.image.height, width=v.image.width)
            elif kind == "tensor":
                entry["plugin"] = v.metadata.plugin_data.plugin_name
                entry["text"] = tf.make_ndarray(v.tensor).item().decode()
            out["values"].append(entry)
    (HERE / "summary.json").write_text(json.dumps(out, indent=1) + "\n")
    np.savez_compressed(HERE / "summary.npz", **arrays)
    print(json.dumps(out["values"], indent=0)[:1500])


if __name__ == "__main__":
    main()
