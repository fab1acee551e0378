# %% [markdown]
# # Sharding: variables split across devices by name, born sharded, trained and checkpointed
#
# TensorFlow 1 placed a variable with `tf.device` and split a large one with `partitioner=`
# (`w/part_0`, `w/part_1`, ...). JAX splits arrays across devices with a `Mesh` of devices
# and a `NamedSharding` per array. `sj.sharding` connects the two: **rules by name** decide
# each variable's sharding where it is created, so the model code does not change.
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax |
# |---|---|
# | `tf.device("/gpu:1")` around the model | `with sj.sharding.use(mesh, rules):` around `init`, `apply`, `sj.train` |
# | `variable_scope(..., partitioner=fixed_size_partitioner(4))` | the same: the split axis is sharded over the mesh |
# | one `w/part_k` variable per part | one variable `w`, of full shape, whose shards live on the devices |
# | `Saver` restores `w/part_0..k` | `sj.checkpoint.restore` reshards onto any mesh and rules |
#
# This notebook runs on **8 simulated CPU devices**: `XLA_FLAGS` asks XLA to split the host
# CPU into 8 devices. It must be set before JAX starts, so it is the first thing below. The
# devices share this machine's cores, so nothing here is faster than on one device; what it
# shows is where each byte lives and that the results do not change. On a machine with 8
# GPUs the same code runs unchanged (without the flag).
#
# Contents: 1. rules by name (first match wins, strict mode, per-scope rules, a TF1
# partitioner); 2. born-sharded init, and the memory per device; 3. one data-parallel and one
# tensor-parallel training step, equal to one device; 4. a checkpoint saved on one mesh and
# restored onto another.

# %%
import os

# 8 simulated devices; must be set before JAX is imported
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
)

import contextlib
import re
import tempfile
import threading
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import scopejax as sj

print("jax", jax.__version__, "| scopejax", sj.__version__, "| backend", jax.default_backend())
print(jax.device_count(), "devices:", jax.devices())


@contextlib.contextmanager
def expect_error(exc_type, match):
    # Expect exc_type whose message matches the regex `match`; print the message.
    try:
        yield
    except exc_type as e:
        print(f"{type(e).__name__}: {e}")
        assert re.search(match, str(e)), f"unexpected message: {e}"
    else:
        raise AssertionError(f"expected {exc_type.__name__}")


def shards(value):
    # {device id: shape of the shard that device holds}
    return {s.device.id: tuple(s.data.shape) for s in value.addressable_shards}

# %% [markdown]
# ## 1. Rules by name
#
# A mesh names the axes of a grid of devices. Here, 2 x 4: a `data` axis (for batches) and a
# `model` axis (for splitting weights). A `PartitionSpec` says which mesh axis each array axis
# is split over: `P(None, "model")` splits a kernel's columns in 4 and keeps a whole copy on
# each of the 2 `data` rows.

# %%
mesh = Mesh(np.array(jax.devices()).reshape(2, 4), ("data", "model"))
print(mesh)


def mlp(x):
    with sj.variable_scope("encoder"):
        h = jax.nn.relu(sj.layers.dense(x, 32, name="fc1"))
        h = jax.nn.relu(sj.layers.dense(h, 32, name="fc2"))
    return sj.layers.dense(h, 8, name="head")


net = sj.transform(mlp)
x = jnp.ones([16, 12])

# %% [markdown]
# `sj.sharding.use(mesh, rules)` is a context manager. `rules` is a list of `(regex,
# PartitionSpec)` pairs matched against each variable's **full name** (`re.search`); the
# **first match wins**, and `None` replicates. The model function is untouched:

# %%
rules = [
    ("encoder/fc1/kernel$", P(None, "model")),  # the first kernel: by columns
    ("kernel$", P("model", None)),              # every other kernel: by rows
    ("bias$", None),                            # biases: a whole copy on every device
]
with sj.sharding.use(mesh, rules):
    store = net.init(jax.random.key(0), x)

print(store.summary())

# %% [markdown]
# The Store's summary gains two columns once values span several devices: `per device` (the
# bytes of the largest shard) and `sharding`. Each value is one `jax.Array` whose
# `addressable_shards` are the pieces on each device:

