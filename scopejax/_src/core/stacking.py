"""``stack_layers`` / ``unstack_layers``: a layer stack's names <-> an unrolled model's names."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from scopejax._src.core.errors import StoreError
from scopejax._src.core.store import Store, VariableInfo, flatten_mapping


def _check_pattern(layer: str) -> tuple[str, str]:
    if layer.count("{}") != 1:
        raise StoreError(
            f"layer pattern {layer!r} must contain '{{}}' once, where the layer number goes "
            "(e.g. 'block_{}/')."
        )
    before, after = layer.split("{}")
    return before, after


def _entries(store: Store | Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, VariableInfo]]:
    if isinstance(store, Store):
        return store.flat(), store.infos
    return flatten_mapping(store), {}


def _rename_key(key: str | None, old: str, new: str) -> str | None:
    return new + key[len(old) :] if key is not None and key.startswith(old) else key


def _build(store: Any, values: dict[str, Any], infos: dict[str, VariableInfo]) -> Any:
    if not isinstance(store, Store):
        return values
    return Store(values, [infos[n] for n in values])


def unstack_layers(store: Store | Mapping[str, Any], stacked: str, layer: str) -> Any:
    """Split the stacked variables under ``stacked`` into one variable per layer.

    ``stacked`` is a name prefix (``'model/blocks/'``), ``layer`` a pattern with
    ``{}`` for the layer number (``'model/block_{}/'``): ``model/blocks/dense/kernel``
    of shape ``[N, ...]`` becomes ``model/block_0/dense/kernel``, ... Other
    variables are kept. Returns a Store (metadata kept) or a flat dict.

    Args:
      store: a Store or a ``{name: array}`` mapping with stacked variables.
      stacked: the stacked scope (``"blocks"``): its variables have a leading layer axis.
      layer: the per-layer pattern with one ``{}`` for the index (``"block_{}"``).

    Returns:
      The same kind of object as ``store``, every stacked variable split into per-layer ones.

    Raises:
      StoreError: the pattern has no single ``{}``, a variable is a scalar, or a new name exists.

    >>> import jax.numpy as jnp, scopejax as sj
    >>> s = sj.unstack_layers({"blocks/w": jnp.zeros([3, 2])}, "blocks/", "block_{}/")
    >>> sorted(s), s["block_2/w"].shape
    (['block_0/w', 'block_1/w', 'block_2/w'], (2,))
    """
    _check_pattern(layer)
    flat, infos = _entries(store)
    values: dict[str, Any] = {}
    new_infos: dict[str, VariableInfo] = {}
    for name, value in flat.items():
        if not name.startswith(stacked):
            values[name] = value
            if infos:
                new_infos[name] = infos[name]
            continue
        if jnp.ndim(value) < 1:
            raise StoreError(f"Variable {name} is a scalar: it has no layer axis to unstack.")
        rest = name[len(stacked) :]
        for i in range(value.shape[0]):
            new = layer.format(i) + rest
            if new in flat:
                raise StoreError(f"unstack_layers: {new} exists already; pick another pattern.")
            values[new] = value[i]
            if infos:
                info = infos[name]
                new_infos[new] = dataclasses.replace(
                    info,
                    name=new,
                    shape=tuple(info.shape[1:]),
                    key=_rename_key(info.key, stacked, layer.format(i)),
                )
    return _build(store, values, new_infos)


def stack_layers(store: Store | Mapping[str, Any], layer: str, stacked: str) -> Any:
    """The inverse of :func:`unstack_layers`: ``block_{i}/...`` -> ``blocks/...`` stacked.

    Layers must be numbered 0..N-1 without gaps, and every layer must hold the
    same variables with the same shapes and dtypes.

    Args:
      store: a Store or a ``{name: array}`` mapping with per-layer variables.
      layer: the per-layer pattern with one ``{}`` for the index (``"block_{}"``).
      stacked: the scope of the stacked variables (``"blocks"``).

    Returns:
      The same kind of object as ``store``, the per-layer variables stacked on a new axis 0.

    Raises:
      StoreError: no variable matches, the layers are not numbered 0..n-1, or they differ in
        shape, dtype or variables.

    >>> import jax.numpy as jnp, scopejax as sj
    >>> flat = {f"block_{i}/w": jnp.full([2], i) for i in range(3)}
    >>> sj.stack_layers(flat, "block_{}/", "blocks/")["blocks/w"].shape
    (3, 2)
    """
    before, after = _check_pattern(layer)
    rx = re.compile(re.escape(before) + r"(\d+)" + re.escape(after) + r"(.+)")
    flat, infos = _entries(store)
    groups: dict[str, dict[int, str]] = {}
    values: dict[str, Any] = {}
    new_infos: dict[str, VariableInfo] = {}
    for name, value in flat.items():
        m = rx.fullmatch(name)
        if m is None:
            values[name] = value
            if infos:
                new_infos[name] = infos[name]
            continue
        groups.setdefault(m.group(2), {})[int(m.group(1))] = name
    if not groups:
        raise StoreError(f"stack_layers: no variable matches the layer pattern {layer!r}.")
    n = max(max(g) for g in groups.values()) + 1
    for rest, members in sorted(groups.items()):
        if sorted(members) != list(range(n)):
            raise StoreError(
                f"stack_layers: {stacked}{rest} needs layers 0..{n - 1}, found layers "
                f"{sorted(members)}."
            )
        parts = [flat[members[i]] for i in range(n)]
        shapes = {(tuple(p.shape), str(p.dtype)) for p in parts}
        if len(shapes) > 1:
            raise StoreError(
                f"stack_layers: the layers of {stacked}{rest} differ in shape or dtype: "
                f"{sorted(shapes)}."
            )
        new = stacked + rest
        values[new] = jnp.stack(parts)
        if infos:
            info = infos[members[0]]
            new_infos[new] = dataclasses.replace(
                info,
                name=new,
                shape=(n, *info.shape),
                key=_rename_key(info.key, layer.format(0), stacked),
            )
    return _build(store, values, new_infos)
