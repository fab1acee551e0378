# %% [markdown]
# # Variables and scopes: TensorFlow 1's variable management in JAX
#
# TensorFlow 1 gave every weight a home. `tf.get_variable` under `tf.variable_scope` names a
# weight by a path (`l1/weights`), `reuse` decides whether a call creates or shares it,
# `tf.name_scope` groups operations without touching weight names, and collections
# (trainable, frozen, your own) decide what the optimizer updates.
#
# **scopejax** keeps that discipline and makes it functional: ordinary Python functions call
# `sj.get_variable` under scopes, and `sj.transform` turns them into two pure functions,
# `init` and `apply`, that `jax.jit` compiles like any other JAX code.
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax |
# |---|---|
# | `tf.get_variable(name, shape, initializer=...)` | `sj.get_variable(...)`, returns a `jax.Array` |
# | `tf.variable_scope(name, reuse=...)`, `tf.AUTO_REUSE` | `sj.variable_scope`, `sj.AUTO_REUSE` |
# | `tf.name_scope(name)` | `sj.name_scope(name)`, which also reaches XLA metadata |
# | `tf.global_variables_initializer()` + `sess.run` | `store = net.init(key, *inputs)` |
# | `sess.run(y, feed_dict)` | `y = net.apply(store, *inputs)`, or `jax.jit(net.apply)` |
# | `tf.get_collection`, `tf.trainable_variables()` | the same names, plus `store.trainable()` |
# | `tf.assign` + `UPDATE_OPS` | `sj.assign` + `net.apply_with_state(store, ...)` |
#
# This notebook covers:
#
# 1. `get_variable`, `transform`, and the `Store`
# 2. The classic TF1 idioms: sharing, GAN discriminators, RNN loops, and the errors
# 3. Name scopes vs variable scopes, how name scopes reach XLA, the scope tree and TensorBoard
# 4. Randomness: initial values that depend only on the variable's name, and `next_rng_key`
# 5. Mutable state with `sj.assign`
# 6. Training a small regression with optax over `store.trainable()`

# %%
import contextlib
import functools
import re
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from IPython.display import SVG, display
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto import graph_pb2

import scopejax as sj

print("jax", jax.__version__, "| scopejax", sj.__version__, "| backend", jax.default_backend())

# %% [markdown]
# Many cells below run code that should fail, to show scopejax's errors. This small helper
# catches the expected error, prints its message, and fails the cell if no error is raised or
# if the message is not the expected one.

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

# %% [markdown]
# ## 1. `get_variable`, `transform` and the Store
#
# A layer is a plain function. It opens a `variable_scope` and asks for its weights by name.
# `get_variable` returns the weight's **value**, an ordinary `jax.Array`, so the rest of the
# layer is plain `jax.numpy`.

# %%
def dense(x, units, scope):
    with sj.variable_scope(scope, reuse=sj.AUTO_REUSE):
        w = sj.get_variable("weights", [x.shape[-1], units],
                            initializer=sj.initializers.glorot_uniform())
        b = sj.get_variable("bias", [units], initializer=sj.initializers.zeros())
    return jax.nn.relu(x @ w + b)


def model(x):
    with sj.name_scope("model"):  # groups operations only; variable names are unchanged
        return dense(dense(x, 16, "l1"), 4, "l2")

# %% [markdown]
# `get_variable` has to run inside a transformed function: JAX functions are pure, so
# variables cannot live in a hidden global graph. `sj.transform(model)` gives a pair of pure
# functions:
#
# * `init(key, *args)` runs `model` once. Each `get_variable` creates its variable, and
#   `init` returns a **Store** holding all of them.
# * `apply(store, *args)` runs `model` again, and each `get_variable` reads its value from the
#   store.

# %%
net = sj.transform(model)
x = jnp.linspace(-1.0, 1.0, 6).reshape(2, 3)

store = net.init(jax.random.key(0), x)
print(store)

# %% [markdown]
# Like TF1's graph, the Store knows every variable by its full name, together with its
# shape, dtype, trainability and collections. `store.summary()` prints them as a table.

# %%
print(store.summary())

# %% [markdown]
# In a notebook the store also shows itself as an HTML table:

# %%
store

# %% [markdown]
# The store is a nested dictionary by scope, so `store["l1"]` is a view of everything under
# `l1/`. The full path works as well. A name that matches nothing raises an error that
# suggests close names.

