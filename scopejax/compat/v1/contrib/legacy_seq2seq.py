"""``tf.contrib.legacy_seq2seq``: the decoders (``rnn_decoder``, ``attention_decoder``
and their embedding forms), the models (``basic_rnn_seq2seq``, ``tied_rnn_seq2seq``,
``embedding_rnn_seq2seq``, ``embedding_attention_seq2seq``), ``sequence_loss`` and
``sequence_loss_by_example``, with TF1's names and math."""

from scopejax._src.compat.seq2seq import attention_decoder as attention_decoder
from scopejax._src.compat.seq2seq import basic_rnn_seq2seq as basic_rnn_seq2seq
from scopejax._src.compat.seq2seq import (
    embedding_attention_decoder as embedding_attention_decoder,
)
from scopejax._src.compat.seq2seq import (
    embedding_attention_seq2seq as embedding_attention_seq2seq,
)
from scopejax._src.compat.seq2seq import embedding_rnn_decoder as embedding_rnn_decoder
from scopejax._src.compat.seq2seq import embedding_rnn_seq2seq as embedding_rnn_seq2seq
from scopejax._src.compat.seq2seq import rnn_decoder as rnn_decoder
from scopejax._src.compat.seq2seq import sequence_loss as sequence_loss
from scopejax._src.compat.seq2seq import sequence_loss_by_example as sequence_loss_by_example
from scopejax._src.compat.seq2seq import tied_rnn_seq2seq as tied_rnn_seq2seq

__all__ = [
    "attention_decoder",
    "basic_rnn_seq2seq",
    "embedding_attention_decoder",
    "embedding_attention_seq2seq",
    "embedding_rnn_decoder",
    "embedding_rnn_seq2seq",
    "rnn_decoder",
    "sequence_loss",
    "sequence_loss_by_example",
    "tied_rnn_seq2seq",
]
