"""Configurations and seeded inputs for the recorded TF1 models (shared by ``record.py``
and ``tests/test_tf1_models.py``; NumPy only).

Sizes are small (every model records in under a few seconds) but exercise each file's
structure: two blocks and two heads for the Transformer, two LSTM layers for the
char-RNN, all four stride-2 layers of the DCGAN generator and discriminator.
Dropout is off (``dropout_rate=0``, keep probabilities 1) so that outputs are
deterministic in both frameworks.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SEED = 1234

TRANSFORMER_HP = {
    "vocab": "unused (harness.TRANSFORMER_VOCAB)",
    "vocab_size": 11,
    "d_model": 16,
    "num_heads": 2,
    "d_ff": 32,
    "num_blocks": 2,
    "maxlen1": 8,
    "maxlen2": 8,
    "dropout_rate": 0.0,
    "lr": 0.0003,
    "warmup_steps": 4000,
}


def transformer_inputs() -> dict[str, np.ndarray]:
    """Source ids (N=2, T1=6) and target ids (T2=5), 0-padded as data_load pads them."""
    x = np.array([[4, 5, 6, 7, 3, 0], [8, 9, 3, 0, 0, 0]], np.int32)
    decoder_input = np.array([[2, 10, 4, 5, 6], [2, 7, 8, 0, 0]], np.int32)
    y = np.array([[10, 4, 5, 6, 3], [7, 8, 3, 0, 0]], np.int32)
    return {
        "x": x,
        "x_seqlens": (x != 0).sum(1).astype(np.int32),
        "decoder_input": decoder_input,
        "y": y,
        "y_seqlen": (y != 0).sum(1).astype(np.int32),
    }


CHAR_RNN_ARGS = {
    "model": "lstm",
    "rnn_size": 16,
    "num_layers": 2,
    "batch_size": 2,
    "seq_length": 5,
    "vocab_size": 10,
    "output_keep_prob": 1.0,
    "input_keep_prob": 1.0,
    "grad_clip": 5.0,
}
CHAR_RNN_LR = 0.002


def char_rnn_inputs() -> dict[str, np.ndarray]:
    """Character ids and next-character targets, as utils.TextLoader batches them."""
    rng = np.random.default_rng(SEED)
    a = CHAR_RNN_ARGS
    text = rng.integers(0, a["vocab_size"], a["batch_size"] * a["seq_length"] + 1)
    x = text[:-1].reshape(a["batch_size"], a["seq_length"]).astype(np.int32)
    y = text[1:].reshape(a["batch_size"], a["seq_length"]).astype(np.int32)
    return {"input_data": x, "targets": y}


BERT_CONFIG = {
    "vocab_size": 30,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "max_position_embeddings": 16,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
}
# modeling.py has no loss or optimizer (run_classifier.py adds a task head): the
# recording trains the pooled output towards zero with plain gradient descent, so the
# step compares BERT's gradients themselves.
BERT_LR = 0.5


def bert_inputs() -> dict[str, np.ndarray]:
    """Token ids, an attention mask with padding, and two segments (N=2, T=7)."""
    rng = np.random.default_rng(SEED)
    ids = rng.integers(1, BERT_CONFIG["vocab_size"], (2, 7)).astype(np.int32)
    mask = np.array([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]], np.int32)
    types = np.array([[0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0, 0]], np.int32)
    return {"input_ids": ids * mask, "input_mask": mask, "token_type_ids": types}


DCGAN_ARGS = {
    "input_height": 16,
    "input_width": 16,
    "crop": True,
    "batch_size": 2,
    "sample_num": 2,
    "output_height": 16,
    "output_width": 16,
    "z_dim": 8,
    "gf_dim": 4,
    "df_dim": 4,
    "dataset_name": "default",
    "input_fname_pattern": "*.jpg",
}
DCGAN_IMAGE_SHAPE = (16, 16, 3)
DCGAN_LR = 0.0002
DCGAN_BETA1 = 0.5


# Biases of convolutions that feed a training-mode batch norm: their gradient is zero up to
# float32 rounding (the batch norm subtracts the batch mean), so Adam's first step,
# about lr * sign(noise), follows each framework's rounding noise. The test checks only
# that such a step is at most lr.
NOISE_GRADIENT = [
    "discriminator/d_h1_conv/biases",
    "discriminator/d_h2_conv/biases",
    "discriminator/d_h3_conv/biases",
]


def dcgan_inputs() -> dict[str, np.ndarray]:
    """Real images in [-1, 1] (as utils.transform scales them) and z ~ U(-1, 1)."""
    rng = np.random.default_rng(SEED)
    b = DCGAN_ARGS["batch_size"]
    images = rng.uniform(-1, 1, (b, *DCGAN_IMAGE_SHAPE)).astype(np.float32)
    z = rng.uniform(-1, 1, (b, DCGAN_ARGS["z_dim"])).astype(np.float32)
    return {"real_images": images, "z": z}


def dcgan_data_dir(root: str) -> None:
    """The dataset folder DCGAN.__init__ globs (empty files; harness's imread reads none)."""
    folder = Path(root) / DCGAN_ARGS["dataset_name"]
    os.makedirs(folder, exist_ok=True)
    for i in range(DCGAN_ARGS["batch_size"]):
        (folder / f"{i}.jpg").write_bytes(b"")
