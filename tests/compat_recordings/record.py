"""Record TF1's outputs for every case in cases.py (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record.py

Writes ops.npz (inputs and outputs, by case id) and ops.json (the TF version, the
outputs' dtypes, and the cases TF refused). The tests read these without TF.

TensorFlow's CPU kernels take NHWC only: an NCHW case is run here on the transposed
input in NHWC and its output transposed back, which is what TF's GPU kernels compute.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from cases import CASES  # noqa: E402

v1 = tf.compat.v1


def resolve(path: str):
    obj = v1
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def nchw_to_nhwc(fn, args, kwargs):
    kwargs = dict(kwargs, data_format="NHWC")
    args = list(args)
    args[0] = np.transpose(args[0], (0, 2, 3, 1))
    for i, a in enumerate(args):
        if isinstance(a, list) and len(a) == 4 and all(isinstance(v, int) for v in a):
            args[i] = [a[0], a[2], a[3], a[1]]  # strides / ksize / output_shape
    out = fn(*args, **kwargs)
    return tf.transpose(out, (0, 3, 1, 2))


def run(op: str, args: list, kwargs: dict):
    fn = resolve(op)
    if kwargs.get("data_format") == "NCHW":
        return nchw_to_nhwc(fn, args, kwargs)
    return fn(*args, **kwargs)


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"tensorflow": tf.__version__, "cases": {}, "refused": {}}
    for id_, op, args, kwargs in CASES:
        try:
            out = run(op, args, kwargs)
        except Exception as e:  # noqa: BLE001 - a refusal is recorded, not fatal
            meta["refused"][id_] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
            continue
        leaves = [np.asarray(o) for o in flatten(out)]
        for k, leaf in enumerate(leaves):
            arrays[f"{id_}/out{k}"] = leaf
        meta["cases"][id_] = {
            "op": op,
            "dtypes": [str(leaf.dtype) for leaf in leaves],
            "shapes": [list(leaf.shape) for leaf in leaves],
            "list": isinstance(out, (list, tuple)),
        }
    np.savez_compressed(HERE / "ops.npz", **arrays)
    (HERE / "ops.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(meta['cases'])} cases recorded, {len(meta['refused'])} refused")
    for k, v in meta["refused"].items():
        print(f"  refused {k}: {v}")


if __name__ == "__main__":
    main()
