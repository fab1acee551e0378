"""Functional layers, as ``tf.compat.v1.layers``: ``sj.layers.dense(x, 256, name="fc1")``.

Each is made from its :mod:`scopejax.nn` class and takes exactly that class's
arguments (plus the input and the call's ``training``), in TF1's order.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     return sj.layers.dense(x, 2, name="fc")
>>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
['fc/bias', 'fc/kernel']
"""

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