# %%
for name in ("encoder/fc1/kernel", "encoder/fc2/kernel", "encoder/fc1/bias"):
    v = store[name]
    print(f"{name:20} {str(v.shape):10} {str(v.sharding.spec):18} shards: {shards(v)}")

# %% [markdown]
# A variable no rule matches is replicated. With `strict=True` it is an error that names it,
# so a rule list that forgets a variable cannot silently put a copy of it on every device:

# %%
with expect_error(sj.ShardingError, r"encoder/fc1/bias: no sharding rule"):
    with sj.sharding.use(mesh, [("kernel$", P(None, "model"))], strict=True):
        net.init(jax.random.key(0), x)

# %% [markdown]
# ### Per-scope rules, and a TF1 partitioner
#
# Rules can also be attached to a scope, as TF1 attached an `initializer`: `variable_scope(...,
# sharding=rules)` applies to the variables created inside it and in its sub-scopes, before the
# `use` block's rules.
#
# TF1's `partitioner=` keeps working. `fixed_size_partitioner(4)` asked TF1 for 4 parts along
# axis 0; here the variable keeps its single TF1 name (`embed/table`, the name TF1's
# checkpoints use too) and its full shape, and axis 0 is sharded over the mesh's partition
# axis (`partition_axis="model"` below). TF1's formula for the number of parts only picks the
# axis and whether to split.

# %%
def tagger(ids):
    with sj.variable_scope("embed", partitioner=sj.fixed_size_partitioner(4)):
        table = sj.get_variable("table", [64, 16])
    with sj.variable_scope("proj", sharding=[("kernel$", P(None, "model"))]):
        with sj.variable_scope("inner"):  # inherits proj's rules
            h = jnp.tanh(sj.layers.dense(table[ids], 16, name="fc"))
        return sj.layers.dense(h, 4, name="out")


ids = jnp.arange(8)
with sj.sharding.use(mesh, [(".*", P())], partition_axis="model"):
    tagger_store = sj.transform(tagger).init(jax.random.key(0), ids)
print(tagger_store.summary())
print("embed/table shards:", shards(tagger_store["embed/table"]))

# %% [markdown]
# ## 2. Born sharded: init never builds a split variable whole
#
# A model of four 1024 x 1024 layers (16.8 MB of float32) is more than one device's share
# when split 8 ways. Under `use`, init draws each group of equally-sharded variables straight
# into its sharding (a compiled draw with `out_shardings`), so each device only ever computes
# its own columns. The values are **bit for bit** those of the unsharded init: a variable's
# initial value depends on its name and the key, never on the devices.

# %%
mesh8 = Mesh(np.array(jax.devices()), ("model",))  # all 8 devices on one axis


def wide(x):
    for i in range(4):
        x = jnp.tanh(sj.layers.dense(x, 1024, name=f"layer{i}"))
    return x


wide_net = sj.transform(wide)
xw = jnp.ones([2, 1024])
wide_rules = [("kernel$", P(None, "model")), (".*", P())]


class PeakBytes:
    # Peak bytes per device of the live arrays, sampled in a thread while the block runs.
    def __init__(self):
        self.peak, self._stop = {}, threading.Event()

    def sample(self):
        # A sharded array's shards are live arrays too once looked at: count each device
        # buffer once, by its address.
        now, seen = {}, set()
        for a in jax.live_arrays():
            with contextlib.suppress(RuntimeError):  # deleted while we looked
                for s in a.addressable_shards:
                    buffer = (s.device.id, s.data.unsafe_buffer_pointer())
                    if buffer not in seen:
                        seen.add(buffer)
                        now[s.device.id] = now.get(s.device.id, 0) + s.data.nbytes
        for d, b in now.items():
            self.peak[d] = max(self.peak.get(d, 0), b - self.base.get(d, 0))

    def __enter__(self):
        self.base = {}
        self.sample()
        self.base, self.peak = dict(self.peak), {}
        self._thread = threading.Thread(target=self._run)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.001):
            self.sample()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


with PeakBytes() as plain_peak:
    plain = wide_net.init(jax.random.key(0), xw)
