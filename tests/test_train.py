"""Training: only var_list is differentiated, frozen values stay bit-identical, optimizer
state covers only trainable leaves, labels follow collections, state updates survive."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj

X = jax.random.normal(jax.random.key(1), [32, 5])
Y = (X[:, 0] > 0).astype(jnp.int32)


def model(x, y, training=False):
    with sj.variable_scope("backbone"):
        h = sj.layers.dense(
            x, 8, activation=jax.nn.relu, kernel_regularizer=lambda w: 0.01 * jnp.sum(w**2)
        )
        sj.get_variable("frozen_table", [3], trainable=False, collections=["FROZEN_VARS"])
    h = sj.layers.batch_normalization(h, training=training)
    with sj.variable_scope("head"):
        logits = sj.layers.dense(h, 2)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, {"accuracy": (logits.argmax(-1) == y).mean()}


@pytest.mark.slow
def test_gradients_and_updates_only_for_var_list():
    trainer = sj.train.minimize(
        model, optax.sgd(0.1), var_list=sj.train.regex("^head/"), has_aux=True
    )
    state = trainer.init(jax.random.key(0), X, Y, True)
    before = jax.tree.map(np.asarray, state.store.flat())
    for _ in range(5):
        state, metrics = trainer.step(state, X, Y, True)
    after = state.store.flat()
    for name, v in before.items():
        if name.startswith("head/"):
            assert not np.array_equal(v, after[name]), name
        elif "moving" not in name:
            np.testing.assert_array_equal(v, after[name])  # bit-identical
    assert int(state.step) == 5 and set(metrics) == {"loss", "accuracy"}


@pytest.mark.slow
def test_frozen_variables_never_enter_grad():
    def spy(x, y):
        loss, _ = model(x, y)
        return loss

    trainer = sj.train.minimize(spy, optax.adam(1e-2), var_list=sj.train.regex("^head/"))
    state = trainer.init(jax.random.key(0), X, Y)
    train, rest = state.store.partition(predicate=trainer.var_list)
    # the differentiated argument of the step is exactly the selected part
    grads = jax.grad(lambda t: trainer.net.apply(sj.merge(t, rest), X, Y)[0])(train)
    assert grads.names() == ["head/dense/bias", "head/dense/kernel"]


@pytest.mark.slow
def test_optimizer_state_holds_only_trainable_leaves():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, True)
    mu = state.opt_state[0].mu
    assert mu.names() == state.store.trainable().names()
    assert "backbone/frozen_table" not in mu.names()
    assert "batch_normalization/moving_mean" not in mu.names()
    assert sj.train.state_nbytes(state.opt_state) == 2 * state.store.trainable().nbytes + 4


@pytest.mark.slow
def test_batch_norm_statistics_update_through_the_step():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, True)
    m0 = np.asarray(state.store["batch_normalization/moving_mean"])
    state, _ = trainer.step(state, X, Y, True)
    m1 = np.asarray(state.store["batch_normalization/moving_mean"])
    assert not np.array_equal(m0, m1)
    assert np.asarray(state.store["backbone/frozen_table"]).shape == (3,)


@pytest.mark.slow
def test_regularization_loss_equals_hand_computation():
    plain = sj.train.minimize(model, optax.sgd(0.0), has_aux=True)
    reg = sj.train.minimize(model, optax.sgd(0.0), has_aux=True, regularization=True)
    s = plain.init(jax.random.key(0), X, Y, False)
    (l0, _), _ = plain.net.apply_with_state(s.store, X, Y, False)
    (l1, _), _ = reg.net.apply_with_state(s.store, X, Y, False)
    w = np.asarray(s.store["backbone/dense/kernel"])
    np.testing.assert_allclose(float(l1) - float(l0), 0.01 * np.sum(w**2), rtol=1e-5)


@pytest.mark.slow
def test_multi_optimizer_labels_follow_collections():
    tx = sj.train.multi_optimizer(
        {
            "backbone": (sj.train.regex("^backbone/"), optax.sgd(0.0)),
            "head": (sj.train.collection(sj.GraphKeys.TRAINABLE_VARIABLES), optax.sgd(0.5)),
        }
    )
    trainer = sj.train.minimize(model, tx, has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, False)
    labels = sj.train.labels(
        state.store.trainable(),
        {"backbone": sj.train.regex("^backbone/"), "head": "trainable_variables"},
    )
    assert labels.flat() == {
        "backbone/dense/bias": "backbone",
        "backbone/dense/kernel": "backbone",
        "batch_normalization/beta": "head",
        "batch_normalization/gamma": "head",
        "head/dense/bias": "head",
        "head/dense/kernel": "head",
    }
    before = np.asarray(state.store["backbone/dense/kernel"])
    state, _ = trainer.step(state, X, Y, False)
    np.testing.assert_array_equal(state.store["backbone/dense/kernel"], before)  # lr 0
    with pytest.raises(sj.StoreError, match="matches no label"):
        bad = sj.train.multi_optimizer({"h": (sj.train.regex("^head/"), optax.sgd(1.0))})
        sj.train.minimize(model, bad, has_aux=True).init(jax.random.key(0), X, Y, False)


@pytest.mark.slow
def test_freeze_then_fine_tune_keeps_frozen_bit_identical():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, False)
    frozen_store = sj.train.freeze(state.store, sj.train.regex("^backbone/"))
    assert "backbone/dense/kernel" not in frozen_store.trainable().names()
    assert "frozen_variables" in frozen_store.info("backbone/dense/kernel").collections
    tuner = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    st = sj.train.TrainState(
        frozen_store, tuner.optimizer.init(frozen_store.trainable()), jnp.zeros((), jnp.int32)
    )
    before = np.asarray(frozen_store["backbone/dense/kernel"]).copy()
    st = sj.train.fit(tuner, st, [(X, Y, False)] * 10, progress=False)
    np.testing.assert_array_equal(st.store["backbone/dense/kernel"], before)
    assert not np.array_equal(st.store["head/dense/kernel"], frozen_store["head/dense/kernel"])


@pytest.mark.slow
def test_donation_does_not_break_the_returned_store():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, True)
    for _ in range(3):
        state, m = trainer.step(state, X, Y, True)
    out = trainer.net.apply(state.store, X, Y, False)  # the returned store is usable
    assert np.isfinite(float(out[0]))
    hist = []
    state = sj.train.fit(
        trainer, state, lambda epoch: [(X, Y, True)] * 3, epochs=2, progress=False, history=hist
    )
    assert len(hist) == 6 and int(state.step) == 9


@pytest.mark.slow
def test_evaluate_weights_by_batch_size():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, False)

    def metrics(store, x, y):
        (loss, aux) = trainer.net.apply(store, x, y, False)
        return {"loss": loss, **aux}

    whole = sj.train.evaluate(metrics, state.store, [(X, Y)])
    parts = sj.train.evaluate(metrics, state.store, [(X[:8], Y[:8]), (X[8:], Y[8:])])
    np.testing.assert_allclose(parts["accuracy"], whole["accuracy"], rtol=1e-6)


def test_var_list_selecting_nothing_is_an_error():
    with pytest.raises(sj.StoreError, match="selects no variable"):
        sj.train.minimize(model, optax.sgd(1.0), var_list="NOPE", has_aux=True).init(
            jax.random.key(0), X, Y, False
        )
    with pytest.raises(TypeError, match="var_list"):
        sj.train.minimize(model, optax.sgd(1.0), var_list=3)


@pytest.mark.slow
def test_init_from_keeps_the_callers_store_and_static_flags():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True, static_argnums=(2,))
    pretrained = trainer.init(jax.random.key(0), X, Y, False).store
    frozen = sj.train.freeze(pretrained, sj.train.regex("^backbone/"))
    state = trainer.init_from(frozen)
    assert state.opt_state[0].mu.names() == frozen.trainable().names()
    for _ in range(2):
        state, _ = trainer.step(state, X, Y, True)  # training=True is a static Python flag
    np.testing.assert_array_equal(
        frozen["backbone/dense/kernel"], state.store["backbone/dense/kernel"]
    )  # caller's store alive


@pytest.mark.slow
def test_reusing_a_donated_state_names_the_variable():
    trainer = sj.train.minimize(model, optax.adam(1e-2), has_aux=True)
    state = trainer.init(jax.random.key(0), X, Y, False)
    old = state
    state, _ = trainer.step(state, X, Y, False)
    for call in (
        lambda: trainer.step(old, X, Y, False),
        lambda: sj.train.fit(trainer, old, [(X, Y, False)], progress=False),
        lambda: trainer.init_from(old.store),
        lambda: sj.train.evaluate(
            lambda s, x, y: {"l": s["head/dense/kernel"].sum()}, old.store, [(X, Y)]
        ),
    ):
        with pytest.raises(sj.train.DonatedStateError, match="variable backbone/dense/bias") as e:
            call()
        assert isinstance(e.value, RuntimeError)
        assert "donated to an earlier training step" in str(e.value)
        assert "donate=False" in str(e.value) and "jnp.copy" in str(e.value)
    state, _ = trainer.step(state, X, Y, False)  # the returned state is fine
    assert int(state.step) == 2
    kept = sj.train.minimize(model, optax.adam(1e-2), has_aux=True, donate=False)
    s0 = kept.init(jax.random.key(0), X, Y, False)
    kept.step(s0, X, Y, False)
    assert np.isfinite(np.asarray(s0.store["head/dense/kernel"])).all()  # not donated


@pytest.mark.slow
def test_frozen_variables_are_not_donated():
    trainer = sj.train.minimize(
        model, optax.adam(1e-2), var_list=sj.train.regex("^head/"), has_aux=True
    )
    state = trainer.init(jax.random.key(0), X, Y, True)
    before = state.store
    table = np.asarray(before["backbone/frozen_table"]).copy()
    state = sj.train.fit(trainer, state, [(X, Y, True)] * 3, progress=False)
    # not selected by var_list: never donated, so the store taken before stays valid there
    np.testing.assert_array_equal(np.asarray(before["backbone/frozen_table"]), table)
    np.testing.assert_array_equal(
        np.asarray(before["backbone/dense/kernel"]),
        np.asarray(state.store["backbone/dense/kernel"]),
    )
    assert np.asarray(before["batch_normalization/moving_mean"]).shape == (8,)  # assigned, kept
    assert before["head/dense/kernel"].is_deleted()  # selected: donated
    assert not np.array_equal(
        np.asarray(before["batch_normalization/moving_mean"]),
        np.asarray(state.store["batch_normalization/moving_mean"]),
    )


def test_trainable_integer_variable_is_refused_at_setup():
    def counting(x, y, training=False):
        sj.get_variable("steps_seen", [], jnp.int32, initializer=sj.initializers.zeros())
        return model(x, y, training)

    trainer = sj.train.minimize(counting, optax.adam(0.1), has_aux=True)
    with pytest.raises(sj.train.TrainableDtypeError, match="steps_seen \\(int32\\)") as e:
        trainer.init(jax.random.key(0), X, Y, False)
    assert isinstance(e.value, TypeError) and "trainable=False" in str(e.value)
    store = sj.transform(counting).init(jax.random.key(0), X, Y, False)
    with pytest.raises(sj.train.TrainableDtypeError, match="steps_seen"):
        trainer.init_from(store)
    fine = trainer.init_from(sj.train.freeze(store, sj.train.names("steps_seen")))
    assert "steps_seen" not in fine.opt_state[0].mu.names()


def test_invalid_regex_is_a_clear_error():
    import re

    with pytest.raises(sj.InvalidPatternError, match=r"sj.train.regex.*'\['") as e:
        sj.train.regex("[")
    assert isinstance(e.value, ValueError) and isinstance(e.value, re.error)
