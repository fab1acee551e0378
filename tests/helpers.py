"""Test helpers: run a function inside init (and apply) and collect what it returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

import scopejax as sj


def assert_same_store(a: sj.Store, b: sj.Store) -> None:
    """Same names, metadata and bit-identical values."""
    assert a.infos == b.infos
    for name, v in a.flat().items():
        w = b[name]
        assert v.dtype == w.dtype and v.shape == w.shape, name
        np.testing.assert_array_equal(np.asarray(v), np.asarray(w), err_msg=name)


def run_init(fn: Callable[..., Any], *args: Any) -> tuple[Any, sj.Store]:
    """Run ``fn`` at init and return (its output, the store).

    The output comes from a forward init (``fast_init=False``: fast init traces
    the function, so values seen inside it are tracers); the fast init must
    give the same store.
    """
    box: list[Any] = []

    def wrapped(*a: Any) -> None:
        box.append(fn(*a))

    store = sj.transform(wrapped, fast_init=False).init(jax.random.key(0), *args)
    assert_same_store(sj.transform(fn).init(jax.random.key(0), *args), store)
    return box[0], store


def run_both(fn: Callable[..., Any], *args: Any) -> tuple[Any, Any, sj.Store]:
    """Run ``fn`` at init and at apply; return (init output, apply output, store)."""
    box: list[Any] = []

    def wrapped(*a: Any) -> Any:
        out = fn(*a)
        box.append(out)
        return out

    net = sj.transform(wrapped, fast_init=False)
    store = net.init(jax.random.key(0), *args)
    assert_same_store(sj.transform(fn).init(jax.random.key(0), *args), store)
    out = net.apply(store, *args)
    return box[0], out, store


def names() -> list[str]:
    return [v.name for v in sj.global_variables()]
