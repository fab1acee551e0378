"""The Store: every variable's value by full name, plus static metadata, as a pytree.

Leaves are the values, in sorted-name order; the metadata (name, shape, dtype,
trainable, collections, device) is the pytree's static auxiliary data, so it
survives ``jax.jit``, ``jax.grad``, ``jax.tree.map`` and optax updates: a
gradient of a Store is a Store with the same metadata, and collection views
(``store.trainable()``) work on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jax
import numpy as np

from scopejax._src.core.errors import StoreError
from scopejax._src.core.info import VariableInfo
from scopejax._src.core.selectors import Selector, select
from scopejax._src.core.selectors import regex as regex_selector


class StoreKeyError(StoreError, KeyError):
    """A name that is neither a variable nor a scope of the Store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def _leaf_info(name: str, value: Any) -> VariableInfo:
    shape = tuple(np.shape(value))
    dt = getattr(value, "dtype", None)
    dtype = np.dtype(dt if dt is not None else np.result_type(value)).name
    return VariableInfo(name, shape, dtype)


def flatten_mapping(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{'a': {'b': x}}`` -> ``{'a/b': x}``; keys may themselves contain ``/``."""
    out: dict[str, Any] = {}
    for k, v in tree.items():
        if not isinstance(k, str):
            raise StoreError(
                f"Store keys must be strings (variable names or scope names); got {k!r} under "
                f"{prefix or 'the top level'!r}."
            )
        full = prefix + k
        if isinstance(v, Store):
            for n, x in v.flat().items():
                out[full + "/" + n] = x
        elif isinstance(v, Mapping):
            out.update(flatten_mapping(v, full + "/"))
        else:
            out[full] = v
    return out


@jax.tree_util.register_pytree_with_keys_class
class Store(Mapping):
    """Every variable of a model by full name, with static metadata; a JAX pytree.

    ``store["l1"]["weights"]`` and ``store["l1/weights"]`` both read a value; a
    scope name gives a sub-Store view. Iteration, ``len`` and ``keys()`` follow
    the nested-dictionary view (top-level names). ``flat()`` gives
    ``{full_name: value}``, ``info(name)`` the metadata.

    >>> import jax, scopejax as sj
    >>> def f(x):
    ...     with sj.variable_scope("l1"):
    ...         w = sj.get_variable("weights", [x.shape[-1], 2])
    ...         c = sj.get_variable("count", [], "int32", trainable=False)
    ...     return x @ w
    >>> store = sj.transform(f).init(jax.random.key(0), jax.numpy.ones([1, 3]))
    >>> store["l1"]["weights"].shape, store["l1/weights"].shape
    ((3, 2), (3, 2))
    >>> list(store.trainable().flat())
    ['l1/weights']
    >>> grads = jax.grad(lambda s: (s["l1/weights"] ** 2).sum())(store.trainable())
    >>> grads.info("l1/weights").collections
    ('variables', 'trainable_variables')
    """

    __slots__ = ("_prefix", "_infos", "_values", "_index")

    def __init__(
        self,
        values: Mapping[str, Any] | Iterable[Any] = (),
        infos: Iterable[VariableInfo] | None = None,
        *,
        prefix: str = "",
    ) -> None:
        """Build a Store from ``{full_name: value}`` (and optional metadata).

        Without ``infos`` every value gets default metadata: trainable, in the
        global and trainable collections. Names are kept sorted.
        """
        if infos is None:
            if not isinstance(values, Mapping):
                raise StoreError("Store(values) needs a mapping of full names to arrays.")
            flat = flatten_mapping(values)
            names = sorted(flat)
            self._infos = tuple(_leaf_info(n, flat[n]) for n in names)
            self._values = tuple(flat[n] for n in names)
        else:
            infos = tuple(infos)
            vals = (
                [values[i.name[len(prefix) :]] for i in infos]
                if isinstance(values, Mapping)
                else list(values)
            )
            if len(vals) != len(infos):
                raise StoreError(f"Store: {len(vals)} values for {len(infos)} variables.")
            order = sorted(range(len(infos)), key=lambda i: infos[i].name)
            self._infos = tuple(infos[i] for i in order)
            self._values = tuple(vals[i] for i in order)
        self._prefix = prefix
        self._index: dict[str, int] | None = None

    @classmethod
    def _make(cls, prefix: str, infos: tuple[VariableInfo, ...], values: tuple[Any, ...]) -> Store:
        s = object.__new__(cls)
        s._prefix, s._infos, s._values, s._index = prefix, infos, values, None
        return s

    # -- pytree ------------------------------------------------------------------
    def tree_flatten_with_keys(self):
        n = len(self._prefix)
        keys = [jax.tree_util.DictKey(i.name[n:]) for i in self._infos]
        return list(zip(keys, self._values, strict=True)), (self._prefix, self._infos)

    def tree_flatten(self):
        return self._values, (self._prefix, self._infos)

    @classmethod
    def tree_unflatten(cls, aux: Any, children: Iterable[Any]) -> Store:
        return cls._make(aux[0], aux[1], tuple(children))

    # -- lookup ------------------------------------------------------------------
    def _idx(self) -> dict[str, int]:
        if self._index is None:
            n = len(self._prefix)
            self._index = {info.name[n:]: i for i, info in enumerate(self._infos)}
        return self._index

    def _relnames(self) -> list[str]:
        n = len(self._prefix)
        return [i.name[n:] for i in self._infos]

    def __getitem__(self, name: str) -> Any:
        idx = self._idx()
        i = idx.get(name)
        if i is not None:
            return self._values[i]
        if not isinstance(name, str):
            raise StoreKeyError(f"Store keys are strings (variable or scope names), got {name!r}.")
        sub = self._sub(name)
        if sub is not None:
            return sub
        names = list(idx)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        where = f" under {self._prefix!r}" if self._prefix else ""
        raise StoreKeyError(
            f"{name!r} is neither a variable nor a scope of this Store{where}.{hint} "
            f"It holds {len(names)} variables; list them with store.flat() or "
            "print(store.summary())."
        )

    def _sub(self, scope: str) -> Store | None:
        p = self._prefix + scope + "/"
        chosen = [k for k, info in enumerate(self._infos) if info.name.startswith(p)]
        if not chosen:
            return None
        return Store._make(
            p, tuple(self._infos[k] for k in chosen), tuple(self._values[k] for k in chosen)
        )

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name in self._idx():
            return True
        p = name + "/"
        return any(n.startswith(p) for n in self._idx())

    def _top(self) -> list[str]:
        seen: dict[str, None] = {}
        for n in self._relnames():
            seen.setdefault(n.split("/", 1)[0], None)
        return list(seen)

    def __iter__(self) -> Iterator[str]:
        return iter(self._top())

    def __len__(self) -> int:
        return len(self._top())

    __eq__ = object.__eq__  # Mapping's __eq__ would compare arrays elementwise
    __hash__ = object.__hash__

    # -- views -------------------------------------------------------------------
    def flat(self) -> dict[str, Any]:
        """``{name: value}`` for every variable (names relative to this view)."""
        return dict(zip(self._relnames(), self._values, strict=True))

    def names(self) -> list[str]:
        """Every variable's name, sorted (relative to this view)."""
        return self._relnames()

    def info(self, name: str) -> VariableInfo:
        """The metadata of variable ``name``."""
        i = self._idx().get(name)
        if i is None:
            self[name]  # raises the helpful error
            raise StoreKeyError(f"{name!r} is a scope, not a variable; info() takes a variable.")
        return self._infos[i]

    @property
    def infos(self) -> dict[str, VariableInfo]:
        """``{name: VariableInfo}`` for every variable."""
        return dict(zip(self._relnames(), self._infos, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """A nested plain dict of values, one level per scope.

        Raises StoreError when a variable ``a`` sits beside a variable ``a/b``
        (legal in TF1, not representable as one nested dict): use ``flat()``.
        """
        out: dict[str, Any] = {}
        for name, v in zip(self._relnames(), self._values, strict=True):
            *scopes, leaf = name.split("/")
            d = out
            for s in scopes:
                nxt = d.setdefault(s, {})
                if not isinstance(nxt, dict):
                    raise StoreError(
                        f"Cannot nest {name!r}: {s!r} is also a variable. Use store.flat()."
                    )
                d = nxt
            if leaf in d:
                raise StoreError(f"Cannot nest {name!r}: it is also a scope. Use store.flat().")
            d[leaf] = v
        return out

    # -- selection ----------------------------------------------------------------
    def _select(self, pred: Callable[[VariableInfo], bool]) -> tuple[list[int], list[int]]:
        yes: list[int] = []
        no: list[int] = []
        for k, info in enumerate(self._infos):
            (yes if pred(info) else no).append(k)
        return yes, no

    def _pick(self, ks: list[int]) -> Store:
        return Store._make(
            self._prefix, tuple(self._infos[k] for k in ks), tuple(self._values[k] for k in ks)
        )

    def partition(
        self,
        collection: Any = None,
        regex: str | None = None,
        predicate: Selector | None = None,
    ) -> tuple[Store, Store]:
        """Split into (selected, rest).

        Args:
          collection: what to select, in the vocabulary every API shares
            (``scopejax.train.select``): a collection name or a list of them (any),
            a selector (``regex`` / ``collection`` / ``names``), variable handles,
            or a Store.
          regex: a regular expression ``re.search``-ed on the full name.
          predicate: a function of :class:`VariableInfo`.

        Returns:
          ``(selected, rest)``; the criteria given combine with *and*.

        Raises:
          StoreError: no criterion given. InvalidPatternError: a bad ``regex``.
        """
        pred = _predicate(collection, regex, predicate)
        yes, no = self._select(pred)
        return self._pick(yes), self._pick(no)

    def filter(
        self,
        collection: Any = None,
        regex: str | None = None,
        predicate: Selector | None = None,
    ) -> Store:
        """The variables that match (see :meth:`partition`)."""
        return self.partition(collection, regex, predicate)[0]

    def trainable(self) -> Store:
        """The variables in ``TRAINABLE_VARIABLES``."""
        return self.filter(predicate=lambda i: bool(i.trainable))

    def non_trainable(self) -> Store:
        """The variables not in ``TRAINABLE_VARIABLES`` (frozen weights, statistics)."""
        return self.filter(predicate=lambda i: not i.trainable)

    def replace(self, values: Mapping[str, Any]) -> Store:
        """A new Store with some values replaced, by name (metadata unchanged)."""
        idx = self._idx()
        new = list(self._values)
        for name, v in values.items():
            k = idx.get(name)
            if k is None:
                self[name]  # helpful error
                raise StoreKeyError(f"{name!r} is a scope; replace() takes variable names.")
            new[k] = v
        return Store._make(self._prefix, self._infos, tuple(new))

    # -- sizes and display ----------------------------------------------------------
    @property
    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return sum(i.size for i in self._infos)

    @property
    def nbytes(self) -> int:
        """Total bytes of the variables (from the metadata)."""
        return sum(i.nbytes for i in self._infos)

    def summary(self) -> str:
        """A table: name, shape, dtype, params, bytes, trainable, collections, device."""
        from scopejax._src.core.store_summary import summary_table

        return summary_table(self)

    def _repr_html_(self) -> str:
        from scopejax._src.core.store_summary import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        n = len(self._infos)
        lines = [f"Store({n} variable{'' if n == 1 else 's'}, {self.num_params:,} params"]
        if self._prefix:
            lines[0] += f", under {self._prefix!r}"
        for name, info, v in zip(self._relnames(), self._infos, self._values, strict=True):
            shape = getattr(v, "shape", None)
            shown = info.shape if shape is None else tuple(shape)
            flag = "" if info.trainable else "  [non-trainable]"
            lines.append(f"  {name}: {info.dtype}{list(shown)}{flag}")
        return ",\n".join(lines[:1]) + (":\n" + "\n".join(lines[1:]) if lines[1:] else "") + ")"


def _predicate(collection: Any, regex: str | None, predicate: Selector | None) -> Selector:
    tests: list[Selector] = []
    if collection is not None:
        tests.append(select(collection, what="Store.partition"))
    if regex is not None:
        tests.append(regex_selector(regex, "Store.partition(regex=...)"))
    if predicate is not None:
        tests.append(predicate)
    if not tests:
        raise StoreError("partition/filter needs a collection, a regex or a predicate.")
    if len(tests) == 1:
        return tests[0]
    return lambda i: all(t(i) for t in tests)


def merge(*stores: Store) -> Store:
    """Join disjoint Stores (e.g. the two halves of ``partition``) into one.

    Args:
      *stores: Stores with no variable in common.

    Returns:
      One Store with every variable, in name order.

    Raises:
      StoreError: two stores hold the same variable.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     sj.get_variable("a", [1]); sj.get_variable("b", [1], trainable=False)
    >>> store = sj.transform(f).init(jax.random.key(0))
    >>> train, rest = store.partition(sj.GraphKeys.TRAINABLE_VARIABLES)
    >>> sj.merge(train, rest).names()
    ['a', 'b']
    """
    if not stores:
        return Store()
    prefix = stores[0]._prefix
    infos: list[VariableInfo] = []
    values: list[Any] = []
    seen: set[str] = set()
    for s in stores:
        if not isinstance(s, Store):
            raise StoreError(f"merge() takes Stores, got {type(s).__name__}.")
        if s._prefix != prefix:
            raise StoreError(
                f"merge(): views under different scopes ({prefix!r} and {s._prefix!r})."
            )
        for info, v in zip(s._infos, s._values, strict=True):
            if info.name in seen:
                raise StoreError(
                    f"merge(): variable {info.name} is in more than one store; merge disjoint "
                    "stores (e.g. the two results of partition)."
                )
            seen.add(info.name)
            infos.append(info)
            values.append(v)
    return Store(values, infos, prefix=prefix)
