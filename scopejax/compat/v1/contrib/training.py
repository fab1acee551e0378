"""``tf.contrib.training``: ``HParams`` (``from tensorflow.contrib.training import HParams``)."""

from scopejax._src.compat.hparam import HParams as HParams

__all__ = ["HParams"]
