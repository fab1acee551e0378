"""Record the op names TF1 gives (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_op_names.py

For every case of cases.py and ops2_cases.py, in a fresh TF1 graph (graph mode) under
``name_scope("model")``: the op is called three times, the third with ``name="custom"``,
and the name of each result's op is kept relative to ``model/``. Its first component is
the name the call takes in the graph (``MatMul``, ``MatMul_1``, ``custom``; ``moments``
for an op that opens a name scope). Writes op_names.json.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from cases import CASES  # noqa: E402
from ops2_cases import CASES as CASES2  # noqa: E402
from record import flatten, resolve  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


def first_name(out) -> str | None:
    leaves = [t for t in flatten(out) if hasattr(t, "op")]
    if not leaves:
        return None
    name = leaves[0].op.name
    assert name.startswith("model/"), name
    return name[len("model/") :].split("/")[0]


def main() -> None:
    names: dict = {}
    for id_, op, args, kwargs in CASES + CASES2:
        if op in names or kwargs.get("data_format") == "NCHW":
            continue
        fn = resolve(op)
        try:
            takes_name = "name" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            takes_name = False
        with tf.Graph().as_default():
            try:
                with v1.name_scope("model"):
                    got = [first_name(fn(*args, **kwargs)) for _ in range(2)]
                    if takes_name:
                        got.append(first_name(fn(*args, **dict(kwargs, name="custom"))))
            except Exception as e:  # noqa: BLE001 - graph mode refuses a few eager cases
                print("skipped", id_, type(e).__name__)
                continue
        if got[0] is not None:
            names[op] = got
    # tf.pad picks its op by the arguments (Pad, PadV2, MirrorPad)
    pad_calls = [
        {},
        {"constant_values": -1.0},
        {"mode": "REFLECT"},
        {"mode": "symmetric"},
        {"constant_values": 0.0},
    ]
    with tf.Graph().as_default(), v1.name_scope("model"):
        x = np.ones((3, 4), np.float32)
        pad = [first_name(v1.pad(x, [[1, 0], [0, 1]], **kw)) for kw in pad_calls]
    out = {"tensorflow": tf.__version__, "names": names, "pad": {"calls": pad_calls, "names": pad}}
    (HERE / "op_names.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(len(names), "ops")


if __name__ == "__main__":
    main()
