# %% [markdown]
# # Checkpoints: save, resume, fine-tune from a partial restore, load a TF1 checkpoint
#
# TF1 saved variables by name (`tf.train.Saver`), kept the last few checkpoints, and started new
# models from old ones with `init_from_checkpoint` and an `assignment_map`. `sj.checkpoint` does
# the same for Stores, on top of [orbax-checkpoint](https://orbax.readthedocs.io), JAX's
# standard checkpointing library:
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax (`sj.checkpoint`) |
# |---|---|
# | `saver.save(sess, path, global_step=step)` | `save(path, state)`: a Store, or a `TrainState` (store, optax state, step) |
# | `saver.restore(sess, path)` | `restore(path)`, or `restore(path, target=state)` |
# | `Saver(max_to_keep=5)`, `CheckpointManager` | `CheckpointManager(dir, max_to_keep=5, async_save=True)` |
# | `train.init_from_checkpoint(path, {'old/': 'new/'})` | `init_from_checkpoint(path, {'old/': 'new/'}, store)` → `(store, report)` |
# | `train.list_variables(path)` | `list_variables(path)`, or `python -m scopejax.checkpoint ls PATH` |
# | `train.load_variable(path, name)` | `load_variables(path, [name])` |
#
# Three things differ on purpose:
#
# * **Functional.** `init_from_checkpoint` takes the target Store and returns a new one, with a
#   **report** of what was restored, what was not, which shapes or dtypes disagree, and which
#   checkpoint tensors went unused. Nothing is re-initialised silently; `strict=True` raises.
# * **Safe.** A save is atomic: a process killed half-way leaves the previous checkpoint whole.
#   Every array's CRC-32C is recorded and checked on restore, so a flipped bit is an error, not a
#   silently different weight. Nothing is ever unpickled: the optimizer state is saved as arrays
#   plus a JSON description of its structure.
# * **TF checkpoints without TF.** `init_from_checkpoint` and `ls` read TensorFlow's own
#   checkpoint bundles directly, by name, with numpy alone.
#
# Contents: 1. a model and a training run saved by a `CheckpointManager`; 2. what is on disk;
# 3. restoring and resuming; 4. fine-tuning from a partial restore with an assignment map;
# 5. loading a TF1 checkpoint and running it; 6. damaged checkpoints.

# %%
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jax
import numpy as np
import optax
from sklearn.datasets import load_digits

import scopejax as sj
from scopejax import checkpoint as ck

WORK = Path(tempfile.mkdtemp(prefix="scopejax_ckpt_"))  # everything this notebook writes


def show(*things):
    # print, with paths shown relative to WORK (a temporary directory)
    print(*(str(t).replace(str(WORK) + "/", "") for t in things))


def sh(*args):
    # Run `python -m scopejax.checkpoint ...` as one would in a terminal.
    out = subprocess.run([sys.executable, "-m", "scopejax.checkpoint", *map(str, args)],
                         capture_output=True, text=True)
    show((out.stdout + out.stderr).rstrip())


print("jax", jax.__version__, "| optax", optax.__version__, "| scopejax", sj.__version__)

# %% [markdown]
# ## 1. A model, trained and saved every 50 steps
#
# The data are scikit-learn's bundled handwritten digits (8x8 pixels, flattened). We pretrain
# on the digits 0-4; section 4 reuses the encoder for the digits 5-9.
#
# The model is an `encoder` (two dense layers with batch normalization between them, whose
# moving statistics are non-trainable variables) and a `head`.

# %%
digits = load_digits()
x_all = (digits.data / 16.0).astype(np.float32)
y_all = digits.target.astype(np.int32)


def split(x, y, frac=0.75):
    n = int(frac * len(x))
    return (x[:n], y[:n]), (x[n:], y[n:])


low = y_all < 5
(xa, ya), (xa_test, ya_test) = split(x_all[low], y_all[low])            # digits 0-4
(xb, yb), (xb_test, yb_test) = split(x_all[~low], y_all[~low] - 5)      # digits 5-9


