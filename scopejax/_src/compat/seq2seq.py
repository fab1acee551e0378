"""``tf.contrib.legacy_seq2seq`` (``rnn_decoder``, ``sequence_loss``,
``sequence_loss_by_example``) and ``tf.contrib.seq2seq.sequence_loss``, following TF
1.15's ``contrib/legacy_seq2seq/python/ops/seq2seq.py`` and
``contrib/seq2seq/python/ops/loss.py``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.compat.nn_ops import sparse_softmax_cross_entropy_with_logits, xw_plus_b
from scopejax._src.compat.ops import convert_to_tensor
from scopejax._src.compat.rnn import EmbeddingWrapper, OutputProjectionWrapper, static_rnn
from scopejax._src.core.scope import VariableScope, get_variable_scope, variable_scope
from scopejax._src.core.variables import get_variable
from scopejax._src.nn.common import float_dtype, make_bias, make_kernel

Array = jax.Array


def rnn_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    cell: Any,
    loop_function: Callable[[Array, int], Array] | None = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.rnn_decoder``: run ``cell`` over a list of inputs
    from ``initial_state``, variables under ``rnn_decoder/`` (TF1's names).

    With ``loop_function``, every step after the first reads ``loop_function(prev, i)``
    (run under ``loop_function`` with reuse) instead of its input, as for sampling.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def f(xs):
    ...     cell = tf.contrib.rnn.GRUCell(3)
    ...     state = cell.zero_state(2, tf.float32)
    ...     outputs, state = tf.contrib.legacy_seq2seq.rnn_decoder(list(xs), state, cell)
    ...     return outputs
    >>> store = sj.transform(f).init(jax.random.key(0), jnp.ones([4, 2, 5]))
    >>> store.names()[:2]
    ['rnn_decoder/gru_cell/candidate/bias', 'rnn_decoder/gru_cell/candidate/kernel']

    Args:
      decoder_inputs: a list of ``[batch, features]`` arrays, one per step.
      initial_state: the cell's state at step 0.
      cell: an RNN cell.
      loop_function: ``(prev_output, i) -> next_input`` for steps ``i >= 1``.
      scope: the variable scope; default ``"rnn_decoder"``.

    Returns:
      ``(outputs, state)``: a list of outputs, one per step, and the final state.
    """
    with variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs: list[Array] = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def basic_rnn_seq2seq(
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    dtype: Any = jnp.float32,
    scope: str | VariableScope | None = None,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.basic_rnn_seq2seq``: a ``static_rnn`` encoder (a copy
    of ``cell``) whose final state starts an :func:`rnn_decoder`, under
    ``basic_rnn_seq2seq/rnn/...`` and ``basic_rnn_seq2seq/rnn_decoder/...``.

    Args:
      encoder_inputs: a list of ``[batch, features]``, one per encoder step.
      decoder_inputs: a list of ``[batch, features]``, one per decoder step.
      cell: an RNN cell not called yet (the encoder runs a deep copy of it).
      dtype: the encoder's zero state dtype.
      scope: the variable scope; default ``"basic_rnn_seq2seq"``.

    Returns:
      ``(outputs, state)`` of the decoder.

    Raises:
      ValueError: ``encoder_inputs`` is empty.
    """
    with variable_scope(scope or "basic_rnn_seq2seq"):
        enc_cell = copy.deepcopy(cell)
        _, enc_state = static_rnn(enc_cell, encoder_inputs, dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    loop_function: Callable[[Array, int], Array] | None = None,
    dtype: Any = jnp.float32,
    scope: str | VariableScope | None = None,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.tied_rnn_seq2seq``: encoder and decoder share one
    cell's variables, under ``combined_tied_rnn_seq2seq/tied_rnn_seq2seq/...``.

    Args:
      encoder_inputs: a list of ``[batch, features]``, one per encoder step.
      decoder_inputs: a list of ``[batch, features]``, one per decoder step.
      cell: the RNN cell of both.
      loop_function: as in :func:`rnn_decoder`.
      dtype: the encoder's zero state dtype.
      scope: the inner scope name; default ``"tied_rnn_seq2seq"``.

    Returns:
      ``(outputs, state)`` of the decoder.

    Raises:
      ValueError: ``encoder_inputs`` is empty.
    """
    with variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = static_rnn(cell, encoder_inputs, dtype=dtype, scope=scope)
        get_variable_scope().reuse_variables()
        return rnn_decoder(
            decoder_inputs, enc_state, cell, loop_function=loop_function, scope=scope
        )


def _extract_argmax_and_embed(
    embedding: Array, output_projection: Any = None, update_embedding: bool = True
) -> Callable[[Array, int], Array]:
    """TF 1.15's loop function: project, take the argmax, embed it."""

    def loop_function(prev: Array, _: int) -> Array:
        if output_projection is not None:
            prev = xw_plus_b(prev, output_projection[0], output_projection[1])
        emb_prev = jnp.take(embedding, jnp.argmax(prev, 1), axis=0)
        return emb_prev if update_embedding else jax.lax.stop_gradient(emb_prev)

    return loop_function


def _check_feed_previous(fn: str, feed_previous: Any) -> None:
    if not isinstance(feed_previous, bool):
        raise TypeError(
            f"{fn}: feed_previous must be a Python bool; for a value known only at run "
            "time, build both decoders and choose with tf.cond."
        )


def _embedded_inputs(
    decoder_inputs: Sequence[Any],
    num_symbols: int,
    embedding_size: int,
    output_projection: Any,
    feed_previous: bool,
    update_embedding_for_previous: bool,
) -> tuple[list[Array], Callable[[Array, int], Array] | None]:
    """The decoder inputs looked up in a new ``embedding`` variable (current scope), and
    the loop function feeding the previous argmax (``feed_previous``) or None."""
    embedding = get_variable("embedding", [num_symbols, embedding_size])
    loop_function = (
        _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous)
        if feed_previous
        else None
    )
    emb_inp = [jnp.take(embedding, convert_to_tensor(i), axis=0) for i in decoder_inputs]
    return emb_inp, loop_function


