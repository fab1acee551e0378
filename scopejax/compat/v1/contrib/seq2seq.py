"""``tf.contrib.seq2seq``: ``sequence_loss`` on ``[batch, time, classes]`` logits."""

from scopejax._src.compat.seq2seq import contrib_sequence_loss as sequence_loss

__all__ = ["sequence_loss"]
