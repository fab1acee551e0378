"""scopejax: TensorFlow 1's variable management as a functional, JAX-native store.

>>> import jax, scopejax as sj
>>> def model(x):
...     with sj.variable_scope("dense"):
...         w = sj.get_variable("kernel", [x.shape[-1], 2])
...     return x @ w
>>> net = sj.transform(model)
>>> store = net.init(jax.random.key(0), jax.numpy.ones([1, 3]))
>>> store.names()
['dense/kernel']
"""

from importlib.metadata import PackageNotFoundError, version

from scopejax import checkpoint as checkpoint
from scopejax import getters as getters
from scopejax import initializers as initializers
from scopejax import layers as layers
from scopejax import nn as nn
from scopejax import sharding as sharding
from scopejax import summary as summary
from scopejax import train as train
from scopejax._src.core.collection import GraphKeys as GraphKeys
from scopejax._src.core.collection import add_to_collection as add_to_collection
from scopejax._src.core.collection import add_to_collections as add_to_collections
from scopejax._src.core.collection import get_all_collection_keys as get_all_collection_keys
from scopejax._src.core.collection import get_collection as get_collection
from scopejax._src.core.collection import get_collection_ref as get_collection_ref
from scopejax._src.core.collection import get_regularization_loss as get_regularization_loss
from scopejax._src.core.collection import global_variables as global_variables
from scopejax._src.core.collection import local_variables as local_variables
from scopejax._src.core.collection import model_variables as model_variables
from scopejax._src.core.collection import trainable_variables as trainable_variables
from scopejax._src.core.device import device as device
from scopejax._src.core.errors import AssignError as AssignError
from scopejax._src.core.errors import InitializerError as InitializerError
from scopejax._src.core.errors import InvalidNameError as InvalidNameError
from scopejax._src.core.errors import InvalidPatternError as InvalidPatternError
from scopejax._src.core.errors import InvalidShapeError as InvalidShapeError
from scopejax._src.core.errors import MissingRNGError as MissingRNGError
from scopejax._src.core.errors import NotInTransformError as NotInTransformError
from scopejax._src.core.errors import ScopejaxError as ScopejaxError
from scopejax._src.core.errors import ScopeUsageError as ScopeUsageError
from scopejax._src.core.errors import ShardingError as ShardingError
from scopejax._src.core.errors import StoreError as StoreError
from scopejax._src.core.errors import TracerLeakError as TracerLeakError
from scopejax._src.core.errors import TransformError as TransformError
from scopejax._src.core.errors import UnusedVariablesError as UnusedVariablesError
from scopejax._src.core.errors import VariableDtypeError as VariableDtypeError
from scopejax._src.core.errors import VariableExistsError as VariableExistsError
from scopejax._src.core.errors import VariableNotFoundError as VariableNotFoundError
from scopejax._src.core.errors import VariableShapeError as VariableShapeError
from scopejax._src.core.handle import VariableHandle as VariableHandle
from scopejax._src.core.rng import next_rng_key as next_rng_key
from scopejax._src.core.rng import stable_hash as stable_hash
from scopejax._src.core.scope import AUTO_REUSE as AUTO_REUSE
from scopejax._src.core.scope import VariableScope as VariableScope
from scopejax._src.core.scope import get_name_scope as get_name_scope
from scopejax._src.core.scope import get_variable_scope as get_variable_scope
from scopejax._src.core.scope import name_scope as name_scope
from scopejax._src.core.scope import variable_scope as variable_scope
from scopejax._src.core.sharding import fixed_size_partitioner as fixed_size_partitioner
from scopejax._src.core.sharding import min_max_variable_partitioner as min_max_variable_partitioner
from scopejax._src.core.sharding import (
    variable_axis_size_partitioner as variable_axis_size_partitioner,
)
from scopejax._src.core.stacking import stack_layers as stack_layers
from scopejax._src.core.stacking import unstack_layers as unstack_layers
from scopejax._src.core.store import Store as Store
from scopejax._src.core.store import StoreKeyError as StoreKeyError
from scopejax._src.core.store import VariableInfo as VariableInfo
from scopejax._src.core.store import merge as merge
from scopejax._src.core.transform import MultiTransformed as MultiTransformed
from scopejax._src.core.transform import Transformed as Transformed
from scopejax._src.core.transform import transform as transform
from scopejax._src.core.transform import transform_multi as transform_multi
from scopejax._src.core.variables import Variable as Variable
from scopejax._src.core.variables import assign as assign
from scopejax._src.core.variables import assign_add as assign_add
from scopejax._src.core.variables import assign_sub as assign_sub
from scopejax._src.core.variables import get_variable as get_variable
from scopejax._src.core.variables import variable_handle as variable_handle
from scopejax._src.lift.control import cond as cond
from scopejax._src.lift.control import remat as remat
from scopejax._src.lift.control import switch as switch
from scopejax._src.lift.scan import layer_stack as layer_stack
from scopejax._src.lift.scan import scan as scan
from scopejax._src.lift.vmap import vmap as vmap
from scopejax._src.nn.module import Module as Module

try:
    __version__ = version("scopejax")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
del version, PackageNotFoundError
