"""``tf.losses``: TF1's weighted losses (``Reduction.SUM_BY_NONZERO_WEIGHTS`` by default),
each added to the ``LOSSES`` collection, and ``get_total_loss``."""

# ruff: noqa: F401
from scopejax._src.compat.losses import Reduction as Reduction
from scopejax._src.compat.losses import absolute_difference as absolute_difference
from scopejax._src.compat.losses import add_loss as add_loss
from scopejax._src.compat.losses import compute_weighted_loss as compute_weighted_loss
from scopejax._src.compat.losses import cosine_distance as cosine_distance
from scopejax._src.compat.losses import get_losses as get_losses
from scopejax._src.compat.losses import get_regularization_loss as get_regularization_loss
from scopejax._src.compat.losses import get_regularization_losses as get_regularization_losses
from scopejax._src.compat.losses import get_total_loss as get_total_loss
from scopejax._src.compat.losses import hinge_loss as hinge_loss
from scopejax._src.compat.losses import huber_loss as huber_loss
from scopejax._src.compat.losses import log_loss as log_loss
from scopejax._src.compat.losses import mean_squared_error as mean_squared_error
from scopejax._src.compat.losses import sigmoid_cross_entropy as sigmoid_cross_entropy
from scopejax._src.compat.losses import softmax_cross_entropy as softmax_cross_entropy
from scopejax._src.compat.losses import sparse_softmax_cross_entropy as sparse_softmax_cross_entropy
