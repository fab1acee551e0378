# %% [markdown]
# # Sharing and modules: `sj.Module`, layers, and the five TF1 sharing patterns
#
# The first notebook (`01_variables_and_scopes`) built everything from `get_variable` and
# `variable_scope`. Real TF1 code rarely does that by hand. It uses `tf.layers`
# (`tf.layers.dense(x, 256, name="fc1")`), layer objects, RNN cells, and a handful of
# well-known **sharing patterns**. This notebook shows all of them in scopejax, with the same
# variable names TF1 would give, so old checkpoints still map by name.
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax |
# |---|---|
# | `tf.Module`, `tf.layers.Layer` subclasses | `sj.Module` subclasses |
# | `tf.layers.dense / conv2d / max_pooling2d / batch_normalization` | `sj.layers.*`, same arguments |
# | `tf.layers.Dense(...)` objects | `sj.nn.Dense(...)`, `sj.nn.Conv2D`, ... |
# | `tf.nn.rnn_cell.LSTMCell`, `tf.nn.dynamic_rnn` | `sj.nn.LSTMCell`, `sj.nn.dynamic_rnn` |
# | `tf.get_collection(tf.GraphKeys.UPDATE_OPS)` | `apply_with_state(...)` returns the new store |
# | `variable_scope(..., custom_getter=...)` | the same, plus ready-made `sj.getters` |
#
# Contents:
#
# 1. `sj.Module`: objects that own a variable scope
# 2. Layers both ways: functional `sj.layers` and module `sj.nn`
# 3. The five sharing patterns: tied autoencoder, GAN, siamese towers, conv blocks, RNNs
# 4. Custom getters: mixed precision and weight normalisation

# %%
import contextlib
import functools
import re

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import scopejax as sj

print("jax", jax.__version__, "| scopejax", sj.__version__, "| backend", jax.default_backend())

# %% [markdown]
# As in the first notebook, `expect_error` runs code that must fail. It prints the error and
# fails the cell if nothing is raised or if the message is not the expected one.

# %%
@contextlib.contextmanager
def expect_error(exc_type, match):
    # Expect exc_type whose message matches the regex `match`; print the message.
    try:
        yield
    except exc_type as e:
        print(f"{type(e).__name__}: {e}")
        assert re.search(match, str(e)), f"unexpected message: {e}"
    else:
        raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


def op_scopes(lowered_text, fn_name):
    # The distinct name scopes of the ops in a lowered program (its debug locations).
    pattern = r'loc\("jit\(' + re.escape(fn_name) + r'\)/(.*)/[^/"]+"'
    return sorted(set(re.findall(pattern, lowered_text)))

# %% [markdown]
# ## 1. `sj.Module`: objects that own a variable scope
#
# A module is the `tf.Module` idea (and TF1's `tf.layers.Layer`). When it is built it picks a
# **variable scope**, named after the class in snake case and made unique (`mlp`, `mlp_1`).
# Every public method then runs inside that scope:
#
# * variables are created **lazily**, on the first call, because only then are the input
#   shapes known;
# * later calls, from any public method, **share** them;
# * submodules built in `__init__` are named under the parent's scope (`mlp/linear_1/w`).
#
# Below, `Linear` calls `get_variable` itself, and `MLP` builds `Linear` submodules and owns one
# variable of its own, a frozen output scale.

# %%
class Linear(sj.Module):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.units = units

    def __call__(self, x):
        w = sj.get_variable("w", [x.shape[-1], self.units])
        b = sj.get_variable("b", [self.units], initializer=sj.initializers.zeros())
        return x @ w + b


class MLP(sj.Module):
    def __init__(self, sizes, name=None, reuse=None):
        super().__init__(name=name, reuse=reuse)
        self.layers = [Linear(n) for n in sizes]  # built here: named mlp/linear, mlp/linear_1

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = jax.nn.relu(layer(x))
        y = self.layers[-1](x)
        scale = sj.get_variable("scale", [], trainable=False,
                                initializer=sj.initializers.constant(2.0))
        return scale * y


def two_mlps(x):
    a, b = MLP([16, 4]), MLP([16, 4])
    before_call = [v.name for v in a.variables]  # nothing created yet: lazy
    ya = a(x)
    ya_again = a(x)  # second call: shares a's variables
    yb = b(x)
    report = {
        "scope names": (a.scope_name, b.scope_name),
        "a.variables before the first call": before_call,
        "a.variables": [v.name for v in a.variables],
        "a.trainable_variables": [v.name for v in a.trainable_variables],
        "a.submodules": [m.scope_name for m in a.submodules],
        "repr": repr(a),
    }
    return ya, ya_again, yb, report


mlp_net = sj.transform(two_mlps)
x = jax.random.normal(jax.random.key(1), (3, 5))
mlp_store = mlp_net.init(jax.random.key(0), x)
ya, ya_again, yb, report = mlp_net.apply(mlp_store, x)
for k, v in report.items():
    print(f"{k:36s} {v}")
print()
print(mlp_store.summary())

# %% [markdown]
# The two `MLP`s got the scopes `mlp` and `mlp_1`. Calling `a` twice created nothing new, and
# `a.trainable_variables` leaves out the frozen `scale`. Each module draws its own initial
# values, because every variable's initial value depends on its full name.

# %%
assert report["scope names"] == ("mlp", "mlp_1")
assert report["a.variables before the first call"] == []
assert report["a.variables"] == ["mlp/linear/w", "mlp/linear/b", "mlp/linear_1/w",
                                 "mlp/linear_1/b", "mlp/scale"]