# %%
print(store["l1"])
print(store["l1"]["weights"].shape, store["l1/weights"].shape)
assert store["l1"]["weights"] is store["l1/weights"]
assert sorted(store) == ["l1", "l2"]  # the top level of the tree
assert store.names() == ["l1/bias", "l1/weights", "l2/bias", "l2/weights"]

with expect_error(KeyError, "Did you mean"):
    store["l1/weight"]

# %% [markdown]
# `apply` is pure, so it can be compiled with `jax.jit` directly. The Store is a JAX pytree:
# its values are the leaves, and the names and metadata travel as static data.

# %%
y_eager = net.apply(store, x)
y_jit = jax.jit(net.apply)(store, x)
print(y_jit)
np.testing.assert_allclose(y_eager, y_jit, rtol=1e-6)

# A plain (nested) dict of arrays works as a store too.
np.testing.assert_allclose(net.apply(store.to_dict(), x), y_eager, rtol=1e-6)
print(len(jax.tree.leaves(store)), "leaves")

# %% [markdown]
# ## 2. The classic TF1 idioms, live
#
# Each idiom below is run and then checked with assertions, so a change in behaviour would
# make this notebook fail in CI.
#
# ### 2a. A layer helper shared with `AUTO_REUSE`
#
# The most common TF1 sharing pattern is a helper that opens its scope with
# `reuse=tf.AUTO_REUSE`. The first call creates the variables and later calls with the same
# scope name share them. Here it builds a siamese pair: two inputs go through the same
# tower.

# %%
def dense_layer(x, n_in, n_out, scope_name):
    with sj.variable_scope(scope_name, reuse=sj.AUTO_REUSE):
        w = sj.get_variable("weights", [n_in, n_out])  # TF1 default: glorot-uniform
        b = sj.get_variable("biases", [n_out], initializer=sj.initializers.zeros())
    return x @ w + b


def siamese(left, right):
    return dense_layer(left, 3, 2, "tower"), dense_layer(right, 3, 2, "tower")


siamese_net = sj.transform(siamese)
left = jnp.arange(6.0).reshape(2, 3)
right = -left
siamese_store = siamese_net.init(jax.random.key(0), left, right)
print(siamese_store.names())

# %%
# One set of weights, used by both calls.
assert siamese_store.names() == ["tower/biases", "tower/weights"]
out_l, out_r = siamese_net.apply(siamese_store, left, right)
w = siamese_store["tower/weights"]
np.testing.assert_allclose(out_l, left @ w, rtol=1e-6)
np.testing.assert_allclose(out_r, right @ w, rtol=1e-6)
# The same input through either branch gives the same output.
a, b = siamese_net.apply(siamese_store, left, left)
np.testing.assert_array_equal(a, b)

# %% [markdown]
# ### 2b. A GAN discriminator, reopened by its scope object
#
# In a GAN the discriminator scores real and generated batches with the **same** weights.
# The TF1 idiom keeps the `VariableScope` object from the first `with` and reopens the scope
# from it with `reuse=True` for the fake batch.

# %%
def generator(z):
    with sj.variable_scope("generator"):
        w = sj.get_variable("w", [z.shape[-1], 3])
        return jnp.tanh(z @ w)


def discriminator_body(x):
    with sj.variable_scope("h0"):
        h = jax.nn.leaky_relu(x @ sj.get_variable("w", [3, 8]), 0.2)
    with sj.variable_scope("h1"):
        return h @ sj.get_variable("w", [8, 1])


def gan(z, real):
    fake = generator(z)
    with sj.variable_scope("discriminator") as d_scope:
        d_real = discriminator_body(real)
    with sj.variable_scope(d_scope, reuse=True) as reopened:  # reopen by object, share
        d_fake = discriminator_body(fake)
        scopes = {"reopened": reopened.name, "ops go to": sj.get_name_scope()}
    return d_real, d_fake, fake, scopes


gan_net = sj.transform(gan)
z = jax.random.normal(jax.random.key(1), (4, 2))
real = jax.random.normal(jax.random.key(2), (4, 3))
gan_store = gan_net.init(jax.random.key(0), z, real)
print(gan_store)

