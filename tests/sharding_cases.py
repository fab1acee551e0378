"""Sharding by name on 8 devices: rules, scopes, TF1 partitioners, born-sharded init.

Run through ``tests/test_sharding.py``, which starts pytest on this file in a
subprocess with ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` (the flag
must be set before JAX starts its backend). Directly::

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m pytest tests/sharding_cases.py
"""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_same_store
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import scopejax as sj
from scopejax.sharding import (
    ShardingError,
    ShardingWarning,
    fixed_size_partitioner,
    min_max_variable_partitioner,
    variable_axis_size_partitioner,
)

pytestmark = pytest.mark.skipif(
    jax.device_count() < 8,
    reason="needs 8 devices: run tests/test_sharding.py (it sets XLA_FLAGS)",
)

KEY = jax.random.key(0)
X = jnp.ones([4, 8])


@pytest.fixture(scope="module")
def mesh8() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]), ("x",))


@pytest.fixture(scope="module")
def mesh24() -> Mesh:
    return Mesh(np.array(jax.devices()[:8]).reshape(2, 4), ("data", "model"))


def mlp(x: jax.Array) -> jax.Array:
    h = jnp.tanh(sj.layers.dense(x, 16, name="d1"))
    return sj.layers.dense(h, 8, name="d2")


TP_RULES = [("kernel$", P(None, "model")), ("bias$", P("model")), (".*", P())]


def spec_of(value: object) -> tuple:
    """The PartitionSpec of ``value``'s NamedSharding, trailing Nones dropped."""
    sharding = value.sharding  # type: ignore[attr-defined]
    assert isinstance(sharding, NamedSharding), sharding
    spec = list(sharding.spec)
    while spec and spec[-1] is None:
        spec.pop()
    return tuple(spec)


def shard_shapes(value: jax.Array) -> set[tuple[int, ...]]:
    return {tuple(s.data.shape) for s in value.addressable_shards}


def assert_shards_cover(value: jax.Array) -> None:
    """Each device's shard is the slice of the whole value its index names."""
    whole = np.asarray(value)
    assert len(value.addressable_shards) == 8
    for shard in value.addressable_shards:
        np.testing.assert_array_equal(np.asarray(shard.data), whole[shard.index])


# -- rule forms --------------------------------------------------------------------------
def test_partition_spec_rules_give_named_shardings(mesh24):
    with sj.sharding.use(mesh24, TP_RULES):
        store = sj.transform(mlp).init(KEY, X)
    assert spec_of(store["d1/kernel"]) == (None, "model")
    assert spec_of(store["d1/bias"]) == ("model",)
    assert store["d1/kernel"].sharding.mesh is mesh24
    # (8, 16) over 'model' (4): each device holds 8 x 4; replicated over 'data'
    assert shard_shapes(store["d1/kernel"]) == {(8, 4)}
    assert shard_shapes(store["d2/kernel"]) == {(16, 2)}
    assert shard_shapes(store["d2/bias"]) == {(2,)}
    for v in store.flat().values():
        assert_shards_cover(v)


def test_first_matching_rule_wins(mesh24):
    rules = [("d1/kernel$", P("data")), ("kernel$", P(None, "model")), (".*", P())]
    with sj.sharding.use(mesh24, rules):
        store = sj.transform(mlp).init(KEY, X)
    assert spec_of(store["d1/kernel"]) == ("data",)
    assert spec_of(store["d2/kernel"]) == (None, "model")
    assert spec_of(store["d2/bias"]) == ()


def test_rules_match_with_search_not_fullmatch(mesh24):
    with sj.sharding.use(mesh24, [("d2/ker", P(None, "model"))]):
        store = sj.transform(mlp).init(KEY, X)
    assert spec_of(store["d2/kernel"]) == (None, "model")
    assert spec_of(store["d1/kernel"]) == ()  # unmatched: replicated


def test_named_sharding_rule_is_used_as_given(mesh24):
    given = NamedSharding(mesh24, P("data", "model"))
    with sj.sharding.use(mesh24, [("d1/kernel$", given)]):
        store = sj.transform(mlp).init(KEY, X)
    assert store["d1/kernel"].sharding == given
    assert shard_shapes(store["d1/kernel"]) == {(4, 4)}


