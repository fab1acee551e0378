"""The lifting primitive (core/lifting.py): every lifted transform is ``run_lifted`` with a
``LiftPolicy``; a layer stack passes exactly the stacked variables its body reads to the
scan as xs, whatever their names; eager calls still compile once."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import current_frame

KEY = jax.random.key(0)
X = jnp.ones([2, 4])


def _policy_seen(run):
    """The policy of the lift open while a body runs inside ``run(body)``."""
    seen = []

    def body(*args):
        seen.append(current_frame("probe").lifts[-1].policy)
        return args[0]

    sj.transform(lambda x: run(body, x)).init(KEY, X)
    return seen[0]


def test_each_transform_has_the_documented_policy():
    scan = _policy_seen(lambda b, x: sj.scan(lambda c, xi: (b(c), None), x, length=2)[0])
    stack = _policy_seen(lambda b, x: sj.layer_stack(2, b)(x))
    vmap = _policy_seen(lambda b, x: sj.vmap(b, variable_axes={"stats": 1})(x))
    vmap1 = _policy_seen(lambda b, x: sj.vmap(b, split_rngs=False)(x))
    remat = _policy_seen(lambda b, x: sj.remat(b)(x))
    cond = _policy_seen(lambda b, x: sj.cond(True, b, b, x))
    switch = _policy_seen(lambda b, x: sj.switch(0, [b], x))

    # sj.scan: variables shared by every step, state carried, one key per step
    assert (scan.variable_axes, scan.state, scan.split_rng) == (None, "carry", "per_step")
    assert scan.collect and scan.shared_assign and not scan.members_as_xs
    # layer_stack: everything created in the body stacked on axis 0, passed as xs
    assert (stack.variable_axes, stack.state, stack.split_rng) == (0, "carry", "per_step")
    assert stack.members_as_xs and stack.axis(["anything"]) == 0
    # vmap: variable_axes per collection, state returned per member, a key per member
    assert vmap.variable_axes == (("stats", 1),) and vmap.state == "return"
    assert vmap.axis(["variables", "stats"]) == 1 and vmap.axis(["variables"]) is None
    assert vmap.split_rng == "per_member" and not vmap.shared_assign
    assert vmap1.split_rng == "shared" and vmap1.variable_axes == ()
    # remat: no members, state returned, the frame's own rng stream
    assert (remat.variable_axes, remat.state, remat.split_rng) == (None, "return", "inherit")
    # cond / switch: state carried through every branch, nothing collected
    for p in (cond, switch):
        assert (p.variable_axes, p.state, p.split_rng) == (None, "carry", "inherit")
        assert not p.collect
    assert [p.what for p in (scan, stack, vmap, remat, cond, switch)] == [
        "sj.scan",
        "sj.layer_stack",
        "sj.vmap",
        "sj.remat",
        "sj.cond",
        "sj.switch",
    ]


def _assigning(policy):
    """A model that assigns a shared variable in a body lifted with ``policy``."""

    def f(x):
        sj.get_variable("c", [], trainable=False)

        def transform(pack, state, key):
            return pack.body(lambda x: sj.assign("c", x.sum()))(state, key, None, x)

        return _lift.run_lifted(current_frame("f"), policy, transform)

    return sj.transform(f)


def test_assign_checks_the_policy_not_the_name():
    net = _assigning(_lift.LiftPolicy("my.map", state="return", shared_assign=False))
    store = net.init(KEY, X)
    with pytest.raises(sj.AssignError, match="inside my.map: the variable is shared"):
        net.apply_with_state(store, X)
    net = _assigning(_lift.LiftPolicy("sj.vmap", state="return"))  # the name forbids nothing
    _, new = net.apply_with_state(store, X)
    assert float(new["c"]) == float(X.sum())


def _scan_xs(fn, *args):
    """For each scan in ``fn``'s program: the shapes of the xs it receives."""
    out = []
    for eqn in jax.make_jaxpr(fn)(*args).jaxpr.eqns:
        if eqn.primitive.name == "scan":
            start = eqn.params["num_consts"] + eqn.params["num_carry"]
            out.append(sorted(tuple(v.aval.shape) for v in eqn.invars[start:]))
    return out


