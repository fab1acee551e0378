"""``Module``: the ``tf.Module`` idea on the store.

A module owns a variable scope. Its name is made unique under the enclosing
variable scope when it is built (``dense``, ``dense_1``; an explicit name is
kept as given, and a second module of the same name collides loudly when it
creates its variables, as TF1 variable scopes do). Every public method runs
inside that scope (and its name scope, for the profiler): variables are created
on the first call and shared by every later call.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

from scopejax._src.core.context import Frame, current_frame, maybe_frame
from scopejax._src.core.scope import AUTO_REUSE, Reuse, VariableScope, capture_scope, reopen

_TRAINABLE = "trainable_variables"


@functools.lru_cache(maxsize=1024)
def camel_to_snake(name: str) -> str:
    """TF1's layer naming: ``Conv2D`` -> ``conv2d``, ``LSTMCell`` -> ``lstm_cell``."""
    intermediate = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return snake if snake[0] != "_" else "private" + snake


def _wrap_method(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapped(self: Module, *args: Any, **kwargs: Any) -> Any:
        with self._enter():
            return method(self, *args, **kwargs)

    wrapped._sj_wrapped = True  # type: ignore[attr-defined]  # a marker on the function object
    return wrapped


def _wrap_init(init: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(init)
    def wrapped(self: Module, *args: Any, **kwargs: Any) -> None:
        depth = self.__dict__.get("_sj_init_depth", 0)
        self.__dict__["_sj_init_depth"] = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            self.__dict__["_sj_init_depth"] = depth
            if depth == 0:
                self._close_init_scope()

    wrapped._sj_wrapped = True  # type: ignore[attr-defined]  # a marker on the function object
    return wrapped


class _Entered(reopen):
    """Enters a module's variable scope (reopened by object) and name scope."""

    __slots__ = ("module", "outer")

    def __init__(self, module: Module) -> None:
        self.module = module

    def __enter__(self) -> VariableScope:
        m = self.module
        frame = maybe_frame()
        if frame is None:  # the error that shows the fix
            frame = current_frame(f"module {type(m).__name__} method")
        scope = m._scope
        if scope is None:  # scope_on_first_call: capture it now (TF1 tf.layers.Layer)
            scope = m._capture(frame)
        self.outer = m._depth == 0 and m._called_in is not frame
        reuse: Reuse
        if self.outer:
            reuse = None  # first call in this init/apply: the captured scope's reuse
        else:
            reuse = True if scope.reuse is True else AUTO_REUSE
        self._frame, self._scope, self._reuse = frame, scope, reuse
        m._depth += 1
        try:
            return reopen.__enter__(self)
        except BaseException:
            m._depth -= 1
            raise

    def __exit__(self, *exc: Any) -> None:
        m = self.module
        try:
            reopen.__exit__(self, *exc)
        finally:
            m._depth -= 1
            if self.outer and exc[0] is None:
                m._called_in = self._frame


class Module:
    """Base class: an object whose variables live under its own variable scope.

    Subclasses call ``super().__init__(name=...)`` (forwarding ``reuse=`` if they
    accept it: ``reuse=True`` shares an existing module's variables by name) and
    define methods that call ``get_variable`` (or use other modules). Submodules
    built in ``__init__`` are named under this module's scope. Set the class attribute
    ``scope_on_first_call = True`` for TF1 ``tf.layers.Layer`` behaviour: the
    scope is captured at the first call rather than at construction (RNN cells
    use it, so ``dynamic_rnn`` names them ``rnn/lstm_cell``).

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> class Affine(sj.Module):
    ...     def __init__(self, units, name=None):
    ...         super().__init__(name=name)
    ...         self.units = units
    ...     def __call__(self, x):
    ...         w = sj.get_variable("w", [x.shape[-1], self.units])
    ...         return x @ w
    >>> def f(x):
    ...     a, b = Affine(3), Affine(3)
    ...     return a(a(x[:, :3])), b.scope_name, [v.name for v in a.variables]
    >>> out, name, names = sj.transform(f).apply(
    ...     sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])), jnp.ones([1, 3]))
    >>> name, names
    ('affine_1', ['affine/w'])
    """

    scope_on_first_call: bool = False
    _sj_base_name: str | None = None  # overrides the snake_case class name
    # True on a class whose __init__, after super().__init__(), only stores its arguments
    # (no submodules, variables, scopes): the rest of its __init__ then runs without
    # re-entering the module's scope, which it would not use. Read on the exact class
    # only, so a subclass with an __init__ of its own is given the scope as usual.
    _sj_init_stores_only: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr, value in list(vars(cls).items()):
            if not inspect.isfunction(value) or getattr(value, "_sj_wrapped", False):
                continue
            if attr == "__init__":
                setattr(cls, attr, _wrap_init(value))
            elif attr == "__call__" or not attr.startswith("_"):
                setattr(cls, attr, _wrap_method(value))

    def __init__(self, name: str | None = None, *, reuse: Reuse = None) -> None:
        frame = maybe_frame()
        if frame is None:  # building a module outside transform: an error that shows the fix
            frame = current_frame(f"module {type(self).__name__}(...) (a scopejax.Module)")
        self._sj_name = name
        self._sj_reuse = reuse
        self._scope: VariableScope | None = None
        self._depth = 0
        self._called_in: Frame | None = None
        self._init_ctx: list[Any] = []
        if not self.scope_on_first_call:
            scope = self._capture(frame)
            if self.__dict__.get("_sj_init_depth", 0) > 0 and not type(self).__dict__.get(
                "_sj_init_stores_only"
            ):  # inside a subclass __init__ that may build under the module's scope
                ctx = reopen(frame, scope)
                ctx.__enter__()
                self._init_ctx.append(ctx)

    def _capture(self, frame: Frame) -> VariableScope:
        name = self._sj_name
        base = self._sj_base_name or camel_to_snake(type(self).__name__)
        # variable_scope(name, default_name=..., reuse=...) entered and left at once
        s = capture_scope(frame, name, None if name else base, self._sj_reuse)
        self._scope = s
        return s

    def _close_init_scope(self) -> None:
        ctx = self.__dict__.get("_init_ctx") or []
        while ctx:
            ctx.pop().__exit__(None, None, None)

    def _enter(self) -> _Entered:
        return _Entered(self)

    # -- introspection ---------------------------------------------------------------
    @property
    def name(self) -> str:
        """The module's own (uniquified) name: ``dense_1``."""
        if self._scope is None:
            return self._sj_name or self._sj_base_name or camel_to_snake(type(self).__name__)
        return self._scope.name.rsplit("/", 1)[-1]

    @property
    def scope_name(self) -> str:
        """The full variable-scope name its variables live under: ``model/dense_1``."""
        return self.variable_scope.name

    @property
    def variable_scope(self) -> VariableScope:
        """The captured :class:`VariableScope` (reopen it to share the variables)."""
        if self._scope is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has not been called yet; its scope is "
                "chosen at the first call (scope_on_first_call)."
            )
        return self._scope

    def _own(self) -> list[Any]:
        if self._scope is None:
            return []
        frame = current_frame(f"module {type(self).__name__}.variables")
        prefix = self._scope.name + "/" if self._scope.name else ""
        return [h for h in frame.registry.handles() if (h.key or h.name).startswith(prefix)]

    @property
    def variables(self) -> list[Any]:
        """Handles of the variables under this module's scope, in creation order."""
        return self._own()

    @property
    def trainable_variables(self) -> list[Any]:
        """Those of :attr:`variables` in ``TRAINABLE_VARIABLES``."""
        frame = current_frame(f"module {type(self).__name__}.trainable_variables")
        trainable = {id(h) for h in frame.colls.get(_TRAINABLE)}
        return [h for h in self._own() if id(h) in trainable]

    @property
    def submodules(self) -> list[Module]:
        """Every module reachable from this one's attributes (depth first, no repeats)."""
        seen: dict[int, Module] = {}

        def walk(obj: Any) -> Iterator[Module]:
            if isinstance(obj, Module):
                yield obj
            elif isinstance(obj, dict):
                for v in obj.values():
                    yield from walk(v)
            elif isinstance(obj, (list, tuple)):
                for v in obj:
                    yield from walk(v)

        stack = [self]
        while stack:
            m = stack.pop()
            for attr, v in vars(m).items():
                if attr.startswith("_sj") or attr in ("_scope", "_called_in", "_init_ctx"):
                    continue
                for sub in walk(v):
                    if id(sub) not in seen and sub is not self:
                        seen[id(sub)] = sub
                        stack.append(sub)
        return list(seen.values())

    def __repr__(self) -> str:
        where = self._scope.name if self._scope is not None else "(not called yet)"
        return f"{type(self).__name__}(scope={where!r})"
