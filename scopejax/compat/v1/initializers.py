"""``tf.initializers``: TF1's initializer constructors (``tf.initializers.glorot_uniform()``)."""

from scopejax._src.compat.initializers import constant_initializer as constant
from scopejax._src.compat.initializers import glorot_normal_initializer as glorot_normal
from scopejax._src.compat.initializers import glorot_uniform_initializer as glorot_uniform
from scopejax._src.compat.initializers import he_normal as he_normal
from scopejax._src.compat.initializers import lecun_normal as lecun_normal
from scopejax._src.compat.initializers import ones_initializer as ones
from scopejax._src.compat.initializers import orthogonal_initializer as orthogonal
from scopejax._src.compat.initializers import random_normal_initializer as random_normal
from scopejax._src.compat.initializers import random_uniform_initializer as random_uniform
from scopejax._src.compat.initializers import truncated_normal_initializer as truncated_normal
from scopejax._src.compat.initializers import variance_scaling_initializer as variance_scaling
from scopejax._src.compat.initializers import zeros_initializer as zeros

__all__ = [
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "lecun_normal",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
