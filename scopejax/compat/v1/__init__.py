"""TF1's namespace over scopejax: ``import scopejax.compat.v1 as tf``.

Real TF1 model code (``tf.get_variable``, ``tf.variable_scope``, ``tf.nn.conv2d``,
``tf.reduce_mean(x, axis=1, keep_dims=True)``, ``tf.contrib.layers.batch_norm``, ...)
runs inside :func:`scopejax.transform` with the import changed.

How values are represented: every tensor is a plain ``jax.Array`` (no wrapper
type: the compiled program is the same as hand-written JAX). Importing this module
gives JAX's array and tracer classes TF's Tensor API where TF1 code uses it:
``x.get_shape()`` and ``x.set_shape()`` everywhere (JAX has neither), and, in the
*compat namespace* only (code whose module globals hold this module, as
``import scopejax.compat.v1 as tf`` binds it), ``x.shape`` as a :class:`TensorShape`
(a tuple with ``as_list()``, ``ndims``, ``[i].value``, ``is_fully_defined()``, ...)
and TF's conversion of Python scalars on operators (``mask * (-2**32 + 1)`` on
float32 is float32 arithmetic; a float next to an int tensor is TF's ``TypeError``).
Elsewhere, JAX's own code included, ``.shape`` is the plain tuple and operators are
JAX's. Shapes are static in JAX, so ``tf.shape(x)`` returns a NumPy ``int32`` vector
(``tf.rank``, ``tf.size`` NumPy scalars): ``tf.tile(x, [tf.shape(x)[0], 1])`` traces.

Untouched TF1 files: :func:`install_as_tensorflow` makes this module importable as
``tensorflow`` (with ``tensorflow.compat.v1``, ``tensorflow.contrib.*``, a few of TF's
internal paths such as ``tensorflow.python.framework.ops``; any other path is an
``ImportError`` naming it and what to use instead).

Summaries: ``tf.summary.scalar/histogram/image/text`` record into the call's
``SUMMARIES`` collection under TF1's tags; ``tf.summary.merge_all()`` returns them
from the model as a pytree, and ``tf.summary.FileWriter(logdir).add_summary(merged,
step)`` writes them with :mod:`scopejax.summary`.

Limits: a module that imports only names (``from scopejax.compat.v1 import ...``) or
imports the module inside a function is outside the compat namespace; ``x.dtype`` is
a NumPy dtype (``.name`` works, ``.base_dtype`` does not); bool tensors with Python
scalars follow JAX (TF refuses arithmetic on them); ``repr(x.shape)`` is the tuple's;
without ``jax_enable_x64`` int64 and float64 results are int32 and float32;
``tf.placeholder`` and ``tf.Session`` raise an
error that says what to write (function arguments, ``net.init`` / ``net.apply``).
Random ops and ``tf.nn.dropout`` draw from ``sj.next_rng_key()`` (pass ``rng=`` to
``apply``); ``seed=`` is ignored.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> import scopejax.compat.v1 as tf
>>> def model(x):
...     with tf.variable_scope("fc"):
...         init = tf.truncated_normal_initializer(stddev=0.1)
...         w = tf.get_variable("w", [3, 2], initializer=init)
...         b = tf.get_variable("b", [2], initializer=tf.zeros_initializer())
...     return tf.reduce_mean(tf.nn.relu(tf.matmul(x, w) + b), axis=1, keep_dims=True)
>>> net = sj.transform(model)
>>> store = net.init(jax.random.key(0), jnp.ones([4, 3]))
>>> store.names(), net.apply(store, jnp.ones([4, 3])).shape
(['fc/b', 'fc/w'], (4, 1))
"""

# ruff: noqa: F401
import sys as _sys

