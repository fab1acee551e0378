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
}


def main() -> None:
    out: dict[str, np.ndarray] = {"x0": X0, "a": A, "c": C}
    for case, (cls, kwargs) in CASES.items():
        x = tf.Variable(X0)
        opt = getattr(v1.train, cls)(**kwargs)
        traj = []
        for _ in range(STEPS):
            with tf.GradientTape() as tape:
                loss = 0.5 * tf.reduce_sum(A * (x - C) ** 2)
            opt.apply_gradients([(tape.gradient(loss, x), x)])
            traj.append(x.numpy().copy())
        out[case] = np.stack(traj)
    np.savez(HERE / "optimizers.npz", **out)
    meta = {"tf_version": tf.__version__, "steps": STEPS, "cases": CASES}
    (HERE / "optimizers.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
