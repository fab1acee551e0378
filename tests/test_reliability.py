"""Issue 11 (core): no silent merges of two variables, and bad input gets a clear error.

Each case here failed before its fix: shapes that escaped as MLIR/overflow errors or
were silently rounded, a seed too large for a key, ``mutable=1``, a ``None`` leaf
reported as a missing variable, invalid regular expressions, and two variables that
shared one graph name. The fuzz test at the end runs random scope/name programs and
checks that init's store is always accepted by apply and that no two names merge.
"""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scopejax as sj
from scopejax._src.core.errors import ScopejaxError

KEY = jax.random.key(0)


def _init_var(shape, **kwargs):
    def f():
        return sj.get_variable("layer/w", shape, **kwargs)

    return sj.transform(f).init(KEY)


# -- shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, error, words",
    [
        ([-1], ValueError, "Dimension -1 must be >= 0"),
        ([2, -3], ValueError, "Dimension -3 must be >= 0"),
        ([2**63], ValueError, "larger than the largest array dimension"),
        ([math.inf], TypeError, "Dimension value must be integer"),
        ([2.5], TypeError, "got value 2.5"),
        ((2, 3.0), TypeError, "got value 3.0"),
        ([np.float32(2.0)], TypeError, "Dimension value must be integer"),
        (["3"], TypeError, "got value '3'"),
        ([True], TypeError, "is a bool"),
        ("3", TypeError, "sequence of ints"),
        (3.0, TypeError, "sequence of ints"),
    ],
)
def test_bad_shapes_are_clear_errors_naming_the_variable(shape, error, words):
    with pytest.raises(error, match=re.escape(words)) as e:
        _init_var(shape)
    assert "layer/w" in str(e.value)
    assert isinstance(e.value, ScopejaxError) or type(e.value) is TypeError


@pytest.mark.parametrize("shape", [[np.int64(3), 2], (jnp.int32(3), np.array(2)), 3, [0, 2]])
def test_integer_like_shapes_still_work(shape):
    store = _init_var(shape)
    want = (3,) if shape == 3 else (int(shape[0]), 2)
    assert store["layer/w"].shape == want


def test_shape_larger_than_memory_refused_before_allocating():
    with pytest.raises(sj.InitializerError, match=r"layer/w: shape \(1000000000000,\)"):
        _init_var([10**12])


def test_huge_shape_is_fine_for_init_abstract():
    def f():
        return sj.get_variable("big", [10**6, 10**6])

    shapes = sj.transform(f).init_abstract(None)
    assert shapes["big"].shape == (10**6, 10**6)


# -- init / apply arguments -------------------------------------------------------------


def _net():
    def f():
        n = sj.get_variable("count", [], jnp.int32, trainable=False)
        sj.assign("count", n + 1)
        return sj.get_variable("w", [2])

    return sj.transform(f)


@pytest.mark.parametrize("seed", [2**70, -(2**70), 2**63])
def test_seed_out_of_range_is_a_clear_error(seed):
    with pytest.raises(sj.TransformError, match="does not fit in 64 bits"):
        _net().init(seed)


def test_seed_edges_still_work():
    assert _net().init(2**63 - 1)["w"].shape == (2,)
    assert _net().init(-(2**63))["w"].shape == (2,)


@pytest.mark.parametrize("mutable", [1, 2.0, object()])
def test_mutable_must_be_bool_or_collections(mutable):
    net = _net()
    store = net.init(KEY)
    with pytest.raises(sj.TransformError, match="`mutable` must be True/False"):
        net.apply_with_state(store, mutable=mutable)


@pytest.mark.parametrize("mutable", [True, "variables", ["variables"], ("variables",)])
def test_mutable_forms_still_accepted(mutable):
    net = _net()
    _, new = net.apply_with_state(net.init(KEY), mutable=mutable)
    assert int(new["count"]) == 1


def test_none_leaf_is_named_not_reported_missing():
    net = _net()
    store = net.init(KEY)
    for bad in (store.replace({"w": None}), {"count": store["count"], "w": None}):
        with pytest.raises(sj.StoreError, match="Variable w: the store passed to apply") as e:
            net.apply_with_state(bad)
        assert "Did you mean" not in str(e.value)


# -- regular expressions ----------------------------------------------------------------


def test_invalid_regex_is_a_clear_error_everywhere():
    store = sj.Store({"a/w": jnp.zeros(2)})
    calls = [
        lambda: store.partition(regex="["),
        lambda: sj.train.regex("("),
        lambda: sj.getters.constraint(jnp.abs, pattern="*"),
    ]

    def in_fn():
        sj.get_variable("w", [2])
        sj.get_collection(sj.GraphKeys.GLOBAL_VARIABLES, scope="[")

    calls.append(lambda: sj.transform(in_fn).init(KEY))
    for call in calls:
        with pytest.raises(sj.InvalidPatternError, match="not a valid regular expression"):
            call()
        with pytest.raises(re.error):  # what TF1 (and re) raise still catches it
            call()


