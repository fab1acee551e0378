"""Programs of TF1 RNN code recorded from TensorFlow (record_rnn.py) and replayed on
scopejax.compat.v1 (tests/test_compat_rnn.py). NumPy only: imported in both venvs.

Each program is ``fn(tf, rnn, seq2seq, *inputs) -> outputs``. In the recording, ``tf`` is
``tf.compat.v1``, ``rnn`` is ``tf.compat.v1.nn.rnn_cell`` plus the contrib-only cells
and ``seq2seq`` the ``tf.contrib.legacy_seq2seq`` / ``tf.contrib.seq2seq`` functions
(TF 2 has no contrib: record_rnn.py carries TF 1.15's Python code for those, written
on ``tf.compat.v1`` ops). On replay they are ``scopejax.compat.v1``,
``tf.contrib.rnn`` and ``tf.contrib.legacy_seq2seq`` / ``tf.contrib.seq2seq``.

``RANDOM`` programs drop with keep_prob < 1: only their variable names and shapes are
compared (the masks differ between TF and JAX).
"""

from __future__ import annotations

import numpy as np


def r(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


X = r(3, 5, 4)  # [batch, time, features]
XT = np.ascontiguousarray(X.transpose(1, 0, 2))  # time major
LENGTHS = np.array([5, 2, 3], np.int32)
STEPS = [r(3, 4, seed=10 + t) for t in range(4)]
TARGETS = [np.random.default_rng(20 + t).integers(0, 6, size=3).astype(np.int32) for t in range(4)]
WEIGHTS = [
    np.array([1.0, 1.0, 0.0], np.float32) if t == 3 else np.ones(3, np.float32) for t in range(4)
]
LOGITS3 = r(3, 4, 6, seed=30)
TARGETS2 = np.random.default_rng(31).integers(0, 6, size=(3, 4)).astype(np.int32)
WEIGHTS2 = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], np.float32)
IDS = np.random.default_rng(32).integers(0, 7, size=(3, 5)).astype(np.int32)
TARGETS2_5 = np.random.default_rng(33).integers(0, 7, size=(3, 5)).astype(np.int32)


def run(tf, cell, x, **kwargs):
    return tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, **kwargs)


def basic_rnn(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.BasicRNNCell(4), x)


def basic_rnn_relu(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.BasicRNNCell(4, activation=tf.nn.relu), x)


def basic_lstm_tuple(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5), x)


def basic_lstm_concat(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.BasicLSTMCell(4, state_is_tuple=False), x)


def lstm_tuple(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.LSTMCell(4), x)


def lstm_concat(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.LSTMCell(4, state_is_tuple=False), x)


def lstm_peepholes_projection(tf, rnn, s2s, x):
    cell = tf.nn.rnn_cell.LSTMCell(
        4, use_peepholes=True, cell_clip=0.4, num_proj=2, proj_clip=0.3, forget_bias=0.0
    )
    return run(tf, cell, x)


def lstm_projection_concat(tf, rnn, s2s, x):
    cell = tf.nn.rnn_cell.LSTMCell(4, num_proj=2, state_is_tuple=False)
    return run(tf, cell, x)


def gru(tf, rnn, s2s, x):
    return run(tf, tf.nn.rnn_cell.GRUCell(4), x)


def block_cells(tf, rnn, s2s, x, lengths):
    cells = [
        rnn.LSTMBlockCell(4),
        rnn.LSTMBlockCell(4, forget_bias=0.5, cell_clip=0.3, use_peephole=True),
        rnn.GRUBlockCell(4),
        rnn.GRUBlockCellV2(4),
    ]
    return tf.nn.dynamic_rnn(rnn.MultiRNNCell(cells), x, sequence_length=lengths, dtype=tf.float32)


def multi_lstm(tf, rnn, s2s, x):
    cells = [tf.nn.rnn_cell.BasicLSTMCell(4), tf.nn.rnn_cell.LSTMCell(4)]
    return run(tf, tf.nn.rnn_cell.MultiRNNCell(cells), x)


def multi_concat(tf, rnn, s2s, x):
    cells = [tf.nn.rnn_cell.BasicLSTMCell(n, state_is_tuple=False) for n in (4, 4)]
    return run(tf, tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=False), x)


def multi_mixed_zero_state(tf, rnn, s2s, x):
    cell = rnn.MultiRNNCell([rnn.GRUCell(4), rnn.BasicRNNCell(4), rnn.LSTMCell(4)])
    init = cell.zero_state(3, tf.float32)
    return tf.nn.dynamic_rnn(cell, x, initial_state=init, scope="decoder")


