"""``scopejax.compat.v1.install_as_tensorflow()``: untouched TF1 files import
``tensorflow`` and get the compat namespace; unprovided module paths fail clearly."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import types

import jax
import jax.numpy as jnp
import pytest

import scopejax as sj
import scopejax.compat.v1 as sjtf
from scopejax.compat.v1 import TensorFlowModuleNotProvided

TF1_FILE = """
import tensorflow as tf
from tensorflow.contrib import layers
from tensorflow.python.framework import ops
from tensorflow.python.ops import init_ops

tf.compat.v1.disable_eager_execution()
tf.disable_v2_behavior()


def model(x, mask):
    n_in = x.get_shape()[-1].value
    with tf.variable_scope("dense"):
        w = tf.get_variable("w", [n_in, 4], initializer=init_ops.glorot_uniform_initializer())
        h = tf.matmul(x, w) + mask * (-2**32 + 1)
    ops.add_to_collection("activations", h)
    h = layers.fully_connected(h, 2, activation_fn=None, scope="out")
    assert h.shape.as_list() == [x.shape[0].value, 2]
    assert tf.compat.v1.get_variable is tf.get_variable
    return h, len(tf.get_collection("activations"))
"""


@pytest.fixture
def alias():
    with sjtf.install_as_tensorflow() as handle:
        yield handle
    assert "tensorflow" not in sys.modules and not sjtf.installed_as_tensorflow()


def test_an_untouched_tf1_file_runs(alias, tmp_path, monkeypatch):
    (tmp_path / "tf1_model_file.py").write_text(TF1_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import tf1_model_file

    try:
        assert tf1_model_file.tf is sjtf
        net = sj.transform(tf1_model_file.model)
        x, mask = jnp.ones([3, 5]), jnp.zeros([3, 4]).at[0, 0].set(1.0)
        store = jax.eval_shape(net.init, jax.random.key(0), x, mask)  # traced, not compiled
        out, n = jax.eval_shape(net.apply, store, x, mask)
        assert store.names() == ["dense/w", "out/biases", "out/weights"]
        assert out.shape == (3, 2) and out.dtype == jnp.float32
    finally:
        sys.modules.pop("tf1_model_file", None)


def test_import_forms_resolve_to_the_compat_modules(alias):
    import tensorflow as tf
    import tensorflow.compat.v1 as tf1
    import tensorflow.contrib.layers as contrib_layers
    from tensorflow.nn import relu
    from tensorflow.python.framework import dtypes, ops, tensor_shape
    from tensorflow.python.ops import array_ops, init_ops, nn_ops

    assert tf is sjtf and tf1 is sjtf and tf.compat.v1 is sjtf and relu is sjtf.nn.relu
    assert contrib_layers is sjtf.contrib.layers and array_ops.concat is sjtf.concat
    assert ops.GraphKeys is sjtf.GraphKeys and ops.get_collection is sjtf.get_collection
    assert init_ops.Zeros is sjtf.zeros_initializer and nn_ops.conv2d is sjtf.nn.conv2d
    assert dtypes.float32 == jnp.float32 and tensor_shape.TensorShape is sjtf.TensorShape
    assert sjtf.__spec__.name == "scopejax.compat.v1"  # the alias leaves the module's spec
    tf.compat.v1.disable_eager_execution()  # a no-op, as the other TF1 switches
    assert sjtf.install_as_tensorflow().owner is False  # idempotent


@pytest.mark.parametrize(
    "statement,path,hint",
    [
        ("import tensorflow.contrib.slim as slim", "tensorflow.contrib.slim", "arg_scope"),
        ("from tensorflow.keras import layers", "tensorflow.keras", "tf.layers"),
        ("import tensorflow.compat.v2 as tf", "tensorflow.compat.v2", "TF1's API only"),
        (
            "from tensorflow.examples.tutorials.mnist import input_data",
            "tensorflow.examples",
            "NumPy",
        ),
        ("from tensorflow.contrib import no_such_module", "tensorflow.contrib.no_such_module", ""),
    ],
)
def test_unprovided_module_paths_are_named_with_what_to_use(alias, statement, path, hint):
    with pytest.raises(TensorFlowModuleNotProvided, match=f"No module named '{path}'") as e:
        exec(statement, {})  # noqa: S102
    assert hint in str(e.value) and isinstance(e.value, ImportError)


def test_modules_added_later_resolve_by_name(alias, monkeypatch):
    """contrib.rnn / contrib.training (other branches) resolve as soon as they exist."""
    fake = types.ModuleType("scopejax.compat.v1.contrib.fake_later")
    fake.HParams = object
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    from tensorflow.contrib.fake_later import HParams

    assert HParams is object
    for name in ("rnn", "training", "legacy_seq2seq"):
        statement = f"from tensorflow.contrib import {name}"
        if importlib.util.find_spec(f"scopejax.compat.v1.contrib.{name}") is None:
            with pytest.raises(TensorFlowModuleNotProvided, match=f"tensorflow.contrib.{name}"):
                exec(statement, {})  # noqa: S102
        else:
            ns: dict = {}
            exec(statement, ns)  # noqa: S102
            assert ns[name].__name__ == f"scopejax.compat.v1.contrib.{name}"


def test_refuses_when_the_real_tensorflow_is_imported(monkeypatch):
    real = types.ModuleType("tensorflow")
    real.__file__ = "/site-packages/tensorflow/__init__.py"
    monkeypatch.setitem(sys.modules, "tensorflow", real)
    with pytest.raises(sj.ScopejaxError, match="the real TensorFlow is already imported"):
        sjtf.install_as_tensorflow()
    assert not sjtf.installed_as_tensorflow()


def test_uninstall_removes_every_trace():
    handle = sjtf.install_as_tensorflow()
    import tensorflow.python.ops.init_ops  # noqa: F401

    handle.uninstall()
    assert not [m for m in sys.modules if m.split(".")[0] == "tensorflow"]
    assert not hasattr(sjtf, "compat") and not hasattr(sjtf, "python")
    with pytest.raises(ModuleNotFoundError):
        exec("import tensorflow", {})  # noqa: S102
    code = textwrap.dedent("""
        try:
            import scopejax.compat.v1.contrib.no_such_module
        except ModuleNotFoundError:
            ok = True
    """)
    ns: dict = {}
    exec(code, ns)  # noqa: S102 - the fallback finder is gone too
    assert ns["ok"]
