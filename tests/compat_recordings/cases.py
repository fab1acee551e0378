"""The op cases recorded from TensorFlow (record.py) and replayed on scopejax.compat.v1
(tests/test_compat_ops.py). NumPy only: this file is imported in both venvs.

A case is ``(id, op, args, kwargs)``: ``op`` a dotted path under ``tf.compat.v1`` and
under ``scopejax.compat.v1``; arrays in ``args``/``kwargs`` (nested in lists too) are
drawn here from fixed seeds and stored with the recording.
"""

from __future__ import annotations

import numpy as np


def r(*shape: int, seed: int = 0, dtype: str = "float32", lo: float = -2, hi: float = 2):
    g = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return g.integers(int(lo), int(hi), size=shape).astype(dtype)
    if dtype == "bool":
        return g.random(shape) < 0.5
    return g.uniform(lo, hi, size=shape).astype(dtype)


def pos(*shape: int, seed: int = 0):
    return r(*shape, seed=seed, lo=0.1, hi=3)


X = r(2, 3, 4)
Y = r(3, 4, seed=1)
M = r(3, 4, seed=2)
N = r(4, 5, seed=3)
IN = r(3, 4, seed=4, dtype="int32", lo=-9, hi=9)
J = r(3, 4, seed=5, dtype="int32", lo=1, hi=5)
B = r(3, 4, seed=6, dtype="bool")
C = r(3, 4, seed=7, dtype="bool")
IMG = r(2, 5, 5, 3, seed=8)
IMG_NCHW = np.ascontiguousarray(IMG.transpose(0, 3, 1, 2))
K = r(3, 3, 3, 4, seed=9)
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4], np.float32)

CASES: list[tuple[str, str, list, dict]] = []


def case(id_: str, op: str, *args, **kwargs) -> None:
    CASES.append((id_, op, list(args), kwargs))


# math: broadcasting, Python scalars, integer division
for op in ("add", "subtract", "multiply", "maximum", "minimum", "squared_difference", "truediv"):
    case(f"{op}_broadcast", op, X, Y)
case("add_scalar", "add", X, 2)
case("multiply_int_scalar", "multiply", IN, 3)
case("multiply_scalar_left", "multiply", 0.5, X)
case("divide_floats", "divide", X, pos(3, 4))
case("divide_ints", "divide", IN, J)
case("truediv_ints", "truediv", IN, J)
case("floordiv_ints", "floordiv", IN, J)
case("floordiv_floats", "floordiv", X, pos(3, 4))
case("mod_ints", "mod", IN, J)
case("mod_negative_divisor", "mod", IN, -J)
case("pow_floats", "pow", pos(3, 4), 2.5)
case("pow_ints", "pow", J, 3)
case("add_n", "add_n", [M, Y, N[:3, :4]])
for op in ("exp", "square", "abs", "tanh", "sigmoid", "negative", "sign", "floor", "ceil", "erf"):
    case(op, op, X)
for op in ("log", "sqrt", "rsqrt", "log1p", "reciprocal"):
    case(op, op, pos(2, 3, 4))
case("round_half_to_even", "round", HALVES)
case("abs_int", "abs", IN)
case("matmul", "matmul", M, N)
case("matmul_transpose_a", "matmul", N[:3].copy(), M, transpose_a=True)
case("matmul_transpose_b", "matmul", M, Y, transpose_b=True)
case("matmul_adjoint_both", "matmul", N, M, adjoint_a=True, adjoint_b=True)
case("matmul_batched", "matmul", X, r(2, 4, 5, seed=10))
case("matmul_batch_broadcast", "matmul", X, r(4, 2, seed=11))
case("einsum_matmul", "einsum", "ij,jk->ik", M, N)
case(
    "einsum_attention", "einsum", "bhqd,bhkd->bhqk", r(2, 2, 3, 4, seed=12), r(2, 2, 5, 4, seed=13)
)
case("cast_float_to_int", "cast", X * 3, "int32")
case("cast_float_to_bool", "cast", np.array([0.0, 1.5, -2.0], np.float32), "bool")
case("cast_int_to_float", "cast", IN, "float32")
case("to_float", "to_float", IN)
case("to_int32", "to_int32", X * 3)

# comparisons, logic
for op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
    case(op, op, IN, np.array([0, 1, -1, 2], np.int32))
case("less_scalar", "less", X, 0.5)
for op in ("logical_and", "logical_or", "logical_xor"):
    case(op, op, B, C)
case("logical_not", "logical_not", B)