def lengths_time_major(tf, rnn, s2s, x, lengths):
    return run(tf, tf.nn.rnn_cell.LSTMCell(4), x, sequence_length=lengths, time_major=True)


def lengths_gru(tf, rnn, s2s, x, lengths):
    return run(tf, tf.nn.rnn_cell.GRUCell(4), x, sequence_length=lengths)


def bidirectional(tf, rnn, s2s, x, lengths):
    fw = tf.nn.rnn_cell.LSTMCell(4)
    bw = tf.nn.rnn_cell.GRUCell(4)
    return tf.nn.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=lengths, dtype=tf.float32)


def bidirectional_no_lengths(tf, rnn, s2s, x):
    fw = tf.nn.rnn_cell.BasicLSTMCell(4)
    bw = tf.nn.rnn_cell.BasicLSTMCell(4)
    (of, ob), _ = tf.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32, scope="birnn")
    return tf.concat([of, ob], 2)


def static(tf, rnn, s2s, *steps):
    cell = tf.nn.rnn_cell.BasicLSTMCell(4)
    return tf.nn.static_rnn(cell, list(steps), dtype=tf.float32)


def static_lengths(tf, rnn, s2s, *steps):
    cell = tf.nn.rnn_cell.GRUCell(4)
    lengths = tf.constant([4, 1, 2])
    return tf.nn.static_rnn(cell, list(steps), dtype=tf.float32, sequence_length=lengths)


def static_bidirectional(tf, rnn, s2s, *steps):
    fw = tf.nn.rnn_cell.GRUCell(4)
    bw = tf.nn.rnn_cell.BasicRNNCell(4)
    lengths = tf.constant([4, 1, 2])
    return tf.nn.static_bidirectional_rnn(
        fw, bw, list(steps), dtype=tf.float32, sequence_length=lengths
    )


def dropout_keep_one(tf, rnn, s2s, x):
    cells = [
        tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(4), output_keep_prob=1.0)
        for _ in range(2)
    ]
    return run(tf, tf.nn.rnn_cell.MultiRNNCell(cells), x)


def dropout_random(tf, rnn, s2s, x):
    cell = tf.nn.rnn_cell.DropoutWrapper(
        tf.nn.rnn_cell.LSTMCell(4), input_keep_prob=0.8, output_keep_prob=0.5, state_keep_prob=0.7
    )
    return run(tf, tf.nn.rnn_cell.MultiRNNCell([cell]), x)


def dropout_variational(tf, rnn, s2s, x):
    cell = tf.nn.rnn_cell.DropoutWrapper(
        tf.nn.rnn_cell.GRUCell(4),
        input_keep_prob=0.8,
        output_keep_prob=0.5,
        variational_recurrent=True,
        input_size=4,
        dtype=tf.float32,
    )
    return run(tf, cell, x)


def residual(tf, rnn, s2s, x):
    cell = tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.GRUCell(4))
    return run(tf, cell, x)


def residual_fn_device(tf, rnn, s2s, x):
    inner = tf.nn.rnn_cell.BasicLSTMCell(4)
    cell = tf.nn.rnn_cell.ResidualWrapper(inner, residual_fn=lambda i, o: 0.5 * i + o)
    return run(tf, tf.nn.rnn_cell.DeviceWrapper(cell, "/cpu:0"), x)


def output_projection(tf, rnn, s2s, x):
    cell = rnn.OutputProjectionWrapper(rnn.MultiRNNCell([rnn.GRUCell(4), rnn.GRUCell(4)]), 6)
    return run(tf, cell, x)


def embedding_wrapper(tf, rnn, s2s, ids):
    cell = rnn.EmbeddingWrapper(rnn.BasicLSTMCell(4), embedding_classes=7, embedding_size=4)
    return tf.nn.dynamic_rnn(cell, tf.expand_dims(ids, 2), dtype=tf.float32)


def scoped_model(tf, rnn, s2s, x):
    """char-rnn's shape: one cell object, a model scope, a second call with reuse."""
    with tf.variable_scope("rnnlm"):
        cell = rnn.MultiRNNCell([rnn.BasicLSTMCell(4) for _ in range(2)], state_is_tuple=True)
        softmax_w = tf.get_variable("softmax_w", [4, 6])
        out, state = tf.nn.dynamic_rnn(cell, x, initial_state=cell.zero_state(3, tf.float32))
    with tf.variable_scope("rnnlm", reuse=True):
        out2, _ = tf.nn.dynamic_rnn(cell, x[:, :2], initial_state=state)
    return tf.matmul(tf.reshape(out, [-1, 4]), softmax_w), out2