def test_none_rule_replicates(mesh24):
    with sj.sharding.use(mesh24, [("bias$", None), (".*", P(None, "model"))]):
        store = sj.transform(mlp).init(KEY, X)
    assert store["d1/bias"].sharding.is_fully_replicated
    assert spec_of(store["d1/bias"]) == ()
    assert shard_shapes(store["d1/bias"]) == {(16,)}
    assert spec_of(store["d1/kernel"]) == (None, "model")


def test_bare_spec_is_one_catch_all_rule(mesh8):
    with sj.sharding.use(mesh8, P("x")):
        store = sj.transform(mlp).init(KEY, X)
    assert {spec_of(v) for v in store.flat().values()} == {("x",)}
    assert shard_shapes(store["d1/kernel"]) == {(1, 16)}


def test_unmatched_is_replicated_and_strict_names_it(mesh24):
    with sj.sharding.use(mesh24, [("kernel$", P(None, "model"))]):
        store = sj.transform(mlp).init(KEY, X)
    assert store["d1/bias"].sharding == NamedSharding(mesh24, P())
    with sj.sharding.use(mesh24, [("kernel$", P(None, "model"))], strict=True):
        with pytest.raises(ShardingError, match=r"Variable d1/bias: no sharding rule"):
            sj.transform(mlp).init(KEY, X)
    with sj.sharding.use(mesh24, [("kernel$", P(None, "model")), ("bias$", P())], strict=True):
        sj.transform(mlp).init(KEY, X)  # every variable matched


@pytest.mark.parametrize(
    "rules, match",
    [
        ("kernel", "list of"),
        ([("kernel",)], "rule 0 must be"),
        ([("kernel", P()), "bias"], "rule 1 must be"),
        ([("kernel", ("model",))], "maps to"),
        ([("kernel", "model")], "maps to"),
    ],
)
def test_malformed_rules_are_type_errors(mesh24, rules, match):
    with pytest.raises(TypeError, match=match):
        sj.sharding.use(mesh24, rules)


def test_bad_regex_and_bad_arguments(mesh24):
    with pytest.raises(re.error):
        sj.sharding.use(mesh24, [("kernel(", P())])
    with pytest.raises(TypeError, match="needs a jax.sharding.Mesh"):
        sj.sharding.use("mesh", [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="partition_axis 'nope'"):
        sj.sharding.use(mesh24, [], partition_axis="nope")
    with pytest.raises(TypeError, match="variable_scope"):
        with sj.sharding.use(mesh24):
            sj.transform(lambda: sj.variable_scope("s", sharding="x")).init(KEY)


@pytest.mark.parametrize(
    "shape, spec, match",
    [
        ((20,), P(("data", "model")), r" of shape \(20,\): axis 0 \(20\) does not split evenly"),
        ((16,), P(None, None, "data"), r" of shape \(16,\): its PartitionSpec .* 3 entries"),
        ((16,), P("nope"), r": its PartitionSpec .*'nope'"),
    ],
)
def test_a_spec_that_does_not_fit_names_the_variable(mesh24, shape, spec, match):
    net = sj.transform(lambda: sj.get_variable("d1/bias", shape))
    with sj.sharding.use(mesh24, [(".*", spec)]):
        with pytest.raises(ShardingError, match="Variable d1/bias" + match):
            net.init(KEY)
        with pytest.raises(ShardingError, match="Variable d1/bias" + match):
            jax.jit(net.init)(KEY)


def test_variable_created_with_sj_variable_follows_rules(mesh8):
    def fn():
        return sj.Variable(jnp.arange(16.0), name="v")

    with sj.sharding.use(mesh8, [("^v$", P("x"))]):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["v"]) == ("x",)
    np.testing.assert_array_equal(np.asarray(store["v"]), np.arange(16.0))


def test_no_use_block_leaves_placement_to_jax():
    store = sj.transform(mlp).init(KEY, X)
    assert not isinstance(store["d1/kernel"].sharding, NamedSharding)
    assert len(store["d1/kernel"].devices()) == 1
    assert sj.sharding.current() is None


