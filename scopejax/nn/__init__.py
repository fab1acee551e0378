"""Layers as modules (``sj.nn.Dense(256)``), TF1's names and math.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     x = sj.nn.Dense(8, activation="relu")(x)
...     return sj.nn.Dense(2)(x)
>>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
['dense/bias', 'dense/kernel', 'dense_1/bias', 'dense_1/kernel']
"""

from scopejax._src.nn.conv import Conv1D as Conv1D
from scopejax._src.nn.conv import Conv2D as Conv2D
from scopejax._src.nn.dropout import Dropout as Dropout
from scopejax._src.nn.embedding import Embedding as Embedding
from scopejax._src.nn.linear import Dense as Dense
from scopejax._src.nn.normalization import BatchNormalization as BatchNormalization
from scopejax._src.nn.normalization import LayerNorm as LayerNorm
from scopejax._src.nn.normalization import LayerNormalization as LayerNormalization
from scopejax._src.nn.pooling import AveragePooling1D as AveragePooling1D
from scopejax._src.nn.pooling import AveragePooling2D as AveragePooling2D
from scopejax._src.nn.pooling import Flatten as Flatten
from scopejax._src.nn.pooling import MaxPooling1D as MaxPooling1D
from scopejax._src.nn.pooling import MaxPooling2D as MaxPooling2D
from scopejax._src.nn.recurrent import BasicLSTMCell as BasicLSTMCell
from scopejax._src.nn.recurrent import BasicRNNCell as BasicRNNCell
from scopejax._src.nn.recurrent import GRUCell as GRUCell
from scopejax._src.nn.recurrent import LSTMCell as LSTMCell
from scopejax._src.nn.recurrent import LSTMStateTuple as LSTMStateTuple
from scopejax._src.nn.recurrent import MultiRNNCell as MultiRNNCell
from scopejax._src.nn.recurrent import RNNCell as RNNCell
from scopejax._src.nn.recurrent import dynamic_rnn as dynamic_rnn
from scopejax._src.nn.recurrent import static_rnn as static_rnn
from scopejax._src.nn.recurrent import unscoped as unscoped