# reductions: axis forms, keep_dims spellings, integer mean
for op in (
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "reduce_logsumexp",
):
    case(f"{op}_all", op, X)
    case(f"{op}_axis1", op, X, axis=1)
    case(f"{op}_neg_axis_keepdims", op, X, axis=-1, keepdims=True)
    case(f"{op}_axes_keep_dims", op, X, axis=[0, 2], keep_dims=True)
    case(f"{op}_reduction_indices", op, X, reduction_indices=[1])
case("reduce_mean_int_truncates", "reduce_mean", IN, axis=1)
case("reduce_sum_int", "reduce_sum", IN, axis=0)
for op in ("reduce_any", "reduce_all"):
    case(f"{op}_axis0", op, B, axis=0)
    case(f"{op}_all", op, B)
case("argmax_default_axis0", "argmax", M)
case("argmax_last_int32", "argmax", M, axis=-1, output_type="int32")
case("argmin_dimension", "argmin", M, dimension=1)
case("cumsum", "cumsum", M, axis=1)
case("cumsum_exclusive_reverse", "cumsum", M, axis=0, exclusive=True, reverse=True)

# array ops
case("concat_axis0", "concat", [M, Y], 0)
case("concat_neg_axis", "concat", [X, X[:, :, :2]], -1)
case("stack", "stack", [M, Y])
case("stack_neg_axis", "stack", [M, Y], axis=-1)
case("unstack_axis1", "unstack", X, axis=1)
case("split_equal", "split", X, 2, axis=2)
case("split_sizes_minus1", "split", X, [1, -1], axis=2)
case("reshape_minus1", "reshape", X, [-1, 4])
case("reshape_scalar", "reshape", np.array([3.0], np.float32), [])
case("transpose_perm", "transpose", X, [2, 0, 1])
case("transpose_default", "transpose", X)
case("expand_dims_0", "expand_dims", M, 0)
case("expand_dims_neg", "expand_dims", M, -1)
case("expand_dims_dim", "expand_dims", M, dim=1)
case("squeeze_all", "squeeze", r(1, 3, 1, 2))
case("squeeze_axis", "squeeze", r(1, 3, 1, 2), axis=[2])
case("squeeze_dims", "squeeze", r(1, 3, 1, 2), squeeze_dims=[0])
case("tile", "tile", M, [2, 1])
case("gather_axis0", "gather", N, np.array([[0, 2], [3, 1]], np.int32))
case("gather_axis1", "gather", N, np.array([4, 0], np.int32), axis=1)
case("gather_batch_dims", "gather", X, np.array([[0, 2], [1, 1]], np.int32), axis=1, batch_dims=1)
case("gather_nd", "gather_nd", X, np.array([[0, 1], [1, 2]], np.int32))
case("gather_nd_full", "gather_nd", X, np.array([[0, 1, 3], [1, 2, 0]], np.int32))
case("one_hot", "one_hot", np.array([0, 2, -1, 5], np.int32), 4)
case(
    "one_hot_values_axis0",
    "one_hot",
    np.array([1, 0], np.int32),
    3,
    on_value=5.0,
    off_value=-1.0,
    axis=0,
)
case("one_hot_int_dtype", "one_hot", np.array([[1, 0], [2, 2]], np.int32), 3, dtype="int32")
case("zeros", "zeros", [2, 3])
case("ones_int", "ones", [2, 2], "int32")
case("zeros_like", "zeros_like", IN)
case("ones_like_dtype", "ones_like", IN, "float32")
case("fill_int", "fill", [2, 3], 7)
case("fill_float", "fill", [3], 1.5)
case("range_limit", "range", 5)
case("range_start_limit_delta", "range", 1, 10, 3)
case("range_float", "range", 0.0, 1.0, 0.25)
case("shape", "shape", X)
case("rank", "rank", X)
case("size", "size", X)
case("where_same_shape", "where", B, M, Y)
case("where_vector_condition", "where", np.array([True, False, True]), M, Y)
case("where_coordinates", "where", B)
case("where_v2_broadcast", "where_v2", B, M, 0.0)
case("band_part_lower", "matrix_band_part", r(4, 4, seed=14), -1, 0)
case("band_part_upper", "matrix_band_part", r(4, 4, seed=14), 0, -1)
case("band_part_band", "matrix_band_part", r(2, 4, 5, seed=14), 1, 2)
case("sequence_mask", "sequence_mask", np.array([1, 3, 0], np.int32), 4)
case("sequence_mask_no_maxlen", "sequence_mask", np.array([[1, 3], [2, 2]], np.int32))
case("sequence_mask_float", "sequence_mask", np.array([2, 1], np.int32), 3, dtype="float32")
case("pad_constant", "pad", M, [[1, 0], [2, 1]], constant_values=-1.0)
case("pad_reflect", "pad", M, [[1, 2], [2, 1]], mode="REFLECT")
case("pad_symmetric", "pad", M, [[2, 1], [0, 3]], mode="SYMMETRIC")
case("slice", "slice", X, [0, 1, 1], [2, 2, -1])
case("reverse", "reverse", X, [0, -1])
case("boolean_mask", "boolean_mask", M, B)
case("identity", "identity", M)
case("stop_gradient", "stop_gradient", M)
case("constant_shape", "constant", 1.5, shape=[2, 3])
case("constant_list", "constant", [[1, 2], [3, 4]])

