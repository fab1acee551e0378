"""TF1 op names in the traced program (scopejax/_src/compat/opnames.py), checked op by op:
tests/compat_recordings/record_op_names.py recorded TF 2.21's names for every op of
cases.py / ops2_cases.py (two calls and one with name="custom" under name_scope("model"),
with the first recorded case's arguments) and tf.pad's argument-dependent names. Each
compat op traces under the same names. No TensorFlow here."""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf
from scopejax._src.core import jaxcompat

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from cases import CASES  # noqa: E402
from ops2_cases import CASES as CASES2  # noqa: E402

sys.path.remove(str(HERE))
RECORDING = json.loads((HERE / "op_names.json").read_text())
NAMES = RECORDING["names"]
FIRST_CASE = {}
for c in CASES + CASES2:
    if c[1] in NAMES and c[1] not in FIRST_CASE and c[3].get("data_format") != "NCHW":
        FIRST_CASE[c[1]] = c
# TF's first call is not named like the others: an input list packed into a "stack" op
# took the name first, or the result is made by a helper op (swish's IdentityN)
IRREGULAR = {"stack", "clip_by_global_norm", "nn.swish"}


def resolve(path: str):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def names_under_model(fn, *args) -> list[str]:
    """The first name-stack component under ``model/`` of each top-level equation."""
    jaxpr = jax.make_jaxpr(fn)(*args)
    out = []
    for eqn in jaxpr.jaxpr.eqns:
        stack = jaxcompat.eqn_name_stack(eqn)
        m = re.search(r"(?:^|/)model/([^/]+)", stack)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def traced_names(op: str, args: list, kwargs: dict, calls: list[dict]) -> list[str]:
    leaves, treedef = jax.tree_util.tree_flatten(
        (args, kwargs), is_leaf=lambda x: isinstance(x, np.ndarray)
    )
    arrays = [i for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray)]

    def body(*xs):
        full = list(leaves)
        for i, x in zip(arrays, xs, strict=True):
            full[i] = x
        a, kw = jax.tree_util.tree_unflatten(treedef, full)
        with tf.name_scope("model"):
            return [resolve(op)(*a, **dict(kw, **extra)) for extra in calls]

    net = sj.transform(body)
    inputs = [jnp.asarray(leaves[i]) for i in arrays]
    store = net.init(jax.random.key(0), *inputs)
    return names_under_model(lambda *xs: net.apply(store, *xs, rng=jax.random.key(1)), *inputs)


def _check(op: str) -> str | None:
    _, _, args, kwargs = FIRST_CASE[op]
    want = NAMES[op]
    takes_name = "name" in inspect.signature(resolve(op)).parameters
    calls = [{}, {}] + ([{"name": "custom"}] if takes_name and len(want) == 3 else [])
    try:
        got = traced_names(op, args, kwargs, calls)
    except (jax.errors.ConcretizationTypeError, jax.errors.NonConcreteBooleanIndexError):
        return "data-dependent shape: outside jit only"
    except sj.ScopejaxError as e:
        if "must be known when the function is traced" not in str(e):
            raise
        return "data-dependent shape: outside jit only"
    if not got:
        return "no equations"  # a static result (tf.shape, tf.rank, ...) or constants only
    assert got == want[: len(calls)], (op, got, want)
    return None


@pytest.mark.parametrize("op", ["matmul", "nn.relu", "reduce_mean", "nn.moments", "linalg.det"])
def test_common_ops_are_named_as_in_tf1(op):
    assert _check(op) is None


@pytest.mark.slow
def test_every_recorded_op_is_named_as_in_tf1():
    skipped = {op: _check(op) for op in sorted(FIRST_CASE) if op not in IRREGULAR}
    skipped = {k: v for k, v in skipped.items() if v}
    checked = len(FIRST_CASE) - len(IRREGULAR) - len(skipped)
    assert checked >= 150, (checked, skipped)


def test_pad_is_named_by_its_arguments_as_in_tf1():
    def body(x):
        with tf.name_scope("model"):
            return [tf.pad(x, [[1, 0], [0, 1]], **kw) for kw in RECORDING["pad"]["calls"]]

    net = sj.transform(body)
    x = jnp.ones([3, 4])
    store = net.init(jax.random.key(0), x)
    assert names_under_model(lambda a: net.apply(store, a), x) == RECORDING["pad"]["names"]


def test_names_share_tf1s_counter_with_name_scopes_and_show_in_hlo():
    def model(x):
        with tf.variable_scope("model"), tf.variable_scope("encoder"):
            w = tf.get_variable("w", [3, 3])
            h = tf.matmul(tf.matmul(x, w), w)
            with tf.name_scope("MatMul") as scope:  # TF1: the ops took MatMul, MatMul_1
                assert scope == "model/encoder/MatMul_2/"
            h = tf.nn.relu(h, name="act")
        return tf.reduce_mean(h)

    net = sj.transform(model)
    x = jnp.ones([2, 3])
    store = net.init(jax.random.key(0), x)
    hlo = jax.jit(net.apply).lower(store, x).as_text(debug_info=True)
    for name in (
        "model/encoder/MatMul/",
        "model/encoder/MatMul_1/",
        "model/encoder/act/",
        "jit(model_apply)/Mean/",
    ):
        assert name in hlo, name
