"""``tf.linalg``: batched matrix ops over the last two axes."""

# ruff: noqa: F401
from scopejax._src.compat.extra_ops import adjoint as adjoint
from scopejax._src.compat.extra_ops import cholesky as cholesky
from scopejax._src.compat.extra_ops import eye as eye
from scopejax._src.compat.extra_ops import logdet as logdet
from scopejax._src.compat.extra_ops import matrix_determinant as det
from scopejax._src.compat.extra_ops import matrix_diag as diag
from scopejax._src.compat.extra_ops import matrix_diag_part as diag_part
from scopejax._src.compat.extra_ops import matrix_inverse as inv
from scopejax._src.compat.extra_ops import matrix_set_diag as set_diag
from scopejax._src.compat.extra_ops import matrix_solve as solve
from scopejax._src.compat.extra_ops import matrix_transpose as transpose
from scopejax._src.compat.extra_ops import matrix_triangular_solve as triangular_solve
from scopejax._src.compat.extra_ops import matvec as matvec
from scopejax._src.compat.extra_ops import norm as norm
from scopejax._src.compat.extra_ops import slogdet as slogdet
from scopejax._src.compat.extra_ops import tensordot as tensordot
from scopejax._src.compat.extra_ops import trace as trace
from scopejax._src.compat.linear_operator import (
    LinearOperatorLowerTriangular as LinearOperatorLowerTriangular,
)
from scopejax._src.compat.nn_ops import l2_normalize as l2_normalize
from scopejax._src.compat.ops import einsum as einsum
from scopejax._src.compat.ops import matmul as matmul
from scopejax._src.compat.ops import matrix_band_part as band_part
