"""A worker for tests/test_launch.py: 3 data-parallel (FSDP) Adam steps on every device.

``python tests/launch_worker.py [--fail I] [--save DIR]`` prints ``LOSSES [..]``; run by
``python -m scopejax.launch -n 2 --devices-per-process 4`` it trains across both processes
(the same code), and with ``--fail I`` process ``I`` raises before training. ``--save DIR``
then saves the TrainState to ``DIR`` (each process writes its own shards), restores it
under the same rules and prints ``RESTORED <max abs difference> <sharding of d1/kernel>``.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    from scopejax.launch import initialize

    initialize()  # a no-op outside the launcher
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import Mesh
    from jax.sharding import PartitionSpec as P

    import scopejax as sj

    if "--fail" in argv and jax.process_index() == int(argv[argv.index("--fail") + 1]):
        raise RuntimeError(f"worker {jax.process_index()} fails on purpose")

    def loss_fn(x, y):
        h = jnp.tanh(sj.layers.dense(x, 32, name="d1"))
        return jnp.mean((sj.layers.dense(h, 1, name="out")[:, 0] - y) ** 2)

    x = np.asarray(jax.random.normal(jax.random.key(1), (16, 8)))
    y = np.asarray(jax.random.normal(jax.random.key(2), (16,)))
    mesh = Mesh(np.array(jax.devices()), ("data",))
    trainer = sj.train.minimize(loss_fn, optax.adam(1e-2))
    losses = []
    with sj.sharding.use(mesh, [("kernel$", P("data")), (".*", P())]):
        state = trainer.init(jax.random.key(0), x, y)
        for _ in range(3):
            state, m = trainer.step(state, x, y)
            losses.append(float(m["loss"]))
        if "--save" in argv:
            path = sj.checkpoint.save(argv[argv.index("--save") + 1], state)
            back = sj.checkpoint.restore(path, state)
            diff = max(
                float(jnp.max(jnp.abs(a - b)))
                for a, b in zip(
                    jax.tree.leaves((state.store, state.opt_state)),
                    jax.tree.leaves((back.store, back.opt_state)),
                    strict=True,
                )
            )
            spec = back.store["d1/kernel"].sharding.spec
            print("RESTORED", diff, json.dumps(str(spec)), flush=True)
    print("DEVICES", jax.device_count(), jax.process_count(), flush=True)
    print("LOSSES", json.dumps(losses), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
