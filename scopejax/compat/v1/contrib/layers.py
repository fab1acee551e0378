"""``tf.contrib.layers``: ``fully_connected``, ``conv2d``, ``batch_norm``, ``layer_norm``
with TF's variable names, and contrib's initializers."""

# ruff: noqa: F401
from scopejax._src.compat.initializers import (
    contrib_variance_scaling_initializer as variance_scaling_initializer,
)
from scopejax._src.compat.initializers import xavier_initializer as xavier_initializer

xavier_initializer_conv2d = xavier_initializer
