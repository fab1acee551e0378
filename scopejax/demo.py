"""python -m scopejax.demo: a scoped CNN trained on scikit-learn's digits, then transferred.

1. A small convolutional network built from sj.layers (one convolution is
   applied twice with the same weights, TF1's reuse; batch normalization
   whose moving statistics the step assigns; dropout) is trained on the
   8x8 digits bundled with scikit-learn (1,347 training and 450 test images,
   a fixed split) with sj.train.minimize and sj.train.fit (a progress bar with
   a total and an ETA; the first step compiles the training step).
2. Transfer to a new task (odd or even?) with a fresh head: the backbone's
   variables, tagged with the BACKBONE collection inside the model, are
   frozen with sj.train.freeze; the pretrained neck and the fresh parity head
   get their own learning rates through sj.train.multi_optimizer; afterwards
   the frozen variables are checked to be bit-identical to the pretrained ones.

Accuracies are printed for the test split (sj.train.evaluate), with the time
taken, which depends on the machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import scopejax as sj

BACKBONE = "BACKBONE"
BATCH = 32


# -- the model: ordinary functions calling sj.layers under variable scopes ----------------------
def backbone(x: jax.Array) -> jax.Array:
    """Convolutions: ``[n, 8, 8, 1] -> [n, 256]``; every variable joins ``BACKBONE``."""
    conv = functools.partial(sj.layers.conv2d, padding="same", activation=jax.nn.relu)
    with sj.variable_scope("backbone"):
        h = conv(x, 32, 3, name="conv1")
        for _ in range(2):  # one kernel applied twice: the second call shares "shared/*"
            h = h + conv(h, 32, 3, name="shared", reuse=sj.AUTO_REUSE)
        h = sj.layers.max_pooling2d(h, 2, 2)  # 4x4
        h = conv(h, 64, 3, name="conv2")
        h = sj.layers.max_pooling2d(h, 2, 2)  # 2x2
        for v in sj.get_collection(sj.GraphKeys.GLOBAL_VARIABLES, scope="backbone/"):
            sj.add_to_collection(BACKBONE, v)  # TF1's idiom: tag variables by scope
        return sj.layers.flatten(h)


def classifier(x: jax.Array, training: bool, head: str, classes: int) -> jax.Array:
    h = backbone(x)
    with sj.variable_scope("neck"):
        h = sj.layers.dense(h, 128, use_bias=False, name="fc")
        # moving statistics: non-trainable variables that the training step assigns
        h = sj.layers.batch_normalization(h, momentum=0.9, training=training, name="bn")
        h = sj.layers.dropout(jax.nn.relu(h), 0.25, training=training)
    with sj.variable_scope(head):
        return sj.layers.dense(h, classes, name="logits")


def _loss(logits: jax.Array, y: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, {"accuracy": (logits.argmax(-1) == y).mean()}


def digits_loss(x: jax.Array, y: jax.Array, training: bool = True):
    """Ten classes. ``training`` stays a Python bool (a default, not a step argument)."""
    return _loss(classifier(x, training, "digits", 10), y)


def parity_loss(x: jax.Array, y: jax.Array, training: bool = True):
    """The transfer task: the same backbone and neck, a fresh two-class head."""
    return _loss(classifier(x, training, "parity", 2), y % 2)


# -- data ---------------------------------------------------------------------------------------
def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, scaled to [0, 1], NHWC; a fixed 75/25 split."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    d = sk_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    y = d.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0)
    return x_tr, x_te, y_tr, y_te


def shuffled_batches(
    x: np.ndarray, y: np.ndarray, seed: int, batch: int = BATCH
) -> Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]]:
    """``epoch -> batches``: a fresh permutation per epoch, full batches only (one shape,
    so the step compiles once)."""

    def epoch_batches(epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        perm = np.random.default_rng([seed, epoch]).permutation(len(x))
        for i in range(0, len(x) - batch + 1, batch):
            idx = perm[i : i + batch]
            yield x[idx], y[idx]

    return epoch_batches


def evaluator(trainer: sj.train.Trainer) -> jax.stages.Wrapped:
    """A jitted ``(store, x, y) -> {"loss", "accuracy"}`` in inference mode."""

    @jax.jit
    def metrics(store: sj.Store, x: jax.Array, y: jax.Array) -> dict[str, jax.Array]:
        loss, aux = trainer.net.apply(store, x, y, False)
        return {"loss": loss, **aux}

    return metrics


def epoch_means(history: list[dict[str, float]], steps_per_epoch: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for key in ("loss", "accuracy"):
        vals = np.array([h[key] for h in history])
        n = len(vals) // steps_per_epoch
        out[key] = vals[: n * steps_per_epoch].reshape(n, steps_per_epoch).mean(1).tolist()
    return out


def save_plot(path: str, history: list[dict[str, float]], steps_per_epoch: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.arange(1, len(history) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        vals = np.array([h[key] for h in history])
        ax.plot(steps, vals, alpha=0.3, label="per step")
        k = min(steps_per_epoch, len(vals))
        smooth = np.convolve(vals, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1 :], smooth, label=f"mean of {k} steps")
        ax.set(xlabel="step", title=f"training {key}")
        ax.legend()
    axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m scopejax.demo",
        description=_sentence(__doc__.split("\n\n")[0].partition(": ")[2]),
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="data order and initial values (0)")
    parser.add_argument("--plot", metavar="PATH", help="write a loss/accuracy PNG here")
    parser.add_argument("--smoke", action="store_true", help="a fast run (3 epochs), for tests")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    parser.add_argument(
        "--logdir",
        metavar="DIR",
        help="TensorBoard runs DIR/digits and DIR/parity: the model's graph by scope, loss, "
        "accuracy, learning rate, gradient norms (needs tensorboard; view: tensorboard "
        "--logdir DIR)",
    )
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (3 if args.smoke else 12)
    ft_epochs = 2 if args.smoke else 3
    progress = not args.no_progress
    t_start = time.perf_counter()

    x_tr, x_te, y_tr, y_te = load_digits()
    steps_per_epoch = len(x_tr) // BATCH
    print(f"digits: {len(x_tr)} train / {len(x_te)} test images of {x_tr.shape[1:]}")
    key = jax.random.key(args.seed)
    init_key, drop_key, ft_key = jax.random.split(key, 3)

    # 1. train every trainable variable (minimize's default var_list)
    schedule = optax.cosine_decay_schedule(3e-3, epochs * steps_per_epoch)
    # inject_hyperparams: the learning rate is part of the optimizer state (fit logs it)
    adam = optax.inject_hyperparams(optax.adam)(learning_rate=schedule)
    trainer = sj.train.minimize(digits_loss, adam, has_aux=True)
    state = trainer.init(init_key, x_tr[:BATCH], y_tr[:BATCH])
    print(state.store.summary())
    logs: dict[str, str | None] = {"digits": None, "parity": None}
    if args.logdir:
        logs = {k: os.path.join(args.logdir, k) for k in logs}
        x0, y0 = x_tr[:BATCH], y_tr[:BATCH]
        graph_dir = os.path.join(args.logdir, "digits")
        sj.summary.write_graph(graph_dir, trainer.net.apply, state.store, x0, y0, False)
    history: list[dict[str, float]] = []
    t0 = time.perf_counter()
    state = sj.train.fit(
        trainer,
        state,
        shuffled_batches(x_tr, y_tr, args.seed),
        epochs=epochs,
        rng=drop_key,
        progress=progress,
        history=history,
        desc="digits",
        steps_per_epoch=steps_per_epoch,
        logdir=logs["digits"],
    )
    train_s = time.perf_counter() - t0
    # the same trainer, state and batch form as fit; training=False: no dropout, moving stats
    test = sj.train.evaluate(trainer, state, [(x_te, y_te, False)])
    evaluate_fn = evaluator(trainer)
    print(
        f"digits: test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f} "
        f"after {epochs} epochs ({len(history)} steps, {train_s:.1f} s)"
    )
    pretrained = state.store
    hlo = evaluate_fn.lower(pretrained, x_te, y_te).as_text(debug_info=True)
    scopes = sorted(set(re.findall(r'loc\("jit\([^)]*\)/((?:\w+/)*\w+)/\w+"', hlo)))
    print(
        "shared convolution: variables "
        f"{[n for n in pretrained.names() if '/shared/' in n]}, name scopes in the compiled "
        f"program: {[s for s in scopes if 'shared' in s]}"
    )
    # a host copy of the backbone, to check that fine-tuning leaves it bit for bit unchanged
    backbone_before = {
        n: np.asarray(v) for n, v in pretrained.filter(collection=BACKBONE).flat().items()
    }

    # 2. transfer: frozen backbone, fine-tuned neck (small lr), fresh parity head (large lr)
    tx = sj.train.multi_optimizer(
        {
            "neck": (sj.train.regex("^neck/"), optax.adam(3e-4)),
            "head": (sj.train.regex("^parity/"), optax.adam(1e-2)),
        }
    )
    ft = sj.train.minimize(parity_loss, tx, has_aux=True)
    fresh = ft.net.init(init_key, x_tr[:BATCH], y_tr[:BATCH])
    # copies (jnp.array): fine-tuning donates the trained (neck, head) buffers it is given, and
    # `pretrained` must stay usable
    shared = {n: jnp.array(v) for n, v in pretrained.flat().items() if n in fresh.names()}
    store = sj.train.freeze(fresh.replace(shared), BACKBONE)
    frozen = store.filter(collection=sj.GraphKeys.FROZEN_VARIABLES)
    print(
        f"\ntransfer to odd/even: {len(frozen.names())} {BACKBONE} variables frozen, "
        f"trainable: {store.trainable().names()}"
    )
    # the optimizer state covers the trainable variables only, each under its label
    ft_state = sj.train.TrainState(store, tx.init(store.trainable()), jnp.zeros((), jnp.int32))
    for label, inner in ft_state.opt_state.inner_states.items():
        held = [n for n, v in inner.inner_state[0].mu.flat().items() if isinstance(v, jax.Array)]
        print(f"  {label}: Adam moments for {held}")
    ft_state = sj.train.fit(
        ft,
        ft_state,
        shuffled_batches(x_tr, y_tr, args.seed + 1),
        epochs=ft_epochs,
        rng=ft_key,
        progress=progress,
        desc="parity",
        steps_per_epoch=steps_per_epoch,
        logdir=logs["parity"],
    )
    ft_test = sj.train.evaluate(ft, ft_state, [(x_te, y_te, False)])
    after = ft_state.store.filter(collection=BACKBONE).flat()
    frozen_identical = sorted(after) == sorted(backbone_before) and all(
        np.array_equal(backbone_before[n], np.asarray(v)) for n, v in after.items()
    )
    assert frozen_identical, "a frozen BACKBONE variable changed during fine-tuning"
    neck_moved = not np.array_equal(
        np.asarray(ft_state.store["neck/fc/kernel"]), np.asarray(pretrained["neck/fc/kernel"])
    )
    print(
        f"parity: test accuracy {ft_test['accuracy']:.4f} after {ft_epochs} epoch(s); "
        f"{len(after)} frozen BACKBONE variables bit-identical: {frozen_identical}; "
        f"neck fine-tuned: {neck_moved}"
    )
    if args.logdir:
        print(f"wrote TensorBoard runs to {args.logdir} (view: tensorboard --logdir {args.logdir})")
    if args.plot:
        save_plot(args.plot, history, steps_per_epoch)
        print(f"wrote {args.plot}")
    wall_s = time.perf_counter() - t_start
    print(f"total wall time {wall_s:.1f} s")
    return {
        "accuracy": test["accuracy"],
        "loss": test["loss"],
        "train_accuracy": epoch_means(history, steps_per_epoch)["accuracy"][-1],
        "finetune_accuracy": ft_test["accuracy"],
        "frozen_identical": frozen_identical,
        "frozen_variables": len(after),
        "name_scopes": scopes,
        "epochs": epochs,
        "steps": len(history),
        "train_s": train_s,
        "wall_s": wall_s,
    }


if __name__ == "__main__":
    main()
