"""Checkpoints across meshes on 8 devices: save sharded, restore resharded, TF1 into shards.

Run through ``tests/test_sharding.py`` (a subprocess with 8 simulated CPU devices).
"""

from __future__ import annotations

import json
import pathlib
import warnings

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
X = jax.random.normal(jax.random.key(1), (16, 24))
Y = jax.random.normal(jax.random.key(2), (16,))
FIXTURES = pathlib.Path(__file__).parent / "checkpoint_fixtures"

TP = [("d1/kernel$", P(None, "model")), ("d1/bias$", P("model")), ("d2/kernel$", P("model"))]
FSDP = [("kernel$", P("data")), (".*", P())]


def loss_fn(x: jax.Array, y: jax.Array) -> jax.Array:
    h = jax.nn.relu(sj.layers.dense(x, 40, name="d1"))
    h = jax.nn.relu(sj.layers.dense(h, 24, name="d2"))
    return jnp.mean((sj.layers.dense(h, 1, name="out")[:, 0] - y) ** 2)


@pytest.fixture(scope="module")
def mesh24() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]).reshape(2, 4), ("data", "model"))


@pytest.fixture(scope="module")
def mesh_data() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]), ("data",))


@pytest.fixture(scope="module")
def mesh4() -> Mesh:
    """Another mesh: 4 other devices, other axis names."""
    return Mesh(np.array(jax.devices()[4:8]).reshape(2, 2), ("data", "model"))


def spec(v: jax.Array) -> tuple:
    assert isinstance(v.sharding, NamedSharding), v.sharding
    s = list(v.sharding.spec)
    while s and s[-1] is None:
        s.pop()
    return tuple(s)


def assert_same_values(a: sj.Store, b: sj.Store) -> None:
    assert a.names() == b.names()
    for name, v in a.flat().items():
        np.testing.assert_array_equal(np.asarray(v), np.asarray(b[name]), err_msg=name)


@pytest.fixture(scope="module")
def trained(mesh24, tmp_path_factory):
    """A TrainState trained 2 steps with TP on the 2x4 mesh, saved; and its path."""
    trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
    with sj.sharding.use(mesh24, TP):
        state = trainer.init(KEY, X, Y)
        for _ in range(2):
            state, _ = trainer.step(state, X, Y)
    path = sj.checkpoint.save(tmp_path_factory.mktemp("ckpt") / "tp", state)
    return trainer, state, path


def test_save_a_sharded_state_and_restore_it_on_the_same_mesh(trained, mesh24):
    trainer, state, path = trained
    with sj.sharding.use(mesh24, TP):
        target = trainer.init(KEY, X, Y)
        got = sj.checkpoint.restore(path, target=target)  # checksums verified
    assert_same_values(got.store, state.store)
    for name, v in got.store.flat().items():
        assert v.sharding == state.store[name].sharding, name
    assert int(got.step) == 2
    mu = got.opt_state[0].mu
    assert mu["d1/kernel"].sharding == got.store["d1/kernel"].sharding
    np.testing.assert_array_equal(
        np.asarray(mu["d1/kernel"]), np.asarray(state.opt_state[0].mu["d1/kernel"])
    )


def test_restore_onto_another_mesh_and_rules_reshards(trained, mesh4):
    trainer, state, path = trained
    rules = [("d[12]/kernel$", P("data", "model")), (".*", P())]
    with sj.sharding.use(mesh4, rules):
        target = trainer.net.init_abstract(KEY, X, Y)  # shape structs with the new shardings
        store = sj.checkpoint.restore(path, target=target)
    assert_same_values(store, state.store)
    assert store["d1/kernel"].sharding == NamedSharding(mesh4, P("data", "model"))
    assert store["d1/bias"].sharding == NamedSharding(mesh4, P())
    assert {tuple(s.data.shape) for s in store["d1/kernel"].addressable_shards} == {(12, 20)}
    assert store["d1/kernel"].sharding.device_set == set(jax.devices()[4:8])


def test_restore_a_train_state_from_eval_shape_inside_use(trained, mesh_data, mesh24):
    """jax.eval_shape(trainer.init) has no shardings: the use block's rules place the
    variables and the optimizer state follows them; training continues the same."""
    trainer, state, path = trained
    with sj.sharding.use(mesh_data, FSDP):
        target = jax.eval_shape(trainer.init, KEY, X, Y)
        got = sj.checkpoint.restore(path, target=target)
        assert spec(got.store["d1/kernel"]) == ("data",)
        assert got.opt_state[0].nu["d2/kernel"].sharding == got.store["d2/kernel"].sharding
        assert got.opt_state[0].count.sharding.is_fully_replicated
        cont, m = trainer.step(got, X, Y)
    ref_state = jax.tree.map(jnp.copy, state)
    with sj.sharding.use(mesh24, TP):  # the step it was saved from
        ref, m_ref = trainer.step(ref_state, X, Y)
    np.testing.assert_allclose(float(m["loss"]), float(m_ref["loss"]), rtol=1e-5)
    for name, v in ref.store.flat().items():
        np.testing.assert_allclose(np.asarray(cont.store[name]), np.asarray(v), rtol=1e-5)


