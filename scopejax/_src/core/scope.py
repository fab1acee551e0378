"""``variable_scope``, ``name_scope`` and ``VariableScope``: TF1's scoping rules.

The logic mirrors tf.compat.v1 graph mode step by step (``variable_scope``,
``_pure_variable_scope`` and ``Graph.name_scope``), so names, name scopes,
reuse inheritance and ``default_name`` counters come out exactly as in TF1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from scopejax._src.core import jaxcompat
from scopejax._src.core.context import Frame, current_frame
from scopejax._src.core.errors import ScopeUsageError
from scopejax._src.core.jaxcompat import is_eager
from scopejax._src.core.names import check_str, validate_scope_name
from scopejax._src.core.rng import RngState
from scopejax._src.core.sharding import scope_rules


class _ReuseMode:
    """The type of :data:`AUTO_REUSE` (TF1's ``tf.compat.v1.AUTO_REUSE``)."""

    _instance: _ReuseMode | None = None

    def __new__(cls) -> _ReuseMode:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AUTO_REUSE"

    def __reduce__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()
"""``reuse=AUTO_REUSE``: ``get_variable`` creates a variable if it does not exist
and shares it otherwise."""

Reuse: TypeAlias = bool | None | _ReuseMode
"""What ``reuse=`` takes: ``True``, ``False``/``None`` (inherit) or :data:`AUTO_REUSE`."""


def _wrap_custom_getter(custom_getter: Callable, old_getter: Callable | None) -> Callable:
    """Chain ``custom_getter`` in front of ``old_getter`` (TF1: the outermost runs last)."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter: Callable, *args: Any, **kwargs: Any) -> Any:
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)

    return wrapped_custom_getter


class VariableScope:
    """A variable scope: a name prefix plus defaults for ``get_variable``.

    Yielded by :func:`variable_scope` and returned by :func:`get_variable_scope`.
    ``name`` is the prefix of the variables created in it, ``original_name_scope``
    the name scope its first entry opened, ``reuse`` one of ``False``, ``True``
    and ``AUTO_REUSE``. Reopen a scope by passing the object back to
    ``variable_scope``; ``reuse_variables()`` turns sharing on for this object.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     with sj.variable_scope("enc") as scope:
    ...         pass
    ...     return scope.name, scope.original_name_scope
    >>> sj.transform(f).apply({})
    ('enc', 'enc/')
    """

    __slots__ = (
        "_name",
        "_reuse",
        "_initializer",
        "_regularizer",
        "_dtype",
        "_custom_getter",
        "_name_scope",
        "_device",
        "_partitioner",
        "_sharding",
    )

    def __init__(
        self,
        reuse: Reuse,
        name: str = "",
        initializer: Any = None,
        regularizer: Callable | None = None,
        dtype: Any = "float32",
        custom_getter: Callable | None = None,
        name_scope: str = "",
        partitioner: Callable | None = None,
        sharding: Any = None,
    ) -> None:
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtype
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._partitioner = partitioner
        self._sharding = sharding  # compiled rules (core/sharding.py) or None

    @property
    def name(self) -> str:
        return self._name

    @property
    def original_name_scope(self) -> str:
        return self._name_scope

    @property
    def reuse(self) -> Reuse:
        return self._reuse

    @property
    def initializer(self) -> Any:
        return self._initializer

    @property
    def regularizer(self) -> Callable | None:
        return self._regularizer

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def custom_getter(self) -> Callable | None:
        return self._custom_getter

    @property
    def partitioner(self) -> Callable | None:
        return self._partitioner

    def set_partitioner(self, partitioner: Callable | None) -> None:
        self._partitioner = partitioner

    def reuse_variables(self) -> None:
        """Share variables in this scope from now on (``reuse=True``)."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self._initializer = initializer

    def set_regularizer(self, regularizer: Callable | None) -> None:
        self._regularizer = regularizer

    def set_dtype(self, dtype: Any) -> None:
        self._dtype = dtype

    def set_custom_getter(self, custom_getter: Callable | None) -> None:
        self._custom_getter = custom_getter

    def __repr__(self) -> str:
        return (
            f"VariableScope(name={self._name!r}, reuse={self._reuse!r}, "
            f"original_name_scope={self._name_scope!r})"
        )


# -- the naming part of a frame ---------------------------------------------------
class Naming:
    """A frame's naming state, owned by this module: TF1's ``Graph`` name registry and
    name stack, the current variable scope and the variable scopes' entry counters.

    Args:
      root: the root :class:`VariableScope` (reuse off).
      named_scopes: whether name scopes reach JAX's name stack (off when eager, where
        XLA metadata is not kept).
    """

    __slots__ = (
        "_in_use",
        "_stack",
        "_var_scope",
        "_counts",
        "_descendants",
        "_journal",
        "_journal_depth",
        "_named",
        "_jax_base",
    )

    def __init__(self, root: VariableScope, named_scopes: bool = True) -> None:
        self._in_use: dict[str, int] = {}  # Graph._names_in_use (lower-cased)
        self._stack = ""  # Graph._name_stack
        self._var_scope = root
        self._counts: dict[str, int] = {}  # variable scope name -> entries
        # scope name -> every counted scope name below it (TF scans all counters on
        # exit; this index makes closing a scope cost its own sub-scopes only)
        self._descendants: dict[str, set[str]] = {}
        # undo log of counter changes, kept while a scope reopened by object is open
        # (TF1 restores a snapshot of every counter on its exit; this restores the same
        # state at the cost of the changes made inside, not of all counters)
        self._journal: list[tuple[str, int | None]] = []
        self._journal_depth = 0
        # eager execution dispatches op by op: XLA metadata is not kept, skip the cost
        self._named = named_scopes and not is_eager()
        self._jax_base = jaxcompat.current_name_stack()

    @property
    def scope(self) -> VariableScope:
        """The current variable scope."""
        return self._var_scope

    @property
    def named(self) -> bool:
        """Whether name scopes reach JAX's name stack (off in eager calls)."""
        return self._named

    @property
    def stack(self) -> str:
        """The current name scope (TF1's name stack), ``''`` at the root."""
        return self._stack

    def swap_stack(self, stack: str) -> str:
        """Set the name stack to ``stack`` (no JAX name scope); returns the old one."""
        old, self._stack = self._stack, stack
        return old

    def name_used(self, key: str) -> bool:
        """Whether lower-cased graph name ``key`` is taken."""
        return key in self._in_use

    def use_name(self, key: str) -> None:
        """Take lower-cased graph name ``key`` (a name :meth:`unique_name` left free)."""
        self._in_use[key] = 1

    # -- TF's Graph.unique_name ------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """TF1's ``Graph.unique_name``: case-insensitive, ``name``, ``name_1``, ..."""
        if self._stack:
            name = self._stack + "/" + name
        names_in_use = self._in_use
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

    def open_scope(self, name: str) -> None:
        """TF's ``open_variable_scope``: count one more entry of scope ``name``."""
        counts = self._counts
        n = counts.get(name)
        if self._journal_depth:
            self._journal.append((name, n))
        if n is None:
            counts[name] = 1
            desc = self._descendants
            pos = name.find("/")
            while pos >= 0:
                desc.setdefault(name[:pos], set()).add(name)
                pos = name.find("/", pos + 1)
        else:
            counts[name] = n + 1

    def close_subscopes(self, name: str) -> None:
        """TF's ``close_variable_subscopes``: reset the counters below ``name``."""
        counts = self._counts
        journal = self._journal if self._journal_depth else None
        for k in self._descendants.get(name, ()):
            n = counts.get(k)
            if n:
                if journal is not None:
                    journal.append((k, n))
                counts[k] = 0

    def journal_mark(self) -> int:
        """Start recording counter changes; returns the position to undo back to."""
        self._journal_depth += 1
        return len(self._journal)

    def journal_undo(self, mark: int) -> None:
        """Restore every counter changed since ``mark`` (TF1's snapshot restore)."""
        journal, counts = self._journal, self._counts
        while len(journal) > mark:
            key, old = journal.pop()
            if old is None:
                counts.pop(key, None)
            else:
                counts[key] = old
        self._journal_depth -= 1


# -- name scopes reaching XLA ---------------------------------------------------
class _JaxScope:
    """Moves JAX's name stack from TF name scope ``old`` to ``new``."""

    __slots__ = ("cm",)

    def __init__(self, frame: Frame, old: str, new: str) -> None:
        import jax

        self.cm: Any = None
        if not frame.naming._named or new == old:
            return
        if old and new.startswith(old + "/"):
            self.cm = jax.named_scope(new[len(old) + 1 :])
        elif not old:
            self.cm = jax.named_scope(new)
        elif jaxcompat.source_info is not None and frame.naming._jax_base is not None:
            base = frame.naming._jax_base
            self.cm = jaxcompat.set_name_stack(base.extend(new) if new else base)
        else:  # pragma: no cover
            return
        self.cm.__enter__()

    def close(self, exc: Any = (None, None, None)) -> None:
        if self.cm is not None:
            self.cm.__exit__(*exc)
            self.cm = None


# -- name scopes ------------------------------------------------------------------
class _NoJaxScope:
    """What :func:`_jax_scope` returns when JAX's name stack is left alone."""

    __slots__ = ()

    def close(self, exc: Any = (None, None, None)) -> None:
        pass


_NO_JAX = _NoJaxScope()


def _jax_scope(frame: Frame, old: str, new: str) -> _JaxScope | _NoJaxScope:
    """``_JaxScope(frame, old, new)``, or a shared no-op when it would do nothing (named
    scopes off, as in eager calls, or an unchanged name stack)."""
    if not frame.naming._named or new == old:
        return _NO_JAX
    return _JaxScope(frame, old, new)


def _enter_name_scope(frame: Frame, name: str | None) -> tuple[str, str, _JaxScope | _NoJaxScope]:
    """TF's ``Graph.name_scope`` entry: returns (yielded scope, old stack, jax scope)."""
    old = frame.naming._stack
    if name:
        name = check_str(name, "name_scope")
        validate_scope_name(name, nested=bool(old))
        if name[-1] == "/":
            new = name[:-1]
            returned = name
        else:
            new = frame.naming.unique_name(name)
            returned = new + "/"
    else:
        new = ""
        returned = ""
    frame.naming._stack = new
    return returned, old, _jax_scope(frame, old, new)


class name_scope:  # noqa: N801 - TF1's name
    """Open a name scope: groups operations, never changes variable names.

    As ``tf.compat.v1.name_scope``: the name is made unique (``block``,
    ``block_1``), a trailing ``/`` re-enters a scope by its absolute name, and
    ``''`` or ``None`` return to the root. Yields the scope string
    (``'model/'``). The scope reaches XLA through ``jax.named_scope``, so HLO
    metadata and profiler traces show ``model/...``.

    >>> import scopejax as sj
    >>> def f():
    ...     with sj.name_scope("model") as ns:
    ...         return ns, sj.get_name_scope()
    >>> sj.transform(f).apply({})
    ('model/', 'model')
    """

    __slots__ = ("_name", "_frame", "_old", "_jax")

    def __init__(self, name: str | None, default_name: str | None = None, values: Any = None):
        del values  # graph-mode only in TF1: which graph to use
        self._name = default_name if name is None else name

    def __enter__(self) -> str:
        frame = current_frame("name_scope")
        returned, self._old, self._jax = _enter_name_scope(frame, self._name)
        self._frame = frame
        return returned

    def __exit__(self, *exc: Any) -> None:
        self._jax.close(exc)
        self._frame.naming._stack = self._old


def get_name_scope() -> str:
    """The current name scope, without a trailing slash (``''`` at the root).

    >>> import scopejax as sj
    >>> def f():
    ...     with sj.variable_scope("enc"):
    ...         return sj.get_name_scope()
    >>> sj.transform(f).apply({})
    'enc'
    """
    return current_frame("get_name_scope").naming._stack


def get_variable_scope() -> VariableScope:
    """The current :class:`VariableScope` (the root scope, named ``''``, at top level).

    >>> import scopejax as sj
    >>> def f():
    ...     with sj.variable_scope("a"):
    ...         with sj.variable_scope("b"):
    ...             return sj.get_variable_scope().name
    >>> sj.transform(f).apply({})
    'a/b'
    """
    return current_frame("get_variable_scope").naming._var_scope


# -- variable scopes --------------------------------------------------------------
def _unique_variable_scope(frame: Frame, prefix: str) -> str:
    current = frame.naming._var_scope
    name = current.name + "/" + prefix if current.name else prefix
    counts = frame.naming._counts
    if counts.get(name, 0) == 0:
        return prefix
    idx = 1
    while counts.get(f"{name}_{idx}", 0) > 0:
        idx += 1
    return f"{prefix}_{idx}"


def _check_reuse(reuse: Reuse) -> Reuse:
    if reuse is False:
        return None  # TF1: False means "inherit", like None
    if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
        raise ScopeUsageError(
            f"The reuse parameter must be True or False or None (or AUTO_REUSE), got {reuse!r}."
        )
    return reuse


class variable_scope:  # noqa: N801 - TF1's name
    """Open a variable scope: a prefix for variable names plus defaults.

    The semantics of ``tf.compat.v1.variable_scope`` in graph mode:

    * ``name_or_scope`` is a string (appended to the current scope's name) or a
      :class:`VariableScope` to reopen (its name is used as is, and its own
      ``reuse`` unless this call's is truthy).
    * ``default_name`` is used when ``name_or_scope`` is None and made unique
      (``dense``, ``dense_1``, ...) among sibling scopes; it cannot be combined
      with ``reuse=True``/``AUTO_REUSE``.
    * ``reuse``: ``True`` shares (missing variables are an error), ``AUTO_REUSE``
      creates or shares, ``None``/``False`` inherit the enclosing scope's reuse.
      Reuse is inherited as ``this or enclosing``.
    * ``initializer``, ``regularizer``, ``dtype``, ``custom_getter`` and ``partitioner``
      become defaults of every ``get_variable`` below; custom getters chain.
    * ``sharding`` (a ``PartitionSpec``, a ``NamedSharding`` or ``[(regex, spec), ...]``
      rules) shards the variables created below, before ``sj.sharding.use``'s rules;
      inherited like ``initializer``.
    * A name scope is opened too (``encoder``, ``encoder_1`` on re-entry) unless
      ``auxiliary_name_scope=False``; variable names never depend on it.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     with sj.variable_scope("enc"):
    ...         w = sj.get_variable("w", [2])
    ...     with sj.variable_scope("enc", reuse=True):
    ...         w2 = sj.get_variable("w", [2])
    ...     return w is w2
    >>> net = sj.transform(f)
    >>> store = net.init(jax.random.key(0))
    >>> list(store.flat())
    ['enc/w']
    >>> net.apply(store)
    True
    """

    __slots__ = (
        "_name_or_scope",
        "_default_name",
        "_initializer",
        "_regularizer",
        "_reuse",
        "_dtype",
        "_custom_getter",
        "_aux",
        "_frame",
        "_old_scope",
        "_new_name",
        "_last",
        "_old_counts",
        "_old_stack",
        "_jax",
        "_by_object",
        "_entered",
        "_partitioner",
        "_sharding",
    )

    def __init__(
        self,
        name_or_scope: str | VariableScope | None,
        default_name: str | None = None,
        values: Any = None,
        initializer: Any = None,
        regularizer: Callable | None = None,
        reuse: Reuse = None,
        dtype: Any = None,
        custom_getter: Callable | None = None,
        auxiliary_name_scope: bool = True,
        partitioner: Callable | None = None,
        sharding: Any = None,
    ) -> None:
        del values  # graph selection in TF1; meaningless here
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if name_or_scope is not None and not isinstance(name_or_scope, (str, VariableScope)):
            raise TypeError(
                "VariableScope: name_or_scope must be a string or VariableScope, got "
                f"{type(name_or_scope).__name__} {name_or_scope!r}."
            )
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError(
                "The auxiliary_name_scope must be `True` or `False`, while get "
                f"{auxiliary_name_scope!r}"
            )
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"custom_getter must be callable, got {custom_getter!r}.")
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = _check_reuse(reuse)
        self._dtype = dtype
        self._custom_getter = custom_getter
        self._aux = auxiliary_name_scope
        if partitioner is not None and not callable(partitioner):
            raise TypeError(f"partitioner must be callable, got {partitioner!r}.")
        self._partitioner = partitioner
        self._sharding = scope_rules(sharding)
        self._entered = False

    def __enter__(self) -> VariableScope:
        if self._entered:
            raise ScopeUsageError(
                "This variable_scope object is already entered; create a new "
                "variable_scope(...) for each `with` block."
            )
        frame = current_frame("variable_scope")
        self._frame = frame
        old_stack = frame.naming._stack
        # 1. the auxiliary name scope
        name_or_scope = self._name_or_scope
        if name_or_scope is None:  # default_name: made unique below
            if self._reuse:
                raise ScopeUsageError(
                    "reuse=True cannot be used without a name_or_scope (got "
                    f"default_name={self._default_name!r}, reuse={self._reuse!r}); name the "
                    "scope to share it: variable_scope('name', reuse=...)."
                )
            ns_name: str | None = self._default_name
        elif isinstance(name_or_scope, VariableScope):
            ns_name = name_or_scope.name.split("/")[-1]
        else:
            ns_name = name_or_scope
        if not self._aux:
            ns_name = old_stack + "/" if old_stack else ""
            enter_ns = True
        else:
            enter_ns = bool(ns_name) or name_or_scope is None
        if enter_ns:
            entered_ns, _, jax_scope = _enter_name_scope(frame, ns_name)
        else:
            entered_ns, jax_scope = None, None
        self._old_stack = old_stack
        self._jax = jax_scope
        try:
            scope = self._enter_pure(frame, entered_ns)
        except BaseException:
            if jax_scope is not None:
                jax_scope.close()
            frame.naming._stack = old_stack
            raise
        self._entered = True
        return scope

    def _enter_pure(self, frame: Frame, entered_ns: str | None) -> VariableScope:
        """TF's ``_pure_variable_scope.__enter__``."""
        old = frame.naming._var_scope
        self._old_scope = old
        name_or_scope = self._name_or_scope
        if isinstance(name_or_scope, VariableScope):
            self._by_object = True
            new_name = name_or_scope.name
            scope = VariableScope(
                name_or_scope.reuse if not self._reuse else self._reuse,
                name=new_name,
                initializer=name_or_scope.initializer,
                regularizer=name_or_scope.regularizer,
                dtype=name_or_scope.dtype,
                custom_getter=name_or_scope.custom_getter,
                name_scope=name_or_scope.original_name_scope,
                partitioner=name_or_scope._partitioner,
                sharding=name_or_scope._sharding,
            )
            old_getter = name_or_scope.custom_getter
            frame.naming.open_scope(new_name)
            self._old_counts = frame.naming.journal_mark()
        else:
            self._by_object = False
            if name_or_scope is None:
                assert self._default_name is not None  # __init__ requires one here
                leaf = _unique_variable_scope(frame, self._default_name)
                reuse = None  # default_name scopes inherit
            else:
                leaf = check_str(name_or_scope, "variable_scope")
                reuse = self._reuse
            new_name = old.name + "/" + leaf if old.name else leaf
            scope = VariableScope(
                reuse or old.reuse,
                name=new_name,
                initializer=old.initializer,
                regularizer=old.regularizer,
                dtype=old.dtype,
                custom_getter=old.custom_getter,
                name_scope=leaf if entered_ns is None else entered_ns,
                partitioner=old._partitioner,
                sharding=old._sharding,
            )
            old_getter = old.custom_getter
            frame.naming.open_scope(new_name)
        if self._initializer is not None:
            scope._initializer = self._initializer
        if self._regularizer is not None:
            scope._regularizer = self._regularizer
        if self._custom_getter is not None:
            scope._custom_getter = _wrap_custom_getter(self._custom_getter, old_getter)
        if self._dtype is not None:
            scope._dtype = self._dtype
        if self._partitioner is not None:
            scope._partitioner = self._partitioner
        if self._sharding is not None:
            scope._sharding = self._sharding
        self._new_name = new_name
        self._last = scope
        frame.naming._var_scope = scope
        return scope

    def __exit__(self, *exc: Any) -> None:
        frame = self._frame
        self._entered = False
        try:
            if frame.naming._var_scope is not self._last:
                raise ScopeUsageError("Improper nesting of variable_scope.")
            if self._by_object:
                frame.naming.journal_undo(self._old_counts)
            else:
                frame.naming.close_subscopes(self._new_name)
            frame.naming._var_scope = self._old_scope
        finally:
            if self._jax is not None:
                self._jax.close(exc)
            frame.naming._stack = self._old_stack