def encoder(x, training):
    with sj.variable_scope("encoder"):
        h = sj.layers.dense(x, 64, activation=jax.nn.relu, name="fc1")
        h = sj.layers.batch_normalization(h, training=training, name="bn")
        return sj.layers.dense(h, 32, activation=jax.nn.relu, name="fc2")


def classify(logits, y):
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, {"accuracy": (logits.argmax(-1) == y).mean()}


def pretrain_loss(x, y, training=True):
    return classify(sj.layers.dense(encoder(x, training), 5, name="head"), y)


def batches(x, y, steps, seed=0, size=32):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        i = rng.integers(0, len(x), size)
        yield x[i], y[i]


def accuracy(net, store, x, y):
    return float(net.apply(store, x, y, training=False)[1]["accuracy"])

# %% [markdown]
# `CheckpointManager(directory, max_to_keep=2, async_save=True)` writes one checkpoint per step
# into `directory/<step>/` and keeps the last two. With `async_save=True`, `save` returns as
# soon as the values are copied to host memory; checksums and writing happen in a background
# thread while training goes on. That copy matters: `trainer.step` **donates** its input state,
# so the next step reuses those buffers.

# %%
trainer = sj.train.minimize(pretrain_loss, optax.adam(3e-3), has_aux=True)
state = trainer.init(jax.random.key(0), xa[:32], ya[:32])
mgr = ck.CheckpointManager(WORK / "pretrain", max_to_keep=2, async_save=True)

for step, batch in enumerate(batches(xa, ya, 200), start=1):
    state, metrics = trainer.step(state, *batch)
    if step % 50 == 0:
        mgr.save(step, state, metadata={"task": "digits 0-4", "loss": float(metrics["loss"])})
mgr.wait()  # the last write is finished (and any error in it raised here)

print("steps kept:", mgr.steps())
print(f"test accuracy on digits 0-4: {accuracy(trainer.net, state.store, xa_test, ya_test):.3f}")

# %% [markdown]
# ## 2. What is on disk
#
# Each step is an ordinary orbax checkpoint: the arrays under `arrays/` (tensorstore, OCDBT
# format, keyed by index, so no variable name ever becomes a file name), and one JSON file,
# `scopejax/scopejax.json`, with everything needed to rebuild the Store by name: each variable's
# name, shape, dtype, trainable flag, collections, device, and the CRC-32C of its bytes; the
# optimizer state's tree, described with a few safe node kinds; the step; the metadata passed to
# `save`.
#
# `python -m scopejax.checkpoint ls` lists a checkpoint (ours, or TensorFlow's) without loading
# its arrays:

# %%
sh("ls", mgr.path(200))

# %%
import json

meta = ck.restore(mgr.path(200)).metadata
print("metadata:", meta)
doc = json.loads((mgr.path(200) / "scopejax" / "scopejax.json").read_text())
print(json.dumps(doc["variables"][0], indent=1))
print("optimizer-state leaves:", [leaf["path"] for leaf in doc["opt_state"]["leaves"]][:4], "...")

# %% [markdown]
# ## 3. Restoring, and resuming exactly
#
# Without a target, `restore` rebuilds everything from the checkpoint: a `Checkpoint(store,
# opt_state, step, metadata, path)`, with optax's own state classes. To resume training, restore
# **into a target** instead: the state `trainer.init` would give, or just its shapes
# (`jax.eval_shape`, which allocates nothing). Every variable and every optimizer-state leaf is
# then matched by name and checked for shape and dtype, and the result has the target's
# structure. Steps continue bit for bit as if training had never stopped.

# %%
ckpt = ck.restore(mgr.path(200))
print(type(ckpt).__name__, "| step", ckpt.step, "|", type(ckpt.opt_state[0]).__name__,
      "| moments over", len(ckpt.opt_state[0].mu.names()), "trainable variables")

abstract = jax.eval_shape(trainer.init, jax.random.key(0), xa[:32], ya[:32])
resumed = mgr.restore(target=abstract)  # the latest step
print("resumed at step", int(resumed.step))