# -- per-scope rules --------------------------------------------------------------------
def test_scope_sharding_comes_before_use_rules_and_is_inherited(mesh24):
    def fn(x):
        with sj.variable_scope("enc", sharding=[("kernel$", P("model"))]):
            h = sj.layers.dense(x, 16, name="d1")
            with sj.variable_scope("inner"):  # inherits enc's rules
                h = sj.layers.dense(h, 16, name="d2")
            with sj.variable_scope("own", sharding=[("kernel$", P(None, "data"))]):
                h = sj.layers.dense(h, 16, name="d3")  # its rules first, then enc's
        return sj.layers.dense(h, 8, name="head")

    with sj.sharding.use(mesh24, TP_RULES):
        store = sj.transform(fn).init(KEY, X)
    assert spec_of(store["enc/d1/kernel"]) == ("model",)
    assert spec_of(store["enc/inner/d2/kernel"]) == ("model",)
    # a scope rule list that does not match falls through to use()'s rules
    assert spec_of(store["enc/d1/bias"]) == ("model",)
    assert spec_of(store["enc/own/d3/kernel"]) == (None, "data")
    assert spec_of(store["enc/own/d3/bias"]) == ("model",)  # from enc's rules
    assert spec_of(store["head/kernel"]) == (None, "model")


def test_scope_sharding_survives_reentering_the_scope_object(mesh24):
    def fn():
        with sj.variable_scope("a", sharding=P("model")) as scope:
            sj.get_variable("w", [8])
        with sj.variable_scope(scope):
            sj.get_variable("v", [8])
        with sj.variable_scope(scope, reuse=True):
            sj.get_variable("w", [8])

    with sj.sharding.use(mesh24):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["a/w"]) == ("model",)
    assert spec_of(store["a/v"]) == ("model",)


def test_scope_named_sharding_needs_no_use_block(mesh8):
    ns = NamedSharding(mesh8, P("x"))

    def fn():
        with sj.variable_scope("s", sharding=ns):
            sj.get_variable("w", [16, 2])

    store = sj.transform(fn).init(KEY)
    assert store["s/w"].sharding == ns


def test_scope_partition_spec_without_mesh_is_an_error():
    def fn():
        with sj.variable_scope("s", sharding=P("x")):
            sj.get_variable("w", [16, 2])

    with pytest.raises(ShardingError, match=r"Variable s/w: .* no mesh is active"):
        sj.transform(fn).init(KEY)


# -- TF1 partitioners --------------------------------------------------------------------
@pytest.mark.parametrize(
    "partitioner, shape, parts",
    [  # recorded on TF 2.21 (tf.compat.v1 partitioners, float32)
        (fixed_size_partitioner(3), (10, 4), [3, 1]),
        (fixed_size_partitioner(20), (10, 4), [10, 1]),
        (fixed_size_partitioner(2, axis=1), (10, 4), [1, 2]),
        (variable_axis_size_partitioner(1024), (100, 16), [7, 1]),
        (variable_axis_size_partitioner(1024, max_shards=3), (100, 16), [3, 1]),
        (variable_axis_size_partitioner(10), (100, 16), [100, 1]),
        (min_max_variable_partitioner(4, min_slice_size=1024), (100, 16), [4, 1]),
        (min_max_variable_partitioner(100, min_slice_size=1024), (100, 16), [7, 1]),
        (min_max_variable_partitioner(1), (100, 16), [1, 1]),
    ],
)
def test_partitioner_formulas_match_tf1(partitioner, shape, parts):
    assert partitioner(list(shape), np.float32) == parts


@pytest.mark.parametrize(
    "partitioner, spec",
    [
        (fixed_size_partitioner(4), ("partition",)),
        (fixed_size_partitioner(2, axis=1), (None, "partition")),
        (variable_axis_size_partitioner(1024), ("partition",)),
        (min_max_variable_partitioner(8, min_slice_size=64), ("partition",)),
        (min_max_variable_partitioner(1), ()),
        (fixed_size_partitioner(1), ()),
    ],
)
def test_partitioner_shards_its_axis_over_all_devices(partitioner, spec):
    """Without use(): a 1-D mesh of every device, axis 'partition'. The variable keeps
    its one TF1 name (no w/part_0) and its full shape."""

    def fn():
        return sj.get_variable("w", [32, 16], partitioner=partitioner)

    store = sj.transform(fn).init(KEY)
    assert store.names() == ["w"]
    assert store["w"].shape == (32, 16)
    assert spec_of(store["w"]) == spec
    assert tuple(store["w"].sharding.mesh.axis_names) == ("partition",)
    assert store["w"].sharding.mesh.devices.size == 8
    assert_shards_cover(store["w"])
    plain = sj.transform(lambda: sj.get_variable("w", [32, 16])).init(KEY)
    np.testing.assert_array_equal(np.asarray(store["w"]), np.asarray(plain["w"]))


