"""One selector vocabulary: Store.partition, sj.train and sj.checkpoint accept the same
forms (collection names, regex / collection / names selectors, predicates, variable
handles, a Store, and lists mixing them), and ``trainable`` follows the collections."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pytest

import scopejax as sj

KEY = jax.random.key(0)


def model(x):
    with sj.variable_scope("d_net"):
        h = sj.layers.dense(x, 4, name="l1")
    with sj.variable_scope("g_net"):
        h = sj.layers.dense(h, 1, name="l1")
    sj.get_variable("steps", [], jnp.int32, trainable=False)
    return jnp.mean(h**2)


X = jnp.ones([2, 3])


@pytest.fixture(scope="module")
def store():
    return sj.transform(model).init(KEY, X)


def handles():
    """The TF1 idiom: ``[v for v in tf.trainable_variables() if 'd_' in v.name]``."""
    box = []

    def f(x):
        model(x)
        box.extend(v for v in sj.trainable_variables() if "d_" in v.name)

    sj.transform(f).init(KEY, X)
    return box


D_NAMES = ["d_net/l1/bias", "d_net/l1/kernel"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(lambda s: sj.train.regex("^d_"), id="regex"),
        pytest.param(lambda s: sj.train.names(*D_NAMES), id="names"),
        pytest.param(lambda s: lambda info: info.name.startswith("d_"), id="predicate"),
        pytest.param(lambda s: handles(), id="handles"),
        pytest.param(lambda s: s.filter(regex="^d_"), id="store"),
        pytest.param(
            lambda s: [sj.train.names(D_NAMES[0]), *(h for h in handles() if h.name == D_NAMES[1])],
            id="mixed-list",
        ),
    ],
)
def test_every_api_reads_the_same_forms(store, spec, tmp_path):
    sel = spec(store)
    assert store.filter(sel).names() == D_NAMES
    trainer = sj.train.minimize(model, optax.sgd(0.1), var_list=sel)
    state = trainer.init(KEY, X)
    new = trainer.step(state, X)[0]
    changed = [n for n in D_NAMES + ["g_net/l1/kernel"] if not (new.store[n] == store[n]).all()]
    assert set(changed) <= set(D_NAMES) and changed
    path = sj.checkpoint.save(tmp_path / "c", store)
    zeroed = jax.tree.map(jnp.zeros_like, store)
    restored, report = sj.checkpoint.init_from_checkpoint(path, {"/": "/"}, zeroed, var_list=sel)
    assert sorted(n for n in restored.names() if (restored[n] != 0).any()) == [
        n for n in D_NAMES if (store[n] != 0).any()
    ]


def test_collection_names_and_lists(store):
    assert store.filter("trainable_variables").names() == store.trainable().names()
    assert "steps" in store.filter(["variables"]).names()
    with pytest.raises(TypeError, match="takes a collection name, a selector"):
        store.filter(3)


def test_trainable_is_derived_from_the_collections():
    info = sj.VariableInfo("w", (2,), "float32", collections=("variables",))
    assert info.trainable is False
    info = sj.VariableInfo("w", (2,), "float32", trainable=False)
    assert "trainable_variables" not in info.collections
    frozen = sj.train.freeze(sj.Store({"a": jnp.zeros(2), "b": jnp.zeros(2)}), sj.train.names("a"))
    assert not frozen.info("a").trainable and frozen.info("b").trainable
    assert "trainable_variables" not in frozen.info("a").collections
