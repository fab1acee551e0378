"""``tf.contrib.legacy_seq2seq``: ``rnn_decoder``, ``sequence_loss`` and
``sequence_loss_by_example`` with TF1's names and math."""

from scopejax._src.compat.seq2seq import rnn_decoder as rnn_decoder
from scopejax._src.compat.seq2seq import sequence_loss as sequence_loss
from scopejax._src.compat.seq2seq import sequence_loss_by_example as sequence_loss_by_example

__all__ = ["rnn_decoder", "sequence_loss", "sequence_loss_by_example"]
