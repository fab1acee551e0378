# %% [markdown]
# # RNNs and loops: `reuse_variables()`, `sj.scan` and `sj.layer_stack`
#
# In TF1 a recurrent network was one of two graphs. `tf.nn.static_rnn`, or a Python loop that
# calls `scope.reuse_variables()` after step 0, **unrolled** the cell into T copies of its ops
# that all read the same variables. `tf.nn.dynamic_rnn` built a `tf.while_loop`: the cell's
# ops appeared once and the loop ran them T times. Both created the same variables
# (`rnn/lstm_cell/kernel`, `rnn/lstm_cell/bias`), so a checkpoint did not care which one wrote
# it.
#
# JAX has the same two choices. A Python loop inside `jax.jit` is unrolled: the program holds
# T copies of the step, and XLA's compile time grows with T. `jax.lax.scan` is the
# `while_loop`: the step is traced and compiled once. `sj.scan` is `lax.scan` for functions
# that call `get_variable`. The variables are created once, from the first step, shared by
# every step, and named as the Python loop names them.
#
# | TensorFlow 1 (`tf.compat.v1`) | scopejax |
# |---|---|
# | Python loop + `scope.reuse_variables()`; `tf.nn.static_rnn` | the same loop; `sj.nn.static_rnn` |
# | `tf.nn.dynamic_rnn`, `tf.while_loop`, `tf.scan` | `sj.scan(step, init, xs)` |
# | `tf.nn.rnn_cell.LSTMCell(n)`, `cell(x, state)`, `zero_state` | `sj.nn.LSTMCell(n)`, same calls |
# | N copies of a block under `block_0/`, `block_1/`, ... | `sj.layer_stack(N, block)` |
#
# `sj.nn.dynamic_rnn` keeps TF1's names and arguments but is a Python loop (unrolled under
# `jit`); `sj.scan` is the compiled loop. `sj.unstack_layers` gives a layer stack's
# variables the per-block names of the unrolled model.
#
# Contents:
#
# 1. The TF1 RNN: a Python loop with `reuse_variables()`
# 2. The same model with `sj.scan`: same names, same outputs on the same store
# 3. Compile time as the sequence grows: the loop against `sj.scan`
# 4. Training a character-level LSTM with `sj.scan` and optax
# 5. Deep networks: `sj.layer_stack` and per-layer names
#
# Everything runs on a CPU in well under a minute. Nothing is downloaded.

# %%
import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import scopejax as sj

print("jax", jax.__version__, "| optax", optax.__version__, "| scopejax", sj.__version__,
      "| backend", jax.default_backend())
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. The TF1 RNN: a Python loop with `reuse_variables()`
#
# This is the RNN from many TF1 tutorials. One `LSTMCell` is called once per time step, inside
# one variable scope. Step 0 creates the cell's variables; from step 1 on,
# `scope.reuse_variables()` makes `get_variable` return them instead of failing with
# "Variable ... already exists". The inputs are time-major, `[time, batch, features]`, as
# `dynamic_rnn(..., time_major=True)` takes them.
#
# The cell picks its variable scope at its first call, as TF1's cells do, so the variables are
# `rnn/lstm_cell/kernel` (`[features + units, 4 * units]`, the gates `i, j, f, o` side by side)
# and `rnn/lstm_cell/bias`.

# %%
T, B, F, H = 12, 4, 3, 8            # time steps, batch, input features, LSTM units
xs = jax.random.normal(jax.random.key(1), (T, B, F))


def rnn_loop(xs):
    with sj.variable_scope("rnn") as scope:
        cell = sj.nn.LSTMCell(H)
        state = cell.zero_state(xs.shape[1], xs.dtype)
        outputs = []
        for t in range(xs.shape[0]):
            if t > 0:
                scope.reuse_variables()     # steps 1..T-1 reuse step 0's variables
            out, state = cell(xs[t], state)
            outputs.append(out)
    return jnp.stack(outputs), state


loop_net = sj.transform(rnn_loop)
store = loop_net.init(jax.random.key(0), xs)
print(store)
ys_loop, state_loop = loop_net.apply(store, xs)
print("outputs", ys_loop.shape, "| final state c", state_loop.c.shape, "h", state_loop.h.shape)

