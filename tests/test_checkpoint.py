"""Checkpoints: save / restore round trips (metadata, optimizer state, step), restoring into
targets, the CheckpointManager, listing, the command line, and the import boundary."""

from __future__ import annotations

import collections
import json
import pickle
import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import assert_same_store

import scopejax as sj
from scopejax import checkpoint as ck
from scopejax._src.checkpoint.cli import main as cli


def _loss(x, y):
    with sj.variable_scope("enc"):
        h = sj.layers.dense(x, 4, activation=jax.nn.relu, name="fc")
        sj.get_variable("count", [], "int32", trainable=False, initializer=sj.initializers.zeros())
        sj.get_variable("frozen", [2], collections=["FROZEN_VARS"], trainable=False)
        sj.get_variable("half", [3], "bfloat16", collections=["BACKBONE", "variables"])
    sj.get_variable("empty", [0, 3], trainable=False)
    with sj.variable_scope("head"):
        out = sj.layers.dense(h, 1, name="out")
    return jnp.mean((out[:, 0] - y) ** 2)


X, Y = jnp.linspace(-1, 1, 24).reshape(8, 3), jnp.linspace(0, 1, 8)


@pytest.fixture(scope="module")
def trainer():
    return sj.train.minimize(_loss, optax.adam(1e-2), donate=False)


@pytest.fixture(scope="module")
def state(trainer):
    st = trainer.init(jax.random.key(0), X, Y)
    st, _ = trainer.step(st, X, Y)
    return st


def _same_tree(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert type(u) is type(v) or isinstance(u, jax.Array) == isinstance(v, jax.Array)
        assert np.shape(u) == np.shape(v) and np.asarray(u).dtype == np.asarray(v).dtype
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_store_round_trip_keeps_every_piece_of_metadata(state, tmp_path):
    store = state.store
    infos = store.infos
    assert not infos["enc/count"].trainable and infos["enc/half"].dtype == "bfloat16"
    assert infos["enc/frozen"].collections == ("FROZEN_VARS",)
    path = ck.save(tmp_path / "c", store)
    got = ck.restore(path)
    assert isinstance(got, ck.Checkpoint) and got.opt_state is None and got.step is None
    assert_same_store(store, got.store)  # names, shapes, dtypes, collections, device, key
    assert all(isinstance(v, jax.Array) for v in got.store.flat().values())
    assert got.store.trainable().names() == store.trainable().names()


@pytest.mark.slow
def test_train_state_round_trip_and_resume(trainer, state, tmp_path):
    path = ck.save(tmp_path / "c", state, metadata={"lr": 0.01, "note": "ok"})
    got = ck.restore(path)
    assert got.step == 1 and got.metadata == {"lr": 0.01, "note": "ok"}
    assert_same_store(state.store, got.store)
    _same_tree(state.opt_state, got.opt_state)  # optax's own classes, rebuilt from JSON
    assert type(got.opt_state[0]) is optax.ScaleByAdamState
    # into a concrete target and into an abstract one (nothing allocated up front)
    for target in (state, jax.eval_shape(trainer.init, jax.random.key(1), X, Y)):
        again = ck.restore(path, target=target)
        assert isinstance(again, sj.train.TrainState)
        _same_tree(state, again)
    # resuming gives the very step the original run takes
    a, _ = trainer.step(state, X, Y)
    b, _ = trainer.step(ck.restore(path, target=state), X, Y)
    _same_tree(a, b)


@pytest.mark.parametrize(
    "opt",
    [
        optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9)),
        optax.inject_hyperparams(optax.adamw)(learning_rate=0.1),
        optax.multi_transform(
            {"a": optax.adam(0.1), "b": optax.set_to_zero()},
            lambda p: jax.tree.map(lambda _: "a", p).replace({"head/out/bias": "b"}),
        ),
    ],
    ids=["chain", "inject_hyperparams", "multi_transform"],
)
@pytest.mark.slow
def test_optax_states_rebuild_without_a_target(opt, tmp_path):
    params = sj.Store({"head/out/bias": jnp.ones(2), "head/out/kernel": jnp.ones([2, 2])})
    update = jax.jit(opt.update)
    opt_state = opt.init(params)
    _, opt_state = update(params, opt_state, params)
    path = ck.save(tmp_path / "c", params, opt_state=opt_state, step=7)
    got = ck.restore(path)
    _same_tree(opt_state, got.opt_state)
    assert got.step == 7
    updates, _ = update(params, got.opt_state, params)  # usable as is (same structure)
    assert jax.tree.structure(updates) == jax.tree.structure(params)


