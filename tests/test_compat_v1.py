"""scopejax.compat.v1: the variable layer, initializers, errors, and the ops that need no
TF recording (randomness, control flow, static shapes under jit)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf


def test_the_variable_layer_is_scopejax_own():
    def model(x):
        with tf.variable_scope("enc", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("w", [3, 2], initializer=tf.random_normal_initializer(0, 0.1))
            b = tf.get_variable("b", [2], initializer=tf.constant_initializer(0.5))
            step = tf.Variable(0, name="step", trainable=False)
        with tf.name_scope("stats"):
            tf.add_to_collection("MY", w)
        assert [v.name for v in tf.trainable_variables()] == ["enc/w", "enc/b"]
        assert [v.name for v in tf.global_variables()] == ["enc/w", "enc/b", "enc/step"]
        assert len(tf.get_collection("MY")) == 1
        assert tf.get_variable_scope().name == ""
        assert tf.GraphKeys.TRAINABLE_VARIABLES == "trainable_variables"
        tf.assign_add(step, 1)
        return tf.matmul(x, w) + b

    net = sj.transform(model)
    store = net.init(jax.random.key(0), jnp.ones([1, 3]))
    assert store.names() == ["enc/b", "enc/step", "enc/w"]
    np.testing.assert_allclose(store["enc/b"], [0.5, 0.5])
    _, new = net.apply_with_state(store, jnp.ones([1, 3]))
    assert int(new["enc/step"]) == 1


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda: tf.zeros_initializer(), sj.initializers.Zeros()),
        (lambda: tf.ones_initializer(dtype=tf.float32), sj.initializers.Ones()),
        (lambda: tf.constant_initializer(2.0), sj.initializers.Constant(2.0)),
        (
            lambda: tf.random_normal_initializer(1.0, 2.0, seed=3),
            sj.initializers.RandomNormal(1, 2),
        ),
        (
            lambda: tf.truncated_normal_initializer(stddev=0.02),
            sj.initializers.TruncatedNormal(0.0, 0.02),
        ),
        (
            lambda: tf.random_uniform_initializer(-1, 1),
            sj.initializers.RandomUniform(-1, 1),
        ),
        (lambda: tf.glorot_uniform_initializer(), sj.initializers.GlorotUniform()),
        (lambda: tf.glorot_normal_initializer(), sj.initializers.GlorotNormal()),
        (lambda: tf.orthogonal_initializer(2.0), sj.initializers.Orthogonal(2.0)),
        (
            lambda: tf.variance_scaling_initializer(2.0, "fan_out", "uniform"),
            sj.initializers.VarianceScaling(2.0, "fan_out", "uniform"),
        ),
        (lambda: tf.initializers.he_normal(), sj.initializers.HeNormal()),
        (lambda: tf.contrib.layers.xavier_initializer(), sj.initializers.GlorotUniform()),
    ],
)
def test_initializers_map_onto_scopejax_with_the_same_arguments(make, expected):
    init = make()
    assert type(init).__mro__[-2] is sj.initializers.Initializer
    a = init(jax.random.key(1), (4, 5))
    b = expected(jax.random.key(1), (4, 5))
    np.testing.assert_array_equal(a, b)


def test_contrib_truncated_normal_takes_contribs_stddev():
    # contrib: stddev = sqrt(1.3 * factor / n) before truncation at two stddevs
    x = tf.contrib.layers.xavier_initializer(uniform=False)(jax.random.key(0), (400, 600))
    assert float(jnp.abs(x).max()) <= 2 * np.sqrt(1.3 / 500) * 1.0001
    np.testing.assert_allclose(float(x.std()), 0.87962566 * np.sqrt(1.3 / 500), rtol=0.02)
    y = tf.contrib.layers.variance_scaling_initializer()(jax.random.key(0), (400, 600))
    np.testing.assert_allclose(float(y.std()), 0.87962566 * np.sqrt(2.6 / 400), rtol=0.02)
    with pytest.raises(ValueError, match="FAN_IN"):
        tf.contrib.layers.variance_scaling_initializer(mode="fan_in")


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: tf.placeholder(tf.float32, [None, 3]), "argument of the model function"),
        (lambda: tf.Session(), "net.apply"),
        (lambda: tf.InteractiveSession(), "net.apply"),
        (lambda: tf.global_variables_initializer(), "init"),
        (lambda: tf.get_default_graph(), "get_collection"),
        (lambda: tf.gradients(1, 2), "jax.grad"),
    ],
)
def test_graph_mode_names_say_what_to_write_instead(call, match):
    with pytest.raises(sj.ScopejaxError, match=match):
        call()


def test_reset_default_graph_is_harmless():
    assert tf.reset_default_graph() is None


def test_shape_is_static_under_jit():
    @jax.jit
    def f(x):
        n = tf.shape(x)[0]
        t = tf.tile(tf.reduce_sum(x, axis=1, keepdims=True), [1, tf.shape(x)[1]])
        return tf.reshape(t, [n * tf.shape(x)[1]]), tf.zeros(tf.shape(x)), tf.fill([n], 2)

    flat, z, f2 = f(jnp.ones([2, 3]))
    assert flat.shape == (6,) and z.shape == (2, 3) and f2.dtype == jnp.int32
    assert tf.rank(jnp.ones([2, 3])) == 2 and tf.size(jnp.ones([2, 3])) == 6


def test_python_scalars_take_the_tensors_dtype():
    x = jnp.ones([2], jnp.float32)
    out = tf.multiply(x, -(2**32) + 1)
    assert out.dtype == jnp.float32
    assert tf.add(jnp.ones([2], jnp.int32), 2).dtype == jnp.int32


@pytest.mark.slow
def test_random_ops_and_dropout_draw_from_next_rng_key():
    def f(x):
        a = tf.random_normal([1000], stddev=2.0)
        u = tf.random_uniform([1000], -1, 1)
        t = tf.truncated_normal([1000])
        d = tf.nn.dropout(x, keep_prob=0.75)
        d2 = tf.nn.dropout(x, rate=0.25)
        same = tf.nn.dropout(x, keep_prob=1.0)
        return a, u, t, d, d2, same

    net = sj.transform(f)
    x = jnp.ones([100, 100])
    store = net.init(jax.random.key(0), x)
    a, u, t, d, d2, same = net.apply(store, x, rng=jax.random.key(1))
    assert 1.8 < float(a.std()) < 2.2
    assert float(u.min()) >= -1 and float(u.max()) < 1
    assert float(jnp.abs(t).max()) <= 2
    for out in (d, d2):
        kept = out != 0
        assert 0.72 < float(kept.mean()) < 0.78
        np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert same is x or bool((same == x).all())
    with pytest.raises(sj.MissingRNGError):
        net.apply(store, x)
    with pytest.raises(ValueError, match="exactly one"):
        tf.nn.dropout(x)


def test_dropout_noise_shape_broadcasts():
    def f(x):
        return tf.nn.dropout(x, 0.5, noise_shape=[4, 1])

    net = sj.transform(f)
    x = jnp.ones([4, 6])
    y = net.apply(net.init(jax.random.key(0), x), x, rng=jax.random.key(3))
    assert all(len(set(np.asarray(row).tolist())) == 1 for row in y)


def test_cond_and_while_loop_follow_tf1_calling_conventions():
    def f(x):
        with tf.variable_scope("c"):
            y = tf.cond(
                tf.reduce_sum(x) > 0,
                lambda: x * tf.get_variable("a", [], initializer=tf.ones_initializer()),
                lambda: x * 0,
            )
        i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), [0, 0])
        only = tf.while_loop(lambda k: k < 100, lambda k: k * 2, [1])
        capped = tf.while_loop(lambda k: True, lambda k: k + 1, [0], maximum_iterations=7)
        return y, i, s, only, capped

    net = sj.transform(f)
    store = net.init(jax.random.key(0), jnp.ones([2]))
    assert store.names() == ["c/a"]
    y, i, s, only, capped = jax.jit(net.apply)(store, jnp.ones([2]))
    assert (int(i), int(s), int(only), int(capped)) == (5, 10, 128, 7)
    np.testing.assert_allclose(y, [1, 1])


def test_sequence_mask_under_jit_needs_maxlen():
    with pytest.raises(sj.ScopejaxError, match="maxlen"):
        jax.jit(lambda n: tf.sequence_mask(n))(jnp.array([1, 2]))
    assert jax.jit(lambda n: tf.sequence_mask(n, 3))(jnp.array([1, 2])).shape == (2, 3)