def _embedding_encoder(
    cell: Any,
    encoder_inputs: Sequence[Any],
    num_encoder_symbols: int,
    embedding_size: int,
    dtype: Any,
) -> tuple[list[Array], Any]:
    """TF1's embedding encoder: ``static_rnn`` over a copy of ``cell`` in an
    ``EmbeddingWrapper``."""
    encoder_cell = EmbeddingWrapper(
        copy.deepcopy(cell),
        embedding_classes=num_encoder_symbols,
        embedding_size=embedding_size,
    )
    return static_rnn(encoder_cell, encoder_inputs, dtype=dtype or jnp.float32)


def embedding_rnn_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    output_projection: Any = None,
    feed_previous: bool = False,
    update_embedding_for_previous: bool = True,
    scope: str | VariableScope | None = None,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.embedding_rnn_decoder``: integer decoder inputs
    embedded by ``embedding_rnn_decoder/embedding``, then :func:`rnn_decoder`; with
    ``feed_previous`` each later step embeds the previous output's argmax.

    Args:
      decoder_inputs: a list of integer ``[batch]``, one per step.
      initial_state: the cell's state at step 0.
      cell: an RNN cell whose outputs are the symbol logits (or projected by
        ``output_projection``).
      num_symbols: the number of symbols.
      embedding_size: the embedding width.
      output_projection: ``(W, b)`` mapping outputs to ``num_symbols`` logits, or None.
      feed_previous: a Python bool (a traced ``feed_previous`` is not provided).
      update_embedding_for_previous: let gradients reach the embedding through the fed
        argmax.
      scope: the variable scope; default ``"embedding_rnn_decoder"``.

    Returns:
      ``(outputs, state)`` of :func:`rnn_decoder`.

    Raises:
      TypeError: ``feed_previous`` is not a Python bool.
      ValueError: an ``output_projection`` whose shapes do not give ``num_symbols``.
    """
    _check_feed_previous("embedding_rnn_decoder", feed_previous)
    with variable_scope(scope or "embedding_rnn_decoder"):
        if output_projection is not None:
            w, b = (convert_to_tensor(t) for t in output_projection)
            if w.shape[-1] != num_symbols or tuple(b.shape) != (num_symbols,):
                raise ValueError(
                    f"output_projection must be (W [?, {num_symbols}], b [{num_symbols}]), got "
                    f"shapes {w.shape} and {b.shape}."
                )
        emb_inp, loop_function = _embedded_inputs(
            decoder_inputs,
            num_symbols,
            embedding_size,
            output_projection,
            feed_previous,
            update_embedding_for_previous,
        )
        return rnn_decoder(emb_inp, initial_state, cell, loop_function=loop_function)


def embedding_rnn_seq2seq(
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    output_projection: Any = None,
    feed_previous: bool = False,
    dtype: Any = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.embedding_rnn_seq2seq``: an encoder (a copy of
    ``cell`` in an ``EmbeddingWrapper``, run by ``static_rnn``) whose final state starts
    an :func:`embedding_rnn_decoder` (``cell`` in an ``OutputProjectionWrapper`` unless
    ``output_projection``), all under ``embedding_rnn_seq2seq``.

    Args:
      encoder_inputs: a list of integer ``[batch]``, one per encoder step.
      decoder_inputs: a list of integer ``[batch]``, one per decoder step.
      cell: an RNN cell not called yet.
      num_encoder_symbols: the encoder's number of symbols.
      num_decoder_symbols: the decoder's number of symbols.
      embedding_size: the width of both embeddings.
      output_projection: ``(W, b)`` for the decoder's outputs, or None.
      feed_previous: a Python bool: feed the decoder its own argmax.
      dtype: the encoder's state dtype; default float32.
      scope: the variable scope; default ``"embedding_rnn_seq2seq"``.

    Returns:
      ``(outputs, state)`` of the decoder.

    Raises:
      TypeError: ``feed_previous`` is not a Python bool.
    """
    with variable_scope(scope or "embedding_rnn_seq2seq"):
        _, encoder_state = _embedding_encoder(
            cell, encoder_inputs, num_encoder_symbols, embedding_size, dtype
        )
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


