"""TF1's op names in the compiled program: ``model/encoder/MatMul``, ``MatMul_1``, ...

In TF1 every op gets a name: its ``name=`` or its type (``MatMul``, ``Relu``, ``Mean``),
prefixed by the current name scope and made unique in the graph (``MatMul_1``), in the
same namespace as the name scopes themselves. A compat op here does the same through
scopejax's name registry (:class:`scopejax.name_scope`'s): it opens a name scope with its
TF1 name, so ``jax.named_scope`` puts that name into the HLO metadata, the profiler's
trace and :func:`scopejax.summary.write_graph` (``model/encoder/MatMul/dot_general``).

Inside :func:`scopejax.transform` only (outside one there is no graph to name ops in);
eager calls take the names too (so later name scopes are the same as under ``jit``) but
keep no XLA metadata. ``name=`` is read when passed by keyword (the way TF1 code passes
it). Python operators on tensors (``x + y``: TF1's ``add``) are not named. Ops that TF1
builds from several ops (``clip_by_value``, ``moments``, ...) get the name of their outer scope, as
in TF1; the ops inside keep JAX's names.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from scopejax._src.core import context as _context
from scopejax._src.core.scope import name_scope

NAME = "name"

# The name TF1 gives each op when called without ``name=``, by its path in ``tf``
# (recorded from TF 2.21's tf.compat.v1 graphs: tests/compat_recordings/opnames.json).
OP_NAMES: dict[str, str] = {
    "abs": "Abs",
    "add": "Add",
    "add_n": "AddN",
    "argmax": "ArgMax",
    "argmin": "ArgMin",
    "atan2": "Atan2",
    "boolean_mask": "boolean_mask",
    "cast": "Cast",
    "ceil": "Ceil",
    "clip_by_global_norm": "clip_by_global_norm",
    "clip_by_norm": "clip_by_norm",
    "clip_by_value": "clip_by_value",
    "concat": "concat",
    "cos": "Cos",
    "count_nonzero": "count_nonzero",
    "cumprod": "Cumprod",
    "cumsum": "Cumsum",
    "div_no_nan": "div_no_nan",
    "divide": "truediv",
    "einsum": "einsum",
    "equal": "Equal",
    "erf": "Erf",
    "exp": "Exp",
    "expand_dims": "ExpandDims",
    "eye": "eye",
    "fill": "Fill",
    "floor": "Floor",
    "floor_div": "FloorDiv",
    "floordiv": "floordiv",
    "floormod": "FloorMod",
    "gather": "GatherV2",
    "gather_nd": "GatherNd",
    "global_norm": "global_norm",
    "greater": "Greater",
    "greater_equal": "GreaterEqual",
    "identity": "Identity",
    "image.resize_bilinear": "ResizeBilinear",
    "image.resize_images": "resize",
    "image.resize_nearest_neighbor": "ResizeNearestNeighbor",
    "is_finite": "IsFinite",
    "is_inf": "IsInf",
    "is_nan": "IsNan",
    "less": "Less",
    "less_equal": "LessEqual",
    "linalg.adjoint": "adjoint",
    "linalg.band_part": "MatrixBandPart",
    "linalg.cholesky": "Cholesky",
    "linalg.det": "MatrixDeterminant",
    "linalg.diag": "diag",
    "linalg.einsum": "einsum",
    "linalg.eye": "eye",
    "linalg.inv": "MatrixInverse",
    "linalg.logdet": "logdet",
    "linalg.matmul": "MatMul",
    "linalg.matvec": "MatVec",
    "linalg.norm": "norm",
    "linalg.set_diag": "set_diag",
    "linalg.slogdet": "LogMatrixDeterminant",
    "linalg.solve": "MatrixSolve",
    "linalg.tensordot": "Tensordot",
    "linalg.trace": "Trace",
    "linalg.transpose": "matrix_transpose",
    "linalg.triangular_solve": "triangular_solve",
    "log": "Log",
    "log1p": "Log1p",
    "logical_and": "LogicalAnd",
    "logical_not": "LogicalNot",
    "logical_or": "LogicalOr",
    "logical_xor": "LogicalXor",
    "losses.absolute_difference": "absolute_difference",
    "losses.compute_weighted_loss": "weighted_loss",
    "losses.cosine_distance": "cosine_distance_loss",
    "losses.hinge_loss": "hinge_loss",
    "losses.huber_loss": "huber_loss",
    "losses.log_loss": "log_loss",
    "losses.mean_squared_error": "mean_squared_error",
    "losses.sigmoid_cross_entropy": "sigmoid_cross_entropy_loss",
    "losses.softmax_cross_entropy": "softmax_cross_entropy_loss",
    "losses.sparse_softmax_cross_entropy": "sparse_softmax_cross_entropy_loss",
    "math.acos": "Acos",
    "math.asin": "Asin",
    "math.atan": "Atan",
    "math.cosh": "Cosh",
    "math.count_nonzero": "count_nonzero",
    "math.digamma": "Digamma",
    "math.divide_no_nan": "div_no_nan",
    "math.erfc": "Erfc",
    "math.expm1": "Expm1",
    "math.l2_normalize": "l2_normalize",
    "math.lgamma": "Lgamma",
    "math.log_sigmoid": "LogSigmoid",
    "math.reduce_std": "reduce_std",
    "math.reduce_variance": "reduce_variance",
    "math.sinh": "Sinh",
    "math.softplus": "Softplus",
    "math.tan": "Tan",
    "math.top_k": "TopKV2",
    "math.unsorted_segment_max": "UnsortedSegmentMax",
    "math.unsorted_segment_min": "UnsortedSegmentMin",
    "math.unsorted_segment_sum": "UnsortedSegmentSum",
    "matmul": "MatMul",
    "matrix_band_part": "MatrixBandPart",
    "matrix_determinant": "MatrixDeterminant",
    "matrix_diag_part": "diag_part",
    "matrix_inverse": "MatrixInverse",
    "matrix_solve": "MatrixSolve",
    "matrix_transpose": "matrix_transpose",
    "matrix_triangular_solve": "triangular_solve",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "mod": "FloorMod",
    "multiply": "Mul",
    "negative": "Neg",
    "nn.avg_pool": "AvgPool",
    "nn.batch_normalization": "batchnorm",
    "nn.bias_add": "BiasAdd",
    "nn.conv1d": "conv1d",
    "nn.conv1d_transpose": "conv1d_transpose",
    "nn.conv2d": "Conv2D",
    "nn.conv2d_transpose": "conv2d_transpose",
    "nn.depthwise_conv2d": "depthwise",
    "nn.elu": "Elu",
    "nn.embedding_lookup": "embedding_lookup",
    "nn.in_top_k": "in_top_k",
    "nn.l2_loss": "L2Loss",
    "nn.l2_normalize": "l2_normalize",
    "nn.leaky_relu": "LeakyRelu",
    "nn.local_response_normalization": "LRN",
    "nn.log_softmax": "LogSoftmax",
    "nn.lrn": "LRN",
    "nn.max_pool": "MaxPool",
    "nn.moments": "moments",
    "nn.relu": "Relu",
    "nn.relu6": "Relu6",
    "nn.selu": "Selu",
    "nn.separable_conv2d": "separable_conv2d",
    "nn.sigmoid": "Sigmoid",
    "nn.sigmoid_cross_entropy_with_logits": "logistic_loss",
    "nn.softmax": "Softmax",
    "nn.softmax_cross_entropy_with_logits": "softmax_cross_entropy_with_logits_sg",
    "nn.softmax_cross_entropy_with_logits_v2": "softmax_cross_entropy_with_logits",
    "nn.softplus": "Softplus",
    "nn.softsign": "Softsign",
    "nn.sparse_softmax_cross_entropy_with_logits": "SparseSoftmaxCrossEntropyWithLogits",
    "nn.tanh": "Tanh",
    "nn.top_k": "TopKV2",
    "nn.weighted_cross_entropy_with_logits": "logistic_loss",
    "nn.xw_plus_b": "xw_plus_b",
    "nn.zero_fraction": "zero_fraction",
    "norm": "norm",
    "not_equal": "NotEqual",
    "one_hot": "one_hot",
    "ones": "ones",
    "ones_like": "ones_like",
    "pow": "Pow",
    "range": "range",
    "rank": "Rank",
    "realdiv": "RealDiv",
    "reciprocal": "Reciprocal",
    "reduce_all": "All",
    "reduce_any": "Any",
    "reduce_logsumexp": "ReduceLogSumExp",
    "reduce_max": "Max",
    "reduce_mean": "Mean",
    "reduce_min": "Min",
    "reduce_prod": "Prod",
    "reduce_sum": "Sum",
    "reshape": "Reshape",
    "reverse": "ReverseV2",
    "round": "Round",
    "rsqrt": "Rsqrt",
    "scatter_nd": "ScatterNd",
    "sequence_mask": "SequenceMask",
    "shape": "Shape",
    "sigmoid": "Sigmoid",
    "sign": "Sign",
    "sin": "Sin",
    "size": "Size",
    "slice": "Slice",
    "split": "split",
    "sqrt": "Sqrt",
    "square": "Square",
    "squared_difference": "SquaredDifference",
    "squeeze": "Squeeze",
    "stop_gradient": "StopGradient",
    "subtract": "Sub",
    "tanh": "Tanh",
    "tensordot": "Tensordot",
    "tile": "Tile",
    "to_double": "ToDouble",
    "to_float": "ToFloat",
    "to_int32": "ToInt32",
    "to_int64": "ToInt64",
    "trace": "Trace",
    "transpose": "transpose",
    "truediv": "truediv",
    "unstack": "unstack",
    "where": "Select",
    "where_v2": "SelectV2",
    "zeros": "zeros",
    "zeros_like": "zeros_like",
    "stack": "stack",
    "pad": "Pad",
}


def _pad_name(args: tuple, kwargs: dict) -> str:
    """TF1's ``array_ops.pad`` picks its op by the arguments: ``MirrorPad`` for REFLECT /
    SYMMETRIC, ``Pad`` for a zero scalar ``constant_values``, ``PadV2`` otherwise."""
    mode = kwargs.get("mode", args[2] if len(args) > 2 else "CONSTANT")
    if str(mode).upper() in ("REFLECT", "SYMMETRIC"):
        return "MirrorPad"
    value = kwargs.get("constant_values", args[4] if len(args) > 4 else 0)
    try:
        zero = bool(np.ndim(value) == 0 and value == 0)
    except Exception:  # noqa: BLE001 - a traced value: TF's PadV2
        zero = False
    return "Pad" if zero else "PadV2"


# ops whose TF1 name depends on the arguments: {default name: chooser(args, kwargs)}
_BY_ARGUMENTS: dict[str, Callable[[tuple, dict], str]] = {"Pad": _pad_name}


def tf_op(op_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the op names itself ``name=`` or ``op_type``, as TF1 names ops.

    Args:
      op_type: the TF1 name the op gets when no ``name=`` is given (``"MatMul"``).

    Returns:
      A decorator for a compat op function.
    """

    choose = _BY_ARGUMENTS.get(op_type)  # decided once, not at every call

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def named(*args: Any, **kwargs: Any) -> Any:
            frame = _context.maybe_frame()
            if frame is None or frame.closed:
                return fn(*args, **kwargs)
            with name_scope(kwargs.get(NAME) or (choose(args, kwargs) if choose else op_type)):
                return fn(*args, **kwargs)

        named.tf_op_type = op_type  # type: ignore[attr-defined]  # read by the tests
        return named

    return wrap