def test_partitioner_uses_the_partition_axis_of_use(mesh24):
    def fn():
        sj.get_variable("w", [8, 4], partitioner=fixed_size_partitioner(2))
        sj.get_variable("b", [8], partitioner=fixed_size_partitioner(2))

    with sj.sharding.use(mesh24, [(".*", P())]):  # default: the mesh's first axis
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["w"]) == ("data",)
    with sj.sharding.use(mesh24, [(".*", P())], partition_axis="model"):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["w"]) == ("model",)
    assert shard_shapes(store["w"]) == {(2, 4)}
    assert spec_of(store["b"]) == ("model",)


def test_partitioner_comes_before_rules(mesh24):
    def fn():
        return sj.get_variable("w", [8, 4], partitioner=fixed_size_partitioner(2, axis=1))

    with sj.sharding.use(mesh24, [("w", P("data"))], partition_axis="model"):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["w"]) == (None, "model")


def test_scope_partitioner_is_inherited(mesh24):
    def fn():
        with sj.variable_scope("emb", partitioner=fixed_size_partitioner(4)):
            sj.get_variable("table", [16, 4])
            with sj.variable_scope("inner"):
                sj.get_variable("t2", [8, 4])
            sj.get_variable("own", [4, 8], partitioner=fixed_size_partitioner(4, axis=1))
        sj.get_variable("outside", [16, 4])

    with sj.sharding.use(mesh24, partition_axis="model"):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["emb/table"]) == ("model",)
    assert spec_of(store["emb/inner/t2"]) == ("model",)
    assert spec_of(store["emb/own"]) == (None, "model")
    assert spec_of(store["outside"]) == ()
    assert set(store.names()) == {"emb/table", "emb/inner/t2", "emb/own", "outside"}


def test_uneven_partition_falls_back_to_replicated_with_a_warning():
    """TF1 split (10, 4) in 3 parts as 4, 3, 3 rows; a jax.Array shards evenly only."""

    def fn():
        return sj.get_variable("emb/w", [10, 4], partitioner=fixed_size_partitioner(3))

    match = r"Variable emb/w of shape \(10, 4\): .* axis 0 into 3 parts"
    with pytest.warns(ShardingWarning, match=match):
        store = sj.transform(fn).init(KEY)
    assert store["emb/w"].shape == (10, 4)
    assert store["emb/w"].sharding.is_fully_replicated
    assert store["emb/w"].sharding.mesh.devices.size == 8
    plain = sj.transform(lambda: sj.get_variable("emb/w", [10, 4])).init(KEY)
    np.testing.assert_array_equal(np.asarray(store["emb/w"]), np.asarray(plain["emb/w"]))


def test_partitioner_errors_name_the_variable():
    def two_axes(shape, dtype=None):
        return [2, 2]

    def fn():
        sj.get_variable("w", [8, 8], partitioner=two_axes)

    with pytest.raises(ShardingError, match=r"Variable w: the partitioner splits axes \[0, 1\]"):
        sj.transform(fn).init(KEY)

    def bad(shape, dtype=None):
        return [0, 1]

    with pytest.raises(ShardingError, match=r"Variable w: the partitioner returned \[0, 1\]"):
        sj.transform(lambda: sj.get_variable("w", [8, 8], partitioner=bad)).init(KEY)


def test_shape_only_partitioner_is_accepted():
    def by_shape(shape):
        return [1, 8]

    store = sj.transform(lambda: sj.get_variable("w", [4, 16], partitioner=by_shape)).init(KEY)
    assert spec_of(store["w"]) == (None, "partition")


