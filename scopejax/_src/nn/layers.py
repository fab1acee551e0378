"""Functional layers, as ``tf.compat.v1.layers``: ``sj.layers.dense(x, 256, name="fc1")``.

Each function is made from its layer class (:mod:`scopejax.nn`) by
:func:`functional`: its parameters are the input, then the class constructor's,
with the call's arguments (``training``) where TF1 puts them, so the two cannot
drift apart. A call builds the module and applies it once, so ``dense(x, 10)``
twice gives ``dense`` and ``dense_1``; ``name="fc", reuse=True`` (or an
enclosing reuse scope) shares ``fc``'s variables, exactly as TF1's ``tf.layers``
functions did.

>>> import jax, jax.numpy as jnp, scopejax as sj
>>> def f(x):
...     h = sj.layers.dense(x, 8, activation=jax.nn.relu, name="fc1")
...     return sj.layers.dense(h, 2, name="fc2")
>>> sj.transform(f).init(jax.random.key(0), jnp.ones([1, 3])).names()
['fc1/bias', 'fc1/kernel', 'fc2/bias', 'fc2/kernel']
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import jax

from scopejax._src.nn.conv import Conv1D, Conv2D
from scopejax._src.nn.dropout import Dropout
from scopejax._src.nn.embedding import Embedding
from scopejax._src.nn.linear import Dense
from scopejax._src.nn.module import Module, camel_to_snake
from scopejax._src.nn.normalization import BatchNormalization, LayerNorm
from scopejax._src.nn.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    Flatten,
    MaxPooling1D,
    MaxPooling2D,
)

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _binder(sig: inspect.Signature) -> Callable[[tuple, dict], dict[str, Any] | None]:
    """``bind(args, kwargs)``: the arguments ``sig.bind(*args, **kwargs)`` would bind, by
    name, found without ``inspect`` when they certainly bind (no more positional arguments
    than parameters, known keywords given once, every required parameter given); None
    otherwise, and ``sig.bind`` then gives the result or its error. Their order may differ
    from ``sig.bind``'s; the layer passes them as keywords, where order does not matter."""
    params = list(sig.parameters.values())
    if any(p.kind not in (_POSITIONAL, _KEYWORD) for p in params):  # pragma: no cover
        return lambda args, kwargs: None
    positional = tuple(p.name for p in params if p.kind is _POSITIONAL)
    known = frozenset(p.name for p in params)
    required = frozenset(p.name for p in params if p.default is p.empty)

    def bind(args: tuple, kwargs: dict) -> dict[str, Any] | None:
        if len(args) > len(positional):
            return None
        given = dict(zip(positional, args, strict=False))
        for k in kwargs:
            if k not in known or k in given:
                return None
        given.update(kwargs)
        return given if required.issubset(given) else None

    return bind


def signature_of(
    cls: type[Module], inputs: str = "inputs", call_before: str | None = None
) -> inspect.Signature:
    """The signature of ``cls``'s functional form.

    Args:
      cls: a layer class.
      inputs: the name of the first parameter, the layer's input.
      call_before: the constructor parameter that the call's other arguments
        (``training``) go in front of; given exactly when there are some.

    Returns:
      ``(inputs, *constructor parameters)`` with the call's parameters inserted,
      each (name, default, kind, annotation) as the class has it.

    >>> from scopejax._src.nn.pooling import Flatten
    >>> signature_of(Flatten)
    <Signature (inputs: 'jax.Array', name: 'str | None' = None) -> 'jax.Array'>
    """
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    call = inspect.signature(cls.__call__)
    _, x, *extra = call.parameters.values()
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params + extra):
        raise TypeError(f"{cls.__name__}: a functional layer cannot forward *args/**kwargs.")
    if bool(extra) != (call_before is not None):
        raise TypeError(
            f"{cls.__name__}.__call__ takes {[p.name for p in extra]} besides its input: "
            f"call_before={call_before!r} must name a constructor parameter exactly when "
            "there are some."
        )
    if extra and call_before is not None:
        at = [p.name for p in params].index(call_before)
        params[at:at] = extra
    first = inspect.Parameter(inputs, _POSITIONAL, annotation=x.annotation)
    return inspect.Signature([first, *params], return_annotation=call.return_annotation)


