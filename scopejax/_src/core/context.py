"""The only global state: a thread-local stack of frames, one per init/apply call.

A :class:`Frame` holds everything TensorFlow 1 kept in a ``tf.Graph`` while a
model was built: the variable store (key -> variable), the graph-name registry
used to uniquify names, the name stack, the current variable scope and its
sub-scope counters, collections, the device stack, plus what JAX needs: the
values (created at ``init``, read from the store at ``apply``), the rng and the
assignments recorded for ``apply_with_state``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scopejax._src.core import jaxcompat
from scopejax._src.core.errors import NotInTransformError, TracerLeakError
from scopejax._src.core.jaxcompat import is_eager as is_eager

_trace_state: Callable[..., Any] | None
try:  # public since jax 0.4.36
    from jax.extend.core import get_opaque_trace_state as _trace_state
except ImportError:  # pragma: no cover - older jax
    _trace_state = None

if TYPE_CHECKING:
    from scopejax._src.core.handle import VariableHandle
    from scopejax._src.core.scope import VariableScope


def current_trace_state() -> Any:
    """An opaque token of the JAX trace level we are running at (None if unknown)."""
    if _trace_state is None:  # pragma: no cover
        return None
    return _trace_state(convention="scopejax")


_take_trace: Callable[[], contextlib.AbstractContextManager[Any]] | None
try:  # public since jax 0.4.36
    from jax.extend.core import take_current_trace as _take_trace
except ImportError:  # pragma: no cover
    _take_trace = None


def current_trace() -> Any:
    """The JAX trace active now (variables of a frame are created in it, see _lift)."""
    trace = jaxcompat.current_trace()
    if trace is not None:
        return trace
    if _take_trace is None:  # pragma: no cover
        return None
    with _take_trace() as trace:  # pragma: no cover - jaxcompat's hook is missing
        return trace


def current_jax_name_stack() -> Any:
    return jaxcompat.current_name_stack()


class Frame:
    """The state of one ``init`` or ``apply`` call (TF1's graph, for one run)."""

    __slots__ = (
        "is_init",
        "init_key",
        "params",
        "mutable",
        "rng",
        "rng_count",
        "named_scopes",
        "names_in_use",
        "name_stack",
        "var_scope",
        "var_scope_counts",
        "scope_descendants",
        "journal",
        "journal_depth",
        "var_store",
        "variables",
        "collections",
        "value_ids",
        "assigned",
        "device_stack",
        "trace_state",
        "jax_base_stack",
        "used",
        "key_rng",
        "closed",
        "reg_losses",
        "initial",
        "plan",
        "owner_trace",
        "lifts",
        "param_colls",
        "max_bytes",
        "interceptors",
    )

    def __init__(
        self,
        *,
        is_init: bool,
        init_key: Any = None,
        params: dict[str, Any] | None = None,
        mutable: Any = False,
        rng: Any = None,
        named_scopes: bool = True,
        root_scope: VariableScope,
    ) -> None:
        self.is_init = is_init
        self.init_key = init_key
        self.params = params  # apply: the store's values by full name
        self.mutable = mutable
        self.rng = rng
        self.rng_count = 0
        # eager execution dispatches op by op: XLA metadata is not kept, skip the cost
        self.named_scopes = named_scopes and not is_eager()
        # --- TF1 graph state ---
        self.names_in_use: dict[str, int] = {}  # Graph._names_in_use (lower-cased)
        self.name_stack = ""  # Graph._name_stack
        self.var_scope: VariableScope = root_scope  # the root VariableScope (reuse=False)
        self.var_scope_counts: dict[str, int] = {}
        # scope name -> every counted scope name below it (TF scans all counters on
        # exit; this index makes closing a scope cost its own sub-scopes only)
        self.scope_descendants: dict[str, set[str]] = {}
        # undo log of counter changes, kept while a scope reopened by object is open
        # (TF1 restores a snapshot of every counter on its exit; this restores the same
        # state at the cost of the changes made inside, not of all counters)
        self.journal: list[tuple[str, int | None]] = []
        self.journal_depth = 0
        self.var_store: dict[str, VariableHandle] = {}  # get_variable key -> variable
        self.variables: dict[str, VariableHandle] = {}  # graph name -> variable
        self.collections: dict[str, list[Any]] = {}
        # --- JAX side ---
        self.value_ids: dict[int, tuple[VariableHandle, Any]] = {}  # id(array) -> (var, array)
        self.assigned: dict[str, Any] = {}
        self.device_stack: list[Any] = []
        self.trace_state = current_trace_state()
        self.jax_base_stack = current_jax_name_stack()
        self.used: set[str] = set()
        self.key_rng: Any = None  # key handed to a TF-style initializer's next_rng_key()
        self.closed = False
        self.reg_losses: list[tuple[str, Any]] = []  # (variable name, loss)
        self.initial: dict[str, Any] = {}  # init: each variable's initial value
        self.plan: Any = None  # fast init's discovery: a _fastinit.Plan
        self.owner_trace: Any = current_trace()  # where variables are created (see _lift)
        self.lifts: list[Any] = []  # open lifted bodies (sj.scan, sj.vmap, ...), innermost last
        self.param_colls: dict[str, Any] | None = None  # apply: each stored variable's collections
        self.max_bytes: int | None = None  # init: the most bytes one variable may take
        self.interceptors: list[Any] = []  # variable creation's chain (core/request.py)

    # -- TF's Graph.unique_name ------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """TF1's ``Graph.unique_name``: case-insensitive, ``name``, ``name_1``, ..."""
        if self.name_stack:
            name = self.name_stack + "/" + name
        names_in_use = self.names_in_use
        name_key = name.lower()
        i = names_in_use.get(name_key, 0)
        if mark_as_used:
            names_in_use[name_key] = i + 1
        if i > 0:
            base_name_key = name_key
            while name_key in names_in_use:
                name_key = f"{base_name_key}_{i}"
                i += 1
            if mark_as_used:
                names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    def release(self) -> None:
        """Break the frame <-> handle reference cycles once the call has returned.

        Without this every variable would leave cyclic garbage that only a full
        GC pass frees (with the arrays it holds); handles kept by the caller then
        report that their call has finished.
        """
        for handle in self.variables.values():
            handle._frame = None
        for d in (
            self.variables,
            self.var_store,
            self.collections,
            self.value_ids,
            self.initial,
            self.assigned,
        ):
            d.clear()
        self.reg_losses.clear()

    def open_scope(self, name: str) -> None:
        """TF's ``open_variable_scope``: count one more entry of scope ``name``."""
        counts = self.var_scope_counts
        n = counts.get(name)
        if self.journal_depth:
            self.journal.append((name, n))
        if n is None:
            counts[name] = 1
            desc = self.scope_descendants
            pos = name.find("/")
            while pos >= 0:
                desc.setdefault(name[:pos], set()).add(name)
                pos = name.find("/", pos + 1)
        else:
            counts[name] = n + 1

    def close_subscopes(self, name: str) -> None:
        """TF's ``close_variable_subscopes``: reset the counters below ``name``."""
        counts = self.var_scope_counts
        journal = self.journal if self.journal_depth else None
        for k in self.scope_descendants.get(name, ()):
            n = counts.get(k)
            if n:
                if journal is not None:
                    journal.append((k, n))
                counts[k] = 0

    def journal_mark(self) -> int:
        """Start recording counter changes; returns the position to undo back to."""
        self.journal_depth += 1
        return len(self.journal)

    def journal_undo(self, mark: int) -> None:
        """Restore every counter changed since ``mark`` (TF1's snapshot restore)."""
        journal, counts = self.journal, self.var_scope_counts
        while len(journal) > mark:
            key, old = journal.pop()
            if old is None:
                counts.pop(key, None)
            else:
                counts[key] = old
        self.journal_depth -= 1

    def check_trace(self, what: str, subject: str = "") -> None:
        """Raise TracerLeakError if we run inside a JAX transform opened in the function."""
        if self.trace_state is None or jaxcompat.same_trace(self.trace_state):
            return  # still in the frame's own trace (the usual case)
        state = current_trace_state()
        if state != self.trace_state and not any(lf.trace_state == state for lf in self.lifts):
            raise TracerLeakError(
                f"{what}{subject} inside a JAX transformation (jax.vmap, jax.jit, jax.lax.scan, "
                "jax.grad, ...) that was opened inside the transformed function. The value "
                "would be a tracer of that inner transformation and cannot be kept in the "
                "store. Use scopejax's lifted forms (sj.scan, sj.vmap, sj.remat, sj.cond, "
                "sj.switch, sj.layer_stack), create the variable before entering the inner "
                "transformation (call get_variable outside it and close over the value), or "
                "apply the JAX transformation to net.init / net.apply as a whole."
            )


class _State(threading.local):
    def __init__(self) -> None:
        self.frames: list[Frame] = []


_STATE = _State()


def frame_stack() -> list[Frame]:
    """This thread's frame stack (for tests and debugging)."""
    return _STATE.frames


def current_frame(api: str, subject: Any = None) -> Frame:
    """The innermost frame, or a NotInTransformError naming ``api`` (and ``subject``)."""
    frames = _STATE.frames
    if not frames:
        call = api if subject is None else f"{api}({subject!r})"
        verb = "called"
        if not api.startswith("module "):
            call = "scopejax." + call
        else:
            call, verb = call[len("module ") :], "built and used"
        raise NotInTransformError(
            f"{call} must be {verb} inside a function transformed with "
            "scopejax.transform. Wrap the code in a function and transform it:\n"
            "    net = scopejax.transform(fn)\n"
            "    store = net.init(jax.random.key(0), *args)\n"
            "    out = net.apply(store, *args)"
        )
    return frames[-1]


def maybe_frame() -> Frame | None:
    frames = _STATE.frames
    return frames[-1] if frames else None


class push_frame:  # noqa: N801 - a context manager: ``with push_frame(frame):``
    """Make ``frame`` current; always pops it, whatever the function raised."""

    __slots__ = ("frame", "stack")

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def __enter__(self) -> Frame:
        self.stack = _STATE.frames
        self.stack.append(self.frame)
        return self.frame

    def __exit__(self, *exc: Any) -> None:
        frame = self.frame
        frame.closed = True
        popped = self.stack.pop()
        assert popped is frame, "scopejax frame stack corrupted"


# -- name scopes reaching XLA ---------------------------------------------------
class _JaxScope:
    """Moves JAX's name stack from TF name scope ``old`` to ``new``."""

    __slots__ = ("cm",)

    def __init__(self, frame: Frame, old: str, new: str) -> None:
        import jax

        self.cm: Any = None
        if not frame.named_scopes or new == old:
            return
        if old and new.startswith(old + "/"):
            self.cm = jax.named_scope(new[len(old) + 1 :])
        elif not old:
            self.cm = jax.named_scope(new)
        elif jaxcompat.source_info is not None and frame.jax_base_stack is not None:
            base = frame.jax_base_stack
            self.cm = jaxcompat.set_name_stack(base.extend(new) if new else base)
        else:  # pragma: no cover
            return
        self.cm.__enter__()

    def close(self, exc: Any = (None, None, None)) -> None:
        if self.cm is not None:
            self.cm.__exit__(*exc)
            self.cm = None


def mutable_allows_collections(mutable: Any, collections: Any) -> bool:
    """Whether ``apply_with_state(..., mutable=mutable)`` lets ``collections`` change."""
    if mutable is True:
        return True
    if not mutable:
        return False
    keys = (mutable,) if isinstance(mutable, str) else tuple(mutable)
    return any(c in keys for c in collections)
