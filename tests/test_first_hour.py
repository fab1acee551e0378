"""A newcomer's first hour (issue 16): the progress bar, ``evaluate`` shaped as ``fit``,
donation explained, did-you-mean for scopes, allowed characters in names, missing
checkpoint prefixes, and the cosmetic fixes (plurals, kB, the demo's --help, a CLI
piped into a reader that leaves early)."""

from __future__ import annotations

import inspect
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import scopejax as sj
from scopejax import checkpoint as ckpt

KEY = jax.random.key(0)
FIXTURE = pathlib.Path(__file__).parent / "checkpoint_fixtures" / "tf1_model"
ROOT = pathlib.Path(__file__).parents[1]


def _loss(x, y, training=True):
    h = sj.layers.dense(x, 4, activation=jax.nn.relu, name="hidden")
    h = sj.layers.dropout(h, 0.5, training=training)
    logits = sj.layers.dense(h, 2, name="head")
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, {"accuracy": (logits.argmax(-1) == y).mean()}


X = jax.random.normal(jax.random.key(1), [16, 3])
Y = (X[:, 0] > 0).astype(jnp.int32)


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, **kw
    )


# -- the progress bar -------------------------------------------------------------------------
@pytest.mark.slow
def test_fit_bar_has_a_total_an_eta_and_labels_the_compile_step(capsys):
    trainer = sj.train.minimize(_loss, optax.adam(1e-2), has_aux=True)
    state = trainer.init(KEY, X, Y)
    sj.train.fit(trainer, state, [(X, Y)] * 4, epochs=3, rng=KEY, desc="demo-bar")
    err = capsys.readouterr().err
    assert "demo-bar (compiling the step)" in err  # shown while the first step compiles
    assert "compile=" in err  # then its duration
    assert "12/12" in err and "<" in err  # the total (4 batches x 3 epochs) and an ETA
    assert "epoch=" not in err or "/3" in err


@pytest.mark.slow
def test_fit_bar_total_from_steps_per_epoch_or_after_the_first_epoch(capsys):
    trainer = sj.train.minimize(_loss, optax.adam(1e-2), has_aux=True)
    state = trainer.init(KEY, X, Y)

    def batches(epoch):  # a callable: no length to read
        return iter([(X, Y)] * 2)

    state = sj.train.fit(trainer, state, batches, epochs=2, rng=KEY, steps_per_epoch=2)
    assert "0/4" in capsys.readouterr().err  # known from the start
    sj.train.fit(trainer, state, batches, epochs=3, rng=KEY)
    err = capsys.readouterr().err
    assert "6/6" in err  # learnt after the first epoch
    assert "compile=" not in err  # the same step, already compiled: no compile time shown


# -- evaluate mirrors fit -----------------------------------------------------------------------
@pytest.mark.slow
def test_evaluate_takes_what_fit_takes():
    fit_params = list(inspect.signature(sj.train.fit).parameters)
    eval_params = list(inspect.signature(sj.train.evaluate).parameters)
    assert fit_params[:3] == ["trainer", "state", "batches"]
    assert len(eval_params) >= 3
    for shared in ("rng", "progress", "history", "desc"):
        assert shared in fit_params and shared in eval_params, shared

    trainer = sj.train.minimize(_loss, optax.adam(1e-2), has_aux=True)
    state = trainer.init(KEY, X, Y)
    batches = [(X[:8], Y[:8], False), (X[8:], Y[8:], False)]
    state = sj.train.fit(trainer, state, [(X, Y)] * 3, rng=KEY, progress=False)
    history: list[dict[str, float]] = []
    got = sj.train.evaluate(trainer, state, batches, history=history)  # as fit is called
    assert set(got) == {"loss", "accuracy"} and len(history) == 2
    # the same numbers as the old form with a hand-written metrics function on the store
    loss, aux = trainer.net.apply(state.store, X, Y, False)
    np.testing.assert_allclose(got["loss"], float(loss), rtol=1e-5)
    np.testing.assert_allclose(got["accuracy"], float(aux["accuracy"]), rtol=1e-6)

    def metrics(store, x, y):
        loss, aux = trainer.net.apply(store, x, y, False)
        return {"loss": loss, **aux}

    old = sj.train.evaluate(metrics, state.store, [(X, Y)])
    np.testing.assert_allclose(old["loss"], got["loss"], rtol=1e-5)
    # batches as fit takes them: a callable epoch -> iterable; and a Store instead of the state
    again = sj.train.evaluate(trainer, state.store, lambda epoch: iter(batches))
    np.testing.assert_allclose(again["loss"], got["loss"], rtol=1e-6)
    # evaluate donates nothing: the state is still usable
    assert not state.store["head/kernel"].is_deleted()


@pytest.mark.slow
def test_evaluate_with_a_trainer_passes_a_key_per_batch():
    trainer = sj.train.minimize(_loss, optax.adam(1e-2), has_aux=True)
    state = trainer.init(KEY, X, Y)
    with pytest.raises(sj.MissingRNGError):  # dropout on (training=True) needs a key
        sj.train.evaluate(trainer, state, [(X, Y)])
    a = sj.train.evaluate(trainer, state, [(X, Y)], rng=jax.random.key(3))
    b = sj.train.evaluate(trainer, state, [(X, Y)], rng=jax.random.key(3))
    assert a == b


# -- donation, explained where users meet it ------------------------------------------------
def test_fit_docstring_explains_donation():
    doc = sj.train.fit.__doc__
    assert "Donation" in doc and "jax.tree.map(jnp.copy" in doc and "donate=False" in doc