def _linear(args: list[Array], output_size: int) -> Array:
    """TF1's ``rnn_cell_impl._Linear(args, output_size, bias=True)``:
    ``concat(args, 1) @ kernel + bias`` with ``kernel`` and ``bias`` (zeros) in the
    current scope."""
    x = args[0] if len(args) == 1 else jnp.concatenate(args, 1)
    dt = float_dtype(x)
    kernel = make_kernel([x.shape[1], output_size], dt)
    return x @ kernel + make_bias([output_size], dt)


def attention_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    attention_states: Any,
    cell: Any,
    output_size: int | None = None,
    num_heads: int = 1,
    loop_function: Callable[[Array, int], Array] | None = None,
    dtype: Any = None,
    scope: str | VariableScope | None = None,
    initial_state_attention: bool = False,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.attention_decoder``: an RNN decoder with additive
    attention over ``attention_states`` (Bahdanau-style, as TF 1.15).

    Each step feeds the cell ``linear([input] + attentions)`` (``attention_decoder/kernel``,
    ``bias``); each head ``a`` scores ``v_a . tanh(W_a h_j + linear(state))``
    (``AttnW_a`` ``[1, 1, attn_size, attn_size]``, ``AttnV_a``, ``Attention_a/kernel``)
    and reads the softmax-weighted states; the output is
    ``AttnOutputProjection``'s ``linear([cell_output] + attentions)``.

    Args:
      decoder_inputs: a list of ``[batch, features]``, one per step.
      initial_state: the cell's state at step 0.
      attention_states: ``[batch, attn_length, attn_size]``.
      cell: an RNN cell.
      output_size: the outputs' width; default ``cell.output_size``.
      num_heads: the number of attention reads.
      loop_function: as in :func:`rnn_decoder`.
      dtype: ignored (variables are float32, the attentions take the inputs' dtype).
      scope: the variable scope; default ``"attention_decoder"``.
      initial_state_attention: compute the first attention from ``initial_state``
        instead of zeros.

    Returns:
      ``(outputs, state)``: a list of ``[batch, output_size]`` and the final state.

    Raises:
      ValueError: no inputs, ``num_heads < 1``, or ``attention_states`` not of rank 3.
    """
    if not decoder_inputs:
        raise ValueError("Must provide at least 1 input to attention decoder.")
    if num_heads < 1:
        raise ValueError("With less than 1 heads, use a non-attention decoder.")
    hidden = convert_to_tensor(attention_states)
    if hidden.ndim != 3:
        raise ValueError(
            f"attention_states must be [batch, attn_length, attn_size], got shape {hidden.shape}."
        )
    if output_size is None:
        output_size = cell.output_size
    attn_size = hidden.shape[2]
    with variable_scope(scope or "attention_decoder"):
        features, v = [], []
        for a in range(num_heads):
            k = get_variable(f"AttnW_{a}", [1, 1, attn_size, attn_size])
            features.append(jnp.einsum("bla,ac->blc", hidden, k[0, 0]))  # TF: a 1x1 conv2d
            v.append(get_variable(f"AttnV_{a}", [attn_size]))

        def attention(query: Any) -> list[Array]:
            leaves = jax.tree.leaves(query)
            q = leaves[0] if len(leaves) == 1 else jnp.concatenate(leaves, 1)
            reads = []
            for a in range(num_heads):
                with variable_scope(f"Attention_{a}"):
                    y = _linear([q], attn_size)
                    score = jnp.sum(v[a] * jnp.tanh(features[a] + y[:, None, :]), axis=2)
                    weights = jax.nn.softmax(score.astype(jnp.float32), axis=-1)
                    reads.append(jnp.sum(weights[:, :, None].astype(hidden.dtype) * hidden, 1))
            return reads

        batch = convert_to_tensor(decoder_inputs[0]).shape[0]
        attns = [jnp.zeros([batch, attn_size], hidden.dtype) for _ in range(num_heads)]
        if initial_state_attention:
            attns = attention(initial_state)
        state = initial_state
        outputs: list[Array] = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                get_variable_scope().reuse_variables()
            if loop_function is not None and prev is not None:
                with variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            inp = convert_to_tensor(inp)
            x = _linear([inp, *attns], inp.shape[1])
            cell_output, state = cell(x, state)
            if i == 0 and initial_state_attention:
                with variable_scope(get_variable_scope(), reuse=True):
                    attns = attention(state)
            else:
                attns = attention(state)
            with variable_scope("AttnOutputProjection"):
                output = _linear([cell_output, *attns], output_size)
            if loop_function is not None:
                prev = output
            outputs.append(output)
    return outputs, state


def embedding_attention_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    attention_states: Any,
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    num_heads: int = 1,
    output_size: int | None = None,
    output_projection: Any = None,
    feed_previous: bool = False,
    update_embedding_for_previous: bool = True,
    dtype: Any = None,
    scope: str | VariableScope | None = None,
    initial_state_attention: bool = False,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.embedding_attention_decoder``: integer inputs embedded
    by ``embedding_attention_decoder/embedding``, then :func:`attention_decoder`.

    Args:
      decoder_inputs: a list of integer ``[batch]``, one per step.
      initial_state: the cell's state at step 0.
      attention_states: ``[batch, attn_length, attn_size]``.
      cell: an RNN cell.
      num_symbols: the number of symbols.
      embedding_size: the embedding width.
      num_heads: the number of attention reads.
      output_size: the outputs' width; default ``cell.output_size``.
      output_projection: ``(W, b)`` mapping outputs to ``num_symbols`` logits, or None.
      feed_previous: a Python bool: feed each later step the previous argmax.
      update_embedding_for_previous: let gradients reach the embedding through it.
      dtype: ignored.
      scope: the variable scope; default ``"embedding_attention_decoder"``.
      initial_state_attention: see :func:`attention_decoder`.

    Returns:
      ``(outputs, state)`` of :func:`attention_decoder`.

    Raises:
      TypeError: ``feed_previous`` is not a Python bool.
      ValueError: as :func:`attention_decoder`.
    """
    _check_feed_previous("embedding_attention_decoder", feed_previous)
    with variable_scope(scope or "embedding_attention_decoder"):
        emb_inp, loop_function = _embedded_inputs(
            decoder_inputs,
            num_symbols,
            embedding_size,
            output_projection,
            feed_previous,
            update_embedding_for_previous,
        )
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
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    num_heads: int = 1,
    output_projection: Any = None,
    feed_previous: bool = False,
    dtype: Any = None,
    scope: str | VariableScope | None = None,
    initial_state_attention: bool = False,
) -> tuple[list[Array], Any]:
    """``tf.contrib.legacy_seq2seq.embedding_attention_seq2seq``: an embedding encoder
    (a copy of ``cell`` in an ``EmbeddingWrapper``, ``static_rnn``) whose outputs are
    attended by an :func:`embedding_attention_decoder` (``cell`` in an
    ``OutputProjectionWrapper`` unless ``output_projection``), all under
    ``embedding_attention_seq2seq``: the model of TF1's translation tutorial.

    Args:
      encoder_inputs: a list of integer ``[batch]``, one per encoder step.
      decoder_inputs: a list of integer ``[batch]``, one per decoder step.
      cell: an RNN cell not called yet.
      num_encoder_symbols: the encoder's number of symbols.
      num_decoder_symbols: the decoder's number of symbols.
      embedding_size: the width of both embeddings.
      num_heads: the number of attention reads.
      output_projection: ``(W, b)`` for the decoder's outputs, or None.
      feed_previous: a Python bool: feed the decoder its own argmax.
      dtype: the encoder's state dtype; default float32.
      scope: the variable scope; default ``"embedding_attention_seq2seq"``.
      initial_state_attention: see :func:`attention_decoder`.

    Returns:
      ``(outputs, state)`` of the decoder.

    Raises:
      TypeError: ``feed_previous`` is not a Python bool.
    """
    with variable_scope(scope or "embedding_attention_seq2seq"):
        encoder_outputs, encoder_state = _embedding_encoder(
            cell, encoder_inputs, num_encoder_symbols, embedding_size, dtype
        )
        attention_states = jnp.stack(encoder_outputs, 1)  # [batch, steps, output_size]
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


