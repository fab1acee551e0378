"""``tf.linalg.LinearOperatorLowerTriangular``: TF's lower-triangular linear operator
over the last two axes of a (batched) matrix.

TF1 model code builds causal masks with it (``LinearOperatorLowerTriangular(ones)
.to_dense()``, Kyubyong's Transformer). The methods follow TF's
``linear_operator_lower_triangular.py`` and ``linear_operator.py``: only the lower
triangle of ``tril`` is read; ``matmul`` / ``solve`` take ``adjoint`` and
``adjoint_arg``; the determinant is the product of the diagonal. Recorded from TF
(``tests/compat_recordings/record_linear_operator.py``).
"""

from __future__ import annotations

import builtins
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.compat.ops import convert_to_tensor
from scopejax._src.compat.tensor import TensorShape


def _adj(x: jax.Array) -> jax.Array:
    return jnp.conj(jnp.swapaxes(x, -1, -2))


class LinearOperatorLowerTriangular:
    """``tf.linalg.LinearOperatorLowerTriangular``: the operator of the lower triangle
    of ``tril`` (``[..., N, N]``; the strictly upper triangle is ignored).

    Args:
      tril: the matrix (or batch of matrices), rank >= 2.
      is_non_singular: a hint, kept as an attribute.
      is_self_adjoint: a hint, kept as an attribute.
      is_positive_definite: a hint, kept as an attribute.
      is_square: must not be False (TF supports square operators only).
      name: ignored.

    Raises:
      ValueError: ``tril`` has rank < 2, or ``is_square=False``.

    >>> import numpy as np
    >>> import scopejax.compat.v1 as tf
    >>> np.asarray(tf.linalg.LinearOperatorLowerTriangular(np.ones((3, 3))).to_dense())
    array([[1., 0., 0.],
           [1., 1., 0.],
           [1., 1., 1.]], dtype=float32)
    """

    def __init__(
        self,
        tril: Any,
        is_non_singular: builtins.bool | None = None,
        is_self_adjoint: builtins.bool | None = None,
        is_positive_definite: builtins.bool | None = None,
        is_square: builtins.bool | None = None,
        name: str = "LinearOperatorLowerTriangular",
    ) -> None:
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        tril = convert_to_tensor(tril)
        if tril.ndim < 2:
            raise ValueError(
                f"Argument tril must have at least 2 dimensions.  Found: shape {tril.shape}"
            )
        self._tril = tril
        self.is_non_singular = is_non_singular
        self.is_self_adjoint = is_self_adjoint
        self.is_positive_definite = is_positive_definite
        self.is_square = True
        self.name = name

    @property
    def shape(self) -> TensorShape:
        """The operator's shape, ``tril``'s."""
        return TensorShape(self._tril.shape)

    @property
    def dtype(self) -> Any:
        """The operator's dtype, ``tril``'s."""
        return self._tril.dtype

    @property
    def batch_shape(self) -> TensorShape:
        """The leading (batch) axes of the shape."""
        return TensorShape(self._tril.shape[:-2])

    def to_dense(self, name: str | None = None) -> jax.Array:
        """The lower triangle of ``tril`` as a dense matrix.

        Args:
          name: ignored.

        Returns:
          ``[..., N, N]``, zeros above the diagonal.
        """
        return jnp.tril(self._tril)

    def diag_part(self, name: str | None = None) -> jax.Array:
        """The main diagonal.

        Args:
          name: ignored.

        Returns:
          ``[..., N]``.
        """
        return jnp.diagonal(self._tril, axis1=-2, axis2=-1)

    def matmul(
        self,
        x: Any,
        adjoint: builtins.bool = False,
        adjoint_arg: builtins.bool = False,
        name: str | None = None,
    ) -> jax.Array:
        """``A @ x`` (``A^H`` with ``adjoint``, ``x^H`` with ``adjoint_arg``).

        Args:
          x: ``[..., N, R]``.
          adjoint: use the operator's adjoint.
          adjoint_arg: use ``x``'s adjoint.
          name: ignored.

        Returns:
          The product.
        """
        a = self.to_dense()
        x = convert_to_tensor(x)
        return jnp.matmul(_adj(a) if adjoint else a, _adj(x) if adjoint_arg else x)

    def matvec(self, x: Any, adjoint: builtins.bool = False, name: str | None = None) -> jax.Array:
        """``A @ x`` for a (batch of) vector(s) ``x``: ``[..., N]``.

        Args:
          x: ``[..., N]``.
          adjoint: use the operator's adjoint.
          name: ignored.

        Returns:
          ``[..., M]``.
        """
        return self.matmul(convert_to_tensor(x)[..., None], adjoint=adjoint)[..., 0]

    def solve(
        self,
        rhs: Any,
        adjoint: builtins.bool = False,
        adjoint_arg: builtins.bool = False,
        name: str | None = None,
    ) -> jax.Array:
        """``X`` with ``A @ X = rhs`` (by triangular substitution).

        Args:
          rhs: ``[..., N, R]``.
          adjoint: solve with the operator's adjoint.
          adjoint_arg: use ``rhs``'s adjoint.
          name: ignored.

        Returns:
          ``[..., N, R]``.
        """
        rhs = convert_to_tensor(rhs)
        rhs = _adj(rhs) if adjoint_arg else rhs
        return jax.scipy.linalg.solve_triangular(
            self._tril, rhs, trans="C" if adjoint else 0, lower=True
        )

    def solvevec(
        self, rhs: Any, adjoint: builtins.bool = False, name: str | None = None
    ) -> jax.Array:
        """:meth:`solve` for a (batch of) vector(s).

        Args:
          rhs: ``[..., N]``.
          adjoint: solve with the operator's adjoint.
          name: ignored.

        Returns:
          ``[..., N]``.
        """
        return self.solve(convert_to_tensor(rhs)[..., None], adjoint=adjoint)[..., 0]

    def determinant(self, name: str | None = None) -> jax.Array:
        """The product of the diagonal.

        Args:
          name: ignored.

        Returns:
          ``[...]``.
        """
        return jnp.prod(self.diag_part(), axis=-1)

    def log_abs_determinant(self, name: str | None = None) -> jax.Array:
        """The sum of the logs of the diagonal's absolute values.

        Args:
          name: ignored.

        Returns:
          ``[...]``.
        """
        return jnp.sum(jnp.log(jnp.abs(self.diag_part())), axis=-1)

    def trace(self, name: str | None = None) -> jax.Array:
        """The sum of the diagonal.

        Args:
          name: ignored.

        Returns:
          ``[...]``.
        """
        return jnp.sum(self.diag_part(), axis=-1)

    def add_to_tensor(self, x: Any, name: str | None = None) -> jax.Array:
        """``to_dense() + x``.

        Args:
          x: broadcastable to the operator's shape.
          name: ignored.

        Returns:
          The sum.
        """
        return self.to_dense() + convert_to_tensor(x)
