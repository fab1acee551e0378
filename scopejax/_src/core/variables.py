"""``get_variable``, ``Variable`` and ``assign``: TF1's variable store on JAX values.

``init`` and ``apply`` run the same rules. At ``init`` a new variable's value is
drawn from ``fold_in(init_key, stable_hash(key))``; at ``apply`` it is read from
the store by its graph name. Either way ``get_variable`` returns a ``jax.Array``.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core import device as _device
from scopejax._src.core import lifting as _lift
from scopejax._src.core import sharding as _sharding
from scopejax._src.core.collection import GraphKeys
from scopejax._src.core.context import Frame, current_frame, mutable_allows_collections
from scopejax._src.core.dtypes import as_dtype, is_floating, is_int_or_bool
from scopejax._src.core.errors import (
    AssignError,
    InitializerError,
    InvalidShapeError,
    StoreError,
    VariableDtypeError,
    VariableExistsError,
    VariableNotFoundError,
    VariableShapeError,
)
from scopejax._src.core.handle import VariableHandle
from scopejax._src.core.initializers import GlorotUniform, Initializer, Zeros, draw_one
from scopejax._src.core.names import check_str, validate_scope_name
from scopejax._src.core.request import VariableRequest, create, fmt_shape
from scopejax._src.core.rng import variable_key
from scopejax._src.core.scope import Reuse

_GLOBAL = GraphKeys.GLOBAL_VARIABLES
_TRAINABLE = GraphKeys.TRAINABLE_VARIABLES


_fmt_shape = fmt_shape
_MAX_DIM = 2**63 - 1  # XLA's dimension sizes are int64


def _as_dim(d: Any, name: str) -> int | None:
    """One dimension: an int (anything with ``__index__`` but a bool) or None, as TF1."""
    if d is None:
        return None
    if isinstance(d, (bool, np.bool_)):
        raise TypeError(
            f"Variable {name}: shape dimension {d!r} is a bool; give dimensions as ints "
            "(or None for an unknown one)."
        )
    try:
        v = operator.index(d)
    except TypeError:
        raise TypeError(
            f"Variable {name}: Dimension value must be integer or None or have an __index__ "
            f"method, got value {d!r} with type {type(d)}. Give the shape as ints, e.g. [3, 4] "
            "(a float like 2.0 is not rounded for you)."
        ) from None
    if v < 0:
        raise InvalidShapeError(f"Variable {name}: Dimension {v} must be >= 0.")
    if v > _MAX_DIM:
        raise InvalidShapeError(
            f"Variable {name}: dimension {v} is larger than the largest array dimension "
            f"({_MAX_DIM})."
        )
    return v


def _as_shape(shape: Any, name: str) -> tuple[int | None, ...]:
    """A ``get_variable`` shape as a tuple of ints and Nones, checked as TF1 checks it."""
    if type(shape) is list or type(shape) is tuple:  # the usual case, checked below
        pass
    elif isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        return (_as_dim(shape, name),)
    elif isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise TypeError(
            f"Variable {name}: shape must be a sequence of ints (or None for unknown dims), "
            f"got {shape!r}."
        )
    return tuple([d if type(d) is int and 0 <= d <= _MAX_DIM else _as_dim(d, name) for d in shape])


def _compatible(a: tuple[int | None, ...], b: tuple[int, ...]) -> bool:
    if a == b:
        return True
    return len(a) == len(b) and all(x is None or x == y for x, y in zip(a, b, strict=True))


def _needs_no_arguments(fn: Callable) -> bool:
    if isinstance(fn, Initializer):
        return False
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )


def _tf_style(fn: Callable) -> bool:
    """True for a TF1-style initializer ``fn(shape, dtype=None, partition_info=None)``."""
    if isinstance(fn, Initializer):
        return False
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "shape"


def _default_initializer(name: str, dt: np.dtype) -> type[Initializer]:
    if is_floating(dt):
        return GlorotUniform
    if is_int_or_bool(dt):
        return Zeros
    raise InitializerError(f"An initializer for variable {name} of {dt.name} is required")


def _draw(frame: Frame, initializer: Callable, shape: tuple[int, ...], dt: np.dtype, key: str):
    """Run ``initializer`` for one variable with its path-derived key."""
    if isinstance(initializer, Initializer):
        return draw_one(initializer, shape, dt, frame.init_key, key)
    vkey = variable_key(frame.init_key, key)
    if _tf_style(initializer):
        saved = frame.rngs.swap_draw_key(vkey)
        try:
            return initializer(list(shape), dtype=dt)
        finally:
            frame.rngs.swap_draw_key(saved)
    return initializer(vkey, shape, dt)


def _missing_in_store(frame: Frame, graph_name: str) -> VariableNotFoundError:
    params = frame.params or {}
    close = difflib.get_close_matches(graph_name, list(params), n=3, cutoff=0.8)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    scope = graph_name.rpartition("/")[0]
    siblings = sorted(n[len(scope) + 1 :] for n in params if scope and n.startswith(scope + "/"))
    where = f" Under {scope!r} the store has {siblings[:8]}." if siblings else ""
    return VariableNotFoundError(
        f"Variable {graph_name} does not exist in the store passed to apply.{hint}{where} "
        f"Every variable must be created by init, with the same scopes and arguments as apply "
        f"(the store has {len(params)} variables)."
    )


def _lookup(frame: Frame, graph_name: str, key: str | None) -> Any:
    params = frame.params
    value = params.get(graph_name) if params is not None else None
    if value is None and key is not None and params is not None:
        value = params.get(key)
        if value is not None:
            graph_name = key
    if value is None:
        if params is not None and (graph_name in params or (key is not None and key in params)):
            raise StoreError(
                f"Variable {graph_name}: the store passed to apply holds None for it, not an "
                "array. Put its value back (e.g. from the store init returned)."
            )
        raise _missing_in_store(frame, graph_name)
    frame.registry.mark_used(graph_name)
    return value


def _check_stored(name: str, value: Any, shape: tuple[int, ...] | None, dt: np.dtype | None):
    vshape = getattr(value, "shape", None)
    if type(vshape) is not tuple:  # arrays and tracers have a tuple already
        vshape = tuple(np.shape(value))
    if shape is not None and not _compatible(shape, vshape):
        raise VariableShapeError(
            f"Trying to share variable {name}, but specified shape {_fmt_shape(shape)} and found "
            f"shape {_fmt_shape(vshape)}. The store passed to apply holds a differently shaped "
            "value: rebuild the store with init, or fix the shape in the function."
        )
    vdt = getattr(value, "dtype", None)
    if dt is not None and vdt is not None and vdt is not dt and np.dtype(vdt) != dt:
        raise VariableDtypeError(
            f"Trying to share variable {name}, but specified dtype {dt.name} and found dtype "
            f"{np.dtype(vdt).name}. The store passed to apply holds a different dtype: cast the "
            "store back (e.g. jax.tree.map(lambda x: x.astype(...), store)) or read the variable "
            "through a custom getter that casts."
        )


def _collection_list(graph_name: str, collections: Any, trainable: bool) -> list[Any]:
    """The collections a new variable joins, in order (TF1: trainable adds its own)."""
    if collections is None:
        return [_GLOBAL, _TRAINABLE] if trainable else [_GLOBAL]
    if not isinstance(collections, (list, tuple, set, frozenset)):
        raise TypeError(
            f"Variable {graph_name}: collections argument to Variable constructor must be a list, "
            f"tuple, or set. Got {collections!r}"
        )
    if trainable and _TRAINABLE not in collections:
        collections = [*collections, _TRAINABLE]
    seen: list[Any] = []
    for c in collections:
        if c not in seen:
            seen.append(c)
    return seen


def _register(
    frame: Frame,
    graph_name: str,
    key: str | None,
    value: Any,
    trainable: bool,
    colls: list[Any],
    device: str | None,
) -> VariableHandle:
    handle = VariableHandle(graph_name, key, value, trainable, device, frame)
    frame.registry.add(handle, value, initial=frame.is_init)
    collections = frame.colls
    for c in colls:
        collections.add(c, handle)
    handle._colls = colls
    return handle


def _dtype_of(dtype: Any, name: str) -> np.dtype:
    try:
        return as_dtype(dtype)
    except TypeError as e:
        raise TypeError(f"Variable {name}: {e}") from None


def _graph_name(frame: Frame, name: str) -> str:
    """The unique graph name of a variable created under name_scope(None)."""
    if name and name[-1] == "/":
        validate_scope_name(name, nested=False)
        return _claim(frame, name[:-1], name)
    validate_scope_name(name, nested=False)
    return _claim(frame, frame.naming.unique_name(name), name)


def _claim(frame: Frame, graph_name: str, asked: str) -> str:
    """``graph_name``, unless another variable already has it (TF1: a duplicate node).

    A trailing ``/`` is dropped from a graph name but kept in a ``get_variable`` key, and
    ``unique_name`` never sees names made that way, so two variables can ask for one
    graph name (``a/`` then ``a``). TF1 refuses the second; merging them would make two
    variables share one value.
    """
    prior = frame.registry.by_name(graph_name)
    if prior is None:
        return graph_name
    first = prior.key if prior.key is not None else graph_name
    raise VariableExistsError(
        f"Duplicate node name in graph: '{graph_name}'. The variable asked for as {asked!r} "
        f"would have the graph name of variable {first!r} (a trailing '/' is dropped from a "
        "variable's name). Give one of them another name."
    )


def _true_getter(
    name: str,
    shape: Any = None,
    dtype: Any = jnp.float32,
    initializer: Any = None,
    regularizer: Callable | None = None,
    reuse: Reuse = None,
    trainable: bool | None = None,
    collections: Any = None,
    partitioner: Callable | None = None,
    **_ignored: Any,
) -> jax.Array:
    """TF1's ``_VariableStore._get_single_variable``, creating or sharing by key."""
    frame = current_frame("get_variable")
    from_value = initializer is not None and not callable(initializer)
    if shape is not None and from_value:
        raise InitializerError(
            f"If initializer is a constant, do not specify shape (variable {name}): the "
            "constant gives the shape."
        )
    dt = _dtype_of(dtype, name)
    if shape is not None:
        shape = _as_shape(shape, name)

    existing = frame.registry.by_key(name)
    if existing is not None:
        if reuse is False:
            raise VariableExistsError(
                f"Variable {name} already exists, disallowed. Did you mean to set reuse=True or "
                "reuse=AUTO_REUSE in variable_scope? To create a second variable, give it "
                "another name."
            )
        found = _visible_shape(frame, existing)
        if shape is not None and not _compatible(shape, found):
            raise VariableShapeError(
                f"Trying to share variable {name}, but specified shape {_fmt_shape(shape)} and "
                f"found shape {_fmt_shape(found)}."
            )
        if dt != existing.dtype:
            raise VariableDtypeError(
                f"Trying to share variable {name}, but specified dtype {dt.name} and found "
                f"dtype {existing.dtype.name}."
            )
        return _lift.read(frame, existing) if _lift.active(frame) else existing._value

    if reuse is True:
        close = difflib.get_close_matches(name, list(frame.registry.keys()), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise VariableNotFoundError(
            f"Variable {name} does not exist, or was not created with get_variable().{hint} "
            "Did you mean to set reuse=AUTO_REUSE in variable_scope? (reuse=True only shares "
            "variables created earlier in the same call.)"
        )
    _lift.check_trace(frame, "get_variable created variable ", name)
    if trainable is None:
        trainable = True

    known_shape: tuple[int, ...] | None = None
    if initializer is None:
        if shape is None:
            raise InitializerError(
                f"Variable {name} did not get an initializer, so its `shape` argument must be "
                "specified."
            )
        initializer = _default_initializer(name, dt)
    if from_value:
        known_shape = tuple(np.shape(initializer))
        dt = np.dtype(jax.dtypes.canonicalize_dtype(jnp.result_type(initializer)))
    elif shape is not None and None not in shape:
        known_shape = shape  # every dimension is an int here
        if frame.max_bytes is not None:
            _check_size(name, known_shape, dt, frame.max_bytes)
    elif not inspect.isclass(initializer) and _needs_no_arguments(initializer):
        dt = None  # type: ignore[assignment]  # dtype: the value's own
    else:
        raise InitializerError(
            f"Variable {name}: The initializer passed is not valid. It should be a callable "
            "with no arguments and the shape should not be provided, or an initializer "
            f"(key, shape, dtype) and `shape` should be fully defined (got {shape!r})."
        )

    graph_name = _graph_name(frame, name)
    colls = _collection_list(graph_name, collections, bool(trainable))
    axis = _lift.stack_axis(frame, colls) if _lift.active(frame) else None
    if frame.is_init:
        req = _request(frame, name, graph_name, initializer, from_value, known_shape, dt, colls)
        req.trainable, req.axis = bool(trainable), axis
        req.sharding = _sharding.resolve(
            graph_name,
            _stored_shape(frame, known_shape, axis),
            dt,
            scope=frame.naming.scope._sharding,
            partitioner=partitioner,
        )
        value = create(req)
        device = req.device_spec
    else:
        value = _lookup(frame, graph_name, name)
        expect = known_shape
        if axis is not None and known_shape is not None:
            expect = _insert(known_shape, axis, _lift.members(frame))
        _check_stored(name, value, expect, dt)
        device = _device.current(frame)[0]
    handle = _register(frame, graph_name, name, value, bool(trainable), colls, device)
    handle._stack_axis = axis
    if _lift.active(frame):
        value = _lift.read(frame, handle)
    if regularizer:
        loss = _lift.regularize(frame, regularizer, handle, value)
        if loss is not None:
            frame.colls.add(GraphKeys.REGULARIZATION_LOSSES, loss)
            frame.registry.add_loss(graph_name, loss)
    return value


def _stored_getter(
    frame: Frame,
    name: str,
    shape: Any,
    dtype: Any,
    initializer: Any,
    reuse: Reuse,
    trainable: bool | None,
    collections: Any,
) -> jax.Array:
    """``_true_getter`` at ``apply`` outside lifts, device scopes and regularizers, for the
    usual request: a variable not read yet in this call, its shape a list or tuple of ints,
    its initializer a callable or None. Same checks in the same order, same errors, same
    registration; anything else goes to ``_true_getter``."""
    usual = (
        (type(shape) is list or type(shape) is tuple)
        and (initializer is None or callable(initializer))
        and reuse is not True
        and frame.registry.by_key(name) is None
        and frame.max_bytes is None
    )
    if usual:
        for d in shape:
            if type(d) is not int or d < 0 or d > _MAX_DIM:
                usual = False
                break
    if not usual:
        return _true_getter(name, shape, dtype, initializer, None, reuse, trainable, collections)
    dt = _dtype_of(dtype, name)
    _lift.check_trace(frame, "get_variable created variable ", name)
    if initializer is None:
        _default_initializer(name, dt)  # raises for a dtype that has none
    # _graph_name: at the root name scope, a name no graph name has used is its own
    key = name.lower()
    naming = frame.naming
    if name[-1:] == "/" or naming.name_used(key) or frame.registry.by_name(name) is not None:
        graph_name = _graph_name(frame, name)  # the full rules, or their error
    else:
        validate_scope_name(name, nested=False)
        naming.use_name(key)
        graph_name = name
    trainable = True if trainable is None else bool(trainable)
    colls = _collection_list(graph_name, collections, trainable)
    params = frame.params
    value = params.get(graph_name) if params is not None else None
    if value is None:
        value = _lookup(frame, graph_name, name)  # by key, or the error
    else:
        frame.registry.mark_used(graph_name)
    dims = tuple(shape)
    if getattr(value, "shape", None) != dims or getattr(value, "dtype", None) is not dt:
        _check_stored(name, value, dims, dt)  # passes, or says what differs
    _register(frame, graph_name, name, value, trainable, colls, None)
    return value


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):  # decimal, as store_summary.human_bytes
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def _check_size(name: str, shape: tuple[int, ...], dt: np.dtype, limit: int) -> None:
    """Refuse, before any allocation, a variable larger than the devices' memory."""
    nbytes = math.prod(shape) * dt.itemsize
    if nbytes > limit:
        raise InitializerError(
            f"Variable {name}: shape {_fmt_shape(shape)} of {dt.name} needs "
            f"{_fmt_bytes(nbytes)}, more than the {_fmt_bytes(limit)} of memory the devices "
            "have. Check the shape; net.init_abstract(...) gives shapes without allocating."
        )


