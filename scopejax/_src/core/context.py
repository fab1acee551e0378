"""The only global state: a thread-local stack of frames, one per init/apply call.

A :class:`Frame` holds everything TensorFlow 1 kept in a ``tf.Graph`` while a
model was built, plus what JAX needs, in parts that each belong to one module
(see :class:`Frame`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scopejax._src.core import jaxcompat
from scopejax._src.core.errors import NotInTransformError
from scopejax._src.core.graph import Collections, Registry
from scopejax._src.core.jaxcompat import is_eager as is_eager

_trace_state: Callable[..., Any] | None
try:  # public since jax 0.4.36
    from jax.extend.core import get_opaque_trace_state as _trace_state
except ImportError:  # pragma: no cover - older jax
    _trace_state = None


if TYPE_CHECKING:
    from scopejax._src.core.rng import RngState
    from scopejax._src.core.scope import Naming


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


class Frame:
    """The state of one ``init`` or ``apply`` call (TF1's graph, for one run).

    The frame is a container of parts; each part belongs to one module, and only that
    module reads its fields (``tests/test_frame_parts.py`` checks it):

    ============  =======================================  ==============================
    part          what                                     owner
    ============  =======================================  ==============================
    ``naming``    name stack, variable scope, counters     ``core/scope.py`` (Naming)
    ``registry``  the call's variables by name/key/value   ``core/graph.py`` (Registry)
    ``colls``     TF1 collections                          ``core/graph.py`` (Collections)
    ``rngs``      ``next_rng_key`` state                   ``core/rng.py`` (RngState)
    ``devices``   the ``sj.device`` stack                  ``core/device.py``
    ``chain``     variable creation's interceptors         ``core/request.py``
    ``plan``      fast init's discovery plan               ``core/fastinit.py`` (Plan)
    ``lifts``     open lifted bodies (sj.scan, sj.vmap)    ``core/lifting.py``
    ============  =======================================  ==============================

    The rest describes the call and is read-only once the frame is made: ``is_init``,
    ``init_key``, ``params`` (apply: the store's values by name), ``param_colls``
    (apply: each stored variable's collections), ``mutable`` and ``max_bytes`` (init:
    the most bytes one variable may take); ``trace_state``/``owner_trace`` say which
    JAX trace the call's variables belong to (:meth:`follow_current_trace`).
    """

    __slots__ = (
        "is_init",
        "init_key",
        "params",
        "param_colls",
        "mutable",
        "max_bytes",
        "trace_state",
        "owner_trace",
        "closed",
        "naming",
        "registry",
        "colls",
        "rngs",
        "devices",
        "chain",
        "plan",
        "lifts",
    )

    def __init__(
        self,
        *,
        naming: Naming,
        rngs: RngState,
        is_init: bool,
        init_key: Any = None,
        params: dict[str, Any] | None = None,
        param_colls: dict[str, Any] | None = None,
        mutable: Any = False,
        max_bytes: int | None = None,
        interceptors: list[Any] | None = None,
    ) -> None:
        self.is_init = is_init
        self.init_key = init_key
        self.params = params
        self.param_colls = param_colls
        self.mutable = mutable
        self.max_bytes = max_bytes
        self.closed = False
        self.trace_state = current_trace_state()
        self.owner_trace: Any = current_trace()  # where variables are created (see lifting)
        self.naming = naming
        self.registry = Registry()
        self.colls = Collections()
        self.rngs = rngs
        self.devices: list[Any] = []
        self.chain: list[Any] = [] if interceptors is None else interceptors
        self.plan: Any = None
        self.lifts: list[Any] = []

    def follow_current_trace(self) -> None:
        """Make the JAX trace running now the one this call's variables belong to."""
        self.trace_state = current_trace_state()
        self.owner_trace = current_trace()

    def release(self) -> None:
        """Break the frame <-> handle reference cycles once the call has returned.

        Without this every variable would leave cyclic garbage that only a full
        GC pass frees (with the arrays it holds); handles kept by the caller then
        report that their call has finished.
        """
        self.registry.release()
        self.colls.clear()


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


def mutable_allows_collections(mutable: Any, collections: Any) -> bool:
    """Whether ``apply_with_state(..., mutable=mutable)`` lets ``collections`` change."""
    if mutable is True:
        return True
    if not mutable:
        return False
    keys = (mutable,) if isinstance(mutable, str) else tuple(mutable)
    return any(c in keys for c in collections)