# -- init paths: eager, jit, abstract; values -------------------------------------------
@pytest.mark.parametrize("fast_init", [True, False])
def test_init_paths_agree_on_sharding_and_values(mesh24, fast_init):
    net = sj.transform(mlp, fast_init=fast_init)
    plain = net.init(KEY, X)
    with sj.sharding.use(mesh24, TP_RULES):
        eager = net.init(KEY, X)
        jitted = jax.jit(net.init)(KEY, X)
        abstract = net.init_abstract(KEY, X)
    for name in plain.names():
        want = eager[name].sharding
        assert isinstance(want, NamedSharding)
        assert jitted[name].sharding.is_equivalent_to(want, plain[name].ndim), name
        assert abstract[name].sharding == want, name
        assert abstract[name].shape == plain[name].shape
    assert_same_store(plain, eager)  # bit-identical to unsharded init
    assert_same_store(plain, jitted)
    assert eager.infos == plain.infos


def test_born_sharded_values_match_unsharded_for_many_initializers(mesh24):
    """Groups of equally-shaped, equally-sharded variables are drawn in one batch."""

    def fn():
        for i in range(5):
            sj.get_variable(f"g{i}", [8, 16])  # glorot, one group
            sj.get_variable(f"n{i}", [8, 16], initializer=sj.initializers.random_normal())
            sj.get_variable(f"z{i}", [8, 16], initializer=sj.initializers.zeros())
        sj.get_variable("c", [8, 16], initializer=sj.initializers.constant(3.0))
        sj.get_variable("u", [16], initializer=lambda shape, dtype: jnp.arange(16.0))

    rules = [("^g[0-2]", P("data", "model")), ("^n", P(None, "model")), ("u", P("model"))]
    plain = sj.transform(fn).init(KEY)
    slow = sj.transform(fn, fast_init=False)
    with sj.sharding.use(mesh24, rules):
        fast = sj.transform(fn).init(KEY)
        forward = slow.init(KEY)
    assert_same_store(plain, fast)
    assert_same_store(plain, forward)
    assert shard_shapes(fast["g0"]) == {(4, 4)}
    assert spec_of(fast["g3"]) == ()
    assert shard_shapes(fast["n4"]) == {(8, 4)}
    assert shard_shapes(fast["u"]) == {(4,)}
    for v in fast.flat().values():
        assert_shards_cover(v)


def test_born_sharded_draw_is_compiled_into_its_sharding(mesh8):
    """The group draw of sharded variables is a jit with out_shardings: its output is
    born split (no device holds a whole value), not drawn whole and then moved."""
    from scopejax._src.core import fastinit

    init = sj.initializers.glorot_uniform()
    sharding = NamedSharding(mesh8, P("x"))
    draw = fastinit._group_draw(init, (64, 32), np.dtype("float32"), 3, sharding)
    out = draw(KEY, np.arange(3, dtype=np.uint32))
    assert out.sharding.spec == P(None, "x")
    assert shard_shapes(out) == {(3, 8, 32)}


def test_jit_init_under_use_gives_out_shardings_without_constraints_later(mesh8):
    net = sj.transform(lambda: sj.get_variable("w", [64, 8]))
    with sj.sharding.use(mesh8, [("w", P("x"))]):
        fn = jax.jit(net.init)
        store = fn(KEY)
        text = fn.lower(KEY).as_text()
    assert shard_shapes(store["w"]) == {(8, 8)}
    assert "sharding" in text


def test_a_jitted_function_is_retraced_when_the_use_block_changes(mesh8):
    """jax.jit caches a trace per function and arguments; the active block is part of that
    key, so a function jitted (and traced) outside a block follows the block's rules inside
    it, and each block's rules give their own trace."""
    net = sj.transform(lambda: sj.get_variable("w", [64, 8]))
    init = jax.jit(net.init)
    outside = init(KEY)  # traced without rules: one device
    with sj.sharding.use(mesh8, [("w", P("x"))]):
        by_rows = init(KEY)
        with sj.sharding.use(mesh8, [("w", P(None, "x"))]):
            by_columns = jax.jit(net.init)(KEY)  # a new jit of the same function too
        again = init(KEY)
    after = init(KEY)
    assert len(outside["w"].devices()) == 1 and len(after["w"].devices()) == 1
    assert spec_of(by_rows["w"]) == spec_of(again["w"]) == ("x",)
    assert spec_of(by_columns["w"]) == (None, "x")
    for store in (by_rows, by_columns, after):
        np.testing.assert_array_equal(np.asarray(store["w"]), np.asarray(outside["w"]))

    apply = jax.jit(sj.transform(linear).apply)  # apply places the stored values by the rules
    store = sj.transform(linear).init(KEY, X)
    _, kernel = apply(store, X)
    with sj.sharding.use(mesh8, [("kernel$", P(None, "x"))]):
        _, kernel_inside = apply(store, X)
    assert len(kernel.devices()) == 1
    assert spec_of(kernel_inside) == (None, "x")


