"""Record the op names TF1 gives (run in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_opnames.py

Writes opnames.json with two parts:

* ``defaults``: for each op of ``cases.py`` and ``ops2_cases.py`` (its first case),
  the name TF1 gives the op that computes its output, when called in a fresh graph with
  no ``name=``: the first component of the output op's name (``Mean``; ``moments`` for
  ops TF1 builds inside a name scope of their own).
* ``programs``: for each program of ``opname_programs.py``, the names of the ops it
  creates, in order, except constants (inputs here are ``tf.constant``s).
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
from opname_programs import PROGRAMS  # noqa: E402
from record import flatten, run  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()
SKIP_TYPES = {"Const", "Placeholder"}


def default_names() -> dict[str, str]:
    out: dict[str, str] = {}
    cases = list(CASES)
    try:
        from ops2_cases import CASES as CASES2

        cases += list(CASES2)
    except ImportError:
        pass
    for _, op, args, kwargs in cases:
        if op in out or "name" in kwargs:
            continue
        with tf.Graph().as_default():
            try:
                result = run(op, args, kwargs)
            except Exception:  # refused by TF: nothing to name
                continue
            leaves = [t for t in flatten(result) if isinstance(t, tf.Tensor)]
            if leaves:
                out[op] = leaves[0].op.name.split("/")[0]
    return out


def program_names() -> dict[str, list[str]]:
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3), (3, 4), (4, 5), (5,))]
    out = {}
    for name, prog in PROGRAMS.items():
        with tf.Graph().as_default() as g:
            consts = [tf.constant(a) for a in args]
            before = {op.name for op in g.get_operations()}
            prog(v1, *consts)
            out[name] = [
                op.name
                for op in g.get_operations()
                if op.name not in before and op.type not in SKIP_TYPES
            ]
    return out


def main() -> None:
    record = {"tensorflow": tf.__version__, "defaults": default_names(), "programs": program_names()}
    (HERE / "opnames.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"{len(record['defaults'])} op names, {len(record['programs'])} programs")


if __name__ == "__main__":
    main()