batch = next(batches(xa, ya, 1, seed=123))
after_resume, _ = trainer.step(resumed, *batch)
after_live, _ = trainer.step(state, *batch)  # the run that never stopped
print("identical after one more step:",
      all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(after_resume),
                                               jax.tree.leaves(after_live), strict=True)))

# %% [markdown]
# ## 4. Fine-tuning from a partial restore
#
# The new task (digits 5-9) gets a model whose encoder lives under another scope,
# `transfer/encoder/...`, and a new `classifier`. TF1's assignment map says where each variable
# comes from: `{'encoder/': 'transfer/encoder/'}` maps every variable under `transfer/encoder/`
# to the checkpoint tensor with the same relative name under `encoder/`. `var_list` says which
# variables may be restored at all (here: everything under `transfer/`); the classifier stays
# as initialised.
#
# A directory of steps stands for its latest step, as a TF1 training directory does.

# %%
def transfer_loss(x, y, training=True):
    with sj.variable_scope("transfer"):
        h = encoder(x, training)
    return classify(sj.layers.dense(h, 5, name="classifier"), y)


# train the classifier only: the encoder stays frozen
finetune = sj.train.minimize(transfer_loss, optax.adam(1e-2), has_aux=True,
                             var_list=sj.train.regex("^classifier/"))
fresh = finetune.init(jax.random.key(1), xb[:32], yb[:32])

store, report = ck.init_from_checkpoint(
    mgr.directory, {"encoder/": "transfer/encoder/"}, fresh.store,
    var_list=sj.train.regex("^transfer/"))
show(report)

# %% [markdown]
# The report lists each restored variable with its source, and the two checkpoint tensors
# nothing used: the old head. `report.check(...)` turns problems into a `RestoreError`; here the
# unused tensors are expected, everything else must be clean. `strict=True` checks everything,
# and shows what a forgotten `var_list` would have done:

# %%
report.check(unused=False)  # raises if a variable was missed or mismatched

try:
    ck.init_from_checkpoint(mgr.directory, {"encoder/": "transfer/encoder/"}, fresh.store,
                            strict=True)
except ck.RestoreError as e:
    show("RestoreError:", e)

# %% [markdown]
# Now train the classifier on top of the restored encoder, and, for comparison, on top of the
# random encoder `fresh` started with. Same steps, same batches, same frozen-encoder setup.
# (The gap is modest: on 8x8 digits even a random ReLU projection gives usable features.)

# %%
def train_head(start_store, steps=150):
    st = finetune.init_from(start_store)
    for batch in batches(xb, yb, steps, seed=1):
        st, _ = finetune.step(st, *batch)
    return st.store


for label, start in [("pretrained encoder", store), ("random encoder", fresh.store)]:
    trained = train_head(start)
    moved = not np.array_equal(trained["transfer/encoder/fc1/kernel"],
                               start["transfer/encoder/fc1/kernel"])
    print(f"{label:>18}: test accuracy on digits 5-9 "
          f"{accuracy(finetune.net, trained, xb_test, yb_test):.3f}"
          f" (encoder changed: {moved})")

# %% [markdown]
# ## 5. A TF1 checkpoint, loaded and run without TensorFlow
#
# `tests/checkpoint_fixtures/tf1_model` holds a checkpoint written by `tf.compat.v1.train.Saver`
# (TensorFlow 2.21, graph mode) after two Adam steps of a small model: `conv2d`,
# `batch_normalization`, `relu`, `dynamic_rnn` over an `LSTMCell(6)`, `dense(5)`. Next to it
# are an input and the output TensorFlow computed for it. `ls` reads the TensorFlow bundle
# directly; Adam's slots and `global_step` are hidden unless `--slots` is given:

# %%
TF1 = Path("../tests/checkpoint_fixtures/tf1_model").resolve()
HAVE_TF1 = (TF1 / "checkpoint").exists()
if HAVE_TF1:
    out = subprocess.run([sys.executable, "-m", "scopejax.checkpoint", "ls", TF1],
                         capture_output=True, text=True)
    print((out.stdout + out.stderr).replace(str(TF1), "tests/checkpoint_fixtures/tf1_model"))
else:
    print("the TF1 fixture is not in this checkout; skipping this section")

