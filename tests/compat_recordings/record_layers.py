"""Record tf.contrib.layers programs (layer_cases.py) with tf_slim, contrib.layers'
maintained copy, in TF's graph mode (run in a TensorFlow venv with tf-slim):

    /work/tfvenv/bin/python tests/compat_recordings/record_layers.py

For each program: the variables (name, shape) and collections, the outputs with the
variables set to layer_cases.values_for(name), and every variable after running the
UPDATE_OPS once (the moving statistics). Writes layers.json and layers.npz.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops

if not hasattr(ops, "Tensor"):  # tf_slim 1.1.0 predates its removal (TF 2.16+)
    ops.Tensor = tf.Tensor
import tf_keras.src.legacy_tf_layers as legacy  # noqa: E402

sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy)  # where TF 2.21 looks for them
for sub in ("base", "convolutional", "core", "normalization", "pooling"):
    __import__(f"tf_keras.src.legacy_tf_layers.{sub}")
    sys.modules.setdefault(f"tf_keras.legacy_tf_layers.{sub}", getattr(legacy, sub))
import tf_slim  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from layer_cases import COLLECTIONS, PROGRAMS, values_for  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"tensorflow": tf.__version__, "tf_slim": "1.1.0", "programs": {}}
    for pid, (fn, inputs) in PROGRAMS.items():
        graph = v1.Graph()
        with graph.as_default():
            out = fn(tf_slim, v1, *[v1.constant(x) for x in inputs])
            variables = v1.global_variables()
            names = [v.op.name for v in variables]
            updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            with v1.Session(graph=graph) as sess:
                sess.run(v1.global_variables_initializer())
                for v, name in zip(variables, names, strict=True):
                    value = values_for(name, v.shape.as_list())
                    v.load(value, sess)
                    arrays[f"{pid}/var/{name}"] = value
                arrays[f"{pid}/out"] = sess.run(out)
                if updates:
                    sess.run(updates)
                for v, name in zip(variables, names, strict=True):
                    arrays[f"{pid}/after/{name}"] = sess.run(v)
            meta["programs"][pid] = {
                "variables": {n: v.shape.as_list() for n, v in zip(names, variables, strict=True)},
                "collections": {c: [v.op.name for v in v1.get_collection(c)] for c in COLLECTIONS},
                "update_ops": len(updates),
            }
    np.savez_compressed(HERE / "layers.npz", **arrays)
    (HERE / "layers.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(meta['programs'])} programs recorded")


if __name__ == "__main__":
    main()