# %% [markdown]
# The discriminator has one set of weights. The reopened scope keeps the variable names
# (`discriminator/...`), but its operations go to a new name scope, `discriminator_1`, as in
# TF1. To check the sharing **by value**, feed the generated batch in as the "real" batch:
# the discriminator under the original scope must then give exactly the same scores as under
# the reopened scope.

# %%
assert gan_store.names() == ["discriminator/h0/w", "discriminator/h1/w", "generator/w"]

d_real, d_fake, fake, scopes = gan_net.apply(gan_store, z, real)
print(scopes)
assert scopes == {"reopened": "discriminator", "ops go to": "discriminator_1"}

d_real_on_fake, _, _, _ = gan_net.apply(gan_store, z, fake)  # "real" := the fake batch
np.testing.assert_array_equal(d_real_on_fake, d_fake)
assert not np.allclose(d_real, d_fake)  # different inputs, different scores

# The TF1 "d_vars / g_vars" split, by name:
d_vars, g_vars = gan_store.partition(regex=r"^discriminator/")
print("d_vars:", d_vars.names(), "\ng_vars:", g_vars.names())

# %% [markdown]
# ### 2c. An RNN loop: `scope.reuse_variables()` after step 0
#
# An unrolled RNN creates its cell's weights at step 0 and calls `scope.reuse_variables()`
# before the later steps. Every time step uses the same `rnn/cell/W` and `rnn/cell/U`. The
# name scopes are still uniquified (`rnn/cell`, `rnn/cell_1`, ...), which is TF1's grouping
# of each step's ops.

# %%
def rnn(xs, hidden=4):
    h = jnp.zeros([xs.shape[1], hidden])
    name_scopes = []
    with sj.variable_scope("rnn") as scope:
        for t in range(xs.shape[0]):
            if t > 0:
                scope.reuse_variables()
            with sj.variable_scope("cell"):
                name_scopes.append(sj.get_name_scope())
                W = sj.get_variable("W", [xs.shape[-1], hidden])
                U = sj.get_variable("U", [hidden, hidden])
                h = jnp.tanh(xs[t] @ W + h @ U)
    return h, name_scopes


rnn_net = sj.transform(rnn)
xs = jax.random.normal(jax.random.key(3), (5, 2, 3))  # (time, batch, features)
rnn_store = rnn_net.init(jax.random.key(0), xs)
h, name_scopes = rnn_net.apply(rnn_store, xs)
print(rnn_store.names())
print(name_scopes)

# %%
assert rnn_store.names() == ["rnn/cell/U", "rnn/cell/W"]  # one set of weights
assert name_scopes == ["rnn/cell", "rnn/cell_1", "rnn/cell_2", "rnn/cell_3", "rnn/cell_4"]

# Same result as a hand-written loop over the stored weights.
W, U = rnn_store["rnn/cell/W"], rnn_store["rnn/cell/U"]
h_ref = jnp.zeros([2, 4])
for t in range(xs.shape[0]):
    h_ref = jnp.tanh(xs[t] @ W + h_ref @ U)
np.testing.assert_allclose(h, h_ref, rtol=1e-5)

# %% [markdown]
# ### 2d. `name_scope` never changes variable names
#
# A classic surprise: `tf.name_scope("layer1")` around `tf.get_variable("w")` gives a variable
# named `w`, not `layer1/w`. Only `variable_scope` prefixes variable names. `name_scope`
# only groups operations.

# %%
def named(x):
    with sj.name_scope("layer1") as ns:
        w = sj.get_variable("w", [3, 2])
        names = [v.name for v in sj.global_variables()]
        return x @ w, ns, names


named_net = sj.transform(named)
named_store = named_net.init(jax.random.key(0), x)
_, ns, names = named_net.apply(named_store, x)
print("name scope:", ns, "| variables:", names)
assert ns == "layer1/"
assert names == ["w"] and named_store.names() == ["w"]

# %% [markdown]
# ### 2e. The two classic errors: reusing a missing variable, and creating one twice
#
# `reuse=True` means "share, and never create", so asking for a variable that does not exist
# yet is an error. `reuse=False`, the default at the top level, means "create", so creating the
# same variable twice is also an error. Both are `ValueError`s worded like TF1's and name the
# full path, so TF1 code that catches or matches them keeps working.

# %%
def reuse_missing(x):
    with sj.variable_scope("encoder", reuse=True):
        return x @ sj.get_variable("w", [3, 2])