def cell_names(tf, rnn, s2s, x):
    """TF1 layers make an explicit name unique (``x``, ``x_1``) unless ``reuse``; a
    ``scope=`` argument at the first call is entered as given."""
    a, b = rnn.LSTMCell(4, name="x"), rnn.LSTMCell(4, name="x")
    c = rnn.LSTMCell(4, name="x", reuse=True)
    d, e = rnn.GRUCell(4), rnn.GRUCell(4)
    outs = [cell(x, cell.zero_state(3, tf.float32))[0] for cell in (a, b, c, d, e)]
    f = rnn.BasicRNNCell(4)
    outs.append(f(x, f.zero_state(3, tf.float32), scope="y")[0])
    return outs


def rnn_decoder(tf, rnn, s2s, *steps):
    cell = rnn.BasicLSTMCell(4)
    state = cell.zero_state(3, tf.float32)
    return s2s.rnn_decoder(list(steps), state, cell)


def rnn_decoder_loop(tf, rnn, s2s, *steps):
    """char-rnn's sampling: the loop function feeds the embedded argmax back."""
    with tf.variable_scope("rnnlm"):
        cell = rnn.MultiRNNCell([rnn.GRUCell(4) for _ in range(2)])
        softmax_w = tf.get_variable("softmax_w", [4, 6])
        embedding = tf.get_variable("embedding", [6, 4])

    def loop(prev, i):
        return tf.nn.embedding_lookup(embedding, tf.argmax(tf.matmul(prev, softmax_w), 1))

    state = cell.zero_state(3, tf.float32)
    return s2s.rnn_decoder(list(steps), state, cell, loop_function=loop, scope="rnnlm")


def legacy_losses(tf, rnn, s2s, *args):
    logits, targets, weights = list(args[0:4]), list(args[4:8]), list(args[8:12])
    return [
        s2s.sequence_loss(logits, targets, weights),
        s2s.sequence_loss(logits, targets, weights, average_across_batch=False),
        s2s.sequence_loss(logits, targets, weights, average_across_timesteps=False),
        s2s.sequence_loss_by_example(logits, targets, weights),
        s2s.sequence_loss_by_example(logits, targets, weights, average_across_timesteps=False),
        s2s.sequence_loss(
            logits,
            targets,
            weights,
            softmax_loss_function=lambda labels, logits: (
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=2.0 * logits)
            ),
        ),
    ]


def contrib_sequence_loss(tf, rnn, s2s, logits, targets, weights):
    f = s2s.contrib_sequence_loss
    return [
        f(logits, targets, weights),
        f(logits, targets, weights, average_across_timesteps=False),
        f(logits, targets, weights, average_across_batch=False),
        f(logits, targets, weights, False, False),
        f(logits, targets, weights, False, False, sum_over_timesteps=True, sum_over_batch=True),
        f(logits, targets, weights, False, False, sum_over_timesteps=True),
        f(logits, targets, weights, False, False, sum_over_batch=True),
    ]


def seq2seq_model(tf, rnn, s2s, *steps):
    """An encoder (static_rnn) and a decoder sharing a model scope, with a loss."""
    with tf.variable_scope("seq2seq"):
        enc = rnn.GRUCell(4)
        _, state = tf.nn.static_rnn(enc, list(steps[:2]), dtype=tf.float32, scope="encoder")
        dec = rnn.OutputProjectionWrapper(rnn.GRUCell(4), 6)
        outs, _ = s2s.rnn_decoder(list(steps[2:]), state, dec)
    targets = [tf.constant([1, 2, 3]), tf.constant([0, 5, 4])]
    weights = [tf.ones([3]), tf.ones([3])]
    return outs, s2s.sequence_loss(outs, targets, weights)