def _xent(softmax_loss_function: Callable | None, target: Any, logit: Any) -> Array:
    if softmax_loss_function is None:
        target = jnp.reshape(convert_to_tensor(target), [-1])
        return sparse_softmax_cross_entropy_with_logits(labels=target, logits=logit)
    return convert_to_tensor(softmax_loss_function(labels=target, logits=logit))


def sequence_loss_by_example(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    softmax_loss_function: Callable | None = None,
    name: str | None = None,
) -> Array:
    """``tf.contrib.legacy_seq2seq.sequence_loss_by_example``: the weighted
    cross-entropy per example, summed over the steps (divided by the summed weights
    ``+ 1e-12`` with ``average_across_timesteps``).

    Args:
      logits: a list of ``[batch, classes]``, one per step.
      targets: a list of integer ``[batch]``, one per step.
      weights: a list of float ``[batch]``, one per step.
      average_across_timesteps: divide by the total weight of each example.
      softmax_loss_function: ``(labels=, logits=) -> [batch]``; default sparse softmax
        cross-entropy.
      name: ignored.

    Returns:
      The loss per example, ``[batch]``.

    Raises:
      ValueError: the three lists differ in length.
    """
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError(
            "Lengths of logits, weights, and targets must be the same "
            f"{len(logits)}, {len(weights)}, {len(targets)}."
        )
    log_perps = sum(
        (
            _xent(softmax_loss_function, t, lg) * convert_to_tensor(w)
            for lg, t, w in zip(logits, targets, weights, strict=True)
        ),
        start=jnp.zeros((), jnp.float32),
    )
    if average_across_timesteps:
        total = sum((convert_to_tensor(w) for w in weights), start=jnp.zeros((), jnp.float32))
        log_perps = log_perps / (total + 1e-12)
    return log_perps


