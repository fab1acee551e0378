"""Record TF1's Tensor API (shapes, Python scalars on operators) for
tensor_api_cases.py (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_tensor_api.py

Writes tensor_api.json: per case, the value (shapes) or the result's dtype and values
(operators), or the error TF raised. Graph mode (``disable_v2_behavior``), so shapes are
TF1's ``TensorShape`` of ``Dimension``s.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from tensor_api_cases import SHAPE_CASES, operand, operator_cases  # noqa: E402

v1 = tf.compat.v1
v1.disable_v2_behavior()


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(i) for i in v]
    if isinstance(v, tf.compat.v1.Dimension):
        return {"Dimension": v.value}
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return {"repr": repr(v)}


def error(e: Exception) -> dict:
    return {"error": type(e).__name__, "message": str(e).splitlines()[0][:200]}


def main() -> None:
    meta: dict = {"tensorflow": tf.__version__, "shape": {}, "operators": {}}
    x = v1.placeholder(tf.float32, [2, 3, 4])
    for expr in SHAPE_CASES:
        try:
            meta["shape"][expr] = {"value": jsonable(eval(expr, {"tf": v1, "x": x}))}
        except Exception as e:  # noqa: BLE001 - TF's refusal is the recording
            meta["shape"][expr] = error(e)
    sess = v1.Session()
    for id_, dtype, s, expr in operator_cases():
        t = v1.constant(operand(dtype), dtype=tf.as_dtype(dtype))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = eval(expr, {"tf": v1, "x": t, "s": s})
                val = sess.run(out)
            meta["operators"][id_] = {"dtype": out.dtype.name, "value": val.tolist()}
        except Exception as e:  # noqa: BLE001 - TF's refusal is the recording
            meta["operators"][id_] = error(e)
    path = HERE / "tensor_api.json"
    path.write_text(json.dumps(meta, indent=1, sort_keys=True, allow_nan=True) + "\n")
    n_err = sum("error" in v for v in meta["operators"].values())
    print(
        f"{len(meta['shape'])} shape cases, {len(meta['operators'])} operator cases "
        f"({n_err} refused by TF)"
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
