"""Training over collections: ``minimize``, freezing, per-collection optimizers, ``fit``.

Errors: ``NonFiniteError`` (``fit`` stopped at a NaN/inf; a ``FloatingPointError``),
``DonatedStateError`` (a state reused after a step donated it; a ``RuntimeError``),
``TrainableDtypeError`` (a non-float variable selected for training; a ``TypeError``).

>>> import jax, jax.numpy as jnp, optax, scopejax as sj
>>> def loss_fn(x, y):
...     h = sj.layers.dense(x, 4, activation=jax.nn.relu, name="backbone")
...     return jnp.mean((sj.layers.dense(h, 1, name="head")[:, 0] - y) ** 2)
>>> only_head = sj.train.minimize(loss_fn, optax.adam(1e-2), var_list=sj.train.regex("^head/"))
>>> x, y = jnp.ones([8, 3]), jnp.zeros([8])
>>> state = only_head.init(jax.random.key(0), x, y)
>>> sorted(state.opt_state[0].mu.names())
['head/bias', 'head/kernel']
"""

from scopejax._src.core.errors import DonatedStateError as DonatedStateError
from scopejax._src.core.selectors import Selector as Selector
from scopejax._src.core.selectors import collection as collection
from scopejax._src.core.selectors import names as names
from scopejax._src.core.selectors import regex as regex
from scopejax._src.core.selectors import select as select
from scopejax._src.train.fit import evaluate as evaluate
from scopejax._src.train.fit import fit as fit
from scopejax._src.train.train import NonFiniteError as NonFiniteError
from scopejax._src.train.train import TrainableDtypeError as TrainableDtypeError
from scopejax._src.train.train import Trainer as Trainer
from scopejax._src.train.train import TrainState as TrainState
from scopejax._src.train.train import as_selector as as_selector
from scopejax._src.train.train import freeze as freeze
from scopejax._src.train.train import labels as labels
from scopejax._src.train.train import minimize as minimize
from scopejax._src.train.train import multi_optimizer as multi_optimizer
from scopejax._src.train.train import state_nbytes as state_nbytes