def sequence_loss(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    softmax_loss_function: Callable | None = None,
    name: str | None = None,
) -> Array:
    """``tf.contrib.legacy_seq2seq.sequence_loss``: :func:`sequence_loss_by_example` summed
    over the batch, divided by the batch size with ``average_across_batch``.

    >>> import jax.numpy as jnp
    >>> import scopejax.compat.v1 as tf
    >>> logits = [jnp.zeros([2, 4])] * 3
    >>> targets = [jnp.array([0, 1])] * 3
    >>> weights = [jnp.ones([2])] * 3
    >>> round(float(tf.contrib.legacy_seq2seq.sequence_loss(logits, targets, weights)), 4)
    1.3863

    Args:
      logits: a list of ``[batch, classes]``, one per step.
      targets: a list of integer ``[batch]``, one per step.
      weights: a list of float ``[batch]``, one per step.
      average_across_timesteps: divide each example's loss by its total weight.
      average_across_batch: divide the sum by the batch size.
      softmax_loss_function: ``(labels=, logits=) -> [batch]``; default sparse softmax
        cross-entropy.
      name: ignored.

    Returns:
      A scalar loss.

    Raises:
      ValueError: the three lists differ in length.
    """
    cost = jnp.sum(
        sequence_loss_by_example(
            logits,
            targets,
            weights,
            average_across_timesteps=average_across_timesteps,
            softmax_loss_function=softmax_loss_function,
        )
    )
    if average_across_batch:
        batch_size = jnp.shape(convert_to_tensor(targets[0]))[0]
        return cost / jnp.asarray(batch_size, cost.dtype)
    return cost


