"""init_from_checkpoint: TF1's assignment-map forms, the report, strict mode, var_list, renamed
scopes, and TensorFlow checkpoints read without TensorFlow.

The expected mappings below are what tf.compat.v1.train.init_from_checkpoint does in
TensorFlow 2.21 (graph mode), observed with a checkpoint holding old/w, old/b, w, b:
{'old/': 'new/'} -> new/w <- old/w, new/b <- old/b; {'/': 'new/'} -> new/w <- w, new/b <- b;
{'old/': 'new/foo'} (new/foo not a variable) acts as {'old/': 'new/'}; a scope value with a
checkpoint name not ending in '/' is "Assignment map with scope only name ..."; entries are
applied in order of checkpoint name, the last wins; lists of pairs map one tensor to several
variables; scope maps look variables up by their store key (get_variable's name).
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax import checkpoint as ck

CKPT = {
    "old/w": np.full([2], 1.0, np.float32),
    "old/b": np.full([3], 2.0, np.float32),
    "w": np.full([2], 3.0, np.float32),
    "b": np.full([3], 4.0, np.float32),
}


def _store(**extra):
    return sj.Store({"new/w": jnp.zeros(2), "new/b": jnp.zeros(3), **extra})


def _vals(store):
    return {
        n: float(np.asarray(v).reshape(-1)[0]) if np.size(v) else None
        for n, v in store.flat().items()
    }


@pytest.mark.parametrize(
    "amap, expected",
    [
        ({"old/": "new/"}, {"new/w": 1.0, "new/b": 2.0}),  # scope -> scope
        ({"old/w": "new/w"}, {"new/w": 1.0, "new/b": 0.0}),  # one variable
        ({"/": "new/"}, {"new/w": 3.0, "new/b": 4.0}),  # checkpoint root -> scope
        ({"old/": "new/foo"}, {"new/w": 1.0, "new/b": 2.0}),  # TF: the scope of 'new/foo'
        ([("old/w", "new/w"), ("w", "new/w")], {"new/w": 3.0, "new/b": 0.0}),  # last wins
        ([("w", "new/w"), ("old/w", "new/w")], {"new/w": 3.0, "new/b": 0.0}),  # sorted by key
    ],
    ids=["prefix", "per_variable", "root", "value_scope", "order", "sorted"],
)
def test_assignment_map_forms_follow_tf1(amap, expected):
    store, report = ck.init_from_checkpoint(CKPT, amap, _store())
    assert _vals(store) == expected
    assert set(report.restored) == {n for n, v in expected.items() if v}


def test_pairs_map_one_tensor_into_several_variables_and_objects_by_name():
    store = _store(**{"new/x": jnp.zeros(2)})
    pairs = [("old/w", "new/w"), ("old/w", store.info("new/x"))]  # a VariableInfo works
    out, report = ck.init_from_checkpoint(CKPT, pairs, store)
    assert _vals(out) == {"new/w": 1.0, "new/b": 0.0, "new/x": 1.0}
    assert report.restored == {"new/w": "old/w", "new/x": "old/w"}


def test_root_to_root_and_scope_to_root():
    s = sj.Store({"old/w": jnp.zeros(2), "w": jnp.zeros(2)})
    out, r = ck.init_from_checkpoint(CKPT, {"/": "/"}, s)  # identity over everything
    assert _vals(out) == {"old/w": 1.0, "w": 3.0} and r.unused == ("b", "old/b")
    nested = sj.Store({"new/old/w": jnp.zeros(2)})
    out, _ = ck.init_from_checkpoint(CKPT, {"/": "new/"}, nested)
    assert _vals(out) == {"new/old/w": 1.0}
    out, _ = ck.init_from_checkpoint(CKPT, {"old/": "new/old/"}, nested)
    assert _vals(out) == {"new/old/w": 1.0}
    out, _ = ck.init_from_checkpoint({"pre/old/w": np.ones(2, np.float32)}, {"pre/": "/"}, s)
    assert out.flat()["old/w"].sum() == 2.0


def test_a_names_list_maps_each_name_to_itself():
    out, _ = ck.init_from_checkpoint(CKPT, ["w"], sj.Store({"w": jnp.zeros(2)}))
    assert _vals(out) == {"w": 3.0}


def test_map_errors_are_tf1s():
    with pytest.raises(ValueError, match="Assignment map with scope only name new should map to"):
        ck.init_from_checkpoint(CKPT, {"old": "new/"}, _store())
    with pytest.raises(ValueError, match=r"'new' is neither a variable of the store nor a scope"):
        ck.init_from_checkpoint(CKPT, {"old/": "new"}, _store())
    with pytest.raises(TypeError, match="partitioned"):
        ck.init_from_checkpoint(CKPT, {"old/w": ["new/w"]}, _store())
    with pytest.raises(TypeError, match="target Store"):
        ck.init_from_checkpoint(CKPT, {"old/": "new/"}, {"new/w": jnp.zeros(2)})


def test_scope_maps_use_the_store_key_like_tf1():
    """After name_scope('q'), get_variable('q') is named q_1 with store key q: TF1's scope
    maps (and ours) look up the key."""

    def f():
        with sj.name_scope("q"):
            pass
        sj.get_variable("q", [2])

    store = sj.transform(f).init(jax.random.key(0))
    assert store.names() == ["q_1"] and store.info("q_1").key == "q"
    out, report = ck.init_from_checkpoint({"q": np.ones(2, np.float32)}, {"/": "/"}, store)
    assert report.restored == {"q_1": "q"} and float(out["q_1"].sum()) == 2.0
    out, report = ck.init_from_checkpoint({"q_1": np.ones(2, np.float32)}, None, store)
    assert report.restored == {"q_1": "q_1"}  # None: by name, as restore() does


# -- the report and strict mode --------------------------------------------------------------
def test_report_names_every_problem_and_strict_raises():
    store = sj.Store(
        {"new/w": jnp.zeros(2), "new/b": jnp.zeros(5), "new/c": jnp.zeros(2, jnp.int32)}
        | {"head/k": jnp.zeros(2)}
    )
    src = {**CKPT, "old/c": np.ones(2, np.float32)}
    out, r = ck.init_from_checkpoint(src, {"old/": "new/", "old/zz": "head/k"}, store)
    assert r.restored == {"new/w": "old/w"}
    assert r.mismatched["new/b"] == ck.Mismatch("old/b", (5,), (3,), "float32", "float32")
    assert r.mismatched["new/c"].describe() == "dtype int32 vs checkpoint float32"
    assert r.not_restored["head/k"].startswith("the checkpoint has no tensor 'old/zz'")
    assert r.unused == ("b", "w") and not r.ok
    assert _vals(out) == {"new/w": 1.0, "new/b": 0.0, "new/c": 0.0, "head/k": 0.0}
    text = str(r)
    for piece in (
        "1 of 4 variables restored, 1 not restored, 2 mismatched, 2 checkpoint tensors unused",
        "new/b <- old/b: shape (5,) vs checkpoint (3,)",
        "head/k: the checkpoint has no tensor 'old/zz'",
        "unused checkpoint tensors (2):",
    ):
        assert piece in text, text
    with pytest.raises(ck.RestoreError) as e:
        ck.init_from_checkpoint(src, {"old/": "new/", "old/zz": "head/k"}, store, strict=True)
    assert "new/b <- old/b" in str(e.value) and "head/k" in str(e.value)
    assert isinstance(e.value, ValueError)
    # cast=True restores across dtypes and says so
    out, r = ck.init_from_checkpoint(src, {"old/c": "new/c"}, store, cast=True)
    assert r.cast == {"new/c": ("float32", "int32")} and out["new/c"].dtype == jnp.int32


def test_check_can_accept_unused_tensors_only():
    store, r = ck.init_from_checkpoint(CKPT, {"old/": "new/"}, _store())
    assert r.unused == ("b", "w") and not r.not_restored and not r.mismatched
    assert r.check(unused=False) is r
    with pytest.raises(ck.RestoreError, match="unused checkpoint tensors"):
        r.check()


def test_var_list_restricts_what_may_be_restored():
    store = sj.Store({"new/w": jnp.zeros(2), "new/b": jnp.zeros(3)})
    for var_list in (sj.train.regex("/w$"), sj.train.names("new/w"), store.filter(regex="/w$")):
        out, r = ck.init_from_checkpoint(CKPT, {"old/": "new/"}, store, var_list=var_list)
        assert r.restored == {"new/w": "old/w"} and r.excluded == ("new/b",)
        assert "new/b" not in r.not_restored and "old/b" in r.unused
        assert _vals(out)["new/b"] == 0.0


def test_var_list_by_collection(tmp_path):
    def f():
        with sj.variable_scope("new"):
            sj.get_variable("w", [2], collections=["variables", "BACKBONE"])
            sj.get_variable("b", [3])

    store = sj.transform(f).init(jax.random.key(0))
    out, r = ck.init_from_checkpoint(CKPT, {"old/": "new/"}, store, var_list="BACKBONE")
    assert r.restored == {"new/w": "old/w"} and r.excluded == ("new/b",)


def test_abstract_target_becomes_concrete():
    net = sj.transform(lambda: sj.layers.dense(jnp.ones([1, 2]), 3, name="fc"))
    abstract = net.init_abstract(jax.random.key(0))
    src = {"fc/kernel": np.ones([2, 3], np.float32), "fc/bias": np.zeros(3, np.float32)}
    store, r = ck.init_from_checkpoint(src, {"/": "/"}, abstract, strict=True)
    assert all(isinstance(v, jax.Array) for v in store.flat().values())
    np.testing.assert_array_equal(net.apply(store), np.full([1, 3], 2.0))


# -- a real model, renamed ---------------------------------------------------------------------
def _encoder(x):
    h = sj.layers.dense(x, 8, activation=jax.nn.tanh, name="fc1")
    return sj.layers.dense(h, 4, name="fc2")


@pytest.mark.slow
def test_restore_into_a_model_with_a_renamed_scope(tmp_path):
    x = jnp.linspace(-1, 1, 12).reshape(4, 3)

    def pretrain(x):
        with sj.variable_scope("encoder"):
            return _encoder(x)

    def finetune(x):
        with sj.variable_scope("pretrained"), sj.variable_scope("encoder"):
            h = _encoder(x)
        return sj.layers.dense(h, 2, name="head"), h

    old, new = sj.transform(pretrain), sj.transform(finetune)
    old_store = old.init(jax.random.key(1), x)
    path = ck.save(tmp_path / "pretrained", old_store, step=100)
    fresh = new.init(jax.random.key(2), x)
    store, report = ck.init_from_checkpoint(
        path,
        {"encoder/": "pretrained/encoder/"},
        fresh,
        var_list=sj.train.regex("^pretrained/"),
        strict=True,
    )
    assert report.restored == {f"pretrained/{n}": n for n in old_store.names()}
    assert report.excluded == ("head/bias", "head/kernel")
    np.testing.assert_array_equal(new.apply(store, x)[1], old.apply(old_store, x))
    np.testing.assert_array_equal(store["head/kernel"], fresh["head/kernel"])  # untouched
    assert store.infos == fresh.infos  # the target's metadata is kept


# -- TensorFlow checkpoints -----------------------------------------------------------------------
TF1 = Path(__file__).parent / "checkpoint_fixtures" / "tf1_model"


def _tf1_model(x):
    from scopejax import nn

    h = sj.layers.conv2d(x, 4, 3, padding="same")
    h = jax.nn.relu(sj.layers.batch_normalization(h, training=False))
    outputs, _ = nn.dynamic_rnn(nn.LSTMCell(6), h.reshape(x.shape[0], 8, 8 * 4))
    return sj.layers.dense(outputs[:, -1], 5)


@pytest.mark.slow
@pytest.mark.skipif(not (TF1 / "checkpoint").exists(), reason="TF fixture not present")
def test_a_tf1_checkpoint_restores_by_name_and_runs():
    x = np.load(TF1 / "input.npy")
    net = sj.transform(_tf1_model)
    store, report = ck.init_from_checkpoint(
        TF1, {"/": "/"}, net.init(jax.random.key(0), x), strict=True
    )
    assert report.ok and len(report.restored) == 10
    np.testing.assert_allclose(net.apply(store, x), np.load(TF1 / "output.npy"), atol=1e-5)
    # optimizer slots are hidden unless asked for; then they are unused tensors
    _, r = ck.init_from_checkpoint(TF1, {"/": "/"}, store, include_slots=True)
    assert "dense/kernel/Adam" in r.unused and "global_step" in r.unused
    expected = json.loads((TF1 / "expected.json").read_text())["model_variables"]
    assert sorted(n for n, _, _ in ck.list_variables(TF1)) == expected
    assert ck.restore(TF1).store.names() == expected  # without a target: a Store by name
    with pytest.raises(ck.RestoreError, match="holds variables only"):
        ck.restore(TF1, target=sj.train.TrainState(store, None, None))
    # into a renamed scope: {'/': 'tf1/'}
    wrapped = sj.transform(lambda x: _in_scope("tf1", _tf1_model, x))
    store2, r2 = ck.init_from_checkpoint(
        TF1, {"/": "tf1/"}, wrapped.init(jax.random.key(0), x), strict=True
    )
    np.testing.assert_allclose(wrapped.apply(store2, x), np.load(TF1 / "output.npy"), atol=1e-5)
    assert r2.restored["tf1/dense/kernel"] == "dense/kernel"


def _in_scope(name, fn, *args):
    with sj.variable_scope(name):
        return fn(*args)
