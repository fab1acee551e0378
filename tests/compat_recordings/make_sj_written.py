"""Write the TF bundles that TensorFlow must read back (run in the scopejax venv):

    python tests/compat_recordings/make_sj_written.py

Writes ``sj_written/dtypes.ckpt-7`` with ``save_tf`` (every dtype a bundle holds here,
special floats, a scalar, an empty tensor, enough names for several index blocks) and
``sj_written/adam.ckpt-3`` and its ``checkpoint`` state file with
``compat.v1.train.Saver`` (a model trained 3 Adam steps here: variables, slots, beta
powers, global step). ``check_tf_reads.py`` then reads
them in TensorFlow and records what it read; ``tests/test_compat_train.py`` rewrites
the files and checks they are byte-identical to these, so TF's verdict covers the
current writer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ml_dtypes
import numpy as np

HERE = Path(__file__).parent
OUT = HERE / "sj_written"


def dtype_values() -> dict[str, np.ndarray]:
    rng = np.random.RandomState(3)
    f = rng.randn(2, 3)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.0], np.float32)
    values: dict[str, np.ndarray] = {
        "float32/special": special,
        "float32/matrix": f.astype(np.float32),
        "float64/v": f.astype(np.float64),
        "float16/v": f.astype(np.float16),
        "bfloat16/v": f.astype(ml_dtypes.bfloat16),
        "complex64/v": (f + 1j * f[::-1]).astype(np.complex64),
        "complex128/v": (f - 2j * f).astype(np.complex128),
        "bool/v": np.array([[True, False], [False, True]]),
        "scalar/global_step": np.array(7, np.int64),
        "empty/v": np.zeros([0, 4], np.float32),
    }
    for dt in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        info = np.iinfo(dt)
        values[f"{dt}/v"] = np.array([info.min, -1 if info.min else 1, 0, info.max], dt)
    for i in range(120):  # several index blocks
        values[f"many/layer_{i:03d}/w"] = np.array([i], np.int32)
    return values


def write(out: Path) -> list[str]:
    """Write both bundles under ``out``; their prefixes."""
    sys.path.insert(0, str(HERE.parent))
    from test_compat_train import saver_roundtrip_state  # the model, trained 3 steps

    import scopejax.compat.v1 as tf
    from scopejax._src.checkpoint.tf_writer import save_tf

    a = save_tf(out / "dtypes.ckpt-7", dtype_values())
    state, opt = saver_roundtrip_state()
    saver = tf.train.Saver(optimizer=opt, save_relative_paths=True)
    b = saver.save(state, str(out / "adam.ckpt"), global_step=tf.train.get_or_create_global_step())
    return [a, b]


if __name__ == "__main__":
    print(write(OUT))
