"""tf.train optimizers against TF1's recorded trajectories, global_step, var_list handles."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf
from scopejax.checkpoint import CheckpointError

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


TR = np.load(HERE / "train.npz")
TRAIN_META = json.loads((HERE / "train.json").read_text())


def _linear() -> jax.Array:
    w = tf.get_variable("w", initializer=jnp.asarray(TR["w0"]))
    b = tf.get_variable("b", initializer=jnp.asarray(TR["b0"]))
    return tf.reduce_mean(tf.square(tf.matmul(jnp.asarray(TR["x"]), w) + b - TR["y"]))


def _process(case: str, gvs: list) -> list:
    # the same Python as record_train.py runs on TF1's list
    if case == "global_norm_momentum":
        grads, tvars = zip(*gvs, strict=True)
        clipped, _ = tf.clip_by_global_norm(grads, 0.5)
        return list(zip(clipped, tvars, strict=True))
    if case == "clip_value_adam":
        return [(tf.clip_by_value(g, -0.1, 0.1), v) for g, v in gvs]
    if case == "none_bias_adam":
        return [(None if "b" in v.op.name else g, v) for g, v in gvs]
    raise KeyError(case)


@pytest.mark.parametrize("case", sorted(TRAIN_META["gvs_cases"]))
def test_compute_and_apply_gradients_match_tf1(case: str) -> None:
    cls, kwargs = TRAIN_META["gvs_cases"][case]
    opt = getattr(tf.train, cls)(**kwargs)
    gvs = opt.compute_gradients(_linear)
    trainer = opt.apply_gradients(gvs.map(lambda gvs: _process(case, gvs)), global_step=True)
    state = trainer.init(jax.random.key(0))
    for i in range(TRAIN_META["steps"]):
        state, _ = trainer.step(state)
        for v in ("w", "b"):
            np.testing.assert_allclose(
                state.store[v], TR[f"gvs_{case}/{v}"][i], rtol=1e-6, atol=1e-7, err_msg=v
            )
        assert int(state.store["global_step"]) == TR[f"gvs_{case}/global_step"][i]


def test_minimize_process_gradients_and_errors() -> None:
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    names = []

    def process(gvs: list) -> list:
        names[:] = [(v.name, v.op.name, v.get_shape()) for _, v in gvs]
        return _process("global_norm_momentum", gvs)

    trainer = opt.minimize(_linear, global_step=True, process_gradients=process)
    state, _ = trainer.step(trainer.init(jax.random.key(0)))
    assert names == [("w", "w", (3, 2)), ("b", "b", (2,))]  # TF1's order: creation
    np.testing.assert_allclose(state.store["w"], TR["gvs_global_norm_momentum/w"][0], rtol=1e-6)
    gvs = opt.compute_gradients(_linear)
    with pytest.raises(TypeError, match="deferred"):
        [(g, v) for g, v in gvs]
    with pytest.raises(TypeError, match="GradientsAndVars"):
        opt.apply_gradients([(1.0, "w")])
    with pytest.raises(TypeError, match="function computing it"):
        opt.compute_gradients(jnp.zeros([]))
    for bad, match in [
        (lambda gvs: gvs[:1], r"leaves out \[.b.\]"),
        (lambda gvs: [*gvs, gvs[0]], "appears twice"),
        (lambda gvs: [(g, "nope") for g, _ in gvs], "'nope'"),
        (lambda gvs: [(g[0], v) for g, v in gvs], "shape"),
        (lambda gvs: None, "list of"),
    ]:
        trainer = opt.apply_gradients(gvs.map(bad))
        with pytest.raises((ValueError, TypeError), match=match):
            trainer.step(trainer.init(jax.random.key(0)))


def test_adagrad_da_reads_the_global_step_and_argument_checks() -> None:
    # T = global step + 1 inside the trainer; a model whose step starts at 2 must differ
    cls, kwargs = META["cases"]["adagrad_da_l1_l2"]
    trainer = tf.train.AdagradDAOptimizer(**kwargs).minimize(_quadratic, global_step=True)
    state = trainer.init(jax.random.key(0))
    for i in range(3):
        state, _ = trainer.step(state)
        np.testing.assert_allclose(
            state.store["x"], REC["adagrad_da_l1_l2"][i], rtol=1e-6, atol=1e-7
        )
    later = trainer.init(jax.random.key(0))
    later = later._replace(store=later.store.replace({"global_step": jnp.asarray(2, jnp.int32)}))
    later, _ = trainer.step(later)
    assert not np.allclose(later.store["x"], REC["adagrad_da_l1_l2"][0], rtol=1e-3)
    with pytest.raises(ValueError, match="needs the parameters"):
        opt = tf.train.FtrlOptimizer(0.1)
        opt.update(jnp.ones([2]), opt.init(jnp.ones([2])))
    for make, match in [
        (lambda: tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5), "learning_rate_power"),
        (lambda: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0), "l1_reg"),
        (lambda: tf.train.ProximalGradientDescentOptimizer(0.1, -1.0), "l1_reg"),
        (lambda: tf.train.ProximalAdagradOptimizer(0.1, 0.0), "initial_accumulator"),
        (lambda: tf.train.AdagradDAOptimizer(0.1, None, 0.0), "initial_gradient"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()


@pytest.mark.parametrize("case", sorted(TRAIN_META["decay_cases"]))
def test_learning_rate_decays_match_tf1(case: str) -> None:
    fn, kwargs = TRAIN_META["decay_cases"][case]
    arg = "x" if fn == "piecewise_constant" else "global_step"
    want = TR[f"decay_{case}"]
    now = [getattr(tf.train, fn)(**{arg: s}, **kwargs) for s in TRAIN_META["decay_steps"]]
    schedule = getattr(tf.train, fn)(**{arg: tf.train.get_or_create_global_step()}, **kwargs)
    assert isinstance(schedule, tf.train.LearningRateSchedule)
    later = [schedule(np.int64(s)) for s in TRAIN_META["decay_steps"]]
    for got in (now, later):
        assert np.asarray(got).dtype == want.dtype
        # bit-exact but for float32 cos rounding (one ulp where cos is involved)
        np.testing.assert_allclose(np.asarray(got), want, rtol=2e-7, atol=1e-8)


@pytest.mark.parametrize("start", [0, 3])
def test_decayed_learning_rate_follows_the_global_step(start: int) -> None:
    # the TF1 script's lines, unchanged: the global step made outside the model
    global_step = tf.train.get_or_create_global_step()
    assert global_step is tf.train.GLOBAL_STEP
    lr = tf.train.exponential_decay(0.1, global_step, 2, 0.5, staircase=True)
    trainer = tf.train.MomentumOptimizer(lr, 0.9).minimize(_linear, global_step=global_step)
    state = trainer.init(jax.random.key(0))
    gs = state.store["global_step"]
    state = state._replace(store=state.store.replace({"global_step": jnp.asarray(start, gs.dtype)}))
    for i in range(TRAIN_META["steps"]):
        lr_now = lr(state.store["global_step"])
        np.testing.assert_allclose(lr_now, TR[f"decayed_momentum_from{start}/lr"][i], rtol=1e-7)
        state, _ = trainer.step(state)
        np.testing.assert_allclose(
            state.store["w"], TR[f"decayed_momentum_from{start}/w"][i], rtol=1e-6, atol=1e-7
        )
    assert int(state.store["global_step"]) == start + TRAIN_META["steps"]


def test_decay_errors() -> None:
    with pytest.raises(ValueError, match="global_step is required"):
        tf.train.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        tf.train.piecewise_constant(3, [1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="same dtype"):
        tf.train.piecewise_constant(3, [1], [1.0, 1])
    assert float(tf.train.exponential_decay(0.1, lambda s: s * 2, 10, 0.5)(5)) == pytest.approx(
        0.05
    )


def _dense() -> jax.Array:
    with tf.variable_scope("dense"):
        w = tf.get_variable("kernel", initializer=jnp.asarray(TR["w0"]))
        b = tf.get_variable("bias", initializer=jnp.asarray(TR["b0"]))
    return tf.reduce_mean(tf.square(tf.matmul(jnp.asarray(TR["x"]), w) + b - TR["y"]))


def _slot_optimizer(case: str) -> tf.train.Optimizer:
    cls, kwargs, decay = TRAIN_META["slot_cases"][case]
    if decay:
        step = tf.train.get_or_create_global_step()
        kwargs = {**kwargs, "learning_rate": tf.train.exponential_decay(0.1, step, 2, 0.5, True)}
    return getattr(tf.train, cls)(**kwargs)


FAST_SLOTS = ("rmsprop_centered",)  # the others: marked slow


@pytest.mark.parametrize(
    "case",
    [
        c if c in FAST_SLOTS else pytest.param(c, marks=pytest.mark.slow)
        for c in sorted(TRAIN_META["slot_cases"])
    ],
)
def test_resume_from_tf1_checkpoint_slots(case: str) -> None:
    ckpt = HERE / "tf1_slots" / TRAIN_META["slot_checkpoints"][case]["prefix"]
    opt = _slot_optimizer(case)
    trainer = opt.minimize(_dense, global_step=True, jit=False)  # no compile: fast
    state = trainer.init(jax.random.key(0))
    # the names TF1 gave the slots are the ones the state maps to
    tf_names = set(opt.state_to_tf(state.opt_state)) | set(state.store.names())
    assert tf_names == set(TRAIN_META["slot_checkpoints"][case]["names"])
    # cast: TF1 global_step is int64, here int32 unless jax_enable_x64
    store, _ = sj.checkpoint.init_from_checkpoint(
        ckpt, None, state.store, include_slots=True, cast=True
    )
    assert int(store["global_step"]) == TRAIN_META["slot_save_at"]
    state = trainer.init_from(store)._replace(opt_state=opt.state_from_tf(ckpt, state.opt_state))
    for i in range(TRAIN_META["steps"] - TRAIN_META["slot_save_at"]):
        state, _ = trainer.step(state)
        for v, key in (("dense/kernel", "w"), ("dense/bias", "b")):
            np.testing.assert_allclose(
                state.store[v], TR[f"slots_{case}/{key}"][i], rtol=1e-6, atol=1e-7, err_msg=v
            )


def test_slot_names_and_errors() -> None:
    assert tf.train.AdamOptimizer().slot_suffixes() == {"m": "Adam", "v": "Adam_1"}
    assert tf.train.AdamOptimizer(name="D").get_slot_names() == ["m", "v"]
    rms = tf.train.RMSPropOptimizer(0.1, centered=True).slot_suffixes()
    assert rms == {"rms": "RMSProp", "mg": "RMSProp_1", "momentum": "RMSProp_2"}
    ftrl = tf.train.FtrlOptimizer(0.1, accum_name="acc").slot_suffixes()
    assert ftrl == {"accum": "acc", "linear": "Ftrl"}
    opt = tf.train.AdamOptimizer(name="Other")
    state = opt.minimize(_dense).init(jax.random.key(0))
    ckpt = HERE / "tf1_slots" / TRAIN_META["slot_checkpoints"]["adam"]["prefix"]
    with pytest.raises(sj.checkpoint.CheckpointError, match=r"dense/bias/Other.*dense/bias/Adam"):
        opt.state_from_tf(ckpt, state.opt_state)
    with pytest.raises(TypeError, match="not named by variable"):
        opt.state_to_tf(opt.init(jnp.zeros([2])))
    bad = {**opt.state_to_tf(state.opt_state), "dense/bias/Other": np.zeros([3], np.float32)}
    with pytest.raises(sj.checkpoint.CheckpointError, match="shape"):
        opt.state_from_tf(bad, state.opt_state)


@functools.cache
def saver_roundtrip_state() -> tuple[object, tf.train.Optimizer]:
    """The dense model trained 3 Adam steps here: what make_sj_written.py saves for TF."""
    opt = tf.train.AdamOptimizer(0.05)
    trainer = opt.minimize(_dense, global_step=True, jit=False)
    state = trainer.init(jax.random.key(0))
    for _ in range(3):
        state, _ = trainer.step(state)
    return state, opt


SJ_WRITTEN = HERE / "sj_written"
TF_READS = json.loads((SJ_WRITTEN / "tf_reads.json").read_text())


def _make_sj_written():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sj", HERE / "make_sj_written.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_tf_reads_the_bundles_written_here_bit_for_bit(tmp_path) -> None:
    make = _make_sj_written()
    make.write(tmp_path)  # the current writer: the same bytes TF read
    for f in sorted(p.name for p in SJ_WRITTEN.iterdir() if p.suffix != ".json"):
        assert (tmp_path / f).read_bytes() == (SJ_WRITTEN / f).read_bytes(), f
    values = make.dtype_values()
    assert set(TF_READS["dtypes"]) == set(values)
    for name, row in TF_READS["dtypes"].items():
        want = np.asarray(values[name])
        assert (row["dtype"], row["shape"]) == (want.dtype.name, list(want.shape)), name
        assert bytes.fromhex(row["hex"]) == want.tobytes(), name
    back = sj.checkpoint.load_tf_checkpoint(tmp_path / "dtypes.ckpt-7", include_slots=True)
    assert all(back[n].tobytes() == np.asarray(v).tobytes() for n, v in values.items())
    assert TF_READS["latest"] == "adam.ckpt-3"
    assert tf.train.latest_checkpoint(tmp_path) == str(tmp_path / "adam.ckpt-3")


def test_tf1_resumes_a_checkpoint_saved_here() -> None:
    # TF restored adam.ckpt-3 (written by Saver here) into its own Adam graph and went on
    state, opt = saver_roundtrip_state()
    saved = tf.train.Saver(optimizer=opt).restore(state, SJ_WRITTEN / "adam.ckpt-3")
    trainer = opt.minimize(_dense, global_step=True, jit=False)
    assert TF_READS["adam"]["global_step"][0] == int(saved.store["global_step"]) == 3
    for i in range(2):
        saved, _ = trainer.step(saved)
        np.testing.assert_allclose(saved.store["dense/kernel"], TF_READS["adam"]["w"][i], rtol=1e-6)
        np.testing.assert_allclose(saved.store["dense/bias"], TF_READS["adam"]["b"][i], rtol=1e-6)
        np.testing.assert_allclose(saved.store["dense/kernel"], TR["slots_adam/w"][i], rtol=1e-6)


def test_saver_restores_a_tf1_checkpoint_and_resumes() -> None:
    opt = _slot_optimizer("adam_decay")
    trainer = opt.minimize(_dense, global_step=tf.train.get_or_create_global_step(), jit=False)
    state = trainer.init(jax.random.key(0))
    ckpt = tf.train.latest_checkpoint(HERE / "tf1_slots")  # no state file there
    assert ckpt is None
    path = HERE / "tf1_slots" / TRAIN_META["slot_checkpoints"]["adam_decay"]["prefix"]
    state = tf.train.Saver(optimizer=opt).restore(state, path)
    assert int(state.step) == int(state.store["global_step"]) == 3
    state, _ = trainer.step(state)
    np.testing.assert_allclose(state.store["dense/kernel"], TR["slots_adam_decay/w"][0], rtol=1e-6)
    with pytest.raises(ValueError, match="Saver\\(optimizer=opt\\)"):
        tf.train.Saver().restore(trainer.init(jax.random.key(0)), path)
    store = tf.train.Saver().restore(state.store, path)  # the variables alone
    np.testing.assert_array_equal(store["dense/bias"], tf.train.load_variable(path, "dense/bias:0"))
    assert ("dense/kernel/Adam", [3, 2]) in tf.train.list_variables(path)


def test_saver_max_to_keep_var_list_and_errors(tmp_path) -> None:
    store = sj.Store({"a/w": jnp.ones([2]), "b/w": jnp.zeros([3]), "global_step": jnp.asarray(4)})
    saver = tf.train.Saver(max_to_keep=2, pad_step_number=True)
    paths = [saver.save(store, tmp_path / "m.ckpt", global_step=s) for s in (1, 2, 3)]
    assert paths[-1] == str(tmp_path / "m.ckpt-00000003")
    assert saver.last_checkpoints == paths[1:]
    assert not (tmp_path / "m.ckpt-00000001.index").exists()
    assert tf.train.latest_checkpoint(tmp_path) == paths[-1]
    ckpt = tf.train.get_checkpoint_state(tmp_path)
    assert ckpt.model_checkpoint_path == paths[-1] and ckpt.all_model_checkpoint_paths == paths[1:]
    assert tf.train.checkpoint_exists(paths[-1]) and not tf.train.checkpoint_exists(paths[0])
    assert tf.train.global_step(store, "global_step") == 4
    text = (tmp_path / "checkpoint").read_text()
    assert text.splitlines()[0] == f'model_checkpoint_path: "{paths[-1]}"'  # as TF1: as given
    assert sj.checkpoint.load_tf_checkpoint(paths[-1], include_slots=True)["global_step"].dtype == (
        np.int64  # TF1's dtype, whatever JAX holds
    )
    # var_list: a dict renames, a list of names selects
    renamed = tf.train.Saver({"old/w": "a/w"}).save(store, tmp_path / "r.ckpt")
    assert [n for n, _ in tf.train.list_variables(renamed)] == ["old/w"]
    back = tf.train.Saver({"old/w": "a/w"}).restore(store.replace({"a/w": jnp.zeros([2])}), renamed)
    np.testing.assert_array_equal(back["a/w"], np.ones([2]))
    only = tf.train.Saver(["b/w"]).save(store, tmp_path / "o.ckpt", global_step="global_step")
    assert only.endswith("o.ckpt-4") and [n for n, _ in tf.train.list_variables(only)] == ["b/w"]
    # a selector, as sj.train takes (a predicate on VariableInfo); its errors are not hidden
    picked = tf.train.Saver(sj.train.regex("^b/")).save(store, tmp_path / "s.ckpt")
    assert [n for n, _ in tf.train.list_variables(picked)] == ["b/w"]
    with pytest.raises(AttributeError, match="startswith"):
        tf.train.Saver(lambda info: info.startswith("b/")).save(store, tmp_path / "t.ckpt")
    with pytest.raises(CheckpointError, match="Key a/w not found"):
        tf.train.Saver().restore(store, only)
    with pytest.raises(CheckpointError, match="shape"):
        tf.train.Saver({"b/w": "a/w"}).restore(store, only)
    with pytest.raises(ValueError, match="None"):
        tf.train.Saver().restore(store, None)
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        tf.train.Saver().restore(store, tmp_path / "nothing")
    with pytest.raises(TypeError, match="in place of TF1's Session"):
        tf.train.Saver().save(object(), tmp_path / "x")
    with pytest.raises(ValueError, match="write_version"):
        tf.train.Saver(write_version=1)
    with pytest.raises(CheckpointError, match="dtype"):
        sj.checkpoint.save_tf(tmp_path / "s", {"s": np.array(["x"], object)})


def test_checkpoint_names_of_a_gan_and_a_scoped_minimize() -> None:
    def gan() -> jax.Array:
        with tf.variable_scope("d"):
            d = tf.get_variable("w", [2])
        with tf.variable_scope("g"):
            g = tf.get_variable("w", [2])
        return tf.reduce_sum(d * g)

    opts = [
        (tf.train.AdamOptimizer(0.1), "d/"),
        (tf.train.AdamOptimizer(0.1).checkpoint_names(non_slot_index=1), "g/"),
        (tf.train.AdamOptimizer(0.1).checkpoint_names(scope="scoped"), "d/"),
    ]
    names = ["d/w", "g/w"]
    for opt, var_list in opts:
        state = opt.minimize(gan, var_list=sj.train.regex(f"^{var_list}")).init(jax.random.key(0))
        names += list(opt.state_to_tf(state.opt_state))
    assert sorted(names) == sorted(TRAIN_META["gan_names"])
    with pytest.raises(ValueError, match="non_slot_index"):
        tf.train.AdamOptimizer().checkpoint_names(non_slot_index=-1)


@pytest.mark.tensorflow
def test_live_tensorflow_reads_save_tf_and_saver(tmp_path) -> None:
    real_tf = pytest.importorskip("tensorflow")
    values = _make_sj_written().dtype_values()
    prefix = sj.checkpoint.save_tf(tmp_path / "d.ckpt-1", values)
    reader = real_tf.train.load_checkpoint(prefix)
    assert set(reader.get_variable_to_dtype_map()) == set(values)
    for name, want in values.items():
        got = np.asarray(reader.get_tensor(name))
        assert got.dtype.name == np.asarray(want).dtype.name, name
        assert got.tobytes() == np.asarray(want).tobytes(), name
    state, opt = saver_roundtrip_state()
    path = tf.train.Saver(optimizer=opt).save(state, tmp_path / "a.ckpt", global_step=3)
    assert real_tf.train.latest_checkpoint(str(tmp_path)) == path
    reader = real_tf.train.load_checkpoint(path)
    ours = {**state.store.flat(), **opt.state_to_tf(state.opt_state)}
    assert set(reader.get_variable_to_dtype_map()) == set(ours)
    for name, want in ours.items():
        np.testing.assert_array_equal(reader.get_tensor(name), np.asarray(want), err_msg=name)
    assert reader.get_tensor("global_step").dtype == np.int64
