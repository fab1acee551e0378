"""Collections: TF1's ``GraphKeys`` and ``add_to_collection`` / ``get_collection``.

Collections live in the current ``init``/``apply`` call, as they lived in a TF1
graph. Variables appear in them as :class:`~scopejax.VariableHandle` objects.
At the end of ``init`` every variable's collections are written into the
Store's metadata, so collection views (``store.trainable()``) work anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scopejax._src.core import lifting as _lift
from scopejax._src.core.context import Frame, current_frame
from scopejax._src.core.handle import VariableHandle
from scopejax._src.core.names import compile_pattern


class GraphKeys:
    """Standard collection names, spelled as in ``tf.compat.v1.GraphKeys``.

    ``FROZEN_VARIABLES`` is scopejax's own convention for variables that exist
    in the model but must not be trained (any string is a valid collection).
    """

    GLOBAL_VARIABLES = "variables"
    VARIABLES = "variables"  # TF1's deprecated alias
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    CONCATENATED_VARIABLES = "concatenated_variables"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    LOSSES = "losses"
    UPDATE_OPS = "update_ops"
    SUMMARIES = "summaries"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    SAVERS = "savers"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    FROZEN_VARIABLES = "frozen_variables"


def _key(name: Any) -> Any:
    if isinstance(name, str):
        return name
    try:
        hash(name)
    except TypeError:
        raise TypeError(
            f"A collection name must be hashable (usually a str), got {name!r}."
        ) from None
    return name


def _as_item(frame: Frame, value: Any) -> Any:
    """Arrays returned by get_variable/Variable stand for their variable."""
    handle = frame.registry.variable_of(value)
    return value if handle is None else handle


def _note(item: Any, name: Any) -> None:
    colls = getattr(item, "_colls", None)
    if colls is not None and name not in colls:
        colls.append(name)


def add_to_collection(name: Any, value: Any) -> None:
    """Append ``value`` to collection ``name`` (duplicates are kept, as in TF1).

    An array returned by ``get_variable``/``Variable`` in this call stands for
    its variable, so ``add_to_collection("FROZEN", w)`` adds the variable.

    Args:
      name: the collection's key (a string or a ``GraphKeys`` value).
      value: anything; an array ``get_variable`` returned stands for its variable.

    Raises:
      TypeError: ``name`` is not a usable key.
      NotInTransformError: called outside a transformed function.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     w = sj.get_variable("w", [2])
    ...     sj.add_to_collection("FROZEN_VARS", w)
    ...     return [v.name for v in sj.get_collection("FROZEN_VARS")]
    >>> net = sj.transform(f)
    >>> net.apply(net.init(jax.random.key(0)))
    ['w']
    """
    frame = current_frame("add_to_collection")
    _lift.check_trace(frame, f"add_to_collection({name!r}, ...)")
    item = _as_item(frame, value)
    frame.colls.add(_key(name), item)
    _note(item, name)
    if _lift.active(frame):
        _lift.collect(frame, _key(name), item)


def add_to_collections(names: Any, value: Any) -> None:
    """Add ``value`` to each collection in ``names`` (a string counts as one name).

    Args:
      names: one key or a list of keys.
      value: added to each of them (once per key, duplicate keys ignored).

    Raises:
      TypeError: a key is not usable.
      NotInTransformError: called outside a transformed function.
    """
    frame = current_frame("add_to_collections")
    _lift.check_trace(frame, "add_to_collections(...)")
    if isinstance(names, str):
        names = (names,)
    seen: list[Any] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    item = _as_item(frame, value)
    for n in seen:
        frame.colls.add(_key(n), item)
        _note(item, n)
        if _lift.active(frame):
            _lift.collect(frame, _key(n), item)


def get_collection_ref(key: Any) -> list[Any]:
    """The collection's list itself: changes to it change the collection.

    Args:
      key: the collection's key.

    Returns:
      The collection's list itself: appending to it adds to the collection.

    Raises:
      NotInTransformError: called outside a transformed function.
    """
    frame = current_frame("get_collection_ref")
    return frame.colls.ref(_key(key))


def filter_by_scope(items: Iterable[Any], scope: str | None) -> list[Any]:
    """TF1's filter: ``re.match(scope, item.name)``; items without a name are skipped.

    A variable's name is matched as TF1's tensor name, with ``:0``, so
    ``'enc/w$'`` matches nothing while ``'enc/w:0$'`` matches ``enc/w``.
    """
    if scope is None:
        return list(items)
    regex = compile_pattern(scope, "get_collection(scope=...)")
    out = []
    for item in items:
        name = getattr(item, "name", None)
        if not isinstance(name, str):
            continue
        if isinstance(item, VariableHandle):
            name += ":0"  # TF1 matches the tensor name, 'enc/w:0'
        if regex.match(name):
            out.append(item)
    return out


def get_collection(key: Any, scope: str | None = None) -> list[Any]:
    """A copy of collection ``key``, optionally filtered by ``re.match(scope, item.name)``.

    As in TF1 the filter is a regex prefix match, not path-aware: ``"enc"`` also
    keeps ``encoder/w``. Use ``"enc/"`` for one scope.

    Args:
      key: the collection's key.
      scope: a regex: keep only items whose name it matches from the start (TF1's
        ``re.match``); None keeps all.

    Returns:
      A new list (variables as ``VariableHandle``); empty for an unknown key.

    Raises:
      NotInTransformError: called outside a transformed function.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     with sj.variable_scope("enc"):
    ...         sj.get_variable("w", [1])
    ...     with sj.variable_scope("encoder"):
    ...         sj.get_variable("w", [1])
    ...     return [v.name for v in sj.get_collection(sj.GraphKeys.GLOBAL_VARIABLES, "enc/")]
    >>> net = sj.transform(f)
    >>> net.apply(net.init(jax.random.key(0)))
    ['enc/w']
    """
    frame = current_frame("get_collection")
    return filter_by_scope(frame.colls.get(_key(key)), scope)


def get_all_collection_keys() -> list[Any]:
    """The names of every collection used so far in this call."""
    return list(current_frame("get_all_collection_keys").colls.keys())


def global_variables(scope: str | None = None) -> list[Any]:
    """``get_collection(GraphKeys.GLOBAL_VARIABLES, scope)``: handles of all global variables.

    Args:
      scope: a regex: keep only variables whose name it matches from the start (TF1's
        ``re.match``); None keeps all.

    Returns:
      The ``GLOBAL_VARIABLES`` collection's handles.
    """
    return get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Any]:
    """``get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)``.

    Args:
      scope: a regex: keep only variables whose name it matches from the start (TF1's
        ``re.match``); None keeps all.

    Returns:
      The ``TRAINABLE_VARIABLES`` collection's handles.
    """
    return get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Any]:
    """``get_collection(GraphKeys.LOCAL_VARIABLES, scope)``.

    Args:
      scope: a regex: keep only variables whose name it matches from the start (TF1's
        ``re.match``); None keeps all.

    Returns:
      The ``LOCAL_VARIABLES`` collection's handles.
    """
    return get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope: str | None = None) -> list[Any]:
    """``get_collection(GraphKeys.MODEL_VARIABLES, scope)``.

    Args:
      scope: a regex: keep only variables whose name it matches from the start (TF1's
        ``re.match``); None keeps all.

    Returns:
      The ``MODEL_VARIABLES`` collection's handles.
    """
    return get_collection(GraphKeys.MODEL_VARIABLES, scope)


def get_regularization_loss(scope: str | None = None) -> Any:
    """The sum of ``REGULARIZATION_LOSSES`` (0.0 if there are none), as TF1's
    ``tf.compat.v1.losses.get_regularization_loss``; ``scope`` filters by the
    regularized variable's name (``re.match``).

    Args:
      scope: a regex: sum only the losses whose name it matches from the start; None sums all.

    Returns:
      The sum of the ``REGULARIZATION_LOSSES`` collection, a scalar.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     sj.get_variable("w", [2], initializer=sj.initializers.ones(),
    ...                     regularizer=lambda w: 0.5 * (w ** 2).sum())
    ...     return sj.get_regularization_loss()
    >>> net = sj.transform(f)
    >>> float(net.apply(net.init(jax.random.key(0))))
    1.0
    """
    import jax.numpy as jnp

    frame = current_frame("get_regularization_loss")
    losses = frame.colls.get(GraphKeys.REGULARIZATION_LOSSES)
    if scope is not None:
        regex = compile_pattern(scope, "get_regularization_loss(scope=...)")
        names = frame.registry.loss_names()
        losses = [x for x in losses if regex.match(names.get(id(x), ""))]
    if not losses:
        return jnp.zeros((), jnp.float32)
    total = losses[0]
    for x in losses[1:]:
        total = total + x
    return total
