"""Generic runner and recorder for the TF1 scoping conformance programs.

Nothing here imports TensorFlow or JAX: the same runner drives the programs in
``programs.py`` against the TensorFlow adapter (``tf_adapter.py``, used to make
``tf1_expected.json``) and against a scopejax adapter (used by the tests).

A program is ``fn(api, rec)``. It records observations with ``rec(label, value)``
and runs calls that may fail with ``rec.call(label, thunk)``, which records either
the thunk's return value or the error it raised, normalised by ``error_record``.

``run_program(api_factory, fn)`` returns the observations as a list of
``[label, value]`` pairs, in the order they were recorded.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from typing import Any

__all__ = [
    "ProgramError",
    "Recorder",
    "UNCAUGHT_LABEL",
    "error_class_name",
    "error_message",
    "error_record",
    "run_program",
    "diff_observations",
]

#: label under which an exception that escapes a program is recorded (the program
#: stops there).
UNCAUGHT_LABEL = "__uncaught__"

#: TF appends the creation traceback of an existing variable to some error messages,
#: starting with this marker. Everything from the marker on is cut.
_TRACEBACK_MARKER = "Originally defined at:"


class ProgramError(Exception):
    """A program broke the recording protocol (bad label or value type)."""


def error_class_name(exc: BaseException) -> str:
    """Name of the first builtin class in the exception's MRO.

    TF-specific (or scopejax-specific) subclasses of ``ValueError`` / ``TypeError``
    thus map to ``ValueError`` / ``TypeError``; an error that derives directly from
    ``Exception`` maps to ``Exception``.
    """
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins" and getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "Exception"  # pragma: no cover - every exception derives from a builtin


def error_message(exc: BaseException) -> str:
    """``str(exc)`` with TF's "Originally defined at:" traceback tail removed."""
    msg = str(exc)
    cut = msg.find(_TRACEBACK_MARKER)
    if cut >= 0:
        msg = msg[:cut]
    return msg.rstrip()


def error_record(exc: BaseException) -> dict[str, str]:
    return {"error": error_class_name(exc), "message": error_message(exc)}


def _check_value(value: Any, label: str) -> Any:
    """Validate (and JSON-normalise) a recorded value.

    Allowed: ``str``, ``bool``, ``int``, ``None``, an error record, and lists / tuples
    of allowed values (tuples become lists).
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, (list, tuple)):
        return [_check_value(v, label) for v in value]
    if isinstance(value, dict) and set(value) == {"error", "message"}:
        return dict(value)
    raise ProgramError(
        f"observation {label!r}: unsupported value type {type(value).__name__}: {value!r}"
    )


class Recorder:
    """Collects ``[label, value]`` observations of one program run.

    * ``rec(label, value)`` records a value (labels must be unique per program).
    * ``rec.call(label, thunk)`` calls ``thunk()``; records and returns its value,
      or, if it raised an ``Exception``, records ``{"error", "message"}`` and
      returns ``None``. ``rec.failed`` tells whether the last ``call`` raised.
    """

    def __init__(self) -> None:
        self.observations: list[list[Any]] = []
        self._labels: set[str] = set()
        self.failed = False

    def _add(self, label: str, value: Any) -> None:
        if not isinstance(label, str) or not label:
            raise ProgramError(f"labels must be non-empty strings, got {label!r}")
        if label in self._labels:
            raise ProgramError(f"duplicate observation label {label!r}")
        self._labels.add(label)
        self.observations.append([label, value])

    def __call__(self, label: str, value: Any) -> Any:
        self._add(label, _check_value(value, label))
        return value

    def call(self, label: str, thunk: Callable[[], Any]) -> Any:
        try:
            result = thunk()
        except ProgramError:
            raise
        except Exception as exc:  # noqa: BLE001 - recording errors is the point
            self.failed = True
            self._add(label, error_record(exc))
            return None
        self.failed = False
        self._add(label, _check_value(result, label))
        return result


def run_program(api_factory: Callable[[], Any], fn: Callable[[Any, Recorder], None]) -> list:
    """Run one program on a fresh adapter and return its observations.

    ``api_factory()`` must return a fresh adapter (fresh graph / fresh store). If the
    adapter is a context manager, the program runs inside ``with api as api:``.
    An exception escaping the program (other than ``ProgramError``) is recorded under
    ``UNCAUGHT_LABEL`` and ends the program.
    """
    rec = Recorder()
    api = api_factory()
    try:
        if hasattr(api, "__enter__") and hasattr(api, "__exit__"):
            with api as entered:
                fn(entered, rec)
        else:
            fn(api, rec)
    except ProgramError:
        raise
    except Exception as exc:  # noqa: BLE001
        rec._add(UNCAUGHT_LABEL, error_record(exc))
    # Round-trip through JSON so that results compare equal to loaded expectations.
    return json.loads(json.dumps(rec.observations))


def diff_observations(expected: list, actual: list) -> list[str]:
    """Human-readable differences between two observation lists (empty if equal)."""
    out: list[str] = []
    exp = {label: value for label, value in expected}
    act = {label: value for label, value in actual}
    for label, value in expected:
        if label not in act:
            out.append(f"missing {label!r}: expected {value!r}")
        elif act[label] != value:
            out.append(f"{label!r}: expected {value!r}, got {act[label]!r}")
    for label, value in actual:
        if label not in exp:
            out.append(f"unexpected {label!r}: got {value!r}")
    if not out and [lbl for lbl, _ in expected] != [lbl for lbl, _ in actual]:
        out.append("same observations, different order")
    return out
