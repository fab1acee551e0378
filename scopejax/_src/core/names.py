"""Name rules of TF1 graphs: validation patterns and name-scope arithmetic."""

from __future__ import annotations

import re

from scopejax._src.core.errors import InvalidNameError, InvalidPatternError

# TensorFlow's own patterns (tensorflow/python/framework/ops.py).
VALID_ROOT_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")

_ALLOWED = "Allowed: ASCII letters, digits and _ . - / \\ >"
_ALLOWED_ROOT = _ALLOWED + ", the first character a letter, a digit or '.'"


def _offending(name: str, root: bool) -> str:
    """What in ``name`` breaks TF's pattern, as the end of the error message."""
    if not name:
        return "the name is empty"
    if root and not VALID_ROOT_NAME.match(name[0]):
        return f"this one starts with {name[0]!r}"
    bad = sorted({c for c in name if not VALID_SCOPE_NAME.match(c)})
    return f"{', '.join(repr(c) for c in bad)} {'is' if len(bad) == 1 else 'are'} not"


# names that passed, per pattern: a scope entered on every call is checked once
_VALID_NESTED: set[str] = set()
_VALID_ROOT: set[str] = set()
_MAX_CACHED = 1 << 16


def validate_scope_name(name: str, nested: bool, what: str = "") -> None:
    """Raise InvalidNameError (a ValueError) worded as TF's, if ``name`` is illegal."""
    valid = _VALID_NESTED if nested else _VALID_ROOT
    if name in valid:
        return
    if nested:
        if not VALID_SCOPE_NAME.match(name):
            raise InvalidNameError(
                f"'{name}' is not a valid scope name. A scope name has to match the "
                f"following pattern: {VALID_SCOPE_NAME.pattern}{what}. "
                f"{_ALLOWED}; {_offending(name, False)}."
            )
    elif not VALID_ROOT_NAME.match(name):
        raise InvalidNameError(
            f"'{name}' is not a valid root scope name. A root scope name has to match "
            f"the following pattern: {VALID_ROOT_NAME.pattern}{what}. "
            f"{_ALLOWED_ROOT}; {_offending(name, True)}."
        )
    if len(valid) >= _MAX_CACHED:
        valid.clear()
    valid.add(name)


def check_str(name: object, api: str) -> str:
    if isinstance(name, bytes):
        return name.decode("utf-8")
    if not isinstance(name, str):
        raise TypeError(f"{api} expects a string name, got {type(name).__name__}: {name!r}.")
    return name


def compile_pattern(pattern: object, what: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, or an InvalidPatternError that names ``what`` and the pattern.

    Args:
      pattern: the regular expression (a ``str``).
      what: the argument it came from, e.g. ``"Store.partition(regex=...)"``.

    Returns:
      The compiled pattern.

    Raises:
      TypeError: ``pattern`` is not a string.
      InvalidPatternError: it does not compile (also a ``ValueError`` and ``re.error``).

    >>> compile_pattern("l1/.*", "regex").pattern
    'l1/.*'
    """
    if not isinstance(pattern, str):
        raise TypeError(f"{what} takes a regular expression string, got {pattern!r}.")
    try:
        return re.compile(pattern)
    except re.error as e:
        raise InvalidPatternError(
            f"{what}: {pattern!r} is not a valid regular expression ({e}). To match a name "
            f"literally, pass re.escape(name)."
        ) from e
