"""The conformance adapter over scopejax: runs a program inside one ``init`` frame."""

from __future__ import annotations

import re
from typing import Any

import jax

import scopejax as sj
from scopejax._src.core.context import push_frame
from scopejax._src.core.scope import new_frame


class SJApi:
    AUTO_REUSE = sj.AUTO_REUSE
    GLOBAL_VARIABLES = sj.GraphKeys.GLOBAL_VARIABLES
    TRAINABLE_VARIABLES = sj.GraphKeys.TRAINABLE_VARIABLES

    def __enter__(self) -> SJApi:
        self._x64 = jax.enable_x64(True)  # programs use float64 variables, as TF can
        self._x64.__enter__()
        self._cm = push_frame(new_frame(is_init=True, init_key=jax.random.key(0)))
        self._cm.__enter__()
        self._by_name: dict[str, sj.VariableHandle] = {}
        return self

    def __exit__(self, *exc: Any) -> bool:
        self._cm.__exit__(*exc)
        self._x64.__exit__(*exc)
        return False

    # -- scopes ---------------------------------------------------------------
    def variable_scope(
        self, name_or_scope, default_name=None, reuse=None, auxiliary_name_scope=True
    ):
        return sj.variable_scope(
            name_or_scope,
            default_name=default_name,
            reuse=reuse,
            auxiliary_name_scope=auxiliary_name_scope,
        )

    def name_scope(self, name):
        return sj.name_scope(name)

    def get_name_scope(self) -> str:
        return sj.get_name_scope()

    def get_variable_scope(self):
        return sj.get_variable_scope()

    def reuse_str(self, reuse) -> str:
        if reuse is sj.AUTO_REUSE:
            return "AUTO_REUSE"
        if reuse is True or reuse is False or reuse is None:
            return str(reuse)
        raise TypeError(f"unexpected reuse value {reuse!r}")

    # -- variables ------------------------------------------------------------
    def var(
        self, name, shape=(1,), dtype="float32", trainable=None, collections=None, initializer=None
    ) -> str:
        value = sj.get_variable(
            name,
            shape,
            dtype=dtype,
            initializer=initializer,
            trainable=trainable,
            collections=collections,
        )
        handle = sj.variable_handle(value)
        self._by_name[handle.name] = handle
        return handle.name

    def Variable(self, name=None, trainable=True, collections=None) -> str:  # noqa: N802
        value = sj.Variable(0.0, name=name, trainable=trainable, collections=collections)
        handle = sj.variable_handle(value)
        self._by_name[handle.name] = handle
        return handle.name

    # -- collections ----------------------------------------------------------
    def add_to_collection(self, key, var_name) -> None:
        sj.add_to_collection(key, self._by_name[var_name])

    def add_to_collection_value(self, key, str_value) -> None:
        sj.add_to_collection(key, str_value)

    def collection_names(self, key, scope=None) -> list[str]:
        return [i.name for i in sj.get_collection(key, scope) if isinstance(i, sj.VariableHandle)]

    def collection_items(self, key, scope=None) -> list[str]:
        out = []
        for i in sj.get_collection(key, scope):
            out.append("var:" + i.name if isinstance(i, sj.VariableHandle) else "str:" + i)
        return out

    def global_names(self, scope=None) -> list[str]:
        return [v.name for v in sj.global_variables(scope)]

    def trainable_names(self, scope=None) -> list[str]:
        return [v.name for v in sj.trainable_variables(scope)]


def sj_api_factory() -> SJApi:
    return SJApi()


def _first_sentence(msg: str) -> str:
    m = re.search(r"[.?](\s|$)", msg)
    return (msg[: m.start()] if m else msg).replace("tf.", "")


def same_error(expected: dict, actual: dict) -> bool:
    """Same builtin class, and TF's first sentence opens scopejax's message."""
    if expected["error"] != actual["error"]:
        return False
    return actual["message"].replace("tf.", "").startswith(_first_sentence(expected["message"]))


def compare(expected: list, actual: list) -> list[str]:
    """Differences, treating errors as equal when :func:`same_error` holds."""
    out = []
    exp = dict((k, v) for k, v in expected)
    act = dict((k, v) for k, v in actual)
    for label, value in expected:
        if label not in act:
            out.append(f"missing {label!r}: expected {value!r}")
            continue
        got = act[label]
        if isinstance(value, dict) and isinstance(got, dict) and "error" in value:
            if not same_error(value, got):
                out.append(f"{label!r}: expected {value!r}, got {got!r}")
        elif got != value:
            out.append(f"{label!r}: expected {value!r}, got {got!r}")
    for label, value in actual:
        if label not in exp:
            out.append(f"unexpected {label!r}: got {value!r}")
    return out