def contrib_sequence_loss(
    logits: Any,
    targets: Any,
    weights: Any,
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    sum_over_timesteps: bool = False,
    sum_over_batch: bool = False,
    softmax_loss_function: Callable | None = None,
    name: str | None = None,
) -> Array:
    """``tf.contrib.seq2seq.sequence_loss``: the weighted cross-entropy of
    ``[batch, time, classes]`` logits, averaged (by total weight) or summed-and-divided
    (by the count of non-zero weights) over the time steps and/or the batch.

    Args:
      logits: ``[batch, time, classes]``.
      targets: integer ``[batch, time]``.
      weights: float ``[batch, time]``.
      average_across_timesteps: reduce over time, divided by the weights' sum.
      average_across_batch: reduce over the batch, divided by the weights' sum.
      sum_over_timesteps: reduce over time, divided by the non-zero weights' count.
      sum_over_batch: reduce over the batch, divided by the non-zero weights' count.
      softmax_loss_function: ``(labels=, logits=) -> losses``; default sparse softmax
        cross-entropy.
      name: ignored.

    Returns:
      A scalar, ``[time]``, ``[batch]`` or ``[batch, time]`` loss (a zero division
      gives 0, TF's ``div_no_nan``).

    Raises:
      ValueError: wrong ranks, or an average and a sum asked over the same axis.
    """
    logits = convert_to_tensor(logits)
    targets = convert_to_tensor(targets)
    weights = convert_to_tensor(weights)
    if logits.ndim != 3:
        raise ValueError(
            "Logits must be a [batch_size x sequence_length x num_decoder_symbols] tensor, "
            f"got shape {logits.shape}."
        )
    if targets.ndim != 2:
        raise ValueError(
            f"Targets must be a [batch_size x sequence_length] tensor, got {targets.shape}."
        )
    if weights.ndim != 2:
        raise ValueError(
            f"Weights must be a [batch_size x sequence_length] tensor, got {weights.shape}."
        )
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError(
            "average_across_timesteps and sum_over_timesteps cannot be set to True at same time."
        )
    if average_across_batch and sum_over_batch:
        raise ValueError(
            "average_across_batch and sum_over_batch cannot be set to True at same time."
        )

    def div_no_nan(a: Array, b: Array) -> Array:
        safe = jnp.where(b == 0, jnp.ones_like(b), b)
        return jnp.where(b == 0, jnp.zeros_like(a), a / safe)

    def count(axis: Any = None) -> Array:
        return jnp.count_nonzero(weights, axis=axis).astype(jnp.float32)

    flat = jnp.reshape(logits, [-1, logits.shape[2]])
    flat_targets = jnp.reshape(targets, [-1])
    if softmax_loss_function is None:
        crossent = sparse_softmax_cross_entropy_with_logits(labels=flat_targets, logits=flat)
    else:
        crossent = convert_to_tensor(softmax_loss_function(labels=flat_targets, logits=flat))
    crossent = crossent * jnp.reshape(weights, [-1])
    if average_across_timesteps and average_across_batch:
        return div_no_nan(jnp.sum(crossent), jnp.sum(weights))
    if sum_over_timesteps and sum_over_batch:
        return div_no_nan(jnp.sum(crossent), count())
    crossent = jnp.reshape(crossent, logits.shape[:2])
    if average_across_timesteps or average_across_batch:
        axis = 0 if average_across_batch else 1
        return div_no_nan(jnp.sum(crossent, axis), jnp.sum(weights, axis))
    if sum_over_timesteps or sum_over_batch:
        axis = 0 if sum_over_batch else 1
        return div_no_nan(jnp.sum(crossent, axis), count(axis))
    return crossent
