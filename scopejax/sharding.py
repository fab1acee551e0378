"""Sharding variables by name: ``use(mesh, rules)``, TF1 partitioners.

>>> import jax, numpy as np, scopejax as sj
>>> from jax.sharding import Mesh, PartitionSpec as P
>>> mesh = Mesh(np.array(jax.devices()[:1]), ("model",))
>>> with sj.sharding.use(mesh, [("kernel$", P(None, "model")), (".*", P())]):
...     store = sj.transform(lambda: sj.layers.dense(jax.numpy.ones([2, 3]), 4)).init(
...         jax.random.key(0))
>>> tuple(store["dense/kernel"].sharding.spec)
(None, 'model')
"""

from scopejax._src.core.errors import ShardingError as ShardingError
from scopejax._src.core.sharding import PARTITION_AXIS as PARTITION_AXIS
from scopejax._src.core.sharding import ShardingWarning as ShardingWarning
from scopejax._src.core.sharding import bytes_by_device as bytes_by_device
from scopejax._src.core.sharding import bytes_per_device as bytes_per_device
from scopejax._src.core.sharding import current as current
from scopejax._src.core.sharding import describe as describe
from scopejax._src.core.sharding import fixed_size_partitioner as fixed_size_partitioner
from scopejax._src.core.sharding import min_max_variable_partitioner as min_max_variable_partitioner
from scopejax._src.core.sharding import shard_batch as shard_batch
from scopejax._src.core.sharding import shard_like as shard_like
from scopejax._src.core.sharding import use as use
from scopejax._src.core.sharding import (
    variable_axis_size_partitioner as variable_axis_size_partitioner,
)
