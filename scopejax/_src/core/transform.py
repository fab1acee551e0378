"""``transform`` / ``transform_multi``: functions calling ``get_variable`` -> pure init/apply."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core import device, fastinit, lifting, sharding
from scopejax._src.core.context import Frame, push_frame
from scopejax._src.core.device import memory_bytes
from scopejax._src.core.errors import (
    DonatedStateError,
    StoreError,
    TransformError,
    UnusedVariablesError,
)
from scopejax._src.core.fastinit import abstract_values, discover, materialise
from scopejax._src.core.request import Interceptor, active_interceptors
from scopejax._src.core.rng import RNG_STREAM, as_key, variable_key
from scopejax._src.core.scope import new_frame
from scopejax._src.core.store import Store, VariableInfo, flatten_mapping

_TRAINABLE = "trainable_variables"
_TRACER_HINT = (
    "scopejax: a tracer escaped. Common causes: a value from one init/apply call kept and "
    "used in another, or a variable created inside a raw jax transformation within the "
    "transformed function. Transform the whole function and jit/vmap net.init / net.apply."
)


def _init_abstract(init: Callable[..., Store], rng: Any, args: tuple, kwargs: dict) -> Store:
    abstract = getattr(init, "abstract", None)
    if abstract is not None:
        return abstract(rng, *args, **kwargs)
    return jax.eval_shape(init, jax.random.key(0) if rng is None else rng, *args, **kwargs)


class Transformed(NamedTuple):
    """Pure functions of one model: ``init``, ``apply`` and ``apply_with_state``.

    * ``init(rng, *args) -> Store``;
    * ``apply(store, *args, rng=None) -> out``, stateless (``assign`` is an error);
    * ``apply_with_state(store, *args, rng=None, mutable=True) -> (out, new_store)``,
      the store with the values ``assign``-ed (``mutable``: which collections may
      change).
    """

    init: Callable[..., Store]
    apply: Callable[..., Any]
    apply_with_state: Callable[..., tuple[Any, Any]]

    def init_abstract(self, rng: Any, *args: Any, **kwargs: Any) -> Store:
        """The Store ``init(rng, *args)`` would return, with ``jax.ShapeDtypeStruct`` leaves.

        Names, shapes, dtypes and metadata of every variable, found by tracing the
        function; nothing is drawn or run. ``args`` may be arrays or
        ``jax.ShapeDtypeStruct``; ``rng`` may be None.

        >>> import jax, scopejax as sj
        >>> net = sj.transform(lambda x: sj.nn.Dense(3)(x))
        >>> shapes = net.init_abstract(None, jax.ShapeDtypeStruct((8, 5), "float32"))
        >>> shapes["dense/kernel"]
        ShapeDtypeStruct(shape=(5, 3), dtype=float32)
        """
        return _init_abstract(self.init, rng, args, kwargs)


class MultiTransformed(NamedTuple):
    """``init`` plus several entry points sharing one store.

    ``apply`` and ``apply_with_state`` are each a tuple or a dict (as ``fns``) of
    per-entry functions, with the signatures of :class:`Transformed`'s.
    """

    init: Callable[..., Store]
    apply: Any
    apply_with_state: Any

    def init_abstract(self, rng: Any, *args: Any, **kwargs: Any) -> Store:
        """Like :meth:`Transformed.init_abstract`: ``init``'s Store, values as shapes."""
        return _init_abstract(self.init, rng, args, kwargs)


def _check_fn(fn: Any, api: str) -> None:
    if not callable(fn):
        raise TransformError(f"{api} takes a function, got {type(fn).__name__}.")
    if hasattr(fn, "lower") and hasattr(fn, "trace"):
        raise TransformError(
            f"{api} got a function already wrapped by jax.jit. Transform the plain function and "
            "jit the results instead: net = scopejax.transform(fn); jax.jit(net.apply)."
        )


