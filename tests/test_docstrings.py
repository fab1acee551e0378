"""Every public function and class is documented: a docstring, and for a function with
parameters an ``Args:`` section (Google style, as the rest of the package).

"Public" is what ``scopejax`` and its public modules export (``__all__`` or the names
without a leading underscore). Doctests in those docstrings run through
``--doctest-modules``; this test checks their presence and shape.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types

import pytest

MODULES = [
    "scopejax",
    "scopejax.nn",
    "scopejax.layers",
    "scopejax.getters",
    "scopejax.initializers",
    "scopejax.train",
    "scopejax.checkpoint",
    "scopejax.summary",
    "scopejax.compat.v1",
    "scopejax.compat.v1.nn",
    "scopejax.compat.v1.train",
    "scopejax.compat.v1.contrib.layers",
    "scopejax.compat.v1.math",
    "scopejax.compat.v1.random",
    "scopejax.compat.v1.linalg",
    "scopejax.compat.v1.losses",
    "scopejax.compat.v1.image",
    "scopejax.compat.v1.summary",
    "scopejax.compat.v1.contrib.rnn",
    "scopejax.compat.v1.contrib.legacy_seq2seq",
    "scopejax.compat.v1.contrib.seq2seq",
    "scopejax.compat.v1.contrib.training",
]

ARGS = re.compile(r"^\s*Args:\s*$", re.M)


def public_api() -> list[tuple[str, object]]:
    seen: set[int] = set()
    out = []
    for mod_name in MODULES:
        module = importlib.import_module(mod_name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if n[0] != "_"]
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or id(obj) in seen:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj):
                if not (
                    inspect.isclass(obj) or inspect.isroutine(obj) or hasattr(obj, "__wrapped__")
                ):
                    continue  # type aliases such as Getter = Callable[...]
                seen.add(id(obj))
                out.append((f"{mod_name}.{name}", obj))
    return out


API = public_api()


def _own_doc(obj: object) -> str:
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__") or ""  # not inherited from a base class
    return getattr(obj, "__doc__", None) or ""


def _has_parameters(obj: object) -> bool:
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name not in ("self", "cls") for p in params)


def test_the_public_api_is_large_enough_to_mean_something():
    assert len(API) > 100


@pytest.mark.parametrize("name,obj", API, ids=[n for n, _ in API])
def test_public_name_has_a_docstring(name, obj):
    doc = _own_doc(obj)
    assert doc.strip(), f"{name} has no docstring"
    assert len(doc.strip().splitlines()[0]) > 10, f"{name}: the docstring's summary line is empty"


@pytest.mark.parametrize(
    "name,obj",
    [(n, o) for n, o in API if not inspect.isclass(o)],
    ids=[n for n, o in API if not inspect.isclass(o)],
)
def test_public_function_with_parameters_has_an_args_section(name, obj):
    if not _has_parameters(obj):
        return
    assert ARGS.search(_own_doc(obj)), f"{name} takes parameters but has no 'Args:' section"


def test_the_checks_catch_a_missing_docstring():
    def undocumented(x):
        return x

    def documented_without_args(x):
        """Return x."""
        return x

    assert not _own_doc(undocumented).strip()
    assert _has_parameters(documented_without_args)
    assert not ARGS.search(_own_doc(documented_without_args))
