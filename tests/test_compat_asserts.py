"""``tf.control_dependencies`` and the comparison asserts against TF1's graph mode
(``tests/compat_recordings/record_asserts.py``: which static asserts fail at once)."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf
from scopejax._src.compat.asserts import InvalidArgumentError

CASES = json.loads((Path(__file__).parent / "compat_recordings" / "asserts.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['assert']}-{c['x']}-{c['y']}")
def test_static_asserts_against_tensorflow(case):
    fn = getattr(tf, case["assert"])
    x, y = np.asarray(case["x"]), np.asarray(case["y"])
    if case["result"] == "ok":
        assert fn(x, y) is None
    else:
        want = case["result"].split(": ", 1)[1]  # "Condition x <= y did not hold ..."
        with pytest.raises(InvalidArgumentError, match=want.replace("(", r"\(")) as info:
            fn(x, y, message="seq_length")
        assert str(info.value).startswith("seq_length\n")


def test_in_a_model_and_under_jit():
    def model(x):
        n = x.shape[1]
        with tf.control_dependencies([tf.assert_less_equal(n, 16)]):
            tf.assert_greater(x, 0.0)  # traced under jit: not checkable, nothing happens
            return x * 2

    net = sj.transform(model)
    x = jnp.ones([2, 3])
    store = net.init(jax.random.key(0), x)
    np.testing.assert_array_equal(jax.jit(net.apply)(store, x), 2 * x)
    with pytest.raises(InvalidArgumentError, match="x <= y"):
        net.apply(store, jnp.ones([2, 17]))