def capture_scope(
    frame: Frame, name: str | None, default_name: str | None, reuse: Reuse = None
) -> VariableScope:
    """The scope ``with variable_scope(name, default_name=..., reuse=...) as s: pass``
    yields, with the same effect on ``frame``: how a module picks its scope once.

    The block is empty, so the fast path leaves out what it would undo on exit (the
    name stack, the current scope, JAX's name scope) and keeps what stays: the name
    scope marked used, the scope's counter opened and its sub-scope counters reset.
    Anything but a non-empty string name, or ``None`` with a non-empty default name,
    takes the full ``variable_scope`` (and its errors).
    """
    inherit = reuse is None or reuse is False
    if name is None:  # a default name: made unique, and reuse must not be asked for
        fast = inherit and type(default_name) is str and default_name != ""
    else:
        valid_reuse = inherit or reuse is True or reuse is AUTO_REUSE
        fast = valid_reuse and type(name) is str and name != ""
    if not fast:
        with variable_scope(name, default_name=default_name, reuse=reuse) as scope:
            pass
        return scope
    ns = default_name if name is None else name
    assert ns is not None
    validate_scope_name(ns, nested=bool(frame.naming._stack))
    entered = ns if ns[-1] == "/" else frame.naming.unique_name(ns) + "/"
    old = frame.naming._var_scope
    if name is None:
        assert default_name is not None
        leaf = _unique_variable_scope(frame, default_name)
        reuse = None  # default_name scopes inherit
    else:
        leaf = name
        if reuse is False:
            reuse = None
    new_name = old._name + "/" + leaf if old._name else leaf
    scope = VariableScope(
        reuse or old._reuse,
        new_name,
        old._initializer,
        old._regularizer,
        old._dtype,
        old._custom_getter,
        entered,
        old._partitioner,
        old._sharding,
    )
    frame.naming.open_scope(new_name)
    frame.naming.close_subscopes(new_name)
    return scope


