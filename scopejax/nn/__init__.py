"""Layers as modules (``sj.nn.Dense(256)``), TF1's names and math.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     x = sj.nn.Dense(8, activation="relu")(x)
...     return sj.nn.Dense(2)(x)
>>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
['dense/bias', 'dense/kernel', 'dense_1/bias', 'dense_1/kernel']
"""

from scopejax.nn._conv import Conv1D as Conv1D
from scopejax.nn._conv import Conv2D as Conv2D
from scopejax.nn._dropout import Dropout as Dropout
from scopejax.nn._embedding import Embedding as Embedding
from scopejax.nn._linear import Dense as Dense
from scopejax.nn._normalization import BatchNormalization as BatchNormalization
from scopejax.nn._normalization import LayerNorm as LayerNorm
from scopejax.nn._normalization import LayerNormalization as LayerNormalization
from scopejax.nn._pooling import AveragePooling1D as AveragePooling1D
from scopejax.nn._pooling import AveragePooling2D as AveragePooling2D
from scopejax.nn._pooling import Flatten as Flatten
from scopejax.nn._pooling import MaxPooling1D as MaxPooling1D
from scopejax.nn._pooling import MaxPooling2D as MaxPooling2D
from scopejax.nn._recurrent import BasicLSTMCell as BasicLSTMCell
from scopejax.nn._recurrent import BasicRNNCell as BasicRNNCell
from scopejax.nn._recurrent import GRUCell as GRUCell
from scopejax.nn._recurrent import LSTMCell as LSTMCell
from scopejax.nn._recurrent import LSTMStateTuple as LSTMStateTuple
from scopejax.nn._recurrent import MultiRNNCell as MultiRNNCell
from scopejax.nn._recurrent import RNNCell as RNNCell
from scopejax.nn._recurrent import dynamic_rnn as dynamic_rnn
from scopejax.nn._recurrent import static_rnn as static_rnn
from scopejax.nn._recurrent import unscoped as unscoped
