"""``tf.nn.rnn_cell``: TF1's RNN cells and wrappers (reached as ``tf.nn.rnn_cell``)."""

from scopejax._src.compat.rnn import BasicLSTMCell as BasicLSTMCell
from scopejax._src.compat.rnn import BasicRNNCell as BasicRNNCell
from scopejax._src.compat.rnn import DeviceWrapper as DeviceWrapper
from scopejax._src.compat.rnn import DropoutWrapper as DropoutWrapper
from scopejax._src.compat.rnn import GRUCell as GRUCell
from scopejax._src.compat.rnn import LSTMCell as LSTMCell
from scopejax._src.compat.rnn import LSTMStateTuple as LSTMStateTuple
from scopejax._src.compat.rnn import MultiRNNCell as MultiRNNCell
from scopejax._src.compat.rnn import ResidualWrapper as ResidualWrapper
from scopejax._src.compat.rnn import RNNCell as RNNCell

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "ResidualWrapper",
]
