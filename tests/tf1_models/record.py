"""Record four public TF1 model files, run UNCHANGED, in TensorFlow's graph mode.

Run in a TensorFlow venv with tf-keras and tf-slim (TF >= 2.16 needs the legacy Keras
for ``tf.compat.v1.layers`` and the v1 RNN cells):

    TF_USE_LEGACY_KERAS=1 /work/tfvenv/bin/python tests/tf1_models/record.py

The files in ``<model>/original/`` execute exactly as published. TF 2 has no TF1
namespace at ``import tensorflow``, so while they execute ``tensorflow`` names a shim:
``tf.compat.v1`` plus ``tf.contrib``, which TF 2 removed, put together from its
maintained parts:

- ``contrib.layers``: ``tf_slim`` (``batch_norm``, ``layer_norm``,
  ``xavier_initializer``), contrib's maintained copy;
- ``contrib.rnn``: ``tf.compat.v1.nn.rnn_cell`` (the same classes TF 1.x re-exported);
- ``contrib.legacy_seq2seq``: ``rnn_decoder`` and ``sequence_loss_by_example``
  transcribed below from TF 1.15 (contrib/legacy_seq2seq/python/ops/seq2seq.py) onto
  ``tf.compat.v1`` ops. Their recordings are as good as that transcription.

Two TF 2.21 departures from TF 1.x that these files meet are undone, each following
TF 1.15's own code: ``contrib.layers.batch_norm`` on its fused path (inputs of rank 2
or 4, ``fused`` not False) raises ``epsilon`` to 1.001e-5 as TF 1.x's
``nn.fused_batch_norm`` did (TF 2.21 dropped that floor; DCGAN's ``epsilon=1e-5``
meets it), and ``tf.nn.conv2d_transpose`` gets TF 1.x's static output shape back (TF 2.21 leaves the
batch unknown when the input's is, where TF 1.x took it from the constant
``output_shape``; DCGAN's ``tf.reshape(..., deconv.get_shape())`` relies on it).
``from tensorflow.python.framework import ops`` (DCGAN's ops.py) resolves to the real
module. Datasets are not read: ``harness.py`` provides the vocabulary / image-reading
helpers; the inputs are seeded NumPy arrays.

For each model, ``<model>/expected.json`` holds the variables (name, shape, dtype,
trainable, in creation order), the configuration, the output names and shapes;
``<model>/expected.npz`` holds ``input/*``, ``init/<variable>`` (TF's initial values,
which the test loads into the scopejax store by name), ``output/*`` and
``step/<variable>`` (after one optimizer step, as each repository trains).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework import ops  # noqa: E402

if not hasattr(ops, "Tensor"):  # tf_slim 1.1.0 predates its removal (TF 2.16+)
    ops.Tensor = tf.Tensor
import tf_keras.src.legacy_tf_layers as legacy  # noqa: E402

sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy)  # where TF 2.21 looks for them
for sub in ("base", "convolutional", "core", "normalization", "pooling"):
    __import__(f"tf_keras.src.legacy_tf_layers.{sub}")
    sys.modules.setdefault(f"tf_keras.legacy_tf_layers.{sub}", getattr(legacy, sub))
import tf_slim  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import configs  # noqa: E402
import harness  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


# --- tf.contrib.legacy_seq2seq, as in TF 1.15 --------------------------------------------
def rnn_decoder(decoder_inputs, initial_state, cell, loop_function=None, scope=None):
    with v1.variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with v1.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                v1.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def sequence_loss_by_example(
    logits, targets, weights, average_across_timesteps=True, softmax_loss_function=None, name=None
):
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError("Lengths of logits, weights, and targets must be the same.")
    with v1.name_scope(name, "sequence_loss_by_example", logits + targets + weights):
        log_perp_list = []
        for logit, target, weight in zip(logits, targets, weights, strict=True):
            if softmax_loss_function is None:
                target = v1.reshape(target, [-1])
                crossent = v1.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=target, logits=logit
                )
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            log_perp_list.append(crossent * weight)
        log_perps = v1.add_n(log_perp_list)
        if average_across_timesteps:
            total_size = v1.add_n(weights)
            total_size += 1e-12  # to avoid division by 0 for all-0 weights
            log_perps /= total_size
    return log_perps


def _tf1_batch_norm(inputs, *args, epsilon=0.001, fused=None, **kwargs):
    """tf_slim's batch_norm with TF 1.x's floor on the fused path's epsilon
    (TF 1.15 nn_impl.fused_batch_norm: ``min_epsilon = 1.001e-5``, cuDNN's minimum)."""
    if fused is not False and inputs.shape.ndims in (2, 4):
        epsilon = max(epsilon, 1.001e-5)
    return tf_slim.layers.batch_norm(inputs, *args, epsilon=epsilon, fused=fused, **kwargs)


class _Shim(types.ModuleType):
    """``tensorflow`` as TF1 files see it: ``tf.compat.v1`` plus ``contrib``."""

    def __getattr__(self, name):
        return getattr(v1, name)


class _NnShim(types.ModuleType):
    """``tf.nn``: ``tf.compat.v1.nn`` with TF 1.x's static shape for ``conv2d_transpose``."""

    def __getattr__(self, name):
        return getattr(v1.nn, name)

    @staticmethod
    def conv2d_transpose(value, filter, output_shape, *args, **kwargs):  # noqa: A002
        # TF 1.x's shape function took the whole static shape from a constant
        # output_shape; TF 2.21 leaves the batch unknown when the input's is (DCGAN's
        # z placeholder is [None, z_dim]), and DCGAN's reshape(..., x.get_shape())
        # then fails. Restore TF 1.x's static shape.
        out = v1.nn.conv2d_transpose(value, filter, output_shape, *args, **kwargs)
        static = isinstance(output_shape, (list, tuple))
        if static and all(isinstance(d, int) for d in output_shape):
            out.set_shape(output_shape)
        return out


def tensorflow_modules() -> dict[str, types.ModuleType]:
    """The modules to provide under TensorFlow's names while the original files run."""
    contrib = types.ModuleType("tensorflow.contrib")
    contrib.layers = types.ModuleType("tensorflow.contrib.layers")
    contrib.layers.batch_norm = _tf1_batch_norm
    contrib.layers.xavier_initializer = tf_slim.initializers.xavier_initializer
    contrib.layers.layer_norm = tf_slim.layers.layer_norm
    cells = v1.nn.rnn_cell
    contrib.rnn = types.ModuleType("tensorflow.contrib.rnn")
    for name in ("RNNCell", "GRUCell", "LSTMCell", "BasicLSTMCell", "MultiRNNCell"):
        setattr(contrib.rnn, name, getattr(cells, name))
    contrib.rnn.DropoutWrapper = cells.DropoutWrapper
    contrib.legacy_seq2seq = types.ModuleType("tensorflow.contrib.legacy_seq2seq")
    contrib.legacy_seq2seq.rnn_decoder = rnn_decoder
    contrib.legacy_seq2seq.sequence_loss_by_example = sequence_loss_by_example
    shim = _Shim("tensorflow")
    shim.contrib = contrib
    shim.nn = _NnShim("tensorflow.nn")
    shim.python = sys.modules["tensorflow.python"]
    return {
        "tensorflow": shim,
        "tensorflow.contrib": contrib,
        "tensorflow.contrib.rnn": contrib.rnn,
        "tensorflow.contrib.legacy_seq2seq": contrib.legacy_seq2seq,
        "tensorflow.contrib.layers": contrib.layers,
    }


def _session() -> v1.Session:
    cfg = v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    return v1.Session(config=cfg)


def _variables_meta() -> list[dict]:
    trainable = {v.name for v in v1.trainable_variables()}
    return [
        {
            "name": v.op.name,
            "shape": v.shape.as_list(),
            "dtype": v.dtype.base_dtype.name,
            "trainable": v.name in trainable,
        }
        for v in v1.global_variables()
    ]


def _save(name: str, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    folder = HERE / name
    meta = {"tensorflow": tf.__version__, "tf_slim": "1.1.0", **meta}
    meta["outputs"] = {
        k[len("output/") :]: list(v.shape) for k, v in arrays.items() if k.startswith("output/")
    }
    (folder / "expected.json").write_text(json.dumps(meta, indent=1) + "\n")
    np.savez_compressed(folder / "expected.npz", **arrays)
    size = (folder / "expected.npz").stat().st_size
    print(f"{name}: {len(meta['variables'])} variables, {len(arrays)} arrays, {size} bytes")


def _values(sess, variables) -> dict[str, np.ndarray]:
    return {v.op.name: val for v, val in zip(variables, sess.run(variables), strict=True)}


# --- the models --------------------------------------------------------------------------
def record_transformer() -> None:
    hp = SimpleNamespace(**configs.TRANSFORMER_HP)
    inputs = configs.transformer_inputs()
    with tf.Graph().as_default():
        v1.set_random_seed(configs.SEED)
        mods = harness.load("transformer", "original", tensorflow_modules())
        xs = (v1.constant(inputs["x"]), v1.constant(inputs["x_seqlens"]), None)
        ys = (
            v1.constant(inputs["decoder_input"]),
            v1.constant(inputs["y"]),
            v1.constant(inputs["y_seqlen"]),
            None,
        )
        m = mods["model"].Transformer(hp)
        memory, _, src_masks = m.encode(xs)
        logits, y_hat, _, _ = m.decode(ys, memory, src_masks)
        n_model = len(v1.global_variables())
        loss, train_op, global_step, _ = m.train(xs, ys)
        meta_vars = _variables_meta()
        # train() adds only the global step and Adam's slots: encode/decode shared
        # every model variable (AUTO_REUSE).
        model_vars = v1.global_variables()[:n_model] + [global_step]
        fetch = {"memory": memory, "logits": logits, "y_hat": y_hat, "loss": loss}
        with _session() as sess:
            sess.run(v1.global_variables_initializer())
            init = _values(sess, model_vars)
            out = sess.run(fetch)
            sess.run(train_op)
            step = _values(sess, model_vars)
    arrays = {f"input/{k}": v for k, v in inputs.items()}
    arrays.update({f"init/{k}": v for k, v in init.items()})
    arrays.update({f"output/{k}": np.asarray(v) for k, v in out.items()})
    arrays.update({f"step/{k}": v for k, v in step.items()})
    meta = {
        "config": configs.TRANSFORMER_HP,
        "model_variables": [v.op.name for v in model_vars],
        "variables": meta_vars,
        "step": "one sess.run(train_op) of Transformer.train (Adam, noam_scheme lr)",
    }
    _save("transformer", meta, arrays)


def record_char_rnn() -> None:
    args = SimpleNamespace(**configs.CHAR_RNN_ARGS)
    inputs = configs.char_rnn_inputs()
    with tf.Graph().as_default():
        v1.set_random_seed(configs.SEED)
        mods = harness.load("char_rnn", "original", tensorflow_modules())
        m = mods["model"].Model(args, training=True)
        slots = {v.op.name for v in v1.global_variables() if "Adam" in v.op.name}
        slots |= {"beta1_power", "beta2_power"}  # built by apply_gradients in Model.__init__
        model_vars = [v for v in v1.global_variables() if v.op.name not in slots]
        feed = {m.input_data: inputs["input_data"], m.targets: inputs["targets"]}
        (c0, h0), (c1, h1) = m.final_state
        fetch = {
            "logits": m.logits,
            "probs": m.probs,
            "cost": m.cost,
            "final_c0": c0,
            "final_h0": h0,
            "final_c1": c1,
            "final_h1": h1,
        }
        meta_vars = _variables_meta()
        with _session() as sess:
            sess.run(v1.global_variables_initializer())
            init = _values(sess, model_vars)
            out = sess.run(fetch, feed)
            # train.py: sess.run(tf.assign(model.lr, args.learning_rate * decay ** e))
            sess.run(v1.assign(m.lr, configs.CHAR_RNN_LR))
            sess.run(m.train_op, feed)
            step = _values(sess, model_vars)
    arrays = {f"input/{k}": v for k, v in inputs.items()}
    arrays.update({f"init/{k}": v for k, v in init.items()})
    arrays.update({f"output/{k}": np.asarray(v) for k, v in out.items()})
    arrays.update({f"step/{k}": v for k, v in step.items() if k != "Variable"})
    meta = {
        "config": configs.CHAR_RNN_ARGS,
        "learning_rate": configs.CHAR_RNN_LR,
        "model_variables": [v.op.name for v in model_vars],
        "variables": meta_vars,
        "step": "lr assigned, then one sess.run(model.train_op) (clip_by_global_norm + Adam)",
    }
    _save("char_rnn", meta, arrays)


def record_dcgan() -> None:
    cfg = configs.DCGAN_ARGS
    inputs = configs.dcgan_inputs()
    with tempfile.TemporaryDirectory() as tmp, tf.Graph().as_default():
        v1.set_random_seed(configs.SEED)
        configs.dcgan_data_dir(tmp)
        mods = harness.load(
            "dcgan",
            "original",
            tensorflow_modules(),
            image_shape=configs.DCGAN_IMAGE_SHAPE,
        )
        with _session() as sess:
            gan = mods["model"].DCGAN(sess, data_dir=tmp, checkpoint_dir=tmp, **cfg)
            model_vars = list(v1.global_variables())
            meta_vars = _variables_meta()
            d_optim = v1.train.AdamOptimizer(configs.DCGAN_LR, beta1=configs.DCGAN_BETA1).minimize(
                gan.d_loss, var_list=gan.d_vars
            )
            feed = {gan.inputs: inputs["real_images"], gan.z: inputs["z"]}
            sess.run(v1.global_variables_initializer())
            init = _values(sess, model_vars)
            out = sess.run(
                {
                    "G": gan.G,
                    "D": gan.D,
                    "D_logits": gan.D_logits,
                    "D_": gan.D_,
                    "D_logits_": gan.D_logits_,
                    "d_loss_real": gan.d_loss_real,
                    "d_loss_fake": gan.d_loss_fake,
                    "d_loss": gan.d_loss,
                    "g_loss": gan.g_loss,
                },
                feed,
            )
            # The sampler (is_training=False) reads the moving statistics that the
            # training-mode batch norms (updates_collections=None) update in place, so it
            # runs alone, after: it sees them updated once, as the program order of
            # build_model (generator, then sampler) has it.
            out["sampler"] = sess.run(gan.sampler, feed)
            # The generator's batch norms ran once: their moving statistics are defined.
            # (The discriminator's ran twice in one sess.run, in an order TF leaves open.)
            g_stats = [v for v in model_vars if v.op.name.startswith("generator/g_bn")]
            g_stats = [v for v in g_stats if "moving" in v.op.name]
            moving = _values(sess, g_stats)
            for v in model_vars:  # back to the initial values (re-running the initializers
                v.load(init[v.op.name], sess)  # would draw new ones)
            sess.run(d_optim, feed)
            step = _values(sess, [v for v in gan.d_vars])
    arrays = {f"input/{k}": v for k, v in inputs.items()}
    arrays.update({f"init/{k}": v for k, v in init.items()})
    arrays.update({f"output/{k}": np.asarray(v) for k, v in out.items()})
    arrays.update({f"moving/{k}": v for k, v in moving.items()})
    arrays.update({f"step/{k}": v for k, v in step.items()})
    meta = {
        "config": cfg,
        "learning_rate": configs.DCGAN_LR,
        "beta1": configs.DCGAN_BETA1,
        "model_variables": [v.op.name for v in model_vars],
        "d_vars": [v.op.name for v in gan.d_vars],
        "g_vars": [v.op.name for v in gan.g_vars],
        "variables": meta_vars,
        "step": "one d_optim step as DCGAN.train builds it "
        "(Adam(lr, beta1) on d_loss, var_list=d_vars)",
    }
    _save("dcgan", meta, arrays)


def record_bert() -> None:
    inputs = configs.bert_inputs()
    with tf.Graph().as_default():
        v1.set_random_seed(configs.SEED)
        mods = harness.load("bert", "original", tensorflow_modules())
        modeling = mods["modeling"]
        cfg = modeling.BertConfig(**configs.BERT_CONFIG)
        model = modeling.BertModel(
            config=cfg,
            is_training=True,
            input_ids=v1.constant(inputs["input_ids"]),
            input_mask=v1.constant(inputs["input_mask"]),
            token_type_ids=v1.constant(inputs["token_type_ids"]),
        )
        model_vars = list(v1.global_variables())
        meta_vars = _variables_meta()
        pooled = model.get_pooled_output()
        loss = v1.reduce_mean(v1.square(pooled))  # the recording's own head (configs.BERT_LR)
        train_op = v1.train.GradientDescentOptimizer(configs.BERT_LR).minimize(loss)
        fetch = {
            "pooled_output": pooled,
            "sequence_output": model.get_sequence_output(),
            "embedding_output": model.get_embedding_output(),
            "layer_0": model.get_all_encoder_layers()[0],
            "loss": loss,
        }
        with _session() as sess:
            sess.run(v1.global_variables_initializer())
            init = _values(sess, model_vars)
            out = sess.run(fetch)
            sess.run(train_op)
            step = _values(sess, model_vars)
    arrays = {f"input/{k}": v for k, v in inputs.items()}
    arrays.update({f"init/{k}": v for k, v in init.items()})
    arrays.update({f"output/{k}": np.asarray(v) for k, v in out.items()})
    arrays.update({f"step/{k}": v for k, v in step.items()})
    meta = {
        "config": configs.BERT_CONFIG,
        "learning_rate": configs.BERT_LR,
        "model_variables": [v.op.name for v in model_vars],
        "variables": meta_vars,
        "step": "GradientDescent(lr) on mean(pooled_output ** 2), the recording's own head",
    }
    _save("bert", meta, arrays)


def main() -> None:
    names = sys.argv[1:] or ["transformer", "char_rnn", "dcgan", "bert"]
    for name in names:
        globals()[f"record_{name}"]()


if __name__ == "__main__":
    main()