with expect_error(ValueError, r"Variable encoder/w does not exist"):
    sj.transform(reuse_missing).init(jax.random.key(0), x)

# %%
def dense_layer_no_reuse(x, scope_name):
    with sj.variable_scope(scope_name):  # reuse not set: this creates
        return x @ sj.get_variable("weights", [3, 3])


def create_twice(x):
    h = dense_layer_no_reuse(x, "l1")
    return dense_layer_no_reuse(h, "l1")  # same scope again


with expect_error(ValueError, r"Variable l1/weights already exists, disallowed"):
    sj.transform(create_twice).init(jax.random.key(0), x)

# %% [markdown]
# Sharing with a different shape is also caught. Because `init` and `apply` run the same
# rules, a program that fails at `init` would fail in the same way at `apply`.

# %%
def wrong_shape(x):
    with sj.variable_scope("l1"):
        h = x @ sj.get_variable("weights", [3, 4])
    with sj.variable_scope("l1", reuse=True):
        return h @ sj.get_variable("weights", [4, 4])


with expect_error(ValueError, r"Trying to share variable l1/weights, but specified shape"):
    sj.transform(wrong_shape).init(jax.random.key(0), x)

# %% [markdown]
# ### 2f. Conv blocks: `name_scope(block)` + `variable_scope(f"{block}/conv1")`
#
# Many TF1 vision models name their weights with one slash-separated scope string inside a
# name scope for the block. The variables are `block1/conv1/kernel`. The ops get the name
# scope *plus* the variable scope's own name scope, so they land in `block1/block1/conv1`.
# That is exactly what TF1 does, and it is worth knowing when reading a TensorBoard graph.

# %%
def conv_blocks(img):
    op_scopes = []
    for block in ["block1", "block2"]:
        with sj.name_scope(block):
            for conv in ["conv1", "conv2"]:
                with sj.variable_scope(f"{block}/{conv}"):
                    op_scopes.append(sj.get_name_scope())
                    k = sj.get_variable("kernel", [3, 3, img.shape[-1], 4])
                    b = sj.get_variable("bias", [4], initializer=sj.initializers.zeros())
                    img = jax.nn.relu(
                        jax.lax.conv_general_dilated(
                            img, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
                        ) + b
                    )
    return img, op_scopes


conv_net = sj.transform(conv_blocks)
img = jnp.ones([1, 8, 8, 4])
conv_store = conv_net.init(jax.random.key(0), img)
out, op_scopes = conv_net.apply(conv_store, img)
print(conv_store.summary())
print(op_scopes)

# %%
assert conv_store.names() == [
    f"{blk}/{c}/{v}" for blk in ("block1", "block2") for c in ("conv1", "conv2")
    for v in ("bias", "kernel")
]
assert op_scopes == ["block1/block1/conv1", "block1/block1/conv2",
                     "block2/block2/conv1", "block2/block2/conv2"]
assert out.shape == (1, 8, 8, 4)

# %% [markdown]
# ### 2g. Freezing: `trainable=False` and a custom `FROZEN_VARS` collection
#
# In TF1 you freeze a pretrained embedding with `trainable=False` and often also tag it in a
# collection of your own. scopejax keeps the collections in the store's metadata, so you can
# select variables *outside* the model. `store.trainable()` gives the `TRAINABLE_VARIABLES`
# collection, and `store.partition(collection)` splits the store in two.
#
# Note the TF1 rule for `collections=`: it **replaces** the default `[GLOBAL_VARIABLES]`.
# To keep a variable in `global_variables()`, list it explicitly, as below.

# %%
def classifier(ids):
    with sj.variable_scope("embedding"):
        table = sj.get_variable(
            "table", [10, 4], trainable=False,
            collections=[sj.GraphKeys.GLOBAL_VARIABLES, "FROZEN_VARS"],
        )
    with sj.variable_scope("head"):
        w = sj.get_variable("w", [4, 1])
    seen = {
        "global": [v.name for v in sj.global_variables()],
        "trainable": [v.name for v in sj.trainable_variables()],
        "FROZEN_VARS": [v.name for v in sj.get_collection("FROZEN_VARS")],
    }
    return table[ids] @ w, seen


clf_net = sj.transform(classifier)
ids = jnp.array([1, 2, 3])
clf_store = clf_net.init(jax.random.key(0), ids)
_, seen = clf_net.apply(clf_store, ids)
print(seen)
print(clf_store.summary())

