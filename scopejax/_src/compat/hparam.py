"""``tf.contrib.training.HParams``: typed hyperparameters, parsed from strings or JSON.

Follows TF 1.15's ``contrib/training/python/training/hparam.py``: each hyperparameter
keeps the type of its first value (a list's element type for a list); ``set_hparam``,
``parse`` and ``override_from_dict`` refuse values that would change it (a float for an
int, a number for a string or a bool, a list for a scalar), and casts the rest
(an int for a float). The ``HParamDef`` protocol buffer (``hparam_def=``,
``to_proto``) is not provided.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable
from typing import Any

# name, optional [index], '=', then a scalar (no comma, no '[') or a bracketed list
_PARAM_RE = re.compile(
    r"""
    (?P<name>[a-zA-Z][\w.]*)
    (\[\s*(?P<index>\d+)\s*\])?
    \s*=\s*
    ((?P<val>[^,\[]*) | \[(?P<vals>[^\]]*)\])
    ($|,\s*)""",
    re.VERBOSE,
)


def _parse_fail(name: str, var_type: type, value: Any, values: str) -> None:
    raise ValueError(
        f"Could not parse hparam '{name}' of type '{var_type.__name__}' with value "
        f"'{value}' in {values}"
    )


def _reuse_fail(name: str, values: str) -> None:
    raise ValueError(f"Multiple assignments to variable '{name}' in {values}")


def _parser(name: str, type_: type, values: str) -> Callable[[str], Any]:
    if type_ is not bool:
        return type_

    def parse_bool(text: str) -> bool:
        if text in ("true", "True"):
            return True
        if text in ("false", "False"):
            return False
        try:
            return bool(int(text))
        except ValueError:
            _parse_fail(name, type_, text, values)
            raise  # unreachable: _parse_fail raises

    return parse_bool


def parse_values(
    values: str, type_map: dict[str, type], ignore_unknown: bool = False
) -> dict[str, Any]:
    """Parse ``"a=1,b=[1,2],c=abc,d[0]=3"`` into ``{name: value}`` by ``type_map``.

    A scalar is parsed by its type (``bool`` takes ``true``/``True``/``false``/
    ``False`` or an integer); a bracketed list element by element; ``name[i]=v`` gives
    ``{i: v}``. Names may contain dots.

    >>> parse_values("lr=0.1,layers=[2, 3],act=relu", {"lr": float, "layers": int, "act": str})
    {'lr': 0.1, 'layers': [2, 3], 'act': 'relu'}

    Args:
      values: comma-separated ``name=value`` pairs.
      type_map: the type of each name (for a list, its elements' type).
      ignore_unknown: skip names missing from ``type_map`` instead of failing.

    Returns:
      A dict of scalars, lists, and ``{index: value}`` dicts.

    Raises:
      ValueError: malformed text, an unknown name, a value that does not parse as its
        type, a name assigned twice, or a list assigned to an index.
    """
    results: dict[str, Any] = {}
    pos = 0
    while pos < len(values):
        m = _PARAM_RE.match(values, pos)
        if not m:
            raise ValueError(f"Malformed hyperparameter value: {values[pos:]}")
        pos = m.end()
        d = m.groupdict()
        name = d["name"]
        if name not in type_map:
            if ignore_unknown:
                continue
            raise ValueError(f"Unknown hyperparameter type for {name}")
        type_ = type_map[name]
        parse = _parser(name, type_, values)
        if d["val"] is not None:
            try:
                parsed = parse(d["val"])
            except ValueError:
                _parse_fail(name, type_, d["val"], values)
            if not d["index"]:
                if name in results:
                    _reuse_fail(name, values)
                results[name] = parsed
            else:
                if name in results and not isinstance(results[name], dict):
                    _reuse_fail(name, values)
                slot = results.setdefault(name, {})
                index = int(d["index"])
                if index in slot:
                    _reuse_fail(f"{name}[{index}]", values)
                slot[index] = parsed
        elif d["vals"] is not None:
            if d["index"] is not None:
                raise ValueError("Assignment of a list to a list index.")
            if name in results:
                _reuse_fail(name, values)
            elements = [e for e in re.split("[ ,]", d["vals"]) if e]
            try:
                results[name] = [parse(e) for e in elements]
            except ValueError:
                _parse_fail(name, type_, d["vals"], values)
        else:
            _parse_fail(name, type_, "", values)
    return results


def _cast(name: str, param_type: Any, value: Any) -> Any:
    """``value`` as ``param_type``, refusing what would change its kind (TF 1.15's
    ``_cast_to_type_if_compatible``)."""
    if type(value) is param_type:
        return value
    if issubclass(param_type, type(None)):  # a None hyperparameter takes anything
        return value
    msg = f"Could not cast hparam '{name}' of type '{param_type}' from value {value!r}"
    if issubclass(param_type, (str, bytes)) and not isinstance(value, (str, bytes)):
        raise ValueError(msg)
    if issubclass(param_type, bool) != isinstance(value, bool):
        raise ValueError(msg)
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise ValueError(msg)
    if issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        raise ValueError(msg)
    return param_type(value)


class HParams:
    """``tf.contrib.training.HParams``: named hyperparameters with fixed types.

    >>> from scopejax.compat.v1.contrib.training import HParams
    >>> hp = HParams(learning_rate=0.1, num_layers=2, cell="lstm", sizes=[128, 64])
    >>> hp.parse("learning_rate=0.3,sizes=[32,16]").learning_rate
    0.3
    >>> hp.sizes, hp.values()["cell"]
    ([32, 16], 'lstm')
    >>> hp.set_hparam("num_layers", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: Could not cast hparam 'num_layers' of type '<class 'int'>' from value 1.5
    """

    _HAS_DYNAMIC_ATTRIBUTES = True

    def __init__(self, hparam_def: Any = None, model_structure: Any = None, **kwargs: Any):
        """Args:
        hparam_def: TF's ``HParamDef`` protocol buffer: not provided.
        model_structure: any object, kept for ``get_model_structure``.
        **kwargs: the hyperparameters and their initial values.

        Raises:
          NotImplementedError: ``hparam_def`` given.
          ValueError: a name that is an attribute of ``HParams``, or an empty list.
        """
        self._hparam_types: dict[str, tuple[type, bool]] = {}
        self._model_structure = model_structure
        if hparam_def:
            raise NotImplementedError(
                "HParams(hparam_def=...): the HParamDef protocol buffer is not provided; "
                "build HParams from keyword arguments or parse_json()."
            )
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name: str, value: Any) -> None:
        """Add a hyperparameter; its type is the value's (a list's first element's).

        Args:
          name: the hyperparameter's name.
          value: an int, float, str, bool, or a non-empty list of them.

        Raises:
          ValueError: ``name`` is already an attribute with a value (a method or a
            hyperparameter), or ``value`` is an empty list.
        """
        if getattr(self, name, None) is not None:
            raise ValueError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name: str, value: Any) -> None:
        """Set an existing hyperparameter, checking and casting to its type.

        Args:
          name: the hyperparameter's name.
          value: a value of its type (a list for a list hyperparameter).

        Raises:
          KeyError: no hyperparameter ``name``.
          ValueError: a list for a scalar, a scalar for a list, or a value of another kind.
        """
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError(f"Must not pass a list for single-valued parameter: {name}")
            setattr(self, name, [_cast(name, param_type, v) for v in value])
        else:
            if is_list:
                raise ValueError(f"Must pass a list for multi-valued parameter: {name}.")
            setattr(self, name, _cast(name, param_type, value))

    def del_hparam(self, name: str) -> None:
        """Remove a hyperparameter; nothing if it is absent.

        Args:
          name: the hyperparameter's name.
        """
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values: str) -> HParams:
        """Override hyperparameters from ``"name=value,list=[1,2],..."`` text.

        Args:
          values: comma-separated ``name=value`` pairs (see :func:`parse_values`).

        Returns:
          This ``HParams``.

        Raises:
          ValueError: malformed text, an unknown name, or a value of the wrong type.
        """
        type_map = {name: t for name, (t, _) in self._hparam_types.items()}
        return self.override_from_dict(parse_values(values, type_map))

    def override_from_dict(self, values_dict: dict[str, Any]) -> HParams:
        """Set each ``name: value`` of ``values_dict`` with :meth:`set_hparam`.

        Args:
          values_dict: new values by name.

        Returns:
          This ``HParams``.

        Raises:
          KeyError: an unknown name.
          ValueError: a value of the wrong type.
        """
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_model_structure(self, model_structure: Any) -> None:
        """Keep ``model_structure`` (any object).

        Args:
          model_structure: the object.
        """
        self._model_structure = model_structure

    def get_model_structure(self) -> Any:
        """The object given to ``model_structure``.

        Returns:
          The model structure, or ``None``.
        """
        return self._model_structure

    def to_json(
        self,
        indent: int | None = None,
        separators: tuple[str, str] | None = None,
        sort_keys: bool = False,
    ) -> str:
        """The hyperparameters as JSON (callables left out).

        Args:
          indent: ``json.dumps``'s indent.
          separators: ``json.dumps``'s ``(item, key)`` separators.
          sort_keys: sort by name.

        Returns:
          A JSON object string.
        """

        def drop_callables(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: drop_callables(v) for k, v in x.items() if not callable(v)}
            if isinstance(x, list):
                return [drop_callables(v) for v in x if not callable(v)]
            return x

        return json.dumps(
            drop_callables(self.values()), indent=indent, separators=separators, sort_keys=sort_keys
        )

    def parse_json(self, values_json: str) -> HParams:
        """Override hyperparameters from a JSON object.

        Args:
          values_json: a JSON object of ``name: value``.

        Returns:
          This ``HParams``.

        Raises:
          KeyError: an unknown name.
          ValueError: invalid JSON or a value of the wrong type.
        """
        return self.override_from_dict(json.loads(values_json))

    def values(self) -> dict[str, Any]:
        """The hyperparameters as a dict.

        Returns:
          ``{name: value}``.
        """
        return {n: getattr(self, n) for n in self._hparam_types}

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default`` (which must fit ``key``'s type).

        Args:
          key: the hyperparameter's name.
          default: returned when ``key`` is absent.

        Returns:
          The value, or ``default``.

        Raises:
          ValueError: ``key`` exists and ``default`` is not of its type.
        """
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            type_str = f"list<{param_type}>" if is_list else str(param_type)
            fail = f"Hparam '{key}' of type '{type_str}' is incompatible with default={default}"
            if is_list != isinstance(default, list):
                raise ValueError(fail)
            try:
                for v in default if is_list else [default]:
                    _cast(key, param_type, v)
            except ValueError as e:
                raise ValueError(f"{fail}. {e}") from None
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self._hparam_types

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.values().items())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self.values().items())})"