assert report["a.trainable_variables"] == ["mlp/linear/w", "mlp/linear/b",
                                           "mlp/linear_1/w", "mlp/linear_1/b"]
assert report["a.submodules"] == ["mlp/linear", "mlp/linear_1"]
assert report["repr"] == "MLP(scope='mlp')"
assert len(mlp_store.names()) == 10  # 5 per MLP; the second call of `a` added none
assert mlp_store.non_trainable().names() == ["mlp/scale", "mlp_1/scale"]
np.testing.assert_array_equal(ya, ya_again)  # same module, same weights
assert not np.allclose(ya, yb)  # another module, other weights

# %% [markdown]
# ### Explicit names collide loudly
#
# An explicit `name=` is used as given, without uniquifying, exactly like
# `tf.variable_scope("head")`. A second module with the same name therefore tries to
# **create** `head/...` again and fails with TF1's error. To share on purpose, say so with
# `reuse=True` (or reuse the same module object).

# %%
def two_heads(x):
    MLP([4], name="head")(x)
    return MLP([4], name="head")(x)  # same explicit name, reuse not set


with expect_error(sj.VariableExistsError, r"Variable head/linear/w already exists, disallowed"):
    sj.transform(two_heads).init(jax.random.key(0), x)

assert issubclass(sj.VariableExistsError, ValueError)  # TF1 code catching ValueError still works


def shared_heads(x):
    y1 = MLP([4], name="head")(x)
    y2 = MLP([4], name="head", reuse=True)(x)  # shares head/...
    return y1, y2


shared_net = sj.transform(shared_heads)
shared_store = shared_net.init(jax.random.key(0), x)
y1, y2 = shared_net.apply(shared_store, x)
np.testing.assert_array_equal(y1, y2)
print(shared_store.names())
assert shared_store.names() == ["head/linear/b", "head/linear/w", "head/scale"]

# %% [markdown]
# ### Modules are built inside `transform`
#
# A module needs the current variable scope when it is built, and scopes only exist while a
# transformed function runs. Building one at the top level is an error that shows the fix:

# %%
with expect_error(sj.NotInTransformError, r"must be built and used inside a function "
                                          r"transformed with scopejax\.transform"):
    MLP([4])

# %% [markdown]
# ## 2. Layers both ways: `sj.layers` and `sj.nn`
#
# scopejax ships TF1's layers in two forms:
#
# * **functional**, as `tf.layers`: `sj.layers.dense(x, 32, activation=..., name="fc1")`.
#   Each call builds a layer and applies it once. Without `name=`, the names are uniquified
#   (`max_pooling2d`, `max_pooling2d_1`), and `name=..., reuse=True` shares.
# * **modules**, as `tf.layers.Dense` objects: `sj.nn.Dense(32, name="fc1")(x)`.
#
# Both give TF1's variable names (`conv1/kernel`, `bn1/moving_mean`, ...). Here is a small CNN
# for 8x8 single-channel images, in the functional form. Batch normalisation takes a
# `training` flag, as in TF1.

# %%
def cnn(x, training=False):
    h = sj.layers.conv2d(x, 8, 3, padding="same", activation=jax.nn.relu, name="conv1")
    h = sj.layers.batch_normalization(h, training=training, name="bn1")
    h = sj.layers.max_pooling2d(h, 2, 2)  # no variables; scope max_pooling2d
    h = sj.layers.conv2d(h, 8, 3, padding="same", activation=jax.nn.relu, name="conv2")
    h = sj.layers.max_pooling2d(h, 2, 2)  # max_pooling2d_1
    h = sj.layers.flatten(h)
    h = sj.layers.dense(h, 32, activation=jax.nn.relu, name="fc1")
    return sj.layers.dense(h, 10, name="logits")


cnn_net = sj.transform(cnn)
images = jax.random.uniform(jax.random.key(1), (16, 8, 8, 1))
cnn_store = cnn_net.init(jax.random.key(0), images)
print(cnn_store.summary())

# %% [markdown]
# The same network with module objects. Because initial values depend only on the key and the
# full variable name, the two forms give **the same store**, value for value, and the same
# outputs.

# %%
def cnn_modules(x, training=False):
    h = sj.nn.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(x)
    h = sj.nn.BatchNormalization(name="bn1")(h, training=training)
    h = sj.nn.MaxPooling2D(2, 2)(h)
    h = sj.nn.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(h)
    h = sj.nn.MaxPooling2D(2, 2)(h)
    h = sj.nn.Flatten()(h)
    h = sj.nn.Dense(32, activation="relu", name="fc1")(h)
    return sj.nn.Dense(10, name="logits")(h)


cnn_mod_net = sj.transform(cnn_modules)
cnn_mod_store = cnn_mod_net.init(jax.random.key(0), images)

assert cnn_mod_store.names() == cnn_store.names() == [
    "bn1/beta", "bn1/gamma", "bn1/moving_mean", "bn1/moving_variance",
    "conv1/bias", "conv1/kernel", "conv2/bias", "conv2/kernel",
    "fc1/bias", "fc1/kernel", "logits/bias", "logits/kernel",
]
for name in cnn_store.names():
    np.testing.assert_array_equal(cnn_store[name], cnn_mod_store[name])
np.testing.assert_allclose(cnn_net.apply(cnn_store, images),
                           cnn_mod_net.apply(cnn_mod_store, images), rtol=1e-6)
assert cnn_store.info("conv2/kernel").shape == (3, 3, 8, 8)  # TF1's HWIO layout
assert cnn_store.non_trainable().names() == ["bn1/moving_mean", "bn1/moving_variance"]
print("functional and module forms agree")

