"""transform / transform_multi: purity, JAX transformations, XLA metadata, zero overhead."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj


def mlp(x):
    for i, units in enumerate([16, 8, 4]):
        with sj.variable_scope(f"l{i}"):
            w = sj.get_variable("w", [x.shape[-1], units])
            b = sj.get_variable("b", [units], initializer=sj.initializers.zeros())
            x = x @ w + b
            if i < 2:
                x = jax.nn.relu(x)
    return x


def hand_mlp(params, x):
    for i in range(3):
        x = x @ params[f"l{i}/w"] + params[f"l{i}/b"]
        if i < 2:
            x = jax.nn.relu(x)
    return x


X = jnp.linspace(-1, 1, 24).reshape(4, 6)


@pytest.mark.slow
def test_init_apply_jit_grad_vmap():
    net = sj.transform(mlp)
    store = net.init(jax.random.key(0), X)
    assert store.names() == ["l0/b", "l0/w", "l1/b", "l1/w", "l2/b", "l2/w"]
    y = net.apply(store, X)
    np.testing.assert_allclose(jax.jit(net.apply)(store, X), y, rtol=1e-6)
    np.testing.assert_allclose(hand_mlp(store.flat(), X), y, rtol=1e-6)
    g = jax.grad(lambda s: net.apply(s, X).sum())(store)
    assert isinstance(g, sj.Store) and g.names() == store.names()
    gh = jax.grad(lambda p: hand_mlp(p, X).sum())(store.flat())
    for n in store.names():
        np.testing.assert_allclose(g[n], gh[n], rtol=1e-5)
    yv = jax.vmap(net.apply, in_axes=(None, 0))(store, X[:, None, :])
    np.testing.assert_allclose(yv[:, 0], y, rtol=1e-6)
    # init under jit and vmap (an ensemble of stores)
    s2 = jax.jit(net.init)(jax.random.key(0), X)
    for n in store.names():
        np.testing.assert_array_equal(s2[n], store[n])
    ens = jax.vmap(net.init, in_axes=(0, None))(jax.random.split(jax.random.key(1), 3), X)
    assert ens["l0/w"].shape == (3, 6, 16)


@pytest.mark.slow
def test_apply_accepts_plain_nested_and_flat_dicts():
    net = sj.transform(mlp)
    store = net.init(jax.random.key(0), X)
    y = net.apply(store, X)
    np.testing.assert_allclose(net.apply(store.to_dict(), X), y)
    np.testing.assert_allclose(net.apply(store.flat(), X), y)
    np.testing.assert_allclose(net.apply(jax.tree.map(np.asarray, store.to_dict()), X), y)


@pytest.mark.slow
def test_optax_step_over_trainable_part():
    def model(x):
        y = mlp(x)
        sj.get_variable("frozen", [4], trainable=False)
        return y

    net = sj.transform(model)
    store = net.init(jax.random.key(0), X)
    train, frozen = store.partition(sj.GraphKeys.TRAINABLE_VARIABLES)
    opt = optax.adam(1e-2)
    state = opt.init(train)

    @jax.jit
    def step(train, state):
        loss, g = jax.value_and_grad(lambda t: (net.apply(sj.merge(t, frozen), X) ** 2).mean())(
            train
        )
        updates, state = opt.update(g, state, train)
        return optax.apply_updates(train, updates), state, loss

    losses = []
    for _ in range(20):
        train, state, loss = step(train, state)
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert isinstance(train, sj.Store) and train.info("l0/w").trainable
    assert "frozen" not in sj.merge(train, frozen).trainable()


@pytest.mark.slow
def test_initial_values_depend_on_name_only():
    def one(x):
        with sj.variable_scope("b"):
            sj.get_variable("w", [3, 3])
        with sj.variable_scope("a"):
            sj.get_variable("w", [3, 3])

    def two(x):  # other order, plus a new layer
        with sj.variable_scope("new"):
            sj.get_variable("w", [3, 3])
        with sj.variable_scope("a"):
            sj.get_variable("w", [3, 3])
        with sj.variable_scope("b"):
            sj.get_variable("w", [3, 3])

    k = jax.random.key(42)
    s1 = sj.transform(one).init(k, None)
    s2 = sj.transform(two).init(k, None)
    for n in ["a/w", "b/w"]:
        np.testing.assert_array_equal(s1[n], s2[n])
    assert not np.array_equal(s1["a/w"], s1["b/w"])
    # the documented derivation
    expect = sj.initializers.glorot_uniform()(
        jax.random.fold_in(k, np.uint32(sj.stable_hash("a/w"))), (3, 3), jnp.float32
    )
    np.testing.assert_array_equal(s1["a/w"], expect)


@pytest.mark.slow
def test_initial_values_identical_across_processes_and_hash_seeds():
    code = (
        "import jax, numpy as np, scopejax as sj\n"
        "def f():\n"
        "    with sj.variable_scope('enc'):\n"
        "        sj.get_variable('w', [4])\n"
        "s = sj.transform(f).init(jax.random.key(7))\n"
        "print(sj.stable_hash('enc/w'), np.asarray(s['enc/w']).tobytes().hex())\n"
    )
    outs = set()
    for seed in ["0", "123"]:
        env = dict(os.environ, PYTHONHASHSEED=seed, JAX_PLATFORMS="cpu")
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        outs.add(out)
    assert len(outs) == 1
    h, _ = outs.pop().split()
    assert int(h) == sj.stable_hash("enc/w")


def test_name_scopes_reach_xla_metadata():
    def model(x):
        with sj.name_scope("model"):
            for i in range(2):
                with sj.variable_scope(f"l{i}"):
                    w = sj.get_variable("w", [x.shape[-1], 3])
                    x = jnp.tanh(x @ w)
        return x

    net = sj.transform(model)
    store = net.init(jax.random.key(0), X)
    text = jax.jit(net.apply).lower(store, X).as_text(debug_info=True)
    assert re.search(r"model/l0/dot_general", text)
    assert re.search(r"model/l1/tanh", text)
    off = sj.transform(model, named_scopes=False)
    text_off = jax.jit(off.apply).lower(store, X).as_text(debug_info=True)
    assert "model/l0" not in text_off


def test_absolute_name_scope_reaches_xla():
    def model(x):
        with sj.name_scope("outer"):
            with sj.name_scope("abs/"):
                return jnp.sin(x)

    text = jax.jit(sj.transform(model).apply).lower({}, X).as_text(debug_info=True)
    assert re.search(r'"abs/sin', text) or re.search(r"abs/sin", text)
    assert "outer/abs" not in text


def _op_count(compiled_text: str) -> int:
    body = [ln for ln in compiled_text.splitlines() if re.match(r"\s+(ROOT )?%?[\w.-]+ = ", ln)]
    return len(body)


@pytest.mark.slow
def test_jitted_apply_equals_hand_written_jax():
    net = sj.transform(mlp)
    store = net.init(jax.random.key(0), X)
    params = store.flat()
    sj_c = jax.jit(net.apply).lower(store, X).compile()
    hand_c = jax.jit(hand_mlp).lower(params, X).compile()
    assert _op_count(sj_c.as_text()) == _op_count(hand_c.as_text())
    np.testing.assert_array_equal(sj_c(store, X), hand_c(params, X))


@pytest.mark.slow
def test_apply_reports_missing_extra_and_misshaped_variables():
    net = sj.transform(mlp)
    store = net.init(jax.random.key(0), X)
    flat = store.flat()
    missing = {k: v for k, v in flat.items() if k != "l1/w"}
    with pytest.raises(sj.VariableNotFoundError, match="Variable l1/w does not exist in the store"):
        net.apply(missing, X)
    renamed = dict(missing, **{"l1/ww": flat["l1/w"]})
    with pytest.raises(sj.VariableNotFoundError, match="Did you mean 'l1/ww'"):
        net.apply(renamed, X)
    with pytest.raises(sj.UnusedVariablesError, match="extra/v"):
        net.apply(dict(flat, **{"extra/v": jnp.zeros(1)}), X)
    loose = sj.transform(mlp, strict=False)
    loose.apply(dict(flat, **{"extra/v": jnp.zeros(1)}), X)
    with pytest.raises(sj.VariableShapeError, match=r"l0/w.*\(6, 16\).*\(6, 15\)"):
        net.apply(dict(flat, **{"l0/w": jnp.zeros([6, 15])}), X)
    with pytest.raises(sj.VariableDtypeError, match="l0/w"):
        net.apply(dict(flat, **{"l0/w": jnp.zeros([6, 16], jnp.int32)}), X)


def test_errors_identical_at_init_and_apply():
    def f(x, share):
        with sj.variable_scope("a"):
            sj.get_variable("w", [2])
        with sj.variable_scope("a", reuse=share):
            sj.get_variable("w", [2])

    net = sj.transform(f)
    store = net.init(jax.random.key(0), None, True)
    net.apply(store, None, True)
    with pytest.raises(sj.VariableExistsError) as at_init:
        net.init(jax.random.key(0), None, None)
    with pytest.raises(sj.VariableExistsError) as at_apply:
        net.apply(store, None, None)
    assert str(at_init.value) == str(at_apply.value)


@pytest.mark.slow
def test_transform_multi_gan():
    def gan():
        def generator(z):
            with sj.variable_scope("generator"):
                return jnp.tanh(z @ sj.get_variable("w", [2, 3]))

        def discriminator(x):
            with sj.variable_scope("discriminator", reuse=sj.AUTO_REUSE):
                return x @ sj.get_variable("w", [3, 1])

        def init(z, x):
            return discriminator(generator(z)), discriminator(x)

        return init, (generator, discriminator)

    net = sj.transform_multi(gan)
    z, x = jnp.ones([4, 2]), jnp.ones([4, 3])
    store = net.init(jax.random.key(0), z, x)
    gen, disc = net.apply
    fake = jax.jit(gen)(store, z)
    d_fake = disc(store, fake)
    np.testing.assert_allclose(d_fake, fake @ store["discriminator/w"], rtol=1e-6)
    # discriminator-only gradients
    g = jax.grad(lambda s: disc(s, x).sum())(store)
    assert float(jnp.abs(g["generator/w"]).sum()) == 0.0


def test_jitted_function_is_rejected():
    with pytest.raises(sj.TransformError, match="already wrapped by jax.jit"):
        sj.transform(jax.jit(mlp))


def test_next_rng_key_dropout_and_missing_rng():
    def f(x):
        keep = jax.random.bernoulli(sj.next_rng_key(), 0.5, x.shape)
        k2 = sj.next_rng_key()
        return jnp.where(keep, x / 0.5, 0.0), k2

    net = sj.transform(f)
    store = net.init(jax.random.key(0), X)
    a, ka = net.apply(store, X, rng=jax.random.key(1))
    b, kb = net.apply(store, X, rng=jax.random.key(1))
    c, _ = net.apply(store, X, rng=jax.random.key(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(
        jax.random.key_data(ka), jax.random.key_data(jax.random.fold_in(jax.random.key(1), 0))
    )
    with pytest.raises(sj.MissingRNGError, match="rng=jax.random.key"):
        net.apply(store, X)


def test_mutable_state_and_assign():
    def f(x):
        with sj.variable_scope("bn"):
            mean = sj.get_variable(
                "moving_mean", [x.shape[-1]], trainable=False, initializer=sj.initializers.zeros()
            )
            sj.get_variable("count", [], jnp.int32, trainable=False)
            new = 0.9 * mean + 0.1 * x.mean(0)
            sj.assign(mean, new)
            sj.assign_add("bn/count", 1)
            again = sj.get_variable("moving_mean", reuse=True) if False else None
        return new, again

    net = sj.transform(f)
    store = net.init(jax.random.key(0), X)
    np.testing.assert_array_equal(store["bn/moving_mean"], 0)  # init keeps initial values
    (out, _), new_store = net.apply_with_state(store, X)
    np.testing.assert_allclose(new_store["bn/moving_mean"], 0.1 * X.mean(0), rtol=1e-6)
    assert int(new_store["bn/count"]) == 1
    assert isinstance(new_store, sj.Store) and new_store.info("bn/count").dtype == "int32"
    (_, _), s3 = jax.jit(lambda s: net.apply_with_state(s, X))(new_store)
    assert int(s3["bn/count"]) == 2
    with pytest.raises(sj.AssignError, match="bn/moving_mean.*mutable=True"):
        net.apply(store, X)
    # mutable restricted to collections
    (_, _), s4 = net.apply_with_state(store, X, mutable=sj.GraphKeys.GLOBAL_VARIABLES)
    assert int(s4["bn/count"]) == 1
    with pytest.raises(sj.AssignError):
        net.apply_with_state(store, X, mutable=["NOT_THERE"])
    # plain dict in, plain dict out
    (_, _), d = net.apply_with_state(store.to_dict(), X)
    assert isinstance(d, dict) and int(d["bn"]["count"]) == 1


def test_reads_after_assign_see_new_value():
    def f():
        v = sj.get_variable("v", [], initializer=sj.initializers.zeros(), trainable=False)
        sj.assign("v", v + 5)
        with sj.variable_scope("", reuse=True):
            return sj.get_variable("v", [])

    net = sj.transform(f)
    store = net.init(jax.random.key(0))
    out, _ = net.apply_with_state(store)
    assert float(out) == 5.0


def test_tracer_leak_detected_inside_raw_vmap_and_jit():
    def f(x):
        return jax.vmap(lambda xi: xi * sj.get_variable("w", [3]))(x)

    def g(x):
        w = sj.get_variable("w", [3])  # created outside: reading inside is fine
        return jax.vmap(
            lambda xi: (
                xi
                * sj.get_variable(
                    "w",
                    [3],
                )
                if False
                else xi * w
            )
        )(x)

    def h(x):
        w = sj.get_variable("w", [3], trainable=False)
        jax.jit(lambda: sj.assign("w", w + 1))()

    x = jnp.ones([2, 3])
    with pytest.raises(sj.TracerLeakError, match="variable w inside a JAX transformation"):
        sj.transform(f).init(jax.random.key(0), x)
    store = sj.transform(g).init(jax.random.key(0), x)
    sj.transform(g).apply(store, x)
    with pytest.raises(sj.TracerLeakError, match="assign to variable w"):
        sj.transform(h).init(jax.random.key(0), x)


def test_device_placement_and_absent_device_warning():
    def f():
        with sj.device("cpu:0"):
            sj.get_variable("on_cpu", [2])
        with pytest.warns(RuntimeWarning, match="no gpu:7"):
            spec = sj.device("/device:GPU:7")
        with spec:
            sj.get_variable("on_gpu", [2])
            with sj.device(None):
                sj.get_variable("nowhere", [2])
        with sj.device(jax.devices("cpu")[0]):
            sj.get_variable("dev_obj", [2])

    store = sj.transform(f).init(jax.random.key(0))
    assert store.info("on_cpu").device == "cpu:0"
    assert store.info("on_gpu").device == "gpu:7"
    assert store.info("nowhere").device is None
    assert store.info("dev_obj").device == "cpu:0"
    assert store["on_gpu"].devices() == {jax.devices()[0]}
    with pytest.raises(ValueError, match="cannot parse the device"):
        sj.device("/banana:0")


def test_variable_values_and_apply_shape_check():
    def f(x):
        a = sj.Variable(jnp.arange(3.0), name="a")
        b = sj.Variable(lambda: x.sum(), name="s")  # initial value from the inputs
        return a, b

    net = sj.transform(f)
    store = net.init(jax.random.key(0), jnp.ones(4))
    assert float(store["s"]) == 4.0
    (a, b) = net.apply(store, jnp.ones(4) * 2)
    assert float(b) == 4.0  # read from the store, not recomputed
    with pytest.raises(sj.VariableShapeError, match="Trying to share variable a"):
        net.apply(store.replace({"a": jnp.zeros(4)}), jnp.ones(4))


def test_apply_jits_with_static_mutable_and_rejects_traced_mutable():
    def f(x):
        c = sj.get_variable("count", [], jnp.int32, trainable=False)
        sj.assign(c, c + 1)
        return x

    net = sj.transform(f)
    store = net.init(jax.random.key(0), 1.0)
    _, new = jax.jit(net.apply_with_state, static_argnames="mutable")(store, 1.0, mutable=True)
    assert int(new["count"]) == 1
    with pytest.raises(sj.TransformError, match="static_argnames"):
        jax.jit(net.apply_with_state)(store, 1.0, mutable=True)
    with pytest.raises(sj.AssignError, match="got mutable=False"):
        net.apply(store, 1.0)
