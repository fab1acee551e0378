"""Custom getters: TF1's ``custom_getter`` idioms, ready to use.

A custom getter is ``getter_fn(getter, name, shape=None, dtype=None, *args,
**kwargs)``: it receives the next getter in the chain and returns the value
``get_variable`` should return. Pass it to ``variable_scope(...,
custom_getter=...)`` (inherited by nested scopes, chained with theirs) or to
``get_variable(custom_getter=...)``.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     with sj.variable_scope("net", dtype=jnp.bfloat16,
...                            custom_getter=sj.getters.mixed_precision()):
...         return sj.layers.dense(x.astype(jnp.bfloat16), 2)
>>> net = sj.transform(f)
>>> store = net.init(jax.random.key(0), jnp.ones([1, 3]))
>>> store.info("net/dense/kernel").dtype, net.apply(store, jnp.ones([1, 3])).dtype
('float32', dtype(bfloat16))
"""

from scopejax._src.core.getters import Getter as Getter
from scopejax._src.core.getters import constraint as constraint
from scopejax._src.core.getters import max_norm as max_norm
from scopejax._src.core.getters import mixed_precision as mixed_precision
from scopejax._src.core.getters import weight_norm as weight_norm
