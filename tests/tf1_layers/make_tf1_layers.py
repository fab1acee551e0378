"""Record what TensorFlow 1 (tf.compat.v1 graph mode) does for its standard layers.

Writes ``tf1_layers.json`` next to this script: for each case, the variables TF
creates (names, shapes, dtypes, trainable flags, collections), the UPDATE_OPS, the
initial values TF gives the non-kernel variables, and numerics (deterministic
inputs, deterministic weights assigned after initialisation, and the outputs).

How to regenerate (from the repository root, with a separate venv that has
TensorFlow and tf-keras -- TensorFlow is never a dependency of scopejax)::

    /work/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    /work/tfvenv/bin/python tests/tf1_layers/make_tf1_layers.py

Options:
  --out PATH   where to write (default: tf1_layers.json next to this script)

The script sets ``TF_USE_LEGACY_KERAS=1`` (needed for ``tf.compat.v1.layers`` and
``tf.compat.v1.nn.rnn_cell`` in TF 2.16+), ``TF_ENABLE_ONEDNN_OPTS=0`` (plain Eigen
kernels, so the numbers do not depend on the CPU) and calls
``tf.compat.v1.disable_v2_behavior()`` (TF1 ref variables, TF1 control flow). Every
case runs on a fresh ``tf.Graph``; the whole recording is made twice and must be
identical. Nothing in the JSON is written by hand: the ``checks`` of a case compare
TF's outputs with small numpy re-implementations in this file.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import math
import os
import platform
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 2e-5  # a numpy reference "matches" TF when max |diff| is below this

tf = None  # set in main(); the module imports without TensorFlow


# --------------------------------------------------------------------------- data


def det_weight(shape, k: int) -> np.ndarray:
    """Deterministic weights: np.sin(np.arange(size) * 0.37 + k).reshape(shape) * 0.5."""
    size = int(np.prod(shape, dtype=np.int64))
    return (np.sin(np.arange(size) * 0.37 + k).reshape(shape) * 0.5).astype(np.float32)


def det_input(shape, k: int = 0) -> np.ndarray:
    """Deterministic inputs: np.sin(np.linspace(0, 6, size) * 1.3 + 0.7 * k) * 1.5, reshaped."""
    size = int(np.prod(shape, dtype=np.int64))
    return (np.sin(np.linspace(0.0, 6.0, size) * 1.3 + 0.7 * k).reshape(shape) * 1.5).astype(
        np.float32
    )


def f32(x: float) -> float:
    """A float32 value as the shortest decimal that reads back as the same float32."""
    return float(str(np.float32(x)))


def tolist(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        flat = [f32(v) for v in a.astype(np.float32).ravel().tolist()]
        return np.array(flat, dtype=object).reshape(a.shape).tolist() if a.ndim else flat[0]
    return a.tolist()


def maxdiff(a, b) -> float:
    return f32(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# ----------------------------------------------------------------- numpy references


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return out, total // 2, total - total // 2


def ref_conv2d(x, w, b=None, strides=(1, 1), padding="VALID", dilation=(1, 1), groups=1):
    """NHWC input, HWIO kernel (I = C / groups), TF's SAME padding (extra pad after)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, h, wd, c = x.shape
    kh, kw, ci, co = w.shape
    pads = []
    for size, k, s, d in ((h, kh, strides[0], dilation[0]), (wd, kw, strides[1], dilation[1])):
        if padding == "SAME":
            out, lo, hi = same_pads(size, k, s, d)
        else:
            out, lo, hi = (size - (k - 1) * d - 1) // s + 1, 0, 0
        pads.append((out, lo, hi))
    xp = np.pad(x, ((0, 0), (pads[0][1], pads[0][2]), (pads[1][1], pads[1][2]), (0, 0)))
    oh, ow = pads[0][0], pads[1][0]
    y = np.zeros((n, oh, ow, co))
    og = co // groups
    for g in range(groups):
        xs = xp[..., g * ci : (g + 1) * ci]
        ws = w[..., g * og : (g + 1) * og]
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    for bb in range(kw):
                        patch = xs[
                            :, i * strides[0] + a * dilation[0], j * strides[1] + bb * dilation[1]
                        ]
                        y[:, i, j, g * og : (g + 1) * og] += patch @ ws[a, bb]
    if b is not None:
        y = y + b
    return y


def ref_pool2d(x, k, s, padding, kind, count_padding=False):
    x = np.asarray(x, np.float64)
    n, h, wd, c = x.shape
    if padding == "SAME":
        (oh, th, _), (ow, tw, _) = same_pads(h, k, s), same_pads(wd, k, s)
    else:
        oh, ow, th, tw = (h - k) // s + 1, (wd - k) // s + 1, 0, 0
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - th, j * s - tw
            rs = slice(max(r0, 0), min(r0 + k, h))
            cs = slice(max(c0, 0), min(c0 + k, wd))
            win = x[:, rs, cs, :]
            if kind == "max":
                y[:, i, j] = win.max(axis=(1, 2))
            elif count_padding:
                y[:, i, j] = win.sum(axis=(1, 2)) / (k * k)
            else:
                y[:, i, j] = win.mean(axis=(1, 2))
    return y


def ref_lstm(x, w, b, units, order="ijfo", forget_bias=1.0):
    """x [batch, time, in]; w [in + units, 4 units]; returns outputs, (c, h)."""
    x = np.asarray(x, np.float64)
    bsz, steps, _ = x.shape
    h = np.zeros((bsz, units))
    c = np.zeros((bsz, units))
    outs = []
    for t in range(steps):
        z = np.concatenate([x[:, t], h], axis=1) @ w + b
        parts = dict(zip(order, np.split(z, 4, axis=1), strict=True))
        c = sigmoid(parts["f"] + forget_bias) * c + sigmoid(parts["i"]) * np.tanh(parts["j"])
        h = sigmoid(parts["o"]) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), (c, h)