# %% [markdown]
# One set of variables for all twelve steps. Under `jax.jit`, though, the Python loop runs at
# trace time: the program holds twelve copies of the cell. The jaxpr (JAX's program before
# XLA) shows it; we count its equations:

# %%
def n_equations(fn, *args):
    return len(jax.make_jaxpr(fn)(*args).jaxpr.eqns)


print("equations in the unrolled program:", n_equations(loop_net.apply, store, xs))

# %% [markdown]
# ## 2. The same model with `sj.scan`
#
# `sj.scan(step, init, xs)` has `jax.lax.scan`'s signature: `step(carry, x)` returns
# `(new_carry, y)`; `sj.scan` returns the final carry and the `y`s stacked along the time axis.
# Here the carry is the LSTM state and `y` is the step's output. The step function calls the
# same cell, under the same `rnn` scope.
#
# No `reuse_variables()` is needed. The step is traced **once**, and the variables it asks for
# are created at that one trace and shared by every iteration. This is what
# `reuse_variables()` expressed, and what `tf.while_loop` did in TF1.

# %%
def rnn_scan(xs):
    with sj.variable_scope("rnn"):
        cell = sj.nn.LSTMCell(H)
        state = cell.zero_state(xs.shape[1], xs.dtype)

        def step(state, x):
            out, state = cell(x, state)
            return state, out           # (new carry, per-step output)

        state, outputs = sj.scan(step, state, xs)
    return outputs, state


scan_net = sj.transform(rnn_scan)
scan_store = scan_net.init(jax.random.key(0), xs)
print(scan_store)
print("equations in the scanned program:", n_equations(scan_net.apply, scan_store, xs))

# %% [markdown]
# The two models are interchangeable:
#
# * the same variable names and shapes, and with the same `init` key the same initial values
#   (each variable's initial value depends only on the key and its name);
# * the scan model applied to the **loop's** store gives the loop's outputs, and so does its
#   gradient. A checkpoint written by one loads into the other.

# %%
assert scan_store.names() == store.names() == ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel"]
for name in store.names():
    np.testing.assert_array_equal(scan_store[name], store[name])