with PeakBytes() as sharded_peak, sj.sharding.use(mesh8, wide_rules):
    sharded = wide_net.init(jax.random.key(0), xw)

same = all(np.array_equal(np.asarray(plain[n]), np.asarray(sharded[n])) for n in plain.names())
print("values identical to the unsharded init:", same)
print(sharded.summary())

# %% [markdown]
# The picture: bytes held by each device after init, counted from each value's
# `addressable_shards` (the same figure `sj.sharding.bytes_by_device` gives), and the peak of
# the live arrays per device while init ran (sampled every millisecond, so a lower bound).
# Unsharded, device 0 holds everything. Sharded, each device holds an eighth of the kernels
# plus a copy of the small biases; during init it briefly holds a little more than that: the
# four kernels are drawn as one stacked block per device (born split), then sliced into the
# four variables. No device ever holds a whole kernel.

# %%
def held(store):
    per = dict.fromkeys(range(8), 0)
    for v in store.flat().values():
        for s in v.addressable_shards:
            per[s.device.id] += s.data.nbytes
    return per


held_plain, held_sharded = held(plain), held(sharded)
by_device = sj.sharding.bytes_by_device(sharded.flat().values())
assert held_sharded == {d.id: b for d, b in by_device.items()}

fig, ax = plt.subplots(figsize=(8, 3))
dev = np.arange(8)
mb = 1e6
bars = [
    ("unsharded: held", held_plain),
    ("unsharded: peak during init", plain_peak.peak),
    ("sharded: held", held_sharded),
    ("sharded: peak during init", sharded_peak.peak),
]
for i, (label, per) in enumerate(bars):
    ax.bar(dev + 0.2 * i - 0.3, [per.get(d, 0) / mb for d in dev], 0.2, label=label)
ax.set_xticks(dev, [f"cpu {d}" for d in dev])
ax.set_ylabel("MB")
ax.set_title("Bytes per device: 4 layers of 1024 x 1024, kernels split 8 ways")
ax.legend(fontsize=8)
plt.show()
print(f"unsharded: device 0 holds {held_plain[0] / mb:.1f} MB, "
      f"peak {plain_peak.peak[0] / mb:.1f} MB during init")
print(f"sharded: each device holds {max(held_sharded.values()) / mb:.2f} MB, "
      f"peak {max(sharded_peak.peak.values()) / mb:.2f} MB during init "
      f"(one kernel is {plain['layer0/kernel'].nbytes / mb:.1f} MB)")

# %% [markdown]
# ## 3. Training across devices: data parallel and tensor parallel
#
# `sj.train.minimize` steps started inside `use` follow the same rules. The optimizer state
# (Adam's moments) is placed like its parameter, and the batch is split over the mesh's `data`
# axis. Two layouts of the same regression MLP, each trained 3 steps from the same init:
#
# * **data parallel** (DP): a 1-D mesh `data: 8`, every parameter replicated, each device
#   gets 2 of the 16 examples; XLA adds up the gradients across devices;
# * **tensor parallel** (TP, Megatron-style): the 2 x 4 mesh; `d1` split by columns and `d2`
#   by rows over `model`, so the hidden activations stay split and one all-reduce after `d2`
#   joins them; the batch is split over `data`.
#
# The losses equal the single-device run within float tolerance (sums are taken in another
# order across devices).

# %%
xs = jax.random.normal(jax.random.key(1), (16, 24))
ys = jax.random.normal(jax.random.key(2), (16,))


def regression_loss(x, y):
    h = jax.nn.relu(sj.layers.dense(x, 40, name="d1"))
    h = jax.nn.relu(sj.layers.dense(h, 24, name="d2"))
    return jnp.mean((sj.layers.dense(h, 1, name="out")[:, 0] - y) ** 2)


DP = [(".*", P())]
TP = [
    ("d1/kernel$", P(None, "model")),
    ("d1/bias$", P("model")),
    ("d2/kernel$", P("model", None)),
    (".*", P()),
]