# %% [markdown]
# The same model written with `sj.layers` and `sj.nn` creates variables with TF1's names, so the
# root-to-root map `{'/': '/'}` restores all of them. The target can be abstract
# (`init_abstract`): with `strict=True` every variable is restored, so nothing is ever drawn
# at random.

# %%
def tf1_model(x):
    h = sj.layers.conv2d(x, 4, 3, padding="same")
    h = jax.nn.relu(sj.layers.batch_normalization(h, training=False))
    outputs, _ = sj.nn.dynamic_rnn(sj.nn.LSTMCell(6), h.reshape(x.shape[0], 8, 8 * 4))
    return sj.layers.dense(outputs[:, -1], 5)


if HAVE_TF1:
    net = sj.transform(tf1_model)
    x = np.load(TF1 / "input.npy")
    tf1_store, tf1_report = ck.init_from_checkpoint(
        TF1, {"/": "/"}, net.init_abstract(jax.random.key(0), x), strict=True)
    print(tf1_report.summary(limit=3).replace(str(TF1), "tests/checkpoint_fixtures/tf1_model"))
    y = jax.jit(net.apply)(tf1_store, x)
    print("\nlargest difference from TensorFlow's output:",
          float(np.abs(np.asarray(y) - np.load(TF1 / "output.npy")).max()))

# %% [markdown]
# ## 6. Damaged checkpoints
#
# A checkpoint can be damaged after it was written: a disk error, a partial copy, tampering.
# Here one bit in the largest array file of a copy is flipped. Restoring it is an error that
# names the checkpoint and the variable. Depending on where the bit lands, tensorstore notices
# first (orbax compresses chunks and checksums its index) or scopejax's CRC-32C of the array
# does (a flip inside stored array bytes decodes without complaint, into a different weight).
# `verify` checks every array of a checkpoint from the command line.

# %%
damaged = WORK / "damaged"
shutil.copytree(mgr.path(200), damaged)
biggest = max((p for p in (damaged / "arrays").rglob("*") if p.is_file()),
              key=lambda p: p.stat().st_size)


def flip_bit(f, frac):
    data = bytearray(f.read_bytes())
    data[int(len(data) * frac)] ^= 0x01
    f.write_bytes(bytes(data))


for frac in (0.5, 0.3, 0.7, 0.1, 0.9):
    flip_bit(biggest, frac)
    try:
        ck.restore(damaged)
    except ck.CheckpointCorruptError as e:
        show("CheckpointCorruptError:", e)
        break
    flip_bit(biggest, frac)  # that byte was not array data (padding, unused): undo, try another
sh("verify", damaged)
sh("verify", mgr.path(200))

# %% [markdown]
# Saves are atomic: orbax writes into a temporary directory and renames it when complete, and
# `save(..., overwrite=True)` moves the previous checkpoint aside only once the new one is
# whole. The tests (`tests/test_checkpoint_safety.py`) kill a writing process with `SIGKILL` in
# the middle of a save and check that the previous checkpoint, or the manager's earlier steps,
# restore intact.

# %%
mgr.close()
shutil.rmtree(WORK)

# %% [markdown]
# ## Summary
#
# * `sj.checkpoint.save(path, state)` writes a Store (values and metadata: names, shapes,
#   dtypes, collections, trainable flags), the optax state and the step through orbax, with a
#   CRC-32C per array and no pickle. `restore(path)` rebuilds it; `restore(path, target=...)`
#   restores into a given structure (abstract is enough) and checks every name, shape and dtype.
# * `CheckpointManager(dir, max_to_keep=K, async_save=True)` keeps the last K steps and writes
#   in the background after a synchronous copy to host memory.
# * `init_from_checkpoint(path, assignment_map, store, var_list=..., strict=...)` is TF1's
#   partial restore with the same assignment-map forms (`'old/': 'new/'`, `'/': 'new/'`,
#   per-variable names), functional, with a report of what was and was not restored.
# * TensorFlow checkpoints load by name without TensorFlow: list them with
#   `python -m scopejax.checkpoint ls`, restore them with `init_from_checkpoint`.