def char_rnn(tf, rnn, s2s, ids, targets, sample=False):
    """The graph of a character-level language model as TF1 tutorials build it: an
    embedding, a stack of LSTMs run by ``rnn_decoder`` under ``rnnlm`` (feeding back
    its own argmax when sampling), softmax logits, ``sequence_loss_by_example``."""
    batch, steps, size, vocab = 3, 5, 4, 7
    cells = []
    for _ in range(2):
        cell = rnn.BasicLSTMCell(size)
        if not sample:
            cell = rnn.DropoutWrapper(cell, input_keep_prob=1.0, output_keep_prob=1.0)
        cells.append(cell)
    cell = rnn.MultiRNNCell(cells, state_is_tuple=True)
    initial_state = cell.zero_state(batch, tf.float32)
    with tf.variable_scope("rnnlm"):
        softmax_w = tf.get_variable("softmax_w", [size, vocab])
        softmax_b = tf.get_variable("softmax_b", [vocab])
    embedding = tf.get_variable("embedding", [vocab, size])
    inputs = tf.split(tf.nn.embedding_lookup(embedding, ids), steps, 1)
    inputs = [tf.squeeze(x, [1]) for x in inputs]

    def loop(prev, _):
        prev = tf.matmul(prev, softmax_w) + softmax_b
        return tf.nn.embedding_lookup(embedding, tf.stop_gradient(tf.argmax(prev, 1)))

    outputs, last_state = s2s.rnn_decoder(
        inputs, initial_state, cell, loop_function=loop if sample else None, scope="rnnlm"
    )
    output = tf.reshape(tf.concat(outputs, 1), [-1, size])
    logits = tf.matmul(output, softmax_w) + softmax_b
    probs = tf.nn.softmax(logits)
    loss = s2s.sequence_loss_by_example(
        [logits], [tf.reshape(targets, [-1])], [tf.ones([batch * steps])]
    )
    cost = tf.reduce_sum(loss) / batch / steps
    return cost, probs, last_state


def char_rnn_sample(tf, rnn, s2s, ids, targets):
    return char_rnn(tf, rnn, s2s, ids, targets, sample=True)


def stacked_bidirectional(tf, rnn, s2s, x, lengths):
    cells_fw = [rnn.LSTMCell(4), rnn.GRUCell(4)]
    cells_bw = [rnn.GRUCell(4), rnn.BasicLSTMCell(4)]
    return rnn.stack_bidirectional_dynamic_rnn(
        cells_fw, cells_bw, x, sequence_length=lengths, dtype=tf.float32
    )


def stacked_static_bidirectional(tf, rnn, s2s, *steps):
    cells_fw = [rnn.GRUCell(4), rnn.GRUCell(4)]
    cells_bw = [rnn.BasicRNNCell(4), rnn.BasicRNNCell(4)]
    lengths = tf.constant([4, 1, 2])
    return rnn.stack_bidirectional_rnn(
        cells_fw, cells_bw, list(steps), dtype=tf.float32, sequence_length=lengths
    )


def basic_seq2seq(tf, rnn, s2s, *steps):
    return s2s.basic_rnn_seq2seq(list(steps[:2]), list(steps[2:]), rnn.GRUCell(4))


def tied_seq2seq(tf, rnn, s2s, *steps):
    return s2s.tied_rnn_seq2seq(list(steps[:2]), list(steps[2:]), rnn.BasicLSTMCell(4))


def embedding_seq2seq(tf, rnn, s2s, ids, feed_previous=False):
    enc = [ids[:, t] for t in range(2)]
    dec = [ids[:, t] for t in range(2, 5)]
    return s2s.embedding_rnn_seq2seq(
        enc, dec, rnn.GRUCell(4), 7, 7, embedding_size=4, feed_previous=feed_previous
    )


def embedding_seq2seq_feed_previous(tf, rnn, s2s, ids):
    return embedding_seq2seq(tf, rnn, s2s, ids, feed_previous=True)


def embedding_decoder_projection(tf, rnn, s2s, ids):
    w = tf.get_variable("proj_w", [4, 7])
    b = tf.get_variable("proj_b", [7])
    cell = rnn.LSTMCell(4)
    dec = [ids[:, t] for t in range(4)]
    outputs, state = s2s.embedding_rnn_decoder(
        dec,
        cell.zero_state(3, tf.float32),
        cell,
        7,
        4,
        output_projection=(w, b),
        feed_previous=True,
    )
    return [tf.nn.xw_plus_b(o, w, b) for o in outputs], state


