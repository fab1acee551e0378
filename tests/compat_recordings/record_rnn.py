"""Record the RNN programs of rnn_cases.py from TensorFlow's graph mode (run in a
TensorFlow venv with tf-keras; TF >= 2.16 needs the legacy Keras for the v1 cells):

    TF_USE_LEGACY_KERAS=1 /work/tfvenv/bin/python tests/compat_recordings/record_rnn.py

The cells, wrappers, ``dynamic_rnn``, ``static_rnn`` and the bidirectional functions are
TensorFlow's own (``tf.compat.v1.nn``). TF 2 has no ``tf.contrib``, so this file carries
TF 1.15's Python code for the contrib-only pieces, rewritten on ``tf.compat.v1`` ops and
``tf.compat.v1.nn.rnn_cell.RNNCell`` (the same graph TF 1.15 builds):
``contrib.rnn.OutputProjectionWrapper`` and ``EmbeddingWrapper``
(contrib/rnn/python/ops/core_rnn_cell.py), ``LSTMBlockCell``, ``GRUBlockCell`` and
``GRUBlockCellV2`` (lstm_ops.py, gru_ops.py: TF's own fused kernels through
``tf.raw_ops``), ``contrib.rnn.stack_bidirectional_rnn`` and
``stack_bidirectional_dynamic_rnn`` (contrib/rnn/python/ops/rnn.py),
``contrib.legacy_seq2seq.rnn_decoder``, ``basic_rnn_seq2seq``, ``tied_rnn_seq2seq``,
``embedding_rnn_decoder``, ``embedding_rnn_seq2seq``, ``attention_decoder``,
``embedding_attention_decoder``, ``embedding_attention_seq2seq`` (without a tensor
``feed_previous``),
``sequence_loss_by_example`` and ``sequence_loss``
(contrib/legacy_seq2seq/python/ops/seq2seq.py) and ``contrib.seq2seq.sequence_loss``
(contrib/seq2seq/python/ops/loss.py). Their recordings are as good as that transcription.

For each program: the variables (name, shape) in creation order and the trainable ones,
the outputs (flattened) with the variables set to rnn_cases.values_for(name). Writes
rnn.json and rnn.npz.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import types
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import tensorflow as tf  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from rnn_cases import PROGRAMS, RANDOM, values_for  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


# --- tf.contrib.rnn's core_rnn_cell wrappers, as in TF 1.15 ------------------------------
class OutputProjectionWrapper(v1.nn.rnn_cell.RNNCell):
    def __init__(self, cell, output_size, activation=None, reuse=None):
        super().__init__(_reuse=reuse)
        self._cell = cell
        self._output_size = output_size
        self._activation = activation

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._output_size

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)

    def call(self, inputs, state):
        output, res_state = self._cell(inputs, state)
        # rnn_cell_impl._Linear(output, output_size, True): kernel and bias in this scope
        size = output.shape[1]
        kernel = v1.get_variable("kernel", [size, self._output_size], dtype=output.dtype)
        bias = v1.get_variable(
            "bias", [self._output_size], dtype=output.dtype, initializer=v1.zeros_initializer()
        )
        projected = tf.nn.bias_add(tf.matmul(output, kernel), bias)
        if self._activation:
            projected = self._activation(projected)
        return projected, res_state


class EmbeddingWrapper(v1.nn.rnn_cell.RNNCell):
    def __init__(self, cell, embedding_classes, embedding_size, initializer=None, reuse=None):
        super().__init__(_reuse=reuse)
        self._cell = cell
        self._embedding_classes = embedding_classes
        self._embedding_size = embedding_size
        self._initializer = initializer

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)

    def call(self, inputs, state):
        with tf.device("/cpu:0"):
            if self._initializer:
                initializer = self._initializer
            elif v1.get_variable_scope().initializer:
                initializer = v1.get_variable_scope().initializer
            else:
                sqrt3 = math.sqrt(3)
                initializer = v1.random_uniform_initializer(-sqrt3, sqrt3)
            data_type = state[0].dtype if isinstance(state, tuple) else state.dtype
            embedding = v1.get_variable(
                "embedding",
                [self._embedding_classes, self._embedding_size],
                initializer=initializer,
                dtype=data_type,
            )
            embedded = tf.nn.embedding_lookup(embedding, tf.reshape(inputs, [-1]))
            return self._cell(embedded, state)


# --- contrib/rnn/python/ops/lstm_ops.py and gru_ops.py, as in TF 1.15: TF's own fused
# kernels (tf.raw_ops.LSTMBlockCell, GRUBlockCell), variables as the contrib classes name them
class LSTMBlockCell(v1.nn.rnn_cell.RNNCell):
    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        cell_clip=None,
        use_peephole=False,
        dtype=None,
        reuse=None,
        name="lstm_cell",
    ):
        super().__init__(_reuse=reuse, dtype=dtype, name=name)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._use_peephole = use_peephole
        self._cell_clip = cell_clip if cell_clip is not None else -1

    @property
    def state_size(self):
        return v1.nn.rnn_cell.LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self):
        return self._num_units

    def call(self, inputs, state):
        n = self._num_units
        kernel = v1.get_variable("kernel", [inputs.shape[1] + n, 4 * n])
        bias = v1.get_variable("bias", [4 * n], initializer=v1.constant_initializer(0.0))
        if self._use_peephole:
            wci, wcf, wco = (v1.get_variable(f"w_{g}_diag", [n]) for g in "ifo")
        else:
            wci = wcf = wco = tf.zeros([n])
        cs_prev, h_prev = state
        _, cs, _, _, _, _, h = tf.raw_ops.LSTMBlockCell(
            x=inputs,
            cs_prev=cs_prev,
            h_prev=h_prev,
            w=kernel,
            wci=wci,
            wcf=wcf,
            wco=wco,
            b=bias,
            forget_bias=self._forget_bias,
            cell_clip=self._cell_clip,
            use_peephole=self._use_peephole,
        )
        return h, v1.nn.rnn_cell.LSTMStateTuple(cs, h)


class GRUBlockCell(v1.nn.rnn_cell.RNNCell):
    _names = ("w_ru", "b_ru", "w_c", "b_c")

    def __init__(self, num_units=None, cell_size=None, reuse=None, name="gru_cell"):
        super().__init__(_reuse=reuse, name=name)
        self._cell_size = num_units if num_units is not None else cell_size

    @property
    def state_size(self):
        return self._cell_size

    @property
    def output_size(self):
        return self._cell_size

    def call(self, inputs, h_prev):
        n, rows = self._cell_size, inputs.shape[1] + self._cell_size
        w_ru, b_ru, w_c, b_c = self._names
        w_ru = v1.get_variable(w_ru, [rows, 2 * n])
        b_ru = v1.get_variable(b_ru, [2 * n], initializer=v1.constant_initializer(1.0))
        w_c = v1.get_variable(w_c, [rows, n])
        b_c = v1.get_variable(b_c, [n], initializer=v1.constant_initializer(0.0))
        _, _, _, new_h = tf.raw_ops.GRUBlockCell(
            x=inputs, h_prev=h_prev, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c
        )
        return new_h, new_h


class GRUBlockCellV2(GRUBlockCell):
    _names = ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")


# --- contrib/rnn/python/ops/rnn.py's stacked bidirectional unrolls, as in TF 1.15 ---------
def stack_bidirectional_rnn(
    cells_fw,
    cells_bw,
    inputs,
    initial_states_fw=None,
    initial_states_bw=None,
    dtype=None,
    sequence_length=None,
    scope=None,
):
    states_fw, states_bw = [], []
    prev_layer = inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw, strict=True)):
            initial_state_fw = initial_states_fw[i] if initial_states_fw else None
            initial_state_bw = initial_states_bw[i] if initial_states_bw else None
            with v1.variable_scope(f"cell_{i}") as cell_scope:
                prev_layer, state_fw, state_bw = v1.nn.static_bidirectional_rnn(
                    cell_fw,
                    cell_bw,
                    prev_layer,
                    initial_state_fw=initial_state_fw,
                    initial_state_bw=initial_state_bw,
                    sequence_length=sequence_length,
                    dtype=dtype,
                    scope=cell_scope,
                )
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(
    cells_fw,
    cells_bw,
    inputs,
    initial_states_fw=None,
    initial_states_bw=None,
    dtype=None,
    sequence_length=None,
    parallel_iterations=None,
    time_major=False,
    scope=None,
    swap_memory=False,
):
    states_fw, states_bw = [], []
    prev_layer = inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw, strict=True)):
            initial_state_fw = initial_states_fw[i] if initial_states_fw else None
            initial_state_bw = initial_states_bw[i] if initial_states_bw else None
            with v1.variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = v1.nn.bidirectional_dynamic_rnn(
                    cell_fw,
                    cell_bw,
                    prev_layer,
                    initial_state_fw=initial_state_fw,
                    initial_state_bw=initial_state_bw,
                    sequence_length=sequence_length,
                    parallel_iterations=parallel_iterations,
                    dtype=dtype,
                    swap_memory=swap_memory,
                    time_major=time_major,
                )
                prev_layer = tf.concat(outputs, 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


RNN = types.SimpleNamespace(
    **{n: getattr(v1.nn.rnn_cell, n) for n in dir(v1.nn.rnn_cell) if not n.startswith("_")},
    OutputProjectionWrapper=OutputProjectionWrapper,
    EmbeddingWrapper=EmbeddingWrapper,
    LSTMBlockCell=LSTMBlockCell,
    GRUBlockCell=GRUBlockCell,
    GRUBlockCellV2=GRUBlockCellV2,
    stack_bidirectional_rnn=stack_bidirectional_rnn,
    stack_bidirectional_dynamic_rnn=stack_bidirectional_dynamic_rnn,
)


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


def basic_rnn_seq2seq(encoder_inputs, decoder_inputs, cell, dtype=tf.float32, scope=None):
    with v1.variable_scope(scope or "basic_rnn_seq2seq"):
        enc_cell = copy.deepcopy(cell)
        _, enc_state = v1.nn.static_rnn(enc_cell, encoder_inputs, dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(
    encoder_inputs, decoder_inputs, cell, loop_function=None, dtype=tf.float32, scope=None
):
    with v1.variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = v1.nn.static_rnn(cell, encoder_inputs, dtype=dtype, scope=scope)
        v1.get_variable_scope().reuse_variables()
        return rnn_decoder(
            decoder_inputs, enc_state, cell, loop_function=loop_function, scope=scope
        )


def _extract_argmax_and_embed(embedding, output_projection=None, update_embedding=True):
    def loop_function(prev, _):
        if output_projection is not None:
            prev = tf.compat.v1.nn.xw_plus_b(prev, output_projection[0], output_projection[1])
        prev_symbol = tf.argmax(prev, 1)
        emb_prev = tf.nn.embedding_lookup(embedding, prev_symbol)
        if not update_embedding:
            emb_prev = tf.stop_gradient(emb_prev)
        return emb_prev

    return loop_function


def embedding_rnn_decoder(
    decoder_inputs,
    initial_state,
    cell,
    num_symbols,
    embedding_size,
    output_projection=None,
    feed_previous=False,
    update_embedding_for_previous=True,
    scope=None,
):
    with v1.variable_scope(scope or "embedding_rnn_decoder"):
        embedding = v1.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = (
            _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous)
            if feed_previous
            else None
        )
        emb_inp = (tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs)
        return rnn_decoder(emb_inp, initial_state, cell, loop_function=loop_function)


def embedding_rnn_seq2seq(
    encoder_inputs,
    decoder_inputs,
    cell,
    num_encoder_symbols,
    num_decoder_symbols,
    embedding_size,
    output_projection=None,
    feed_previous=False,
    dtype=None,
    scope=None,
):
    with v1.variable_scope(scope or "embedding_rnn_seq2seq") as scope:
        if dtype is not None:
            scope.set_dtype(dtype)
        else:
            dtype = scope.dtype
        encoder_cell = copy.deepcopy(cell)
        encoder_cell = EmbeddingWrapper(
            encoder_cell, embedding_classes=num_encoder_symbols, embedding_size=embedding_size
        )
        _, encoder_state = v1.nn.static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)
        return embedding_rnn_decoder(
            decoder_inputs,
            encoder_state,
            cell,
            num_decoder_symbols,
            embedding_size,
            output_projection=output_projection,
            feed_previous=feed_previous,
        )


def _linear(args, output_size):
    """rnn_cell_impl._Linear(args, output_size, bias=True), the ``Linear`` of TF 1.15's
    seq2seq.py: kernel and bias (zeros) in the current scope."""
    if not isinstance(args, (list, tuple)):
        args = [args]
    total = sum(a.shape[1] for a in args)
    kernel = v1.get_variable("kernel", [total, output_size], dtype=args[0].dtype)
    bias = v1.get_variable(
        "bias", [output_size], dtype=args[0].dtype, initializer=v1.constant_initializer(0.0)
    )
    res = tf.matmul(args[0] if len(args) == 1 else tf.concat(args, 1), kernel)
    return tf.nn.bias_add(res, bias)


def attention_decoder(
    decoder_inputs,
    initial_state,
    attention_states,
    cell,
    output_size=None,
    num_heads=1,
    loop_function=None,
    dtype=None,
    scope=None,
    initial_state_attention=False,
):
    if output_size is None:
        output_size = cell.output_size
    with v1.variable_scope(scope or "attention_decoder", dtype=dtype) as scope:
        dtype = scope.dtype
        batch_size = tf.shape(decoder_inputs[0])[0]
        attn_length = attention_states.shape[1]
        attn_size = attention_states.shape[2]
        hidden = tf.reshape(attention_states, [-1, attn_length, 1, attn_size])
        hidden_features = []
        v = []
        attention_vec_size = attn_size
        for a in range(num_heads):
            k = v1.get_variable(f"AttnW_{a}", [1, 1, attn_size, attention_vec_size], dtype=dtype)
            hidden_features.append(v1.nn.conv2d(hidden, k, [1, 1, 1, 1], "SAME"))
            v.append(v1.get_variable(f"AttnV_{a}", [attention_vec_size], dtype=dtype))
        state = initial_state

        def attention(query):
            ds = []
            if tf.nest.is_nested(query):
                query = tf.concat(tf.nest.flatten(query), 1)
            for a in range(num_heads):
                with v1.variable_scope(f"Attention_{a}"):
                    y = _linear(query, attention_vec_size)
                    y = tf.reshape(y, [-1, 1, 1, attention_vec_size])
                    y = tf.cast(y, dtype)
                    s = tf.reduce_sum(v[a] * tf.tanh(hidden_features[a] + y), [2, 3])
                    w = tf.nn.softmax(tf.cast(s, dtype=tf.float32))
                    w = tf.cast(w, dtype)
                    d = tf.reduce_sum(tf.reshape(w, [-1, attn_length, 1, 1]) * hidden, [1, 2])
                    ds.append(tf.reshape(d, [-1, attn_size]))
            return ds

        outputs = []
        prev = None
        batch_attn_size = tf.stack([batch_size, attn_size])
        attns = [tf.zeros(batch_attn_size, dtype=dtype) for _ in range(num_heads)]
        for a in attns:
            a.set_shape([None, attn_size])
        if initial_state_attention:
            attns = attention(initial_state)
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                v1.get_variable_scope().reuse_variables()
            if loop_function is not None and prev is not None:
                with v1.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            input_size = inp.shape[1]
            inputs = [inp] + attns
            inputs = [tf.cast(e, dtype) for e in inputs]
            x = _linear(inputs, input_size)
            cell_output, state = cell(x, state)
            if i == 0 and initial_state_attention:
                with v1.variable_scope(v1.get_variable_scope(), reuse=True):
                    attns = attention(state)
            else:
                attns = attention(state)
            with v1.variable_scope("AttnOutputProjection"):
                cell_output = tf.cast(cell_output, dtype)
                output = _linear([cell_output] + attns, output_size)
            if loop_function is not None:
                prev = output
            outputs.append(output)
    return outputs, state


def embedding_attention_decoder(
    decoder_inputs,
    initial_state,
    attention_states,
    cell,
    num_symbols,
    embedding_size,
    num_heads=1,
    output_size=None,
    output_projection=None,
    feed_previous=False,
    update_embedding_for_previous=True,
    dtype=None,
    scope=None,
    initial_state_attention=False,
):
    if output_size is None:
        output_size = cell.output_size
    with v1.variable_scope(scope or "embedding_attention_decoder", dtype=dtype):
        embedding = v1.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = (
            _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous)
            if feed_previous
            else None
        )
        emb_inp = [tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs]
        return attention_decoder(
            emb_inp,
            initial_state,
            attention_states,
            cell,
            output_size=output_size,
            num_heads=num_heads,
            loop_function=loop_function,
            initial_state_attention=initial_state_attention,
        )


def embedding_attention_seq2seq(
    encoder_inputs,
    decoder_inputs,
    cell,
    num_encoder_symbols,
    num_decoder_symbols,
    embedding_size,
    num_heads=1,
    output_projection=None,
    feed_previous=False,
    dtype=None,
    scope=None,
    initial_state_attention=False,
):
    with v1.variable_scope(scope or "embedding_attention_seq2seq", dtype=dtype) as scope:
        dtype = scope.dtype
        encoder_cell = copy.deepcopy(cell)
        encoder_cell = EmbeddingWrapper(
            encoder_cell, embedding_classes=num_encoder_symbols, embedding_size=embedding_size
        )
        encoder_outputs, encoder_state = v1.nn.static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        top_states = [tf.reshape(e, [-1, 1, cell.output_size]) for e in encoder_outputs]
        attention_states = tf.concat(top_states, 1)
        output_size = None
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)
            output_size = num_decoder_symbols
        return embedding_attention_decoder(
            decoder_inputs,
            encoder_state,
            attention_states,
            cell,
            num_decoder_symbols,
            embedding_size,
            num_heads=num_heads,
            output_size=output_size,
            output_projection=output_projection,
            feed_previous=feed_previous,
            initial_state_attention=initial_state_attention,
        )


def sequence_loss_by_example(
    logits, targets, weights, average_across_timesteps=True, softmax_loss_function=None, name=None
):
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError("Lengths of logits, weights, and targets must be the same.")
    with tf.name_scope(name or "sequence_loss_by_example"):
        log_perp_list = []
        for logit, target, weight in zip(logits, targets, weights, strict=True):
            if softmax_loss_function is None:
                target = tf.reshape(target, [-1])
                crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=target, logits=logit
                )
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            log_perp_list.append(crossent * weight)
        log_perps = tf.add_n(log_perp_list)
        if average_across_timesteps:
            total_size = tf.add_n(weights)
            total_size += 1e-12
            log_perps /= total_size
    return log_perps


def sequence_loss(
    logits,
    targets,
    weights,
    average_across_timesteps=True,
    average_across_batch=True,
    softmax_loss_function=None,
    name=None,
):
    with tf.name_scope(name or "sequence_loss"):
        cost = tf.reduce_sum(
            sequence_loss_by_example(
                logits,
                targets,
                weights,
                average_across_timesteps=average_across_timesteps,
                softmax_loss_function=softmax_loss_function,
            )
        )
        if average_across_batch:
            batch_size = tf.shape(targets[0])[0]
            return cost / tf.cast(batch_size, cost.dtype)
        return cost


# --- tf.contrib.seq2seq.sequence_loss, as in TF 1.15 --------------------------------------
def contrib_sequence_loss(
    logits,
    targets,
    weights,
    average_across_timesteps=True,
    average_across_batch=True,
    sum_over_timesteps=False,
    sum_over_batch=False,
    softmax_loss_function=None,
    name=None,
):
    with tf.name_scope(name or "sequence_loss"):
        num_classes = tf.shape(logits)[2]
        logits_flat = tf.reshape(logits, [-1, num_classes])
        targets = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=targets, logits=logits_flat
            )
        else:
            crossent = softmax_loss_function(labels=targets, logits=logits_flat)
        crossent *= tf.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            crossent = tf.reduce_sum(crossent)
            total_size = tf.reduce_sum(weights)
            crossent = tf.math.divide_no_nan(crossent, total_size)
        elif sum_over_timesteps and sum_over_batch:
            crossent = tf.reduce_sum(crossent)
            total_count = tf.cast(tf.math.count_nonzero(weights), tf.float32)
            crossent = tf.math.divide_no_nan(crossent, total_count)
        else:
            crossent = tf.reshape(crossent, tf.shape(logits)[0:2])
            if average_across_timesteps or average_across_batch:
                reduce_axis = [0] if average_across_batch else [1]
                crossent = tf.reduce_sum(crossent, axis=reduce_axis)
                total_size = tf.reduce_sum(weights, axis=reduce_axis)
                crossent = tf.math.divide_no_nan(crossent, total_size)
            elif sum_over_timesteps or sum_over_batch:
                reduce_axis = [0] if sum_over_batch else [1]
                crossent = tf.reduce_sum(crossent, axis=reduce_axis)
                total_count = tf.cast(
                    tf.math.count_nonzero(weights, axis=reduce_axis), dtype=tf.float32
                )
                crossent = tf.math.divide_no_nan(crossent, total_count)
        return crossent


SEQ2SEQ = types.SimpleNamespace(
    rnn_decoder=rnn_decoder,
    basic_rnn_seq2seq=basic_rnn_seq2seq,
    tied_rnn_seq2seq=tied_rnn_seq2seq,
    embedding_rnn_decoder=embedding_rnn_decoder,
    embedding_rnn_seq2seq=embedding_rnn_seq2seq,
    attention_decoder=attention_decoder,
    embedding_attention_decoder=embedding_attention_decoder,
    embedding_attention_seq2seq=embedding_attention_seq2seq,
    sequence_loss=sequence_loss,
    sequence_loss_by_example=sequence_loss_by_example,
    contrib_sequence_loss=contrib_sequence_loss,
)


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"tensorflow": tf.__version__, "programs": {}}
    for pid, (fn, inputs) in PROGRAMS.items():
        graph = v1.Graph()
        with graph.as_default():
            out = tf.nest.flatten(fn(v1, RNN, SEQ2SEQ, *[v1.constant(x) for x in inputs]))
            variables = v1.global_variables()
            names = [v.op.name for v in variables]
            trainable = [v.op.name for v in v1.trainable_variables()]
            with v1.Session(graph=graph) as sess:
                sess.run(v1.global_variables_initializer())
                for v, name in zip(variables, names, strict=True):
                    value = values_for(name, v.shape.as_list())
                    v.load(value, sess)
                    arrays[f"{pid}/var/{name}"] = value
                values = sess.run(out)
            for i, value in enumerate(values):
                if pid not in RANDOM:
                    arrays[f"{pid}/out/{i}"] = np.asarray(value)
            meta["programs"][pid] = {
                "variables": [
                    [n, v.shape.as_list()] for n, v in zip(names, variables, strict=True)
                ],
                "trainable": trainable,
                "outputs": [list(np.shape(v)) for v in values],
            }
    np.savez_compressed(HERE / "rnn.npz", **arrays)
    (HERE / "rnn.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(meta['programs'])} programs recorded")


if __name__ == "__main__":
    main()
