# %% [markdown]
# # Training with optax: `minimize`, freezing by collection, per-collection learning rates
#
# The first two notebooks built models and stores. This one trains them. In TF1 the training
# op came from `optimizer.minimize(loss, var_list=...)`: the optimizer updated the variables
# of `var_list` (by default the `TRAINABLE_VARIABLES` collection), batch-norm updates ran
# through `UPDATE_OPS`, and freezing a pretrained part meant leaving it out of `var_list`.
# `sj.train` keeps that recipe, with optax as the optimizer:
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax (`sj.train`) |
# |---|---|
# | `opt.minimize(loss, var_list=None)` | `minimize(loss_fn, optax.adam(lr), var_list=None)` |
# | `var_list=tf.get_collection("BACKBONE")` | `var_list="BACKBONE"`, or `collection("BACKBONE")` |
# | `var_list=` the variables under `head/` | `var_list=regex("^head/")` |
# | `UPDATE_OPS` as control dependencies | automatic: values assigned in the step are kept |
# | `tf.losses.get_regularization_loss()` | `minimize(..., regularization=True)` |
# | one optimizer per group of variables | `multi_optimizer`: labels from collections or regexes |
# | `sess.run(train_op, feed_dict)` in a loop | `trainer.step(state, *batch)`, or `fit` with a bar |
#
# The data are scikit-learn's bundled handwritten digits: 1,797 grey images of 8x8 pixels.
# Nothing is downloaded, and the whole notebook runs in well under a minute on a laptop CPU.
#
# Contents:
#
# 1. The data and a scoped CNN (a convolution applied twice with shared weights, batch norm,
#    dropout), its backbone tagged with a `BACKBONE` collection
# 2. `minimize`: what is differentiated, and what the optimizer state holds
# 3. Training with `sj.train.fit`; loss and accuracy curves; what `fit(..., logdir=)` logs for
#    TensorBoard
# 4. Transfer: freeze the backbone by collection, train a fresh head, per-collection learning rates
# 5. Full fine-tuning with a smaller learning rate for the `BACKBONE` collection

# %%
import functools
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util

import scopejax as sj

print("jax", jax.__version__, "| optax", optax.__version__, "| scopejax", sj.__version__,
      "| backend", jax.default_backend())
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. Data and model
#
# The digits come as 8x8 arrays with values 0 to 16. We scale them to [0, 1], add a channel
# axis (NHWC, as `tf.layers.conv2d` expects), and keep a fixed split: 75% for training, 25%
# for testing.

# %%
digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[..., None]
labels = digits.target.astype(np.int32)
x_train, x_test, y_train, y_test = train_test_split(
    images, labels, test_size=0.25, random_state=0)
print("train", x_train.shape, "| test", x_test.shape, "| classes", np.unique(labels))

fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, img, label in zip(axes, x_train, y_train, strict=False):
    ax.imshow(img[..., 0], cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# The model is three ordinary functions written with `sj.layers`, TF1's `tf.layers`:
#
# * `backbone`: convolutions and max pooling. The `shared` convolution is applied **twice**
#   with the same weights (`reuse=sj.AUTO_REUSE`), as a small recurrent refinement. At the end,
#   the backbone puts all its variables in a collection of its own, `BACKBONE`, with the TF1
#   idiom `add_to_collection(key, v) for v in get_collection(GLOBAL_VARIABLES, scope)`.
# * `neck`: a dense layer, batch normalization and dropout. Batch norm keeps moving
#   statistics in non-trainable variables; dropout draws its mask from `sj.next_rng_key()`.
# * a head: one dense layer that produces the logits.
#
# The loss function returns `(loss, aux)`: the scalar to minimize and a dictionary of metrics.
# `training` is a keyword with a Python default, so the compiled training step is specialised
# to `training=True`, and evaluation passes `False`.

# %%
BACKBONE = "BACKBONE"
conv = functools.partial(sj.layers.conv2d, padding="same", activation=jax.nn.relu)


def backbone(x):
    with sj.variable_scope("backbone"):
        h = conv(x, 32, 3, name="conv1")
        for _ in range(2):  # one set of weights, used twice
            h = h + conv(h, 32, 3, name="shared", reuse=sj.AUTO_REUSE)
        h = sj.layers.max_pooling2d(h, 2, 2)  # 8x8 -> 4x4
        h = conv(h, 64, 3, name="conv2")
        h = sj.layers.max_pooling2d(h, 2, 2)  # 4x4 -> 2x2
        for v in sj.get_collection(sj.GraphKeys.GLOBAL_VARIABLES, scope="backbone/"):
            sj.add_to_collection(BACKBONE, v)
        return sj.layers.flatten(h)


def neck(h, training):
    with sj.variable_scope("neck"):
        h = sj.layers.dense(h, 128, use_bias=False, name="fc")
        h = sj.layers.batch_normalization(h, momentum=0.9, training=training, name="bn")
        return sj.layers.dropout(jax.nn.relu(h), 0.25, training=training)


def cross_entropy(logits, y):
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, {"accuracy": (logits.argmax(-1) == y).mean()}


def digits_loss(x, y, training=True):
    h = neck(backbone(x), training)
    with sj.variable_scope("digits"):
        logits = sj.layers.dense(h, 10, name="logits")
    return cross_entropy(logits, y)

# %% [markdown]
# ## 2. `minimize`: the step, and what the optimizer sees
#
# `sj.train.minimize(loss_fn, optimizer)` transforms the loss function (as `sj.transform`
# does) and returns a `Trainer`:
#
# * `trainer.init(key, *batch)` creates the variables and the optimizer state, and returns a
#   `TrainState(store, opt_state, step)`;
# * `trainer.step(state, *batch, rng=key)` is one jitted training step. It returns the new
#   state and the metrics (`{"loss": ..., **aux}`). It **donates** the old state's buffers, so
#   XLA updates the weights in place; do not use the old state after a step.
# * `trainer.net` is the transformed loss function, for evaluation.
#
# With the default `var_list=None`, the trainable collection is differentiated and updated.

# %%
EPOCHS, BATCH = 10, 32
STEPS_PER_EPOCH = len(x_train) // BATCH
learning_rate = optax.cosine_decay_schedule(3e-3, EPOCHS * STEPS_PER_EPOCH)
trainer = sj.train.minimize(digits_loss, optax.adam(learning_rate), has_aux=True)

state = trainer.init(jax.random.key(0), x_train[:BATCH], y_train[:BATCH])
print(state.store.summary())

# %% [markdown]
# The summary shows three kinds of variables: the backbone's, trainable and in `BACKBONE`; the
# trainable `neck` and `digits` variables; and batch norm's `moving_mean` and
# `moving_variance`, which are only global. The shared convolution appears once, although the
# backbone applies it twice.
#
# **The optimizer state holds the trainable leaves only.** Adam keeps two moments per
# parameter, `mu` and `nu`. They are Stores over exactly the trainable variables: the moving
# statistics are not differentiated and get no moments.

# %%
adam_state = state.opt_state[0]
print("Adam's first moment covers:", adam_state.mu.names())

trainable = state.store.trainable()
assert adam_state.mu.names() == adam_state.nu.names() == trainable.names()
assert "neck/bn/moving_mean" not in adam_state.mu.names()
assert state.store.filter(collection=BACKBONE).names() == [
    "backbone/conv1/bias", "backbone/conv1/kernel", "backbone/conv2/bias",
    "backbone/conv2/kernel", "backbone/shared/bias", "backbone/shared/kernel"]
# two moments per trainable parameter (plus two int32 step counters: Adam's, the schedule's)
assert sj.train.state_nbytes((adam_state.mu, adam_state.nu)) == 2 * trainable.nbytes
assert sj.train.state_nbytes(state.opt_state) == 2 * trainable.nbytes + 2 * 4
print(f"optimizer state: {sj.train.state_nbytes(state.opt_state):,} bytes for "
      f"{trainable.num_params:,} trainable of {state.store.num_params:,} parameters")

# %% [markdown]
# ## 3. Training with `sj.train.fit`
#
# `sj.train.fit(trainer, state, batches, epochs, rng)` runs `trainer.step` over the batches
# with a tqdm progress bar (steps done of the total, ETA, loss, accuracy, steps per second).
# `batches` is an iterable of argument tuples, or a function `epoch -> iterable`; a generator
# has no length, so we pass `steps_per_epoch` for the bar's total. The first step compiles
# the training step: the bar says so, then shows how long it took (`compile=...`); later
# calls reuse the compiled step. With `rng`, step `i` gets the key `fold_in(rng, i)`, so
# dropout draws a new mask at every step. `history=[]` collects every step's metrics.
#
# Here we call `fit` once per epoch, to measure the test accuracy after each.
# `logdir=` also records the run for TensorBoard (read back below), every `log_every` steps.
# `sj.train.evaluate(trainer, state, batches)` takes what `fit` takes and averages the loss
# function's metrics over the batches (weighted by batch size). Its batches pass
# `training=False`: batch norm then uses its moving statistics, dropout is off, and no key is
# needed. Nothing is donated.

# %%
def epoch_batches(x, y, epoch, seed=0):
    # a new permutation per epoch; full batches only, so the step compiles once
    order = np.random.default_rng([seed, epoch]).permutation(len(x))
    for i in range(0, len(x) - BATCH + 1, BATCH):
        idx = order[i:i + BATCH]
        yield x[idx], y[idx]


history, test_curve = [], []
dropout_key = jax.random.key(1)
LOGDIR = Path(tempfile.mkdtemp(prefix="scopejax_runs_"))  # TensorBoard's --logdir
t0 = time.perf_counter()
for epoch in range(EPOCHS):
    state = sj.train.fit(trainer, state, epoch_batches(x_train, y_train, epoch),
                         rng=dropout_key, history=history, desc=f"epoch {epoch + 1:2d}",
                         steps_per_epoch=STEPS_PER_EPOCH,
                         logdir=LOGDIR / "digits", log_every=7)  # 42 steps per epoch
    test_curve.append(sj.train.evaluate(trainer, state, [(x_test, y_test, False)]))
train_seconds = time.perf_counter() - t0
print(f"{int(state.step)} steps in {train_seconds:.1f} s; "
      f"test accuracy {test_curve[-1]['accuracy']:.4f}")

# %%
steps = np.arange(1, len(history) + 1)
epoch_end = STEPS_PER_EPOCH * np.arange(1, EPOCHS + 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
for ax, key in zip(axes, ["loss", "accuracy"], strict=True):
    per_step = np.array([h[key] for h in history])
    ax.plot(steps, per_step, alpha=0.3, label="train (per step)")
    ax.plot(epoch_end, per_step.reshape(EPOCHS, -1).mean(1), "o-", label="train (epoch mean)")
    ax.plot(epoch_end, [t[key] for t in test_curve], "s-", label="test")
    ax.set(xlabel="step", title=key)
    ax.legend()
axes[0].set_yscale("log")
fig.tight_layout()
plt.show()

# %%
assert test_curve[-1]["accuracy"] >= 0.97, test_curve[-1]
assert test_curve[-1]["loss"] < test_curve[0]["loss"]
# the moving statistics were updated by the steps, though no optimizer touched them
assert not np.allclose(state.store["neck/bn/moving_mean"], 0.0)

# %% [markdown]
# ### What `fit(..., logdir=)` wrote for TensorBoard
#
# Every 7th step, `fit` wrote TensorBoard scalars to `LOGDIR/digits` (event files, with the
# `tensorboard` package alone; no TensorFlow): `train/loss` and the other scalar metrics
# (`train/accuracy`), and the global norm of the **gradients** and of the optimizer's
# **updates** over each collection's variables (`grad_norm/BACKBONE`,
# `update_norm/trainable_variables`, ...). The norms cost one extra forward and backward pass
# on the logged steps only. Here we read the files back with tensorboard's own loader and
# plot them; `tensorboard --logdir LOGDIR` (the folder above) shows the same curves in its
# Scalars tab, and the graph written below in its Graphs tab.

# %%
logged = {}  # tag -> [(step, value)]
for path in sorted((LOGDIR / "digits").glob("events.out.tfevents.*")):
    for event in EventFileLoader(str(path)).Load():
        for value in event.summary.value:
            logged.setdefault(value.tag, []).append(
                (event.step, float(tensor_util.make_ndarray(value.tensor))))
print("tags:", sorted(logged))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for tag in ("train/loss", "train/accuracy"):
    steps_logged, values = zip(*logged[tag], strict=True)
    axes[0 if tag == "train/loss" else 1].plot(steps_logged, values, ".-", label=tag)
for tag in sorted(t for t in logged if t.endswith("/BACKBONE") or t.endswith("/trainable_variables")):
    steps_logged, values = zip(*logged[tag], strict=True)
    axes[2].plot(steps_logged, values, label=tag)
axes[0].set_yscale("log")
axes[2].set_yscale("log")
for ax, title in zip(axes, ["loss", "accuracy", "global norms per collection"], strict=True):
    ax.set(xlabel="step", title=title)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

assert [s for s, _ in logged["train/loss"]] == list(range(0, EPOCHS * STEPS_PER_EPOCH, 7))
# the logged loss is the step's loss, as fit's history has it
np.testing.assert_allclose([v for _, v in logged["train/loss"]],
                           [h["loss"] for h in history[::7]], rtol=1e-6)

# %% [markdown]
# The model's graph goes in the same run: `sj.summary.write_graph` traces the loss function
# (nothing runs) and writes its ops grouped by name scope, so TensorBoard's Graphs tab shows
# the boxes `backbone`, `neck` and `digits`, as TF1's graph of the same model did. The same
# trace, inline and without a server: `sj.summary.scope_tree`. The shared convolution shows
# twice: `shared` holds its variables and the first call's ops, `shared_1` the second call's
# ops only (the same weights, as in TF1).

# %%
sj.summary.write_graph(LOGDIR / "digits", trainer.net.apply, state.store,
                       x_test[:BATCH], y_test[:BATCH], False)
cnn_tree = sj.summary.scope_tree(trainer.net.apply, state.store,
                                 x_test[:BATCH], y_test[:BATCH], False)
assert cnn_tree["backbone/shared_1"].total_params == 0 < cnn_tree["backbone/shared"].total_params
cnn_tree  # fold a scope by clicking its line

# %% [markdown]
# The test images the model gets wrong:

# %%
def predict(x):
    h = neck(backbone(x), training=False)
    with sj.variable_scope("digits"):
        return sj.layers.dense(h, 10, name="logits").argmax(-1)


# a second function over the same variable names: it reads the trained store as it is
predictions = jax.jit(sj.transform(predict).apply)(state.store, x_test)
wrong = np.flatnonzero(np.asarray(predictions) != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits misclassified")
fig, axes = plt.subplots(1, max(len(wrong), 1), figsize=(1.2 * max(len(wrong), 1), 1.5),
                         squeeze=False)
for ax, i in zip(axes[0], wrong, strict=False):
    ax.imshow(x_test[i, ..., 0], cmap="gray_r")
    ax.set_title(f"{y_test[i]} -> {int(predictions[i])}", fontsize=9)
for ax in axes[0]:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. Transfer: a frozen backbone, a fresh head, a learning rate per group
#
# Now a new task with the same images: is the digit **odd or even**? We keep the pretrained
# backbone and neck, and add a fresh two-class head, `parity`. Three groups of variables,
# three treatments:
#
# | group | selected by | treatment |
# |---|---|---|
# | backbone | the `BACKBONE` collection | frozen: never differentiated, no optimizer state |
# | neck | `sj.train.regex("^neck/")` | fine-tuned with Adam at 3e-4 |
# | head | `sj.train.regex("^parity/")` | trained from scratch with Adam at 1e-2 |
#
# `sj.train.multi_optimizer` builds the per-group optimizer: `optax.multi_transform`, with
# each variable's label computed from its metadata.

# %%
def parity_loss(x, y, training=True):
    h = neck(backbone(x), training)
    with sj.variable_scope("parity"):
        logits = sj.layers.dense(h, 2, name="logits")
    return cross_entropy(logits, y % 2)


per_group = sj.train.multi_optimizer({
    "neck": (sj.train.regex("^neck/"), optax.adam(3e-4)),
    "head": (sj.train.regex("^parity/"), optax.adam(1e-2)),
})
transfer = sj.train.minimize(parity_loss, per_group, has_aux=True)

# %% [markdown]
# `transfer.net.init` creates the new model's variables. Those it shares by name with the
# pretrained store (`backbone/*`, `neck/*`) take the pretrained values; `parity/*` keeps its
# fresh initial values. We copy the arrays with `jnp.array`, because training steps donate the
# buffers they are given, and the pretrained store must stay usable.
#
# `sj.train.freeze(store, "BACKBONE")` returns the same values with the backbone marked
# non-trainable: it leaves `TRAINABLE_VARIABLES` and joins `FROZEN_VARIABLES`. Look at the
# `trainable` column:

# %%
pretrained = state.store


def carry_over(pretrained, store):
    # the values of every variable the two stores share by name (copies)
    shared = {n: jnp.array(v) for n, v in pretrained.flat().items() if n in store.names()}
    return store.replace(shared)


fresh = transfer.net.init(jax.random.key(2), x_train[:BATCH], y_train[:BATCH])
transfer_store = sj.train.freeze(carry_over(pretrained, fresh), BACKBONE)
print(transfer_store.summary())

# %% [markdown]
# `trainer.init` always creates fresh variables, so a state for an existing store is built by
# hand: the optimizer is initialised over the store's trainable part only.

# %%
transfer_state = sj.train.TrainState(
    transfer_store, per_group.init(transfer_store.trainable()), jnp.zeros((), jnp.int32))


def holding(moments):
    # the variables whose moment is an array (multi_transform masks the others out)
    return [n for n, v in moments.flat().items() if isinstance(v, jax.Array)]


for label, inner in transfer_state.opt_state.inner_states.items():
    print(f"{label:5s} Adam moments for:", holding(inner.inner_state[0].mu))

# %%
inner = transfer_state.opt_state.inner_states
assert holding(inner["neck"].inner_state[0].mu) == [
    "neck/bn/beta", "neck/bn/gamma", "neck/fc/kernel"]
assert holding(inner["head"].inner_state[0].mu) == ["parity/logits/bias", "parity/logits/kernel"]
# nothing of the frozen backbone, nothing of the moving statistics
assert sj.train.state_nbytes(transfer_state.opt_state) == (
    2 * transfer_store.trainable().nbytes + 2 * 4)

# %% [markdown]
# Now train for three epochs, then check two things: the frozen variables are **bit-identical**
# to the pretrained ones, and the neck did move.

# %%
backbone_before = {n: np.asarray(v)
                   for n, v in pretrained.filter(collection=BACKBONE).flat().items()}
parity_history = []
for epoch in range(3):
    transfer_state = sj.train.fit(
        transfer, transfer_state, epoch_batches(x_train, y_train, epoch, seed=1),
        rng=jax.random.key(3), history=parity_history, desc=f"parity {epoch + 1}",
        steps_per_epoch=STEPS_PER_EPOCH)
parity_test = sj.train.evaluate(transfer, transfer_state, [(x_test, y_test, False)])
print(f"odd/even test accuracy: {parity_test['accuracy']:.4f}")

after = transfer_state.store.filter(collection=BACKBONE).flat()
assert sorted(after) == sorted(backbone_before)
for name, value in after.items():
    np.testing.assert_array_equal(np.asarray(value), backbone_before[name])  # bit-identical
print(f"{len(after)} frozen BACKBONE variables are bit-identical after fine-tuning")
assert not np.array_equal(transfer_state.store["neck/fc/kernel"], pretrained["neck/fc/kernel"])
assert parity_test["accuracy"] >= 0.9

# %% [markdown]
# A label for every trainable variable is required. If a variable matches no rule, the error
# names it, when the state is created:

# %%
try:
    sj.train.minimize(parity_loss, per_group, has_aux=True).init(
        jax.random.key(0), x_train[:BATCH], y_train[:BATCH])  # backbone not frozen here
except sj.StoreError as e:
    print(f"{type(e).__name__}: {e}")
else:
    raise AssertionError("expected a StoreError")

# %% [markdown]
# `freeze` changes the store's metadata. `var_list` is another way to train only part of a
# model, with the store unchanged. Here it is a linear probe: only the head is trained, and
# the optimizer state covers the head only.

# %%
probe = sj.train.minimize(parity_loss, optax.adam(1e-2), var_list=sj.train.regex("^parity/"),
                          has_aux=True)
probe_state = probe.init(jax.random.key(2), x_train[:BATCH], y_train[:BATCH])
probe_state = probe_state._replace(store=carry_over(pretrained, probe_state.store))
print("optimizer state over:", probe_state.opt_state[0].mu.names())
probe_state = sj.train.fit(probe, probe_state, epoch_batches(x_train, y_train, 0, seed=2),
                           rng=jax.random.key(5), desc="probe",
                           steps_per_epoch=STEPS_PER_EPOCH)
probe_test = sj.train.evaluate(probe, probe_state, [(x_test, y_test, False)])
print(f"linear probe, one epoch: odd/even test accuracy {probe_test['accuracy']:.4f}")
assert probe_state.opt_state[0].mu.names() == ["parity/logits/bias", "parity/logits/kernel"]
np.testing.assert_array_equal(probe_state.store["neck/fc/kernel"], pretrained["neck/fc/kernel"])

# %% [markdown]
# ## 5. Fine-tuning everything, with a learning rate per collection
#
# Freezing is the extreme case of a small learning rate. The usual compromise is to fine-tune
# every layer with the pretrained part moving slowly. The rules of `multi_optimizer` are
# checked in order, and the first that matches gives the label: here the `BACKBONE`
# collection comes first (Adam at 1e-4), and every other trainable variable goes to
# `default` (Adam at 1e-3). The store is not frozen this time.

# %%
by_collection = sj.train.multi_optimizer(
    {"backbone": (sj.train.collection(BACKBONE), optax.adam(1e-4))},
    default=optax.adam(1e-3),
)
full = sj.train.minimize(parity_loss, by_collection, has_aux=True)
full_state = full.init(jax.random.key(2), x_train[:BATCH], y_train[:BATCH])
full_state = full_state._replace(store=carry_over(pretrained, full_state.store))
print(sj.train.labels(full_state.store.trainable(),
                      {"backbone": sj.train.collection(BACKBONE)}, default="default").flat())

full_state = sj.train.fit(full, full_state, epoch_batches(x_train, y_train, 0, seed=3),
                          epochs=1, rng=jax.random.key(4), desc="full",
                          steps_per_epoch=STEPS_PER_EPOCH)
full_test = sj.train.evaluate(full, full_state, [(x_test, y_test, False)])
moved = {n: float(jnp.abs(full_state.store[n] - pretrained[n]).max())
         for n in ["backbone/conv1/kernel", "neck/fc/kernel"]}
print(f"odd/even test accuracy {full_test['accuracy']:.4f}; largest change per variable:",
      {n: f"{d:.1e}" for n, d in moved.items()})
assert 0 < moved["backbone/conv1/kernel"]  # the backbone moves now, slowly
assert full_test["accuracy"] >= 0.9

# %%
elapsed = time.perf_counter() - NOTEBOOK_START
print(f"notebook ran in {elapsed:.1f} s")

# %% [markdown]
# ## Summary
#
# * `sj.train.minimize(loss_fn, optimizer, var_list)` is TF1's `optimizer.minimize`: only the
#   selected variables (default: the trainable collection) are differentiated, and the
#   optimizer state covers only them. Assigned values, such as batch-norm statistics, carry
#   over from step to step. The step is jitted and donates its input state.
# * `sj.train.fit` runs the steps with a progress bar (total, ETA, the compile step labelled)
#   and collects the metrics; `sj.train.evaluate` takes the same trainer, state and batches
#   and averages the metrics. With `logdir=`, `fit` also writes TensorBoard scalars: the loss,
#   the metrics, and the gradient and update norms per collection.
# * Collections tag groups of variables inside the model (`add_to_collection`). Outside it,
#   `sj.train.freeze(store, "BACKBONE")` freezes a group, `var_list=` trains a subset, and
#   `sj.train.multi_optimizer` gives each group its own optimizer, labelled by collection
#   (`sj.train.collection`) or by name (`sj.train.regex`).
# * Frozen variables stay bit-identical, because they never enter `jax.grad`.
