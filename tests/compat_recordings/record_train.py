"""Record TF1 ``tf.train`` behaviour beyond the optimizers (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_train.py

Writes ``train.npz`` / ``train.json``, read by ``tests/test_compat_train.py`` without TF:

- ``gvs_<case>``: ``compute_gradients`` -> Python processing of the ``(grad, var)`` list
  (``clip_by_global_norm``, ``clip_by_value``, a None gradient) -> ``apply_gradients(...,
  global_step=)`` in graph mode; the variables after every step (``<case>/w``,
  ``<case>/b``) and the global step.
- ``decay_<case>``: the learning-rate decays of ``tf.train`` evaluated at the global
  steps ``DECAY_STEPS``.

The model is ``loss = mean((x @ w + b - y) ** 2)`` with ``w0``, ``b0``, ``x``, ``y`` stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
v1 = tf.compat.v1
v1.disable_eager_execution()

RNG = np.random.RandomState(7)
W0 = RNG.randn(3, 2).astype(np.float32)
B0 = RNG.randn(2).astype(np.float32)
X = RNG.randn(4, 3).astype(np.float32)
Y = RNG.randn(4, 2).astype(np.float32)
STEPS = 5

# case -> (optimizer class, kwargs, processing of the [(g, v)] list)
GVS_CASES = {
    "global_norm_momentum": ("MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}),
    "clip_value_adam": ("AdamOptimizer", {"learning_rate": 0.05}),
    "none_bias_adam": ("AdamOptimizer", {"learning_rate": 0.05}),
}


def process(case: str, gvs: list) -> list:
    if case == "global_norm_momentum":
        grads, tvars = zip(*gvs, strict=True)
        clipped, _ = v1.clip_by_global_norm(grads, 0.5)
        return list(zip(clipped, tvars, strict=True))
    if case == "clip_value_adam":
        return [(v1.clip_by_value(g, -0.1, 0.1), v) for g, v in gvs]
    if case == "none_bias_adam":
        return [(None if "b" in v.op.name else g, v) for g, v in gvs]
    raise KeyError(case)


def record_gvs(out: dict) -> None:
    for case, (cls, kwargs) in GVS_CASES.items():
        with v1.Graph().as_default():
            w = v1.get_variable("w", initializer=W0)
            b = v1.get_variable("b", initializer=B0)
            loss = v1.reduce_mean(v1.square(v1.matmul(X, w) + b - Y))
            gs = v1.train.get_or_create_global_step()
            opt = getattr(v1.train, cls)(**kwargs)
            gvs = opt.compute_gradients(loss)
            train_op = opt.apply_gradients(process(case, gvs), global_step=gs)
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                ws, bs, steps = [], [], []
                for _ in range(STEPS):
                    sess.run(train_op)
                    wv, bv, sv = sess.run([w, b, gs])
                    ws.append(wv)
                    bs.append(bv)
                    steps.append(sv)
        out[f"gvs_{case}/w"] = np.stack(ws)
        out[f"gvs_{case}/b"] = np.stack(bs)
        out[f"gvs_{case}/global_step"] = np.asarray(steps, np.int64)


def record_decayed_training(out: dict) -> None:
    """Momentum on exponential_decay(0.1, global_step, 2, 0.5, staircase=True), the global
    step starting at 0 and at 3 (the learning rate follows the step, not the count)."""
    for start in (0, 3):
        with v1.Graph().as_default():
            w = v1.get_variable("w", initializer=W0)
            b = v1.get_variable("b", initializer=B0)
            loss = v1.reduce_mean(v1.square(v1.matmul(X, w) + b - Y))
            gs = v1.train.get_or_create_global_step()
            lr = v1.train.exponential_decay(0.1, gs, 2, 0.5, staircase=True)
            train_op = v1.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=gs)
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                sess.run(gs.assign(start))
                ws, lrs = [], []
                for _ in range(STEPS):
                    lrs.append(sess.run(lr))
                    sess.run(train_op)
                    ws.append(sess.run(w))
        out[f"decayed_momentum_from{start}/w"] = np.stack(ws)
        out[f"decayed_momentum_from{start}/lr"] = np.asarray(lrs)


# case -> (optimizer class, kwargs, exponential_decay learning rate instead of kwargs')
SLOT_CASES = {
    "adam": ("AdamOptimizer", {"learning_rate": 0.05}, False),
    "adam_decay": ("AdamOptimizer", {}, True),
    "momentum": ("MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}, False),
    "rmsprop": ("RMSPropOptimizer", {"learning_rate": 0.01, "momentum": 0.5}, False),
    "rmsprop_centered": (
        "RMSPropOptimizer",
        {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
        False,
    ),
    "adagrad": ("AdagradOptimizer", {"learning_rate": 0.1}, False),
    "adadelta": ("AdadeltaOptimizer", {"learning_rate": 1.0}, False),
    "ftrl": ("FtrlOptimizer", {"learning_rate": 0.1, "l1_regularization_strength": 0.01}, False),
    "proximal_adagrad": ("ProximalAdagradOptimizer", {"learning_rate": 0.1}, False),
    "adagrad_da": ("AdagradDAOptimizer", {"learning_rate": 0.1}, False),
}
SLOT_SAVE_AT = 3  # steps before the checkpoint; STEPS - SLOT_SAVE_AT recorded after it


def record_slots(out: dict, meta: dict) -> None:
    """Train ``dense/kernel``, ``dense/bias`` for SLOT_SAVE_AT steps, save a TF1 checkpoint
    (slots, beta powers, global_step) to ``tf1_slots/<case>.ckpt-3``, train on and record
    the variables after each later step: resuming from the checkpoint must give these."""
    ckpt_dir = HERE / "tf1_slots"
    ckpt_dir.mkdir(exist_ok=True)
    for case, (cls, kwargs, decay) in SLOT_CASES.items():
        with v1.Graph().as_default():
            with v1.variable_scope("dense"):
                w = v1.get_variable("kernel", initializer=W0)
                b = v1.get_variable("bias", initializer=B0)
            loss = v1.reduce_mean(v1.square(v1.matmul(X, w) + b - Y))
            gs = v1.train.get_or_create_global_step()
            extra = {"global_step": gs} if cls == "AdagradDAOptimizer" else {}
            if decay:
                extra["learning_rate"] = v1.train.exponential_decay(0.1, gs, 2, 0.5, True)
            opt = getattr(v1.train, cls)(**kwargs, **extra)
            train_op = opt.minimize(loss, global_step=gs)
            saver = v1.train.Saver()
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                for _ in range(SLOT_SAVE_AT):
                    sess.run(train_op)
                path = saver.save(
                    sess,
                    str(ckpt_dir / f"{case}.ckpt"),
                    global_step=gs,
                    write_state=False,
                    write_meta_graph=False,
                )
                ws, bs = [], []
                for _ in range(STEPS - SLOT_SAVE_AT):
                    sess.run(train_op)
                    ws.append(sess.run(w))
                    bs.append(sess.run(b))
        out[f"slots_{case}/w"] = np.stack(ws)
        out[f"slots_{case}/b"] = np.stack(bs)
        names = [n for n, _ in tf.train.list_variables(path)]
        meta[case] = {"prefix": Path(path).name, "names": names}


def record_gan_names(meta: dict) -> None:
    """The names TF1 gives two Adams in one graph, and one minimized in a scope."""
    with v1.Graph().as_default():
        with v1.variable_scope("d"):
            d = v1.get_variable("w", [2])
        with v1.variable_scope("g"):
            g = v1.get_variable("w", [2])
        loss = v1.reduce_sum(d * g)
        v1.train.AdamOptimizer(0.1).minimize(loss, var_list=[d])
        v1.train.AdamOptimizer(0.1).minimize(-loss, var_list=[g])
        with v1.variable_scope("scoped"):
            v1.train.AdamOptimizer(0.1).minimize(2 * loss, var_list=[d])
        meta["gan_names"] = [v.op.name for v in v1.global_variables()]


DECAY_STEPS = [0, 1, 2, 5, 9, 10, 11, 37, 100, 150, 1000]
DECAY_CASES = {
    "exponential": (
        "exponential_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    ),
    "exponential_staircase": (
        "exponential_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True},
    ),
    "piecewise": (
        "piecewise_constant",
        {"boundaries": [5, 37, 100], "values": [1.0, 0.5, 0.1, 0.01]},
    ),
    "polynomial": (
        "polynomial_decay",
        {"learning_rate": 0.1, "decay_steps": 100, "end_learning_rate": 0.001, "power": 1.0},
    ),
    "polynomial_power_cycle": (
        "polynomial_decay",
        {
            "learning_rate": 0.1,
            "decay_steps": 30,
            "end_learning_rate": 0.01,
            "power": 0.5,
            "cycle": True,
        },
    ),
    "inverse_time": (
        "inverse_time_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    ),
    "inverse_time_staircase": (
        "inverse_time_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True},
    ),
    "natural_exp": (
        "natural_exp_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.3},
    ),
    "natural_exp_staircase": (
        "natural_exp_decay",
        {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.3, "staircase": True},
    ),
    "cosine": ("cosine_decay", {"learning_rate": 0.1, "decay_steps": 100}),
    "cosine_alpha": ("cosine_decay", {"learning_rate": 0.1, "decay_steps": 100, "alpha": 0.2}),
    "cosine_restarts": (
        "cosine_decay_restarts",
        {"learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1},
    ),
    "cosine_restarts_default": (
        "cosine_decay_restarts",
        {"learning_rate": 0.1, "first_decay_steps": 7},
    ),
    "linear_cosine": ("linear_cosine_decay", {"learning_rate": 0.1, "decay_steps": 100}),
}


def record_decays(out: dict) -> None:
    for case, (fn, kwargs) in DECAY_CASES.items():
        with v1.Graph().as_default():
            step = v1.placeholder(tf.int64, [])
            arg = "x" if fn == "piecewise_constant" else "global_step"
            lr = getattr(v1.train, fn)(**{arg: step}, **kwargs)
            with v1.Session() as sess:
                vals = [sess.run(lr, {step: s}) for s in DECAY_STEPS]
        out[f"decay_{case}"] = np.asarray(vals)


def main() -> None:
    out: dict[str, np.ndarray] = {"w0": W0, "b0": B0, "x": X, "y": Y}
    record_gvs(out)
    record_decays(out)
    record_decayed_training(out)
    slots: dict = {}
    record_slots(out, slots)
    names: dict = {}
    record_gan_names(names)
    np.savez(HERE / "train.npz", **out)
    meta = {
        "tf_version": tf.__version__,
        "steps": STEPS,
        "gvs_cases": GVS_CASES,
        "decay_steps": DECAY_STEPS,
        "decay_cases": DECAY_CASES,
        "slot_cases": SLOT_CASES,
        "slot_save_at": SLOT_SAVE_AT,
        "slot_checkpoints": slots,
        "gan_names": names["gan_names"],
        "dtypes": {k: str(v.dtype) for k, v in sorted(out.items()) if k.startswith("decay_")},
    }
    (HERE / "train.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
