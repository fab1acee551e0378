"""Write the small TensorFlow checkpoints that tests/test_tf_bundle.py reads without TF.

Each case runs in its own Python process (a clean TensorFlow state) and writes one
folder next to this script (see README.md for what each holds):

  tf1_model/    tf.compat.v1 graph mode: conv2d -> batch_normalization -> relu ->
                dynamic_rnn(LSTMCell(6)) -> dense(5), two Adam steps, saved by
                tf.compat.v1.train.Saver at global step 2; input.npy, output.npy
  dtypes/       tf.raw_ops.SaveV2 of one tensor per dtype (and a string tensor)
  sharded/      Saver(sharded=True) over two logical CPUs: two data shards, with a
                partitioned variable whose parts are on both
  partitioned/  tf.compat.v1.get_variable(partitioner=fixed_size_partitioner(...))
  tf2_object/   tf.train.Checkpoint(model=tf.Module with a Dense layer, optimizer=Adam)

Every folder also has ``expected.json`` (names, shapes, dtypes, which are optimizer
slots) and ``expected.npz`` (np.savez, no pickle: bfloat16/float8/int4 values as
their unsigned-integer bit patterns; strings are stored as hex in the JSON).

Regenerate (from the repository root; TensorFlow is never a scopejax dependency)::

    /work/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    /work/tfvenv/bin/python tests/checkpoint_fixtures/make_tf_fixtures.py

Options: ``--case NAME`` (one case, in this process), ``--out DIR`` (default: here).
The script sets TF_USE_LEGACY_KERAS=1, TF_ENABLE_ONEDNN_OPTS=0 and
TF_CPP_MIN_LOG_LEVEL=2 itself, in ``main()`` (importing it changes nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ("tf1_model", "dtypes", "sharded", "partitioned", "tf2_object")
BITS = {1: np.uint8, 2: np.uint16}  # itemsize -> unsigned view for ml_dtypes values

tf = None  # imported in main()


def det(shape, k: int, dtype=np.float32) -> np.ndarray:
    """Deterministic values: sin(arange * 0.37 + k) * 2, reshaped and cast."""
    size = int(np.prod(shape, dtype=np.int64))
    return (np.sin(np.arange(size) * 0.37 + k) * 2.0).reshape(shape).astype(dtype)


class Expected:
    """Collects what a case stored; writes expected.json and expected.npz (no pickle)."""

    def __init__(self, folder: str, case: str, description: str) -> None:
        self.folder, self.rows, self.arrays = folder, [], {}
        self.meta = {
            "case": case,
            "description": description,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        }

    def add(self, name: str, value, slot: bool = False) -> None:
        value = np.asarray(value)
        row = {"name": name, "shape": list(value.shape), "slot": slot}
        if value.dtype.kind in ("S", "O"):
            row["dtype"] = "object"
            row["hex"] = [bytes(v).hex() for v in value.reshape(-1)]
        else:
            row["dtype"] = value.dtype.name
            if value.dtype.type.__module__ != "numpy":  # ml_dtypes: store the bits
                value = value.view(BITS[value.dtype.itemsize])
                row["bits"] = True
            row["key"] = f"t{len(self.arrays)}"
            self.arrays[row["key"]] = value
        self.rows.append(row)

    def write(self, **extra) -> None:
        self.meta.update(extra)
        self.meta["tensors"] = sorted(self.rows, key=lambda r: r["name"])
        reader = tf.train.load_checkpoint(os.path.join(self.folder, self.meta["prefix"]))
        dtypes = reader.get_variable_to_dtype_map()
        self.meta["tf_reader"] = {  # what TensorFlow's own reader lists: name -> [shape, dtype]
            k: [list(shape), dtypes[k].name]
            for k, shape in sorted(reader.get_variable_to_shape_map().items())
        }
        with open(os.path.join(self.folder, "expected.json"), "w") as f:
            json.dump(self.meta, f, indent=1, sort_keys=True)
            f.write("\n")
        np.savez(os.path.join(self.folder, "expected.npz"), allow_pickle=False, **self.arrays)


def session_config(cpus: int = 1):
    return tf.compat.v1.ConfigProto(
        device_count={"CPU": cpus}, intra_op_parallelism_threads=1, inter_op_parallelism_threads=1
    )


# ----------------------------------------------------------------------------- cases


def case_tf1_model(folder: str) -> None:
    """A TF1 graph-mode model trained two Adam steps, saved with Saver at step 2."""
    tf.compat.v1.disable_v2_behavior()
    L = tf.compat.v1.layers  # noqa: N806
    rng = np.random.default_rng(0)
    x_train = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    t_train = rng.normal(size=(2, 5)).astype(np.float32)
    x_test = det((2, 8, 8, 3), 1)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.set_random_seed(1234)
        x = tf.compat.v1.placeholder(tf.float32, [2, 8, 8, 3], name="x")
        target = tf.compat.v1.placeholder(tf.float32, [2, 5], name="target")
        training = tf.compat.v1.placeholder_with_default(False, [], name="training")
        h = L.conv2d(x, 4, 3, padding="same")
        h = L.batch_normalization(h, training=training)
        h = tf.nn.relu(h)
        h = tf.reshape(h, [2, 8, 8 * 4])
        cell = tf.compat.v1.nn.rnn_cell.LSTMCell(6)
        outputs, _ = tf.compat.v1.nn.dynamic_rnn(cell, h, dtype=tf.float32)
        y = L.dense(outputs[:, -1], 5)
        loss = tf.reduce_mean(tf.square(y - target))
        model_vars = [v.op.name for v in tf.compat.v1.global_variables()]
        step = tf.compat.v1.train.get_or_create_global_step()
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train = tf.compat.v1.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
        saver = tf.compat.v1.train.Saver(save_relative_paths=True)
        moving = {
            "batch_normalization/moving_mean": rng.normal(size=4).astype(np.float32),
            "batch_normalization/moving_variance": rng.uniform(0.5, 2.0, 4).astype(np.float32),
        }
        with tf.compat.v1.Session(graph=g, config=session_config()) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for v in tf.compat.v1.global_variables():
                if v.op.name in moving:
                    v.load(moving[v.op.name], sess)
            for _ in range(2):
                sess.run(train, {x: x_train, target: t_train, training: True})
            out = sess.run(y, {x: x_test})
            saver.save(
                sess, os.path.join(folder, "model.ckpt"), global_step=step, write_meta_graph=False
            )
            values = {v.op.name: sess.run(v) for v in tf.compat.v1.global_variables()}
    np.save(os.path.join(folder, "input.npy"), x_test, allow_pickle=False)
    np.save(os.path.join(folder, "output.npy"), out, allow_pickle=False)
    exp = Expected(folder, "tf1_model", case_tf1_model.__doc__)
    for name, value in values.items():
        exp.add(name, value, slot=name not in model_vars)
    exp.write(prefix="model.ckpt-2", model_variables=sorted(model_vars))


def case_dtypes(folder: str) -> None:
    """One tensor per dtype, written by tf.raw_ops.SaveV2 (eager)."""
    import ml_dtypes

    values = {
        "float16": det([2, 3], 1, np.float16),
        "bfloat16": det([3, 2], 2, ml_dtypes.bfloat16),
        "float32/big": det([40, 40], 3),  # 6400 bytes: the CRC's numpy-lanes path
        "float32/scalar": np.float32(3.25),
        "float32/empty": np.zeros([0, 3], np.float32),
        "float64": det([5], 4, np.float64),
        "int8": np.array([-128, -1, 0, 1, 127], np.int8),
        "int16": np.array([-32768, -2, 0, 32767], np.int16),
        "int32": np.array([[-(2**31), -5], [7, 2**31 - 1]], np.int32),
        "int64": np.array([-(2**63), -1, 0, 2**40 + 3, 2**63 - 1], np.int64),
        "uint8": np.arange(0, 256, 37, dtype=np.uint8),
        "uint16": np.array([0, 1, 65535], np.uint16),
        "uint32": np.array([0, 7, 2**32 - 1], np.uint32),
        "uint64": np.array([0, 9, 2**64 - 1], np.uint64),
        "bool": np.array([[True, False, True], [False, False, True]]),
        "complex64": (det([3], 5) + 1j * det([3], 6)).astype(np.complex64),
        "complex128": (det([2, 2], 7, np.float64) - 1j * det([2, 2], 8, np.float64)),
        "float8_e5m2": det([4], 9, ml_dtypes.float8_e5m2),
        "float8_e4m3fn": det([4], 10, ml_dtypes.float8_e4m3fn),
        "float8_e4m3fnuz": det([4], 11, ml_dtypes.float8_e4m3fnuz),
        "float8_e4m3b11fnuz": det([4], 12, ml_dtypes.float8_e4m3b11fnuz),
        "float8_e5m2fnuz": det([4], 13, ml_dtypes.float8_e5m2fnuz),
        "int4": np.array([-8, -1, 0, 7], ml_dtypes.int4),
        "uint4": np.array([0, 1, 9, 15], ml_dtypes.uint4),
        "string": np.array([b"", b"abc", b"\xff\x00z", "ünï".encode(), b"x" * 200], object),
        "string/scalar": np.array(b"a string scalar", object),
    }
    tensors = []
    for v in values.values():
        if v.dtype == object:
            tensors.append(tf.constant(v.tolist(), tf.string))
        else:
            tensors.append(tf.constant(v))
    prefix = os.path.join(folder, "dtypes.ckpt")
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=list(values),
        shape_and_slices=[""] * len(values),
        tensors=tensors,
    )
    exp = Expected(folder, "dtypes", case_dtypes.__doc__)
    for name, value in values.items():
        exp.add(name, value)
    exp.write(prefix="dtypes.ckpt")


class RoundRobin:
    """A device function putting each new variable on the next of ``devices``."""

    def __init__(self, devices) -> None:
        self.devices, self.n = devices, 0

    def __call__(self, op):
        if op.type in ("VariableV2", "VarHandleOp"):
            self.n += 1
            return self.devices[(self.n - 1) % len(self.devices)]
        return op.device


def case_sharded(folder: str) -> None:
    """Saver(sharded=True) over two logical CPUs: two data files, one merged index."""
    tf.compat.v1.disable_v2_behavior()
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            a = tf.compat.v1.get_variable("layer0/a", initializer=det([3, 2], 1))
        with tf.device("/cpu:1"):
            b = tf.compat.v1.get_variable("layer1/b", initializer=det([4], 2))
            c = tf.compat.v1.get_variable(
                "layer1/c", initializer=np.arange(4, dtype=np.int32).reshape(2, 2)
            )
        with g.device(RoundRobin(["/cpu:0", "/cpu:1"])):
            p = tf.compat.v1.get_variable(
                "spread/p",
                initializer=tf.compat.v1.random_uniform_initializer(-1.0, 1.0, seed=3),
                shape=[6, 2],
                partitioner=tf.compat.v1.fixed_size_partitioner(2),
            )
        devices = {v.op.name: v.device for v in tf.compat.v1.global_variables()}
        saver = tf.compat.v1.train.Saver(sharded=True, save_relative_paths=True)
        with tf.compat.v1.Session(graph=g, config=session_config(2)) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.save(
                sess, os.path.join(folder, "model.ckpt"), write_state=False, write_meta_graph=False
            )
            values = sess.run({"layer0/a": a, "layer1/b": b, "layer1/c": c})
            values["spread/p"] = sess.run(p.as_tensor())
    exp = Expected(folder, "sharded", case_sharded.__doc__)
    for name, value in values.items():
        exp.add(name, value)
    exp.write(prefix="model.ckpt", devices=devices)


def case_partitioned(folder: str) -> None:
    """Partitioned variables (fixed_size_partitioner) saved by Saver in one shard."""
    tf.compat.v1.disable_v2_behavior()
    g = tf.Graph()
    with g.as_default():
        emb = tf.compat.v1.get_variable(
            "embedding/table",
            shape=[7, 4],
            initializer=tf.compat.v1.random_uniform_initializer(-1.0, 1.0, seed=1),
            partitioner=tf.compat.v1.fixed_size_partitioner(3),
        )
        w = tf.compat.v1.get_variable(
            "dense/kernel",
            shape=[3, 5],
            initializer=tf.compat.v1.random_uniform_initializer(-1.0, 1.0, seed=2),
            partitioner=tf.compat.v1.fixed_size_partitioner(2, axis=1),
        )
        plain = tf.compat.v1.get_variable("dense/bias", initializer=det([5], 3))
        parts = {v.op.name: v.shape.as_list() for v in tf.compat.v1.global_variables()}
        saver = tf.compat.v1.train.Saver(save_relative_paths=True)
        with tf.compat.v1.Session(graph=g, config=session_config()) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.save(
                sess, os.path.join(folder, "model.ckpt"), write_state=False, write_meta_graph=False
            )
            values = {
                "embedding/table": sess.run(emb.as_tensor()),
                "dense/kernel": sess.run(w.as_tensor()),
                "dense/bias": sess.run(plain),
            }
    exp = Expected(folder, "partitioned", case_partitioned.__doc__)
    for name, value in values.items():
        exp.add(name, value)
    exp.write(prefix="model.ckpt", graph_variables=parts)


def case_tf2_object(folder: str) -> None:
    """tf.train.Checkpoint(model=..., optimizer=legacy Adam) after one step (eager)."""

    class Net(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = tf.keras.layers.Dense(
                3, kernel_initializer=tf.keras.initializers.GlorotUniform(seed=1)
            )
            self.scale = tf.Variable(det([3], 1), name="scale")

        def __call__(self, x):
            return self.dense(x) * self.scale

    tf.random.set_seed(1234)
    model = Net()
    opt = tf.keras.optimizers.legacy.Adam(0.1)
    x = tf.constant(det([2, 4], 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    path = ckpt.save(os.path.join(folder, "ckpt"))
    exp = Expected(folder, "tf2_object", case_tf2_object.__doc__)
    for attr, v in (
        ("dense/kernel", model.dense.kernel),
        ("dense/bias", model.dense.bias),
        ("scale", model.scale),
    ):
        exp.add(f"model/{attr}/.ATTRIBUTES/VARIABLE_VALUE", v.numpy())
    exp.write(prefix=os.path.basename(path))


# ------------------------------------------------------------------------------ main


def main(argv=None) -> None:
    global tf
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=CASES)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args(argv)
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.case is None:  # every case, each in a fresh process
        for case in CASES:
            cmd = [sys.executable, os.path.abspath(__file__), "--case", case, "--out", args.out]
            subprocess.run(cmd, check=True)
            print(f"wrote {os.path.join(args.out, case)}")
        return
    import tensorflow

    tf = tensorflow
    folder = os.path.join(args.out, args.case)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    globals()[f"case_{args.case}"](folder)


if __name__ == "__main__":
    main()