def build_store(frame: Frame, values: Mapping[str, Any] | None = None) -> Store:
    """The Store of an init frame: initial values plus metadata from the collections."""
    registry, collections = frame.registry, frame.colls
    found: dict[str, set[Any]] = {name: set() for name in registry.names()}
    for key, items in collections.items():
        for item in items:
            if getattr(item, "_frame", None) is frame:
                found[item.name].add(key)
    colls: dict[str, list[Any]] = {}
    for name, handle in registry.items():
        ordered = [c for c in handle._colls if c in found[name]]
        ordered += [c for c in collections.keys() if c in found[name] and c not in ordered]
        colls[name] = ordered
    initial = registry.initial() if values is None else values
    infos, leaves = [], []
    for name, handle in registry.items():
        c = tuple(colls[name])
        infos.append(
            VariableInfo(
                name=name,
                shape=handle.shape,
                dtype=handle.dtype.name,
                trainable=_TRAINABLE in c,
                collections=c,
                device=handle.device,
                key=handle.key,
            )
        )
        leaves.append(initial[name])
    return Store(leaves, infos)


def read_store(store: Any) -> dict[str, Any]:
    """``{full_name: value}`` from a Store or a (nested) dict of arrays."""
    if isinstance(store, Store):
        return store.flat()
    if isinstance(store, Mapping):
        flat = flatten_mapping(store)
        for k, v in flat.items():
            if not isinstance(v, (jax.Array, np.ndarray)):
                try:
                    if v is None:
                        raise TypeError
                    flat[k] = jnp.asarray(v)
                except (TypeError, ValueError):
                    raise StoreError(
                        f"Variable {k}: the store passed to apply holds a {type(v).__name__}, "
                        "not an array."
                    ) from None
        return flat
    raise TransformError(
        "apply expects the store returned by init (or a dict of arrays) as its first "
        f"argument, got {type(store).__name__}. Call it as net.apply(store, *args)."
    )