@pytest.mark.slow
def test_layer_stack_passes_only_its_own_stacked_variables_whatever_their_names():
    n = 3

    def model(x):
        with sj.variable_scope("blocks"):
            # not stacked, under the stack's scope prefix, with a leading axis of n
            table = sj.get_variable("table", [n, 4])
            h = sj.layer_stack(n, lambda h: jnp.tanh(h @ sj.get_variable("w", [4, 4])))(x)
            # a second stack in the same scope with the same number of layers
            h = sj.layer_stack(n, lambda h: h + sj.get_variable("b", [4]))(h)
            late = sj.get_variable("late", [n, 4, 4])  # read after the stacks
        return h.sum() + table.sum() + late.sum()

    net = sj.transform(model)
    store = net.init(KEY, X)
    assert store["blocks/w"].shape == (n, 4, 4) and store["blocks/table"].shape == (n, 4)

    def by_hand(s, x):
        for i in range(n):
            x = jnp.tanh(x @ s["blocks/w"][i])
        for i in range(n):
            x = x + s["blocks/b"][i]
        return x.sum() + s["blocks/table"].sum() + s["blocks/late"].sum()

    np.testing.assert_allclose(net.apply(store, X), by_hand(store, X), rtol=1e-5)
    np.testing.assert_allclose(jax.jit(net.apply)(store, X), by_hand(store, X), rtol=1e-5)
    g, g_hand = jax.grad(net.apply)(store, X), jax.grad(by_hand)(store, X)
    for name in store.names():
        np.testing.assert_allclose(g[name], g_hand[name], rtol=1e-5, atol=1e-6)
    # each scan gets the layer numbers and its own stack, nothing else
    assert _scan_xs(net.apply, store, X) == [[(n,), (n, 4, 4)], [(n,), (n, 4)]]


def test_layer_stack_finds_stacked_variables_outside_its_scope():
    n, w = 4, 8

    def model(x):
        with sj.variable_scope("elsewhere") as other:
            pass
        with sj.variable_scope("blocks"):

            def blk(h):
                with sj.variable_scope(other):  # the body's variables live outside "blocks/"
                    return h + jnp.tanh(h @ sj.get_variable("w", [w, w]))

            return sj.layer_stack(n, blk)(x).sum()

    net = sj.transform(model)
    x = jnp.ones([2, w])
    store = net.init(KEY, x)
    assert store.names() == ["elsewhere/w"] and store["elsewhere/w"].shape == (n, w, w)
    text = str(jax.make_jaxpr(jax.grad(net.apply))(store, x))
    assert "dynamic_update_slice" not in text  # passed as xs: no gradient carry
    assert _scan_xs(net.apply, store, x) == [[(n,), (n, w, w)]]


def test_layer_stack_with_a_weakly_typed_carry_traces_its_body_once():
    def model():
        return sj.layer_stack(
            3, lambda h: h * sj.get_variable("g", [], initializer=sj.initializers.constant(1.5))
        )(2.0)

    net = sj.transform(model)
    store = net.init(KEY)
    np.testing.assert_allclose(net.apply(store), 2.0 * np.prod(np.asarray(store["g"])), rtol=1e-6)


@pytest.mark.slow
def test_layer_stack_state_is_carried_and_weights_passed_as_xs():
    def model(x):
        def blk(h):
            c = sj.get_variable(
                "count",
                [4],
                trainable=False,
                collections=["stats"],
                initializer=sj.initializers.zeros(),
            )
            sj.assign("layers/count", c + h.sum(0))
            return jnp.tanh(h @ sj.get_variable("w", [4, 4]))

        with sj.variable_scope("layers"):
            return sj.layer_stack(3, blk)(x)

    net = sj.transform(model)
    store = net.init(KEY, X)
    out, new = net.apply_with_state(store, X, mutable=["stats"])
    jout, jnew = jax.jit(lambda s: net.apply_with_state(s, X, mutable=["stats"]))(store)
    _, all_new = net.apply_with_state(store, X, mutable=True)
    np.testing.assert_allclose(out, jout, rtol=1e-6)
    for got in (jnew, all_new):
        np.testing.assert_allclose(new["layers/count"], got["layers/count"], rtol=1e-6)
    h = X
    for i in range(3):  # layer i counted its own input
        np.testing.assert_allclose(new["layers/count"][i], h.sum(0), rtol=1e-5)
        h = jnp.tanh(h @ store["layers/w"][i])
    # the stats are carried (whole stack), the weights come in as xs
    assert _scan_xs(lambda s: net.apply_with_state(s, X, mutable=["stats"]), store) == [
        [(3,), (3, 4, 4)]
    ]


COMPILES = [0]


def _count(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        COMPILES[0] += 1


jax.monitoring.register_event_duration_secs_listener(_count)


@pytest.mark.slow
def test_eager_layer_stack_compiles_once_per_computation():
    def model(n):
        def f(x):
            with sj.variable_scope("blocks"):
                sj.get_variable("table", [n, 4])  # the old heuristic's decoy
                return sj.layer_stack(n, lambda h: jnp.tanh(h @ sj.get_variable("w", [4, 4])))(x)

        return sj.transform(f)

    _lift.eager_cache_clear()
    three, four = model(3), model(4)
    s3, s4 = three.init(KEY, X), four.init(KEY, X)
    first = np.asarray(three.apply(s3, X))  # compiles
    before = COMPILES[0]
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(three.apply(s3, X)), first)
    assert COMPILES[0] == before  # cached: nothing compiled again
    four.apply(s4, X)  # another computation: another program
    assert COMPILES[0] > before and len(_lift._eager_cache) == 2
