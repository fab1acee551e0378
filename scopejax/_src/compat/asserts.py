"""TF1's ``tf.control_dependencies`` and the comparison asserts (``tf.assert_equal``,
``assert_less``, ``assert_less_equal``, ``assert_greater``, ``assert_greater_equal``).

JAX orders operations by their data, so ``control_dependencies`` is a context manager
that changes nothing (the assignments of ``sj.assign`` already take effect in program
order). An assert on values known while the model is built (Python numbers, NumPy
arrays, concrete JAX arrays: shapes, lengths, configuration) is checked at once and
raises :class:`InvalidArgumentError` with TF's message, as TF1's graph mode does for
statically known inputs (recorded: ``tests/compat_recordings/record_asserts.py``). On
traced values (inside ``jit`` or ``grad``) nothing can be checked while tracing: the
assert does nothing; check such data with ``jax.experimental.checkify``.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator
from typing import Any

import jax
import numpy as np

from scopejax._src.core.errors import ScopejaxError


class InvalidArgumentError(ScopejaxError, ValueError):
    """``tf.errors.InvalidArgumentError``: an assert on known values did not hold."""


@contextlib.contextmanager
def control_dependencies(control_inputs: Any) -> Iterator[None]:
    """``tf.control_dependencies``: does nothing (JAX orders operations by their data).

    Args:
      control_inputs: ignored (a list of ops, or None).

    Yields:
      None.

    >>> import scopejax.compat.v1 as tf
    >>> with tf.control_dependencies([tf.assert_less_equal(3, 4)]):
    ...     pass
    """
    del control_inputs
    yield


def _concrete(x: Any) -> np.ndarray | None:
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def _binary_assert(
    sym: str, op: Callable[[Any, Any], Any], x: Any, y: Any, message: Any, opname: str
) -> None:
    a, b = _concrete(x), _concrete(y)
    if a is None or b is None:
        return None
    if not np.all(op(a, b)):
        head = f"{message}\n" if message else ""
        raise InvalidArgumentError(
            f"{head}Condition x {sym} y did not hold element-wise:\nx = \n{a}\ny = \n{b}\n"
            f"({opname}: the values are known while the model is built, as in TF1's graph "
            "mode, so the assert fails now.)"
        )
    return None


def _assert(sym: str, op: Callable[[Any, Any], Any], opname: str) -> Callable[..., None]:
    def fn(
        x: Any,
        y: Any,
        data: Any = None,
        summarize: Any = None,
        message: Any = None,
        name: Any = None,
    ) -> None:
        return _binary_assert(sym, op, x, y, message, opname)

    fn.__name__ = opname
    fn.__qualname__ = opname
    fn.__doc__ = f"""``tf.{opname}``: checks ``x {sym} y`` element-wise (with broadcasting) on
    values known while the model is built; does nothing on traced values.

    Args:
      x: a number or array.
      y: a number or array.
      data: ignored (TF prints it on failure).
      summarize: ignored.
      message: put first in the error.
      name: ignored.

    Returns:
      None (there is no op to depend on; see ``control_dependencies``).

    Raises:
      InvalidArgumentError: the values are known and the condition does not hold.
    """
    return fn


assert_equal = _assert("==", operator.eq, "assert_equal")
assert_less = _assert("<", operator.lt, "assert_less")
assert_less_equal = _assert("<=", operator.le, "assert_less_equal")
assert_greater = _assert(">", operator.gt, "assert_greater")
assert_greater_equal = _assert(">=", operator.ge, "assert_greater_equal")