def ref_gru(x, wg, bg, wc, bc, units, variant="tf1"):
    x = np.asarray(x, np.float64)
    bsz, steps, _ = x.shape
    h = np.zeros((bsz, units))
    outs = []
    for t in range(steps):
        xh = np.concatenate([x[:, t], h], axis=1)
        gates = sigmoid(xh @ wg + bg)
        if variant == "gates_u_r":
            u, r = np.split(gates, 2, axis=1)
        else:
            r, u = np.split(gates, 2, axis=1)
        if variant == "reset_after":
            n_in = x.shape[2]
            cand = np.tanh(x[:, t] @ wc[:n_in] + r * (h @ wc[n_in:]) + bc)
        else:
            cand = np.tanh(np.concatenate([x[:, t], r * h], axis=1) @ wc + bc)
        if variant == "keras_mix":
            h = (1 - u) * h + u * cand
        else:
            h = u * h + (1 - u) * cand
        outs.append(h)
    return np.stack(outs, axis=1), h


def ref_basic_rnn(x, w, b, units):
    x = np.asarray(x, np.float64)
    h = np.zeros((x.shape[0], units))
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(np.concatenate([x[:, t], h], axis=1) @ w + b)
        outs.append(h)
    return np.stack(outs, axis=1), h


# ------------------------------------------------------------------------ recording


def defaults_of(fn) -> dict:
    """Signature defaults that are plain values (initializer objects are named by class)."""
    out = {}
    for name, p in inspect.signature(fn).parameters.items():
        if p.default is inspect.Parameter.empty or name in ("self",):
            continue
        v = p.default
        if v is None or isinstance(v, bool | int | float | str):
            out[name] = v
        elif isinstance(v, tuple | list):
            out[name] = list(v)
        else:
            out[name] = type(v).__name__
    return out


def var_record(g, v) -> dict:
    colls = []
    for key in g.get_all_collection_keys():
        if any(v is item for item in g.get_collection(key)):
            colls.append(key)
    return {
        "name": v.op.name,
        "shape": v.shape.as_list(),
        "dtype": v.dtype.base_dtype.name,
        "trainable": any(v is t for t in g.get_collection("trainable_variables")),
        "collections": sorted(colls),
    }


def initial_record(name: str, value: np.ndarray):
    last = name.split("/")[-1]
    if last in ("kernel", "embeddings", "embedding", "depthwise_kernel"):
        shape = value.shape
        if len(shape) >= 2:
            receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        else:
            fan_in = fan_out = shape[0]
        return {
            "stats": True,
            "min": f32(value.min()),
            "max": f32(value.max()),
            "mean": f32(value.mean()),
            "std": f32(value.std()),
            "glorot_uniform_limit": f32(math.sqrt(6.0 / (fan_in + fan_out))),
        }
    return tolist(value)


class Case:
    """One recorded case. ``build`` runs inside a fresh graph and returns a ``Built``."""

    def __init__(self, group, name, description, code, build):
        self.group, self.name, self.description, self.code, self.build = (
            group,
            name,
            description,
            code,
            build,
        )


class Built:
    def __init__(self, inputs, outputs, weights=None, after=None, extra=None):
        self.inputs = inputs  # label -> (placeholder, array)
        self.outputs = outputs  # label -> tensor
        self.weights = weights or {}  # variable name -> array overriding det_weight
        self.after = after  # callable(sess, feed, built, values) -> dict (extra entries)
        self.extra = extra or {}


def run_case(case: Case) -> dict:
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.set_random_seed(1234)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            built = case.build()
        gvars = tf.compat.v1.global_variables()
        rec = {
            "group": case.group,
            "description": case.description,
            "code": case.code,
            "variables": [var_record(g, v) for v in gvars],
            "trainable_variables": [v.op.name for v in tf.compat.v1.trainable_variables()],
        }
        upd = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        rec["update_ops"] = {"count": len(upd), "names": [op.name for op in upd]}
        keys = tf.compat.v1.GraphKeys
        rec["collection_counts"] = {
            k: len(g.get_collection(k))
            for k in (
                keys.GLOBAL_VARIABLES,
                keys.TRAINABLE_VARIABLES,
                keys.MODEL_VARIABLES,
                keys.MOVING_AVERAGE_VARIABLES,
                keys.LOCAL_VARIABLES,
                keys.UPDATE_OPS,
                keys.REGULARIZATION_LOSSES,
            )
        }
        rec["all_collection_keys"] = sorted(g.get_all_collection_keys())
        rec["output_names"] = {k: t.name for k, t in built.outputs.items()}
        rec["extra"] = dict(built.extra)
        feed = {ph: arr for ph, arr in built.inputs.values()}
        weights = {}
        for i, v in enumerate(gvars):
            name = v.op.name
            weights[name] = built.weights.get(name)
            if weights[name] is None:
                weights[name] = det_weight(v.shape.as_list(), i + 1)
            weights[name] = np.asarray(weights[name], dtype=v.dtype.base_dtype.as_numpy_dtype)
        assigns = [tf.compat.v1.assign(v, weights[v.op.name]) for v in gvars]
        init = tf.compat.v1.global_variables_initializer()
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=1, inter_op_parallelism_threads=1
        )
        with tf.compat.v1.Session(graph=g, config=config) as sess:
            sess.run(init)
            init_vals = sess.run(gvars)
            rec["initial_values"] = {
                v.op.name: initial_record(v.op.name, val)
                for v, val in zip(gvars, init_vals, strict=True)
            }
            sess.run(assigns)
            outs = sess.run(built.outputs, feed) if built.outputs else {}
            rec["inputs"] = {k: tolist(arr) for k, (_, arr) in built.inputs.items()}
            rec["weights"] = {k: tolist(a) for k, a in weights.items()}
            rec["outputs"] = {
                k: {"shape": list(np.shape(outs[k])), "value": tolist(outs[k])}
                for k in built.outputs
            }
            if built.after is not None:
                rec["extra"].update(built.after(sess, feed, built, weights, outs))
    return rec


