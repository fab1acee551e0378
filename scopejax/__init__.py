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
from scopejax import train as train
from scopejax._collections import GraphKeys as GraphKeys
from scopejax._collections import add_to_collection as add_to_collection
from scopejax._collections import add_to_collections as add_to_collections
from scopejax._collections import get_all_collection_keys as get_all_collection_keys
from scopejax._collections import get_collection as get_collection
from scopejax._collections import get_collection_ref as get_collection_ref
from scopejax._collections import get_regularization_loss as get_regularization_loss
from scopejax._collections import global_variables as global_variables
from scopejax._collections import local_variables as local_variables
from scopejax._collections import model_variables as model_variables
from scopejax._collections import trainable_variables as trainable_variables
from scopejax._control import cond as cond
from scopejax._control import remat as remat
from scopejax._control import switch as switch
from scopejax._device import device as device
from scopejax._errors import AssignError as AssignError
from scopejax._errors import InitializerError as InitializerError
from scopejax._errors import InvalidNameError as InvalidNameError
from scopejax._errors import InvalidPatternError as InvalidPatternError
from scopejax._errors import InvalidShapeError as InvalidShapeError
from scopejax._errors import MissingRNGError as MissingRNGError
from scopejax._errors import NotInTransformError as NotInTransformError
from scopejax._errors import ScopejaxError as ScopejaxError
from scopejax._errors import ScopeUsageError as ScopeUsageError
from scopejax._errors import StoreError as StoreError
from scopejax._errors import TracerLeakError as TracerLeakError
from scopejax._errors import TransformError as TransformError
from scopejax._errors import UnusedVariablesError as UnusedVariablesError
from scopejax._errors import VariableDtypeError as VariableDtypeError
from scopejax._errors import VariableExistsError as VariableExistsError
from scopejax._errors import VariableNotFoundError as VariableNotFoundError
from scopejax._errors import VariableShapeError as VariableShapeError
from scopejax._module import Module as Module
from scopejax._rng import next_rng_key as next_rng_key
from scopejax._rng import stable_hash as stable_hash
from scopejax._scan import layer_stack as layer_stack
from scopejax._scan import scan as scan
from scopejax._scope import AUTO_REUSE as AUTO_REUSE
from scopejax._scope import VariableScope as VariableScope
from scopejax._scope import get_name_scope as get_name_scope
from scopejax._scope import get_variable_scope as get_variable_scope
from scopejax._scope import name_scope as name_scope
from scopejax._scope import variable_scope as variable_scope
from scopejax._stacking import stack_layers as stack_layers
from scopejax._stacking import unstack_layers as unstack_layers
from scopejax._store import Store as Store
from scopejax._store import StoreKeyError as StoreKeyError
from scopejax._store import VariableInfo as VariableInfo
from scopejax._store import merge as merge
from scopejax._transform import MultiTransformed as MultiTransformed
from scopejax._transform import Transformed as Transformed
from scopejax._transform import transform as transform
from scopejax._transform import transform_multi as transform_multi
from scopejax._variables import Variable as Variable
from scopejax._variables import VariableHandle as VariableHandle
from scopejax._variables import assign as assign
from scopejax._variables import assign_add as assign_add
from scopejax._variables import assign_sub as assign_sub
from scopejax._variables import get_variable as get_variable
from scopejax._variables import variable_handle as variable_handle
from scopejax._vmap import vmap as vmap

try:
    __version__ = version("scopejax")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
del version, PackageNotFoundError