def _request(
    frame: Frame,
    name: str,
    graph_name: str,
    initializer: Any,
    from_value: bool,
    shape: tuple[int, ...] | None,
    dt: np.dtype | None,
    colls: list[Any],
) -> VariableRequest:
    """The request for a new ``get_variable`` variable: how to make its value."""
    inst: Any = None
    member_make: Callable[[Any], Any] | None = None
    if from_value:
        const = initializer

        def make() -> Any:
            return const

    elif shape is not None:
        assert dt is not None  # a keyed draw has its dtype
        inst = initializer() if isinstance(initializer, type) else initializer
        full = shape

        def make() -> Any:
            return _draw(frame, inst, full, dt, name)

        if isinstance(inst, Initializer):
            if inst.needs_key:
                member_make = functools.partial(inst.draw, shape=full, dtype=dt)
        elif _tf_style(inst):

            def member_make(k: Any) -> Any:
                saved = frame.rngs.swap_draw_key(k)
                try:
                    return inst(list(full), dtype=dt)
                finally:
                    frame.rngs.swap_draw_key(saved)

        else:

            def member_make(k: Any) -> Any:
                return inst(k, full, dt)

    else:
        make = initializer
    return VariableRequest(
        frame,
        name,
        graph_name,
        shape,
        dt,
        colls,
        True,
        make,
        member_make=member_make,
        initializer=inst if isinstance(inst, Initializer) else None,
        placed=_device.current(frame),
    )


