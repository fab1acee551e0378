"""TensorFlow reads the checkpoints scopejax wrote (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/check_tf_reads.py

For ``sj_written/`` (made by ``make_sj_written.py``) records in ``sj_written/tf_reads.json``:

- ``dtypes``: every tensor as ``tf.train.load_checkpoint`` reads it (dtype, shape, the
  bytes in hex);
- ``latest``: what ``tf.train.latest_checkpoint`` finds through the state file;
- ``adam``: a TF1 graph (the same dense model and ``AdamOptimizer(0.05)``) restored by
  ``tf.compat.v1.train.Saver.restore`` from ``adam.ckpt-3`` (variables, Adam slots,
  beta powers, global step) and trained 2 more steps: the global step and the
  variables after each step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
DIR = HERE / "sj_written"
v1 = tf.compat.v1


def main() -> None:
    out: dict = {"tf_version": tf.__version__}
    reader = tf.train.load_checkpoint(str(DIR / "dtypes.ckpt-7"))
    out["dtypes"] = {
        name: {
            "dtype": reader.get_tensor(name).dtype.name,
            "shape": list(np.shape(reader.get_tensor(name))),
            "hex": np.asarray(reader.get_tensor(name)).tobytes().hex(),
        }
        for name in sorted(reader.get_variable_to_dtype_map())
    }
    out["latest"] = Path(tf.train.latest_checkpoint(str(DIR))).name
    train = np.load(HERE / "train.npz")
    v1.disable_eager_execution()
    with v1.Graph().as_default():
        with v1.variable_scope("dense"):
            w = v1.get_variable("kernel", initializer=np.zeros_like(train["w0"]))
            b = v1.get_variable("bias", initializer=np.zeros_like(train["b0"]))
        loss = v1.reduce_mean(v1.square(v1.matmul(train["x"], w) + b - train["y"]))
        gs = v1.train.get_or_create_global_step()
        train_op = v1.train.AdamOptimizer(0.05).minimize(loss, global_step=gs)
        with v1.Session() as sess:
            v1.train.Saver().restore(sess, str(DIR / "adam.ckpt-3"))
            rows = {"global_step": [int(sess.run(gs))], "w": [], "b": []}
            for _ in range(2):
                sess.run(train_op)
                rows["w"].append(sess.run(w).tolist())
                rows["b"].append(sess.run(b).tolist())
                rows["global_step"].append(int(sess.run(gs)))
    out["adam"] = rows
    (DIR / "tf_reads.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
