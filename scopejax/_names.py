"""Name rules of TF1 graphs: validation patterns and name-scope arithmetic."""

from __future__ import annotations

import re

from scopejax._errors import InvalidNameError

# TensorFlow's own patterns (tensorflow/python/framework/ops.py).
VALID_ROOT_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


def validate_scope_name(name: str, nested: bool, what: str = "") -> None:
    """Raise InvalidNameError (a ValueError) worded as TF's, if ``name`` is illegal."""
    if nested:
        if not VALID_SCOPE_NAME.match(name):
            raise InvalidNameError(
                f"'{name}' is not a valid scope name. A scope name has to match the "
                f"following pattern: {VALID_SCOPE_NAME.pattern}{what}"
            )
    elif not VALID_ROOT_NAME.match(name):
        raise InvalidNameError(
            f"'{name}' is not a valid root scope name. A root scope name has to match "
            f"the following pattern: {VALID_ROOT_NAME.pattern}{what}"
        )


def check_str(name: object, api: str) -> str:
    if isinstance(name, bytes):
        return name.decode("utf-8")
    if not isinstance(name, str):
        raise TypeError(f"{api} expects a string name, got {type(name).__name__}: {name!r}.")
    return name
