"""Initializers with TF1's names (``scopejax.initializers.glorot_uniform()``, ...).

Each is a class: pass an instance (``glorot_uniform()``) or, as in TF1, the
class itself. Call them the JAX way ``init(key, shape, dtype)`` or, inside a
transformed function, the TF1 way ``init(shape, dtype)``.

>>> import jax, scopejax as sj
>>> sj.initializers.truncated_normal(stddev=0.1)(jax.random.key(0), (2, 3)).shape
(2, 3)
"""

from scopejax._src.core.initializers import Constant as Constant
from scopejax._src.core.initializers import GlorotNormal as GlorotNormal
from scopejax._src.core.initializers import GlorotUniform as GlorotUniform
from scopejax._src.core.initializers import HeNormal as HeNormal
from scopejax._src.core.initializers import Initializer as Initializer
from scopejax._src.core.initializers import LecunNormal as LecunNormal
from scopejax._src.core.initializers import Ones as Ones
from scopejax._src.core.initializers import Orthogonal as Orthogonal
from scopejax._src.core.initializers import RandomNormal as RandomNormal
from scopejax._src.core.initializers import RandomUniform as RandomUniform
from scopejax._src.core.initializers import TruncatedNormal as TruncatedNormal
from scopejax._src.core.initializers import VarianceScaling as VarianceScaling
from scopejax._src.core.initializers import Zeros as Zeros
from scopejax._src.core.initializers import compute_fans as compute_fans
from scopejax._src.core.initializers import constant as constant
from scopejax._src.core.initializers import glorot_normal as glorot_normal
from scopejax._src.core.initializers import glorot_uniform as glorot_uniform
from scopejax._src.core.initializers import he_normal as he_normal
from scopejax._src.core.initializers import lecun_normal as lecun_normal
from scopejax._src.core.initializers import ones as ones
from scopejax._src.core.initializers import orthogonal as orthogonal
from scopejax._src.core.initializers import random_normal as random_normal
from scopejax._src.core.initializers import random_uniform as random_uniform
from scopejax._src.core.initializers import truncated_normal as truncated_normal
from scopejax._src.core.initializers import variance_scaling as variance_scaling
from scopejax._src.core.initializers import zeros as zeros