def ph(shape, dtype=None, name="x"):
    return tf.compat.v1.placeholder(dtype or tf.float32, shape, name=name)


def op_names(types, g=None) -> list:
    g = g or tf.compat.v1.get_default_graph()
    return [op.name for op in g.get_operations() if op.type in types]


# ---------------------------------------------------------------------------- cases


def dense_cases():
    L = tf.compat.v1.layers
    cases = []

    def b_twice():
        x = ph([2, 3])
        arr = det_input([2, 3])
        y1 = L.dense(x, 4)
        y2 = L.dense(x, 4)

        def after(sess, feed, built, w, outs):
            ref1 = arr @ w["dense/kernel"] + w["dense/bias"]
            ref2 = arr @ w["dense_1/kernel"] + w["dense_1/bias"]
            return {
                "checks": {
                    "y1_vs_x@kernel+bias": maxdiff(outs["y1"], ref1),
                    "y2_vs_x@kernel+bias": maxdiff(outs["y2"], ref2),
                }
            }

        return Built(
            {"x": (x, arr)},
            {"y1": y1, "y2": y2},
            after=after,
            extra={"op_names": op_names({"MatMul", "BiasAdd"})},
        )

    cases.append(
        Case(
            "dense",
            "dense_twice",
            "two unnamed dense layers get unique names dense, dense_1",
            "y1 = tf.compat.v1.layers.dense(x, 4); y2 = tf.compat.v1.layers.dense(x, 4)",
            b_twice,
        )
    )

    def b_reuse():
        x = ph([2, 3])
        y1 = L.dense(x, 4, name="fc")
        y2 = L.dense(x, 4, name="fc", reuse=True)
        return Built(
            {"x": (x, det_input([2, 3]))},
            {"y1": y1, "y2": y2},
            extra={"op_names": op_names({"MatMul", "BiasAdd"})},
        )

    cases.append(
        Case(
            "dense",
            "dense_named_reuse",
            "name='fc' twice, second with reuse=True: one set of variables, equal outputs",
            "y1 = dense(x, 4, name='fc'); y2 = dense(x, 4, name='fc', reuse=True)",
            b_reuse,
        )
    )

    def b_relu():
        x = ph([2, 3])
        arr = det_input([2, 3])
        y = L.dense(x, 4, activation=tf.nn.relu, use_bias=False)

        def after(sess, feed, built, w, outs):
            return {
                "checks": {
                    "y_vs_relu(x@kernel)": maxdiff(
                        outs["y"], np.maximum(arr @ w["dense/kernel"], 0)
                    )
                }
            }

        return Built(
            {"x": (x, arr)},
            {"y": y},
            after=after,
            extra={"op_names": op_names({"MatMul", "BiasAdd", "Relu"})},
        )

    cases.append(
        Case(
            "dense",
            "dense_relu_no_bias",
            "activation=relu, use_bias=False: only a kernel",
            "y = dense(x, 4, activation=tf.nn.relu, use_bias=False)",
            b_relu,
        )
    )

    def b_scopes():
        x = ph([2, 3])
        with tf.compat.v1.variable_scope("model"):
            with tf.name_scope("ns"):
                y = L.dense(x, 4)
                y2 = L.dense(x, 4)
        return Built(
            {"x": (x, det_input([2, 3]))},
            {"y": y, "y2": y2},
            extra={"op_names": op_names({"MatMul", "BiasAdd"})},
        )

    cases.append(
        Case(
            "dense",
            "dense_in_variable_scope_and_name_scope",
            "variable_scope('model') then name_scope('ns'): variables ignore the name scope",
            "with variable_scope('model'): with name_scope('ns'): "
            "y = dense(x, 4); y2 = dense(x, 4)",
            b_scopes,
        )
    )

    def b_scopes_rev():
        x = ph([2, 3])
        with tf.name_scope("ns"):
            with tf.compat.v1.variable_scope("model"):
                y = L.dense(x, 4)
        return Built(
            {"x": (x, det_input([2, 3]))},
            {"y": y},
            extra={"op_names": op_names({"MatMul", "BiasAdd"})},
        )

    cases.append(
        Case(
            "dense",
            "dense_in_name_scope_and_variable_scope",
            "name_scope('ns') then variable_scope('model')",
            "with name_scope('ns'): with variable_scope('model'): y = dense(x, 4)",
            b_scopes_rev,
        )
    )
    return cases