# -- no two variables merge -------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second",
    [("a/", "a"), ("a", "a/"), ("s/w", "s/w/"), ("s/w/", "s/w")],
)
@pytest.mark.parametrize("same_shape", [True, False])
def test_two_keys_never_share_one_graph_name(first, second, same_shape):
    def f():
        sj.get_variable(first, [2])
        sj.get_variable(second, [2] if same_shape else [3])

    with pytest.raises(sj.VariableExistsError, match="Duplicate node name in graph"):
        sj.transform(f).init(KEY)


def test_tf_variable_with_trailing_slash_twice_is_refused():
    def f():
        sj.Variable(1.0, name="a/")
        sj.Variable(2.0, name="a/")

    with pytest.raises(sj.VariableExistsError, match="Duplicate node name in graph: 'a'"):
        sj.transform(f).init(KEY)


# -- fuzz: random scope/name programs ---------------------------------------------------

NAMES = ["a", "a/", "b", "a/b", "a/b/", "a//", "B", "s/w", "s/w/", "", "x.y", "_z", "/q"]
REUSE = [None, False, True, "auto"]


def _stmt():
    leaf = st.one_of(
        st.tuples(st.just("get"), st.sampled_from(NAMES), st.sampled_from([(2,), (3,), ()])),
        st.tuples(st.just("tfvar"), st.sampled_from(NAMES)),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(
                st.just("vs"),
                st.sampled_from(NAMES),
                st.sampled_from(REUSE),
                st.lists(inner, max_size=4),
            ),
            st.tuples(st.just("ns"), st.sampled_from(NAMES), st.lists(inner, max_size=4)),
        ),
        max_leaves=10,
    )


def _interpret(program):
    """Run ``program``; record each statement's graph name or its error, per line."""
    log: list = []

    def run(stmts):
        for s in stmts:
            try:
                if s[0] == "get":
                    v = sj.get_variable(s[1], s[2])
                    log.append(("get", sj.variable_handle(v).name, tuple(v.shape)))
                elif s[0] == "tfvar":
                    v = sj.Variable(jnp.zeros([2]), name=s[1])
                    log.append(("tfvar", sj.variable_handle(v).name))
                elif s[0] == "vs":
                    reuse = sj.AUTO_REUSE if s[2] == "auto" else s[2]
                    with sj.variable_scope(s[1] or None, default_name="d", reuse=reuse) as sc:
                        log.append(("vs", sc.name))
                        run(s[3])
                else:
                    with sj.name_scope(s[1] or None) as ns:
                        log.append(("ns", ns))
                        run(s[2])
            except (ValueError, TypeError) as e:
                assert isinstance(e, ScopejaxError), f"internal error escaped: {e!r}"
                log.append(("error", type(e).__name__, str(e)))

    run(program)
    names = [h.name for h in sj.global_variables()]
    return log, names


@pytest.mark.slow
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_stmt(), min_size=1, max_size=6))
def test_fuzz_init_store_always_applies_and_names_never_merge(program):
    box = {}

    def f():
        box["init"] = _interpret(program)

    def g():
        box["apply"] = _interpret(program)

    store = sj.transform(f, fast_init=False).init(KEY)
    log, names = box["init"]
    assert len(names) == len(set(names)), f"two variables share a name: {names}"
    assert sorted(store.flat()) == sorted(names)
    created = [e for e in log if e[0] in ("get", "tfvar")]
    assert {e[1] for e in created} == set(names)
    sj.transform(g).apply(store)  # init's own store is accepted (strict: nothing unused)
    assert box["apply"] == box["init"]
    fast = sj.transform(f).init(KEY)  # fast init agrees with the forward run
    assert sorted(fast.flat()) == sorted(names)


def test_tf_variable_with_empty_name_gets_unique_root_names():
    # TF1's ref variables (recorded on TF 2.21 with disable_resource_variables): an empty
    # name resets to the root name scope and the op type names the variable. (Resource
    # variables would name both '' and merge them.)
    def f():
        names = [sj.variable_handle(sj.Variable(0.0, name="")).name for _ in range(2)]
        with sj.name_scope("n"):
            names.append(sj.variable_handle(sj.Variable(0.0, name="")).name)
        return names

    net = sj.transform(f)
    store = net.init(KEY)
    assert net.apply(store) == ["VariableV2", "VariableV2_1", "VariableV2_2"]
    assert sorted(store.flat()) == ["VariableV2", "VariableV2_1", "VariableV2_2"]


def test_apply_on_a_donated_store_names_the_variable():
    net = sj.transform(lambda x: x @ sj.get_variable("w", [2, 2]))
    x = jnp.ones([1, 2])
    store = net.init(KEY, x)
    net.apply(net.init(KEY, x), x)  # warm JAX's C++ dispatch cache for these shapes
    jax.jit(lambda s: s, donate_argnums=0)(store)  # donates (deletes) the store's arrays
    for _ in range(2):  # first through Python's deleted-array check, then the C++ path
        with pytest.raises(sj.train.DonatedStateError, match="apply: variable w of the store"):
            net.apply(store, x)
