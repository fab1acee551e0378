"""More op cases (tf.math / tf.linalg / tf.losses / tf.image / tf.nn extras, scatter_nd),
recorded from TensorFlow by record_ops2.py and replayed by tests/test_compat_ops2.py.
Same format as cases.py: ``(id, op, args, kwargs)``; NumPy only."""

from __future__ import annotations

import numpy as np
from cases import IMG, IMG_NCHW, IN, M, X, Y, pos, r

CASES: list[tuple[str, str, list, dict]] = []


def case(id_: str, op: str, *args, **kwargs) -> None:
    CASES.append((id_, op, list(args), kwargs))


# tf.math extras
for op in ("tan", "atan", "sinh", "cosh", "expm1", "erfc", "log_sigmoid", "softplus"):
    case(f"math_{op}", f"math.{op}", X * 0.5)
for op in ("asin", "acos"):
    case(f"math_{op}", f"math.{op}", r(3, 4, seed=20, lo=-0.9, hi=0.9))
for op in ("lgamma", "digamma"):
    case(f"math_{op}", f"math.{op}", pos(3, 4, seed=21))
case("atan2", "atan2", Y, M)
case("div_no_nan", "div_no_nan", Y, np.where(M > 0, M, 0).astype(np.float32))
case("math_divide_no_nan", "math.divide_no_nan", X, np.float32(0.0))
case("count_nonzero_all", "count_nonzero", IN)
case("count_nonzero_axis_keep", "count_nonzero", IN, axis=1, keep_dims=True)
case(
    "count_nonzero_floats", "math.count_nonzero", np.array([[0.0, 1.5], [0.0, 0.0]], np.float32), 0
)
case("cumprod", "cumprod", Y, 1)
case("cumprod_exclusive_reverse", "cumprod", Y, axis=0, exclusive=True, reverse=True)
case("reduce_std", "math.reduce_std", X, axis=[0, 2])
case("reduce_variance_keep", "math.reduce_variance", X, axis=-1, keepdims=True)
SEG = np.array([0, 2, 0, 1, 2, 2], np.int32)
DATA = r(6, 3, seed=22)
for op in ("unsorted_segment_sum", "unsorted_segment_max", "unsorted_segment_min"):
    case(op, f"math.{op}", DATA, SEG, 4)  # segment 3 is empty
case(
    "scatter_nd_vector",
    "scatter_nd",
    np.array([[4], [3], [1], [7], [1]], np.int32),
    np.array([9, 10, 11, 12, 13], np.float32),
    [8],
)
case("scatter_nd_slices", "scatter_nd", np.array([[0], [2]], np.int32), r(2, 3, seed=23), [4, 3])
case(
    "scatter_nd_2d_index",
    "scatter_nd",
    np.array([[0, 1], [2, 2], [0, 1]], np.int32),
    np.array([1.0, 2.0, 3.0], np.float32),
    np.array([3, 3], np.int32),
)
case("math_l2_normalize", "math.l2_normalize", Y, 1)
case("math_top_k", "math.top_k", Y, 2)

