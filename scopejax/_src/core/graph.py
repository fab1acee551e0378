"""What TF1's ``tf.Graph`` held of one call's variables: the registry and the collections.

Two parts of a :class:`~scopejax._src.core.context.Frame`, owned by this module: only
their methods read their fields.

* :class:`Registry`: the variables of the call, by graph name (``enc/w``), by
  ``get_variable`` key and by value (``assign(array)`` finds its variable), with what
  ``init`` and ``apply_with_state`` hand back (initial and assigned values) and which
  stored variables ``apply`` used.
* :class:`Collections`: TF1's collections, key -> list, in first-use order.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scopejax._src.core.handle import VariableHandle


class Registry:
    """The variables of one ``init``/``apply`` call.

    >>> reg = Registry()
    >>> len(reg), reg.by_name("w")
    (0, None)
    """

    __slots__ = ("_by_name", "_by_key", "_by_value", "_used", "_assigned", "_initial", "_losses")

    def __init__(self) -> None:
        self._by_name: dict[str, VariableHandle] = {}  # graph name -> variable
        self._by_key: dict[str, VariableHandle] = {}  # get_variable key -> variable
        self._by_value: dict[int, tuple[VariableHandle, Any]] = {}  # id(array) -> (var, array)
        self._used: set[str] = set()  # apply: stored names the function read
        self._assigned: dict[str, Any] = {}  # apply: values assign() changed
        self._initial: dict[str, Any] = {}  # init: each variable's initial value
        self._losses: list[tuple[str, Any]] = []  # (variable name, regularization loss)

    # -- variables ------------------------------------------------------------
    def add(self, handle: VariableHandle, value: Any, *, initial: bool) -> None:
        """Register a new variable (its key too, if it has one) holding ``value``.

        Args:
          handle: the variable.
          value: its value in this call.
          initial: record ``value`` as its initial value (``init``).
        """
        if handle.key is not None:
            self._by_key[handle.key] = handle
        self._by_name[handle.name] = handle
        self._by_value[id(value)] = (handle, value)
        if initial:
            self._initial[handle.name] = value

    def by_name(self, name: str) -> VariableHandle | None:
        """The variable with graph name ``name``, or None."""
        return self._by_name.get(name)

    def by_key(self, key: str) -> VariableHandle | None:
        """The variable ``get_variable(key)`` created, or None."""
        return self._by_key.get(key)

    def keys(self) -> KeysView[str]:
        """Every ``get_variable`` key, in creation order."""
        return self._by_key.keys()

    def names(self) -> KeysView[str]:
        """Every graph name, in creation order."""
        return self._by_name.keys()

    def handles(self) -> ValuesView[VariableHandle]:
        """Every variable, in creation order."""
        return self._by_name.values()

    def items(self) -> ItemsView[str, VariableHandle]:
        """``(graph name, variable)`` pairs, in creation order."""
        return self._by_name.items()

    def __len__(self) -> int:
        return len(self._by_name)

    # -- values -----------------------------------------------------------------
    def note_value(self, handle: VariableHandle, value: Any) -> None:
        """Remember that ``value`` is ``handle``'s value (``assign(value)`` finds it)."""
        self._by_value[id(value)] = (handle, value)

    def variable_of(self, value: Any) -> VariableHandle | None:
        """The variable whose value ``value`` is (this very array), or None."""
        hit = self._by_value.get(id(value))
        return hit[0] if hit is not None and hit[1] is value else None

    def record_assign(self, name: str, value: Any) -> None:
        """``apply``: variable ``name`` now holds ``value`` (``apply_with_state`` returns it)."""
        self._assigned[name] = value

    def assigned(self) -> Mapping[str, Any]:
        """The values ``assign`` gave, by graph name."""
        return self._assigned

    def initial(self) -> Mapping[str, Any]:
        """``init``: each variable's initial value, by graph name."""
        return self._initial

    def set_initial(self, values: Mapping[str, Any]) -> None:
        """Replace the initial values by ``values`` (one per variable), in creation order."""
        self._initial = {name: values[name] for name in self._by_name}

    # -- apply's bookkeeping -----------------------------------------------------
    def mark_used(self, name: str) -> None:
        """``apply`` read stored variable ``name``."""
        self._used.add(name)

    def unused(self, names: Iterable[str]) -> list[str]:
        """The ``names`` no variable of the call read, sorted."""
        return sorted(set(names) - self._used)

    def add_loss(self, name: str, loss: Any) -> None:
        """Record the regularization loss of variable ``name``."""
        self._losses.append((name, loss))

    def loss_names(self) -> dict[int, str]:
        """``id(loss) -> variable name`` for every regularization loss recorded."""
        return {id(loss): name for name, loss in self._losses}

    def release(self) -> None:
        """The call has returned: detach every variable and drop the values."""
        for handle in self._by_name.values():
            handle.detach()
        for d in (self._by_name, self._by_key, self._by_value, self._initial, self._assigned):
            d.clear()
        self._losses.clear()


class Collections:
    """TF1's collections of one call: key -> list of items, keys in first-use order.

    >>> c = Collections()
    >>> c.add("losses", 1.0)
    >>> c.get("losses"), c.get("other")
    ([1.0], ())
    """

    __slots__ = ("_lists",)

    def __init__(self) -> None:
        self._lists: dict[Any, list[Any]] = {}

    def add(self, key: Any, item: Any) -> None:
        """Append ``item`` to collection ``key``."""
        lst = self._lists.get(key)
        if lst is None:
            self._lists[key] = [item]
        else:
            lst.append(item)

    def ref(self, key: Any) -> list[Any]:
        """The list of collection ``key`` itself (``get_collection_ref``), made if new."""
        return self._lists.setdefault(key, [])

    def get(self, key: Any) -> list[Any] | tuple[()]:
        """The list of collection ``key``, or ``()`` when it was never used."""
        return self._lists.get(key, ())

    def keys(self) -> KeysView[Any]:
        """Every collection key, in first-use order."""
        return self._lists.keys()

    def items(self) -> ItemsView[Any, list[Any]]:
        """``(key, list)`` pairs, in first-use order."""
        return self._lists.items()

    def keys_holding(self, item: Any) -> list[Any]:
        """The keys of the collections that hold ``item`` (this very object)."""
        return [k for k, items in self._lists.items() if any(x is item for x in items)]

    def remove_last(self, key: Any, item: Any) -> None:
        """Remove the last occurrence of ``item`` (this very object) from collection ``key``."""
        items = self._lists.get(key, [])
        for i in range(len(items) - 1, -1, -1):
            if items[i] is item:
                del items[i]
                return

    def clear(self) -> None:
        """Drop every collection (the call has returned)."""
        self._lists.clear()