def conv_cases():
    L = tf.compat.v1.layers
    cases = []

    def b_conv1d():
        x = ph([2, 5, 3])
        arr = det_input([2, 5, 3])
        y_same = L.conv1d(x, 4, 3, padding="same")
        y_valid = L.conv1d(x, 4, 3, padding="valid")
        y_stride = L.conv1d(x, 4, 3, strides=2, padding="same")

        def after(sess, feed, built, w, outs):
            x4 = arr[:, None]
            checks = {}
            for label, var, kw in (
                ("same", "conv1d", {"padding": "SAME"}),
                ("valid", "conv1d_1", {"padding": "VALID"}),
                ("stride2_same", "conv1d_2", {"padding": "SAME", "strides": (1, 2)}),
            ):
                ref = ref_conv2d(x4, w[var + "/kernel"][None], w[var + "/bias"], **kw)[:, 0]
                checks[f"{label}_vs_numpy"] = maxdiff(outs[label], ref)
            return {"checks": checks}

        return Built(
            {"x": (x, arr)},
            {"same": y_same, "valid": y_valid, "stride2_same": y_stride},
            after=after,
            extra={"defaults": defaults_of(L.conv1d)},
        )

    cases.append(
        Case(
            "conv",
            "conv1d",
            "conv1d filters=4 kernel_size=3 on [batch 2, width 5, channels 3] (NWC)",
            "conv1d(x, 4, 3, padding='same'); conv1d(x, 4, 3, padding='valid'); "
            "conv1d(x, 4, 3, strides=2, padding='same')",
            b_conv1d,
        )
    )

    variants = [
        ("same", {"padding": "same"}, {"padding": "SAME"}),
        ("valid", {"padding": "valid"}, {"padding": "VALID"}),
        (
            "stride2_same",
            {"strides": (2, 2), "padding": "same"},
            {"strides": (2, 2), "padding": "SAME"},
        ),
        (
            "stride2_valid",
            {"strides": (2, 2), "padding": "valid"},
            {"strides": (2, 2), "padding": "VALID"},
        ),
        (
            "dilation2_same",
            {"dilation_rate": (2, 2), "padding": "same"},
            {"dilation": (2, 2), "padding": "SAME"},
        ),
        (
            "dilation2_valid",
            {"dilation_rate": (2, 2), "padding": "valid"},
            {"dilation": (2, 2), "padding": "VALID"},
        ),
    ]

    def b_conv2d():
        x = ph([2, 5, 5, 3])
        arr = det_input([2, 5, 5, 3])
        outs_t = {}
        names = {}
        for i, (label, kw, _) in enumerate(variants):
            outs_t[label] = L.conv2d(x, 4, 3, **kw)
            names[label] = "conv2d" if i == 0 else f"conv2d_{i}"

        def after(sess, feed, built, w, outs):
            checks = {}
            for label, _, rkw in variants:
                v = names[label]
                ref = ref_conv2d(arr, w[v + "/kernel"], w[v + "/bias"], **rkw)
                checks[f"{label}_vs_numpy"] = maxdiff(outs[label], ref)
            return {"checks": checks}

        return Built(
            {"x": (x, arr)},
            outs_t,
            after=after,
            extra={
                "defaults": defaults_of(L.conv2d),
                "layer_for_output": names,
                "conv2d_function_accepts_groups": "groups"
                in inspect.signature(L.conv2d).parameters,
            },
        )

    cases.append(
        Case(
            "conv",
            "conv2d",
            "conv2d filters=4 kernel_size=3 on [2, 5, 5, 3] NHWC; one layer per variant "
            "(same, valid, strides 2, dilation 2), named conv2d, conv2d_1, ...",
            "; ".join(f"conv2d(x, 4, 3, {kw})" for _, kw, _ in variants),
            b_conv2d,
        )
    )

    def b_groups():
        x = ph([2, 5, 5, 4])
        arr = det_input([2, 5, 5, 4])
        try:
            L.conv2d(x, 4, 3, groups=2)
            fn_result = "accepted"
        except TypeError as e:
            fn_result = f"TypeError: {e}"
        y = L.Conv2D(4, 3, padding="same", groups=2)(x)
        y_keras = tf.compat.v1.keras.layers.Conv2D(4, 3, padding="same", groups=2)(x)

        def after(sess, feed, built, w, outs):
            checks = {}
            for label, v in (("layers_Conv2D", "conv2d"), ("keras_Conv2D", "conv2d_1")):
                ref = ref_conv2d(arr, w[v + "/kernel"], w[v + "/bias"], padding="SAME", groups=2)
                checks[f"{label}_vs_numpy_groups2"] = maxdiff(outs[label], ref)
            return {"checks": checks}

        return Built(
            {"x": (x, arr)},
            {"layers_Conv2D": y, "keras_Conv2D": y_keras},
            after=after,
            extra={"tf.compat.v1.layers.conv2d(x, 4, 3, groups=2)": fn_result},
        )

    cases.append(
        Case(
            "conv",
            "conv2d_groups",
            "grouped conv: the functional tf.compat.v1.layers.conv2d has no groups argument; "
            "the class tf.compat.v1.layers.Conv2D forwards groups=2 to Keras; also "
            "tf.compat.v1.keras.layers.Conv2D(groups=2) in v1 graph mode. Input [2, 5, 5, 4], "
            "kernel [3, 3, 4/groups, 4]; output channel block g uses input channel block g",
            "tf.compat.v1.layers.Conv2D(4, 3, padding='same', groups=2)(x); "
            "tf.compat.v1.keras.layers.Conv2D(4, 3, padding='same', groups=2)(x)",
            b_groups,
        )
    )
    return cases


def pool_cases():
    L = tf.compat.v1.layers

    def build():
        x = ph([2, 5, 5, 2])
        arr = det_input([2, 5, 5, 2])
        outs = {
            "max_same": L.max_pooling2d(x, 3, 2, padding="same"),
            "max_valid": L.max_pooling2d(x, 3, 2, padding="valid"),
            "avg_same": L.average_pooling2d(x, 3, 2, padding="same"),
            "avg_valid": L.average_pooling2d(x, 3, 2, padding="valid"),
            "flatten_input": L.flatten(x),
        }
        outs["flatten_max_valid"] = L.flatten(outs["max_valid"])

        def after(sess, feed, built, w, o):
            return {
                "checks": {
                    "max_same_vs_numpy": maxdiff(
                        o["max_same"], ref_pool2d(arr, 3, 2, "SAME", "max")
                    ),
                    "max_valid_vs_numpy": maxdiff(
                        o["max_valid"], ref_pool2d(arr, 3, 2, "VALID", "max")
                    ),
                    "avg_same_vs_numpy_excluding_padding": maxdiff(
                        o["avg_same"], ref_pool2d(arr, 3, 2, "SAME", "avg")
                    ),
                    "avg_same_vs_numpy_counting_padding_as_zeros": maxdiff(
                        o["avg_same"], ref_pool2d(arr, 3, 2, "SAME", "avg", count_padding=True)
                    ),
                    "avg_valid_vs_numpy": maxdiff(
                        o["avg_valid"], ref_pool2d(arr, 3, 2, "VALID", "avg")
                    ),
                    "flatten_input_vs_reshape": maxdiff(o["flatten_input"], arr.reshape(2, -1)),
                    "flatten_max_valid_vs_reshape": maxdiff(
                        o["flatten_max_valid"], np.asarray(o["max_valid"]).reshape(2, -1)
                    ),
                },
                "avg_same_if_padding_were_counted": tolist(
                    ref_pool2d(arr, 3, 2, "SAME", "avg", count_padding=True)
                ),
                "static_shapes": {k: t.shape.as_list() for k, t in built.outputs.items()},
                "op_names": op_names({"MaxPool", "AvgPool", "Reshape"}),
            }

        return Built({"x": (x, arr)}, outs, after=after)

    return [
        Case(
            "pooling",
            "pooling2d_and_flatten",
            "max/average pooling, pool 3 stride 2, 'same' and 'valid', on [2, 5, 5, 2] NHWC; "
            "SAME pads 1 each side (5 -> 3), VALID gives 2; flatten is a row-major (NHWC) reshape",
            "max_pooling2d(x, 3, 2, padding='same'|'valid'); "
            "average_pooling2d(x, 3, 2, padding='same'|'valid'); flatten(x); flatten(max_valid)",
            build,
        )
    ]


