"""Record which static comparison asserts TF1's graph mode refuses while the graph is
built (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_asserts.py

For each case of ASSERT_CASES: ``"ok"`` or the first line of the error TF raises
(``InvalidArgumentError``, at graph construction, for statically known inputs).
Writes asserts.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
v1.disable_eager_execution()

HERE = Path(__file__).parent

# (assert name, x, y): numbers, lists (broadcast against scalars and each other)
ASSERT_CASES = [
    ("assert_less_equal", 7, 16),
    ("assert_less_equal", 16, 16),
    ("assert_less_equal", 17, 16),
    ("assert_less", 3, 3),
    ("assert_less", [1, 2], 3),
    ("assert_greater", [4, 5], [3, 5]),
    ("assert_greater_equal", [4, 5], [3, 5]),
    ("assert_equal", [2, 2], 2),
    ("assert_equal", [[1, 2]], [[1], [2]]),
    ("assert_equal", 1.5, 1.5),
]


def main() -> None:
    out = []
    for name, x, y in ASSERT_CASES:
        with tf.Graph().as_default():
            try:
                getattr(v1, name)(np.asarray(x), np.asarray(y))
                result = "ok"
            except tf.errors.InvalidArgumentError as e:
                result = type(e).__name__ + ": " + str(e).splitlines()[0]
        out.append({"assert": name, "x": x, "y": y, "result": result})
    (HERE / "asserts.json").write_text(
        json.dumps({"tensorflow": tf.__version__, "cases": out}, indent=1) + "\n"
    )
    print(f"{len(out)} cases")


if __name__ == "__main__":
    main()
