"""variable_scope / name_scope: the TF1 walkthrough idioms and the rules TF1 really follows."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import names, run_both, run_init

import scopejax as sj

# -- the classic walkthrough ---------------------------------------------------------


def dense_layer(x, n_in, n_out, scope_name):
    with sj.variable_scope(scope_name, reuse=sj.AUTO_REUSE):
        w = sj.get_variable("weights", [n_in, n_out])
        b = sj.get_variable("bias", [n_out], initializer=sj.initializers.zeros())
    return x @ w + b


def test_dense_layer_twice_under_auto_reuse_shares():
    def f(x):
        a = dense_layer(x, 3, 4, "fc")
        b = dense_layer(x, 3, 4, "fc")
        return a, b, names()

    (a, b, vars_), (a2, b2, _), store = run_both(f, jnp.ones([2, 3]))
    assert vars_ == ["fc/weights", "fc/bias"]
    assert store.names() == ["fc/bias", "fc/weights"]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a2, b2)


def discriminator(x):
    h = jax.nn.relu(dense_layer_plain(x, 4, 8, "h0"))
    return dense_layer_plain(h, 8, 1, "h1")


def dense_layer_plain(x, n_in, n_out, scope_name):
    with sj.variable_scope(scope_name):
        w = sj.get_variable("w", [n_in, n_out])
        b = sj.get_variable("b", [n_out], initializer=sj.initializers.zeros())
    return x @ w + b


@pytest.mark.slow
def test_gan_discriminator_reopened_by_scope_object_shares_weights():
    def f(real, fake):
        with sj.variable_scope("discriminator") as scope:
            d_real = discriminator(real)
        with sj.variable_scope(scope, reuse=True) as s2:
            d_fake = discriminator(fake)
            ns = sj.get_name_scope()
        return d_real, d_fake, names(), s2.original_name_scope, ns

    x = jax.random.normal(jax.random.key(1), [5, 4])
    (d_real, d_fake, vars_, orig, ns), (r2, f2, *_), store = run_both(f, x, x)
    assert vars_ == [
        "discriminator/h0/w",
        "discriminator/h0/b",
        "discriminator/h1/w",
        "discriminator/h1/b",
    ]
    assert orig == "discriminator/"  # the saved object's
    assert ns == "discriminator_1"  # but ops go to a new name scope
    np.testing.assert_array_equal(d_real, d_fake)  # same weights, same input
    np.testing.assert_array_equal(r2, f2)
    assert len(store.names()) == 4


def test_rnn_loop_reuse_variables_after_step_zero():
    def f(xs):
        h = jnp.zeros([xs.shape[1], 3])
        scopes = []
        with sj.variable_scope("rnn") as scope:
            for t in range(xs.shape[0]):
                if t > 0:
                    scope.reuse_variables()
                with sj.variable_scope("cell"):
                    scopes.append(sj.get_name_scope())
                    w = sj.get_variable("W", [2 + 3, 3])
                    h = jnp.tanh(jnp.concatenate([xs[t], h], -1) @ w)
        return h, names(), scopes

    xs = jnp.ones([4, 2, 2])
    (h, vars_, scopes), (h2, _, _), store = run_both(f, xs)
    assert vars_ == ["rnn/cell/W"]
    assert scopes == ["rnn/cell", "rnn/cell_1", "rnn/cell_2", "rnn/cell_3"]
    np.testing.assert_allclose(h, h2)


def test_name_scope_does_not_prefix_get_variable():
    def f():
        with sj.name_scope("layer1"):
            sj.get_variable("w", [1])
            return names(), sj.get_name_scope()

    (vars_, ns), _ = run_init(f)
    assert vars_ == ["w"] and ns == "layer1"


def test_reuse_true_on_missing_variable_errors():
    def f():
        with sj.variable_scope("l1", reuse=True):
            sj.get_variable("weights", [3])

    with pytest.raises(sj.VariableNotFoundError, match=r"Variable l1/weights does not exist"):
        run_init(f)


def test_creating_twice_errors():
    def f():
        with sj.variable_scope("l1"):
            sj.get_variable("weights", [3])
        with sj.variable_scope("l1"):
            sj.get_variable("weights", [3])

    with pytest.raises(sj.VariableExistsError, match=r"Variable l1/weights already exists"):
        run_init(f)
    with pytest.raises(ValueError, match="reuse=True or reuse=AUTO_REUSE"):
        run_init(f)


@pytest.mark.slow
def test_conv_block_pattern():
    def conv_block(x, block):
        with sj.name_scope(block):
            with sj.variable_scope(f"{block}/conv1"):
                k = sj.get_variable("kernel", [3, 3, x.shape[-1], 4])
                ns = sj.get_name_scope()
        return jax.lax.conv_general_dilated(
            x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        ), ns

    def f(x):
        y, ns1 = conv_block(x, "block1")
        y, ns2 = conv_block(y, "block2")
        return y.shape, names(), ns1, ns2

    (shape, vars_, ns1, ns2), _ = run_init(f, jnp.ones([1, 8, 8, 2]))
    assert shape == (1, 8, 8, 4)
    assert vars_ == ["block1/conv1/kernel", "block2/conv1/kernel"]
    # TF1: the name scope block1/ exists, then 'block1/conv1' is uniquified as one string
    assert ns1 == "block1/block1/conv1" and ns2 == "block2/block2/conv1"


def test_trainable_false_and_frozen_collection():
    def f():
        sj.get_variable("w", [2])
        sj.get_variable("frozen", [2], trainable=False)
        sj.get_variable("custom", [2], collections=["FROZEN_VARS"])
        return (
            names(),
            [v.name for v in sj.trainable_variables()],
            [v.name for v in sj.get_collection("FROZEN_VARS")],
        )

    (glob, train, frozen), store = run_init(f)
    assert glob == ["w", "frozen"]  # collections= replaces GLOBAL_VARIABLES
    assert train == ["w", "custom"]  # trainable=True still adds TRAINABLE_VARIABLES
    assert frozen == ["custom"]
    assert store.trainable().names() == ["custom", "w"]
    assert store.non_trainable().names() == ["frozen"]
    assert store.info("custom").collections == ("FROZEN_VARS", "trainable_variables")
    a, b = store.partition(collection="FROZEN_VARS")
    assert a.names() == ["custom"] and b.names() == ["frozen", "w"]


# -- reuse inheritance ---------------------------------------------------------------
R = [False, True, None, sj.AUTO_REUSE]


def _reuse_name(r):
    return (
        {False: "False", True: "True", None: "None"}.get(r, "AUTO_REUSE")
        if not isinstance(r, type(sj.AUTO_REUSE))
        else "AUTO_REUSE"
    )


@pytest.mark.parametrize("outer", R, ids=_reuse_name)
@pytest.mark.parametrize("inner", R, ids=_reuse_name)
def test_reuse_inheritance_is_inner_or_outer(outer, inner):
    def f():
        with sj.variable_scope("o", reuse=outer) as o:
            with sj.variable_scope("i", reuse=inner) as i:
                return o.reuse, i.reuse

    (o, i), _ = run_init(f)
    o_expected = False if outer in (False, None) else outer
    inner_norm = None if inner is False else inner
    assert o is o_expected
    assert i is (inner_norm or o_expected)


def test_reuse_variables_at_top_level_makes_everything_reuse():
    def f():
        sj.get_variable_scope().reuse_variables()
        with sj.variable_scope("a") as a:
            return a.reuse

    (r, _), _ = run_init(lambda: (f(), None))
    assert r is True


def test_reopened_scope_does_not_inherit_outer_reuse():
    def f():
        with sj.variable_scope("disc") as s:
            sj.get_variable("w", [1])
        with sj.variable_scope("o", reuse=True):
            with sj.variable_scope(s) as s2:
                reuse = s2.reuse
                sj.get_variable("new", [1])  # creation works: reuse comes from the object
                with pytest.raises(sj.VariableExistsError):
                    sj.get_variable("w", [1])
        return reuse, names()

    (reuse, vars_), _ = run_init(f)
    assert reuse is False
    assert vars_ == ["disc/w", "disc/new"]


def test_reuse_variables_changes_object_not_copy():
    def f():
        with sj.variable_scope("s") as s:
            sj.get_variable("a", [1])
        with sj.variable_scope(s) as copy:
            copy.reuse_variables()
        with sj.variable_scope(s):
            sj.get_variable("b", [1])  # s itself is not reusing
        with sj.variable_scope(s) as again:
            pass
        s.reuse_variables()
        with sj.variable_scope(s):
            with pytest.raises(sj.VariableNotFoundError):
                sj.get_variable("c", [1])
        return again.reuse

    (r, _), _ = run_init(lambda: (f(), None))
    assert r is False


# -- default_name ----------------------------------------------------------------------
def test_default_name_counting_and_reset_on_exit():
    def f():
        out = []
        for _ in range(2):
            with sj.variable_scope("outer"):
                for _ in range(3):
                    with sj.variable_scope(None, default_name="dense") as s:
                        out.append(s.name)
        with sj.variable_scope(None, default_name="d") as s:
            out.append(s.name)
        with sj.variable_scope("d_3"):
            pass
        for _ in range(3):
            with sj.variable_scope(None, default_name="d") as s:
                out.append(s.name)
        return out

    (out, _), _ = run_init(lambda: (f(), None))
    assert out[:6] == ["outer/dense", "outer/dense_1", "outer/dense_2"] * 2
    assert out[6:] == ["d", "d_1", "d_2", "d_4"]


@pytest.mark.parametrize("reuse", [True, sj.AUTO_REUSE], ids=["True", "AUTO_REUSE"])
def test_default_name_with_reuse_is_an_error(reuse):
    def f():
        with sj.variable_scope(None, default_name="dense", reuse=reuse):
            pass

    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        run_init(f)


def test_variable_scope_without_any_name_is_type_error():
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is required"):
        sj.variable_scope(None)


# -- name scopes -------------------------------------------------------------------------
def test_reentering_a_scope_uniquifies_the_name_scope_only():
    def f():
        out = []
        for _ in range(3):
            with sj.variable_scope("enc", reuse=sj.AUTO_REUSE) as s:
                sj.get_variable("w", [1])
                out.append((sj.get_name_scope(), s.original_name_scope))
        return out, names()

    (out, vars_), _ = run_init(f)
    assert out == [("enc", "enc/"), ("enc_1", "enc_1/"), ("enc_2", "enc_2/")]
    assert vars_ == ["enc/w"]


def test_variable_scope_inside_name_scope():
    def f():
        with sj.name_scope("model"):
            with sj.variable_scope("encoder") as s:
                sj.get_variable("w", [1])
                return names(), s.original_name_scope, sj.get_name_scope()

    ((vars_, orig, ns)), _ = run_init(f)
    assert vars_ == ["encoder/w"] and orig == "model/encoder/" and ns == "model/encoder"


def test_graph_names_shared_with_name_scopes():
    def f():
        with sj.name_scope("q"):
            pass
        sj.get_variable("q", [1])
        with sj.variable_scope("", reuse=sj.AUTO_REUSE):
            sj.get_variable("q", [1])
        return names()

    (vars_, _), store = run_init(lambda: (f(), None))
    assert vars_ == ["q_1"]
    assert store.names() == ["q_1"] and store.info("q_1").key == "q"


def test_case_insensitive_graph_names():
    def f():
        sj.get_variable("W", [1])
        sj.get_variable("w", [1])
        with sj.name_scope("A") as a, sj.name_scope("a") as b:
            pass
        return names(), a, b

    (vars_, a, b), _ = run_init(f)
    assert vars_ == ["W", "w_1"]
    assert (a, b) == ("A/", "A/a/")


def test_trailing_slash_name_scope_is_absolute_and_unmarked():
    def f():
        out = []
        with sj.name_scope("q"):
            with sj.name_scope("zz/") as s:
                out.append(s)
        with sj.name_scope("a/") as s:
            out.append(s)
        with sj.name_scope("a") as s:
            out.append(s)
        with sj.name_scope("a") as s:
            out.append(s)
        with sj.name_scope("q"):
            with sj.name_scope("") as s:
                out.append((s, sj.get_name_scope()))
        return out

    (out, _), _ = run_init(lambda: (f(), None))
    assert out == ["zz/", "a/", "a/", "a_1/", ("", "")]


def test_names_with_slash_are_one_string():
    def f():
        with sj.variable_scope("block1/conv1"):
            pass
        with sj.variable_scope("block1") as b:
            with sj.variable_scope("conv1") as c:
                return b.original_name_scope, c.original_name_scope

    ((b, c), _), _ = run_init(lambda: (f(), None))
    assert b == "block1/" and c == "block1/conv1_1/"


def test_key_with_slash_is_same_variable():
    def f():
        with sj.variable_scope("a"):
            x = sj.get_variable("x/w", [1])
        with sj.variable_scope("a/x", reuse=True):
            y = sj.get_variable("w", [1])
        with sj.variable_scope("a", reuse=True), sj.variable_scope("x"):
            z = sj.get_variable("w", [1])
        return x is y is z

    (same, _), _ = run_init(lambda: (f(), None))
    assert same


def test_empty_and_trailing_slash_variable_scopes():
    def f():
        out = []
        with sj.variable_scope("") as s:
            out.append((s.name, s.original_name_scope, sj.get_name_scope()))
        with sj.variable_scope("m"):
            with sj.variable_scope("") as s:
                sj.get_variable("z", [1])
                out.append((s.name, s.original_name_scope))
        with sj.variable_scope("a/") as s:
            sj.get_variable("w", [1])
            out.append((s.name, sj.get_name_scope()))
        return out, names()

    (out, vars_), _ = run_init(f)
    assert out == [("", "", ""), ("m/", ""), ("a/", "a")]
    assert vars_ == ["m//z", "a//w"]


def test_auxiliary_name_scope_false():
    def f():
        with sj.name_scope("n"):
            with sj.variable_scope("v", auxiliary_name_scope=False) as s:
                return s.name, s.original_name_scope, sj.get_name_scope()

    ((name, orig, ns), _), _ = run_init(lambda: (f(), None))
    assert (name, orig, ns) == ("v", "n/", "n")


def test_reopen_by_object_inside_name_scope():
    def f():
        with sj.variable_scope("outer"):
            with sj.variable_scope("disc") as s:
                pass
        with sj.variable_scope("outer"):
            with sj.name_scope("m"):
                with sj.variable_scope(s) as s2:
                    sj.get_variable("w", [1])
                    return sj.get_name_scope(), s2.original_name_scope, names()

    ((ns, orig, vars_), _), _ = run_init(lambda: (f(), None))
    assert ns == "outer_1/m/disc"
    assert orig == "outer/disc/"
    assert vars_ == ["outer/disc/w"]


# -- scope defaults ------------------------------------------------------------------------
def test_scope_defaults_are_inherited():
    def f():
        with sj.variable_scope("a", initializer=sj.initializers.ones(), dtype=jnp.int32):
            with sj.variable_scope("b"):
                v = sj.get_variable("v", [2])
            f32 = sj.get_variable("f", [2], dtype=jnp.float32)
        return v, f32

    ((v, f32), _), _ = run_init(lambda: (f(), None))
    assert v.dtype == jnp.int32 and np.all(v == 1)
    assert f32.dtype == jnp.float32 and np.all(f32 == 1)


def test_custom_getters_chain_outermost_last():
    calls = []

    def getter(tag):
        def g(getter, name, *args, **kwargs):
            calls.append(tag)
            return getter(name, *args, **kwargs) + 1.0

        return g

    def f():
        with sj.variable_scope("a", custom_getter=getter("outer")):
            with sj.variable_scope("b", custom_getter=getter("inner")):
                return sj.get_variable("v", [2], initializer=sj.initializers.zeros())

    (v, _), _ = run_init(lambda: (f(), None))
    assert calls == ["inner", "outer"] * 2  # run_init's forward init, then its fast init
    np.testing.assert_array_equal(v, [2.0, 2.0])


def test_mixed_precision_custom_getter():
    def bf16_getter(getter, name, shape=None, dtype=None, *args, **kwargs):
        var = getter(name, shape, jnp.float32, *args, **kwargs)
        return var.astype(dtype)

    def f(x):
        with sj.variable_scope("mp", dtype=jnp.bfloat16, custom_getter=bf16_getter):
            w = sj.get_variable("w", [x.shape[-1], 2])
        return x.astype(jnp.bfloat16) @ w

    y, _, store = run_both(f, jnp.ones([1, 3]))
    assert y.dtype == jnp.bfloat16
    assert store.info("mp/w").dtype == "float32"


def test_regularizer_inherited_and_collected():
    def f():
        with sj.variable_scope("r", regularizer=lambda w: (w**2).sum()):
            sj.get_variable("a", [2], initializer=sj.initializers.ones())
            sj.get_variable(
                "b", [3], initializer=sj.initializers.ones(), regularizer=lambda w: w.sum() * 0
            )
        return (
            sj.get_collection(sj.GraphKeys.REGULARIZATION_LOSSES),
            sj.get_regularization_loss(),
            sj.get_regularization_loss("r/b"),
        )

    (losses, total, only_b), _, _ = run_both(f)
    assert [float(x) for x in losses] == [2.0, 0.0]
    assert float(total) == 2.0 and float(only_b) == 0.0


def test_get_collection_scope_filter_is_regex_match():
    def f():
        for s in ["enc", "encoder", "enc_1"]:
            with sj.variable_scope(s):
                sj.get_variable("w", [1])
        sj.get_variable("dense_1/w", [1])
        return (
            [v.name for v in sj.global_variables("enc")],
            [v.name for v in sj.global_variables("enc/")],
            [v.name for v in sj.global_variables("dense")],
        )

    ((a, b, c), _), _ = run_init(lambda: (f(), None))
    assert a == ["enc/w", "encoder/w", "enc_1/w"]
    assert b == ["enc/w"] and c == ["dense_1/w"]


def test_add_to_collection_keeps_duplicates_and_makes_trainable():
    def f():
        w = sj.get_variable("w", [1], trainable=False)
        sj.add_to_collection(sj.GraphKeys.TRAINABLE_VARIABLES, w)
        sj.add_to_collection("x", w)
        sj.add_to_collection("x", w)
        sj.add_to_collection("x", "not a variable")
        return len(sj.get_collection("x")), len(sj.get_collection("x", scope="w"))

    ((n, n_named), _), store = run_init(lambda: (f(), None))
    assert (n, n_named) == (3, 2)
    assert store.info("w").trainable  # TF1: the collection decides
    ref = None

    def g():
        nonlocal ref
        ref = sj.get_collection_ref("y")
        ref.append("item")
        return sj.get_collection("y")

    (got, _) = run_init(g)
    assert got == ["item"]


def test_variable_is_never_shared_and_follows_name_scope():
    def f():
        with sj.variable_scope("enc"):
            a = sj.Variable(jnp.zeros([2]), name="W")
            b = sj.Variable(jnp.ones([2]), name="W")
            sj.get_variable("W", [2])
        with sj.name_scope("ns"):
            sj.Variable(1.0)
        return a is not b, names()

    (distinct, vars_), _, store = run_both(f)
    assert distinct
    assert vars_ == ["enc/W", "enc/W_1", "enc/W_2", "ns/Variable"]
    assert store.info("enc/W_2").key == "enc/W"
