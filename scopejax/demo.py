"""``python -m scopejax.demo``: a scoped model end to end, in a few seconds.

A small siamese network (one tower shared by two inputs through ``AUTO_REUSE``)
plus a frozen embedding, transformed into pure ``init``/``apply``, trained for a
few hundred Adam steps on a synthetic "are these two points close?" task, then
summarised: the variable table, the trainable/frozen split, and the name scopes
XLA received.
"""

from __future__ import annotations

import argparse
import re
import time

import jax
import jax.numpy as jnp
import optax

import scopejax as sj


def tower(x: jax.Array) -> jax.Array:
    """Two dense layers; called twice, it creates its variables once."""
    with sj.variable_scope("tower", reuse=sj.AUTO_REUSE):
        for i, units in enumerate([32, 16]):
            with sj.variable_scope(f"dense_{i}"):
                w = sj.get_variable("kernel", [x.shape[-1], units])
                b = sj.get_variable("bias", [units], initializer=sj.initializers.zeros())
                x = jnp.tanh(x @ w + b)
    return x


def siamese(a: jax.Array, b: jax.Array) -> jax.Array:
    with sj.name_scope("siamese"):
        proj = sj.get_variable(
            "projection",
            [2, 8],
            trainable=False,
            collections=["FROZEN_VARS"],
            initializer=sj.initializers.orthogonal(),
        )
        ha, hb = tower(a @ proj), tower(b @ proj)
        with sj.variable_scope("head"):
            w = sj.get_variable("kernel", [16, 1])
            b = sj.get_variable("bias", [1], initializer=sj.initializers.zeros())
            return (jnp.abs(ha - hb) @ w + b)[:, 0]


def make_data(key: jax.Array, n: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    ka, kb = jax.random.split(key)
    a = jax.random.normal(ka, [n, 2])
    b = a + jax.random.normal(kb, [n, 2]) * jnp.where(jnp.arange(n) % 2 == 0, 0.1, 1.5)[:, None]
    close = (jnp.linalg.norm(a - b, axis=-1) < 0.5).astype(jnp.float32)
    return a, b, close


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    net = sj.transform(siamese)
    a, b, y = make_data(jax.random.key(args.seed + 1), 2048)
    store = net.init(jax.random.key(args.seed), a[:2], b[:2])
    print(store.summary(), end="\n\n")
    train, frozen = store.partition(sj.GraphKeys.TRAINABLE_VARIABLES)
    print(f"trainable: {train.names()}\nfrozen:    {frozen.names()}\n")

    opt = optax.adam(3e-3)

    def loss_fn(train: sj.Store) -> jax.Array:
        logits = net.apply(sj.merge(train, frozen), a, b)
        return optax.sigmoid_binary_cross_entropy(logits, y).mean()

    @jax.jit
    def step(train, state):
        loss, grads = jax.value_and_grad(loss_fn)(train)
        updates, state = opt.update(grads, state, train)
        return optax.apply_updates(train, updates), state, loss

    state = opt.init(train)
    t0 = time.perf_counter()
    for i in range(args.steps):
        train, state, loss = step(train, state)
        if i % 100 == 0 or i == args.steps - 1:
            print(f"step {i:4d}  loss {float(loss):.4f}")
    elapsed = time.perf_counter() - t0
    final = sj.merge(train, frozen)
    acc = float(((net.apply(final, a, b) > 0) == (y > 0.5)).mean())
    print(f"\naccuracy {acc:.3f} after {args.steps} steps ({elapsed:.2f} s)")
    assert bool(jnp.all(final["projection"] == store["projection"])), "frozen variable changed"

    hlo = jax.jit(net.apply).lower(final, a, b).as_text(debug_info=True)
    scopes = sorted(set(re.findall(r"siamese/[\w/]+?(?=/[a-z_]+\")", hlo)))
    print("name scopes in the compiled program:", ", ".join(scopes) or "(none)")
    return {"accuracy": acc, "loss": float(loss)}


if __name__ == "__main__":
    main()