ys_scan, state_scan = scan_net.apply(store, xs)          # the loop's store
np.testing.assert_allclose(ys_scan, ys_loop, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(state_scan.c, state_loop.c, rtol=1e-5, atol=1e-6)


def loss_of(net):
    return lambda s: jnp.sum(net.apply(s, xs)[0] ** 2)


g_loop = jax.grad(loss_of(loop_net))(store)
g_scan = jax.grad(loss_of(scan_net))(store)
for name in store.names():
    np.testing.assert_allclose(g_scan[name], g_loop[name], rtol=1e-4, atol=1e-6)
print("same names, same outputs, same gradients; max |difference| of outputs:",
      float(jnp.max(jnp.abs(ys_scan - ys_loop))))

# %% [markdown]
# The store of `sj.nn.dynamic_rnn` (TF1's names: a Python loop under `rnn/`, batch-major
# inputs) fits the scan model too:

# %%
def with_dynamic_rnn(xs_batch_major):
    return sj.nn.dynamic_rnn(sj.nn.LSTMCell(H), xs_batch_major)[0]


xs_bm = jnp.swapaxes(xs, 0, 1)                                 # [batch, time, features]
dyn_net = sj.transform(with_dynamic_rnn)
dyn_store = dyn_net.init(jax.random.key(7), xs_bm)
assert dyn_store.names() == store.names()
np.testing.assert_allclose(
    scan_net.apply(dyn_store, xs)[0], jnp.swapaxes(dyn_net.apply(dyn_store, xs_bm), 0, 1),
    rtol=1e-5, atol=1e-6)
print("dynamic_rnn's store runs in the sj.scan model:", dyn_store.names())

# %% [markdown]
# ## 3. Compile time as the sequence grows
#
# The unrolled program grows with T; the scanned one does not. We time what the first call of
# a jitted function pays before it runs: tracing, lowering to XLA and compiling
# (`jax.jit(f).lower(...).compile()`), for the forward pass of an LSTM with 32 units, T = 10
# to 80. Each measurement uses a fresh function object, so that nothing comes from JAX's
# caches.

# %%
def compile_seconds(fn, *args, repeats=1):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.jit(lambda *a: fn(*a)).lower(*args).compile()   # a fresh function each time
        best = min(best, time.perf_counter() - start)
    return best


H_BIG, STEPS = 32, [10, 20, 40, 80]


def make_rnn(body):
    def rnn(xs):
        with sj.variable_scope("rnn") as scope:
            cell = sj.nn.LSTMCell(H_BIG)
            state = cell.zero_state(xs.shape[1], xs.dtype)
            return body(cell, state, xs, scope)
    return rnn


def loop_body(cell, state, xs, scope):
    outs = []
    for t in range(xs.shape[0]):
        if t > 0:
            scope.reuse_variables()
        out, state = cell(xs[t], state)
        outs.append(out)
    return jnp.stack(outs)


def scan_body(cell, state, xs, scope):
    def step(state, x):
        out, state = cell(x, state)
        return state, out

    return sj.scan(step, state, xs)[1]


timings = {"Python loop (unrolled)": [], "sj.scan": []}
eqns = {"Python loop (unrolled)": [], "sj.scan": []}
for steps in STEPS:
    x = jax.random.normal(jax.random.key(2), (steps, 16, 8))
    for label, body in (("Python loop (unrolled)", loop_body), ("sj.scan", scan_body)):
        net = sj.transform(make_rnn(body))
        s = net.init(jax.random.key(0), x)
        timings[label].append(compile_seconds(net.apply, s, x))
        eqns[label].append(n_equations(net.apply, s, x))
    print(f"T={steps:3d}: " + ", ".join(
        f"{k} {v[-1]:.2f} s ({eqns[k][-1]} equations)" for k, v in timings.items()))

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for label, marker in (("Python loop (unrolled)", "o"), ("sj.scan", "s")):
    ax.plot(STEPS, timings[label], marker=marker, label=label)
ax.set_xlabel("time steps T")
ax.set_ylabel("trace + lower + compile, s")
ax.set_title(f"LSTM({H_BIG}) forward pass, jit compile time (CPU)")
ax.set_xticks(STEPS)
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# The scanned program has the same size at every T; the unrolled one grows with T.
assert len(set(eqns["sj.scan"])) == 1
assert eqns["Python loop (unrolled)"][-1] > 4 * eqns["Python loop (unrolled)"][0]
assert timings["sj.scan"][-1] < timings["Python loop (unrolled)"][-1]

# %% [markdown]
# The gradient makes the gap larger: XLA then compiles the forward and the backward loop. In
# `bench/rnn_compile.py` (an LSTM with 128 units, batch 16; see `bench/README.md`), compiling
# `value_and_grad` of the unrolled loop took 6.6 s at T = 25 and 53–59 s at T = 100 on a
# 2-core CPU, for scopejax, Haiku and Flax alike, and the compiled unrolled gradient then ran
# 9–11× slower than the scanned one. With a scan, compiling stays near 0.5 s at every T up
# to 400.
#
# `sj.scan(..., unroll=k)` unrolls k steps inside each iteration of the loop, as `lax.scan`
# does: a middle ground worth trying where a short unrolled stretch runs faster (more often on
# accelerators than on a CPU).

# %% [markdown]
# ## 4. Training a character-level LSTM with `sj.scan`
#
# The classic char-RNN: read a text one character at a time and predict the next character.
# The text is a short paragraph written here; the model is an embedding, an `LSTMCell` run
# by `sj.scan`, and a dense layer that gives the logits of the next character. The loss is the
# mean cross-entropy over every position of every sequence.
#
# Training uses `sj.train.minimize`, TF1's `optimizer.minimize`: it differentiates the
# trainable variables, applies an optax optimizer, and returns a jitted step.

# %%
TEXT = (
    "in the beginning the graph was static and every variable had a name. "
    "a scope gave the name a prefix, and reuse let two towers share their weights. "
    "the recurrent network called one cell at every step, and the cell asked for its "
    "kernel and its bias by name, so every step read the same variables. "
    "the while loop ran the cell many times, but the cell was built only once. "
)
chars = sorted(set(TEXT))
VOCAB = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
data = np.array([char_to_id[c] for c in TEXT], dtype=np.int32)
print(f"{len(TEXT)} characters, vocabulary of {VOCAB}: {''.join(chars)!r}")

SEQ, BATCH, UNITS, EMB = 40, 32, 64, 32


def batch_at(step):
    # BATCH windows of SEQ + 1 characters; inputs are the first SEQ, targets the last SEQ.
    rng = np.random.default_rng(step)
    starts = rng.integers(0, len(data) - SEQ - 1, size=BATCH)
    windows = np.stack([data[s:s + SEQ + 1] for s in starts], axis=1)   # [SEQ + 1, BATCH]
    return jnp.asarray(windows[:-1]), jnp.asarray(windows[1:])

# %%
def char_model():
    # The three parts. Modules take their scope as TF1's layers do: the embedding and the
    # dense layer when built (`embedding/`, `softmax/`), the cell at its first call (inside
    # `rnn/`, so `rnn/lstm_cell/`). Calling a module again reuses its variables.
    return sj.nn.Embedding(VOCAB, EMB), sj.nn.LSTMCell(UNITS), sj.nn.Dense(VOCAB, name="softmax")


def char_rnn(ids, state=None, parts=None):
    # ids: [time, batch] integer characters -> logits [time, batch, VOCAB], final LSTM state
    embed, cell, softmax = parts or char_model()
    with sj.variable_scope("rnn"):
        if state is None:
            state = cell.zero_state(ids.shape[1], jnp.float32)

        def step(state, x):
            out, state = cell(x, state)
            return state, out

        state, outputs = sj.scan(step, state, embed(ids))
    return softmax(outputs), state


def loss_fn(inputs, targets):
    logits, _ = char_rnn(inputs)
    return optax.softmax_cross_entropy_with_integer_labels(logits, targets).mean()


trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
train_state = trainer.init(jax.random.key(0), *batch_at(0))
print(train_state.store)

# %%
losses = []
start = time.perf_counter()
for step in range(200):
    train_state, metrics = trainer.step(train_state, *batch_at(step))
    losses.append(float(metrics["loss"]))
print(f"200 steps in {time.perf_counter() - start:.1f} s (the first includes compiling); "
      f"loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f} "
      f"(uniform guess: ln {VOCAB} = {np.log(VOCAB):.3f})")

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses)
ax.set_xlabel("training step")
ax.set_ylabel("cross-entropy (nats)")
ax.set_title("char-LSTM trained with sj.scan + optax.adam")
ax.grid(alpha=0.3)
plt.show()