# tf.linalg
SPD = (lambda a: (a @ a.T + 4 * np.eye(4)).astype(np.float32))(r(4, 4, seed=24))
SPD_B = np.stack([SPD, SPD * 2 + np.eye(4, dtype=np.float32)])
LOWER = np.tril(r(4, 4, seed=25)) + 3 * np.eye(4, dtype=np.float32)
case("linalg_det", "linalg.det", SPD_B)
case("matrix_determinant", "matrix_determinant", r(3, 3, seed=26))
case("linalg_slogdet", "linalg.slogdet", r(2, 3, 3, seed=27))
case("linalg_logdet", "linalg.logdet", SPD_B)
case("linalg_inv", "linalg.inv", SPD_B)
case(
    "matrix_inverse_adjoint",
    "matrix_inverse",
    r(3, 3, seed=28) + 3 * np.eye(3, dtype=np.float32),
    adjoint=True,
)
case("linalg_cholesky", "linalg.cholesky", SPD_B)
case("linalg_solve", "linalg.solve", SPD_B, r(2, 4, 2, seed=29))
case(
    "matrix_solve_adjoint",
    "matrix_solve",
    r(3, 3, seed=30) + 3 * np.eye(3, dtype=np.float32),
    r(3, 2, seed=31),
    adjoint=True,
)
case("linalg_triangular_solve_lower", "linalg.triangular_solve", LOWER, r(4, 2, seed=32))
case(
    "matrix_triangular_solve_upper_adjoint",
    "matrix_triangular_solve",
    LOWER.T.copy(),
    r(4, 2, seed=33),
    lower=False,
    adjoint=True,
)
case("linalg_diag", "linalg.diag", r(2, 3, seed=34))
case("matrix_diag_part", "matrix_diag_part", r(2, 3, 4, seed=35))
case("linalg_set_diag", "linalg.set_diag", r(2, 3, 4, seed=36), r(2, 3, seed=37))
case("linalg_trace", "linalg.trace", r(2, 3, 4, seed=38))
case("trace", "trace", r(3, 3, seed=39))
case("linalg_transpose", "linalg.transpose", X)
case("matrix_transpose", "matrix_transpose", X)
case("linalg_adjoint", "linalg.adjoint", X)
case("linalg_eye", "linalg.eye", 3, 4)
case("eye_batch", "eye", 2, batch_shape=[3], dtype="int32")
case("linalg_matvec", "linalg.matvec", X, r(2, 4, seed=40))
case("linalg_matvec_transpose", "linalg.matvec", X, r(2, 3, seed=41), transpose_a=True)
case("linalg_band_part", "linalg.band_part", r(4, 4, seed=42), 1, 0)
case("linalg_matmul", "linalg.matmul", M, Y, transpose_b=True)
case("linalg_einsum", "linalg.einsum", "ij,kj->ik", M, Y)
case("tensordot_int", "tensordot", X, r(4, 5, seed=43), 1)
case("tensordot_lists", "linalg.tensordot", X, r(3, 2, 5, seed=44), [[1, 0], [0, 1]])
case("norm_default", "norm", X)
case("norm_axis", "norm", X, axis=-1, keep_dims=True)
case("norm_ord1", "linalg.norm", X, ord=1, axis=1)
case("norm_inf", "norm", Y, ord=np.inf, axis=0)
case("norm_p3", "norm", Y, ord=3, axis=1)
case("norm_fro_matrix", "norm", X, ord="fro", axis=[1, 2])
case("norm_matrix_1", "norm", X, ord=1, axis=[-2, -1])
case("norm_matrix_inf", "norm", X, ord=np.inf, axis=(1, 2), keepdims=True)

# tf.nn extras
DW = r(3, 3, 3, 2, seed=45)
PW = r(1, 1, 6, 4, seed=46)
case("depthwise_conv2d_same", "nn.depthwise_conv2d", IMG, DW, [1, 1, 1, 1], "SAME")
case("depthwise_conv2d_valid_stride", "nn.depthwise_conv2d", IMG, DW, [1, 2, 2, 1], "VALID")
case("depthwise_conv2d_rate", "nn.depthwise_conv2d", IMG, DW, [1, 1, 1, 1], "SAME", rate=[2, 2])
case(
    "depthwise_conv2d_nchw",
    "nn.depthwise_conv2d",
    IMG_NCHW,
    DW,
    [1, 1, 1, 1],
    "SAME",
    data_format="NCHW",
)
case("separable_conv2d", "nn.separable_conv2d", IMG, DW, PW, [1, 1, 1, 1], "SAME")
case("separable_conv2d_valid_stride", "nn.separable_conv2d", IMG, DW, PW, [1, 2, 2, 1], "VALID")
case("lrn_defaults", "nn.lrn", r(2, 3, 3, 8, seed=47))
case(
    "local_response_normalization",
    "nn.local_response_normalization",
    r(2, 3, 3, 8, seed=48),
    depth_radius=2,
    bias=2.0,
    alpha=1e-2,
    beta=0.75,
)

# tf.image
SMALL = r(2, 3, 4, 2, seed=49)
for size in ([5, 7], [2, 3], [6, 8]):
    tag = f"{size[0]}x{size[1]}"
    case(f"resize_bilinear_{tag}", "image.resize_bilinear", SMALL, size)
    case(f"resize_bilinear_{tag}_align", "image.resize_bilinear", SMALL, size, align_corners=True)
    case(
        f"resize_bilinear_{tag}_half", "image.resize_bilinear", SMALL, size, half_pixel_centers=True
    )
    case(f"resize_nearest_{tag}", "image.resize_nearest_neighbor", SMALL, size)
    case(
        f"resize_nearest_{tag}_align",
        "image.resize_nearest_neighbor",
        SMALL,
        size,
        align_corners=True,
    )
    case(
        f"resize_nearest_{tag}_half",
        "image.resize_nearest_neighbor",
        SMALL,
        size,
        half_pixel_centers=True,
    )
