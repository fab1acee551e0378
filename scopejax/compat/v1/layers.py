"""``tf.layers``: scopejax's functional layers (:mod:`scopejax.layers`) under TF1's names."""

from scopejax._src.nn.layers import average_pooling1d as average_pooling1d
from scopejax._src.nn.layers import average_pooling2d as average_pooling2d
from scopejax._src.nn.layers import batch_normalization as batch_normalization
from scopejax._src.nn.layers import conv1d as conv1d
from scopejax._src.nn.layers import conv2d as conv2d
from scopejax._src.nn.layers import dense as dense
from scopejax._src.nn.layers import dropout as dropout
from scopejax._src.nn.layers import embedding as embedding
from scopejax._src.nn.layers import flatten as flatten
from scopejax._src.nn.layers import layer_norm as layer_norm
from scopejax._src.nn.layers import max_pooling1d as max_pooling1d
from scopejax._src.nn.layers import max_pooling2d as max_pooling2d