# %%
assert seen == {"global": ["embedding/table", "head/w"], "trainable": ["head/w"],
                "FROZEN_VARS": ["embedding/table"]}
assert clf_store.trainable().names() == ["head/w"]
frozen, rest = clf_store.partition("FROZEN_VARS")
assert frozen.names() == ["embedding/table"] and rest.names() == ["head/w"]
assert clf_store.info("embedding/table").collections == ("variables", "FROZEN_VARS")
# The two halves merge back into the full store.
assert sj.merge(frozen, rest).names() == clf_store.names()

# %% [markdown]
# ## 3. Name scopes vs variable scopes
#
# Two namespaces are at work:
#
# * the **variable name** (`enc/w`), from variable scopes only. It decides sharing.
# * the **name scope** of operations (`model/enc_1/...`), from both kinds of scope. It groups
#   ops for TensorBoard in TF1, and for XLA and the profiler here.
#
# Re-entering a variable scope keeps the variable names but uniquifies the name scope:
# the second `enc` opens the name scope `enc_1`.

# %%
def encoder(x):
    with sj.variable_scope("enc", reuse=sj.AUTO_REUSE) as scope:
        w = sj.get_variable("w", [x.shape[-1], x.shape[-1]])
        h = jnp.tanh(x @ w)  # computed inside the scope: its ops are named model/enc.../
        return h, sj.get_name_scope(), scope.original_name_scope


def two_views(a, b):
    with sj.name_scope("model"):
        ha, ns_a, orig_a = encoder(a)
        hb, ns_b, orig_b = encoder(b)
    return ha + hb, (ns_a, ns_b, orig_a, orig_b)


views_net = sj.transform(two_views)
views_store = views_net.init(jax.random.key(0), x, x)
_, scopes = views_net.apply(views_store, x, x)
print("variables:  ", views_store.names())
print("name scopes:", scopes[:2], "| original_name_scope:", scopes[2:])
assert views_store.names() == ["enc/w"]
assert scopes == ("model/enc", "model/enc_1", "model/enc/", "model/enc_1/")

# %% [markdown]
# **Name scopes reach XLA.** `name_scope` and `variable_scope` enter `jax.named_scope`, so
# the compiled program's op metadata carries `model/enc/...` and `model/enc_1/...`. Profiler
# traces (TensorBoard, Perfetto) show the same names. Here are the lines of the lowered
# program that mention `model/`:

# %%
def forward(store, a, b):
    return views_net.apply(store, a, b)[0]


hlo = jax.jit(forward).lower(views_store, x, x).as_text(debug_info=True)
model_lines = [line for line in hlo.splitlines() if "model/" in line]
print("\n".join(model_lines))
assert any("model/enc/dot_general" in line for line in model_lines)
assert any("model/enc_1/dot_general" in line for line in model_lines)

# %% [markdown]
# `sj.transform(fn, named_scopes=False)` keeps the names out of the compiled program, if you
# ever need that. Variable names and sharing do not change.

# %%
plain = sj.transform(two_views, named_scopes=False)
hlo_plain = jax.jit(lambda s, a, b: plain.apply(s, a, b)[0]).lower(views_store, x, x)
assert "model/" not in hlo_plain.as_text(debug_info=True)

# %% [markdown]
# ### Seeing both namespaces: the scope tree
#
# `sj.summary.scope_tree(fn, *args)` traces `fn` (nothing runs) and counts, per scope, the
# operations at their **name-scope** path and the variables at their **variable-scope** path,
# with their parameters and bytes. The text form, for `two_views` (through `forward`, which
# returns its arrays only): the name scope `model` holds the two encoder calls' ops
# (`model/enc`, `model/enc_1`) and no variables; the variable `enc/w` lives in the variable
# scope `enc`, which holds no ops.

# %%
views_tree = sj.summary.scope_tree(forward, views_store, x, x)  # forward: from the cell above
print(views_tree)
assert views_tree["model/enc"].total_ops > 0 and views_tree["model"].total_params == 0
assert views_tree["enc"].total_params == views_store.num_params and views_tree["enc"].ops == 0