assert np.mean(losses[-20:]) < 0.35 * losses[0], "the loss should drop well below its start"

# %% [markdown]
# To generate text, the model's own prediction becomes the next input. That is a scan with no
# `xs`: `sj.scan(step, carry, length=n)`, whose carry holds the LSTM state and the last
# character. The generator is a second model function built from the same parts: it reads the
# prompt with `char_rnn`, then runs its own `sj.scan`. Both scans call the same cell, so
# they share `rnn/lstm_cell/*`, and the trained store serves the generator as it is.

# %%
def generate(prompt_ids, n):
    parts = char_model()
    embed, cell, softmax = parts
    _, state = char_rnn(prompt_ids[:-1, None], parts=parts)   # read all but the last character

    def step(carry, _):
        state, last = carry
        out, state = cell(embed(last), state)
        nxt = jnp.argmax(softmax(out), axis=-1).astype(jnp.int32)      # greedy decoding
        return (state, nxt), nxt[0]

    _, generated = sj.scan(step, (state, prompt_ids[-1:]), length=n)
    return generated


gen_net = sj.transform(generate)
assert gen_net.init(jax.random.key(0), jnp.zeros([3], jnp.int32), 2).names() == \
    train_state.store.names()
prompt = "the recurrent network "
prompt_ids = jnp.asarray([char_to_id[c] for c in prompt], dtype=jnp.int32)
generate_jit = jax.jit(gen_net.apply, static_argnums=2)     # n (the length) is static
out_ids = generate_jit(train_state.store, prompt_ids, 80)
print(repr(prompt + "".join(chars[int(i)] for i in out_ids)))

# %% [markdown]
# ## 5. Deep networks: `sj.layer_stack`
#
# The same idea applies to depth. A network of N identical blocks written as a Python loop
# (`block_0/`, `block_1/`, ... each with its own variables) compiles N copies of the block.
# `sj.layer_stack(N, block)` runs the block in a scan over layers. Each variable the block
# creates becomes **one** variable with a leading axis of N, and layer i reads slice i:
# `blocks/dense/kernel` of shape `[N, 64, 64]` instead of N variables
# `block_i/dense/kernel`.
#
# `sj.unstack_layers(store, "blocks/", "block_{}/")` converts the stacked store to the
# per-block names of the loop; `sj.stack_layers` converts back. A checkpoint trained either
# way serves both programs.