def bn_cases():
    L = tf.compat.v1.layers
    cases = []

    def make(shape, training, momentum=None, fused=None):
        c = shape[-1]

        def build():
            x = ph(shape)
            arr = det_input(shape)
            kw = {"training": training}
            if momentum is not None:
                kw["momentum"] = momentum
            if fused is not None:
                kw["fused"] = fused
            y = L.batch_normalization(x, **kw)
            mm0 = (0.1 * np.arange(c)).astype(np.float32)
            mv0 = (1.0 + 0.2 * np.arange(c)).astype(np.float32)
            weights = {
                "batch_normalization/moving_mean": mm0,
                "batch_normalization/moving_variance": mv0,
            }
            g = tf.compat.v1.get_default_graph()
            op_types = sorted(
                {
                    op.type
                    for op in g.get_operations()
                    if "Norm" in op.type
                    or "Moments" in op.type
                    or op.type in ("Mean", "SquaredDifference", "AssignSub", "AssignMovingAvg")
                }
            )
            mvars = [v for v in tf.compat.v1.global_variables() if "moving" in v.op.name]
            upd = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)

            def after(sess, feed, built, w, outs):
                gamma, beta = w["batch_normalization/gamma"], w["batch_normalization/beta"]
                eps = 1e-3
                mom = 0.99 if momentum is None else momentum
                axes = tuple(range(len(shape) - 1))
                x64 = arr.astype(np.float64)
                n = int(np.prod(shape[:-1]))
                bmean = x64.mean(axis=axes)
                bvar = x64.var(axis=axes)
                uvar = bvar * n / (n - 1)
                res = {}
                moving_after_output = sess.run(mvars)
                res["moving_after_running_outputs_only"] = {
                    v.op.name: tolist(val)
                    for v, val in zip(mvars, moving_after_output, strict=True)
                }
                if training:
                    ref = (x64 - bmean) / np.sqrt(bvar + eps) * gamma + beta
                    ref_u = (x64 - bmean) / np.sqrt(uvar + eps) * gamma + beta
                    res["checks"] = {
                        "output_vs_numpy_biased_batch_var": maxdiff(outs["y"], ref),
                        "output_vs_numpy_unbiased_batch_var": maxdiff(outs["y"], ref_u),
                    }
                    sess.run(upd, feed)
                    mm1, mv1 = sess.run(mvars)
                    res["moving_after_one_update"] = {
                        "batch_normalization/moving_mean": tolist(mm1),
                        "batch_normalization/moving_variance": tolist(mv1),
                    }
                    exp_mean = mm0 * mom + bmean * (1 - mom)
                    exp_b = mv0 * mom + bvar * (1 - mom)
                    exp_u = mv0 * mom + uvar * (1 - mom)
                    res["batch_stats"] = {
                        "n": n,
                        "mean": tolist(bmean),
                        "biased_var": tolist(bvar),
                        "unbiased_var": tolist(uvar),
                    }
                    db, du = maxdiff(mv1, exp_b), maxdiff(mv1, exp_u)
                    res["moving_update_checks"] = {
                        "formula": "new = old * momentum + batch * (1 - momentum)",
                        "mean_vs_formula": maxdiff(mm1, exp_mean),
                        "variance_vs_formula_biased": db,
                        "variance_vs_formula_unbiased": du,
                        "variance_used": "unbiased" if du < db else "biased",
                    }
                else:
                    ref = (x64 - mm0) / np.sqrt(mv0 + eps) * gamma + beta
                    res["checks"] = {"output_vs_numpy_moving_stats": maxdiff(outs["y"], ref)}
                return res

            return Built(
                {"x": (x, arr)},
                {"y": y},
                weights=weights,
                after=after,
                extra={"op_types": op_types, "defaults": defaults_of(L.batch_normalization)},
            )

        return build

    specs = [
        ("bn_2d_train", [3, 4], True, None, None, "2-D input [3, 4], training=True"),
        ("bn_2d_eval", [3, 4], False, None, None, "2-D input [3, 4], training=False"),
        (
            "bn_2d_train_momentum0",
            [3, 4],
            True,
            0.0,
            None,
            "2-D, training=True, momentum=0.0: the moving stats become the batch stats",
        ),
        (
            "bn_4d_train",
            [2, 3, 3, 2],
            True,
            None,
            None,
            "4-D NHWC [2, 3, 3, 2], axis=-1, training=True, fused=None (takes the fused path)",
        ),
        ("bn_4d_eval", [2, 3, 3, 2], False, None, None, "4-D NHWC, training=False"),
        (
            "bn_4d_train_momentum0",
            [2, 3, 3, 2],
            True,
            0.0,
            None,
            "4-D NHWC, training=True, momentum=0.0, fused path",
        ),
        (
            "bn_4d_train_unfused",
            [2, 3, 3, 2],
            True,
            None,
            False,
            "4-D NHWC, training=True, fused=False (the moments path)",
        ),
    ]
    for name, shape, training, mom, fused, desc in specs:
        kw = [f"training={training}"]
        if mom is not None:
            kw.append(f"momentum={mom}")
        if fused is not None:
            kw.append(f"fused={fused}")
        code = f"y = tf.compat.v1.layers.batch_normalization(x, {', '.join(kw)})"
        if training:
            code += "; sess.run(tf.compat.v1.get_collection(tf.GraphKeys.UPDATE_OPS)) once"
        desc += (
            ". Weights: gamma, beta by det_weight; moving_mean = 0.1 * arange(C), "
            "moving_variance = 1 + 0.2 * arange(C)"
        )
        cases.append(Case("batch_norm", name, desc, code, make(shape, training, mom, fused)))
    return cases


