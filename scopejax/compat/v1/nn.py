"""``tf.nn``: activations, convolutions, pooling, moments, dropout, the losses, RNN cells."""

# ruff: noqa: F401
from scopejax._src.compat.extra_ops import depthwise_conv2d as depthwise_conv2d
from scopejax._src.compat.extra_ops import (
    local_response_normalization as local_response_normalization,
)
from scopejax._src.compat.extra_ops import local_response_normalization as lrn
from scopejax._src.compat.extra_ops import separable_conv2d as separable_conv2d
from scopejax._src.compat.nn_ops import TopKV2 as TopKV2
from scopejax._src.compat.nn_ops import avg_pool as avg_pool
from scopejax._src.compat.nn_ops import avg_pool2d as avg_pool2d
from scopejax._src.compat.nn_ops import batch_normalization as batch_normalization
from scopejax._src.compat.nn_ops import bias_add as bias_add
from scopejax._src.compat.nn_ops import conv1d as conv1d
from scopejax._src.compat.nn_ops import conv1d_transpose as conv1d_transpose
from scopejax._src.compat.nn_ops import conv2d as conv2d
from scopejax._src.compat.nn_ops import conv2d_transpose as conv2d_transpose
from scopejax._src.compat.nn_ops import dropout as dropout
from scopejax._src.compat.nn_ops import elu as elu
from scopejax._src.compat.nn_ops import embedding_lookup as embedding_lookup
from scopejax._src.compat.nn_ops import in_top_k as in_top_k
from scopejax._src.compat.nn_ops import l2_loss as l2_loss
from scopejax._src.compat.nn_ops import l2_normalize as l2_normalize
from scopejax._src.compat.nn_ops import leaky_relu as leaky_relu
from scopejax._src.compat.nn_ops import log_softmax as log_softmax
from scopejax._src.compat.nn_ops import max_pool as max_pool
from scopejax._src.compat.nn_ops import max_pool2d as max_pool2d
from scopejax._src.compat.nn_ops import moments as moments
from scopejax._src.compat.nn_ops import relu as relu
from scopejax._src.compat.nn_ops import relu6 as relu6
from scopejax._src.compat.nn_ops import selu as selu
from scopejax._src.compat.nn_ops import sigmoid as sigmoid
from scopejax._src.compat.nn_ops import (
    sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits,
)
from scopejax._src.compat.nn_ops import softmax as softmax
from scopejax._src.compat.nn_ops import (
    softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits,
)
from scopejax._src.compat.nn_ops import (
    softmax_cross_entropy_with_logits_v2 as softmax_cross_entropy_with_logits_v2,
)
from scopejax._src.compat.nn_ops import softplus as softplus
from scopejax._src.compat.nn_ops import softsign as softsign
from scopejax._src.compat.nn_ops import (
    sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits,
)
from scopejax._src.compat.nn_ops import swish as swish
from scopejax._src.compat.nn_ops import tanh as tanh
from scopejax._src.compat.nn_ops import top_k as top_k
from scopejax._src.compat.nn_ops import (
    weighted_cross_entropy_with_logits as weighted_cross_entropy_with_logits,
)
from scopejax._src.compat.nn_ops import xw_plus_b as xw_plus_b
from scopejax._src.compat.nn_ops import zero_fraction as zero_fraction
from scopejax._src.compat.rnn import BasicLSTMCell as BasicLSTMCell
from scopejax._src.compat.rnn import bidirectional_dynamic_rnn as bidirectional_dynamic_rnn
from scopejax._src.compat.rnn import dynamic_rnn as dynamic_rnn
from scopejax._src.compat.rnn import static_bidirectional_rnn as static_bidirectional_rnn
from scopejax._src.compat.rnn import static_rnn as static_rnn
from scopejax.compat.v1 import _rnn_cell as rnn_cell
