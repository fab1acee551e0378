"""Test helpers: run a function inside init (and apply) and collect what it returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

import scopejax as sj


def run_init(fn: Callable[..., Any], *args: Any) -> tuple[Any, sj.Store]:
    """Run ``fn`` at init and return (its output, the store)."""
    box: list[Any] = []

    def wrapped(*a: Any) -> None:
        box.append(fn(*a))

    store = sj.transform(wrapped).init(jax.random.key(0), *args)
    return box[0], store


def run_both(fn: Callable[..., Any], *args: Any) -> tuple[Any, Any, sj.Store]:
    """Run ``fn`` at init and at apply; return (init output, apply output, store)."""
    box: list[Any] = []

    def wrapped(*a: Any) -> Any:
        out = fn(*a)
        box.append(out)
        return out

    net = sj.transform(wrapped)
    store = net.init(jax.random.key(0), *args)
    out = net.apply(store, *args)
    return box[0], out, store


def names() -> list[str]:
    return [v.name for v in sj.global_variables()]