# -- apply inside use() -------------------------------------------------------------------
def linear(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    kernel = sj.get_variable("d1/kernel", [8, 16])
    bias = sj.get_variable("d1/bias", [16], initializer=sj.initializers.ones())
    return x @ kernel + bias, kernel


def test_apply_inside_use_reshards_a_plain_store(mesh24):
    fn = linear

    net = sj.transform(fn)
    store = net.init(KEY, X)
    out_plain, _ = net.apply(store, X)
    with sj.sharding.use(mesh24, TP_RULES):
        out, kernel = net.apply(store, X)
        out_jit, kernel_jit = jax.jit(net.apply)(store, X)
    assert spec_of(kernel) == (None, "model")
    assert spec_of(kernel_jit) == (None, "model")
    np.testing.assert_allclose(np.asarray(out), np.asarray(out_plain), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out_jit), np.asarray(out_plain), rtol=1e-6, atol=1e-6)
    # the caller's store is not changed
    assert len(store["d1/kernel"].devices()) == 1


def test_apply_inside_use_moves_a_store_onto_other_rules(mesh24):
    net = sj.transform(linear)
    with sj.sharding.use(mesh24, TP_RULES):
        store = net.init(KEY, X)
    assert spec_of(store["d1/kernel"]) == (None, "model")
    with sj.sharding.use(mesh24, [("d1/kernel", P("data")), (".*", P())]):
        _, kernel = net.apply(store, X)
    assert spec_of(kernel) == ("data",)
    # no rule for d1/bias: it keeps the sharding it has on the mesh (a partitioner's,
    # a scope's), even when strict; a value off the mesh is replicated onto it
    with sj.sharding.use(mesh24, [("d1/kernel", P(None, "data"))], strict=True):
        net.apply(store, X)
    plain = net.init(KEY, X)
    with sj.sharding.use(mesh24, [("d1/kernel", P(None, "data"))]):

        def read_bias(x):
            linear(x)
            with sj.variable_scope("d1", reuse=True):
                return sj.get_variable("bias")

        bias = sj.transform(read_bias).apply(plain, X)
    assert bias.sharding == NamedSharding(mesh24, P())
    with sj.sharding.use(mesh24, [("d1/kernel", P(None, "data"))], strict=True):
        with pytest.raises(ShardingError, match=r"Variable d1/bias: no sharding rule .* not on"):
            net.apply(plain, X)


def test_apply_looks_each_rule_up_once_per_block(mesh24):
    """``apply`` matches a stored name against the rules once per block and shape (the
    answer is memoized), and a new shape under the same name is checked again."""
    net = sj.transform(linear)
    store = net.init(KEY, X)
    with sj.sharding.use(mesh24, TP_RULES) as block:
        _, first = net.apply(store, X)
        memo = dict(block.memo)
        _, second = net.apply(store, X)
        assert block.memo == memo and memo[("d1/kernel", (8, 16))] is first.sharding
        assert second.sharding is first.sharding
        odd = store.replace({"d1/kernel": np.ones((8, 6), np.float32)})
        with pytest.raises(ShardingError, match="d1/kernel"):
            net.apply(odd, X)


# -- sj.device, lifted variables -------------------------------------------------------------
def test_sj_device_is_unaffected_outside_use():
    def fn():
        with sj.device("cpu:3"):
            sj.get_variable("w", [4])
        sj.get_variable("v", [4])

    store = sj.transform(fn).init(KEY)
    assert store["w"].devices() == {jax.devices()[3]}
    assert store.info("w").device == "cpu:3"
    assert store["v"].devices() == {jax.devices()[0]}