# %%
DEPTH, WIDTH = 12, 64


def block(h):
    # a residual MLP block: h + Dense(tanh(Dense(h)))
    return h + sj.nn.Dense(WIDTH)(jnp.tanh(sj.nn.Dense(WIDTH)(h)))


def deep_stacked(x):
    with sj.variable_scope("blocks"):
        h = sj.layer_stack(DEPTH, block)(x)
    return sj.nn.Dense(1, name="head")(h)


def deep_loop(x):
    h = x
    for i in range(DEPTH):
        with sj.variable_scope(f"block_{i}"):
            h = block(h)
    return sj.nn.Dense(1, name="head")(h)


x = jax.random.normal(jax.random.key(3), (8, WIDTH))
stacked_net, loop_net_deep = sj.transform(deep_stacked), sj.transform(deep_loop)
stacked_store = stacked_net.init(jax.random.key(0), x)
print(stacked_store)

# %%
per_layer = sj.unstack_layers(stacked_store, "blocks/", "block_{}/")
print(len(per_layer.names()), "variables, e.g.", per_layer.names()[:4], "...")
print("block_3/dense/kernel", per_layer["block_3/dense/kernel"].shape)

assert per_layer.names() == loop_net_deep.init(jax.random.key(0), x).names()
np.testing.assert_array_equal(per_layer["block_3/dense/kernel"],
                              stacked_store["blocks/dense/kernel"][3])

# The loop model on the unstacked store computes what the stack computes.
np.testing.assert_allclose(loop_net_deep.apply(per_layer, x), stacked_net.apply(stacked_store, x),
                           rtol=1e-5, atol=1e-5)

# And back: stack_layers(unstack_layers(s)) == s.
restacked = sj.stack_layers(per_layer, "block_{}/", "blocks/")
assert restacked.names() == stacked_store.names()
for name in stacked_store.names():
    np.testing.assert_array_equal(restacked[name], stacked_store[name])
print("loop model on the unstacked store == layer stack; stack_layers round-trips")

# %% [markdown]
# The stacked program holds one block however deep the network is; the loop holds `DEPTH`
# blocks. For the gradient:

# %%
for label, net, s in (("Python loop", loop_net_deep, per_layer),
                      ("sj.layer_stack", stacked_net, stacked_store)):
    grad_fn = jax.grad(lambda p, x, net=net: jnp.sum(net.apply(p, x) ** 2))
    print(f"{label:15s} gradient: {n_equations(grad_fn, s, x):5d} jaxpr equations, "
          f"compile {compile_seconds(grad_fn, s, x):.2f} s")

# %% [markdown]
# The program stays one block deep. Compile *time*, though, depends on what XLA must optimise:
# twelve small dense blocks compile in well under a second either way, and the scan's own
# machinery can make it the slower of the two at this size. The gain grows with depth and
# with the cost of a block, as the LSTM of section 3 showed; `bench/rnn_compile.py` measures
# 48 blocks of width 256 (`bench/README.md`, section `rnn_compile`).

# %% [markdown]
# ## Summary
#
# * A Python loop that calls a cell T times, with `scope.reuse_variables()` after step 0, works
#   in scopejax as in TF1 and creates one set of variables. Under `jit` it is unrolled: the
#   program, and XLA's compile time, grow with T.
# * `sj.scan(step, init, xs)` is that loop compiled once, TF1's `tf.while_loop` /
#   `dynamic_rnn`: the step's variables are created once and keep the loop's names
#   (`rnn/lstm_cell/kernel`), so the two programs share stores and checkpoints and give the
#   same outputs and gradients. With `length=` and no `xs` it generates sequences.
# * `sj.layer_stack(N, block)` is the scan over depth: stacked variables
#   (`blocks/dense/kernel`, `[N, ...]`), compile time of one block.
#   `sj.unstack_layers` / `sj.stack_layers` convert to and from the per-block names of the
#   unrolled model.

# %%
elapsed = time.perf_counter() - NOTEBOOK_START
print(f"notebook ran in {elapsed:.1f} s")
