"""Training over the store: TF1's ``optimizer.minimize(loss, var_list)`` with optax.

``minimize`` transforms a loss function, differentiates only the variables the
``var_list`` selects (frozen ones never enter ``jax.grad`` and get no optimizer
state), applies an optax transformation, carries mutable state (batch-norm
statistics assigned during the step) and returns a jitted step with donated
buffers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from scopejax._collections import GraphKeys, get_regularization_loss
from scopejax._errors import StoreError, TransformError
from scopejax._store import Store, VariableInfo, merge
from scopejax._transform import Transformed, transform

Selector = Callable[[VariableInfo], bool]
_TRAINABLE = GraphKeys.TRAINABLE_VARIABLES


def collection(*names: Any) -> Selector:
    """Select variables in any of the collections ``names``."""
    wanted = tuple(names)
    sel = lambda info: any(c in info.collections for c in wanted)  # noqa: E731
    sel.__name__ = sel.__qualname__ = f"collection{wanted!r}"
    return sel


def regex(pattern: str) -> Selector:
    """Select variables whose full name matches ``pattern`` (``re.search``)."""
    rx = re.compile(pattern)
    sel = lambda info: rx.search(info.name) is not None  # noqa: E731
    sel.__name__ = sel.__qualname__ = f"regex({pattern!r})"
    return sel


def names(*full_names: str) -> Selector:
    """Select exactly the variables named (TF1's explicit ``var_list``)."""
    wanted = frozenset(full_names)
    sel = lambda info: info.name in wanted  # noqa: E731
    sel.__name__ = sel.__qualname__ = f"names{tuple(sorted(wanted))!r}"
    return sel


def as_selector(var_list: Any) -> Selector:
    """``None`` -> trainable; a string or list of strings -> collections; a callable as is."""
    if var_list is None:
        return lambda info: info.trainable
    if callable(var_list):
        return var_list
    if isinstance(var_list, str):
        return collection(var_list)
    if isinstance(var_list, (list, tuple, set, frozenset)) and all(
        isinstance(v, str) for v in var_list
    ):
        return collection(*var_list)
    raise TypeError(
        "var_list must be None (the trainable variables), a collection name or list of "
        "collection names, or a selector (scopejax.train.regex / collection / names); got "
        f"{var_list!r}."
    )


class TrainState(NamedTuple):
    """What a training step carries: the whole store, the optimizer state, the step."""

    store: Store
    opt_state: Any
    step: jax.Array


class Trainer(NamedTuple):
    """``minimize``'s result: ``init(rng, *batch) -> TrainState``, ``init_from(store)``
    (start from existing values, e.g. a pretrained and partly frozen store) and a jitted
    ``step``."""

    net: Transformed
    init: Callable[..., TrainState]
    step: Callable[..., tuple[TrainState, dict[str, Any]]]
    step_fn: Callable[..., tuple[TrainState, dict[str, Any]]]
    optimizer: optax.GradientTransformation
    var_list: Selector
    init_from: Callable[..., TrainState]


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
    jitted and donates ``state`` (do not reuse the old state after a step;
    ``init_from(store)`` copies the store it starts from, so that one stays
    usable). ``static_argnums`` indexes ``batch`` (0 = its first element) for
    Python flags such as ``training``, which would otherwise be traced.

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

    def init(rng: Any, *args: Any, **kwargs: Any) -> TrainState:
        store = net.init(rng, *args, **kwargs)
        train, _ = store.partition(predicate=select)
        if not train.names():
            raise StoreError(
                f"minimize: var_list {getattr(select, '__name__', select)!r} selects no variable "
                f"of the model (it has {len(store.names())}: {store.names()[:6]} ...)."
            )
        return TrainState(store, optimizer.init(train), jnp.zeros((), jnp.int32))

    def init_from(store: Store, copy: bool = True) -> TrainState:
        if copy:  # the step donates its input: keep the caller's arrays alive
            store = jax.tree.map(jnp.array, store)
        train, _ = store.partition(predicate=select)
        if not train.names():
            raise StoreError(
                f"minimize: var_list {getattr(select, '__name__', select)!r} selects no variable "
                "of the store."
            )
        return TrainState(store, optimizer.init(train), jnp.zeros((), jnp.int32))

    def step_fn(
        state: TrainState, *args: Any, rng: Any = None, **kwargs: Any
    ) -> tuple[TrainState, dict[str, Any]]:
        train, rest = state.store.partition(predicate=select)

        def loss_of(train: Store) -> tuple[jax.Array, Any]:
            (loss, aux), new_store = net.apply(
                merge(train, rest), *args, rng=rng, mutable=True, **kwargs
            )
            return loss, (aux, new_store)

        (loss, (aux, new_store)), grads = jax.value_and_grad(loss_of, has_aux=True)(train)
        updates, opt_state = optimizer.update(grads, state.opt_state, train)
        new_train = optax.apply_updates(train, updates)
        _, new_rest = new_store.partition(predicate=select)  # assigned state, e.g. BN stats
        metrics = {"loss": loss, **aux}
        return TrainState(merge(new_train, new_rest), opt_state, state.step + 1), metrics

    if jit:
        static = tuple(i + 1 for i in static_argnums)
        step = jax.jit(step_fn, donate_argnums=(0,) if donate else (), static_argnums=static)
    else:
        step = step_fn
    return Trainer(net, init, step, step_fn, optimizer, select, init_from)


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
    """A Store of label strings (``{label: selector}``), e.g. for ``optax.multi_transform``."""
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
    ``var_list`` skips them."""
    select = as_selector(selector)
    infos = []
    hit = 0
    for info in store.infos.values():
        if select(info):
            hit += 1
            colls = tuple(c for c in info.collections if c != _TRAINABLE)
            if GraphKeys.FROZEN_VARIABLES not in colls:
                colls = (*colls, GraphKeys.FROZEN_VARIABLES)
            info = info.__class__(
                info.name, info.shape, info.dtype, False, colls, info.device, info.key
            )
        infos.append(info)
    if not hit:
        raise StoreError(f"freeze: the selector matches no variable of the store ({store!r}).")
    return Store(list(store.flat().values()), infos, prefix=store._prefix)


def state_nbytes(tree: Any) -> int:
    """Bytes held by the arrays of a pytree (e.g. an optimizer state)."""
    return sum(int(getattr(x, "nbytes", 0)) for x in jax.tree.leaves(tree))


def _as_batches(batches: Any, epoch: int) -> Iterable[Any]:
    return batches(epoch) if callable(batches) else batches