def train(layout=None, steps=3):
    trainer = sj.train.minimize(regression_loss, optax.adam(1e-2))
    with sj.sharding.use(*layout) if layout else contextlib.nullcontext():
        state = trainer.init(jax.random.key(0), xs, ys)
        losses = []
        for _ in range(steps):
            state, metrics = trainer.step(state, xs, ys)
            losses.append(float(metrics["loss"]))
    return losses, state


one_losses, one_state = train()
dp_losses, dp_state = train((Mesh(np.array(jax.devices()), ("data",)), DP))
tp_losses, tp_state = train((mesh, TP))

print("step  one device   DP (8 x data)   TP (2 data x 4 model)")
for i, row in enumerate(zip(one_losses, dp_losses, tp_losses, strict=True), start=1):
    print(f"{i:4}  " + "   ".join(f"{v:.7f}" for v in row))
np.testing.assert_allclose(dp_losses, one_losses, rtol=2e-5)
np.testing.assert_allclose(tp_losses, one_losses, rtol=2e-5)
diff = max(float(jnp.abs(tp_state.store[n] - v).max()) for n, v in one_state.store.flat().items())
print("max |TP - one device| over the final parameters:", diff)

# %% [markdown]
# Where the TP run's parameters and Adam moments live:

# %%
adam = tp_state.opt_state[0]
for name in ("d1/kernel", "d1/bias", "d2/kernel", "out/kernel"):
    p = tp_state.store[name]
    print(f"{name:10} {str(p.sharding.spec):18} shard {next(iter(shards(p).values()))!s:9}"
          f" | mu like its parameter: {adam.mu[name].sharding == p.sharding}")

# %% [markdown]
# ## 4. Checkpoints across meshes
#
# `sj.checkpoint.save` writes a sharded state as it writes any other. `restore` inside a `use`
# block places every value by that block's rules, on that block's mesh: here the TP state,
# saved from the 2 x 4 mesh, comes back on a **different** mesh (4 of the devices, 2 x 2)
# with **different** rules. The target is `init_abstract` under the new rules: shapes and
# shardings only, no values drawn.

# %%
work = Path(tempfile.mkdtemp(prefix="scopejax_sharding_"))
path = sj.checkpoint.save(work / "tp", tp_state)

mesh4 = Mesh(np.array(jax.devices()[4:]).reshape(2, 2), ("data", "model"))
new_rules = [("d[12]/kernel$", P("data", "model")), (".*", P())]
with sj.sharding.use(mesh4, new_rules):
    target = sj.transform(regression_loss).init_abstract(jax.random.key(0), xs, ys)
    restored = sj.checkpoint.restore(path, target=target)

print(f"{'variable':11} {'saved (2 x 4 mesh)':28} restored (2 x 2 mesh, devices 4-7)")
for name, v in tp_state.store.flat().items():
    r = restored[name]
    before = f"{v.sharding.spec} {next(iter(shards(v).values()))}"
    after = f"{r.sharding.spec} {next(iter(shards(r).values()))} on {sorted(shards(r))}"
    print(f"{name:11} {before:28} {after}")
    np.testing.assert_array_equal(np.asarray(r), np.asarray(v))
print("every value restored exactly; d1/kernel is now", restored["d1/kernel"].sharding)
assert isinstance(restored["d1/kernel"].sharding, NamedSharding)

# %% [markdown]
# ## Summary
#
# * `sj.sharding.use(mesh, rules)`: `(regex on the full name, PartitionSpec)` pairs, first
#   match wins, unmatched replicated (or an error with `strict=True`); it applies to `init`,
#   `jax.jit(init)`, `init_abstract`, `apply`, `sj.train` and `sj.checkpoint.restore`.
# * `variable_scope(..., sharding=rules)` attaches rules to a scope; TF1's `partitioner=`
#   shards the axis it would have split, and the variable keeps its one name.
# * Init is born sharded: no device holds more than its share, and the values equal the
#   unsharded init bit for bit.
# * Training steps inside `use` place the optimizer state like the parameters and split the
#   batch over `data`; the losses equal one device's.
# * A checkpoint restores onto any mesh and rules.
#
# `python -m scopejax.launch -n 2 script.py` runs the same code in several processes with
# `jax.distributed`; `bench/sharded.py` measures init and step times on 8 devices.