@pytest.mark.parametrize("fast_init", [True, False])
def test_sj_device_is_honoured_under_jit(fast_init):
    def fn():
        with sj.device("cpu:3"):
            sj.get_variable("w", [4])
            sj.Variable(jnp.ones(2), name="c")  # a computed value

    net = sj.transform(fn, fast_init=fast_init)
    store = jax.jit(net.init)(KEY)
    assert store["w"].devices() == {jax.devices()[3]} == store["c"].devices()
    np.testing.assert_array_equal(store["w"], net.init(KEY)["w"])

    def two():
        with sj.device("cpu:3"):
            sj.get_variable("a", [4])
        with sj.device("cpu:4"):
            sj.get_variable("b", [4])

    with pytest.raises(ValueError, match=r"Variable b: sj.device places it on cpu:4, but a is"):
        jax.jit(sj.transform(two).init)(KEY)
    eager = sj.transform(two).init(KEY)  # eagerly each goes to its own device
    assert eager["b"].devices() == {jax.devices()[4]}


def test_use_rules_decide_placement_over_sj_device(mesh8):
    """Inside a mesh every variable is on the mesh (a jitted step needs all its inputs
    on one device set); sj.device's spec stays in the metadata."""

    def fn():
        with sj.device("cpu:3"):
            sj.get_variable("w", [8])

    with sj.sharding.use(mesh8, [("w", P("x"))]):
        store = sj.transform(fn).init(KEY)
    assert spec_of(store["w"]) == ("x",)
    assert store.info("w").device == "cpu:3"


def test_layer_stack_rules_see_the_stacked_shape(mesh24):
    def fn(x):
        with sj.variable_scope("blocks"):
            return sj.layer_stack(4, lambda h: jnp.tanh(sj.nn.Dense(8)(h)))(x)

    rules = [
        ("blocks/.*kernel$", P(None, None, "model")),  # (layers, in, out): out over model
        ("blocks/.*bias$", P("model")),  # (layers, out): the layer axis over model
    ]
    net = sj.transform(fn)
    plain = net.init(KEY, X)
    with sj.sharding.use(mesh24, rules):
        store = net.init(KEY, X)
        jitted = jax.jit(net.init)(KEY, X)
        out = net.apply(store, X)
    assert store["blocks/dense/kernel"].shape == (4, 8, 8)
    assert spec_of(store["blocks/dense/kernel"]) == (None, None, "model")
    assert shard_shapes(store["blocks/dense/kernel"]) == {(4, 8, 2)}
    assert spec_of(store["blocks/dense/bias"]) == ("model",)
    assert shard_shapes(store["blocks/dense/bias"]) == {(1, 8)}
    assert spec_of(jitted["blocks/dense/kernel"]) == (None, None, "model")
    assert_same_store(plain, store)
    assert_same_store(plain, jitted)
    np.testing.assert_allclose(np.asarray(out), np.asarray(net.apply(plain, X)), rtol=1e-6)


def test_layer_stack_spec_must_fit_the_stacked_shape(mesh24):
    def fn(x):
        with sj.variable_scope("blocks"):
            return sj.layer_stack(3, lambda h: sj.nn.Dense(8)(h))(x)

    with sj.sharding.use(mesh24, [("bias$", P("model"))]):
        with pytest.raises(ShardingError, match=r"blocks/dense/bias of shape \(3, 8\)"):
            sj.transform(fn).init(KEY, X)


def test_use_blocks_nest_and_restore(mesh8, mesh24):
    with sj.sharding.use(mesh24, TP_RULES) as outer:
        assert sj.sharding.current() is outer
        with sj.sharding.use(mesh8, P("x")) as inner:
            assert sj.sharding.current() is inner
            store = sj.transform(mlp).init(KEY, X)
        assert sj.sharding.current() is outer
    assert sj.sharding.current() is None
    assert spec_of(store["d1/kernel"]) == ("x",)


def test_no_warnings_for_even_partitions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sj.transform(lambda: sj.get_variable("w", [16, 4], partitioner=fixed_size_partitioner(3)))
        store = sj.transform(
            lambda: sj.get_variable("w", [16, 4], partitioner=fixed_size_partitioner(3))
        ).init(KEY)
    assert spec_of(store["w"]) == ("partition",)