def install(v1: ModuleType) -> None:
    """Make every op of :data:`OP_NAMES` name itself (idempotent).

    Each op function found in ``v1`` (the ``scopejax.compat.v1`` module, at the end of its
    import) is replaced by its :func:`tf_op` wrapper wherever a compat module holds it, so
    calls from other compat code (``contrib.layers``' ``BiasAdd``) are named too.

    Args:
      v1: the ``scopejax.compat.v1`` module.
    """
    wrappers: dict[int, Callable[..., Any]] = {}
    aliases = []  # another public name of a function, which TF1 names differently
    for path, op_type in OP_NAMES.items():
        parent: Any = v1
        *parents, last = path.split(".")
        for part in parents:
            parent = getattr(parent, part)
        fn = getattr(parent, last)
        if getattr(fn, "tf_op_type", None) is not None:
            continue  # installed already
        first = wrappers.setdefault(id(fn), tf_op(op_type)(fn))
        if first.tf_op_type != op_type:  # type: ignore[attr-defined]
            aliases.append((parent, last, tf_op(op_type)(fn)))
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or not mod_name.startswith(("scopejax._src.compat", "scopejax.compat.v1")):
            continue
        for attr, value in list(vars(mod).items()):
            wrapped = wrappers.get(id(value))
            if wrapped is not None and callable(value):
                setattr(mod, attr, wrapped)
    for parent, last, wrapped in aliases:
        setattr(parent, last, wrapped)