# %% [markdown]
# TF1's classic surprise, seen in one picture: a layer called inside a `name_scope` keeps its
# variables where the variable scopes put them (`tower/l2/kernel`), while its ops move under
# the name scope (`tower/block/l2/...`). A scope tagged `[ops only]` was made by a name scope;
# `[variables only]` is a variable scope whose ops ran elsewhere. Beside it,
# `store.summary()` lists the same variables by name.
#
# In Jupyter the tree displays as nested, collapsible blocks (click a line to fold it), each
# with two bars: its share of all ops and of all parameter bytes. No server and no JavaScript
# are involved; `tree.svg()` is the same tree as one SVG image.

# %%
def tower(x):
    with sj.variable_scope("tower"):
        with sj.name_scope("preprocess"):  # ops only
            x = (x - 0.5) * 2.0
        h = sj.layers.dense(x, 16, activation=jax.nn.relu, name="l1")
        with sj.name_scope("block"):  # renames l2's ops, not its variables
            h = sj.layers.dense(h, 16, activation=jax.nn.relu, name="l2")
        return sj.layers.dense(h, 1, name="out")


tower_net = sj.transform(tower)
tower_x = jnp.ones([8, 4])
tower_store = tower_net.init(jax.random.key(0), tower_x)
print(tower_store.summary())
tower_tree = sj.summary.scope_tree(tower_net.apply, tower_store, tower_x)
assert tower_tree["tower/block/l2"].total_params == 0 and tower_tree["tower/l2"].ops == 0
display(tower_tree)  # the collapsible HTML form

# %%
display(SVG(tower_tree.svg()))  # the same tree as one SVG image

# %% [markdown]
# ### TensorBoard
#
# TF1 drew these name scopes as boxes in TensorBoard's Graphs tab. `sj.summary.write_graph`
# writes the same kind of event file, with the `tensorboard` package alone (no TensorFlow):
# every op named by its name-scope path, every variable a `VariableV2` node under its full
# name, with edges from the variables to the ops that read them. Here we read the file back
# with tensorboard's own loader and list the graph's nodes:

# %%
logdir = Path(tempfile.mkdtemp(prefix="scopejax_tb_"))
event_file = sj.summary.write_graph(logdir / "tower", tower_net.apply, tower_store, tower_x)
print("wrote", Path(event_file).relative_to(logdir).parent / "events.out.tfevents.*")

(event,) = [e for e in EventFileLoader(str(event_file)).Load() if e.HasField("graph_def")]
graph = graph_pb2.GraphDef.FromString(event.graph_def)
for node in graph.node:
    print(f"{node.op:16} {node.name:32} <- {', '.join(node.input)}")
assert {"tower/block/l2/dot_general", "tower/l2/kernel"} <= {n.name for n in graph.node}

# %% [markdown]
# To see it, run in a terminal `tensorboard --logdir DIR` (DIR: the folder above, `logdir`)
# and open <http://localhost:6006>: the Graphs tab shows a box `tower` holding `preprocess`,
# `l1`, `block`, `out` and the `l2` variables, and each box opens on a double click.
# Notebook 03 logs a training run's loss and metrics the same way.

# %% [markdown]
# ## 4. Randomness
#
# ### Initial values depend on the variable's name, not on creation order
#
# Each variable's initial value is drawn from `fold_in(init_key, stable_hash(full_name))`.
# So adding a layer, removing one, or creating them in another order never changes the other
# layers' initial values. (In TF1 a graph-level seed gave no such guarantee.)

# %%
def autoencoder(x):
    with sj.variable_scope("encoder"):
        h = jnp.tanh(x @ sj.get_variable("w", [3, 8]))
    with sj.variable_scope("decoder"):
        return h @ sj.get_variable("w", [8, 3])


def autoencoder_plus(x):  # one more layer in the middle
    with sj.variable_scope("encoder"):
        h = jnp.tanh(x @ sj.get_variable("w", [3, 8]))
    with sj.variable_scope("bottleneck"):
        h = jnp.tanh(h @ sj.get_variable("w", [8, 8]))
    with sj.variable_scope("decoder"):
        return h @ sj.get_variable("w", [8, 3])


key = jax.random.key(42)
small = sj.transform(autoencoder).init(key, x)
bigger = sj.transform(autoencoder_plus).init(key, x)
print(small.names(), "->", bigger.names())
for name in small.names():
    np.testing.assert_array_equal(small[name], bigger[name])