from scopejax._src.compat.asserts import assert_equal as assert_equal
from scopejax._src.compat.asserts import assert_greater as assert_greater
from scopejax._src.compat.asserts import assert_greater_equal as assert_greater_equal
from scopejax._src.compat.asserts import assert_less as assert_less
from scopejax._src.compat.asserts import assert_less_equal as assert_less_equal
from scopejax._src.compat.asserts import control_dependencies as control_dependencies
from scopejax._src.compat.extra_ops import acos as acos
from scopejax._src.compat.extra_ops import asin as asin
from scopejax._src.compat.extra_ops import atan as atan
from scopejax._src.compat.extra_ops import atan2 as atan2
from scopejax._src.compat.extra_ops import cholesky as cholesky
from scopejax._src.compat.extra_ops import cosh as cosh
from scopejax._src.compat.extra_ops import count_nonzero as count_nonzero
from scopejax._src.compat.extra_ops import cumprod as cumprod
from scopejax._src.compat.extra_ops import digamma as digamma
from scopejax._src.compat.extra_ops import divide_no_nan as div_no_nan
from scopejax._src.compat.extra_ops import erfc as erfc
from scopejax._src.compat.extra_ops import expm1 as expm1
from scopejax._src.compat.extra_ops import eye as eye
from scopejax._src.compat.extra_ops import lgamma as lgamma
from scopejax._src.compat.extra_ops import log_sigmoid as log_sigmoid
from scopejax._src.compat.extra_ops import matrix_determinant as matrix_determinant
from scopejax._src.compat.extra_ops import matrix_diag as matrix_diag
from scopejax._src.compat.extra_ops import matrix_diag_part as matrix_diag_part
from scopejax._src.compat.extra_ops import matrix_inverse as matrix_inverse
from scopejax._src.compat.extra_ops import matrix_set_diag as matrix_set_diag
from scopejax._src.compat.extra_ops import matrix_solve as matrix_solve
from scopejax._src.compat.extra_ops import matrix_transpose as matrix_transpose
from scopejax._src.compat.extra_ops import matrix_triangular_solve as matrix_triangular_solve
from scopejax._src.compat.extra_ops import multinomial as multinomial
from scopejax._src.compat.extra_ops import norm as norm
from scopejax._src.compat.extra_ops import random_gamma as random_gamma
from scopejax._src.compat.extra_ops import random_shuffle as random_shuffle
from scopejax._src.compat.extra_ops import scatter_nd as scatter_nd
from scopejax._src.compat.extra_ops import set_random_seed as set_random_seed
from scopejax._src.compat.extra_ops import sinh as sinh
from scopejax._src.compat.extra_ops import tan as tan
from scopejax._src.compat.extra_ops import tensordot as tensordot
from scopejax._src.compat.extra_ops import trace as trace
from scopejax._src.compat.extra_ops import unsorted_segment_max as unsorted_segment_max
from scopejax._src.compat.extra_ops import unsorted_segment_min as unsorted_segment_min
from scopejax._src.compat.extra_ops import unsorted_segment_sum as unsorted_segment_sum
from scopejax._src.compat.initializers import constant_initializer as constant_initializer
from scopejax._src.compat.initializers import glorot_normal_initializer as glorot_normal_initializer
from scopejax._src.compat.initializers import (
    glorot_uniform_initializer as glorot_uniform_initializer,
)
from scopejax._src.compat.initializers import ones_initializer as ones_initializer
from scopejax._src.compat.initializers import orthogonal_initializer as orthogonal_initializer
from scopejax._src.compat.initializers import random_normal_initializer as random_normal_initializer
from scopejax._src.compat.initializers import (
    random_uniform_initializer as random_uniform_initializer,
)
from scopejax._src.compat.initializers import (
    truncated_normal_initializer as truncated_normal_initializer,
)
from scopejax._src.compat.initializers import (
    variance_scaling_initializer as variance_scaling_initializer,
)
from scopejax._src.compat.initializers import zeros_initializer as zeros_initializer
from scopejax._src.compat.opnames import install as _install_op_names
from scopejax._src.compat.ops import abs as abs
from scopejax._src.compat.ops import add as add
from scopejax._src.compat.ops import add_n as add_n
from scopejax._src.compat.ops import argmax as argmax
from scopejax._src.compat.ops import argmin as argmin
from scopejax._src.compat.ops import as_dtype as as_dtype
from scopejax._src.compat.ops import bfloat16 as bfloat16
from scopejax._src.compat.ops import bool as bool
from scopejax._src.compat.ops import boolean_mask as boolean_mask
from scopejax._src.compat.ops import cast as cast
from scopejax._src.compat.ops import ceil as ceil
from scopejax._src.compat.ops import clip_by_global_norm as clip_by_global_norm
from scopejax._src.compat.ops import clip_by_norm as clip_by_norm
from scopejax._src.compat.ops import clip_by_value as clip_by_value
from scopejax._src.compat.ops import complex64 as complex64
from scopejax._src.compat.ops import complex128 as complex128
from scopejax._src.compat.ops import concat as concat
from scopejax._src.compat.ops import cond as cond
from scopejax._src.compat.ops import constant as constant
from scopejax._src.compat.ops import convert_to_tensor as convert_to_tensor
from scopejax._src.compat.ops import cos as cos
from scopejax._src.compat.ops import cumsum as cumsum
from scopejax._src.compat.ops import divide as divide
from scopejax._src.compat.ops import double as double
from scopejax._src.compat.ops import einsum as einsum
from scopejax._src.compat.ops import equal as equal
from scopejax._src.compat.ops import erf as erf
from scopejax._src.compat.ops import exp as exp
from scopejax._src.compat.ops import expand_dims as expand_dims
from scopejax._src.compat.ops import fill as fill
from scopejax._src.compat.ops import float16 as float16
from scopejax._src.compat.ops import float32 as float32
from scopejax._src.compat.ops import float64 as float64
from scopejax._src.compat.ops import floor as floor
from scopejax._src.compat.ops import floor_div as floor_div
from scopejax._src.compat.ops import floordiv as floordiv
from scopejax._src.compat.ops import floormod as floormod
from scopejax._src.compat.ops import gather as gather
from scopejax._src.compat.ops import gather_nd as gather_nd
from scopejax._src.compat.ops import global_norm as global_norm
from scopejax._src.compat.ops import gradients as gradients
from scopejax._src.compat.ops import greater as greater
from scopejax._src.compat.ops import greater_equal as greater_equal
from scopejax._src.compat.ops import half as half
from scopejax._src.compat.ops import identity as identity
from scopejax._src.compat.ops import int8 as int8
from scopejax._src.compat.ops import int16 as int16
from scopejax._src.compat.ops import int32 as int32
from scopejax._src.compat.ops import int64 as int64
from scopejax._src.compat.ops import is_finite as is_finite
from scopejax._src.compat.ops import is_inf as is_inf
from scopejax._src.compat.ops import is_nan as is_nan
from scopejax._src.compat.ops import less as less
from scopejax._src.compat.ops import less_equal as less_equal
from scopejax._src.compat.ops import log as log
from scopejax._src.compat.ops import log1p as log1p
from scopejax._src.compat.ops import logical_and as logical_and
from scopejax._src.compat.ops import logical_not as logical_not
from scopejax._src.compat.ops import logical_or as logical_or
from scopejax._src.compat.ops import logical_xor as logical_xor
from scopejax._src.compat.ops import matmul as matmul
from scopejax._src.compat.ops import matrix_band_part as matrix_band_part
from scopejax._src.compat.ops import maximum as maximum
from scopejax._src.compat.ops import minimum as minimum
from scopejax._src.compat.ops import mod as mod
from scopejax._src.compat.ops import multiply as multiply
from scopejax._src.compat.ops import negative as negative
from scopejax._src.compat.ops import newaxis as newaxis
from scopejax._src.compat.ops import not_equal as not_equal
from scopejax._src.compat.ops import one_hot as one_hot
from scopejax._src.compat.ops import ones as ones
from scopejax._src.compat.ops import ones_like as ones_like
from scopejax._src.compat.ops import pad as pad
from scopejax._src.compat.ops import pow as pow
from scopejax._src.compat.ops import random_normal as random_normal
from scopejax._src.compat.ops import random_uniform as random_uniform
from scopejax._src.compat.ops import range as range
from scopejax._src.compat.ops import rank as rank
from scopejax._src.compat.ops import realdiv as realdiv
from scopejax._src.compat.ops import reciprocal as reciprocal
from scopejax._src.compat.ops import reduce_all as reduce_all
from scopejax._src.compat.ops import reduce_any as reduce_any
from scopejax._src.compat.ops import reduce_logsumexp as reduce_logsumexp
from scopejax._src.compat.ops import reduce_max as reduce_max
from scopejax._src.compat.ops import reduce_mean as reduce_mean
from scopejax._src.compat.ops import reduce_min as reduce_min
from scopejax._src.compat.ops import reduce_prod as reduce_prod
from scopejax._src.compat.ops import reduce_sum as reduce_sum
from scopejax._src.compat.ops import reshape as reshape
from scopejax._src.compat.ops import reverse as reverse
from scopejax._src.compat.ops import round as round
from scopejax._src.compat.ops import rsqrt as rsqrt
from scopejax._src.compat.ops import sequence_mask as sequence_mask
from scopejax._src.compat.ops import shape as shape
from scopejax._src.compat.ops import sigmoid as sigmoid
from scopejax._src.compat.ops import sign as sign
from scopejax._src.compat.ops import sin as sin
from scopejax._src.compat.ops import size as size
from scopejax._src.compat.ops import slice as slice
from scopejax._src.compat.ops import split as split
from scopejax._src.compat.ops import sqrt as sqrt
from scopejax._src.compat.ops import square as square
from scopejax._src.compat.ops import squared_difference as squared_difference
from scopejax._src.compat.ops import squeeze as squeeze
from scopejax._src.compat.ops import stack as stack
from scopejax._src.compat.ops import stop_gradient as stop_gradient
from scopejax._src.compat.ops import subtract as subtract
from scopejax._src.compat.ops import tanh as tanh
from scopejax._src.compat.ops import tile as tile
from scopejax._src.compat.ops import to_double as to_double
from scopejax._src.compat.ops import to_float as to_float
from scopejax._src.compat.ops import to_int32 as to_int32
from scopejax._src.compat.ops import to_int64 as to_int64
from scopejax._src.compat.ops import transpose as transpose
from scopejax._src.compat.ops import truediv as truediv
from scopejax._src.compat.ops import truncated_normal as truncated_normal
from scopejax._src.compat.ops import uint8 as uint8
from scopejax._src.compat.ops import uint16 as uint16
from scopejax._src.compat.ops import uint32 as uint32
from scopejax._src.compat.ops import uint64 as uint64
from scopejax._src.compat.ops import unstack as unstack
from scopejax._src.compat.ops import where as where
from scopejax._src.compat.ops import where_v2 as where_v2
from scopejax._src.compat.ops import while_loop as while_loop
from scopejax._src.compat.ops import zeros as zeros
from scopejax._src.compat.ops import zeros_like as zeros_like
from scopejax._src.compat.tensor import Dimension as Dimension
from scopejax._src.compat.tensor import TensorShape as TensorShape
from scopejax._src.compat.tensor import dimension_value as dimension_value
from scopejax._src.compat.tf_alias import TensorFlowAlias as TensorFlowAlias
from scopejax._src.compat.tf_alias import (
    TensorFlowModuleNotProvided as TensorFlowModuleNotProvided,
)
from scopejax._src.compat.tf_alias import disable_eager_execution as disable_eager_execution
from scopejax._src.compat.tf_alias import (
    disable_resource_variables as disable_resource_variables,
)
from scopejax._src.compat.tf_alias import disable_v2_behavior as disable_v2_behavior
from scopejax._src.compat.tf_alias import disable_v2_tensorshape as disable_v2_tensorshape
from scopejax._src.compat.tf_alias import install_as_tensorflow as install_as_tensorflow
from scopejax._src.compat.tf_alias import (
    installed_as_tensorflow as installed_as_tensorflow,
)
from scopejax._src.compat.tf_alias import uninstall_as_tensorflow as uninstall_as_tensorflow
from scopejax._src.compat.unsupported import InteractiveSession as InteractiveSession
from scopejax._src.compat.unsupported import Session as Session
from scopejax._src.compat.unsupported import TF1GraphError as TF1GraphError
from scopejax._src.compat.unsupported import get_default_graph as get_default_graph
from scopejax._src.compat.unsupported import (
    global_variables_initializer as global_variables_initializer,
)
from scopejax._src.compat.unsupported import initialize_all_variables as initialize_all_variables
from scopejax._src.compat.unsupported import placeholder as placeholder
from scopejax._src.compat.unsupported import placeholder_with_default as placeholder_with_default
from scopejax._src.compat.unsupported import reset_default_graph as reset_default_graph
from scopejax._src.compat.variables import assign as assign
from scopejax._src.compat.variables import assign_add as assign_add
from scopejax._src.compat.variables import assign_sub as assign_sub
from scopejax._src.core.collection import GraphKeys as GraphKeys
from scopejax._src.core.collection import add_to_collection as add_to_collection
from scopejax._src.core.collection import add_to_collections as add_to_collections
from scopejax._src.core.collection import get_all_collection_keys as get_all_collection_keys
from scopejax._src.core.collection import get_collection as get_collection
from scopejax._src.core.collection import get_collection_ref as get_collection_ref
from scopejax._src.core.collection import global_variables as global_variables
from scopejax._src.core.collection import local_variables as local_variables
from scopejax._src.core.collection import model_variables as model_variables
from scopejax._src.core.collection import trainable_variables as trainable_variables
from scopejax._src.core.device import device as device
from scopejax._src.core.handle import VariableHandle as VariableHandle
from scopejax._src.core.scope import AUTO_REUSE as AUTO_REUSE
from scopejax._src.core.scope import VariableScope as VariableScope
from scopejax._src.core.scope import get_name_scope as get_name_scope
from scopejax._src.core.scope import get_variable_scope as get_variable_scope
from scopejax._src.core.scope import name_scope as name_scope
from scopejax._src.core.scope import variable_scope as variable_scope
from scopejax._src.core.variables import Variable as Variable
from scopejax._src.core.variables import get_variable as get_variable
from scopejax._src.core.variables import variable_handle as variable_handle
from scopejax.compat.v1 import contrib as contrib
from scopejax.compat.v1 import image as image
from scopejax.compat.v1 import initializers as initializers
from scopejax.compat.v1 import layers as layers
from scopejax.compat.v1 import linalg as linalg
from scopejax.compat.v1 import losses as losses
from scopejax.compat.v1 import math as math
from scopejax.compat.v1 import nn as nn
from scopejax.compat.v1 import random as random
from scopejax.compat.v1 import summary as summary
from scopejax.compat.v1 import train as train

all_variables = global_variables

# TF1's op names (MatMul, MatMul_1, ...) in the compiled program: see _src/compat/opnames.py
_install_op_names(_sys.modules[__name__])