def ln_cases():
    K = tf.compat.v1.keras.layers
    cases = []

    def ref_ln(arr, gamma, beta, axes, eps):
        x64 = arr.astype(np.float64)
        m = x64.mean(axis=axes, keepdims=True)
        v = x64.var(axis=axes, keepdims=True)
        return (x64 - m) / np.sqrt(v + eps) * gamma + beta

    def make(shape, axis, scope):
        def build():
            x = ph(shape)
            arr = det_input(shape)
            if scope:
                with tf.compat.v1.variable_scope(scope):
                    layer = (
                        K.LayerNormalization() if axis is None else K.LayerNormalization(axis=axis)
                    )
                    y = layer(x)
                    y2 = K.LayerNormalization()(x)
            else:
                layer = K.LayerNormalization() if axis is None else K.LayerNormalization(axis=axis)
                y = layer(x)
                y2 = K.LayerNormalization()(x)
            eps = float(layer.epsilon)
            axes = tuple(
                a % len(shape)
                for a in (layer.axis if isinstance(layer.axis, list | tuple) else [layer.axis])
            )
            gname = layer.gamma.op.name
            bname = layer.beta.op.name

            def after(sess, feed, built, w, outs):
                ref = ref_ln(arr, w[gname], w[bname], axes, eps)
                return {"checks": {"y_vs_numpy_biased_var": maxdiff(outs["y"], ref)}}

            return Built(
                {"x": (x, arr)},
                {"y": y, "y2_second_layer": y2},
                after=after,
                extra={
                    "layer_name": layer.name,
                    "epsilon": f32(eps),
                    "axis": list(layer.axis)
                    if isinstance(layer.axis, list | tuple)
                    else layer.axis,
                    "defaults": defaults_of(K.LayerNormalization.__init__),
                },
            )

        return build

    cases.append(
        Case(
            "layer_norm",
            "keras_layer_norm_2d",
            "tf.compat.v1.keras.layers.LayerNormalization() on [3, 4] in v1 graph mode, and a "
            "second default instance",
            "y = LayerNormalization()(x); y2 = LayerNormalization()(x)",
            make([3, 4], None, None),
        )
    )
    cases.append(
        Case(
            "layer_norm",
            "keras_layer_norm_3d_axis_last",
            "LayerNormalization() on [2, 3, 4] (axis=-1)",
            "y = LayerNormalization()(x); y2 = LayerNormalization()(x)",
            make([2, 3, 4], None, None),
        )
    )
    cases.append(
        Case(
            "layer_norm",
            "keras_layer_norm_3d_axis_1_2",
            "LayerNormalization(axis=[1, 2]) on [2, 3, 4]: gamma/beta have shape [3, 4] "
            "(contrib layer_norm with begin_norm_axis=1 would keep params at [4])",
            "y = LayerNormalization(axis=[1, 2])(x); y2 = LayerNormalization()(x)",
            make([2, 3, 4], [1, 2], None),
        )
    )
    cases.append(
        Case(
            "layer_norm",
            "keras_layer_norm_in_variable_scope",
            "LayerNormalization() created and called inside variable_scope('model')",
            "with variable_scope('model'): "
            "y = LayerNormalization()(x); y2 = LayerNormalization()(x)",
            make([3, 4], None, "model"),
        )
    )
    return cases


def embedding_cases():
    ids = np.array([[0, 2, 4], [1, 3, 0]], dtype=np.int32)

    def b_keras():
        x = ph([2, 3], tf.int32, name="ids")
        layer = tf.compat.v1.keras.layers.Embedding(5, 3)
        y = layer(x)

        def after(sess, feed, built, w, outs):
            return {
                "checks": {"y_vs_table[ids]": maxdiff(outs["y"], w[layer.embeddings.op.name][ids])}
            }

        return Built(
            {"ids": (x, ids)},
            {"y": y},
            after=after,
            extra={"defaults": defaults_of(tf.compat.v1.keras.layers.Embedding.__init__)},
        )

    def b_classic():
        x = ph([2, 3], tf.int32, name="ids")
        table = tf.compat.v1.get_variable("embedding", [5, 3])
        y = tf.nn.embedding_lookup(table, x)

        def after(sess, feed, built, w, outs):
            return {"checks": {"y_vs_table[ids]": maxdiff(outs["y"], w["embedding"][ids])}}

        return Built(
            {"ids": (x, ids)},
            {"y": y},
            after=after,
            extra={"op_names": op_names({"GatherV2", "Gather"})},
        )

    return [
        Case(
            "embedding",
            "keras_embedding",
            "tf.compat.v1.keras.layers.Embedding(5, 3) on int32 ids [2, 3] in v1 graph mode",
            "y = tf.compat.v1.keras.layers.Embedding(5, 3)(ids)",
            b_keras,
        ),
        Case(
            "embedding",
            "get_variable_embedding_lookup",
            "classic idiom: table = get_variable('embedding', [5, 3]); "
            "embedding_lookup(table, ids)",
            "table = tf.compat.v1.get_variable('embedding', [5, 3]); "
            "y = tf.nn.embedding_lookup(table, ids)",
            b_classic,
        ),
    ]