print("encoder/w and decoder/w are unchanged by the new layer")

# %% [markdown]
# The key of a variable can be computed by hand. The default initializer for floats is
# TF1's glorot-uniform:

# %%
var_key = jax.random.fold_in(key, sj.stable_hash("encoder/w"))
by_hand = sj.initializers.glorot_uniform()(var_key, (3, 8), jnp.float32)
np.testing.assert_array_equal(by_hand, small["encoder/w"])
print("stable_hash('encoder/w') =", sj.stable_hash("encoder/w"))

# %% [markdown]
# ### Randomness at `apply`: `next_rng_key`
#
# Layers that need randomness when they run, such as dropout, call `sj.next_rng_key()`. The keys
# come from `apply(..., rng=key)`: the same key gives the same mask, and a new key gives a new
# mask. Forgetting the key is a clear error, not a silently fixed mask.

# %%
def dropout_net(x, rate=0.5):
    with sj.variable_scope("fc"):
        h = x @ sj.get_variable("w", [3, 8], initializer=sj.initializers.ones())
    keep = jax.random.bernoulli(sj.next_rng_key(), 1.0 - rate, h.shape)
    return jnp.where(keep, h / (1.0 - rate), 0.0)


drop = sj.transform(dropout_net)
ones = jnp.ones([2, 3])
drop_store = drop.init(jax.random.key(0), ones)
apply_jit = jax.jit(drop.apply)

m1 = apply_jit(drop_store, ones, rng=jax.random.key(1))
m1_again = apply_jit(drop_store, ones, rng=jax.random.key(1))
m2 = apply_jit(drop_store, ones, rng=jax.random.key(2))
print(m1, m2, sep="\n\n")
np.testing.assert_array_equal(m1, m1_again)
assert not np.array_equal(m1 != 0, m2 != 0)
assert set(np.unique(m1).tolist()) <= {0.0, 6.0}  # dropped, or 3 * 1/(1-0.5)

# %%
with expect_error(ValueError, r"rng=jax\.random\.key"):
    drop.apply(drop_store, ones)  # no rng=

# %% [markdown]
# ## 5. Mutable state: `sj.assign` and `apply_with_state`
#
# Batch-norm statistics and step counters are non-trainable variables that the forward
# pass updates. In TF1 that was `tf.assign` plus `UPDATE_OPS`. In scopejax, `sj.assign`
# records the new value and `net.apply_with_state(store, ...)` returns `(output, new_store)`,
# while `net.apply` stays stateless and returns the output only. The input store is never
# modified, because JAX arrays are immutable. (The older spelling
# `net.apply(store, ..., mutable=True)` still works but is deprecated.)

# %%
def normalize(x, momentum=0.9):
    with sj.variable_scope("stats"):
        mean = sj.get_variable("mean", [x.shape[-1]], trainable=False,
                               initializer=sj.initializers.zeros())
        sj.get_variable("count", [], jnp.int32, trainable=False)  # a counter, read by name
        new_mean = momentum * mean + (1.0 - momentum) * x.mean(axis=0)
        sj.assign(mean, new_mean)  # by the array get_variable returned...
        sj.assign_add("stats/count", 1)  # ...or by full name
    return x - new_mean


norm = sj.transform(normalize)
batch = jnp.full([4, 3], 10.0)
state = norm.init(jax.random.key(0), batch)
print(state)  # init keeps the initial values: mean 0, count 0

# apply_with_state jits like apply. Its `mutable` (default True: every variable may change)
# is a Python value: restrict it with functools.partial or static_argnames="mutable".
update = jax.jit(norm.apply_with_state)
for _ in range(3):
    out, state = update(state, batch)
print("mean:", state["stats/mean"], "| count:", state["stats/count"])

# %%
assert int(state["stats/count"]) == 3
np.testing.assert_allclose(state["stats/mean"], 10.0 * (1 - 0.9**3), rtol=1e-5)
assert state.trainable().names() == []  # statistics are not for the optimizer

# %% [markdown]
# If you call the stateless `apply` on a function that assigns, the update would be lost.
# scopejax raises an error instead of dropping it silently:

# %%
with expect_error(ValueError, r"apply_with_state"):
    norm.apply(state, batch)

# Restrict what may change with `mutable` (a collection name or a list of them):
only_globals = jax.jit(functools.partial(norm.apply_with_state,
                                         mutable=sj.GraphKeys.GLOBAL_VARIABLES))