def _visible_shape(frame: Frame, handle: VariableHandle) -> tuple[int, ...]:
    """The shape the function sees: a per-member variable's member shape inside its lift."""
    axis = handle._stack_axis
    if axis is None or not _lift.active(frame) or _lift.member_of(frame) is None:
        return handle.shape
    return handle.shape[:axis] + handle.shape[axis + 1 :]


def _insert(shape: tuple[int, ...], axis: int, n: int) -> tuple[int, ...]:
    return (*shape[:axis], n, *shape[axis:])


def _stored_shape(
    frame: Frame, shape: tuple[int, ...] | None, axis: int | None
) -> tuple[int, ...] | None:
    """A new variable's shape as the store keeps it (with a lifted member axis)."""
    if shape is None or axis is None:
        return shape
    return _insert(shape, axis, _lift.members(frame))


_UNSUPPORTED = ("constraint", "synchronization", "aggregation")
_IGNORED = ("caching_device", "validate_shape", "use_resource")


def get_variable(
    name: str,
    shape: Sequence[int | None] | None = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Callable[[jax.Array], Any] | None = None,
    trainable: bool | None = None,
    collections: Sequence[Any] | None = None,
    *,
    custom_getter: Callable[..., Any] | None = None,
    partitioner: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> jax.Array:
    """Get an existing variable or create a new one (``tf.compat.v1.get_variable``).

    The full name is the current variable scope's name + ``/`` + ``name``. With
    the scope's ``reuse`` False a new variable is created (an existing one is an
    error), with True the existing one is returned (a missing one is an
    error), with ``AUTO_REUSE`` either. ``initializer`` may be an initializer
    (``(key, shape, dtype)``, or TF1-style ``(shape, dtype)``), an initializer
    class, or an array (then it gives the shape and dtype). Defaults come from
    the enclosing scopes; with none, floats use glorot-uniform, ints zeros.
    A TF1 ``partitioner`` (``sj.fixed_size_partitioner(4)``, or the scope's) shards
    the axis it would split over the devices (``sj.sharding``); the variable keeps
    its one name and full shape. The scopejax errors it raises are all ``ValueError``s.

    Args:
      name: the variable's name under the current variable scope (``str`` or ``bytes``).
      shape: its shape, a sequence of ints (None for an unknown dimension) or one int;
        None when ``initializer`` is an array or a no-argument callable.
      dtype: its dtype; None takes the scope's (``float32`` by default).
      initializer: an initializer, an initializer class, a no-argument callable, or
        an array; None takes the scope's, else glorot-uniform (floats) or zeros.
      regularizer: ``fn(value) -> loss``, the loss added to ``REGULARIZATION_LOSSES``;
        None takes the scope's.
      trainable: whether it joins ``TRAINABLE_VARIABLES``; None means True.
      collections: the collections a new variable joins; None means
        ``GLOBAL_VARIABLES`` (plus ``TRAINABLE_VARIABLES`` when trainable).
      custom_getter: called as ``custom_getter(getter=..., name=..., ...)`` in place
        of the built-in getter; None takes the scope's.
      partitioner: a TF1 partitioner, e.g. ``sj.fixed_size_partitioner(4)``; None
        takes the scope's.
      **kwargs: TF1's ``caching_device``, ``validate_shape`` and ``use_resource``
        (ignored); ``constraint``, ``synchronization`` and ``aggregation`` only as None.

    Returns:
      The variable's value, a ``jax.Array``.

    Raises:
      VariableExistsError: the variable exists and the scope's ``reuse`` is False, or
        another variable has its graph name.
      VariableNotFoundError: ``reuse`` is True and no earlier ``get_variable`` in this
        call created it, or the store passed to ``apply`` lacks it.
      VariableShapeError: the shape differs from the existing variable's or the store's.
      VariableDtypeError: the dtype differs from the existing variable's or the store's.
      InitializerError: no initializer and no shape, a constant initializer with a shape
        or another dtype, an initializer that fails or does not fit the shape, or a
        variable larger than the devices' memory.
      InvalidShapeError: a negative dimension or one larger than XLA allows.
      InvalidNameError: ``name`` is not a valid scope name.
      StoreError: the store passed to ``apply`` holds None for it.
      ShardingError: its partitioner or sharding rules (``sj.sharding``) do not fit it.
      TracerLeakError: a new variable inside a JAX transformation opened in the function.
      TypeError: ``name`` is not a string, ``shape``, ``dtype`` or ``collections`` is
        malformed, or a keyword argument is unknown or unsupported.
      NotInTransformError: called outside a transformed function.

    >>> import jax, scopejax as sj
    >>> def f(x):
    ...     with sj.variable_scope("dense"):
    ...         w = sj.get_variable("kernel", [x.shape[-1], 3])
    ...         b = sj.get_variable("bias", [3], initializer=sj.initializers.zeros())
    ...     return x @ w + b
    >>> net = sj.transform(f)
    >>> x = jax.numpy.ones([2, 4])
    >>> store = net.init(jax.random.key(0), x)
    >>> sorted(store.flat())
    ['dense/bias', 'dense/kernel']
    >>> net.apply(store, x).shape
    (2, 3)
    """
    frame = current_frame("get_variable", name)
    name = check_str(name, "get_variable")
    for k in kwargs:
        if k in _UNSUPPORTED and kwargs[k] is not None:
            raise TypeError(
                f"get_variable({name!r}): `{k}` is not supported by scopejax. Apply "
                "constraints after the optimizer update."
            )
        if k not in _UNSUPPORTED and k not in _IGNORED:
            raise TypeError(f"get_variable() got an unexpected keyword argument '{k}'")
    scope = frame.naming.scope
    if regularizer is None:
        regularizer = scope._regularizer
    if custom_getter is None:
        custom_getter = scope._custom_getter
    if partitioner is None:
        partitioner = scope._partitioner
    reuse = scope._reuse
    full_name = scope._name + "/" + name if scope._name else name
    if dtype is not None and initializer is not None and not callable(initializer):
        init_dt = np.dtype(jax.dtypes.canonicalize_dtype(jnp.result_type(initializer)))
        if init_dt != as_dtype(dtype):
            raise InitializerError(
                f"Initializer type '{init_dt.name}' and explicit dtype '{as_dtype(dtype).name}' "
                f"don't match (variable {full_name})."
            )
    if initializer is None:
        initializer = scope._initializer
    if dtype is None:
        dtype = scope._dtype
    # TF1 builds variables at the root name scope: their names ignore name_scope.
    saved_stack = frame.naming.swap_stack("")
    try:
        if custom_getter is None:
            if not (frame.is_init or regularizer or _lift.active(frame) or _device.active(frame)):
                return _stored_getter(
                    frame, full_name, shape, dtype, initializer, reuse, trainable, collections
                )
            return _true_getter(
                full_name,
                shape,
                dtype,
                initializer,
                regularizer,
                reuse,
                trainable,
                collections,
                partitioner,
            )
        return custom_getter(
            getter=_true_getter,
            name=full_name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            reuse=reuse,
            trainable=trainable,
            collections=collections,
            caching_device=None,
            partitioner=partitioner,
            validate_shape=True,
            use_resource=None,
        )
    finally:
        frame.naming.swap_stack(saved_stack)


def Variable(  # noqa: N802 - TF1's name
    initial_value: Any,
    name: str | None = None,
    trainable: bool = True,
    collections: Sequence[Any] | None = None,
    dtype: Any = None,
    **kwargs: Any,
) -> jax.Array:
    """Create a new variable, always (``tf.Variable``): never shared, name made unique.

    The name follows the current *name scope* (not the variable scope) and is
    uniquified (``W``, ``W_1``, ...). ``get_variable`` cannot find such
    variables. ``initial_value`` is an array or a no-argument callable; at
    ``apply`` it is not evaluated when it is a callable.

    Args:
      initial_value: the initial value, an array or a no-argument callable returning one.
      name: the name under the current name scope, made unique; None means
        ``"Variable"``, and a trailing ``/`` takes the name as it is.
      trainable: whether it joins ``TRAINABLE_VARIABLES`` (default True).
      collections: the collections it joins; None means ``GLOBAL_VARIABLES`` (plus
        ``TRAINABLE_VARIABLES`` when trainable).
      dtype: its dtype; None keeps ``initial_value``'s.
      **kwargs: TF1's ``caching_device``, ``validate_shape`` and ``use_resource``
        (ignored).

    Returns:
      The variable's value, a ``jax.Array``.

    Raises:
      VariableExistsError: another variable has its graph name.
      VariableNotFoundError: the store passed to ``apply`` lacks it.
      VariableShapeError: the store's value differs in shape from ``initial_value``.
      VariableDtypeError: the store's value differs in dtype from ``initial_value``.
      InvalidNameError: ``name`` is not a valid scope name.
      StoreError: the store passed to ``apply`` holds None for it.
      ShardingError: its sharding rules (``sj.sharding``) do not fit it.
      TracerLeakError: called inside a JAX transformation opened in the function.
      TypeError: ``name`` is not a string, ``dtype`` or ``collections`` is malformed,
        or a keyword argument is unknown.
      NotInTransformError: called outside a transformed function.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     a = sj.Variable(1.0, name="W")
    ...     b = sj.Variable(2.0, name="W")
    ...     return [v.name for v in sj.global_variables()]
    >>> net = sj.transform(f)
    >>> net.apply(net.init(jax.random.key(0)))
    ['W', 'W_1']
    """
    frame = current_frame("Variable", name)
    for k in kwargs:
        if k not in _IGNORED and k != "caching_device":
            raise TypeError(f"Variable() got an unexpected keyword argument '{k}'")
    scope_name = "Variable" if name is None else check_str(name, "Variable")
    if scope_name and scope_name[-1] == "/":
        validate_scope_name(scope_name, nested=bool(frame.naming.stack))
        graph_name = _claim(frame, scope_name[:-1], scope_name)
    elif scope_name:
        validate_scope_name(scope_name, nested=bool(frame.naming.stack))
        graph_name = _claim(frame, frame.naming.unique_name(scope_name), scope_name)
    else:  # TF1 (ref variables): name_scope("") resets to the root, the op type names it
        saved = frame.naming.swap_stack("")
        try:
            graph_name = _claim(frame, frame.naming.unique_name("VariableV2"), scope_name)
        finally:
            frame.naming.swap_stack(saved)
    _lift.check_trace(frame, "Variable created variable ", graph_name)
    dt = None if dtype is None else as_dtype(dtype, f"Variable {graph_name}")
    colls = _collection_list(graph_name, collections, bool(trainable))
    axis = _lift.stack_axis(frame, colls) if _lift.active(frame) else None
    if frame.is_init:

        def make() -> Any:
            return initial_value() if callable(initial_value) else initial_value

        req = VariableRequest(
            frame,
            graph_name,
            graph_name,
            None,
            dt,
            colls,
            bool(trainable),
            make,
            axis=axis,
            wrap_errors=False,
            placed=_device.current(frame),
        )
        req.sharding = _sharding.resolve(graph_name, None, dt, scope=frame.naming.scope._sharding)
        value = create(req)
        device = req.device_spec
    else:
        value = _lookup(frame, graph_name, None)
        if not callable(initial_value):
            expect = tuple(np.shape(initial_value))
            if axis is not None:
                expect = _insert(expect, axis, _lift.members(frame))
            if dt is None:
                dt = np.dtype(jax.dtypes.canonicalize_dtype(jnp.result_type(initial_value)))
            _check_stored(graph_name, value, expect, dt)
        device = _device.current(frame)[0]
    handle = _register(frame, graph_name, None, value, bool(trainable), colls, device)
    handle._stack_axis = axis
    return _lift.read(frame, handle) if _lift.active(frame) else value


def _resolve(frame: Frame, ref: Any, api: str) -> VariableHandle:
    if isinstance(ref, VariableHandle):
        if ref._frame is frame:
            return ref
        ref = ref.name
    if isinstance(ref, str):
        handle = frame.registry.by_name(ref) or frame.registry.by_key(ref)
        if handle is None:
            close = difflib.get_close_matches(ref, list(frame.registry.names()), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise AssignError(
                f"{api}: no variable named {ref!r} has been created or read in this call.{hint} "
                "Call get_variable for it first."
            )
        return handle
    found = frame.registry.variable_of(ref)
    if found is not None:
        return found
    raise AssignError(
        f"{api} needs a variable: its full name, a handle from global_variables(), or the "
        f"exact array get_variable returned; got {type(ref).__name__}. Pass the name instead."
    )


def variable_handle(ref: str | jax.Array | VariableHandle) -> VariableHandle:
    """The :class:`VariableHandle` for a full name or an array ``get_variable`` returned.

    Args:
      ref: the variable's full name (or ``get_variable`` name), a handle, or the exact
        array ``get_variable``/``Variable`` returned in this call.

    Returns:
      The variable's handle in the current call.

    Raises:
      AssignError: no variable of that name was created or read in this call, or
        ``ref`` is none of these.
      NotInTransformError: called outside a transformed function.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     w = sj.get_variable("w", [2, 3])
    ...     return sj.variable_handle(w).name, sj.variable_handle("w").shape
    >>> net = sj.transform(f)
    >>> net.apply(net.init(jax.random.key(0)))
    ('w', (2, 3))
    """
    frame = current_frame("variable_handle")
    return _resolve(frame, ref, "variable_handle")


def _mutable_allows(frame: Frame, handle: VariableHandle) -> bool:
    return mutable_allows_collections(frame.mutable, handle.collections)


def assign(ref: str | jax.Array | VariableHandle, value: Any) -> jax.Array:
    """Record a new value for a variable (TF1's ``tf.assign``), e.g. batch-norm statistics.

    Later reads in the same call see the new value. ``apply_with_state(...)``
    returns ``(out, new_store)`` with it; at the stateless ``apply`` an assignment
    is an error, never a silent drop. At ``init`` the store keeps the
    initial values (TF1's initializer op ignores later assignments).

    Args:
      ref: the variable, as :func:`variable_handle` takes it (name, handle or array).
      value: the new value, of the variable's shape and its dtype (or one that casts to
        it within the same kind).

    Returns:
      The new value, cast to the variable's dtype.

    Raises:
      AssignError: not mutable, unknown variable, or a shape/dtype mismatch.
      TracerLeakError: called inside a JAX transformation opened in the function.
      NotInTransformError: called outside a transformed function.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f():
    ...     n = sj.get_variable("count", [], jnp.int32, trainable=False)
    ...     sj.assign("count", n + 1)
    ...     return n
    >>> net = sj.transform(f)
    >>> out, store = net.apply_with_state(net.init(jax.random.key(0)))
    >>> int(store["count"])
    1
    """
    frame = current_frame("assign", ref if isinstance(ref, str) else None)
    handle = _resolve(frame, ref, "assign")
    _lift.check_trace(frame, "assign to variable ", handle.name)
    if not frame.is_init and not _mutable_allows(frame, handle):
        what = f"mutable={frame.mutable!r}"
        raise AssignError(
            f"assign to variable {handle.name} during apply needs the new store returned: call "
            f"out, new_store = net.apply_with_state(store, ..., mutable=True). (got {what}; the "
            f"variable is in collections {handle.collections})"
        )
    value = jnp.asarray(value)
    shape = _visible_shape(frame, handle)
    if tuple(value.shape) != shape:
        raise AssignError(
            f"assign to variable {handle.name}: value has shape {_fmt_shape(value.shape)}, the "
            f"variable has shape {_fmt_shape(shape)}."
        )
    if value.dtype != handle.dtype:
        weak_int = getattr(value, "weak_type", False) and jnp.issubdtype(value.dtype, jnp.integer)
        if weak_int or np.can_cast(value.dtype, handle.dtype, "same_kind"):
            value = value.astype(handle.dtype)
        else:
            raise AssignError(
                f"assign to variable {handle.name}: value has dtype {value.dtype.name}, the "
                f"variable has dtype {handle.dtype.name}; cast it first."
            )
    frame.registry.note_value(handle, value)
    if _lift.write(frame, handle, value):  # inside sj.scan/vmap/...: a local value
        return value
    handle._value = value
    frame.registry.record_assign(handle.name, value)
    return value


def assign_add(ref: str | jax.Array | VariableHandle, delta: Any) -> jax.Array:
    """``assign(ref, value + delta)`` (TF1's ``tf.assign_add``).

    Args:
      ref: the variable, as :func:`variable_handle` takes it (name, handle or array).
      delta: added to the variable's current value.

    Returns:
      The new value.

    Raises:
      AssignError: as :func:`assign` (not mutable, unknown variable, shape/dtype).
      NotInTransformError: called outside a transformed function.
    """
    frame = current_frame("assign_add")
    handle = _resolve(frame, ref, "assign_add")
    return assign(handle, _lift.read(frame, handle) + delta)


def assign_sub(ref: str | jax.Array | VariableHandle, delta: Any) -> jax.Array:
    """``assign(ref, value - delta)`` (TF1's ``tf.assign_sub``).

    Args:
      ref: the variable, as :func:`variable_handle` takes it (name, handle or array).
      delta: subtracted from the variable's current value.

    Returns:
      The new value.

    Raises:
      AssignError: as :func:`assign` (not mutable, unknown variable, shape/dtype).
      NotInTransformError: called outside a transformed function.
    """
    frame = current_frame("assign_sub")
    handle = _resolve(frame, ref, "assign_sub")
    return assign(handle, _lift.read(frame, handle) - delta)