def rnn_cases():
    R = tf.compat.v1.nn.rnn_cell
    B, T, IN, U = 2, 3, 3, 4
    cases = []

    def lstm_after(prefix, arr, forget_bias):
        def after(sess, feed, built, w, outs):
            k, b = w[prefix + "/kernel"], w[prefix + "/bias"]
            diffs = {}
            matching = []
            for perm in itertools.permutations("ijfo"):
                order = "".join(perm)
                o, (c, h) = ref_lstm(arr, k, b, U, order, forget_bias)
                d = max(maxdiff(outs["outputs"], o), maxdiff(outs["c"], c), maxdiff(outs["h"], h))
                diffs[order] = d
                if d < TOL:
                    matching.append(order)
            o, (c, h) = ref_lstm(arr, k, b, U, "ijfo", 0.0 if forget_bias else 1.0)
            return {
                "checks": {
                    "gate_orders_matching_numpy": matching,
                    "max_diff_per_gate_order": {k2: diffs[k2] for k2 in ("ijfo", "ifjo", "ifoj")},
                    "max_diff_ijfo_with_other_forget_bias": maxdiff(outs["outputs"], o),
                    "h_equals_last_output": maxdiff(outs["h"], np.asarray(outs["outputs"])[:, -1]),
                }
            }

        return after

    def make_dynamic(kind, forget_bias=None):
        def build():
            x = ph([B, T, IN])
            arr = det_input([B, T, IN])
            kwargs = {} if forget_bias is None else {"forget_bias": forget_bias}
            cell_cls = {
                "basic_rnn": R.BasicRNNCell,
                "basic_lstm": R.BasicLSTMCell,
                "lstm": R.LSTMCell,
                "gru": R.GRUCell,
            }[kind]
            cell = cell_cls(U, **kwargs)
            outputs, state = tf.compat.v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            outs = {"outputs": outputs}
            if kind in ("basic_lstm", "lstm"):
                outs["c"], outs["h"] = state.c, state.h
                prefix = "rnn/basic_lstm_cell" if kind == "basic_lstm" else "rnn/lstm_cell"
                fb = 1.0 if forget_bias is None else forget_bias
                after = lstm_after(prefix, arr, fb)
            elif kind == "gru":
                outs["state"] = state

                def after(sess, feed, built, w, o):
                    p = "rnn/gru_cell/"
                    args = (
                        arr,
                        w[p + "gates/kernel"],
                        w[p + "gates/bias"],
                        w[p + "candidate/kernel"],
                        w[p + "candidate/bias"],
                        U,
                    )
                    res = {}
                    for variant in ("tf1", "gates_u_r", "keras_mix", "reset_after"):
                        out, h = ref_gru(*args, variant=variant)
                        res[variant] = max(maxdiff(o["outputs"], out), maxdiff(o["state"], h))
                    return {
                        "checks": {
                            "max_diff_per_variant": res,
                            "variants": {
                                "tf1": "r, u = split(sigmoid([x, h] @ Wg + bg)); "
                                "c = tanh([x, r * h] @ Wc + bc); h' = u * h + (1 - u) * c",
                                "gates_u_r": "as tf1 but u, r = split(...)",
                                "keras_mix": "as tf1 but h' = (1 - u) * h + u * c",
                                "reset_after": "as tf1 but "
                                "c = tanh(x @ Wc_x + r * (h @ Wc_h) + bc)",
                            },
                        }
                    }
            else:
                outs["state"] = state

                def after(sess, feed, built, w, o):
                    out, h = ref_basic_rnn(
                        arr, w["rnn/basic_rnn_cell/kernel"], w["rnn/basic_rnn_cell/bias"], U
                    )
                    return {
                        "checks": {
                            "vs_numpy_tanh([x, h] @ W + b)": max(
                                maxdiff(o["outputs"], out), maxdiff(o["state"], h)
                            )
                        }
                    }

            extra = {
                "cell_defaults": defaults_of(cell_cls.__init__),
                "matmul_op_names": op_names({"MatMul"}),
                "state_size": (
                    list(cell.state_size) if isinstance(cell.state_size, tuple) else cell.state_size
                ),
                "output_size": cell.output_size,
            }
            return Built({"x": (x, arr)}, outs, after=after, extra=extra)

        return build

    kinds = [
        ("dynamic_rnn_basic_rnn_cell", "basic_rnn", None, "BasicRNNCell(4)"),
        (
            "dynamic_rnn_basic_lstm_cell",
            "basic_lstm",
            None,
            "BasicLSTMCell(4) (forget_bias default)",
        ),
        ("dynamic_rnn_lstm_cell", "lstm", None, "LSTMCell(4) (forget_bias default 1.0)"),
        ("dynamic_rnn_lstm_cell_forget_bias_0", "lstm", 0.0, "LSTMCell(4, forget_bias=0.0)"),
        ("dynamic_rnn_gru_cell", "gru", None, "GRUCell(4)"),
    ]
    for name, kind, fb, label in kinds:
        cases.append(
            Case(
                "rnn",
                name,
                f"tf.compat.v1.nn.dynamic_rnn({label}, x, dtype=float32), x [batch 2, time 3, "
                "input 3] batch-major, zero initial state; kernel rows are [inputs; h]",
                f"cell = tf.compat.v1.nn.rnn_cell.{label.split(' ')[0]}; "
                "outputs, state = tf.compat.v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)",
                make_dynamic(kind, fb),
            )
        )

    def b_static():
        x = ph([B, T, IN])
        arr = det_input([B, T, IN])
        xs = tf.unstack(x, axis=1)
        cell = R.LSTMCell(U)
        outputs, state = tf.compat.v1.nn.static_rnn(cell, xs, dtype=tf.float32)
        outs = {f"output_t{t}": o for t, o in enumerate(outputs)}
        outs["c"], outs["h"] = state.c, state.h
        base = lstm_after("rnn/lstm_cell", arr, 1.0)

        def after(sess, feed, built, w, o):
            stacked = dict(o)
            stacked["outputs"] = np.stack([o[f"output_t{t}"] for t in range(T)], axis=1)
            return base(sess, feed, built, w, stacked)

        return Built(
            {"x": (x, arr)},
            outs,
            after=after,
            extra={
                "matmul_op_names": op_names({"MatMul"}),
                "bias_add_op_names": op_names({"BiasAdd"}),
                "output_tensor_names": [o.name for o in outputs],
            },
        )

    cases.append(
        Case(
            "rnn",
            "static_rnn_lstm_cell",
            "tf.compat.v1.nn.static_rnn(LSTMCell(4), unstack(x, axis=1)): same variables as "
            "dynamic_rnn; one MatMul per step, all in name scope rnn/lstm_cell "
            "(MatMul, MatMul_1, MatMul_2)",
            "outputs, state = tf.compat.v1.nn.static_rnn(LSTMCell(4), tf.unstack(x, axis=1), "
            "dtype=tf.float32)",
            b_static,
        )
    )

    def b_multi():
        x = ph([B, T, IN])
        arr = det_input([B, T, IN])
        cell = R.MultiRNNCell([R.LSTMCell(4), R.LSTMCell(3)])
        outputs, state = tf.compat.v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        outs = {
            "outputs": outputs,
            "c0": state[0].c,
            "h0": state[0].h,
            "c1": state[1].c,
            "h1": state[1].h,
        }

        def after(sess, feed, built, w, o):
            p0, p1 = "rnn/multi_rnn_cell/cell_0/lstm_cell/", "rnn/multi_rnn_cell/cell_1/lstm_cell/"
            o0, (c0, h0) = ref_lstm(arr, w[p0 + "kernel"], w[p0 + "bias"], 4)
            o1, (c1, h1) = ref_lstm(o0, w[p1 + "kernel"], w[p1 + "bias"], 3)
            return {
                "checks": {
                    "vs_numpy_stacked_lstm_ijfo": max(
                        maxdiff(o["outputs"], o1),
                        maxdiff(o["c0"], c0),
                        maxdiff(o["h0"], h0),
                        maxdiff(o["c1"], c1),
                        maxdiff(o["h1"], h1),
                    )
                }
            }

        return Built(
            {"x": (x, arr)}, outs, after=after, extra={"matmul_op_names": op_names({"MatMul"})}
        )

    cases.append(
        Case(
            "rnn",
            "dynamic_rnn_multi_rnn_cell",
            "MultiRNNCell([LSTMCell(4), LSTMCell(3)]) under dynamic_rnn; state is a tuple of "
            "LSTMStateTuple(c, h) per layer",
            "cell = MultiRNNCell([LSTMCell(4), LSTMCell(3)]); "
            "outputs, state = tf.compat.v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)",
            b_multi,
        )
    )
    return cases