def test_plain_trees_python_scalars_and_int_keys(tmp_path):
    tree = {"n": 3, "lr": 0.5, "flag": True, "d": {2: [jnp.ones(2), None, (np.int8(4),)], 1: ()}}
    path = ck.save(tmp_path / "c", {"w": jnp.ones(1)}, opt_state=tree)
    got = ck.restore(path).opt_state
    assert got["n"] == 3 and type(got["n"]) is int and got["lr"] == 0.5 and got["flag"] is True
    d = got["d"]
    assert list(d) == [1, 2] and d[1] == () and d[2][1] is None and d[2][2][0] == 4
    assert isinstance(d[2][0], jax.Array) and jax.tree.structure(got) == jax.tree.structure(tree)


def test_unknown_node_types_need_a_target(tmp_path):
    state = collections.OrderedDict(b=jnp.ones(2), a=jnp.zeros(3))
    path = ck.save(tmp_path / "c", {"w": jnp.ones(1)}, opt_state=state)
    with pytest.raises(ck.CheckpointError, match="OrderedDict.*restore into a target|target"):
        ck.restore(path)
    target = sj.train.TrainState(sj.Store({"w": jnp.zeros(1)}), state, None)
    got = ck.restore(path, target=target)
    assert isinstance(got.opt_state, collections.OrderedDict)
    np.testing.assert_array_equal(got.opt_state["b"], np.ones(2))