def functional(
    cls: type[Module],
    summary: str,
    example: str,
    *,
    name: str | None = None,
    inputs: str = "inputs",
    call_before: str | None = None,
) -> Callable[..., jax.Array]:
    """The ``tf.layers``-style function of layer class ``cls``.

    ``f(inputs, *args, **kwargs)`` builds ``cls`` from the constructor's
    arguments and calls it once on ``inputs`` with the call's (``training``).
    Its ``__signature__`` is :func:`signature_of` ``cls``, so it takes exactly
    the class's arguments, and its docstring lists them.

    Args:
      cls: the layer class.
      summary: the docstring's first line.
      example: the docstring's doctest, without the import line.
      name: the function's name (default: ``cls``'s snake_case name).
      inputs, call_before: as :func:`signature_of`.

    Returns:
      The function.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> flat = functional(sj.nn.Flatten, "Flatten.", ">>> flat(jnp.ones([2, 3, 4])).shape")
    >>> sj.transform(flat).apply({}, jnp.ones([2, 3, 4])).shape
    (2, 12)
    """
    sig = signature_of(cls, inputs, call_before)
    fn_name = name or camel_to_snake(cls.__name__)
    at_call = [p.name for p in inspect.signature(cls.__call__).parameters.values()][2:]

    bind = _binder(sig)

    def layer(*args: Any, **kwargs: Any) -> jax.Array:
        given = bind(args, kwargs)
        if given is None:  # an unusual call, or a wrong one: inspect binds it or says why
            try:
                given = sig.bind(*args, **kwargs).arguments
            except TypeError as e:
                raise TypeError(f"{fn_name}(): {e}") from None
        x = given.pop(inputs)
        call_kw = {k: given.pop(k) for k in at_call if k in given} if at_call else {}
        module: Any = cls(**given)
        return module(x, **call_kw)

    layer.__name__ = layer.__qualname__ = fn_name
    layer.__module__ = "scopejax.layers"
    layer.__signature__ = sig  # type: ignore[attr-defined]  # read by inspect.signature
    layer.__doc__ = _docstring(cls, sig, summary, example, at_call)
    return layer


def _docstring(
    cls: type[Module], sig: inspect.Signature, summary: str, example: str, at_call: list[str]
) -> str:
    inputs, *rest = sig.parameters
    base = cls._sj_base_name or camel_to_snake(cls.__name__)
    shared = (
        " unless ``name=`` with ``reuse=True`` shares one's variables" if "reuse" in rest else ""
    )

    def item(names: list[str], text: str) -> str:
        return textwrap.fill(
            f"{', '.join(names)}: {text}", 78, initial_indent="  ", subsequent_indent="    "
        )

    args = [item([inputs], "the layer's input.")]
    if at_call:
        args.append(item(at_call, f"passed to the call, ``{cls.__name__}(...)(inputs, ...)``."))
    args.append(
        item([n for n in rest if n not in at_call], f"as :class:`scopejax.nn.{cls.__name__}`.")
    )
    about = textwrap.fill(
        f"Builds :class:`scopejax.nn.{cls.__name__}` and calls it once on ``{inputs}``: each "
        f"call is a new layer (``{base}``, ``{base}_1``, ...){shared}.",
        78,
    )
    imports = ">>> import jax, jax.numpy as jnp, scopejax as sj\n"
    return (
        f"{summary}\n\n{about}\n\nArgs:\n" + "\n".join(args) + "\n\n"
        "Returns:\n  The layer's output.\n\n" + imports + textwrap.dedent(example).strip() + "\n"
    )


dense = functional(
    Dense,
    "``tf.layers.dense``: ``activation(inputs @ kernel + bias)``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.dense(x, 4, activation="relu"))
    >>> net.init(jax.random.key(0), jnp.ones([2, 3])).names()
    ['dense/bias', 'dense/kernel']
    """,
)

conv1d = functional(
    Conv1D,
    "``tf.layers.conv1d`` over ``[batch, width, channels]``; ``kernel`` is "
    "``[k, in/groups, filters]``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.conv1d(x, 4, 3, padding="same"))
    >>> x = jnp.ones([2, 9, 3])
    >>> net.apply(net.init(jax.random.key(0), x), x).shape
    (2, 9, 4)
    """,
)