# %% [markdown]
# ### Batch normalisation: `training=True` needs `apply_with_state`
#
# With `training=True`, batch norm normalises with the batch statistics and updates its moving
# averages, `moving = momentum * moving + (1 - momentum) * batch` (momentum 0.99, TF1's
# default). In TF1 that update was an op in `UPDATE_OPS` that you had to remember to run.
# In scopejax, `net.apply_with_state(store, ...)` returns `(output, new_store)`. Calling the
# stateless `net.apply` instead is an error rather than a silently dropped update:

# %%
with expect_error(sj.AssignError, r"bn1/moving_mean.*apply_with_state"):
    cnn_net.apply(cnn_store, images, training=True)

# %%
logits, updated = cnn_net.apply_with_state(cnn_store, images, training=True)
print("moving_mean     before:", cnn_store["bn1/moving_mean"])
print("moving_mean     after: ", updated["bn1/moving_mean"])
print("moving_variance after: ", updated["bn1/moving_variance"])

# %% [markdown]
# Check the update by hand. The store holds plain arrays, so the statistics that batch norm
# saw (the output of `conv1`) can be recomputed directly from `conv1/kernel` and `conv1/bias`.
# One TF1 detail: for 4-D NHWC inputs TF1 takes its *fused* batch-norm kernel, which feeds
# the **unbiased** batch variance (`ddof=1`) into the moving average. scopejax does the same.

