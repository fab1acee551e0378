"""fit's policy for non-finite losses: "stop" raises naming the step and the variable and
keeps the state before the bad update, "skip" leaves the update out inside the compiled
step, "warn" warns and applies it; jax.debug_nans gives its FloatingPointError."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj

X = jnp.linspace(0.1, 1.0, 12).reshape(4, 3)
NAN = X.at[1, 2].set(jnp.nan)  # a bad batch: only l2/weights sees x


def loss_fn(x):
    with sj.variable_scope("l1"):  # its gradient stays finite on the bad batch
        a = sj.get_variable("weights", [3], initializer=sj.initializers.ones())
    with sj.variable_scope("l2"):  # its gradient is x: NaN on the bad batch
        b = sj.get_variable("weights", [3], initializer=sj.initializers.ones())
    sj.get_variable("table", [2], trainable=False)
    return jnp.sum((a - 2.0) ** 2) + jnp.mean(x @ b)


BATCHES = [X, X * 0.5, X * 0.25, NAN, X * 2.0, X]


def _trainer():
    return sj.train.minimize(loss_fn, optax.adam(0.1))


def _reference(trainer, batches):
    state = trainer.init(jax.random.key(0), X)
    for x in batches:
        state, _ = trainer.step(state, x)
    return state


def _assert_same(a, b):
    for name, v in a.store.flat().items():
        np.testing.assert_array_equal(np.asarray(v), np.asarray(b.store[name]), err_msg=name)
    for u, v in zip(jax.tree.leaves(a.opt_state), jax.tree.leaves(b.opt_state), strict=True):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
    assert int(a.step) == int(b.step)


@pytest.mark.slow
def test_stop_names_step_and_variable_and_keeps_the_state_before():
    trainer = _trainer()
    state = trainer.init(jax.random.key(0), X)
    with pytest.raises(sj.train.NonFiniteError) as info:
        sj.train.fit(trainer, state, BATCHES, progress=False)
    err = info.value
    assert isinstance(err, FloatingPointError) and isinstance(err, sj.ScopejaxError)
    assert err.step == 3 and err.variable == "l2/weights" and np.isnan(err.loss)
    assert "step 3" in str(err) and "first non-finite gradient is l2/weights" in str(err)
    # the state before the bad update: three good steps, valid (not donated), finite
    _assert_same(err.state, _reference(trainer, BATCHES[:3]))
    resumed = sj.train.fit(trainer, err.state, BATCHES[4:], progress=False)
    assert int(resumed.step) == 5


@pytest.mark.slow
def test_skip_leaves_out_the_update_and_counts_it():
    trainer = _trainer()
    state = trainer.init(jax.random.key(0), X)
    history: list[dict[str, float]] = []
    with pytest.warns(RuntimeWarning, match=r"skipped 1 of 6 steps .*step 3.*l2/weights"):
        state = sj.train.fit(
            trainer, state, BATCHES, progress=False, history=history, on_nonfinite="skip"
        )
    good = [x for x in BATCHES if x is not NAN]
    _assert_same(state, _reference(trainer, good))  # variables, adam state and step
    assert [h["skipped"] for h in history] == [0, 0, 0, 1, 0, 0]


@pytest.mark.slow
def test_warn_applies_the_update_and_warns():
    trainer = _trainer()
    state = trainer.init(jax.random.key(0), X)
    with pytest.warns(RuntimeWarning, match=r"step 3 has a non-finite .* l2/weights"):
        state = sj.train.fit(trainer, state, BATCHES[:4], progress=False, on_nonfinite="warn")
    assert int(state.step) == 4
    assert np.isnan(np.asarray(state.store["l2/weights"])).any()
    assert np.isfinite(np.asarray(state.store["l1/weights"])).all()


def test_finite_runs_are_unchanged_and_bad_policy_is_refused():
    trainer = _trainer()
    good = [x for x in BATCHES if x is not NAN]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = sj.train.fit(trainer, trainer.init(jax.random.key(0), X), good, progress=False)
    _assert_same(state, _reference(trainer, good))  # the guard changes no value
    with pytest.raises(ValueError, match="on_nonfinite must be one of"):
        sj.train.fit(trainer, state, good, progress=False, on_nonfinite="ignore")


@pytest.mark.slow
def test_debug_nans_raises_floating_point_error_not_deleted_array():
    trainer = _trainer()
    state = trainer.init(jax.random.key(0), X)
    state, _ = trainer.step(state, X)  # compiled, donating, before debug_nans is on
    with jax.debug_nans(True):
        with pytest.raises(FloatingPointError) as info:
            trainer.step(state, NAN)
        assert "deleted" not in str(info.value)
        with pytest.raises(FloatingPointError):
            sj.train.fit(trainer, state, [X, NAN], progress=False)
    state, _ = trainer.step(state, X)  # nothing was donated: the state is still usable
    assert int(state.step) == 2