class reopen:  # noqa: N801 - a context manager, like variable_scope
    """Fast ``variable_scope(scope, reuse=reuse, auxiliary_name_scope=False)`` followed by
    ``name_scope(scope.original_name_scope)``: how a module re-enters its own scope.

    Same effect as that pair (the counters are restored on exit, the name scope is
    the scope's original one), without re-validating names the scope already has.
    """

    __slots__ = ("_frame", "_scope", "_reuse", "_old_scope", "_old_stack", "_mark", "_new", "_jax")

    _jax: _JaxScope | None

    def __init__(self, frame: Frame, scope: VariableScope, reuse: Reuse = None) -> None:
        self._frame, self._scope, self._reuse = frame, scope, reuse

    def __enter__(self) -> VariableScope:
        frame, s = self._frame, self._scope
        new = VariableScope(
            s._reuse if not self._reuse else self._reuse,
            s._name,
            s._initializer,
            s._regularizer,
            s._dtype,
            s._custom_getter,
            s._name_scope,
            s._partitioner,
            s._sharding,
        )
        frame.naming.open_scope(s._name)
        self._mark = frame.naming.journal_mark()
        old_stack = frame.naming._stack
        self._old_scope, self._old_stack = frame.naming._var_scope, old_stack
        frame.naming._var_scope = self._new = new
        ons = s._name_scope
        stack = ons[:-1] if ons else ""
        frame.naming._stack = stack
        # JAX's name stack follows only when traced with named scopes (_jax_scope, inline)
        if frame.naming._named and stack != old_stack:
            self._jax = _JaxScope(frame, old_stack, stack)
        else:
            self._jax = None
        return new

    def __exit__(self, *exc: Any) -> None:
        frame = self._frame
        try:
            if frame.naming._var_scope is not self._new:
                raise ScopeUsageError("Improper nesting of variable_scope.")
            naming = frame.naming
            if len(naming._journal) == self._mark:  # no counter changed inside: no undo
                naming._journal_depth -= 1
            else:
                frame.naming.journal_undo(self._mark)
            frame.naming._var_scope = self._old_scope
        finally:
            if self._jax is not None:
                self._jax.close(exc)
            frame.naming._stack = self._old_stack


def new_frame(
    interceptors: Iterable[Any] = (), *, rng: Any = None, named_scopes: bool = True, **kwargs: Any
) -> Frame:
    """A :class:`Frame` whose variable scope is a fresh root scope.

    Args:
      interceptors: its chain of variable-creation interceptors (``core/request.py``).
      rng: the base key of ``next_rng_key`` (None: no key, e.g. ``apply`` without one).
      named_scopes: whether name scopes reach JAX's name stack.
      **kwargs: the rest of :class:`Frame`'s arguments (``is_init``, ``params``, ...).

    Returns:
      The frame (not yet current: see ``push_frame``).
    """
    return Frame(
        naming=Naming(VariableScope(False), named_scopes),
        rngs=RngState(rng),
        interceptors=list(interceptors),
        **kwargs,
    )