@pytest.mark.slow
def test_restore_into_target_checks_names_shapes_and_structure(trainer, state, tmp_path):
    path = ck.save(tmp_path / "c", state)
    bigger = sj.Store({**state.store.flat(), "extra/w": jnp.ones(2)})
    with pytest.raises(ck.RestoreError, match=r"extra/w: the checkpoint has no tensor"):
        ck.restore(path, target=bigger)
    wrong = sj.Store({**state.store.flat(), "head/out/bias": jnp.ones(3)})
    with pytest.raises(ck.RestoreError, match=r"head/out/bias <- head/out/bias: shape \(3,\)"):
        ck.restore(path, target=wrong)
    sgd = sj.train.minimize(_loss, optax.sgd(0.1, momentum=0.9)).init(jax.random.key(0), X, Y)
    with pytest.raises(ck.RestoreError, match=r"(?s)optimizer state does not match.*\.mu"):
        ck.restore(path, target=sgd)
    only_store = ck.restore(path, target=state.store)  # reads the variables only
    assert_same_store(state.store, only_store)


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    path = ck.save(tmp_path / "c", {"w": jnp.zeros(2)})
    with pytest.raises(ck.CheckpointError, match="already exists; pass overwrite=True"):
        ck.save(path, {"w": jnp.ones(2)})
    ck.save(path, {"w": jnp.ones(2)}, overwrite=True)
    np.testing.assert_array_equal(ck.restore(path).store["w"], np.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # no leftovers


def test_save_errors_are_clear(tmp_path):
    with pytest.raises(ck.CheckpointError, match="JSON-serializable"):
        ck.save(tmp_path / "a", {"w": jnp.zeros(2)}, metadata={"f": object()})
    with pytest.raises(ck.CheckpointError, match="abstract"):
        ck.save(tmp_path / "b", {"w": jax.ShapeDtypeStruct((2,), jnp.float32)})
    with pytest.raises(ck.CheckpointError, match="key_data"):
        ck.save(tmp_path / "c", {"w": jnp.ones(1)}, opt_state={"rng": jax.random.key(0)})
    with pytest.raises(TypeError, match="save\\(\\) takes a Store"):
        ck.save(tmp_path / "d", [jnp.zeros(2)])
    assert not any(tmp_path.iterdir())


def test_no_pickle_anywhere(state, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("pickle was used")

    for name in ("dump", "dumps", "load", "loads"):
        monkeypatch.setattr(pickle, name, boom)
    path = ck.save(tmp_path / "c", state)
    ck.restore(path)
    ck.restore(path, target=state)


# -- manager -------------------------------------------------------------------------------
def test_manager_keeps_the_last_k_and_saves_asynchronously(state, tmp_path):
    with ck.CheckpointManager(tmp_path, max_to_keep=2, async_save=True) as mgr:
        for step in range(5):
            mgr.save(step, state._replace(step=jnp.asarray(step)))
        mgr.wait()
        assert mgr.steps() == [3, 4] and mgr.latest_step() == 4
        got = mgr.restore(target=state)
        assert int(got.step) == 4
        _same_tree(state.store, got.store)
        assert mgr.restore(3).step == 3
        with pytest.raises(ck.CheckpointError, match="No checkpoint for step 1"):
            mgr.restore(1)
        with pytest.raises(ck.CheckpointError, match="Step 4 already has a checkpoint"):
            mgr.save(4, state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3", "4"]
    # a manager directory is a checkpoint path too: its latest step (as TF1's train_dir)
    assert ck.restore(tmp_path).step == 4
    assert ck.CheckpointManager(tmp_path).steps() == [3, 4]


def test_async_save_snapshots_values_before_returning(tmp_path):
    w = np.zeros(1 << 16, np.float32)
    with ck.CheckpointManager(tmp_path, async_save=True) as mgr:
        mgr.save(0, sj.Store({"w": w}))
        w[:] = 1.0  # mutated while the write may still be running
    np.testing.assert_array_equal(ck.restore(tmp_path / "0").store["w"], 0.0)


def test_async_errors_surface_on_wait(tmp_path, monkeypatch):
    from scopejax._src.checkpoint import manager as _manager

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(_manager, "write_snapshot", fail)
    mgr = ck.CheckpointManager(tmp_path, async_save=True)
    mgr.save(0, {"w": jnp.ones(1)})
    with pytest.raises(OSError, match="disk full"):
        mgr.wait()
    mgr.close()


# -- listing, loading, command line ---------------------------------------------------------
def test_list_and_load_variables(state, tmp_path):
    path = ck.save(tmp_path / "c", state)
    listed = ck.list_variables(path)
    assert ("enc/half", (3,), "bfloat16") in listed and ("empty", (0, 3), "float32") in listed
    got = ck.load_variables(path, ["enc/fc/kernel", "empty"])
    np.testing.assert_array_equal(got["enc/fc/kernel"], state.store["enc/fc/kernel"])
    assert got["empty"].shape == (0, 3)
    with pytest.raises(ck.CheckpointError, match=r"no variable 'enc/fc/kernle' \(did you mean"):
        ck.load_variables(path, ["enc/fc/kernle"])


def test_cli_ls_and_verify(state, tmp_path, capsys):
    path = ck.save(tmp_path / "c", state)
    assert cli(["ls", str(path)]) == 0
    out = capsys.readouterr().out
    assert "step 1" in out and "enc/fc/kernel" in out and "(3, 4)" in out and "float32" in out
    assert "non-trainable" in out and "optimizer state: " in out
    n = len(state.store.names())
    assert f"{n} variables, {state.store.num_params:,} parameters" in out
    assert cli(["ls", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["count"] == n and info["bytes"] == state.store.nbytes
    assert (
        cli(["verify", str(path)]) == 0
        and "every CRC-32C checksum matches" in capsys.readouterr().out
    )
    assert cli(["ls", str(tmp_path / "nope")]) == 1
    assert "No checkpoint at" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_entry_point_and_import_boundary(tmp_path):
    """``python -m scopejax.checkpoint`` works, and ``import scopejax`` (or even
    ``scopejax.checkpoint``) does not import orbax: only saving or restoring does."""
    p = str(tmp_path / "c")
    code = (
        "import runpy, sys, scopejax, scopejax.checkpoint as ck, jax.numpy as jnp\n"
        "assert 'orbax' not in sys.modules, 'import pulled in orbax'\n"
        f"ck.save({p!r}, {{'a/w': jnp.ones([2, 3])}})\n"
        "assert 'orbax.checkpoint' in sys.modules\n"
        f"sys.argv = ['python -m scopejax.checkpoint', 'ls', {p!r}]\n"
        "try:\n"
        "    runpy.run_module('scopejax.checkpoint', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "sys.stdout.flush()\n"
        "import os\n"  # now as in `... | head -1`: the reader has gone
        "r, w = os.pipe(); os.close(r); os.dup2(w, 1); os.close(w)\n"
        "try:\n"
        "    runpy.run_module('scopejax.checkpoint', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    print('piped:', e.code, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "a/w" in out.stdout and "1 variable, 6 parameters, 24 B" in out.stdout
    assert out.stderr.strip() == "piped: 1", out.stderr  # no BrokenPipeError traceback


def test_restore_warns_and_recovers_after_an_interrupted_overwrite(tmp_path, monkeypatch):
    """The window between the two renames of an overwrite: ``path`` is absent, the new
    checkpoint is complete beside it; restore reads it, the next save puts it in place."""
    import os

    from scopejax._src.checkpoint import save as _save

    path = ck.save(tmp_path / "c", {"w": jnp.zeros(2)})
    real_rename = os.rename

    def rename(a, b):
        if str(b) == str(path):  # killed after moving the old checkpoint aside
            raise KeyboardInterrupt
        real_rename(a, b)

    monkeypatch.setattr(_save.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        ck.save(path, {"w": jnp.ones(2)}, overwrite=True)
    monkeypatch.undo()
    assert not path.exists()
    with pytest.warns(UserWarning, match="interrupted save"):
        np.testing.assert_array_equal(ck.restore(path).store["w"], np.ones(2))
    ck.save(tmp_path / "c", {"w": jnp.full(2, 2.0)}, overwrite=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(ck.restore(path).store["w"], np.full(2, 2.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]