def test_restore_without_target_inside_use(trained, mesh4):
    _, state, path = trained
    with sj.sharding.use(mesh4, [("d[12]/kernel$", P(None, "model")), (".*", P())]):
        ckpt = sj.checkpoint.restore(path)
    assert spec(ckpt.store["d2/kernel"]) == (None, "model")
    assert ckpt.store["d2/kernel"].sharding.mesh == mesh4
    assert_same_values(ckpt.store, state.store)
    assert ckpt.opt_state[0].mu["d2/kernel"].sharding == ckpt.store["d2/kernel"].sharding
    plain = sj.checkpoint.restore(path)  # outside: one device, as before
    assert len(plain.store["d2/kernel"].devices()) == 1


def test_restore_strict_names_an_unmatched_variable(trained, mesh4):
    _, _, path = trained
    with sj.sharding.use(mesh4, [("kernel$", P())], strict=True):
        with pytest.raises(sj.ShardingError, match=r"Variable d1/bias: no sharding rule"):
            sj.checkpoint.restore(path)


def test_checkpoint_of_a_partitioned_store_restores_anywhere(mesh_data, tmp_path):
    def fn():
        with sj.variable_scope("emb", partitioner=fixed_size_partitioner(8)):
            return sj.get_variable("table", [32, 4])

    with sj.sharding.use(mesh_data, partition_axis="data"):
        store = sj.transform(fn).init(KEY)
    assert spec(store["emb/table"]) == ("data",)
    path = sj.checkpoint.save(tmp_path / "p", store)
    plain = sj.checkpoint.restore(path, target=sj.transform(fn).init_abstract(KEY))
    assert len(plain["emb/table"].devices()) in (1, 8)
    np.testing.assert_array_equal(np.asarray(plain["emb/table"]), np.asarray(store["emb/table"]))


# -- a TF1 checkpoint of partitioned variables, straight into a sharded store -------------
def tf1_model() -> None:
    """The model of tests/checkpoint_fixtures/partitioned, as TF1 wrote it."""
    sj.get_variable("embedding/table", [7, 4], partitioner=fixed_size_partitioner(3))
    sj.get_variable("dense/kernel", [3, 5], partitioner=fixed_size_partitioner(2, axis=1))
    sj.get_variable("dense/bias", [5])


def expected_tf1() -> dict[str, np.ndarray]:
    case = FIXTURES / "partitioned"
    meta = json.loads((case / "expected.json").read_text())
    with np.load(case / "expected.npz", allow_pickle=False) as npz:
        return {t["name"]: npz[t["key"]] for t in meta["tensors"]}


def test_tf1_partitioned_checkpoint_restores_into_a_sharded_store():
    """TF1 split embedding/table (7, 4) in 3 parts (3, 2, 2 rows). On a 7-device mesh its
    rows are sharded 7 ways; dense/kernel's 5 columns do not split over 7 (replicated,
    with a warning); the checkpoint's parts are assembled and land on those shardings."""
    mesh7 = Mesh(np.array(jax.devices()[:7]), ("partition",))
    prefix = str(FIXTURES / "partitioned" / "model.ckpt")
    with sj.sharding.use(mesh7):
        with pytest.warns(ShardingWarning, match="dense/kernel"):
            target = sj.transform(tf1_model).init_abstract(KEY)
        store = sj.checkpoint.restore(prefix, target=target)
    assert store.names() == ["dense/bias", "dense/kernel", "embedding/table"]
    assert spec(store["embedding/table"]) == ("partition",)
    assert {tuple(s.data.shape) for s in store["embedding/table"].addressable_shards} == {(1, 4)}
    assert store["dense/kernel"].sharding.is_fully_replicated
    for name, want in expected_tf1().items():
        np.testing.assert_array_equal(np.asarray(store[name]), want, err_msg=name)


def test_tf1_checkpoint_into_rules_on_8_devices(mesh24):
    rules = [("embedding/table", P(None, "model")), ("dense/bias", P()), ("kernel", P())]
    prefix = str(FIXTURES / "partitioned" / "model.ckpt")

    def model():
        sj.get_variable("embedding/table", [7, 4])
        sj.get_variable("dense/kernel", [3, 5])
        sj.get_variable("dense/bias", [5])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with sj.sharding.use(mesh24, rules):
            store = sj.checkpoint.restore(prefix, target=sj.transform(model).init(KEY))
            ckpt = sj.checkpoint.restore(prefix)  # no target: the rules place it
    assert spec(store["embedding/table"]) == (None, "model")
    assert spec(ckpt.store["embedding/table"]) == (None, "model")
    for name, want in expected_tf1().items():
        np.testing.assert_array_equal(np.asarray(store[name]), want, err_msg=name)
        np.testing.assert_array_equal(np.asarray(ckpt.store[name]), want, err_msg=name)
