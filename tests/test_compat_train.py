"""tf.train optimizers against TF1's recorded trajectories, global_step, var_list handles."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
REC = np.load(HERE / "optimizers.npz")
META = json.loads((HERE / "optimizers.json").read_text())
CASES = sorted(META["cases"])


def _quadratic() -> jax.Array:
    x = tf.get_variable("x", initializer=jnp.asarray(REC["x0"]))
    return 0.5 * jnp.sum(jnp.asarray(REC["a"]) * (x - jnp.asarray(REC["c"])) ** 2)


@pytest.mark.parametrize("case", CASES)
def test_optimizer_matches_tf1(case: str) -> None:
    cls, kwargs = META["cases"][case]
    opt = getattr(tf.train, cls)(**kwargs)
    x = jnp.asarray(REC["x0"])
    state = opt.init(x)
    got = []
    for _ in range(META["steps"]):
        updates, state = opt.update(jnp.asarray(REC["a"]) * (x - jnp.asarray(REC["c"])), state, x)
        x = optax.apply_updates(x, updates)
        got.append(np.asarray(x))
    np.testing.assert_allclose(np.stack(got), REC[case], rtol=1e-6, atol=1e-7)


def test_minimize_trainer_and_global_step() -> None:
    cls, kwargs = META["cases"]["adam"]
    trainer = tf.train.AdamOptimizer(**kwargs).minimize(_quadratic, global_step=True)
    state = trainer.init(jax.random.key(0))
    assert int(state.store["global_step"]) == 0
    assert state.store.infos["global_step"].trainable is False
    assert tf.GraphKeys.GLOBAL_STEP in state.store.infos["global_step"].collections
    for i in range(META["steps"]):
        state, _ = trainer.step(state)
        np.testing.assert_allclose(np.asarray(state.store["x"]), REC["adam"][i], rtol=1e-6)
    assert int(state.store["global_step"]) == META["steps"]


def test_global_step_inside_model_is_reused() -> None:
    def loss_fn() -> jax.Array:
        step = tf.train.get_or_create_global_step()
        assert tf.train.get_global_step() is not None
        return _quadratic() + 0.0 * step.astype(jnp.float32)

    trainer = tf.train.GradientDescentOptimizer(0.1).minimize(loss_fn, global_step="global_step")
    state = trainer.init(jax.random.key(0))
    state, _ = trainer.step(state)
    state, _ = trainer.step(state)
    assert int(state.store["global_step"]) == 2
    np.testing.assert_allclose(np.asarray(state.store["x"]), REC["sgd"][1], rtol=1e-6)


def test_global_step_wrong_name_and_absent() -> None:
    def probe() -> None:
        assert tf.train.get_global_step() is None

    sj.transform(probe).init(jax.random.key(0))
    trainer = tf.train.GradientDescentOptimizer(0.1).minimize(_quadratic, global_step="gs")
    with pytest.raises(ValueError, match="global step is 'global_step'"):
        trainer.init(jax.random.key(0))
    with pytest.raises(ValueError, match="positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


def _two_towers(x: jax.Array) -> jax.Array:
    with tf.variable_scope("d_net"):
        d = tf.get_variable("w", initializer=jnp.ones([3]))
    with tf.variable_scope("g_net"):
        g = tf.get_variable("w", initializer=jnp.ones([3]))
    return jnp.sum((x * d * g) ** 2)


def test_var_list_handles_inside_and_from_a_finished_call() -> None:
    inside = []

    def loss_fn(x: jax.Array) -> jax.Array:
        loss = _two_towers(x)
        inside[:] = [v for v in sj.trainable_variables() if "d_" in v.name]
        return loss

    sj.transform(loss_fn).init(jax.random.key(0), jnp.ones([3]))
    assert [h.name for h in inside] == ["d_net/w"]  # handles of a finished call
    for var_list in (inside, inside[0]):
        trainer = tf.train.GradientDescentOptimizer(0.1).minimize(loss_fn, var_list=var_list)
        state = trainer.init(jax.random.key(0), jnp.ones([3]))
        state, _ = trainer.step(state, jnp.ones([3]))
        assert not np.allclose(state.store["d_net/w"], 1.0)
        np.testing.assert_array_equal(state.store["g_net/w"], np.ones([3]))


def test_init_from_checkpoint_var_list_handles() -> None:
    inside = []

    def model(x: jax.Array) -> jax.Array:
        loss = _two_towers(x)
        inside[:] = [v for v in sj.trainable_variables() if "g_" in v.name]
        return loss

    net = sj.transform(model)
    store = net.init(jax.random.key(0), jnp.ones([3]))
    ckpt = {"d_net/w": np.full([3], 2.0, np.float32), "g_net/w": np.full([3], 3.0, np.float32)}
    new = sj.checkpoint.init_from_checkpoint(ckpt, {"/": "/"}, store, var_list=inside)
    new = new[0] if isinstance(new, tuple) else new
    np.testing.assert_array_equal(new["g_net/w"], np.full([3], 3.0))
    np.testing.assert_array_equal(new["d_net/w"], np.ones([3]))
