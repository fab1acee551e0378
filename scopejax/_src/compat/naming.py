"""TF1 op names in the compiled program: each compat op names itself as TF1 does.

A call of a compat op (``tf.matmul(a, b)``, ``tf.nn.relu(h, name="act")``) takes the
name TF1 would give it, ``name=`` or its op type (:data:`OP_NAMES`: ``MatMul``,
``Relu``, ``moments`` for an op that opens a name scope in TF1), made unique within
the current name scope by the same counter TF1's graph uses for scopes and ops
(``MatMul``, ``MatMul_1``, and a later ``name_scope("MatMul")`` is ``MatMul_2``), and
traces under that name in JAX's name stack, so that the HLO metadata and the profiler
show ``model/encoder/MatMul``. Outside a transformed function, or when name scopes do
not reach JAX (eager calls, ``named_scopes=False``), only the name is counted.

Python operators (``a + b``) and scopejax's own functions are not named (TF1 calls
``a + b`` ``add``).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable
from typing import Any

from scopejax._src.compat.op_names import OP_NAMES
from scopejax._src.core import jaxcompat
from scopejax._src.core.context import maybe_frame

_CTX = getattr(jaxcompat.source_info, "_source_info_context", None)
_ENABLED = [True]


def set_enabled(on: bool) -> None:
    """Turns op naming on or off (for measurements; on by default)."""
    _ENABLED[0] = bool(on)


def tf_named(fn: Callable[..., Any], op_name: str) -> Callable[..., Any]:
    """``fn`` naming each call ``op_name`` (or its ``name=``) as TF1 does.

    Args:
      fn: a compat op.
      op_name: TF1's default name for it.

    Returns:
      The wrapped op (``__wrapped__`` is ``fn``).
    """

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        frame = maybe_frame()
        if frame is None or not _ENABLED[0]:
            return fn(*args, **kwargs)
        naming = frame.naming
        given = kwargs.get("name")
        full = naming.unique_name(given if isinstance(given, str) and given else op_name)
        if not naming._named or _CTX is None:
            return fn(*args, **kwargs)
        stack = naming._stack
        leaf = full[len(stack) + 1 :] if stack else full
        prev = _CTX.context
        _CTX.context = prev.replace(name_stack=prev.name_stack.extend(leaf))
        try:
            return fn(*args, **kwargs)
        finally:
            _CTX.context = prev

    op.__tf_op_name__ = op_name  # type: ignore[attr-defined]
    return op


def install(root: types.ModuleType, modules: Iterable[types.ModuleType]) -> int:
    """Wraps every op of :data:`OP_NAMES` (paths under ``root``): the path's own attribute
    gets the wrapper for its TF1 name (``tf.floordiv``: ``floordiv``, ``tf.floor_div``:
    ``FloorDiv``, one function), and the same function under another name in ``modules``
    (``tf.math.add``) gets the first path's wrapper, so ``tf.math.add is tf.add``.

    Args:
      root: ``scopejax.compat.v1``.
      modules: the public modules whose other attributes are swept.

    Returns:
      The number of wrappers made.
    """
    made: dict[tuple[int, str], Any] = {}
    first: dict[int, Any] = {}
    for path, op_name in OP_NAMES.items():
        *parents, attr = path.split(".")
        holder: Any = root
        for part in parents:
            holder = getattr(holder, part, None)
        obj = getattr(holder, attr, None)
        if obj is None:
            continue
        obj = getattr(obj, "__tf_wrapped__", obj)
        key = (id(obj), op_name)
        if key not in made:
            made[key] = tf_named(obj, op_name)
            made[key].__tf_wrapped__ = obj
        first.setdefault(id(obj), made[key])
        setattr(holder, attr, made[key])
    for module in modules:
        for attr, value in list(vars(module).items()):
            w = first.get(id(value))
            if w is not None:
                setattr(module, attr, w)
    return len(made)
