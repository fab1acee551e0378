"""The Store: a pytree whose static metadata survives jit, grad, tree.map and optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pytest

import scopejax as sj


def model(x):
    with sj.variable_scope("enc"):
        w = sj.get_variable("w", [x.shape[-1], 3])
        b = sj.get_variable("b", [3], initializer=sj.initializers.zeros())
        sj.get_variable("steps", [], jnp.int32, trainable=False)
    with sj.variable_scope("head"):
        v = sj.get_variable("w", [3, 2], collections=[sj.GraphKeys.GLOBAL_VARIABLES, "HEAD"])
    with sj.device("cpu:0"):
        sj.get_variable("emb", [5, 2], trainable=False, collections=["FROZEN_VARS"])
    return jnp.tanh(x @ w + b) @ v


X = jnp.ones([2, 4])


@pytest.fixture
def store():
    return sj.transform(model).init(jax.random.key(0), X)


def test_layout_nested_and_flat(store):
    assert store.names() == ["emb", "enc/b", "enc/steps", "enc/w", "head/w"]
    assert list(store) == ["emb", "enc", "head"] and len(store) == 3
    assert store["enc"]["w"] is store["enc/w"]
    assert isinstance(store["enc"], sj.Store) and store["enc"].names() == ["b", "steps", "w"]
    assert "enc" in store and "enc/w" in store and "enc/x" not in store
    d = store.to_dict()
    assert set(d) == {"emb", "enc", "head"} and d["enc"]["w"].shape == (4, 3)
    info = store.info("head/w")
    assert info.collections == ("variables", "HEAD", "trainable_variables")
    assert store.info("emb").device == "cpu:0" and store.info("emb").collections == ("FROZEN_VARS",)
    assert store.info("enc/steps").dtype == "int32" and not store.info("enc/steps").trainable
    assert store.num_params == 4 * 3 + 3 + 1 + 6 + 10
    assert store.nbytes == 4 * store.num_params


@pytest.mark.slow
def test_metadata_survives_jax_transformations(store):
    infos = store.infos
    doubled = jax.tree.map(lambda x: x * 2, store)
    assert isinstance(doubled, sj.Store) and doubled.infos == infos
    jitted = jax.jit(lambda s: s)(store)
    assert jitted.infos == infos
    train = store.trainable()
    grads = jax.grad(lambda s: sum(jnp.sum(x) for x in jax.tree.leaves(s)))(train)
    assert grads.infos == train.infos and grads.names() == ["enc/b", "enc/w", "head/w"]
    opt = optax.sgd(0.1)
    upd, _ = opt.update(grads, opt.init(train))
    new = optax.apply_updates(train, upd)
    assert isinstance(new, sj.Store) and new.infos == train.infos
    # views work inside jit
    n = jax.jit(lambda s: s.filter(collection="HEAD")["head/w"].sum())(store)
    assert float(n) == float(store["head/w"].sum())
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(store)[0]]
    assert paths[0] == "['emb']" and "['enc/w']" in paths


def test_partition_merge_filter_replace(store):
    a, b = store.partition(collection="FROZEN_VARS")
    assert a.names() == ["emb"]
    assert sj.merge(b, a).names() == store.names()
    assert store.filter(regex=r"^enc/").names() == ["enc/b", "enc/steps", "enc/w"]
    assert store.filter(collection=["HEAD", "FROZEN_VARS"]).names() == ["emb", "head/w"]
    assert store.filter(predicate=lambda i: i.dtype == "int32").names() == ["enc/steps"]
    assert store.filter(collection=sj.GraphKeys.TRAINABLE_VARIABLES, regex="enc").names() == [
        "enc/b",
        "enc/w",
    ]
    with pytest.raises(sj.StoreError, match="enc/w"):
        sj.merge(store, store.filter(regex="enc/w"))
    r = store.replace({"enc/b": jnp.ones(3)})
    assert float(r["enc/b"].sum()) == 3 and float(store["enc/b"].sum()) == 0
    with pytest.raises(sj.StoreError):
        store.partition()


def test_from_plain_dict_and_a_beside_a_slash_b():
    s = sj.Store({"a": jnp.ones(2), "a/b": jnp.zeros(3), "c": {"d": jnp.ones(1)}})
    assert s.names() == ["a", "a/b", "c/d"]
    assert s["a"].shape == (2,) and s["a/b"].shape == (3,)  # exact name wins
    assert s.info("c/d").trainable
    with pytest.raises(sj.StoreError, match="Use store.flat"):
        s.to_dict()

    def f():  # TF1 allows a variable `a` beside `a/b`; so does scopejax
        a = sj.get_variable("a", [2])
        with sj.variable_scope("a"):
            b = sj.get_variable("b", [3])
        return a.shape, b.shape

    net = sj.transform(f)
    st = net.init(jax.random.key(0))
    assert st.names() == ["a", "a/b"]
    assert net.apply(st) == ((2,), (3,))


def test_summary_repr_and_html(store):
    text = store.summary()
    lines = text.splitlines()
    assert lines[0].split() == [
        "name",
        "shape",
        "dtype",
        "params",
        "bytes",
        "trainable",
        "collections",
        "device",
    ]
    row = next(ln for ln in lines if ln.startswith("enc/w"))
    assert "(4, 3)" in row and "float32" in row and "12" in row and "yes" in row
    assert "global,trainable" in row
    emb = next(ln for ln in lines if ln.startswith("emb"))
    assert "FROZEN_VARS" in emb and "cpu:0" in emb and " no " in emb
    assert lines[-1].startswith("Total: 5 variables, 32 params")
    r = repr(store)
    assert "enc/steps: int32[]  [non-trainable]" in r and r.startswith("Store(5 variables")
    assert "<table>" in store._repr_html_() and "enc/w" in store._repr_html_()


def test_store_key_error_suggests(store):
    with pytest.raises(KeyError, match="Did you mean 'enc/w'"):
        store["enc/ww"]
    with pytest.raises(sj.StoreKeyError):
        store.info("enc")
