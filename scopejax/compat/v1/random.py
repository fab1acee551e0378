"""``tf.random``: draws from ``sj.next_rng_key()`` (pass ``rng=`` to ``apply``); ``seed``
arguments and ``set_random_seed`` are accepted and have no effect."""

# ruff: noqa: F401
from scopejax._src.compat.extra_ops import categorical as categorical
from scopejax._src.compat.extra_ops import multinomial as multinomial
from scopejax._src.compat.extra_ops import random_gamma as gamma
from scopejax._src.compat.extra_ops import random_shuffle as shuffle
from scopejax._src.compat.extra_ops import set_random_seed as set_random_seed
from scopejax._src.compat.ops import random_normal as normal
from scopejax._src.compat.ops import random_uniform as uniform
from scopejax._src.compat.ops import truncated_normal as truncated_normal
