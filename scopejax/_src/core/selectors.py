"""One vocabulary for choosing variables, shared by ``Store.partition``, ``train`` and
``checkpoint``.

A *selector* is a predicate on :class:`VariableInfo`. :func:`select` turns anything a
user may pass where TF1 took a ``var_list`` into one:

* ``None``: the default of the API (``train``: the trainable variables; others: all);
* a collection name, or a list of them: the variables in any of those collections;
* :func:`collection`, :func:`regex`, :func:`names`, or any ``callable(info) -> bool``;
* variable handles (``sj.trainable_variables()``, ``sj.get_collection(...)``), alone or
  in a list: exactly those variables (TF1's ``var_list=[v for v in ... if 'd_' in v.name]``);
* a Store: exactly its variables;
* a list mixing these: any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scopejax._src.core.info import TRAINABLE, VariableInfo
from scopejax._src.core.names import compile_pattern

Selector = Callable[[VariableInfo], bool]


def _named(sel: Selector, label: str) -> Selector:
    sel.__name__ = sel.__qualname__ = label
    return sel


def collection(*keys: Any) -> Selector:
    """Select the variables in any of the collections ``keys``.

    Args:
      *keys: collection keys.

    Returns:
      A selector: true for a variable in any of them.

    >>> collection("trainable_variables")(VariableInfo("w", (2,), "float32"))
    True
    """
    wanted = tuple(keys)
    return _named(lambda info: any(c in info.collections for c in wanted), f"collection{wanted!r}")


def regex(pattern: str, what: str = "sj.train.regex(...)") -> Selector:
    """Select the variables whose full name matches ``pattern`` (``re.search``).

    Args:
      pattern: the regular expression.
      what: the API it was given to, for the error message.

    Raises:
      InvalidPatternError: ``pattern`` does not compile (also a ``ValueError`` and
        ``re.error``).

    >>> regex("^enc/")(VariableInfo("enc/w", (2,), "float32"))
    True
    """
    rx = compile_pattern(pattern, what)
    return _named(lambda info: rx.search(info.name) is not None, f"regex({pattern!r})")


def names(*full_names: str) -> Selector:
    """Select exactly the variables named (TF1's explicit ``var_list``).

    Args:
      *full_names: variables' full names.

    Returns:
      A selector: true for exactly these variables.

    >>> names("a", "b")(VariableInfo("c", (2,), "float32"))
    False
    """
    wanted = frozenset(full_names)
    return _named(lambda info: info.name in wanted, f"names{tuple(sorted(wanted))!r}")


def trainable() -> Selector:
    """Select the variables in ``TRAINABLE_VARIABLES``."""
    return _named(lambda info: TRAINABLE in info.collections, "trainable_variables")


def everything() -> Selector:
    """Select every variable."""
    return _named(lambda info: True, "all variables")


def _is_handle(x: Any) -> bool:
    """A variable handle (``VariableHandle``) or anything shaped like one: a ``.name``."""
    return not callable(x) and isinstance(getattr(x, "name", None), str) and hasattr(x, "shape")


def _one(spec: Any, what: str) -> Selector:
    if isinstance(spec, str):
        return collection(spec)
    infos = getattr(spec, "infos", None)
    if isinstance(infos, Mapping) and callable(getattr(spec, "names", None)):  # a Store
        return names(*(infos[n].name for n in spec.names()))
    if _is_handle(spec):
        return names(spec.name)
    if callable(spec):
        return spec
    raise TypeError(
        f"{what} takes a collection name, a selector (regex / collection / names / a "
        "predicate on VariableInfo), variable handles or a Store, or a list of these; got "
        f"{spec!r}."
    )


def select(spec: Any, default: Selector | None = None, what: str = "var_list") -> Selector:
    """The selector ``spec`` stands for (see the module docstring for the forms).

    Args:
      spec: what the user passed.
      default: the selector for ``spec=None`` (default: every variable).
      what: the argument's name, for errors.

    Returns:
      A predicate on :class:`VariableInfo`.

    Raises:
      TypeError: ``spec`` is none of the forms.

    >>> sel = select(["trainable_variables", regex("^bn/")])
    >>> sel(VariableInfo("bn/mean", (2,), "float32", trainable=False))
    True
    """
    if spec is None:
        return default if default is not None else everything()
    if isinstance(spec, (list, tuple, set, frozenset)) and not isinstance(spec, Mapping):
        items = list(spec)
        if all(isinstance(x, str) for x in items):
            return collection(*items)
        if all(_is_handle(x) for x in items):
            return names(*(x.name for x in items))
        parts = [_one(x, what) for x in items]
        return _named(lambda info: any(p(info) for p in parts), f"any of {len(parts)}")
    return _one(spec, what)