def attention(tf, rnn, s2s, *steps):
    """Two heads, the first attention from the initial state, a loop function."""
    cell = rnn.MultiRNNCell([rnn.GRUCell(4), rnn.LSTMCell(4)])
    states = tf.stack(list(steps[:3]), 1)  # [batch, 3, 4]

    def loop(prev, i):
        return tf.tanh(prev[:, :4])

    return s2s.attention_decoder(
        list(steps),
        cell.zero_state(3, tf.float32),
        states,
        cell,
        output_size=6,
        num_heads=2,
        loop_function=loop,
        initial_state_attention=True,
    )


def embedding_attention_seq2seq(tf, rnn, s2s, ids, feed_previous=False):
    enc = [ids[:, t] for t in range(3)]
    dec = [ids[:, t] for t in range(3, 5)]
    return s2s.embedding_attention_seq2seq(
        enc, dec, rnn.GRUCell(4), 7, 7, embedding_size=4, feed_previous=feed_previous
    )


def embedding_attention_seq2seq_feed(tf, rnn, s2s, ids):
    return embedding_attention_seq2seq(tf, rnn, s2s, ids, feed_previous=True)


SEQ2SEQ_LOSS_ARGS = [r(3, 6, seed=40 + t) for t in range(4)] + TARGETS + WEIGHTS

PROGRAMS = {
    "basic_rnn": (basic_rnn, [X]),
    "basic_rnn_relu": (basic_rnn_relu, [X]),
    "basic_lstm_tuple": (basic_lstm_tuple, [X]),
    "basic_lstm_concat": (basic_lstm_concat, [X]),
    "lstm_tuple": (lstm_tuple, [X]),
    "lstm_concat": (lstm_concat, [X]),
    "lstm_peepholes_projection": (lstm_peepholes_projection, [X]),
    "lstm_projection_concat": (lstm_projection_concat, [X]),
    "gru": (gru, [X]),
    "block_cells": (block_cells, [X, LENGTHS]),
    "multi_lstm": (multi_lstm, [X]),
    "multi_concat": (multi_concat, [X]),
    "multi_mixed_zero_state": (multi_mixed_zero_state, [X]),
    "lengths_time_major": (lengths_time_major, [XT, LENGTHS]),
    "lengths_gru": (lengths_gru, [X, LENGTHS]),
    "bidirectional": (bidirectional, [X, LENGTHS]),
    "bidirectional_no_lengths": (bidirectional_no_lengths, [X]),
    "static": (static, STEPS),
    "static_lengths": (static_lengths, STEPS),
    "static_bidirectional": (static_bidirectional, STEPS),
    "dropout_keep_one": (dropout_keep_one, [X]),
    "dropout_random": (dropout_random, [X]),
    "dropout_variational": (dropout_variational, [X]),
    "residual": (residual, [X]),
    "residual_fn_device": (residual_fn_device, [X]),
    "output_projection": (output_projection, [X]),
    "embedding_wrapper": (embedding_wrapper, [IDS]),
    "scoped_model": (scoped_model, [X]),
    "cell_names": (cell_names, [STEPS[0]]),
    "rnn_decoder": (rnn_decoder, STEPS),
    "rnn_decoder_loop": (rnn_decoder_loop, STEPS),
    "legacy_losses": (legacy_losses, SEQ2SEQ_LOSS_ARGS),
    "contrib_sequence_loss": (contrib_sequence_loss, [LOGITS3, TARGETS2, WEIGHTS2]),
    "seq2seq_model": (seq2seq_model, STEPS),
    "stacked_bidirectional": (stacked_bidirectional, [X, LENGTHS]),
    "stacked_static_bidirectional": (stacked_static_bidirectional, STEPS),
    "basic_seq2seq": (basic_seq2seq, STEPS),
    "tied_seq2seq": (tied_seq2seq, STEPS),
    "embedding_seq2seq": (embedding_seq2seq, [IDS]),
    "embedding_seq2seq_feed_previous": (embedding_seq2seq_feed_previous, [IDS]),
    "embedding_decoder_projection": (embedding_decoder_projection, [IDS]),
    "attention": (attention, STEPS),
    "embedding_attention_seq2seq": (embedding_attention_seq2seq, [IDS]),
    "embedding_attention_seq2seq_feed": (embedding_attention_seq2seq_feed, [IDS]),
    "char_rnn": (char_rnn, [IDS, TARGETS2_5]),
    "char_rnn_sample": (char_rnn_sample, [IDS, TARGETS2_5]),
}

RANDOM = {"dropout_random", "dropout_variational"}


def values_for(name: str, shape: list[int]) -> np.ndarray:
    """The value each recorded variable is set to."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(name))
    return r(*shape, seed=seed) * 0.5
