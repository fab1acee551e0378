"""Lifted transforms: sj.scan, sj.layer_stack, sj.vmap, sj.remat, sj.cond, sj.switch."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_same_store

import scopejax as sj

KEY = jax.random.key(0)
XS = jax.random.normal(jax.random.key(1), (6, 2, 3))  # [time, batch, features]


def lstm_loop(xs):
    with sj.variable_scope("rnn") as scope:
        cell = sj.nn.LSTMCell(4)
        state = cell.zero_state(xs.shape[1], jnp.float32)
        ys = []
        for t in range(xs.shape[0]):
            if t > 0:
                scope.reuse_variables()  # TF1's unrolled RNN
            out, state = cell(xs[t], state)
            ys.append(out)
        return jnp.stack(ys), state.h


def lstm_scan(xs):
    with sj.variable_scope("rnn"):
        cell = sj.nn.LSTMCell(4)

        def step(state, x):
            out, state = cell(x, state)
            return state, out

        state, ys = sj.scan(step, cell.zero_state(xs.shape[1], jnp.float32), xs)
        return ys, state.h


@pytest.mark.slow
def test_scan_matches_the_unrolled_loop_names_outputs_and_gradients():
    loop, scan = sj.transform(lstm_loop), sj.transform(lstm_scan)
    store = loop.init(KEY, XS)
    assert_same_store(scan.init(KEY, XS), store)  # same names, same initial values
    assert_same_store(sj.transform(lstm_scan, fast_init=False).init(KEY, XS), store)
    for a, b in zip(loop.apply(store, XS), jax.jit(scan.apply)(store, XS), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    def loss(net):
        return lambda s: jnp.sum(net.apply(s, XS)[0] ** 2)

    g_loop, g_scan = jax.grad(loss(loop))(store), jax.grad(loss(scan))(store)
    for name in store.names():
        np.testing.assert_allclose(g_loop[name], g_scan[name], rtol=1e-4, atol=1e-6)


def test_scan_traces_its_body_once_whatever_the_length():
    net = sj.transform(lambda xs: lstm_scan(xs)[0])
    store = net.init(KEY, XS)

    def size(t):
        xs = jnp.zeros((t, 2, 3))
        return len(jax.make_jaxpr(net.apply)(store, xs).jaxpr.eqns)

    assert size(5) == size(500)


def test_scan_reverse_length_and_errors():
    def f(xs):
        def step(c, x):
            w = sj.get_variable("w", [3], initializer=sj.initializers.ones())
            return c + x @ w, c

        return sj.scan(step, jnp.zeros([2]), xs, reverse=True)

    net = sj.transform(f)
    store = net.init(KEY, XS)
    c, ys = net.apply(store, XS)
    np.testing.assert_allclose(c, XS.sum(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(ys[0], XS[1:].sum(axis=(0, 2)), rtol=1e-5)  # reversed carry

    def bad(xs):
        return sj.scan(lambda c, x: c, 0.0, xs)

    with pytest.raises(sj.TransformError, match="must return a pair"):
        sj.transform(bad).init(KEY, XS)
    with pytest.raises(sj.TransformError, match="disagree"):
        sj.transform(lambda xs: sj.scan(lambda c, x: (c, x), 0.0, xs, length=3)).init(KEY, XS)


def test_state_updates_inside_scan_are_carried_and_returned():
    def f(xs):
        def step(c, x):
            n = sj.get_variable("steps", [], jnp.int32, trainable=False)
            total = sj.get_variable(
                "total", [3], trainable=False, initializer=sj.initializers.zeros()
            )
            sj.assign_add("steps", 1)
            sj.assign("total", total + x.sum(0))
            return c, n

        _, seen = sj.scan(step, 0.0, xs)
        return seen

    net = sj.transform(f)
    store = net.init(KEY, XS)
    seen, new = net.apply_with_state(store, XS)
    np.testing.assert_array_equal(seen, np.arange(6))  # each step sees the previous assign
    assert int(new["steps"]) == 6
    np.testing.assert_allclose(new["total"], XS.sum(axis=(0, 1)), rtol=1e-5)
    seen2, newer = jax.jit(lambda s: net.apply_with_state(s, XS))(new)
    assert int(newer["steps"]) == 12 and int(seen2[0]) == 6
    with pytest.raises(sj.AssignError, match="mutable=True"):
        net.apply(store, XS)


def test_next_rng_key_differs_per_step_and_is_reproducible():
    def f(xs):
        return sj.scan(lambda c, x: (c, jax.random.uniform(sj.next_rng_key(), [])), 0.0, xs)[1]

    net = sj.transform(f)
    store = net.init(KEY, XS)
    a = net.apply(store, XS, rng=jax.random.key(3))
    assert len(set(np.asarray(a).tolist())) == 6
    np.testing.assert_array_equal(a, net.apply(store, XS, rng=jax.random.key(3)))
    assert not np.array_equal(a, net.apply(store, XS, rng=jax.random.key(4)))


def test_regularizers_and_collections_inside_scan():
    def f(xs):
        reg = lambda w: 0.5 * jnp.sum(w**2)  # noqa: E731
        with sj.variable_scope("s", regularizer=reg):

            def step(c, x):
                return c + x @ sj.get_variable("w", [3, 2]), None

            c, _ = sj.scan(step, jnp.zeros([2, 2]), xs)
        names = [v.name for v in sj.trainable_variables()]
        return c, sj.get_regularization_loss(), names

    net = sj.transform(f)
    store = net.init(KEY, XS)
    _, loss, names = net.apply(store, XS)
    assert names == ["s/w"]
    np.testing.assert_allclose(loss, 0.5 * np.sum(np.asarray(store["s/w"]) ** 2), rtol=1e-6)


def block(h):
    h = jnp.tanh(sj.nn.Dense(8)(h))
    return h + sj.nn.LayerNormalization()(h)


@pytest.mark.slow
def test_layer_stack_equals_explicit_blocks_after_unstack():
    def stacked(x):
        with sj.variable_scope("blocks"):
            return sj.layer_stack(4, block)(x)

    def unrolled(x):
        for i in range(4):
            with sj.variable_scope(f"block_{i}"):
                x = block(x)
        return x

    x = jax.random.normal(jax.random.key(2), [3, 8])
    snet, unet = sj.transform(stacked), sj.transform(unrolled)
    store = snet.init(KEY, x)
    assert store["blocks/dense/kernel"].shape == (4, 8, 8)
    assert store.info("blocks/dense/kernel").trainable
    # each layer drew its own values
    assert not np.array_equal(store["blocks/dense/kernel"][0], store["blocks/dense/kernel"][1])
    assert_same_store(sj.transform(stacked, fast_init=False).init(KEY, x), store)
    per_layer = sj.unstack_layers(store, "blocks/", "block_{}/")
    assert sorted(per_layer.names()) == sorted(unet.init(KEY, x).names())
    assert per_layer.info("block_2/dense/kernel").shape == (8, 8)
    np.testing.assert_allclose(snet.apply(store, x), unet.apply(per_layer, x), rtol=1e-5, atol=1e-6)
    back = sj.stack_layers(per_layer, "block_{}/", "blocks/")
    assert_same_store(back, store)
    grads = jax.grad(lambda s: snet.apply(s, x).sum())(store)
    ugrads = jax.grad(lambda s: unet.apply(s, x).sum())(per_layer)
    np.testing.assert_allclose(
        grads["blocks/dense/kernel"][3], ugrads["block_3/dense/kernel"], rtol=1e-4, atol=1e-6
    )


@pytest.mark.slow
def test_layer_stack_state_and_shared_variables():
    def f(x):
        scale = sj.get_variable("scale", [], initializer=sj.initializers.constant(2.0))

        def blk(h):
            bn = sj.nn.BatchNormalization()
            return bn(sj.nn.Dense(4)(h) * scale, training=True)

        with sj.variable_scope("blocks"):
            return sj.layer_stack(3, blk)(x)

    x = jax.random.normal(jax.random.key(2), [5, 4])
    net = sj.transform(f)
    store = net.init(KEY, x)
    assert store["scale"].shape == ()  # created outside the stack: shared
    assert store["blocks/batch_normalization/moving_mean"].shape == (3, 4)
    _, new = net.apply_with_state(store, x)
    mm = np.asarray(new["blocks/batch_normalization/moving_mean"])
    mv = np.asarray(new["blocks/batch_normalization/moving_variance"])
    assert np.all(mm[0] != 0)  # every layer updated its own statistics
    assert np.all(mv != 1.0) and not np.allclose(mv[0], mv[1]) and not np.allclose(mv[1], mv[2])


def test_stacking_errors_are_clear():
    with pytest.raises(sj.StoreError, match="'{}'"):
        sj.unstack_layers({"blocks/w": jnp.zeros([2])}, "blocks/", "block/")
    with pytest.raises(sj.StoreError, match="layers 0..2"):
        sj.stack_layers({"b_0/w": jnp.zeros(2), "b_2/w": jnp.zeros(2)}, "b_{}/", "bs/")
    with pytest.raises(sj.TransformError, match="num_layers"):
        sj.layer_stack(0, block)


def ensemble(x, axes):
    return sj.vmap(lambda x: sj.nn.Dense(2)(x), in_axes=None, axis_size=3, variable_axes=axes)(x)


@pytest.mark.slow
def test_vmap_per_member_variables_build_an_ensemble():
    x = jnp.ones([4, 5])
    net = sj.transform(lambda x: ensemble(x, {"trainable_variables": 0}))
    store = net.init(KEY, x)
    assert store["dense/kernel"].shape == (3, 5, 2) and store["dense/bias"].shape == (3, 2)
    out = net.apply(store, x)
    assert out.shape == (3, 4, 2)
    for m in range(3):  # member m uses its own slice
        np.testing.assert_allclose(
            out[m], x @ store["dense/kernel"][m] + store["dense/bias"][m], rtol=1e-5
        )
    assert not np.allclose(out[0], out[1])
    assert_same_store(sj.transform(lambda x: ensemble(x, {"variables": 0})).init(KEY, x), store)
    forward = sj.transform(lambda x: ensemble(x, {"trainable_variables": 0}), fast_init=False)
    assert_same_store(forward.init(KEY, x), store)
    assert_same_store(jax.jit(net.init)(KEY, x), store)


@pytest.mark.slow
def test_vmap_shared_variables_are_broadcast():
    x = jax.random.normal(jax.random.key(1), [3, 4, 5])
    net = sj.transform(lambda x: sj.vmap(lambda x: sj.nn.Dense(2)(x))(x))
    store = net.init(KEY, x)
    assert store["dense/kernel"].shape == (5, 2)
    np.testing.assert_allclose(net.apply(store, x), x @ store["dense/kernel"], rtol=1e-5)


@pytest.mark.slow
def test_vmap_member_axis_and_per_member_state():
    def f(x):
        def member(x):
            n = sj.get_variable(
                "seen",
                [],
                trainable=False,
                collections=["stats"],
                initializer=sj.initializers.zeros,
            )
            sj.assign("seen", n + x.sum())
            return sj.nn.Dense(2)(x)

        return sj.vmap(member, variable_axes={"stats": 0, "trainable_variables": 1})(x)

    x = jnp.arange(12.0).reshape(3, 2, 2)
    net = sj.transform(f)
    store = net.init(KEY, x)
    assert store["dense/kernel"].shape == (2, 3, 2)  # members on axis 1
    assert store["seen"].shape == (3,)
    _, new = net.apply_with_state(store, x)
    np.testing.assert_allclose(new["seen"], x.sum(axis=(1, 2)))


@pytest.mark.slow
def test_vmap_errors_and_rngs():
    with pytest.raises(sj.TransformError, match="not a valid axis"):
        sj.vmap(lambda x: x, variable_axes={"variables": -1})
    with pytest.raises(sj.TransformError, match="map collection names"):
        sj.vmap(lambda x: x, variable_axes=[0])

    def shared_assign(x):
        def member(x):
            sj.get_variable("c", [], trainable=False)
            sj.assign("c", x.sum())
            return x

        return sj.vmap(member)(x)

    net = sj.transform(shared_assign)
    store = net.init(KEY, jnp.ones([3, 2]))
    with pytest.raises(sj.AssignError, match="shared by every member"):
        net.apply_with_state(store, jnp.ones([3, 2]))

    def noise(split):
        return sj.transform(
            lambda x: sj.vmap(
                lambda x: x + jax.random.normal(sj.next_rng_key(), []), split_rngs=split
            )(x)
        )

    x = jnp.zeros([4])
    a = noise(True).apply({}, x, rng=jax.random.key(1))
    b = noise(False).apply({}, x, rng=jax.random.key(1))
    assert len(set(np.asarray(a).tolist())) == 4 and len(set(np.asarray(b).tolist())) == 1


@pytest.mark.slow
def test_remat_gives_the_same_values_and_gradients():
    def f(x, remat):
        blk = sj.remat(block) if remat else block
        with sj.variable_scope("b0"):
            x = blk(x)
        with sj.variable_scope("b1"):
            return blk(x).sum()

    x = jax.random.normal(jax.random.key(2), [3, 8])
    plain, rem = sj.transform(lambda x: f(x, False)), sj.transform(lambda x: f(x, True))
    store = plain.init(KEY, x)
    assert_same_store(rem.init(KEY, x), store)
    g1, g2 = jax.grad(plain.apply)(store, x), jax.jit(jax.grad(rem.apply))(store, x)
    for name in store.names():
        np.testing.assert_allclose(g1[name], g2[name], rtol=1e-4, atol=1e-6)
    text = str(jax.make_jaxpr(rem.apply)(store, x))
    assert "checkpoint" in text or "remat" in text


@pytest.mark.slow
def test_cond_and_switch_create_every_branch_and_run_one():
    def f(x, which):
        a = lambda x: sj.nn.Dense(2, name="a")(x)  # noqa: E731
        b = lambda x: sj.nn.Dense(2, name="b")(x) * 0  # noqa: E731
        return sj.cond(which == 0, a, b, x)

    net = sj.transform(f)
    x = jnp.ones([1, 3])
    store = net.init(KEY, x, 1)
    assert store.names() == ["a/bias", "a/kernel", "b/bias", "b/kernel"]
    np.testing.assert_allclose(net.apply(store, x, 0), x @ store["a/kernel"], rtol=1e-6)
    assert float(jnp.abs(jax.jit(net.apply)(store, x, 1)).sum()) == 0.0

    def g(x, i):
        def counted(k):
            def branch(x):
                c = sj.get_variable(f"hits{k}", [], jnp.int32, trainable=False)
                sj.assign(f"hits{k}", c + 1)
                return sj.nn.Dense(2, name=f"h{k}")(x)

            return branch

        return sj.switch(i, [counted(k) for k in range(3)], x)

    net = sj.transform(g)
    store = net.init(KEY, x, 0)
    assert {n.split("/")[0] for n in store.names()} == {"h0", "h1", "h2", "hits0", "hits1", "hits2"}
    _, new = jax.jit(lambda s, i: net.apply_with_state(s, x, i))(store, 2)
    assert [int(new[f"hits{k}"]) for k in range(3)] == [0, 0, 1]


def test_raw_jax_transforms_inside_lifted_bodies_still_leak_loudly():
    def f(xs):
        def step(c, x):
            w = jax.vmap(lambda r: sj.get_variable("w", [3]) * r)(x)
            return c, w

        return sj.scan(step, 0.0, xs)

    with pytest.raises(sj.TracerLeakError):
        sj.transform(f).init(KEY, XS)


@pytest.mark.slow
def test_layer_stack_gradient_needs_no_extra_copy_of_the_weights():
    n, w = 12, 64

    def blk(h):
        return h + jnp.tanh(h @ sj.get_variable("w", [w, w]))

    def stacked(x):
        with sj.variable_scope("blocks"):
            return sj.layer_stack(n, blk)(x).sum()

    def by_hand(store, x):  # the stack passed to lax.scan as xs
        step = lambda h, wi: (h + jnp.tanh(h @ wi), None)  # noqa: E731
        return jax.lax.scan(step, x, store["blocks/w"])[0].sum()

    net = sj.transform(stacked)
    x = jnp.ones([8, w])
    store = net.init(KEY, x)

    def temp_bytes(f):
        return jax.jit(jax.grad(f)).lower(store, x).compile().memory_analysis().temp_size_in_bytes

    weights = n * w * w * 4
    assert temp_bytes(net.apply) < temp_bytes(by_hand) + weights // 2
    np.testing.assert_allclose(
        jax.grad(net.apply)(store, x)["blocks/w"],
        jax.grad(by_hand)(store, x)["blocks/w"],
        rtol=1e-5,
    )


@pytest.mark.slow
def test_layer_stack_fast_gradient_path_without_a_previous_trace():

    n, w = 6, 16

    def stacked(x):
        scale = sj.get_variable("scale", [n], initializer=sj.initializers.ones())  # shared, [n]
        with sj.variable_scope("blocks"):
            h = sj.layer_stack(n, lambda h: h + jnp.tanh(h @ sj.get_variable("w", [w, w])))(x)
        return (h * scale[:, None, None].sum(0)).sum()

    net = sj.transform(stacked)
    x = jnp.ones([3, w])
    store = net.init(KEY, x)
    expected = jax.grad(net.apply)(store, x)
    text = str(jax.make_jaxpr(jax.grad(net.apply))(store, x))
    assert "dynamic_update_slice" not in text  # no slices saved, no gradient carry
    got = jax.grad(net.apply)(store, x)
    for name in store.names():
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5)


def test_arrays_added_to_collections_inside_lifted_bodies_come_back_stacked():
    def f(xs):
        def step(c, x):
            w = sj.get_variable("w", [3, 2])
            h = jnp.tanh(x @ w)
            sj.add_to_collection("acts", h)
            sj.add_to_collection("weights", w)  # stands for the variable
            return c + h.sum(), None

        c, _ = sj.scan(step, 0.0, xs)
        per_member = sj.vmap(lambda x: sj.add_to_collection("m", x * 2) or x)(xs[0])
        sj.remat(lambda x: sj.add_to_collection("r", x + 1) or x)(xs[0])
        acts = sj.get_collection("acts")
        return (
            c,
            acts,
            per_member,
            sj.get_collection("m"),
            sj.get_collection("r"),
            [v.name for v in sj.get_collection("weights")],
        )

    net = sj.transform(f)
    store = net.init(KEY, XS)
    c, acts, _, m, r, weights = net.apply(store, XS)
    assert len(acts) == 1 and acts[0].shape == (6, 2, 2)  # one add, stacked over 6 steps
    np.testing.assert_allclose(acts[0].sum(), c, rtol=1e-5)
    np.testing.assert_allclose(m[0], XS[0] * 2)
    np.testing.assert_allclose(r[0], XS[0] + 1)
    assert weights == ["w"]

    def g(x):
        def branch(x):
            sj.add_to_collection("acts", x * 2)
            return x

        return sj.cond(True, branch, lambda x: x, x)

    with pytest.raises(sj.TransformError, match="branches cannot pass collection items"):
        sj.transform(g).init(KEY, jnp.ones(2))
