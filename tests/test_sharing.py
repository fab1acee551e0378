"""The sharing patterns, as tested examples."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj


@pytest.mark.slow
def test_autoencoder_decoder_reuses_encoder_kernels_transposed():
    def autoencoder(x):
        with sj.variable_scope("encoder"):
            h = jax.nn.relu(sj.layers.dense(x, 8, name="l1"))
            z = sj.layers.dense(h, 2, name="l2")
        with sj.variable_scope("encoder", reuse=True):  # tie: the same kernels, transposed
            w2 = sj.get_variable("l2/kernel")
            w1 = sj.get_variable("l1/kernel")
        with sj.variable_scope("decoder"):
            b2 = sj.get_variable("b2", [8], initializer=sj.initializers.zeros())
            b1 = sj.get_variable("b1", [x.shape[-1]], initializer=sj.initializers.zeros())
        return jax.nn.relu(z @ w2.T + b2) @ w1.T + b1

    net = sj.transform(autoencoder)
    x = jax.random.normal(jax.random.key(1), [64, 6])
    store = net.init(jax.random.key(0), x)
    assert store.names() == [
        "decoder/b1",
        "decoder/b2",
        "encoder/l1/bias",
        "encoder/l1/kernel",
        "encoder/l2/bias",
        "encoder/l2/kernel",
    ]
    loss = lambda s: jnp.mean((net.apply(s, x) - x) ** 2)  # noqa: E731
    g = jax.grad(loss)(store)
    # the tied kernel gets gradient from both the encoder and the decoder use
    assert float(jnp.abs(g["encoder/l1/kernel"]).sum()) > 0
    opt = optax.adam(0.02)
    st = opt.init(store)
    first = float(loss(store))
    for _ in range(60):
        upd, st = opt.update(jax.grad(loss)(store), st)
        store = optax.apply_updates(store, upd)
    assert float(loss(store)) < 0.8 * first


def discriminator(x):
    h = sj.layers.dense(x, 8, activation=jax.nn.leaky_relu, name="h0")
    return sj.layers.dense(h, 1, name="h1")


@pytest.mark.slow
def test_gan_discriminator_on_real_and_fake_with_one_set_of_weights():
    def gan():
        def generator(z):
            with sj.variable_scope("generator"):
                return sj.layers.dense(z, 3, activation=jnp.tanh, name="out")

        def disc(x):
            with sj.variable_scope("discriminator", reuse=sj.AUTO_REUSE):
                return discriminator(x)

        def init(z, x):
            return disc(generator(z)), disc(x)

        return init, {"generator": generator, "discriminator": disc}

    net = sj.transform_multi(gan)
    z, real = jnp.ones([4, 2]), jnp.ones([4, 3])
    store = net.init(jax.random.key(0), z, real)
    assert [n for n in store.names() if n.startswith("discriminator")] == [
        "discriminator/h0/bias",
        "discriminator/h0/kernel",
        "discriminator/h1/bias",
        "discriminator/h1/kernel",
    ]
    fake = net.apply["generator"](store, z)
    d = net.apply["discriminator"]
    np.testing.assert_array_equal(d(store, fake), d(store, fake))

    # the TF1 way in one function: reopen the scope object with reuse=True
    def both(real, fake):
        with sj.variable_scope("discriminator") as scope:
            d_real = discriminator(real)
        with sj.variable_scope(scope, reuse=True):
            d_fake = discriminator(fake)
        return d_real, d_fake

    net2 = sj.transform(both)
    s2 = net2.init(jax.random.key(0), real, real)
    a, b = net2.apply(s2, real, real)
    np.testing.assert_array_equal(a, b)
    assert len(s2.names()) == 4


@pytest.mark.slow
def test_siamese_towers():
    def tower(x):
        return sj.layers.dense(jax.nn.relu(sj.layers.dense(x, 8, name="fc1")), 4, name="fc2")

    def siamese(a, b):
        with sj.variable_scope("siamese") as scope:
            ha = tower(a)
            scope.reuse_variables()
            hb = tower(b)
        return jnp.sum((ha - hb) ** 2, -1)

    net = sj.transform(siamese)
    x = jax.random.normal(jax.random.key(2), [3, 5])
    store = net.init(jax.random.key(0), x, x)
    assert len(store.names()) == 4
    np.testing.assert_allclose(net.apply(store, x, x), 0.0, atol=1e-10)


@pytest.mark.slow
def test_conv_block_pattern_with_name_scope_and_slash_scope():
    def conv_block(x, filters, block_name):
        with sj.name_scope(block_name):
            with sj.variable_scope(f"{block_name}/conv1"):
                x = sj.layers.conv2d(x, filters, 3, padding="same", name="conv")
            with sj.variable_scope(f"{block_name}/conv2"):
                x = sj.layers.conv2d(x, filters, 3, padding="same", name="conv")
        return jax.nn.relu(x)

    def net_fn(x):
        return conv_block(conv_block(x, 4, "block1"), 8, "block2")

    net = sj.transform(net_fn)
    x = jnp.ones([1, 6, 6, 3])
    store = net.init(jax.random.key(0), x)
    assert store.names() == [
        f"block{b}/conv{c}/conv/{v}" for b in (1, 2) for c in (1, 2) for v in ("bias", "kernel")
    ]
    text = jax.jit(net.apply).lower(store, x).as_text(debug_info=True)
    assert "block1/block1/conv1/conv/conv_general_dilated" in text