@pytest.mark.slow
def test_a_store_taken_before_fit_names_the_donated_variable():
    trainer = sj.train.minimize(_loss, optax.adam(1e-2), has_aux=True)
    state = trainer.init(KEY, X, Y)
    before = state.store
    saved = jax.tree.map(jnp.copy, state.store)  # the README's way to keep a copy
    sj.train.fit(trainer, state, [(X, Y)], rng=KEY, progress=False)
    with pytest.raises(sj.train.DonatedStateError, match=r"variable head/bias") as e:
        trainer.net.apply(before, X, Y, False)
    assert "jnp.copy" in str(e.value)
    with pytest.raises(sj.train.DonatedStateError, match=r"evaluate: variable head/bias"):
        sj.train.evaluate(trainer, before, [(X, Y, False)])
    assert np.isfinite(sj.train.evaluate(trainer, saved, [(X, Y, False)])["loss"])


# -- did you mean, allowed characters -------------------------------------------------------
def test_reuse_true_typo_suggests_the_existing_variable():
    def f():
        with sj.variable_scope("encoder"):
            sj.get_variable("w", [2])
        with sj.variable_scope("encodr", reuse=True):
            return sj.get_variable("w", [2])

    with pytest.raises(sj.VariableNotFoundError, match="Did you mean 'encoder/w'"):
        sj.transform(f).init(KEY)


def test_reuse_true_without_a_close_name_suggests_nothing():
    def f():
        with sj.variable_scope("encoder"):
            sj.get_variable("w", [2])
        with sj.variable_scope("completely_else", reuse=True):
            return sj.get_variable("w", [2])

    with pytest.raises(sj.VariableNotFoundError) as e:
        sj.transform(f).init(KEY)
    assert "Did you mean '" not in str(e.value)
    assert str(e.value).startswith("Variable completely_else/w does not exist")  # TF's words


@pytest.mark.parametrize(
    "scopes, tail",
    [
        (["a b"], "' ' is not."),
        (["_x"], "this one starts with '_'."),
        (["ok", "x$y!"], "'!', '$' are not."),
    ],
)
def test_invalid_names_say_which_characters_are_allowed(scopes, tail):
    def f():
        for s in scopes:
            sj.variable_scope(s).__enter__()

    with pytest.raises(sj.InvalidNameError) as e:
        sj.transform(f).init(KEY)
    msg = str(e.value)
    assert "is not a valid" in msg and "has to match the following pattern" in msg  # TF's
    assert "Allowed: ASCII letters, digits and _ . - / \\ >" in msg and msg.endswith(tail)


# -- checkpoints ------------------------------------------------------------------------------
def test_a_missing_prefix_lists_the_prefixes_that_exist():
    with pytest.raises(ckpt.CheckpointError) as e:
        ckpt.load_variables(FIXTURE / "model.ckpt")
    msg = str(e.value)
    assert "the path does not exist" in msg and str(FIXTURE / "model.ckpt-2") in msg


def test_a_missing_folder_lists_the_checkpoints_beside_it(tmp_path):
    ckpt.save(tmp_path / "run1", sj.Store({"w": jnp.ones([2])}))
    with pytest.raises(ckpt.CheckpointError, match=r"Checkpoints in .*: .*run1"):
        ckpt.load_variables(tmp_path / "run2")
    with pytest.raises(ckpt.CheckpointError, match="holds no checkpoint"):
        ckpt.load_variables(tmp_path / "run1" / "nothing" / "here")


@pytest.mark.slow
def test_checkpoint_cli_into_a_reader_that_left_has_no_traceback():
    cmd = f"{sys.executable} -m scopejax.checkpoint ls --slots {FIXTURE} | true"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in out.stderr and "BrokenPipeError" not in out.stderr, out.stderr


@pytest.mark.slow
def test_checkpoint_cli_says_1_variable(tmp_path):
    ckpt.save(tmp_path / "c", sj.Store({"a/w": jnp.ones([2, 3])}))
    out = _run("-m", "scopejax.checkpoint", "ls", str(tmp_path / "c"))
    assert "1 variable, 6 parameters, 24 B" in out.stdout, out


# -- cosmetics --------------------------------------------------------------------------------
def test_summary_says_1_variable_and_kB():
    store = sj.transform(lambda: sj.get_variable("w", [2000])).init(KEY)
    assert "Total: 1 variable, 2,000 params (8.0 kB)" in store.summary()
    assert repr(store).startswith("Store(1 variable,")
    assert "1 variable," in store._repr_html_()
    two = sj.transform(lambda: (sj.get_variable("a", [1]), sj.get_variable("b", [1]))).init(KEY)
    assert "Total: 2 variables" in two.summary()


def test_sizes_are_kB_everywhere():
    """One unit spelling in the package and its docs: kB (1000 bytes), never KB or KiB
    (bench/ reports its own measurements in binary units, labelled as such)."""
    files = [
        *(ROOT / "scopejax").rglob("*.py"),
        ROOT / "README.md",
        *(ROOT / "tests").rglob("*.md"),
    ]
    files += [*(ROOT / "notebooks").glob("_*.py"), *(ROOT / "notebooks").glob("cells/*.py")]
    for f in files:
        text = f.read_text()
        assert " KB" not in text and " KiB" not in text, f


@pytest.mark.slow
def test_demo_help_names_the_command_and_has_no_rst_markup():
    out = _run("-m", "scopejax.demo", "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: python -m scopejax.demo")
    assert "``" not in out.stdout and "demo.py" not in out.stdout
    assert "--seed SEED" in out.stdout and "data order" in out.stdout
