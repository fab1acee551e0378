"""``tf.contrib.layers``: ``fully_connected``, ``conv2d``, ``batch_norm``, ``layer_norm``
with TF's variable names, and contrib's initializers."""

from scopejax._src.compat.contrib_layers import batch_norm as batch_norm
from scopejax._src.compat.contrib_layers import conv2d as conv2d
from scopejax._src.compat.contrib_layers import fully_connected as fully_connected
from scopejax._src.compat.contrib_layers import layer_norm as layer_norm
from scopejax._src.compat.initializers import (
    contrib_variance_scaling_initializer as variance_scaling_initializer,
)
from scopejax._src.compat.initializers import xavier_initializer as xavier_initializer

convolution2d = conv2d
xavier_initializer_conv2d = xavier_initializer

__all__ = [
    "batch_norm",
    "conv2d",
    "convolution2d",
    "fully_connected",
    "layer_norm",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
]