conv2d = functional(
    Conv2D,
    "``tf.layers.conv2d`` over NHWC inputs; ``kernel`` is ``[kh, kw, in/groups, filters]``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.conv2d(x, 4, 3, strides=2))
    >>> x = jnp.ones([1, 7, 7, 2])
    >>> net.apply(net.init(jax.random.key(0), x), x).shape
    (1, 3, 3, 4)
    """,
)

max_pooling1d = functional(
    MaxPooling1D,
    "``tf.layers.max_pooling1d`` over ``[batch, width, channels]``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.max_pooling1d(x, 2, 2))
    >>> net.apply({}, jnp.ones([1, 6, 3])).shape
    (1, 3, 3)
    """,
)

max_pooling2d = functional(
    MaxPooling2D,
    "``tf.layers.max_pooling2d`` over NHWC inputs.",
    """
    >>> net = sj.transform(lambda x: sj.layers.max_pooling2d(x, 2, 2, padding="same"))
    >>> net.apply({}, jnp.ones([1, 5, 5, 3])).shape
    (1, 3, 3, 3)
    """,
)

average_pooling1d = functional(
    AveragePooling1D,
    "``tf.layers.average_pooling1d`` over ``[batch, width, channels]``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.average_pooling1d(x, 3, 1))
    >>> net.apply({}, jnp.ones([1, 6, 3])).shape
    (1, 4, 3)
    """,
)

average_pooling2d = functional(
    AveragePooling2D,
    "``tf.layers.average_pooling2d`` over NHWC inputs; SAME padding does not count padded cells.",
    """
    >>> net = sj.transform(lambda x: sj.layers.average_pooling2d(x, 3, 2, padding="same"))
    >>> float(net.apply({}, jnp.ones([1, 5, 5, 1])).min())
    1.0
    """,
)

flatten = functional(
    Flatten,
    "``tf.layers.flatten``: ``[batch, ...] -> [batch, prod(...)]``.",
    """
    >>> sj.transform(lambda x: sj.layers.flatten(x)).apply({}, jnp.ones([2, 3, 4])).shape
    (2, 12)
    """,
)

dropout = functional(
    Dropout,
    "``tf.layers.dropout``: active only with ``training=True`` (``apply`` then needs ``rng=``).",
    """
    >>> net = sj.transform(lambda x, t: sj.layers.dropout(x, 0.5, training=t))
    >>> x = jnp.ones([4])
    >>> net.apply({}, x, False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> set(net.apply({}, x, True, rng=jax.random.key(0)).tolist()) <= {0.0, 2.0}
    True
    """,
    call_before="name",
)

batch_normalization = functional(
    BatchNormalization,
    "``tf.layers.batch_normalization``; ``training=True`` assigns the moving statistics, "
    "so it needs ``apply_with_state``.",
    """
    >>> net = sj.transform(lambda x: sj.layers.batch_normalization(x, training=False))
    >>> net.init(jax.random.key(0), jnp.ones([2, 3])).names()  # doctest: +NORMALIZE_WHITESPACE
    ['batch_normalization/beta', 'batch_normalization/gamma',
     'batch_normalization/moving_mean', 'batch_normalization/moving_variance']
    """,
    call_before="trainable",
)

layer_norm = functional(
    LayerNorm,
    "TF1's ``tf.contrib.layers.layer_norm`` (scope ``LayerNorm``, BERT's names).",
    """
    >>> net = sj.transform(lambda x: sj.layers.layer_norm(x))
    >>> net.init(jax.random.key(0), jnp.ones([2, 3])).names()
    ['LayerNorm/beta', 'LayerNorm/gamma']
    """,
    name="layer_norm",
)

embedding = functional(
    Embedding,
    "Look ``ids`` up in a ``[input_dim, output_dim]`` table (``embedding/embeddings``).",
    """
    >>> net = sj.transform(lambda ids: sj.layers.embedding(ids, 10, 4))
    >>> ids = jnp.array([[1, 2, 3]])
    >>> net.apply(net.init(jax.random.key(0), ids), ids).shape
    (1, 3, 4)
    """,
    inputs="ids",
)
