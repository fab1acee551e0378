"""``tf.contrib.rnn``: TF1's RNN cells, wrappers and static unrolls
(``from tensorflow.contrib import rnn``)."""

from scopejax._src.compat import rnn as _rnn
from scopejax._src.compat.rnn import BasicLSTMCell as BasicLSTMCell
from scopejax._src.compat.rnn import BasicRNNCell as BasicRNNCell
from scopejax._src.compat.rnn import DeviceWrapper as DeviceWrapper
from scopejax._src.compat.rnn import DropoutWrapper as DropoutWrapper
from scopejax._src.compat.rnn import EmbeddingWrapper as EmbeddingWrapper
from scopejax._src.compat.rnn import GRUBlockCell as GRUBlockCell
from scopejax._src.compat.rnn import GRUBlockCellV2 as GRUBlockCellV2
from scopejax._src.compat.rnn import GRUCell as GRUCell
from scopejax._src.compat.rnn import LSTMBlockCell as LSTMBlockCell
from scopejax._src.compat.rnn import LSTMCell as LSTMCell
from scopejax._src.compat.rnn import LSTMStateTuple as LSTMStateTuple
from scopejax._src.compat.rnn import MultiRNNCell as MultiRNNCell
from scopejax._src.compat.rnn import OutputProjectionWrapper as OutputProjectionWrapper
from scopejax._src.compat.rnn import ResidualWrapper as ResidualWrapper
from scopejax._src.compat.rnn import RNNCell as RNNCell
from scopejax._src.compat.rnn import (
    stack_bidirectional_dynamic_rnn as stack_bidirectional_dynamic_rnn,
)
from scopejax._src.compat.rnn import stack_bidirectional_rnn as stack_bidirectional_rnn
from scopejax._src.compat.rnn import static_bidirectional_rnn as static_bidirectional_rnn
from scopejax._src.compat.rnn import static_rnn as static_rnn

# the names of ``tf.nn.rnn_cell`` / ``tf.nn``'s listed once, in the implementation; the
# dynamic unrolls are ``tf.nn``'s, not ``tf.contrib.rnn``'s
__all__ = [n for n in _rnn.__all__ if n not in ("bidirectional_dynamic_rnn", "dynamic_rnn")]
