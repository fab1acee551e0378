"""Record TF1 optimizers' trajectories on a small quadratic (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_optimizers.py

Writes optimizers.npz: for each case in ``CASES`` the variable after every step
(``<case>``, shape [STEPS, 4]) plus the problem (``x0``, ``a``, ``c``). The loss is
``0.5 * sum(a * (x - c) ** 2)``; the tests read these without TF.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
v1 = tf.compat.v1
STEPS = 6
X0 = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
A = np.array([1.0, 0.5, 2.0, 0.1], np.float32)
C = np.array([0.3, 0.1, -0.4, 1.0], np.float32)

CASES: dict[str, tuple[str, dict]] = {
    "sgd": ("GradientDescentOptimizer", {"learning_rate": 0.1}),
    "momentum": ("MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}),
    "nesterov": (
        "MomentumOptimizer",
        {"learning_rate": 0.1, "momentum": 0.9, "use_nesterov": True},
    ),
    "adam": ("AdamOptimizer", {"learning_rate": 0.1}),
    "adam_eps": (
        "AdamOptimizer",
        {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 0.1},
    ),
    "rmsprop": ("RMSPropOptimizer", {"learning_rate": 0.01}),
    "rmsprop_mom_centered": (
        "RMSPropOptimizer",
        {"learning_rate": 0.01, "decay": 0.8, "momentum": 0.5, "epsilon": 1e-3, "centered": True},
    ),
    "adagrad": ("AdagradOptimizer", {"learning_rate": 0.1}),
    "adagrad_init": (
        "AdagradOptimizer",
        {"learning_rate": 0.5, "initial_accumulator_value": 0.5},
    ),
    "adadelta": ("AdadeltaOptimizer", {"learning_rate": 0.5}),
    "adadelta_rho_eps": (
        "AdadeltaOptimizer",
        {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-4},
    ),
    "ftrl": ("FtrlOptimizer", {"learning_rate": 0.1}),
    "ftrl_l1_l2": (
        "FtrlOptimizer",
        {
            "learning_rate": 0.5,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
        },
    ),
    "ftrl_power": (
        "FtrlOptimizer",
        {
            "learning_rate": 0.3,
            "learning_rate_power": -0.3,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 0.01,
        },
    ),
    "ftrl_power_zero": ("FtrlOptimizer", {"learning_rate": 0.2, "learning_rate_power": 0.0}),
    "ftrl_shrinkage": (
        "FtrlOptimizer",
        {
            "learning_rate": 0.3,
            "l1_regularization_strength": 0.01,
            "l2_shrinkage_regularization_strength": 0.2,
        },
    ),
    "ftrl_beta": (
        "FtrlOptimizer",
        {"learning_rate": 0.3, "l2_regularization_strength": 0.05, "beta": 0.5},
    ),
    "proximal_adagrad": ("ProximalAdagradOptimizer", {"learning_rate": 0.3}),
    "proximal_adagrad_l1_l2": (
        "ProximalAdagradOptimizer",
        {
            "learning_rate": 0.3,
            "initial_accumulator_value": 0.2,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
        },
    ),
    "proximal_sgd": ("ProximalGradientDescentOptimizer", {"learning_rate": 0.1}),
    "proximal_sgd_l1_l2": (
        "ProximalGradientDescentOptimizer",
        {
            "learning_rate": 0.2,
            "l1_regularization_strength": 0.1,
            "l2_regularization_strength": 0.3,
        },
    ),
    # AdagradDA also takes global_step (a variable that apply_gradients increments here)
    "adagrad_da": ("AdagradDAOptimizer", {"learning_rate": 0.5}),
    "adagrad_da_l1_l2": (
        "AdagradDAOptimizer",
        {
            "learning_rate": 0.5,
            "initial_gradient_squared_accumulator_value": 0.2,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
        },
    ),
}


def main() -> None:
    out: dict[str, np.ndarray] = {"x0": X0, "a": A, "c": C}
    for case, (cls, kwargs) in CASES.items():
        x = tf.Variable(X0)
        step = tf.Variable(0, dtype=tf.int64)
        extra = {"global_step": step} if cls == "AdagradDAOptimizer" else {}
        opt = getattr(v1.train, cls)(**kwargs, **extra)
        traj = []
        for _ in range(STEPS):
            with tf.GradientTape() as tape:
                loss = 0.5 * tf.reduce_sum(A * (x - C) ** 2)
            opt.apply_gradients([(tape.gradient(loss, x), x)], global_step=step)
            traj.append(x.numpy().copy())
        out[case] = np.stack(traj)
    np.savez(HERE / "optimizers.npz", **out)
    meta = {"tf_version": tf.__version__, "steps": STEPS, "cases": CASES}
    (HERE / "optimizers.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
