"""TF1's op names in the compiled program (issue 14): compat ops name themselves as TF1
names ops (``model/encoder/MatMul``, ``MatMul_1``, ``name=``), checked against the names
TF 2.21's tf.compat.v1 graphs gave (``compat_recordings/record_opnames.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf
from scopejax._src.compat.opnames import OP_NAMES
from scopejax._src.core.jaxcompat import eqn_name_stack

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from opname_programs import PROGRAMS  # noqa: E402

RECORDED = json.loads((HERE / "opnames.json").read_text())
# recorded under other inputs: tf.stack's case stacks a list TF first packs into "stack"
# (so the op became stack_1), tf.pad's passes constant_values (PadV2)
NOT_COMPARED = {"stack", "pad"}
rng = np.random.default_rng(0)
ARGS = [
    jnp.asarray(rng.standard_normal(s).astype(np.float32)) for s in ((2, 3), (3, 4), (4, 5), (5,))
]


def resolve(path: str):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def test_each_op_takes_tf1s_default_name():
    compared = [p for p in OP_NAMES if p not in NOT_COMPARED]
    assert len(compared) > 190
    for path in compared:
        assert OP_NAMES[path] == RECORDED["defaults"][path], path
        assert resolve(path).tf_op_type == OP_NAMES[path], path


def op_names(fn, *args) -> list[str]:
    """The name-scope paths of the traced program's equations, in first-use order."""
    jaxpr = jax.make_jaxpr(lambda *a: sj.transform(fn).apply({}, *a))(*args)
    return list(dict.fromkeys(eqn_name_stack(e) for e in jaxpr.jaxpr.eqns))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_programs_name_their_ops_as_tf1(name):
    got = op_names(lambda *a: PROGRAMS[name](tf, *a), *ARGS)
    assert got == RECORDED["programs"][name]


def test_names_reach_the_hlo_metadata():
    net = sj.transform(lambda *a: PROGRAMS["encoder"](tf, *a))
    text = jax.jit(lambda *a: net.apply({}, *a)).lower(*ARGS).as_text(debug_info=True)
    assert "model/encoder/MatMul_1/dot_general" in text


def test_eager_calls_take_the_same_names_and_plain_calls_none():
    def f(*a):
        PROGRAMS["shared_namespace"](tf, *a)
        with tf.name_scope("Square") as scope:  # taken by the program's Square op
            return scope

    assert sj.transform(f).apply({}, *ARGS) == "Square_1/"  # eager, as when traced
    np.testing.assert_allclose(tf.matmul(ARGS[0], ARGS[1]), ARGS[0] @ ARGS[1])  # no transform
