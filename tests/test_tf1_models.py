"""Four public TF1 model files run under ``scopejax.compat.v1`` and agree with TensorFlow.

``tests/tf1_models/<model>/original/`` holds each file as published (see
``tests/tf1_models/README.md`` for sources and licenses); ``ported/`` the copy that runs
here, which differs only in the lines tagged ``# [port: ...]``; ``expected.*`` what TF
2.21's graph mode gave for the original (``tests/tf1_models/record.py``). The ported
files import ``tensorflow`` unchanged: :func:`scopejax.compat.v1.install_as_tensorflow`
aliases the compat namespace under that name while they load.

Each model is checked for: the variables (every name and shape equal to TF's), the
outputs and losses with TF's initial values loaded into the store by name (within
1e-5), and one optimizer step as the repository trains (within 1e-5 of TF's updated
values). ``test_changed_lines`` holds the diff sizes to what ``README.md`` records.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf

ROOT = Path(__file__).parent / "tf1_models"
MODELS = ["transformer", "char_rnn", "dcgan", "bert"]
TOL = 1e-5

# The added ("+") lines of each port, by the class its tag names (tests/tf1_models/
# README.md counts removed and added lines): a count may shrink as compat.v1 grows,
# never grow.
CHANGED = {
    "transformer": {"session": 1},
    "char_rnn": {"placeholder": 3, "session": 2},
    "dcgan": {"placeholder": 2},
    "bert": {"gap": 2},
}
# Lines of `diff -u original ported` starting with "-" or "+" (removed plus added).
DIFF_LINES = {"transformer": 2, "char_rnn": 13, "dcgan": 6, "bert": 4}


def _load_helper(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tf1_models_{name}", ROOT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


harness = _load_helper("harness")
configs = _load_helper("configs")


def _expected(model: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    with np.load(ROOT / model / "expected.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return arrays, json.loads((ROOT / model / "expected.json").read_text())


_MODS: dict[str, dict[str, ModuleType]] = {}


def _ported(model: str) -> dict[str, ModuleType]:
    if model not in _MODS:
        with tf.install_as_tensorflow():
            _MODS[model] = harness.load(model, "ported", image_shape=configs.DCGAN_IMAGE_SHAPE)
    return _MODS[model]


# --- how each repository's code is called: placeholders become arguments ----------------
# Each driver gives ``model(*batch) -> (loss, outputs)``, the inputs' names, and
# ``trainer(model)``: the optimizer step the repository builds, here taking the loss
# function (``has_aux``: the step also returns the outputs, computed before the update).
def _transformer(mods: dict[str, ModuleType], data_dir: str) -> tuple[Any, Any, list[str]]:
    hp = SimpleNamespace(**configs.TRANSFORMER_HP)

    def model(x, x_seqlens, decoder_input, y, y_seqlen):
        xs, ys = (x, x_seqlens, None), (decoder_input, y, y_seqlen, None)
        m = mods["model"].Transformer(hp)
        memory, _, src_masks = m.encode(xs)
        logits, y_hat, _, _ = m.decode(ys, memory, src_masks)
        loss, _, _, _ = m.train(xs, ys)  # its train_op: the trainer below
        return loss, {"memory": memory, "logits": logits, "y_hat": y_hat, "loss": loss}

    def lr(step):  # Transformer.train: noam_scheme(hp.lr, global_step, hp.warmup_steps)
        return mods["modules"].noam_scheme(hp.lr, step, hp.warmup_steps)

    def trainer(model):  # Transformer.train: AdamOptimizer(lr).minimize(loss, global_step)
        return tf.train.AdamOptimizer(lr).minimize(model, global_step=True, has_aux=True)

    return model, trainer, ["x", "x_seqlens", "decoder_input", "y", "y_seqlen"]


def _char_rnn(mods: dict[str, ModuleType], data_dir: str) -> tuple[Any, Any, list[str]]:
    args = SimpleNamespace(**configs.CHAR_RNN_ARGS)

    def model(input_data, targets):
        m = mods["model"].Model(args, training=True, input_data=input_data, targets=targets)
        (c0, h0), (c1, h1) = m.final_state
        outs = {"logits": m.logits, "probs": m.probs, "cost": m.cost}
        outs.update({"final_c0": c0, "final_h0": h0, "final_c1": c1, "final_h1": h1})
        return m.cost, outs

    def clip(gvs):  # Model.__init__: clip_by_global_norm(tf.gradients(cost, tvars), grad_clip)
        grads, _ = tf.clip_by_global_norm([g for g, _ in gvs], args.grad_clip)
        return list(zip(grads, [v for _, v in gvs], strict=True))

    def trainer(model):  # Model.__init__'s train_op; train.py assigns model.lr
        opt = tf.train.AdamOptimizer(configs.CHAR_RNN_LR)
        return opt.apply_gradients(opt.compute_gradients(model).map(clip), has_aux=True)

    return model, trainer, ["input_data", "targets"]


def _dcgan(mods: dict[str, ModuleType], data_dir: str) -> tuple[Any, Any, list[str]]:
    d_vars: list[Any] = []  # the handles build_model selects: 'd_' in var.name

    def model(real_images, z):
        feed = {"real_images": real_images, "z": z}  # the session's feed_dict
        gan = mods["model"].DCGAN(
            feed, data_dir=data_dir, checkpoint_dir=data_dir, **configs.DCGAN_ARGS
        )
        d_vars[:] = gan.d_vars
        names = ["G", "D", "D_logits", "D_", "D_logits_", "d_loss_real", "d_loss_fake"]
        return gan.d_loss, {k: getattr(gan, k) for k in names + ["d_loss", "g_loss", "sampler"]}

    def trainer(model):  # DCGAN.train's d_optim, once build_model has chosen d_vars
        opt = tf.train.AdamOptimizer(configs.DCGAN_LR, beta1=configs.DCGAN_BETA1)
        return opt.minimize(model, var_list=list(d_vars), has_aux=True)

    return model, trainer, ["real_images", "z"]


def _bert(mods: dict[str, ModuleType], data_dir: str) -> tuple[Any, Any, list[str]]:
    modeling = mods["modeling"]

    def model(input_ids, input_mask, token_type_ids):
        bert = modeling.BertModel(
            config=modeling.BertConfig(**configs.BERT_CONFIG),
            is_training=True,
            input_ids=input_ids,
            input_mask=input_mask,
            token_type_ids=token_type_ids,
        )
        pooled = bert.get_pooled_output()
        loss = tf.reduce_mean(tf.square(pooled))  # the recording's own head
        return loss, {
            "pooled_output": pooled,
            "sequence_output": bert.get_sequence_output(),
            "embedding_output": bert.get_embedding_output(),
            "layer_0": bert.get_all_encoder_layers()[0],
            "loss": loss,
        }

    def trainer(model):
        return tf.train.GradientDescentOptimizer(configs.BERT_LR).minimize(model, has_aux=True)

    return model, trainer, ["input_ids", "input_mask", "token_type_ids"]


DRIVERS = {"transformer": _transformer, "char_rnn": _char_rnn, "dcgan": _dcgan, "bert": _bert}


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
def test_model_against_tensorflow(model, tmp_path):
    """Variables, outputs, moving statistics and one training step, as TF recorded them."""
    arrays, meta = _expected(model)
    configs.dcgan_data_dir(str(tmp_path))
    fn, make_trainer, keys = DRIVERS[model](_ported(model), str(tmp_path))
    batch = [jnp.asarray(arrays[f"input/{k}"]) for k in keys]

    # The variables the model creates (abstractly: names, shapes, collections; no draws).
    store = jax.eval_shape(sj.transform(fn).init, jax.random.key(0), *batch)
    assert sorted(store.names()) == sorted(meta["model_variables"])
    tf_shapes = {v["name"]: tuple(v["shape"]) for v in meta["variables"]}
    assert {n: tuple(store[n].shape) for n in store.names()} == {
        n: tf_shapes[n] for n in store.names()
    }

    # TF's initial values, by name; the outputs come from the step (before its update).
    store = store.replace({n: jnp.asarray(arrays[f"init/{n}"]) for n in store.names()})
    trainer = make_trainer(fn)
    state, metrics = trainer.step(trainer.init_from(store), *batch)
    for k, want in arrays.items():
        kind, _, name = k.partition("/")
        if kind == "output":
            got = metrics[name]
        elif kind == "moving":  # DCGAN's batch norms update these in place
            got = state.store[name]
        elif kind == "step":
            got = state.store[name]
            if name in configs.NOISE_GRADIENT:  # see configs.NOISE_GRADIENT
                init = arrays[f"init/{name}"]
                assert np.abs(np.asarray(got) - init).max() <= configs.DCGAN_LR * 1.001
                continue
        else:
            continue
        assert np.shape(got) == want.shape, k
        np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=TOL, err_msg=k)


@pytest.mark.parametrize("model", MODELS)
def test_changed_lines(model):
    diff = harness.changed_lines(model)
    rows = [row for rows in diff.values() for row in rows]
    assert len(rows) <= DIFF_LINES[model], (len(rows), DIFF_LINES[model])
    classes: Counter[str] = Counter()
    for sign, line in rows:
        if sign == "+":
            assert "# [port: " in line, f"untagged changed line in {model}: {line!r}"
            classes[line.split("# [port: ", 1)[1].split("]", 1)[0].split()[0]] += 1
    for cls, n in classes.items():
        assert n <= CHANGED[model].get(cls, 0), (model, cls, n)