# %%
pre_bn = jax.nn.relu(
    jax.lax.conv_general_dilated(images, cnn_store["conv1/kernel"], (1, 1), "SAME",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    + cnn_store["conv1/bias"]
)
batch_mean = pre_bn.mean(axis=(0, 1, 2))
batch_var = pre_bn.var(axis=(0, 1, 2), ddof=1)  # unbiased: TF1's fused path
np.testing.assert_allclose(updated["bn1/moving_mean"],
                           0.99 * cnn_store["bn1/moving_mean"] + 0.01 * batch_mean,
                           rtol=1e-5, atol=1e-7)
np.testing.assert_allclose(updated["bn1/moving_variance"],
                           0.99 * cnn_store["bn1/moving_variance"] + 0.01 * batch_var,
                           rtol=1e-6)

# Only the statistics changed; the trainable weights are untouched.
for name in cnn_store.trainable().names():
    np.testing.assert_array_equal(updated[name], cnn_store[name])

# Inference (training=False) reads the moving statistics: the stateless apply is enough.
assert cnn_net.apply(updated, images).shape == (16, 10)

# Under jit, `training` is a Python flag: bind it with functools.partial.
train_mode = jax.jit(functools.partial(cnn_net.apply_with_state, training=True))
_, updated_jit = train_mode(cnn_store, images)
np.testing.assert_allclose(updated_jit["bn1/moving_mean"], updated["bn1/moving_mean"],
                           rtol=1e-5, atol=1e-7)

# %% [markdown]
# With 1,024 values per channel the two variances differ by 0.1%, too little to see above.
# On a tiny batch the difference is clear. A rank-4 input takes the fused path (unbiased,
# `n / (n - 1)`), a rank-2 input the plain path (biased), and `fused=False` forces the plain
# path, as `tf.layers.batch_normalization(..., fused=False)` does.

# %%
def bn_only(x, **kw):
    return sj.layers.batch_normalization(x, training=True, momentum=0.0, **kw)  # moving := batch


tiny = jnp.array([0.0, 1.0, 2.0, 5.0]).reshape(2, 2, 1, 1)  # NHWC, n = 4 values, 1 channel
for label, x_bn, kw in [("NHWC (fused)", tiny, {}),
                        ("NHWC, fused=False", tiny, {"fused": False}),
                        ("rank 2", tiny.reshape(4, 1), {})]:
    bn_net = sj.transform(functools.partial(bn_only, **kw))
    _, bn_state = bn_net.apply_with_state(bn_net.init(jax.random.key(0), x_bn), x_bn)
    got = float(bn_state["batch_normalization/moving_variance"][0])
    print(f"{label:18s} moving_variance = {got:.4f}")
    expected = np.var(tiny, ddof=1 if label == "NHWC (fused)" else 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
print("biased:", np.var(tiny), "| unbiased:", np.var(tiny, ddof=1))

# %% [markdown]
# Layer scopes also reach the compiled program, as every `variable_scope` does. The module
# form and the functional form group their operations the same way:

# %%
cnn_hlo = jax.jit(cnn_net.apply).lower(cnn_store, images).as_text(debug_info=True)
print(op_scopes(cnn_hlo, "cnn_apply"))
assert op_scopes(cnn_hlo, "cnn_apply") == [
    "bn1", "conv1", "conv2", "fc1", "flatten", "logits", "max_pooling2d", "max_pooling2d_1"
]
mod_hlo = jax.jit(cnn_mod_net.apply).lower(cnn_mod_store, images).as_text(debug_info=True)
assert op_scopes(mod_hlo, "cnn_modules_apply") == op_scopes(cnn_hlo, "cnn_apply")

# %% [markdown]
# ## 3. The five sharing patterns
#
# TF1 programs share weights in five recurring ways. Each one below is a runnable program
# with assertions that pin down the sharing.
#
# ### 3a. An autoencoder with tied weights
#
# The decoder reuses the encoder's kernels, transposed: `x -> relu(x W1) -> W2 -> code`, then
# `code -> relu(code W2^T) -> sigmoid(. W1^T)`. In TF1 you reopen the encoder's scope with
# `reuse=True` and ask for the existing kernels by name. `get_variable` needs no shape for a
# variable that already exists. Only the decoder's biases are new.
#
# The data are 8x8 "images" made of one or two Gaussian blobs, generated with numpy.

# %%
def make_blobs(n, size=8, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    imgs = np.zeros((n, size, size), np.float32)
    for img in imgs:
        for _ in range(rng.integers(1, 3)):  # one or two blobs
            cy, cx = rng.uniform(1, size - 2, 2)
            width = rng.uniform(0.8, 1.6)
            img += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * width**2))
    return np.clip(imgs, 0.0, 1.0)


blobs = make_blobs(512)
X = jnp.asarray(blobs.reshape(len(blobs), -1))  # flattened: (512, 64)
print("images", blobs.shape, "| pixel range", blobs.min(), "to", blobs.max())
assert X.shape == (512, 64) and 0.0 <= blobs.min() and blobs.max() <= 1.0

# %%
def tied_autoencoder(x):
    with sj.variable_scope("encoder"):
        h = sj.layers.dense(x, 32, activation=jax.nn.relu, name="l1")
        code = sj.layers.dense(h, 8, name="l2")
    with sj.variable_scope("encoder", reuse=True):  # share: the kernels must already exist
        w2 = sj.get_variable("l2/kernel")  # (32, 8), no shape needed
        w1 = sj.get_variable("l1/kernel")  # (64, 32)
    with sj.variable_scope("decoder"):
        b2 = sj.get_variable("b2", [w2.shape[0]], initializer=sj.initializers.zeros())
        b1 = sj.get_variable("b1", [w1.shape[0]], initializer=sj.initializers.zeros())
        h = jax.nn.relu(code @ w2.T + b2)
        return jax.nn.sigmoid(h @ w1.T + b1)


ae = sj.transform(tied_autoencoder)
ae_store = ae.init(jax.random.key(0), X)
print(ae_store.summary())

# %% [markdown]
# There are no decoder kernels: the store holds 2,440 parameters where an untied autoencoder
# would hold 4,744. To check that the decoder really reads the encoder's kernels, recompute
# the reconstruction by hand from the stored arrays:

# %%
assert ae_store.names() == ["decoder/b1", "decoder/b2", "encoder/l1/bias", "encoder/l1/kernel",
                            "encoder/l2/bias", "encoder/l2/kernel"]
untied_params = ae_store.num_params + 64 * 32 + 32 * 8
print("tied:", ae_store.num_params, "params | untied:", untied_params)
assert (ae_store.num_params, untied_params) == (2440, 4744)

s = ae_store
W1, W2 = s["encoder/l1/kernel"], s["encoder/l2/kernel"]
code_ = jax.nn.relu(X @ W1 + s["encoder/l1/bias"]) @ W2 + s["encoder/l2/bias"]
by_hand = jax.nn.sigmoid(jax.nn.relu(code_ @ W2.T + s["decoder/b2"]) @ W1.T + s["decoder/b1"])
np.testing.assert_allclose(ae.apply(ae_store, X), by_hand, rtol=1e-5, atol=1e-6)

# %% [markdown]
# The gradient of a tied kernel collects contributions from both of its uses, in the encoder
# and in the decoder, as it did in TF1. Check it against the hand-written model with the two
# uses of `W1` as separate arguments:

# %%
def ae_loss(params, x):
    return jnp.mean((ae.apply(params, x) - x) ** 2)


def by_hand_loss(w1_enc, w1_dec):
    h = jax.nn.relu(X @ w1_enc + s["encoder/l1/bias"]) @ W2 + s["encoder/l2/bias"]
    out = jax.nn.sigmoid(jax.nn.relu(h @ W2.T + s["decoder/b2"]) @ w1_dec.T + s["decoder/b1"])
    return jnp.mean((out - X) ** 2)


g_tied = jax.grad(ae_loss)(ae_store, X)["encoder/l1/kernel"]
g_enc, g_dec = jax.grad(by_hand_loss, argnums=(0, 1))(W1, W1)
print("|grad| via encoder use:", float(jnp.abs(g_enc).sum()),
      "| via decoder use:", float(jnp.abs(g_dec).sum()))
np.testing.assert_allclose(g_tied, g_enc + g_dec, rtol=1e-4, atol=1e-7)
assert float(jnp.abs(g_enc).sum()) > 0 and float(jnp.abs(g_dec).sum()) > 0

# %% [markdown]
# Train it briefly with optax, over the whole store (every variable here is trainable).

# %%
ae_opt = optax.adam(1e-2)


@jax.jit
def ae_step(params, opt_state, x):
    loss, grads = jax.value_and_grad(ae_loss)(params, x)
    updates, opt_state = ae_opt.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


ae_params, ae_opt_state = ae_store, ae_opt.init(ae_store)
ae_losses = []
for step in range(400):
    batch = X[(step * 64) % 512:][:64]
    ae_params, ae_opt_state, loss = ae_step(ae_params, ae_opt_state, batch)
    ae_losses.append(float(loss))
print(f"reconstruction MSE: {ae_losses[0]:.4f} -> {ae_losses[-1]:.4f}")

# %%
recon = np.asarray(ae.apply(ae_params, X[:8])).reshape(8, 8, 8)
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for i in range(8):
    axes[0, i].imshow(blobs[i], cmap="gray", vmin=0, vmax=1)
    axes[1, i].imshow(recon[i], cmap="gray", vmin=0, vmax=1)
    for ax in axes[:, i]:
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("input")
axes[1, 0].set_ylabel("tied\nrecon.")
fig.suptitle("inputs vs reconstructions, decoder = encoder kernels transposed")
plt.show()

# %%
assert ae_losses[-1] < 0.1 * ae_losses[0], ae_losses[-1]
assert ae_params.names() == ae_store.names()  # training added no variables
assert float(jnp.mean((recon - blobs[:8]) ** 2)) < 0.01

# %% [markdown]
# ### 3b. A GAN: one discriminator for real and fake batches, with `transform_multi`
#
# A GAN has two networks and several programs: sample from the generator, score a batch with
# the discriminator, or do both. `sj.transform_multi` builds several **entry points over one
# store**. Its argument `f()` returns an `init` function that creates every variable, and the
# entry points. The discriminator opens its scope with `AUTO_REUSE`, so the real and the fake
# batches go through one set of weights.
#
# The "real" data are 2-D points from a Gaussian centred at `(2, -1)`.

# %%
TARGET_MEAN = jnp.array([2.0, -1.0])


def sample_real(key, n):
    return TARGET_MEAN + 0.5 * jax.random.normal(key, (n, 2))


def gan():
    def generator(z):
        with sj.variable_scope("generator"):
            h = sj.layers.dense(z, 16, activation=jax.nn.relu, name="h0")
            return sj.layers.dense(h, 2, name="out")

    def discriminator(x):
        with sj.variable_scope("discriminator", reuse=sj.AUTO_REUSE):
            h = sj.layers.dense(x, 16, activation=jax.nn.leaky_relu, name="h0")
            return sj.layers.dense(h, 1, name="logit")[:, 0]

    def scores(z, real):  # the classic TF1 graph: D on real and on G(z), shared weights
        return discriminator(real), discriminator(generator(z))

    return scores, {"generator": generator, "discriminator": discriminator, "scores": scores}


gan_net = sj.transform_multi(gan)
G = gan_net.apply["generator"]
D = gan_net.apply["discriminator"]
scores = gan_net.apply["scores"]

z = jax.random.normal(jax.random.key(1), (64, 2))
real = sample_real(jax.random.key(2), 64)
gan_store = gan_net.init(jax.random.key(0), z, real)
print(gan_store.summary())

# %% [markdown]
# Two checks pin down the sharing:
#
# * **Fed the same batch, `d(real)` equals `d(fake)`.** Pass the generated batch as the "real"
#   one: both discriminator calls in `scores` must then give identical logits.
# * **Entry points only touch what they use.** The discriminator's loss, computed through the
#   `discriminator` entry point alone on a fixed fake batch, has zero gradient with respect to
#   the generator's variables. The generator's loss runs both networks, so its gradient reaches
#   the generator.

# %%
bce = optax.sigmoid_binary_cross_entropy

fake = G(gan_store, z)
d_real, d_fake = scores(gan_store, z, fake)  # "real" := the fake batch
np.testing.assert_array_equal(d_real, d_fake)
d_real, d_fake = scores(gan_store, z, real)
assert not np.allclose(d_real, d_fake)  # different batches, different scores


def d_loss(store, real, fake):
    lr, lf = D(store, real), D(store, fake)
    return jnp.mean(bce(lr, jnp.ones_like(lr)) + bce(lf, jnp.zeros_like(lf)))


def g_loss(store, z):
    lf = D(store, G(store, z))
    return jnp.mean(bce(lf, jnp.ones_like(lf)))


d_grads = jax.grad(d_loss)(gan_store, real, fake)
g_grads = jax.grad(g_loss)(gan_store, z)
norms = {n: (float(jnp.abs(d_grads[n]).sum()), float(jnp.abs(g_grads[n]).sum()))
         for n in gan_store.names()}
print(f"{'variable':28s} |grad d_loss|  |grad g_loss|")
for n, (gd, gg) in norms.items():
    print(f"{n:28s} {gd:12.4f} {gg:13.4f}")

for n, (gd, gg) in norms.items():
    if n.startswith("generator/"):
        assert gd == 0.0 and gg > 0.0, n
    else:
        assert gd > 0.0, n

# %% [markdown]
# Now train it. The TF1 recipe `var_list=[v for v in tf.trainable_variables() if
# v.name.startswith("discriminator/")]` becomes a partition of the store by regex, with one
# optimizer per half. An entry point accepts a **partial** store, so the generator runs on
# `g_params` alone.

# %%
d_params, g_params = gan_store.partition(regex=r"^discriminator/")
print("d_vars:", d_params.names())
print("g_vars:", g_params.names())
d_opt, g_opt = optax.adam(2e-3, b1=0.5), optax.adam(2e-3, b1=0.5)
d_opt_state, g_opt_state = d_opt.init(d_params), g_opt.init(g_params)


def d_loss_split(d_params, g_params, z, real):
    return d_loss(d_params, real, G(g_params, z))


def g_loss_split(g_params, d_params, z):
    lf = D(d_params, G(g_params, z))
    return jnp.mean(bce(lf, jnp.ones_like(lf)))


@jax.jit
def gan_step(d_params, g_params, d_opt_state, g_opt_state, key):
    k_z, k_real, k_z2 = jax.random.split(key, 3)
    z, real = jax.random.normal(k_z, (128, 2)), sample_real(k_real, 128)
    d_l, grads = jax.value_and_grad(d_loss_split)(d_params, g_params, z, real)
    updates, d_opt_state = d_opt.update(grads, d_opt_state, d_params)
    d_params = optax.apply_updates(d_params, updates)
    g_l, grads = jax.value_and_grad(g_loss_split)(g_params, d_params,
                                                  jax.random.normal(k_z2, (128, 2)))
    updates, g_opt_state = g_opt.update(grads, g_opt_state, g_params)
    g_params = optax.apply_updates(g_params, updates)
    return d_params, g_params, d_opt_state, g_opt_state, d_l, g_l


z_eval = jax.random.normal(jax.random.key(9), (1000, 2))
before = G(g_params, z_eval)
for step in range(400):
    d_params, g_params, d_opt_state, g_opt_state, d_l, g_l = gan_step(
        d_params, g_params, d_opt_state, g_opt_state, jax.random.fold_in(jax.random.key(3), step))
after = G(g_params, z_eval)
print(f"final losses: d {float(d_l):.3f}, g {float(g_l):.3f} (equilibrium: 2 ln 2 = 1.386, ln 2)")
print("generated mean: before", np.round(before.mean(0), 2), "-> after", np.round(after.mean(0), 2))

# %% [markdown]
# After 400 steps the generated points have moved onto the real cloud. A generator this small
# (one ReLU layer) matches the location and spread of the data, not its exact shape.

# %%
real_eval = sample_real(jax.random.key(10), 1000)
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(*real_eval.T, s=3, alpha=0.4, label="real")
ax.scatter(*before.T, s=3, alpha=0.4, label="generated, step 0")
ax.scatter(*after.T, s=3, alpha=0.4, label="generated, step 400")
ax.legend(markerscale=4, fontsize=8)
ax.set_title("GAN on a 2-D Gaussian, 400 steps")
plt.show()

assert float(jnp.linalg.norm(after.mean(0) - TARGET_MEAN)) < 0.6
assert float(jnp.linalg.norm(before.mean(0) - TARGET_MEAN)) > 1.5
assert sorted(sj.merge(d_params, g_params).names()) == gan_store.names()

# %% [markdown]
# ### 3c. Siamese towers: `scope.reuse_variables()`
#
# Two inputs go through the same tower, and the model compares the two embeddings. The TF1
# idiom builds the first tower, calls `scope.reuse_variables()`, then builds the second. The
# second tower's `dense(..., name="fc1")` then shares `siamese/fc1/...` instead of creating it.
# Its operations still get their own name scopes (`siamese/fc1_1`), as in TF1.

# %%
def tower(x):
    h = sj.layers.dense(x, 16, activation=jax.nn.relu, name="fc1")
    return sj.layers.dense(h, 4, name="fc2")


def siamese(a, b):
    with sj.variable_scope("siamese") as scope:
        emb_a = tower(a)
        scope.reuse_variables()  # from here on, this scope only shares
        emb_b = tower(b)
    return jnp.sqrt(jnp.sum((emb_a - emb_b) ** 2, axis=-1))


siamese_net = sj.transform(siamese)
left = jax.random.normal(jax.random.key(1), (5, 6))
right = jax.random.normal(jax.random.key(2), (5, 6))
siamese_store = siamese_net.init(jax.random.key(0), left, right)
dist = siamese_net.apply(siamese_store, left, right)
print(siamese_store.names())
print("distances:", dist)

siamese_hlo = jax.jit(siamese_net.apply).lower(siamese_store, left, right)
print("op name scopes:", op_scopes(siamese_hlo.as_text(debug_info=True), "siamese_apply"))

# %%
assert siamese_store.names() == ["siamese/fc1/bias", "siamese/fc1/kernel",
                                 "siamese/fc2/bias", "siamese/fc2/kernel"]
np.testing.assert_array_equal(siamese_net.apply(siamese_store, left, left), 0.0)
np.testing.assert_array_equal(dist, siamese_net.apply(siamese_store, right, left))  # symmetric
assert op_scopes(siamese_hlo.as_text(debug_info=True), "siamese_apply") == [
    "siamese/fc1", "siamese/fc1_1", "siamese/fc2", "siamese/fc2_1"
]

# %% [markdown]
# ### 3d. Conv blocks: `name_scope(block)` around `variable_scope(f"{block}/conv1")`
#
# A common TF1 helper opens a `name_scope` for the block, to group its ops in TensorBoard,
# and full-path variable scopes for the weights. The variable names come from the variable
# scopes only: `block1/conv1/conv2d/kernel`. The op names nest both kinds of scope, and that
# gives TF1's well-known doubled prefix `block1/block1/conv1/...`. The pooling layer sits
# under the block's name scope alone.
#
# Variable names decide checkpoints; op names decide how the profiler groups the work.
# scopejax reproduces both.

# %%
def conv_block(x, filters, block_name):
    with sj.name_scope(block_name):
        with sj.variable_scope(f"{block_name}/conv1"):
            x = sj.layers.conv2d(x, filters, 3, padding="same", activation=jax.nn.relu)
        with sj.variable_scope(f"{block_name}/conv2"):
            x = sj.layers.conv2d(x, filters, 3, padding="same", activation=jax.nn.relu)
        return sj.layers.max_pooling2d(x, 2, 2)


def convnet(x):
    return conv_block(conv_block(x, 8, "block1"), 8, "block2")


conv_net = sj.transform(convnet)
conv_store = conv_net.init(jax.random.key(0), images)
print("variables:")
print("\n".join("  " + n for n in conv_store.names()))

conv_hlo = jax.jit(conv_net.apply).lower(conv_store, images).as_text(debug_info=True)
print("op name scopes in the lowered program:")
print("\n".join("  " + s for s in op_scopes(conv_hlo, "convnet_apply")))
print("e.g.", [ln.strip() for ln in conv_hlo.splitlines() if "conv_general_dilated\"" in ln][0])

# %%
assert conv_store.names() == [
    f"{b}/{c}/conv2d/{v}" for b in ("block1", "block2") for c in ("conv1", "conv2")
    for v in ("bias", "kernel")
]
assert op_scopes(conv_hlo, "convnet_apply") == [
    "block1/block1/conv1/conv2d", "block1/block1/conv2/conv2d", "block1/max_pooling2d",
    "block2/block2/conv1/conv2d", "block2/block2/conv2/conv2d", "block2/max_pooling2d",
]
assert "block2/block2/conv2/conv2d/conv_general_dilated" in conv_hlo
assert conv_net.apply(conv_store, images).shape == (16, 2, 2, 8)

# %% [markdown]
# ### 3e. RNNs: one cell, every time step
#
# `sj.nn.dynamic_rnn(sj.nn.LSTMCell(H), x)` unrolls the cell over time under the scope `rnn`.
# The cell picks its scope at its **first call**, as TF1's cells do, so the variables are
# `rnn/lstm_cell/kernel` (shape `[features + H, 4H]`, gates `i, j, f, o`) and
# `rnn/lstm_cell/bias`. These are the names in a TF1 checkpoint.
#
# The same cell unrolled by hand, in the pre-`dynamic_rnn` TF1 style, opens `rnn` itself and
# calls `scope.reuse_variables()` after step 0. It needs the same two variables, so the store
# made for `dynamic_rnn` serves both programs.

# %%
B, T, F, H = 3, 6, 2, 5
seq = jax.random.normal(jax.random.key(1), (B, T, F))


def with_dynamic_rnn(x):
    cell = sj.nn.LSTMCell(H)
    outputs, state = sj.nn.dynamic_rnn(cell, x)
    return outputs, state, cell.scope_name


def unrolled_by_hand(x):
    cell = sj.nn.LSTMCell(H)
    state = cell.zero_state(x.shape[0])
    outputs = []
    with sj.variable_scope("rnn") as scope:
        for t in range(x.shape[1]):
            if t > 0:
                scope.reuse_variables()
            out, state = cell(x[:, t], state)
            outputs.append(out)
    return jnp.stack(outputs, axis=1), state, cell.scope_name


dyn_net, hand_net = sj.transform(with_dynamic_rnn), sj.transform(unrolled_by_hand)
rnn_store = dyn_net.init(jax.random.key(0), seq)
print(rnn_store)

out_dyn, state_dyn, scope_dyn = dyn_net.apply(rnn_store, seq)
out_hand, state_hand, scope_hand = hand_net.apply(rnn_store, seq)  # the same store
print("cell scopes:", scope_dyn, "|", scope_hand, "| outputs", out_dyn.shape)

# %%
assert rnn_store.names() == ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel"]
assert rnn_store.info("rnn/lstm_cell/kernel").shape == (F + H, 4 * H)
assert scope_dyn == scope_hand == "rnn/lstm_cell"
assert hand_net.init(jax.random.key(0), seq).names() == rnn_store.names()

np.testing.assert_array_equal(out_dyn, out_hand)
np.testing.assert_array_equal(state_dyn.c, state_hand.c)
np.testing.assert_array_equal(state_dyn.h, state_hand.h)
np.testing.assert_array_equal(out_dyn[:, -1], state_dyn.h)

# TF1's LSTM math for step 0, by hand: gates i, j, f, o and forget_bias = 1.
kernel, bias = rnn_store["rnn/lstm_cell/kernel"], rnn_store["rnn/lstm_cell/bias"]
gates = jnp.concatenate([seq[:, 0], jnp.zeros([B, H])], axis=1) @ kernel + bias
i, j, f, o = jnp.split(gates, 4, axis=1)
c0 = jax.nn.sigmoid(i) * jnp.tanh(j)  # the previous c is zero
np.testing.assert_allclose(out_dyn[:, 0], jax.nn.sigmoid(o) * jnp.tanh(c0), rtol=1e-5, atol=1e-6)

# %% [markdown]
# The same naming holds for stacked cells, with TF1's `cell_0`, `cell_1` scopes:

# %%
def stacked(x):
    cell = sj.nn.MultiRNNCell([sj.nn.LSTMCell(4), sj.nn.GRUCell(3)])
    return sj.nn.dynamic_rnn(cell, x)[0]


stacked_store = sj.transform(stacked).init(jax.random.key(0), seq)
print("\n".join(stacked_store.names()))
assert stacked_store.names() == [
    "rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
    "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
    "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
    "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
    "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
    "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel",
]

# %% [markdown]
# ## 4. Custom getters
#
# A TF1 **custom getter** sits between `get_variable` and the variable. It receives the next
# getter, and whatever it returns is what `get_variable` returns. Set on a `variable_scope`,
# it applies to every variable created below it, including those inside `sj.layers` and
# `sj.nn` modules. scopejax ships the two classic uses in `sj.getters`.
#
# ### Mixed precision: float32 in the store, bfloat16 in the computation
#
# The scope asks for `dtype=jnp.bfloat16`. `sj.getters.mixed_precision()` creates the variable
# in float32 (the "master weights") and hands the layer a bfloat16 copy. Gradients and
# optimizer state therefore stay in float32.

# %%
def mixed_mlp(x):
    with sj.variable_scope("mlp", dtype=jnp.bfloat16,
                           custom_getter=sj.getters.mixed_precision()) as scope:
        x = x.astype(jnp.bfloat16)
        h = sj.layers.dense(x, 16, activation=jax.nn.relu, name="fc1")
        y = sj.layers.dense(h, 2, name="fc2")
        scope.reuse_variables()
        kernel_as_read = sj.get_variable("fc1/kernel")
    return y, {"hidden": h.dtype, "output": y.dtype, "fc1/kernel as read": kernel_as_read.dtype}


mp_net = sj.transform(mixed_mlp)
xs = jax.random.normal(jax.random.key(1), (4, 3))
mp_store = mp_net.init(jax.random.key(0), xs)
print(mp_store.summary())
y_mp, compute_dtypes = mp_net.apply(mp_store, xs)
print("compute dtypes:", compute_dtypes)
mp_grads = jax.jit(jax.grad(lambda s: mp_net.apply(s, xs)[0].astype(jnp.float32).sum()))(mp_store)
print("gradient dtypes:", {n: str(g.dtype) for n, g in mp_grads.flat().items()})

# %% [markdown]
# The compiled program shows the same thing: the parameters enter as `f32`, are converted to
# `bf16`, and the matrix products run in `bf16`.

# %%
mp_text = jax.jit(lambda s, x: mp_net.apply(s, x)[0]).lower(mp_store, xs).as_text()
signature = next(ln for ln in mp_text.splitlines() if "func.func public @main" in ln)
print(signature.strip()[:200], "...")
dots = [ln.strip() for ln in mp_text.splitlines() if "dot_general" in ln]
print("\n".join(dots))

# %%
assert {mp_store.info(n).dtype for n in mp_store.names()} == {"float32"}
assert compute_dtypes == {"hidden": jnp.bfloat16, "output": jnp.bfloat16,
                          "fc1/kernel as read": jnp.bfloat16}
assert y_mp.dtype == jnp.bfloat16
assert {str(g.dtype) for g in mp_grads.flat().values()} == {"float32"}
assert "tensor<3x16xf32>" in signature  # fc1/kernel enters the program in float32
assert len(dots) == 2 and all("-> tensor<4x16xbf16>" in d or "-> tensor<4x2xbf16>" in d
                              for d in dots)

# %% [markdown]
# ### Weight normalisation: `kernel` and `kernel_g`
#
# `sj.getters.weight_norm()` reparametrises every variable named `kernel` as
# `w = g * v / ||v||` (Salimans & Kingma, 2016). The stored `kernel` becomes the direction
# `v`, and a gain `kernel_g` (one per output unit) is created beside it. The gain starts at the
# column norms of the initial kernel, so the network starts out computing exactly what the
# plain network computes.

# %%
def wn_dense(x):
    with sj.variable_scope("wn", custom_getter=sj.getters.weight_norm()):
        return sj.layers.dense(x, 3, name="fc")


def plain_dense(x):
    with sj.variable_scope("wn"):
        return sj.layers.dense(x, 3, name="fc")


wn_net, plain_net = sj.transform(wn_dense), sj.transform(plain_dense)
x_wn = jax.random.normal(jax.random.key(1), (4, 5))
wn_store = wn_net.init(jax.random.key(0), x_wn)
plain_store = plain_net.init(jax.random.key(0), x_wn)
print(wn_store.summary())

# %%
assert wn_store.names() == ["wn/fc/bias", "wn/fc/kernel", "wn/fc/kernel_g"]
assert wn_store.info("wn/fc/kernel_g").shape == (3,)
v = np.asarray(wn_store["wn/fc/kernel"])
np.testing.assert_allclose(wn_store["wn/fc/kernel_g"], np.linalg.norm(v, axis=0), rtol=1e-6)

# It starts exactly where the plain layer starts (same names -> same initial values).
y_wn = wn_net.apply(wn_store, x_wn)
np.testing.assert_allclose(y_wn, plain_net.apply(plain_store, x_wn), rtol=1e-5, atol=1e-6)

# The scale of v no longer matters; the gain alone sets each column's norm.
bias = wn_store["wn/fc/bias"]
scaled_v = wn_store.replace({"wn/fc/kernel": wn_store["wn/fc/kernel"] * 7.0})
np.testing.assert_allclose(wn_net.apply(scaled_v, x_wn), y_wn, rtol=1e-5, atol=1e-6)
doubled_g = wn_store.replace({"wn/fc/kernel_g": wn_store["wn/fc/kernel_g"] * 2.0})
np.testing.assert_allclose(wn_net.apply(doubled_g, x_wn) - bias, 2.0 * (y_wn - bias),
                           rtol=1e-5, atol=1e-6)
print("weight norm: direction scale-invariant, gain scales the output")

# %% [markdown]
# ## Summary
#
# * `sj.Module` subclasses own a uniquified variable scope (`mlp`, `mlp_1`). They create
#   their variables on the first call and share them on every later call, and they list them
#   with `.variables`, `.trainable_variables` and `.submodules`. Explicit names collide
#   loudly unless `reuse=True`.
# * TF1's layers exist in both forms, `sj.layers.dense(...)` and `sj.nn.Dense(...)`, with
#   TF1's variable names. Both forms give the same store. Batch-norm updates come back through
#   `apply_with_state(...)`.
# * The five sharing patterns work as in TF1: a reopened scope with `reuse=True` (tied
#   autoencoder), `AUTO_REUSE` plus `transform_multi` entry points (GAN),
#   `scope.reuse_variables()` (siamese towers, hand-unrolled RNNs), full-path scopes under a
#   `name_scope` (conv blocks, with TF1's op names in XLA), and RNN cells that pick their scope
#   at the first call (`rnn/lstm_cell/kernel`).
# * Custom getters wrap every variable under a scope: `mixed_precision()` keeps float32
#   master weights for bfloat16 compute, and `weight_norm()` adds `kernel_g` gains.