# -- store summary -----------------------------------------------------------------------
def test_summary_shows_sharding_and_bytes_per_device(mesh24):
    plain = sj.transform(mlp).init(KEY, X)
    assert "sharding" not in plain.summary() and "per device" not in plain.summary()
    with sj.sharding.use(mesh24, TP_RULES):
        store = sj.transform(mlp).init(KEY, X)
        abstract = sj.transform(mlp).init_abstract(KEY, X)
    text = store.summary()
    lines = text.splitlines()
    assert lines[0].split()[:8] == [
        "name", "shape", "dtype", "params", "bytes", "per", "device", "sharding",
    ]  # fmt: skip
    row = {ln.split()[0]: ln for ln in lines[2:-1]}
    # d1/kernel (8, 16) f32 = 512 B, split 4 ways over 'model'
    assert "512 B" in row["d1/kernel"] and "128 B" in row["d1/kernel"]
    assert "P(None, 'model')" in row["d1/kernel"]
    assert "P('model')" in row["d1/bias"]
    # every device holds a quarter of all 280 params (1120 B): 280 B
    assert lines[-1].endswith("per device: at most 280 B (8 devices)"), lines[-1]
    assert abstract.summary() == text  # shape structs carry the same shardings
    html = store._repr_html_()
    assert "<th>sharding</th>" in html and "P(None, &#x27;model&#x27;)" in html


def test_replicated_values_count_in_full_per_device(mesh24):
    with sj.sharding.use(mesh24, [(".*", P())]):
        store = sj.transform(mlp).init(KEY, X)
    per = sj.sharding.bytes_by_device(store.flat().values())
    assert set(per) == set(jax.devices()[:8])
    assert set(per.values()) == {store.nbytes}
    assert "replicated" in store.summary()
    assert sj.sharding.bytes_per_device(store["d1/kernel"]) == 512
    assert sj.sharding.describe(store["d1/kernel"]) == "replicated"
    assert sj.sharding.describe(jnp.ones(3)) == "-"


# -- born sharded: drawn straight into the sharding ------------------------------------------
@pytest.mark.parametrize("stacked", [False, True])
def test_init_draws_every_value_straight_into_its_sharding(mesh8, monkeypatch, stacked):
    """Each group of equally-sharded draws is one jitted draw whose output has the
    sharding (dense layers), and traced initial values (layer_stack's stacked ones) are
    one jitted program with sharded outputs; nothing needs moving afterwards."""
    from scopejax._src.core import fastinit

    draws: list = []
    traced: list = []
    moved: list = []
    real_draw, real_traced, real_place = (
        fastinit._group_draw,
        fastinit._evaluate_traced_into,
        fastinit.place,
    )

    def draw_spy(initializer, shape, dtype, n, sharding=None):
        draws.append((shape, sharding))
        return real_draw(initializer, shape, dtype, n, sharding)

    def traced_spy(closed, dyn, shardings):
        traced.append(shardings)
        return real_traced(closed, dyn, shardings)

    def place_spy(value, sharding):
        if sharding is not None and not isinstance(value, jax.core.Tracer):
            if not value.sharding.is_equivalent_to(sharding, value.ndim):
                moved.append(value.shape)
        return real_place(value, sharding)

    monkeypatch.setattr(fastinit, "_group_draw", draw_spy)
    monkeypatch.setattr(fastinit, "_evaluate_traced_into", traced_spy)
    monkeypatch.setattr(fastinit, "place", place_spy)

    def fn(x):
        if stacked:
            with sj.variable_scope("blocks"):
                return sj.layer_stack(8, lambda h: jnp.tanh(sj.nn.Dense(16)(h)))(x)
        for i in range(4):
            x = jnp.tanh(sj.layers.dense(x, 16, name=f"l{i}"))
        return x

    rules = [("kernel$", P(*([None] * (2 if stacked else 1)), "x")), (".*", P())]
    with sj.sharding.use(mesh8, rules):
        store = sj.transform(fn).init(KEY, jnp.ones([2, 16]))
    assert moved == []
    if stacked:
        assert traced and any(s is not None and "x" in s.spec for s in traced[0])
    else:
        kernel_draws = [sh for shape, sh in draws if shape == (16, 16)]
        assert kernel_draws and all(sh is not None and "x" in sh.spec for sh in kernel_draws)
    kernel = store["blocks/dense/kernel" if stacked else "l0/kernel"]
    assert {tuple(s.data.shape)[-1] for s in kernel.addressable_shards} == {2}
    assert_same_store(sj.transform(fn).init(KEY, jnp.ones([2, 16])), store)
