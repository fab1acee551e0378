"""Record TF1's outputs for ops2_cases.py (run in a TensorFlow venv), as record.py does
for cases.py:

    /work/tfvenv/bin/python tests/compat_recordings/record_ops2.py

Writes ops2.npz and ops2.json. The tf.losses cases run in graph mode as well, so that
the recording also notes which collection each loss went to (``LOSSES``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from ops2_cases import CASES  # noqa: E402
from record import flatten, run  # noqa: E402

v1 = tf.compat.v1


def losses_program() -> dict:
    """Two losses and a regularizer in one TF1 graph: the LOSSES collection and
    get_total_loss / get_regularization_loss, as TF computes them."""
    g = tf.Graph()
    with g.as_default():
        x = v1.constant([[1.0, 2.0], [3.0, 4.0]])
        w = v1.get_variable(
            "w",
            initializer=v1.constant([[0.5, -1.0], [2.0, 0.25]]),
            regularizer=lambda t: 0.1 * v1.reduce_sum(t * t),
        )
        y = v1.matmul(x, w)
        a = v1.losses.mean_squared_error(v1.ones_like(y), y)
        b = v1.losses.absolute_difference(v1.zeros_like(y), y, weights=0.5)
        v1.losses.absolute_difference(v1.zeros_like(y), y, loss_collection=None)
        out = {
            "n_losses": len(v1.losses.get_losses()),
            "n_regularization_losses": len(v1.losses.get_regularization_losses()),
        }
        total = v1.losses.get_total_loss()
        total_no_reg = v1.losses.get_total_loss(add_regularization_losses=False)
        reg = v1.losses.get_regularization_loss()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            vals = sess.run(
                {"a": a, "b": b, "total": total, "total_no_reg": total_no_reg, "reg": reg}
            )
        out.update({k: float(v) for k, v in vals.items()})
    return out


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
    meta["losses_program"] = losses_program()
    np.savez_compressed(HERE / "ops2.npz", **arrays)
    (HERE / "ops2.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(meta['cases'])} cases recorded, {len(meta['refused'])} refused")
    for k, v in meta["refused"].items():
        print(f"  refused {k}: {v}")
    print(meta["losses_program"])


if __name__ == "__main__":
    main()