def all_cases():
    return (
        dense_cases()
        + conv_cases()
        + pool_cases()
        + bn_cases()
        + ln_cases()
        + embedding_cases()
        + rnn_cases()
    )


def record() -> dict:
    return {case.name: run_case(case) for case in all_cases()}


# --------------------------------------------------------------------------- output


def diff_paths(a, b, path="") -> list:
    """Paths (case/key/...) where two recordings differ, leaves only."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                out.append(f"{path}/{k}")
            else:
                out += diff_paths(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [path.lstrip("/")]


def _inline(obj) -> bool:
    """Values written on one line: scalars, lists without dicts, dicts of such (shallow)."""
    if isinstance(obj, list):
        return not any(isinstance(v, dict) for v in obj)
    if isinstance(obj, dict):
        return len(obj) <= 40 and all(
            not isinstance(v, dict) and (not isinstance(v, list) or _flat(v)) for v in obj.values()
        )
    return True


def _flat(lst) -> bool:
    return all(not isinstance(v, list | dict) for v in lst)


def _dump(obj, indent: int) -> str:
    if _inline(obj):
        return json.dumps(obj)
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {_dump(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _dump(v, indent + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def dump(doc: dict) -> str:
    text = _dump(doc, 0) + "\n"
    assert json.loads(text) == doc
    return text


def main(argv=None) -> int:
    global tf
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "tf1_layers.json"))
    args = parser.parse_args(argv)

    # Set before TensorFlow is imported (not at module import: pytest's
    # --doctest-modules imports this file and must not see its environment change).
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow

    tf = tensorflow
    import tf_keras

    tf.get_logger().setLevel("ERROR")
    tf.compat.v1.disable_v2_behavior()

    cases = record()
    again = record()
    if dump(cases) != dump(again):
        print("recording is not deterministic", file=sys.stderr)
        return 1
    tf.compat.v1.enable_resource_variables()
    resource = record()
    tf.compat.v1.disable_resource_variables()
    resource_diffs = diff_paths(cases, resource)

    doc = {
        "header": {
            "what": "TF1 (tf.compat.v1 graph mode) layers: variables, collections, update ops, "
            "initial values and numerics; see README.md",
            "tensorflow": tf.__version__,
            "tf_keras": tf_keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "mode": "tf.compat.v1.disable_v2_behavior() (ref variables, v1 control flow), "
            "a fresh tf.Graph per case, tf.compat.v1.set_random_seed(1234), "
            "TF_USE_LEGACY_KERAS=1, TF_ENABLE_ONEDNN_OPTS=0, 1 intra/inter-op thread",
            "inputs": "det_input(shape, k=0) = np.sin(np.linspace(0, 6, size) * 1.3 + 0.7 * k)"
            ".reshape(shape) * 1.5 (float32); ids are written out",
            "weights": "variable i (0-based, creation order) is assigned "
            "np.sin(np.arange(size) * 0.37 + (i + 1)).reshape(shape) * 0.5 (float32) after "
            "initialisation, unless the case overrides it (batch norm moving stats); all "
            "assigned values are in each case's 'weights'",
            "initial_values": "values right after global_variables_initializer(): kernels and "
            "embedding tables as stats (random, graph seed 1234), everything else in full",
            "floats": "float32 values written as the shortest decimal that reads back as the "
            "same float32",
            "checks": f"max |TF - numpy reference|; a reference matches when below {TOL}",
            "differences_with_resource_variables": resource_diffs,
        },
        "cases": cases,
    }
    text = dump(doc)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}: {len(cases)} cases, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
