"""Programs of tf.contrib.layers calls recorded from TensorFlow (record_layers.py runs
them with tf_slim, contrib.layers' maintained copy) and replayed on
scopejax.compat.v1.contrib.layers (tests/test_compat_layers.py). NumPy only.

Each program is ``fn(layers, tf, *inputs) -> outputs``: ``layers`` is tf_slim or
``tf.contrib.layers``, ``tf`` is ``tf.compat.v1`` or ``scopejax.compat.v1``.
"""

from __future__ import annotations

import numpy as np


def r(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def fc(layers, tf, x):
    h = layers.fully_connected(x, 5)
    h = layers.fully_connected(h, 4, activation_fn=tf.nn.tanh)
    return layers.fully_connected(h, 2, activation_fn=None, scope="logits")


def fc_rank3(layers, tf, x):
    return layers.fully_connected(x, 3, activation_fn=None)


def fc_batch_norm(layers, tf, x):
    return layers.fully_connected(
        x,
        5,
        normalizer_fn=layers.batch_norm,
        normalizer_params={"is_training": True, "scale": True},
    )


def conv(layers, tf, img):
    h = layers.conv2d(img, 4, 3, stride=2)
    h = layers.conv2d(h, 2, [1, 3], padding="VALID", activation_fn=None)
    return layers.conv2d(h, 3, 2, rate=2, scope="dilated")


def conv_bn(layers, tf, img):
    return layers.conv2d(
        img, 4, 3, normalizer_fn=layers.batch_norm, normalizer_params={"decay": 0.9}
    )


def bn_rank4(layers, tf, img):
    return layers.batch_norm(img, decay=0.9, scale=True, is_training=True)


def bn_rank2(layers, tf, x):
    return layers.batch_norm(x, decay=0.5, is_training=True)


def bn_rank3(layers, tf, x):
    return layers.batch_norm(x, decay=0.5, scale=True, is_training=True)


def bn_rank4_unfused(layers, tf, img):
    return layers.batch_norm(img, decay=0.5, is_training=True, fused=False)


def bn_inference(layers, tf, img):
    return layers.batch_norm(img, scale=True, is_training=False, scope="bn")


def ln(layers, tf, x):
    return layers.layer_norm(x)


def ln_last_axis(layers, tf, x):
    h = layers.layer_norm(x, begin_norm_axis=-1, begin_params_axis=-1)
    return layers.layer_norm(h, center=False, scope="second")


IMG = r(4, 5, 5, 3, seed=1)
X2 = r(6, 3, seed=2)
X3 = r(2, 4, 3, seed=3)

PROGRAMS = {
    "fc": (fc, [X2]),
    "fc_rank3": (fc_rank3, [X3]),
    "fc_batch_norm": (fc_batch_norm, [X2]),
    "conv": (conv, [IMG]),
    "conv_bn": (conv_bn, [IMG]),
    "bn_rank4": (bn_rank4, [IMG]),
    "bn_rank2": (bn_rank2, [X2]),
    "bn_rank3": (bn_rank3, [X3]),
    "bn_rank4_unfused": (bn_rank4_unfused, [IMG]),
    "bn_inference": (bn_inference, [IMG]),
    "ln": (ln, [X3]),
    "ln_last_axis": (ln_last_axis, [X3]),
}

COLLECTIONS = ["variables", "trainable_variables", "model_variables", "moving_average_variables"]


def values_for(name: str, shape: list[int]) -> np.ndarray:
    """The value each recorded variable is set to (moving variances kept positive)."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(name))
    v = r(*shape, seed=seed) * 0.5
    return np.abs(v) + 0.5 if "variance" in name else v
