"""Record linear_operator_cases.py from TensorFlow's graph mode (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_linear_operator.py

Writes linear_operator.npz: ``<case>/<output>`` for every output of every case.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from linear_operator_cases import CASES  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    for name, (fn, tril, x) in CASES.items():
        with tf.Graph().as_default():
            out = fn(v1, v1.constant(tril), v1.constant(x))
            static = {k: v for k, v in out.items() if isinstance(v, np.ndarray)}
            with v1.Session() as sess:
                got = sess.run({k: v for k, v in out.items() if k not in static})
            got.update(static)
        arrays.update({f"{name}/{k}": np.asarray(v) for k, v in got.items()})
    np.savez(HERE / "linear_operator.npz", tensorflow=np.asarray(tf.__version__), **arrays)
    print(f"{len(CASES)} cases, {len(arrays)} outputs")


if __name__ == "__main__":
    main()
