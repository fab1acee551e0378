"""Training over the store: TF1's ``optimizer.minimize(loss, var_list)`` with optax.

``minimize`` transforms a loss function, differentiates only the variables the
``var_list`` selects (frozen ones never enter ``jax.grad`` and get no optimizer
state), applies an optax transformation, carries mutable state (batch-norm
statistics assigned during the step) and returns a jitted step with donated
buffers.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.sharding import NamedSharding, PartitionSpec

from scopejax._src.core import sharding as _sharding
from scopejax._src.core.collection import GraphKeys, get_regularization_loss
from scopejax._src.core.dtypes import jax_flag
from scopejax._src.core.errors import DonatedStateError, ScopejaxError, StoreError, TransformError
from scopejax._src.core.selectors import Selector, select
from scopejax._src.core.selectors import trainable as trainable_selector
from scopejax._src.core.store import Store, VariableInfo, merge
from scopejax._src.core.transform import Transformed, transform

_TRAINABLE = GraphKeys.TRAINABLE_VARIABLES


class TrainableDtypeError(ScopejaxError, TypeError):
    """A variable selected for training is not floating point, so it has no gradient.

    Fix: create it with ``trainable=False`` (counters, lookup tables), freeze it
    (``sj.train.freeze``) or leave it out of ``var_list``.
    """


class NonFiniteError(ScopejaxError, FloatingPointError):
    """``fit(on_nonfinite="stop")`` met a non-finite loss or update and stopped.

    Attributes:
      state: the TrainState before the bad update (valid: not donated).
      step: the step of the ``fit`` call (0-based) whose loss or update was not finite.
      variable: the first variable (by name) whose gradient is not finite, or None.
      loss: that step's loss, as a float.
    """

    def __init__(
        self, message: str, *, state: Any, step: int, variable: str | None, loss: float
    ) -> None:
        super().__init__(message)
        self.state = state
        self.step = step
        self.variable = variable
        self.loss = loss


def _is_deleted(leaf: Any) -> bool:
    if not isinstance(leaf, jax.Array) or isinstance(leaf, jax.core.Tracer):
        return False
    return leaf.is_deleted()


def deleted_arrays(tree: Any) -> list[str]:
    """What of ``tree`` (a TrainState, a Store, any pytree) holds deleted arrays, by name."""
    if isinstance(tree, TrainState):
        return (
            deleted_arrays(tree.store)
            + [f"optimizer state {n}" for n in deleted_arrays(tree.opt_state)]
            + (["step"] if _is_deleted(tree.step) else [])
        )
    if isinstance(tree, Store):
        return [n for n, v in tree.flat().items() if _is_deleted(v)]
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [jax.tree_util.keystr(p) or "(root)" for p, v in leaves if _is_deleted(v)]


def raise_if_donated(tree: Any, where: str, error: BaseException | None = None) -> None:
    """Raise DonatedStateError naming the deleted arrays of ``tree``, if it holds any.

    Args:
      tree: what was passed in (a TrainState, a Store, a pytree).
      where: the API, for the message (``"trainer.step"``).
      error: the error JAX raised, chained as the cause.

    Raises:
      DonatedStateError: ``tree`` holds a deleted (donated) array.
    """
    gone = deleted_arrays(tree)
    if not gone:
        return
    what = gone[0] if gone[0].startswith(("optimizer state", "step")) else f"variable {gone[0]}"
    more = f" (and {len(gone) - 1} more: {', '.join(gone[1:4])}{' ...' if len(gone) > 4 else ''})"
    raise DonatedStateError(
        f"{where}: {what}{more if len(gone) > 1 else ''} was donated to an earlier training "
        "step: trainer.step and fit reuse the buffers of the trainable variables and of the "
        "optimizer state for the new state, and delete the old arrays (variables var_list "
        "does not select are not donated). Use the state the last step returned. To keep an "
        "earlier state usable, copy it before the step (saved = jax.tree.map(jnp.copy, "
        "state)), start from trainer.init_from(store) (it copies), or build the trainer with "
        "minimize(..., donate=False)."
    ) from error


def as_selector(var_list: Any) -> Selector:
    """``var_list`` as a selector; ``None`` is the trainable variables (see ``select``).

    Args:
      var_list: None, a collection name, a list of them, a selector, a Store or handles.

    Returns:
      A selector (``VariableInfo -> bool``).

    Raises:
      TypeError: ``var_list`` is none of these.
    """
    return select(var_list, default=trainable_selector(), what="var_list")


class TrainState(NamedTuple):
    """What a training step carries: the whole store, the optimizer state, the step."""

    store: Store
    opt_state: Any
    step: jax.Array


class Trainer(NamedTuple):
    """``minimize``'s result.

    ``init(rng, *batch) -> TrainState``; ``init_from(store)`` (start from existing
    values, e.g. a pretrained and partly frozen store); ``step(state, *batch, rng=None)
    -> (state, metrics)``, jitted, donating the selected variables and the optimizer
    state; ``step_fn``, the same step as a plain function (to jit yourself);
    ``gradients(state, *batch, rng=None) -> (loss, grads, updates)``, jitted, no
    donation; ``checked_step``, the step ``fit`` runs (see :func:`minimize`).
    """

    net: Transformed
    init: Callable[..., TrainState]
    step: Callable[..., tuple[TrainState, dict[str, Any]]]
    step_fn: Callable[..., tuple[TrainState, dict[str, Any]]]
    optimizer: optax.GradientTransformation
    var_list: Selector
    init_from: Callable[..., TrainState]
    checked_step: Callable[..., tuple[TrainState, dict[str, Any], Any]]
    gradients: Callable[..., tuple[jax.Array, Store, Store]]


def _check_dtypes(infos: Iterable[VariableInfo], select: Selector) -> None:
    """TrainableDtypeError for a selected variable that cannot be differentiated."""
    for info in infos:
        if not jnp.issubdtype(jnp.dtype(info.dtype), jnp.inexact):
            raise TrainableDtypeError(
                f"minimize: variable {info.name} ({info.dtype}) is selected for training by "
                f"var_list {getattr(select, '__name__', select)!r}, but only floating-point "
                "variables have gradients. Create it with trainable=False (counters, lookup "
                f"tables), freeze it (sj.train.freeze(store, sj.train.names({info.name!r}))) "
                "or leave it out of var_list."
            )


def _all_finite(tree: Any) -> jax.Array:
    ok = jnp.ones((), bool)
    for leaf in jax.tree.leaves(tree):
        if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact):
            ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok


def _debugging_nans() -> bool:
    """``jax.debug_nans`` / ``debug_infs`` re-run a failing step op by op: no donation."""
    return bool(jax_flag("jax_debug_nans") or jax_flag("jax_debug_infs"))


def minimize(
    loss_fn: Callable[..., Any],
    optimizer: optax.GradientTransformation,
    var_list: Any = None,
    *,
    has_aux: bool = False,
    regularization: bool = False,
    donate: bool = True,
    jit: bool = True,
    static_argnums: tuple[int, ...] = (),
    named_scopes: bool = True,
) -> Trainer:
    """Build a training step for ``loss_fn`` (a function calling ``get_variable``).

    ``loss_fn(*batch)`` returns the scalar loss (or ``(loss, aux_dict)`` with
    ``has_aux``). Only the variables ``var_list`` selects (default: the
    trainable collection) are differentiated and updated; the optimizer state
    covers only them. ``regularization=True`` adds ``REGULARIZATION_LOSSES``.
    Values ``assign``-ed during the step (batch-norm statistics) are kept.
    ``step(state, *batch, rng=None)`` returns ``(state, metrics)``; it is
    jitted and donates the selected variables and the optimizer state (do not
    reuse them after a step; ``init_from(store)`` copies the store it starts
    from, so that one stays usable). Other variables are not donated: a store
    taken before training keeps its frozen values. Under ``jax.debug_nans`` /
    ``debug_infs`` nothing is donated, so JAX can re-run a failing step and
    raise its FloatingPointError. ``static_argnums`` indexes ``batch`` (0 = its
    first element) for Python flags such as ``training``, which would otherwise
    be traced.

    Inside ``sj.sharding.use(mesh, rules)`` the same code runs across devices:
    ``init`` draws each variable into its rule's sharding, the optimizer state is
    placed like its parameters (``mu``/``nu`` of a split kernel are split the same
    way), and each step splits the leading axis of the batch's arrays over the mesh
    axis ``'data'`` (data parallelism; see ``use(batch_axis=)``). Kernels split over a
    ``'model'`` axis by the rules give tensor parallelism, and parameters split over
    ``'data'`` the FSDP style; XLA inserts the collectives. ``init_from(store)`` places
    a store from elsewhere (a checkpoint) by the rules.

    ``checked_step(guard, state, halted, batch, rng, kwargs, where)`` is the step
    ``fit`` runs, returning ``(state, metrics, flags)``: with ``guard=None`` the
    plain step (``flags`` None); ``False`` also returns ``bad`` (the loss or an
    update is not finite, checked in the compiled step); ``True`` leaves such an
    update out, and every update while ``halted``, and returns ``(bad, halted | bad)``.

    Args:
      loss_fn: the loss, a function of the batch calling ``get_variable``.
      optimizer: an optax transformation.
      var_list: what to train: None (the trainable collection), collection
        name(s), or a selector (``regex``, ``collection``, ``names``).
      has_aux: ``loss_fn`` returns ``(loss, aux_dict)``.
      regularization: add the ``REGULARIZATION_LOSSES`` collection to the loss.
      donate: let the jitted step reuse the buffers of its input state.
      jit: jit the step.
      static_argnums: positions in ``batch`` of static (Python) arguments.
      named_scopes: keep scope names in XLA metadata.

    Returns:
      A :class:`Trainer`.

    Raises:
      TransformError: ``loss_fn`` is not callable.
      TypeError: ``var_list`` is not a selector.
      TrainableDtypeError: (at ``init``, ``init_from`` or the first step) a
        selected variable is not floating point.
      DonatedStateError: a step gets a state whose arrays a previous step donated.

    >>> import jax, jax.numpy as jnp, optax, scopejax as sj
    >>> def loss_fn(x, y):
    ...     return jnp.mean((sj.layers.dense(x, 1)[:, 0] - y) ** 2)
    >>> trainer = sj.train.minimize(loss_fn, optax.sgd(0.1))
    >>> x, y = jnp.ones([4, 3]), jnp.zeros([4])
    >>> state = trainer.init(jax.random.key(0), x, y)
    >>> state, metrics = trainer.step(state, x, y)
    >>> int(state.step), sorted(metrics)
    (1, ['loss'])
    """
    if not callable(loss_fn):
        raise TransformError(f"minimize takes a loss function, got {type(loss_fn).__name__}.")
    select = as_selector(var_list)

    def wrapped(*args: Any, **kwargs: Any) -> tuple[jax.Array, dict[str, Any]]:
        out = loss_fn(*args, **kwargs)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TransformError(
                    "minimize(has_aux=True): the loss function must return (loss, aux_dict)."
                )
            loss, aux = out
        else:
            loss, aux = out, {}
        loss = jnp.asarray(loss)
        if loss.shape != ():
            raise TransformError(
                f"minimize: the loss must be a scalar, got shape {loss.shape}. Reduce it "
                "(e.g. .mean()) or pass has_aux=True and return (loss, aux)."
            )
        if regularization:
            loss = loss + get_regularization_loss()
        return loss, dict(aux) if isinstance(aux, Mapping) else {"aux": aux}

    net = transform(wrapped, named_scopes=named_scopes)
    layouts: dict[int, tuple[Any, list[int], list[int], dict[str, int]]] = {}

    def layout(store: Store) -> tuple[Any, list[int], list[int], dict[str, int]]:
        """Positions of the selected and other variables, per metadata (checked once)."""
        if not isinstance(store, Store):
            raise StoreError(
                f"minimize: the state's store must be a Store, got {type(store).__name__}."
            )
        infos = store._infos
        hit = layouts.get(id(infos))
        if hit is not None and hit[0] is infos:
            return hit
        sel, rest = store._select(select)
        _check_dtypes((infos[k] for k in sel), select)
        n = len(store._prefix)
        if len(layouts) >= 8:
            layouts.clear()
        hit = layouts[id(infos)] = (infos, sel, rest, {infos[k].name[n:]: k for k in rest})
        return hit

    def select_train(store: Store) -> Store:
        _, sel, _, _ = layout(store)
        train = store._pick(sel)
        if not train.names():
            raise StoreError(
                f"minimize: var_list {getattr(select, '__name__', select)!r} selects no variable "
                f"of the model (it has {len(store.names())}: {store.names()[:6]} ...)."
            )
        return train

    def fresh_state(store: Store, train: Store) -> TrainState:
        """A step-0 state; inside sj.sharding.use its optimizer state is placed like
        the parameters."""
        opt_state = _sharding.shard_like(optimizer.init(train), train.flat())
        return TrainState(store, opt_state, _count())

    def init(rng: Any, *args: Any, **kwargs: Any) -> TrainState:
        store = net.init(rng, *args, **kwargs)  # inside sj.sharding.use: born sharded
        train = select_train(store)
        return fresh_state(store, train)

    def init_from(store: Store, copy: bool = True) -> TrainState:
        train = select_train(store)
        if copy:  # the step donates the selected variables: keep the caller's alive
            try:
                train = jax.tree.map(jnp.array, train)
            except (RuntimeError, ValueError) as e:
                raise_if_donated(store, "init_from", e)
                raise
            _, sel, _, _ = layout(store)
            values = list(store._values)
            for k, v in zip(sel, train._values, strict=True):
                values[k] = v
            store = Store._make(store._prefix, store._infos, tuple(values))
        if _sharding.current() is not None:  # a store from elsewhere: onto the mesh
            store = store.replace(_sharding.shard_params(store.flat()))
            train = select_train(store)
        return fresh_state(store, train)

    def loss_and_updates(train: Store, rest: Store, opt_state: Any, args: tuple, rng: Any, kw):
        def loss_of(train: Store) -> tuple[jax.Array, Any]:
            (loss, aux), new_store = net.apply_with_state(
                merge(train, rest), *args, rng=rng, mutable=True, **kw
            )
            return loss, (aux, new_store)

        (loss, (aux, new_store)), grads = jax.value_and_grad(loss_of, has_aux=True)(train)
        updates, new_opt = optimizer.update(grads, opt_state, train)
        return loss, aux, new_store, grads, updates, new_opt

    def step_fn(
        state: TrainState, *args: Any, rng: Any = None, **kwargs: Any
    ) -> tuple[TrainState, dict[str, Any]]:
        train, rest = state.store.partition(predicate=select)
        loss, aux, new_store, _, updates, opt_state = loss_and_updates(
            train, rest, state.opt_state, args, rng, kwargs
        )
        new_train = optax.apply_updates(train, updates)
        _, new_rest = new_store.partition(predicate=select)  # assigned state, e.g. BN stats
        metrics = {"loss": loss, **aux}
        return TrainState(merge(new_train, new_rest), opt_state, state.step + 1), metrics

    def core(
        mode: str, donated: tuple, rest: Store, halted: Any, *args: Any, rng: Any = None, **kw
    ) -> tuple[tuple, dict[str, Any], Any]:
        """The compiled step on (selected, optimizer state, step) and the other variables.

        Returns the new selected variables, the other variables the step assigned (only
        those: the frozen ones are not outputs), the optimizer state, the step count.
        """
        train, opt_state, count = donated
        loss, aux, new_store, _, updates, new_opt = loss_and_updates(
            train, rest, opt_state, args, rng, kw
        )
        new_train = optax.apply_updates(train, updates)
        old = rest.flat()
        _, new_rest = new_store.partition(predicate=select)
        changed = {n: v for n, v in new_rest.flat().items() if v is not old[n]}
        metrics = {"loss": loss, **aux}
        flags: jax.Array | tuple[jax.Array, jax.Array] | None = None  # guard: (bad, halted)
        ok = jnp.ones((), bool)
        if mode != "off":
            bad = ~(jnp.isfinite(loss) & _all_finite(updates))
            flags = bad
            if mode == "guard":  # skip a non-finite update, and every one once halted
                ok = ~(bad | halted)
                keep = functools.partial(jnp.where, ok)
                new_train = jax.tree.map(keep, new_train, train)
                new_opt = jax.tree.map(keep, new_opt, opt_state)
                changed = {n: keep(v, old[n]) for n, v in changed.items()}
                flags = (bad, halted | bad)
        count = count + ok.astype(jnp.result_type(count))
        return (new_train, changed, new_opt, count), metrics, flags

    static = (0, *(i + 4 for i in static_argnums))
    compiled: dict[Any, Callable[..., Any]] = {}

    def compiled_core(donating: bool) -> Callable[..., Any]:
        # the trace reads the sj.sharding.use block's rules: one jit per block, each of
        # its own function (jax caches traces by function, whatever the jit wrapper)
        ctx = _sharding.current()
        key = (donating, None if ctx is None else ctx.key)
        fn = compiled.get(key)
        if fn is None:
            donated = (1,) if donating else ()
            if len(compiled) >= 16:
                compiled.clear()
            body = core if ctx is None else functools.partial(core)
            fn = compiled[key] = jax.jit(body, static_argnums=static, donate_argnums=donated)
        return fn

    def checked_step(
        guard: bool | None,
        state: TrainState,
        halted: Any,
        args: tuple,
        rng: Any = None,
        kwargs: Mapping[str, Any] | None = None,
        where: str = "trainer.step",
    ) -> tuple[TrainState, dict[str, Any], Any]:
        store = state.store
        infos, sel, rest, rest_index = layout(store)
        mode = "off" if guard is None else "guard" if guard else "check"
        fn = compiled_core(donate and not _debugging_nans()) if jit else core
        args = _sharding.shard_batch(args, static_argnums)  # sj.sharding.use: data parallel
        try:
            (new_train, changed, opt_state, count), metrics, flags = fn(
                mode,
                (store._pick(sel), state.opt_state, state.step),
                store._pick(rest),
                halted,
                *args,
                rng=rng,
                **(kwargs or {}),
            )
        except (RuntimeError, ValueError) as e:
            if not isinstance(e, ScopejaxError):
                raise_if_donated(state, where, e)
            raise
        values = list(store._values)
        for k, v in zip(sel, new_train._values, strict=True):
            values[k] = v
        for name, v in changed.items():
            values[rest_index[name]] = v
        new_store = Store._make(store._prefix, infos, tuple(values))
        return TrainState(new_store, opt_state, count), metrics, flags

    def step(
        state: TrainState, *args: Any, rng: Any = None, **kwargs: Any
    ) -> tuple[TrainState, dict[str, Any]]:
        new, metrics, _ = checked_step(None, state, None, args, rng, kwargs)
        return new, metrics

    def grads_fn(state: TrainState, *args: Any, rng: Any = None, **kwargs: Any):
        train, rest = state.store.partition(predicate=select)
        loss, _, _, grads, updates, _ = loss_and_updates(
            train, rest, state.opt_state, args, rng, kwargs
        )
        return loss, grads, updates

    gradients = jax.jit(grads_fn, static_argnums=tuple(i + 1 for i in static_argnums))
    step.__doc__ = "One training step: ``step(state, *batch, rng=None) -> (state, metrics)``."
    return Trainer(
        net,
        init,
        step,
        step_fn,
        optimizer,
        select,
        init_from,
        checked_step,
        gradients if jit else grads_fn,
    )


def _count() -> jax.Array:
    """A new step counter (replicated on the mesh inside ``sj.sharding.use``)."""
    count = jnp.zeros((), jnp.int32)
    ctx = _sharding.current()
    return count if ctx is None else jax.device_put(count, NamedSharding(ctx.mesh, PartitionSpec()))


def _label_store(params: Any, label_of: Callable[[VariableInfo], str]) -> Any:
    if not isinstance(params, Store):
        raise StoreError(
            "multi_optimizer labels a Store's variables by their metadata; it got "
            f"{type(params).__name__}. Pass the Store (or store.trainable()) to the optimizer."
        )
    return jax.tree_util.tree_unflatten(
        jax.tree_util.tree_structure(params), [label_of(i) for i in params.infos.values()]
    )


def multi_optimizer(
    spec: Mapping[str, tuple[Any, optax.GradientTransformation]],
    default: optax.GradientTransformation | None = None,
) -> optax.GradientTransformation:
    """Per-collection / per-scope optimizers: ``optax.multi_transform`` with labels
    from selectors. ``spec`` maps a label to ``(selector, optimizer)``; a variable
    takes the first label whose selector matches, else ``default`` (an error if
    there is none).

    Args:
      spec: ``{label: (selector, optax transformation)}``.
      default: the transformation of variables no selector matches; None makes them an
        error at ``init``.

    Returns:
      An ``optax.multi_transform`` that labels a Store's variables by their metadata.

    Raises:
      StoreError: (at ``init``) the parameters are not a Store, or a variable matches no
        selector and there is no ``default``.

    >>> import optax, scopejax as sj
    >>> tx = sj.train.multi_optimizer({
    ...     "backbone": (sj.train.collection("BACKBONE"), optax.adam(1e-4)),
    ...     "head": (sj.train.regex("^head/"), optax.adam(1e-3))})
    """
    rules = [(label, as_selector(sel)) for label, (sel, _) in spec.items()]
    transforms = {label: tx for label, (_, tx) in spec.items()}
    if default is not None:
        transforms["__default__"] = default

    def label_of(info: VariableInfo) -> str:
        for label, sel in rules:
            if sel(info):
                return label
        if default is not None:
            return "__default__"
        raise StoreError(
            f"multi_optimizer: variable {info.name} matches no label of {list(spec)}; add a "
            "rule for it or pass default=optimizer."
        )

    return optax.multi_transform(transforms, lambda params: _label_store(params, label_of))


def labels(store: Store, spec: Mapping[str, Any], default: str | None = None) -> Store:
    """A Store of label strings (``{label: selector}``), e.g. for ``optax.multi_transform``.

    Args:
      store: a Store (its metadata is used).
      spec: ``{label: selector}``; the first that matches a variable labels it.
      default: the label of variables no selector matches; None makes them an error.

    Returns:
      A Store of labels (strings), the tree ``optax.multi_transform`` expects.

    Raises:
      StoreError: a variable matches no selector and there is no ``default``.
    """
    rules = [(label, as_selector(sel)) for label, sel in spec.items()]

    def label_of(info: VariableInfo) -> str:
        for label, sel in rules:
            if sel(info):
                return label
        if default is None:
            raise StoreError(f"labels: variable {info.name} matches no label of {list(spec)}.")
        return default

    return _label_store(store, label_of)


def freeze(store: Store, selector: Any) -> Store:
    """The same values with the selected variables marked non-trainable (moved from
    ``TRAINABLE_VARIABLES`` to ``FROZEN_VARIABLES``), so ``minimize``'s default
    ``var_list`` skips them.

    Args:
      store: a Store.
      selector: what to freeze: a collection name, a list of them, or a selector.

    Returns:
      A new Store (same values) whose selected variables are non-trainable.

    Raises:
      StoreError: the selector matches no variable.
    """
    select = as_selector(selector)
    infos = []
    hit = 0
    for info in store.infos.values():
        if select(info):
            hit += 1
            colls = tuple(c for c in info.collections if c != _TRAINABLE)
            if GraphKeys.FROZEN_VARIABLES not in colls:
                colls = (*colls, GraphKeys.FROZEN_VARIABLES)
            info = dataclasses.replace(info, trainable=None, collections=colls)
        infos.append(info)
    if not hit:
        raise StoreError(f"freeze: the selector matches no variable of the store ({store!r}).")
    return Store(list(store.flat().values()), infos, prefix=store._prefix)


def state_nbytes(tree: Any) -> int:
    """Bytes held by the arrays of a pytree (e.g. an optimizer state).

    Args:
      tree: any pytree.

    Returns:
      The sum of its arrays' ``nbytes``.
    """
    return sum(int(getattr(x, "nbytes", 0)) for x in jax.tree.leaves(tree))


def _as_batches(batches: Any, epoch: int) -> Iterable[Any]:
    return batches(epoch) if callable(batches) else batches
