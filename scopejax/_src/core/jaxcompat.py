"""Every use of JAX's private API (``jax._src``), pinned in one place, each with a fallback.

scopejax needs four things JAX does not export publicly. Each is imported here, once;
when a JAX release moves one, its fallback keeps scopejax working (a bit slower or
with less profiler detail) and ``tests/test_jaxcompat.py`` fails loudly, naming it.

* ``source_info_util``: sets JAX's name stack directly, so an absolute TF1 name scope
  (``name_scope('a/')``) reaches the HLO metadata. Fallback: absolute scopes are not
  shown in the metadata.
* ``core.trace_ctx`` / ``EvalTrace``: whether code runs eagerly (name scopes and the
  eager program cache only matter when tracing / when not). Fallback: "not eager".
  The current trace is read from it too (``current_trace``; fallback: JAX's public
  ``take_current_trace``), and with ``OpaqueTraceState._trace_ref`` it tells, by
  identity, whether JAX still traces where a trace state was taken (``same_trace``).
  Fallback: "cannot tell", and the trace states are compared the public way.
* ``config.enable_x64``: the x64 flag, read about 2x faster than ``jax.config``.
  Fallback: ``jax.config.jax_enable_x64``.
* ``interpreters.partial_eval.dce_jaxpr``: drops the forward pass from fast init's
  discovery program. Fallback: the whole program runs.
* ``JaxprEqn.source_info.name_stack``: the name scopes an equation of ``jax.make_jaxpr``'s
  program was traced under, for ``sj.summary``'s graph (an attribute, not an import).
  Fallback: every op sits at the top of the graph.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

import jax

#: What is missing from this JAX (empty when every private hook was found).
MISSING: list[str] = []

source_info: ModuleType | None
try:
    from jax._src import source_info_util as source_info
except ImportError:  # pragma: no cover - depends on the JAX release
    source_info = None
    MISSING.append("jax._src.source_info_util")

try:
    from jax._src import core as _core

    _core.trace_ctx  # noqa: B018 - checked here, used in is_eager
    _EVAL_TRACE: Any = _core.EvalTrace
except (ImportError, AttributeError):  # pragma: no cover
    _core = None  # type: ignore[assignment]  # the fallback below never reads it
    _EVAL_TRACE = None
    MISSING.append("jax._src.core.trace_ctx / EvalTrace")

try:
    from jax._src import config as _config

    _X64_FLAG: Any = _config.enable_x64
except (ImportError, AttributeError):  # pragma: no cover
    _X64_FLAG = None
    MISSING.append("jax._src.config.enable_x64")

partial_eval: ModuleType | None
try:
    from jax._src.interpreters import partial_eval as _partial_eval

    _partial_eval.dce_jaxpr  # noqa: B018
    _partial_eval.convert_constvars_jaxpr  # noqa: B018
    partial_eval = _partial_eval
except (ImportError, AttributeError):  # pragma: no cover
    partial_eval = None
    MISSING.append("jax._src.interpreters.partial_eval.dce_jaxpr")


def is_eager() -> bool:
    """True when no JAX transformation is tracing (ops run one by one)."""
    if _EVAL_TRACE is None:  # pragma: no cover
        return False
    return type(_core.trace_ctx.trace) is _EVAL_TRACE


def current_trace() -> Any:
    """JAX's current trace, as ``jax.extend.core.take_current_trace()`` yields it, read
    without swapping it out and back (None when unavailable)."""
    if _core is None:  # pragma: no cover
        return None
    return _core.trace_ctx.trace


def same_trace(state: Any) -> bool:
    """True if JAX's current trace is the one ``state`` (an ``OpaqueTraceState``) was taken
    in, the trace still alive: exactly when ``get_opaque_trace_state() == state``, tested
    without building a state. False when it cannot tell."""
    if _core is None:  # pragma: no cover
        return False
    ref = getattr(state, "_trace_ref", None)
    return ref is not None and ref() is _core.trace_ctx.trace


def x64_enabled() -> bool:
    """``jax_enable_x64``."""
    if _X64_FLAG is None:  # pragma: no cover
        return bool(jax.config.read("jax_enable_x64"))
    return bool(_X64_FLAG.value)


def current_name_stack() -> Any:
    """JAX's current name stack (None when unavailable)."""
    if source_info is None:  # pragma: no cover
        return None
    return source_info.current_name_stack()


def set_name_stack(stack: Any) -> contextlib.AbstractContextManager[Any] | None:
    """A context manager that replaces JAX's name stack (None when unavailable)."""
    if source_info is None:  # pragma: no cover
        return None
    cm: contextlib.AbstractContextManager[Any] = source_info.set_name_stack(stack)
    return cm


def dce_jaxpr(jaxpr: Any, n_out: int) -> tuple[Any, bool]:
    """``(jaxpr with its consts as inputs and dead code removed, True)``, or ``(None,
    False)`` when the hook is unavailable."""
    if partial_eval is None:  # pragma: no cover
        return None, False
    kept, _ = partial_eval.dce_jaxpr(
        partial_eval.convert_constvars_jaxpr(jaxpr), [True] * n_out, instantiate=True
    )
    return kept, True


def eqn_name_stack(eqn: Any) -> str:
    """The name-scope path (``"model/l1"``) an equation of a jaxpr was traced under, relative
    to the enclosing call's; ``""`` when this JAX does not record it."""
    stack = getattr(getattr(eqn, "source_info", None), "name_stack", None)
    return "" if stack is None else str(stack)


def array_and_tracer_classes() -> list[type]:
    """JAX's concrete array class and its tracer base class (where ``.shape`` lives).

    Returns:
      ``[ArrayImpl, Tracer]``.
    """
    from jax._src import array, core

    return [array.ArrayImpl, core.Tracer]