def _updated(store: Any, assigned: Mapping[str, Any]) -> Any:
    if not assigned:
        return store
    if isinstance(store, Store):
        return store.replace(assigned)
    flat = flatten_mapping(store)
    flat.update(assigned)

    def rebuild(tree: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        out = {}
        for k, v in tree.items():
            full = prefix + k
            out[k] = rebuild(v, full + "/") if isinstance(v, Mapping) else flat[full]
        return out

    return rebuild(store, "")


def _run(frame: Frame, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    with push_frame(frame):
        try:
            return fn(*args, **kwargs)
        except jax.errors.UnexpectedTracerError as e:
            e.add_note(_TRACER_HINT)
            raise


def _run_apply(frame: Frame, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """``_run`` for ``apply``: a store whose arrays were donated is named, not a JAX error."""
    try:
        return _run(frame, fn, args, kwargs)
    except (RuntimeError, ValueError) as e:  # ValueError: JAX's C++ dispatch path
        gone = [
            n
            for n, v in (frame.params or {}).items()
            if isinstance(v, jax.Array) and not isinstance(v, jax.core.Tracer) and v.is_deleted()
        ]
        if not gone:
            raise
        more = f" (and {len(gone) - 1} more)" if len(gone) > 1 else ""
        raise DonatedStateError(
            f"apply: variable {gone[0]}{more} of the store was deleted: its buffer was donated, "
            "e.g. to a training step (trainer.step and fit reuse the buffers of the trained "
            "variables). Use the store the last step returned (state.store), copy the store "
            "before training (saved = jax.tree.map(jnp.copy, store)), or build the trainer "
            "with minimize(..., donate=False)."
        ) from e


#: The interceptors of variable creation at ``init``, outermost first (core/request.py).
INIT_INTERCEPTORS: tuple[Interceptor, ...] = (
    lifting.in_owner_trace,
    sharding.placement,
    device.placement,
    fastinit.discovery,
    lifting.per_member,
)


def _init_chain() -> list[Interceptor]:
    """An init frame's interceptors: ``intercepting`` blocks outside the built-in ones, and
    outermost fast init's record of the value the chain settled on."""
    return [fastinit.settled, *active_interceptors(), *INIT_INTERCEPTORS]


def _init_frame(rng: Any, named_scopes: bool, abstract: bool = False) -> Frame:
    key = as_key(rng, "init")
    return new_frame(
        interceptors=_init_chain(),
        is_init=True,
        init_key=key,
        rng=variable_key(key, RNG_STREAM),
        named_scopes=named_scopes,
        # init_abstract only gives shapes: any size is fine there
        max_bytes=None if abstract else memory_bytes(),
    )


Runner = Callable[[Frame, tuple, dict], Any]


def _init(run: Runner, rng: Any, args: tuple, kwargs: dict, named_scopes: bool, fast: bool):
    """``init``: discover + materialise (fast), or run the function forward."""
    if fast:
        found = discover(lambda: _init_frame(rng, False), run, args, kwargs)
        if found is not None:
            frame = found[0]
            try:
                materialise(*found)
                return build_store(frame)
            finally:
                frame.release()
    frame = _init_frame(rng, named_scopes)
    try:
        run(frame, args, kwargs)
        return build_store(frame)
    finally:
        frame.release()


def _abstract(run: Runner, rng: Any, args: tuple, kwargs: dict) -> Store:
    """``init_abstract``: the Store of discovery, values as ShapeDtypeStructs."""
    key = jax.random.key(0) if rng is None else rng
    found = discover(lambda: _init_frame(key, False, abstract=True), run, args, kwargs)
    if found is not None:
        frame = found[0]
        try:
            return build_store(frame, abstract_values(frame))
        finally:
            frame.release()
    # the function needs concrete values: run init forward and keep the shapes
    store = _init(run, rng if rng is not None else 0, args, kwargs, False, False)
    return jax.tree.map(lambda v: jax.ShapeDtypeStruct(v.shape, v.dtype), store)


def _check_mutable(mutable: Any) -> Any:
    """``apply_with_state``'s ``mutable``: a bool, a collection name, or a collection of names."""
    if isinstance(mutable, (bool, np.bool_)) or mutable is None:
        return bool(mutable)
    if isinstance(mutable, str):
        return mutable
    if isinstance(mutable, (list, tuple, set, frozenset)):
        return tuple(mutable)
    raise TransformError(
        f"apply_with_state's `mutable` must be True/False, a collection name or a list of "
        f"collection names (e.g. mutable=True or "
        f"mutable=[sj.GraphKeys.MOVING_AVERAGE_VARIABLES]); got {mutable!r}."
    )


def _static_mutable(mutable: Any) -> Any:
    """``mutable`` checked and normalised: a Python value, never a tracer."""
    if isinstance(mutable, jax.core.Tracer):
        raise TransformError(
            "apply_with_state's `mutable` must be a Python value (True/False or collection "
            "names), but it was traced by jax.jit. Fix it before jitting: "
            "jax.jit(functools.partial(net.apply_with_state, mutable=...)) or "
            'jax.jit(net.apply_with_state, static_argnames="mutable").'
        )
    return _check_mutable(mutable)


_DEPRECATED_MUTABLE = (
    "{api}(store, ..., mutable={mutable!r}) is deprecated: use "
    "{api_with_state}(store, ..., mutable={mutable!r}), which returns (out, new_store). "
    "{api} is stateless: it returns only the output."
)


def _legacy_mutable(mutable: Any, api: str, api_with_state: str) -> Any:
    """``apply``'s deprecated ``mutable``: falsy (False, None) is accepted silently; anything
    else is checked and warned about (``stacklevel``: the caller of ``apply``)."""
    if mutable is None or mutable is False:
        return False
    mutable = _static_mutable(mutable)
    if mutable:
        warnings.warn(
            _DEPRECATED_MUTABLE.format(api=api, api_with_state=api_with_state, mutable=mutable),
            DeprecationWarning,
            stacklevel=3,
        )
    return mutable


def _apply_frame(store: Any, rng: Any, mutable: Any, named_scopes: bool) -> Frame:
    """The frame of one ``apply`` call; ``mutable`` already checked by ``_static_mutable``."""
    params = sharding.shard_params(read_store(store))  # inside sj.sharding.use: its rules
    colls = None
    if mutable and isinstance(store, Store):
        colls = {name: info.collections for name, info in store.infos.items()}
    return new_frame(
        is_init=False,
        params=params,
        param_colls=colls,
        mutable=mutable,
        rng=None if rng is None else as_key(rng, "apply"),
        named_scopes=named_scopes,
    )


def _name(wrapper: Callable[..., Any], fn: Callable[..., Any], kind: str) -> None:
    """Name ``wrapper`` after ``fn`` (not functools.wraps: its __wrapped__ would make
    ``inspect.signature`` and ``jax.jit(static_argnames=...)`` see ``fn``'s arguments)."""
    base = getattr(fn, "__name__", type(fn).__name__)
    wrapper.__name__ = f"{base}_{kind}"
    wrapper.__qualname__ = f"{getattr(fn, '__qualname__', base)}.{kind}"


def _check_unused(frame: Frame) -> None:
    unused = frame.registry.unused(frame.params or ())
    if unused:
        shown = ", ".join(unused[:8]) + (" ..." if len(unused) > 8 else "")
        raise UnusedVariablesError(
            f"The store passed to apply holds {len(unused)} variable(s) the function never "
            f"asked for: {shown}. Pass the store init returned for this function, drop them "
            "(store.filter(...)), or build with scopejax.transform(fn, strict=False) when some "
            "code paths skip variables."
        )


def transform(
    fn: Callable[..., Any],
    *,
    named_scopes: bool = True,
    strict: bool = True,
    fast_init: bool = True,
) -> Transformed:
    """Turn a function that calls ``get_variable`` into pure ``init`` / ``apply``.

    * ``init(rng, *args, **kwargs) -> Store`` returns every variable ``fn``
      creates, each drawn from ``fold_in(rng, stable_hash(name))``. With
      ``fast_init`` (default) it traces ``fn`` abstractly to find the variables
      and draws those sharing an initializer, shape and dtype in one batch, so
      the forward pass is neither compiled nor run; a function that needs
      concrete values at init is run forward instead, as with
      ``fast_init=False``. The values are the same either way.
    * ``net.init_abstract(rng, *args)`` gives the same Store with
      ``jax.ShapeDtypeStruct`` leaves, drawing nothing.
    * ``apply(store, *args, rng=None, **kwargs)`` runs ``fn`` reading variables
      from ``store`` and returns ``fn``'s output; an ``assign`` during it is an
      error. ``rng`` feeds ``next_rng_key()``.
    * ``apply_with_state(store, *args, rng=None, mutable=True, **kwargs)`` returns
      ``(output, new_store)``: the store with the values ``assign``-ed (batch-norm
      statistics, counters). ``mutable`` names what may change: True (every
      variable), a collection name, or a list of them; under ``jax.jit`` it is
      static (``static_argnames="mutable"`` or ``functools.partial``).

    ``apply(store, ..., mutable=True)``, the old form of ``apply_with_state``, still
    returns ``(output, new_store)`` but is deprecated (a ``DeprecationWarning``).

    All are pure and can be wrapped in ``jax.jit``, ``jax.grad``, ``jax.vmap``.
    ``named_scopes=False`` keeps scope names out of XLA metadata; with
    ``strict`` (default) ``apply`` rejects stores holding variables the
    function does not use (``transform_multi``'s entry points never do, since
    each may use part of the store).

    Args:
      fn: the model, a function that calls ``get_variable`` (under scopes).
      named_scopes: keep the name scopes in the compiled program's metadata.
      strict: ``apply`` refuses a store with variables ``fn`` does not use.
      fast_init: find the variables by tracing ``fn`` abstractly (see above).

    Returns:
      A :class:`Transformed`: ``init``, ``apply``, ``apply_with_state``, ``init_abstract``.

    Raises:
      TransformError: ``fn`` is not callable or is already ``jax.jit``-decorated.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def model(x):
    ...     with sj.variable_scope("l1"):
    ...         w = sj.get_variable("w", [x.shape[-1], 2])
    ...     return jnp.tanh(x @ w)
    >>> net = sj.transform(model)
    >>> x = jnp.ones([4, 3])
    >>> store = net.init(jax.random.key(0), x)
    >>> jax.jit(net.apply)(store, x).shape
    (4, 2)

    State that ``apply`` changes comes back from ``apply_with_state``:

    >>> def counter(x):
    ...     n = sj.get_variable("n", [], jnp.int32, trainable=False)
    ...     sj.assign("n", n + 1)
    ...     return x * n
    >>> counted = sj.transform(counter)
    >>> store = counted.init(jax.random.key(0), x)
    >>> out, store = counted.apply_with_state(store, x)
    >>> int(store["n"])
    1
    """
    _check_fn(fn, "transform")

    def run(frame: Frame, args: tuple, kwargs: dict) -> Any:
        return _run(frame, fn, args, kwargs)

    def init(rng: Any, *args: Any, **kwargs: Any) -> Store:
        return _init(run, rng, args, kwargs, named_scopes, fast_init)

    def abstract(rng: Any, *args: Any, **kwargs: Any) -> Store:
        return _abstract(run, rng, args, kwargs)

    init.abstract = abstract  # type: ignore[attr-defined]  # read by _init_abstract

    def run_apply(store: Any, args: tuple, rng: Any, mutable: Any, kwargs: dict):
        frame = _apply_frame(store, rng, mutable, named_scopes)
        try:
            out = _run_apply(frame, fn, args, kwargs)
            if strict:
                _check_unused(frame)
            return out, (_updated(store, frame.registry.assigned()) if mutable else store)
        finally:
            frame.release()

    def apply(store: Any, *args: Any, rng: Any = None, mutable: Any = False, **kwargs: Any):
        mutable = _legacy_mutable(mutable, "net.apply", "net.apply_with_state")
        out, new_store = run_apply(store, args, rng, mutable, kwargs)
        return (out, new_store) if mutable else out

    def apply_with_state(
        store: Any, *args: Any, rng: Any = None, mutable: Any = True, **kwargs: Any
    ) -> tuple[Any, Any]:
        return run_apply(store, args, rng, _static_mutable(mutable), kwargs)

    _name(init, fn, "init")
    _name(apply, fn, "apply")
    _name(apply_with_state, fn, "apply_with_state")
    return Transformed(init, apply, apply_with_state)


def transform_multi(
    f: Callable[[], tuple[Callable[..., Any], Sequence[Callable] | Mapping[str, Callable]]],
    *,
    named_scopes: bool = True,
    fast_init: bool = True,
) -> MultiTransformed:
    """Several entry points over one store (a GAN's generator and discriminator).

    ``f()`` builds the functions and returns ``(init_fn, fns)``: ``init_fn``
    creates every variable (call each entry point from it); ``fns`` is a tuple
    or a dict of functions. ``init(rng, *args)`` runs ``init_fn``; ``apply`` is a
    tuple or dict of ``apply(store, *args, rng=None) -> out`` and
    ``apply_with_state`` one of ``apply_with_state(store, *args, rng=None,
    mutable=True) -> (out, new_store)``, as for :func:`transform`. An entry point
    may use only part of the store.

    Args:
      f: a function with no arguments that builds the shared modules and returns
        ``(init_fn, entry_points)``: a sequence or a mapping of functions.
      named_scopes: keep the name scopes in the compiled program's metadata.
      fast_init: find the variables by tracing abstractly (see :func:`transform`).

    Returns:
      A :class:`MultiTransformed`: ``init`` and one ``apply`` per entry point.

    Raises:
      TransformError: ``f`` does not return ``(init_fn, entry_points)``.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def gan():
    ...     def generator(z):
    ...         with sj.variable_scope("generator"):
    ...             return z @ sj.get_variable("w", [2, 3])
    ...     def discriminator(x):
    ...         with sj.variable_scope("discriminator", reuse=sj.AUTO_REUSE):
    ...             return x @ sj.get_variable("w", [3, 1])
    ...     def init(z, x):
    ...         return discriminator(generator(z)), discriminator(x)
    ...     return init, {"generator": generator, "discriminator": discriminator}
    >>> net = sj.transform_multi(gan)
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 2]), jnp.ones([1, 3]))
    >>> store.names()
    ['discriminator/w', 'generator/w']
    >>> net.apply["discriminator"](store, jnp.ones([5, 3])).shape
    (5, 1)
    """
    _check_fn(f, "transform_multi")
    probe = new_frame(
        is_init=True,
        init_key=jax.random.key(0),
        named_scopes=False,
        interceptors=_init_chain(),
    )
    try:
        with push_frame(probe):
            built = f()
    finally:
        probe.release()
    if not (isinstance(built, tuple) and len(built) == 2):
        raise TransformError(
            "transform_multi: f() must return (init_fn, fns) with fns a tuple or dict of "
            f"functions; got {type(built).__name__}."
        )
    _, fns = built
    is_map = isinstance(fns, Mapping)
    keys = list(fns) if is_map else list(range(len(fns)))

    def run(frame: Frame, args: tuple, kwargs: dict) -> Any:
        with push_frame(frame):
            init_fn, _ = f()
            return init_fn(*args, **kwargs)

    def init(rng: Any, *args: Any, **kwargs: Any) -> Store:
        return _init(run, rng, args, kwargs, named_scopes, fast_init)

    def abstract(rng: Any, *args: Any, **kwargs: Any) -> Store:
        return _abstract(run, rng, args, kwargs)

    init.abstract = abstract  # type: ignore[attr-defined]  # read by _init_abstract

    def make_apply(k: Any) -> tuple[Callable[..., Any], Callable[..., tuple[Any, Any]]]:
        def run_apply(store: Any, args: tuple, rng: Any, mutable: Any, kwargs: dict):
            frame = _apply_frame(store, rng, mutable, named_scopes)
            try:
                with push_frame(frame):
                    _, built_fns = f()
                    out = built_fns[k](*args, **kwargs)
                return out, (_updated(store, frame.registry.assigned()) if mutable else store)
            finally:
                frame.release()

        def apply(store: Any, *args: Any, rng: Any = None, mutable: Any = False, **kwargs: Any):
            mutable = _legacy_mutable(mutable, f"net.apply[{k!r}]", f"net.apply_with_state[{k!r}]")
            out, new_store = run_apply(store, args, rng, mutable, kwargs)
            return (out, new_store) if mutable else out

        def apply_with_state(
            store: Any, *args: Any, rng: Any = None, mutable: Any = True, **kwargs: Any
        ) -> tuple[Any, Any]:
            return run_apply(store, args, rng, _static_mutable(mutable), kwargs)

        apply.__name__ = f"apply_{k}"
        apply_with_state.__name__ = f"apply_with_state_{k}"
        return apply, apply_with_state

    made = [make_apply(k) for k in keys]

    def collect(i: int) -> Any:
        fns_i = [m[i] for m in made]
        return dict(zip(keys, fns_i, strict=True)) if is_map else tuple(fns_i)

    return MultiTransformed(init, collect(0), collect(1))