case("resize_images_bilinear", "image.resize_images", SMALL, [5, 6])
case(
    "resize_images_nearest_int",
    "image.resize_images",
    (SMALL * 10).astype(np.int32),
    [5, 6],
    method=1,
)
case("resize_images_unbatched", "image.resize_images", SMALL[0], [4, 4], align_corners=True)

# tf.losses: each loss under each weighting and reduction
LAB = r(4, 3, seed=50, lo=0, hi=1)
PRED = r(4, 3, seed=51, lo=0.05, hi=0.95)
W_FULL = np.array([[1, 0, 2], [0, 0, 0], [0.5, 1, 1], [3, 0, 1]], np.float32)
W_ROW = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)
WEIGHTS = {"scalar": 2.0, "zero": 0.0, "row": W_ROW, "full": W_FULL}
REDUCTIONS = {
    "none": "none",
    "sum": "weighted_sum",
    "mean": "weighted_mean",
    "batch": "weighted_sum_over_batch_size",
    "nonzero": "weighted_sum_by_nonzero_weights",
}
for loss in ("absolute_difference", "mean_squared_error", "huber_loss", "log_loss"):
    case(f"losses_{loss}_default", f"losses.{loss}", LAB, PRED)
    for wname, w in WEIGHTS.items():
        for rname, red in REDUCTIONS.items():
            if loss != "absolute_difference" and (wname, rname) not in (
                ("full", "nonzero"),
                ("row", "mean"),
            ):
                continue  # the full grid once; the other losses share compute_weighted_loss
            case(
                f"losses_{loss}_{wname}_{rname}",
                f"losses.{loss}",
                LAB,
                PRED,
                weights=w,
                reduction=red,
            )
case("losses_huber_delta", "losses.huber_loss", LAB * 4, PRED, delta=0.5)
case(
    "losses_cosine_distance",
    "losses.cosine_distance",
    LAB / np.linalg.norm(LAB, axis=1, keepdims=True),
    PRED / np.linalg.norm(PRED, axis=1, keepdims=True),
    axis=1,
    weights=W_ROW,
)
LOGITS = r(4, 3, seed=52, lo=-3, hi=3)
ONEHOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
SPARSE = np.array([0, 2, 1, 2], np.int32)
W_BATCH = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
case("losses_hinge", "losses.hinge_loss", (LAB > 0.5).astype(np.float32), LOGITS)
case("losses_softmax_ce", "losses.softmax_cross_entropy", ONEHOT, LOGITS)
case("losses_softmax_ce_weights", "losses.softmax_cross_entropy", ONEHOT, LOGITS, weights=W_BATCH)
case(
    "losses_softmax_ce_smoothing",
    "losses.softmax_cross_entropy",
    ONEHOT,
    LOGITS,
    label_smoothing=0.1,
)
case("losses_softmax_ce_none", "losses.softmax_cross_entropy", ONEHOT, LOGITS, reduction="none")
case("losses_sparse_softmax_ce", "losses.sparse_softmax_cross_entropy", SPARSE, LOGITS)
case(
    "losses_sparse_softmax_ce_weights",
    "losses.sparse_softmax_cross_entropy",
    SPARSE,
    LOGITS,
    weights=W_BATCH,
)
case(
    "losses_sparse_softmax_ce_column",
    "losses.sparse_softmax_cross_entropy",
    SPARSE[:, None].copy(),
    LOGITS,
    weights=W_BATCH[:, None].copy(),
)
case("losses_sigmoid_ce", "losses.sigmoid_cross_entropy", (LAB > 0.5).astype(np.float32), LOGITS)
case(
    "losses_sigmoid_ce_smoothing_full",
    "losses.sigmoid_cross_entropy",
    (LAB > 0.5).astype(np.float32),
    LOGITS,
    weights=W_FULL,
    label_smoothing=0.2,
)
case(
    "losses_sigmoid_ce_sum",
    "losses.sigmoid_cross_entropy",
    (LAB > 0.5).astype(np.float32),
    LOGITS,
    reduction="weighted_sum",
)
case("losses_compute_weighted_loss", "losses.compute_weighted_loss", LAB, weights=W_ROW)
case(
    "losses_compute_weighted_loss_batch",
    "losses.compute_weighted_loss",
    LAB,
    W_FULL,
    reduction="weighted_sum_over_batch_size",
)