out, state = only_globals(state, batch)
assert int(state["stats/count"]) == 4

# %% [markdown]
# ## 6. Training a small regression with optax
#
# The store's metadata survives `jax.grad` and optax updates, so the usual TF1 recipe
# "minimize over `tf.trainable_variables()`" becomes:
#
# 1. split the store: `params = store.trainable()`, `frozen = store.non_trainable()`;
# 2. differentiate with respect to `params` only, merging with `sj.merge(params, frozen)`
#    inside the loss;
# 3. after training, merge back into one store.
#
# The model fits `y = sin(2x) + 0.1x` with one hidden layer. It also has a frozen output
# scale, which must come out of training unchanged.

# %%
def regressor(x):
    with sj.variable_scope("hidden"):
        w = sj.get_variable("w", [1, 32])
        b = sj.get_variable("b", [32], initializer=sj.initializers.zeros())
        h = jnp.tanh(x @ w + b)
    with sj.variable_scope("out"):
        w = sj.get_variable("w", [32, 1])
        b = sj.get_variable("b", [1], initializer=sj.initializers.zeros())
        scale = sj.get_variable("scale", [], trainable=False,
                                initializer=sj.initializers.constant(1.0))
        return scale * (h @ w + b)


reg = sj.transform(regressor)
xs = jnp.linspace(-2.0, 2.0, 64)[:, None]
ys = jnp.sin(2.0 * xs) + 0.1 * xs

store = reg.init(jax.random.key(0), xs)
params, frozen = store.trainable(), store.non_trainable()
print("trainable:", params.names(), "| frozen:", frozen.names())

optimizer = optax.adam(0.05)
opt_state = optimizer.init(params)


def loss_fn(params, frozen, x, y):
    pred = reg.apply(sj.merge(params, frozen), x)
    return jnp.mean((pred - y) ** 2)


@jax.jit
def train_step(params, opt_state, frozen, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, frozen, x, y)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


losses = []
for _ in range(60):
    params, opt_state, loss = train_step(params, opt_state, frozen, xs, ys)
    losses.append(float(loss))
print(f"loss: {losses[0]:.4f} -> {losses[-1]:.4f}")

# %%
fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(9, 3))
ax_loss.semilogy(losses)
ax_loss.set(xlabel="step", ylabel="MSE", title="training loss")
trained = sj.merge(params, frozen)
ax_fit.plot(xs[:, 0], ys[:, 0], "k.", label="data")
ax_fit.plot(xs[:, 0], reg.apply(trained, xs)[:, 0], label="model")
ax_fit.set(xlabel="x", title="fit after 60 steps")
ax_fit.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The optimizer's output is still a Store with all its metadata. The merged store has every
# variable again, the frozen scale is untouched, and it plugs straight back into `apply`.

# %%
print(trained.summary())
assert isinstance(params, sj.Store)
assert trained.names() == store.names()
assert trained.info("out/scale").trainable is False
assert float(trained["out/scale"]) == 1.0
assert losses[-1] < losses[0] / 5
assert not np.allclose(trained["hidden/w"], store["hidden/w"])  # trained weights moved

# %% [markdown]
# ## Summary
#
# * `sj.get_variable` under `sj.variable_scope` names every weight by its path.
#   `sj.transform` turns the model into pure `init` / `apply`, and the **Store** holds
#   every variable by name, with its metadata, as a JAX pytree.
# * Sharing works as in TF1 (`AUTO_REUSE`, reopening a scope object with `reuse=True`,
#   `scope.reuse_variables()`), and so do TF1's errors, worded like TF1's.
# * `name_scope` never changes variable names. Name scopes are uniquified on re-entry and
#   reach XLA's op metadata. `sj.summary.scope_tree` shows both namespaces inline, and
#   `sj.summary.write_graph` draws them as TensorBoard boxes, without TensorFlow.
# * Initial values depend only on `(key, full name)`. Apply-time randomness comes from
#   `apply(..., rng=key)` through `sj.next_rng_key()`.
# * State updates go through `sj.assign` and `net.apply_with_state(store, ...)`, which
#   returns `(output, new_store)`; `net.apply` is stateless.
# * Collections live on in the store's metadata. `store.trainable()`, `partition` and `merge`
#   plug directly into optax.