# clipping
case("clip_by_value", "clip_by_value", X, -0.5, 0.5)
case("clip_by_norm", "clip_by_norm", M, 1.0)
case("clip_by_norm_axes", "clip_by_norm", M, 1.0, axes=[1])
case("global_norm", "global_norm", [M, Y])
case("clip_by_global_norm", "clip_by_global_norm", [M, Y], 2.0)
case("clip_by_global_norm_no_clip", "clip_by_global_norm", [M * 0.01, Y * 0.01], 5.0)

# nn
for op in ("relu", "relu6", "elu", "selu", "softplus", "softsign", "leaky_relu", "sigmoid", "tanh"):
    case(f"nn_{op}", f"nn.{op}", X * 4)
case("nn_leaky_relu_alpha", "nn.leaky_relu", X, alpha=0.1)
case("nn_softmax", "nn.softmax", X)
case("nn_softmax_axis0", "nn.softmax", X, axis=0)
case("nn_softmax_dim", "nn.softmax", X, dim=1)
case("nn_log_softmax", "nn.log_softmax", X)
case("nn_bias_add", "nn.bias_add", IMG, r(3, seed=15))
case("nn_bias_add_nchw", "nn.bias_add", IMG_NCHW, r(3, seed=15), data_format="NCHW")
case("nn_xw_plus_b", "nn.xw_plus_b", M, N, r(5, seed=16))
case("nn_conv2d_same_stride2", "nn.conv2d", IMG, K, [1, 2, 2, 1], "SAME")
case("nn_conv2d_valid", "nn.conv2d", IMG, K, [1, 1, 1, 1], "VALID")
case("nn_conv2d_dilated", "nn.conv2d", IMG, K, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1])
case("nn_conv2d_explicit_pad", "nn.conv2d", IMG, K, [1, 1, 1, 1], [[0, 0], [1, 2], [0, 1], [0, 0]])
case("nn_conv2d_nchw", "nn.conv2d", IMG_NCHW, K, [1, 1, 2, 2], "SAME", data_format="NCHW")
case("nn_conv1d_same", "nn.conv1d", r(2, 7, 3, seed=17), r(3, 3, 4, seed=18), 2, "SAME")
case("nn_conv1d_valid", "nn.conv1d", r(2, 7, 3, seed=17), r(3, 3, 4, seed=18), 1, "VALID")
case(
    "nn_conv2d_transpose_same",
    "nn.conv2d_transpose",
    r(1, 4, 4, 4, seed=19),
    K,
    [1, 7, 7, 3],
    [1, 2, 2, 1],
    "SAME",
)
case(
    "nn_conv2d_transpose_same_even",
    "nn.conv2d_transpose",
    r(1, 4, 4, 4, seed=19),
    K,
    [1, 8, 8, 3],
    [1, 2, 2, 1],
    "SAME",
)
case(
    "nn_conv2d_transpose_valid",
    "nn.conv2d_transpose",
    r(1, 4, 4, 4, seed=19),
    K,
    [1, 9, 9, 3],
    [1, 2, 2, 1],
    "VALID",
)
case(
    "nn_conv2d_transpose_nchw",
    "nn.conv2d_transpose",
    r(1, 4, 4, 4, seed=19).transpose(0, 3, 1, 2).copy(),
    K,
    [1, 3, 8, 8],
    [1, 1, 2, 2],
    "SAME",
    data_format="NCHW",
)
case("nn_max_pool_valid", "nn.max_pool", IMG, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
case("nn_max_pool_same", "nn.max_pool", IMG, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
case("nn_avg_pool_same", "nn.avg_pool", IMG, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
case("nn_avg_pool_valid", "nn.avg_pool", IMG, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
case(
    "nn_max_pool_nchw",
    "nn.max_pool",
    IMG_NCHW,
    [1, 1, 2, 2],
    [1, 1, 2, 2],
    "SAME",
    data_format="NCHW",
)
case(
    "nn_avg_pool_nchw",
    "nn.avg_pool",
    IMG_NCHW,
    [1, 1, 3, 3],
    [1, 1, 2, 2],
    "SAME",
    data_format="NCHW",
)
case("nn_moments_image", "nn.moments", IMG, [0, 1, 2])
case("nn_moments_keep_dims", "nn.moments", X, [1], keep_dims=True)
case(
    "nn_batch_normalization",
    "nn.batch_normalization",
    X,
    0.5,
    2.0,
    r(4, seed=20),
    r(4, seed=21),
    1e-3,
)
case("nn_l2_loss", "nn.l2_loss", X)
case("nn_l2_normalize_axis1", "nn.l2_normalize", M, axis=1)
case("nn_l2_normalize_all", "nn.l2_normalize", M)
case("nn_l2_normalize_dim0", "nn.l2_normalize", M, dim=0)
TABLE = r(10, 3, seed=22)
IDS = np.array([[0, 9, 4], [3, 3, 7]], np.int32)
case("nn_embedding_lookup", "nn.embedding_lookup", TABLE, IDS)
case("nn_embedding_lookup_mod", "nn.embedding_lookup", [TABLE[0::3], TABLE[1::3], TABLE[2::3]], IDS)
case(
    "nn_embedding_lookup_div",
    "nn.embedding_lookup",
    [TABLE[:4], TABLE[4:7], TABLE[7:]],
    IDS,
    partition_strategy="div",
)
case("nn_embedding_lookup_max_norm", "nn.embedding_lookup", TABLE * 3, IDS, max_norm=1.0)
PROBS = np.abs(r(4, 5, seed=23)) / np.abs(r(4, 5, seed=23)).sum(1, keepdims=True)
case(
    "nn_softmax_xent",
    "nn.softmax_cross_entropy_with_logits",
    labels=PROBS,
    logits=r(4, 5, seed=24) * 3,
)
case(
    "nn_softmax_xent_v2",
    "nn.softmax_cross_entropy_with_logits_v2",
    labels=PROBS,
    logits=r(4, 5, seed=24) * 3,
)
case(
    "nn_softmax_xent_v2_dim0",
    "nn.softmax_cross_entropy_with_logits_v2",
    labels=PROBS,
    logits=r(4, 5, seed=24),
    dim=0,
)
case(
    "nn_sparse_softmax_xent",
    "nn.sparse_softmax_cross_entropy_with_logits",
    labels=np.array([0, 4, 2, 1], np.int32),
    logits=r(4, 5, seed=24) * 3,
)
case(
    "nn_sparse_softmax_xent_3d",
    "nn.sparse_softmax_cross_entropy_with_logits",
    labels=np.array([[0, 4], [2, 1]], np.int32),
    logits=r(2, 2, 5, seed=25),
)
case(
    "nn_sigmoid_xent",
    "nn.sigmoid_cross_entropy_with_logits",
    labels=(r(3, 4, seed=26) > 0).astype(np.float32),
    logits=X[0, :3] * 10,
)
case(
    "nn_weighted_xent",
    "nn.weighted_cross_entropy_with_logits",
    (r(3, 4, seed=26) > 0).astype(np.float32),
    X[0, :3] * 10,
    2.0,
)
case("nn_top_k", "nn.top_k", np.array([[1, 3, 3, 2], [5, 5, 5, 0]], np.float32), 2)
case("nn_in_top_k", "nn.in_top_k", M, np.array([0, 1, 3], np.int32), 2)
case("nn_zero_fraction", "nn.zero_fraction", np.array([0, 1, 0, 2], np.float32))

# the remaining elementwise names
WITH_SPECIALS = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 2.0], np.float32)
for op in ("is_nan", "is_finite", "is_inf"):
    case(op, op, WITH_SPECIALS)
for op in ("sin", "cos"):
    case(op, op, X)
case("realdiv", "realdiv", X, pos(3, 4))
case("floor_div", "floor_div", IN, JN := J)
case("floormod", "floormod", IN, JN)
case("to_int64", "to_int64", X * 3)
case("to_double", "to_double", IN)
case("nn_swish", "nn.swish", X)
case(
    "nn_conv1d_transpose",
    "nn.conv1d_transpose",
    r(1, 4, 4, seed=27),
    r(3, 2, 4, seed=28),
    [1, 8, 2],
    2,
    "SAME",
)
case("convert_to_tensor", "convert_to_tensor", [[1.5, 2.0]])
