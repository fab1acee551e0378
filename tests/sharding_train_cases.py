"""Training across 8 devices: data, tensor and fully-sharded data parallelism.

Run through ``tests/test_sharding.py`` (a subprocess with 8 simulated CPU devices).
Each parallel step must give the single-device losses and parameters within float
tolerance, keep every parameter and its optimizer state in its sharding, and never
all-gather a parameter it does not need whole (checked in the compiled HLO).
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import scopejax as sj
from scopejax.sharding import ShardingWarning, fixed_size_partitioner

pytestmark = pytest.mark.skipif(
    jax.device_count() < 8,
    reason="needs 8 devices: run tests/test_sharding.py (it sets XLA_FLAGS)",
)

KEY = jax.random.key(0)
BATCH = 16
X = jax.random.normal(jax.random.key(1), (BATCH, 24))
Y = jax.random.normal(jax.random.key(2), (BATCH,))
STEPS = 3


def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
    h = jax.nn.relu(sj.layers.dense(x, 40, name="d1"))
    h = jax.nn.relu(sj.layers.dense(h, 24, name="d2"))
    return jnp.mean((sj.layers.dense(h, 1, name="out")[:, 0] - y) ** 2)


@pytest.fixture(scope="module")
def mesh_data() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]), ("data",))


@pytest.fixture(scope="module")
def mesh24() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]).reshape(2, 4), ("data", "model"))


DP = [(".*", P())]
# Megatron-style: d1 split by columns, d2 by rows; one all-reduce after d2, no gather
TP = [
    ("d1/kernel$", P(None, "model")),
    ("d1/bias$", P("model")),
    ("d2/kernel$", P("model", None)),
    (".*", P()),
]
FSDP = [("kernel$", P("data")), (".*", P())]


def train(rules=None, mesh=None, optimizer=None, steps: int = STEPS):
    """(losses, final state, trainer) of ``steps`` Adam steps, sharded when ``mesh``."""
    trainer = sj.train.minimize(loss_fn, optimizer or optax.adam(1e-2))
    if mesh is None:
        state = trainer.init(KEY, X, Y)
        losses = []
        for _ in range(steps):
            state, m = trainer.step(state, X, Y)
            losses.append(float(m["loss"]))
        return losses, state, trainer
    with sj.sharding.use(mesh, rules):
        state = trainer.init(KEY, X, Y)
        losses = []
        for _ in range(steps):
            state, m = trainer.step(state, X, Y)
            losses.append(float(m["loss"]))
    return losses, state, trainer


@pytest.fixture(scope="module")
def reference():
    losses, state, _ = train()
    return losses, state


def specs(store: sj.Store) -> dict[str, tuple]:
    out = {}
    for name, v in store.flat().items():
        assert isinstance(v.sharding, NamedSharding), name
        spec = list(v.sharding.spec)
        while spec and spec[-1] is None:
            spec.pop()
        out[name] = tuple(spec)
    return out


def compiled_step_hlo(trainer, state, mesh, rules) -> str:
    """The HLO of the step as ``trainer.step`` compiles it (same function, shardings)."""
    with sj.sharding.use(mesh, rules):
        x, y = sj.sharding.shard_batch((X, Y))
        return jax.jit(trainer.step_fn).lower(state, x, y).compile().as_text()


def all_gathers(hlo: str) -> list[tuple[int, ...]]:
    """Result shapes of the all-gathers in ``hlo``."""
    out = []
    for dims in re.findall(r"= \w+\[([\d,]*)\][^ ]* all-gather(?:-start)?\(", hlo):
        out.append(tuple(int(d) for d in dims.split(",") if d))
    return out


def assert_same_training(losses, state, reference) -> None:
    ref_losses, ref_state = reference
    np.testing.assert_allclose(losses, ref_losses, rtol=2e-5, atol=1e-6)
    for name, v in ref_state.store.flat().items():
        np.testing.assert_allclose(
            np.asarray(state.store[name]), np.asarray(v), rtol=1e-4, atol=1e-6, err_msg=name
        )


def assert_opt_state_like_params(state) -> None:
    """Adam's mu and nu of each parameter have that parameter's sharding."""
    adam = state.opt_state[0]
    for moment in (adam.mu, adam.nu):
        for name, v in moment.flat().items():
            assert v.sharding == state.store[name].sharding, name
    assert adam.count.sharding.is_fully_replicated
    assert len(adam.count.sharding.device_set) == 8


# -- data parallel ------------------------------------------------------------------------
def test_data_parallel_matches_one_device(mesh_data, reference):
    losses, state, trainer = train(DP, mesh_data)
    assert_same_training(losses, state, reference)
    assert set(specs(state.store).values()) == {()}  # replicated
    assert_opt_state_like_params(state)
    hlo = compiled_step_hlo(trainer, state, mesh_data, DP)
    assert all_gathers(hlo) == []  # DP never gathers a parameter
    assert "all-reduce" in hlo  # the gradients are summed over the batch shards


def test_step_splits_the_batch_over_data(mesh_data):
    seen = []

    def probe(x, y):
        jax.debug.inspect_array_sharding(x, callback=seen.append)
        return loss_fn(x, y)

    trainer = sj.train.minimize(probe, optax.sgd(0.1))
    with sj.sharding.use(mesh_data, DP):
        state = trainer.init(KEY, X, Y)
        trainer.step(state, X, Y)
    assert seen and seen[-1].is_equivalent_to(NamedSharding(mesh_data, P("data")), 2)
    seen.clear()
    with sj.sharding.use(mesh_data, DP, batch_axis=None):
        state = trainer.init(KEY, X, Y)
        trainer.step(state, X, Y)
    assert seen and seen[-1].is_fully_replicated


def test_uneven_batch_is_replicated_with_a_warning(mesh_data, reference):
    trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
    x, y = X[:12], Y[:12]
    plain = trainer.init(KEY, x, y)
    _, want = trainer.step(plain, x, y)
    with sj.sharding.use(mesh_data, DP):
        state = trainer.init(KEY, x, y)
        match = r"batch argument 0 of shape \(12, 24\) \(and 1 more\)"
        with pytest.warns(ShardingWarning, match=match):
            _, got = trainer.step(state, x, y)
    np.testing.assert_allclose(float(got["loss"]), float(want["loss"]), rtol=1e-5)


# -- tensor parallel -----------------------------------------------------------------------
def test_tensor_parallel_matches_one_device(mesh24, reference):
    losses, state, trainer = train(TP, mesh24)
    assert_same_training(losses, state, reference)
    got = specs(state.store)
    assert got["d1/kernel"] == (None, "model") and got["d2/kernel"] == ("model",)
    assert got["d1/bias"] == ("model",) and got["out/kernel"] == ()
    assert_opt_state_like_params(state)
    hlo = compiled_step_hlo(trainer, state, mesh24, TP)
    params = {v.shape for v in state.store.flat().values()}
    gathered = all_gathers(hlo)
    assert not [g for g in gathered if g in params], gathered
    assert "all-reduce" in hlo


# -- fully sharded data parallel ------------------------------------------------------------
def test_fsdp_matches_one_device(mesh_data, reference):
    losses, state, trainer = train(FSDP, mesh_data)
    assert_same_training(losses, state, reference)
    got = specs(state.store)
    assert got["d1/kernel"] == ("data",) and got["d2/kernel"] == ("data",)
    assert got["d1/bias"] == ()
    assert_opt_state_like_params(state)
    # parameters and optimizer state: each device holds 1/8 of every kernel
    k = state.store["d1/kernel"]
    assert {tuple(s.data.shape) for s in k.addressable_shards} == {(3, 40)}
    hlo = compiled_step_hlo(trainer, state, mesh_data, FSDP)
    kernels = {v.shape for n, v in state.store.flat().items() if n.endswith("kernel")}
    others = {v.shape for n, v in state.store.flat().items() if not n.endswith("kernel")}
    gathered = all_gathers(hlo)
    assert gathered, "FSDP gathers each sharded kernel where it is used"
    # only the sharded kernels are gathered (no replicated parameter, no optimizer state)
    assert all(g in kernels for g in gathered if g in kernels | others), gathered
    assert not [g for g in gathered if g in others - kernels], gathered


def test_training_keeps_every_sharding_across_steps(mesh24):
    losses, state, _ = train(TP, mesh24, steps=2)
    with sj.sharding.use(mesh24, TP):
        fresh = sj.train.minimize(loss_fn, optax.adam(1e-2)).init(KEY, X, Y)
    assert specs(state.store) == specs(fresh.store)


def test_init_from_places_a_plain_store_by_the_rules(mesh24, reference):
    trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
    plain = trainer.net.init(KEY, X, Y)
    with sj.sharding.use(mesh24, TP):
        state = trainer.init_from(plain)
        assert specs(state.store)["d1/kernel"] == (None, "model")
        assert_opt_state_like_params(state)
        losses = []
        for _ in range(STEPS):
            state, m = trainer.step(state, X, Y)
            losses.append(float(m["loss"]))
    assert_same_training(losses, state, reference)
    assert len(plain["d1/kernel"].devices()) == 1  # the caller's store is untouched


def test_partitioned_variable_stays_partitioned_in_training(mesh_data):
    def loss(x, y):
        table = sj.get_variable("emb", [16, 24], partitioner=fixed_size_partitioner(4))
        return jnp.mean((x @ table.T).sum(-1) - y) ** 2

    trainer = sj.train.minimize(loss, optax.adam(1e-2))
    with sj.sharding.use(mesh_data, [(".*", P())], partition_axis="data"):
        state = trainer.init(KEY, X, Y)
        assert specs(state.store)["emb"] == ("data",)
        state, _ = trainer.step(state, X, Y)
    assert specs(state.store)["emb"] == ("data",)
    assert state.opt_state[0].mu["emb"].sharding == state.store["emb"].sharding


def test_one_trainer_under_two_rule_sets(mesh24):
    trainer = sj.train.minimize(loss_fn, optax.sgd(0.1))
    with sj.sharding.use(mesh24, TP):
        a, _ = trainer.step(trainer.init(KEY, X, Y), X, Y)
    with sj.sharding.use(mesh24, FSDP):
        b, _ = trainer.step(trainer.init(KEY, X, Y), X, Y)
    assert specs(a.store)["d2/kernel"] == ("model",)
    assert specs(b.store)["d2/kernel"] == ("data",)


def test_fit_runs_data_parallel(mesh_data, reference):
    trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
    history: list = []
    with sj.sharding.use(mesh_data, FSDP):
        state = trainer.init(KEY, X, Y)
        state = sj.train.fit(trainer, state, [(X, Y)] * STEPS, progress=False, history=history)
    np.testing.assert_allclose([h["loss"] for h in history], reference[0], rtol=2e-5)
    assert specs(state.store)["d1/kernel"] == ("data",)


def test_sgd_state_and_frozen_variables(mesh_data):
    """Only the selected variables have optimizer state; frozen ones keep their sharding."""
    trainer = sj.train.minimize(
        loss_fn, optax.sgd(0.1, momentum=0.9), var_list=sj.train.regex("d2")
    )
    with sj.sharding.use(mesh_data, FSDP):
        state = trainer.init(KEY, X, Y)
        state, _ = trainer.step(state, X, Y)
    trace = state.opt_state[0].trace
    assert set(trace.names()) == {"d2/kernel", "d2/bias"}
    assert trace["d2/kernel"].sharding == state.store["d2/kernel"].sharding
    assert specs(state.store)["d1/kernel"] == ("data",)
