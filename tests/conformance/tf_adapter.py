"""The conformance-program adapter over real TensorFlow (``tf.compat.v1`` graph mode).

TensorFlow is imported lazily, inside ``TFApi``; it is only needed to regenerate
``tf1_expected.json`` (see ``make_tf1_expected.py``) and is never a dependency of
scopejax.

Each ``TFApi`` instance is a context manager that makes a fresh ``tf.Graph`` the
default graph, so every program starts from empty graph-name, variable-scope and
variable stores. Variables are TF's default kind (resource variables in TF 2.x;
``make_tf1_expected.py --cross-check`` also runs everything with TF1 ref variables).

Adapter interface (what programs may use; a scopejax adapter implements the same):

* ``variable_scope(name_or_scope, default_name=None, reuse=None,
  auxiliary_name_scope=True)`` -> context manager yielding a scope object with
  ``.name``, ``.original_name_scope``, ``.reuse`` and ``.reuse_variables()``.
* ``name_scope(name)`` -> context manager yielding the name-scope string.
* ``get_name_scope()`` -> str; ``get_variable_scope()`` -> current scope object.
* ``var(name, shape=(1,), dtype='float32', trainable=None, collections=None,
  initializer=None)`` -> graph name (no ``:0``) of ``get_variable(...)``.
  ``dtype=None`` means "not given"; ``shape=None`` is passed as ``None``.
* ``Variable(name=None, trainable=True, collections=None)`` -> graph name of a
  ``tf.Variable``-style variable with scalar initial value 0.0.
* ``add_to_collection(key, var_name)``; ``add_to_collection_value(key, str_value)``.
* ``collection_names(key, scope=None)`` -> graph names of the variable items, in order.
* ``collection_items(key, scope=None)`` -> every item, in order, as ``"var:<name>"``
  for variables and ``"str:<value>"`` for plain string items (an extension).
* ``global_names(scope=None)``, ``trainable_names(scope=None)``.
* ``reuse_str(reuse)`` -> ``'True'``, ``'False'``, ``'None'`` or ``'AUTO_REUSE'``.
* ``AUTO_REUSE``, ``GLOBAL_VARIABLES``, ``TRAINABLE_VARIABLES``.
"""

from __future__ import annotations

import contextlib
import os

try:  # imported as part of a package (tests.conformance) or as a plain module
    from .runner import Recorder, error_record, run_program
except ImportError:  # pragma: no cover
    from runner import Recorder, error_record, run_program  # type: ignore[no-redef]

__all__ = ["TFApi", "tf_api_factory", "run_program", "Recorder", "error_record"]


def _import_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    return tf


def _strip(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


class TFApi:
    def __init__(self) -> None:
        tf = _import_tf()
        self.tf = tf
        self.v1 = tf.compat.v1
        self.AUTO_REUSE = self.v1.AUTO_REUSE
        self.GLOBAL_VARIABLES = self.v1.GraphKeys.GLOBAL_VARIABLES
        self.TRAINABLE_VARIABLES = self.v1.GraphKeys.TRAINABLE_VARIABLES
        self._stack: contextlib.ExitStack | None = None
        self.graph = None
        self._by_name: dict[str, object] = {}

    # -- lifetime -------------------------------------------------------------
    def __enter__(self) -> TFApi:
        self._stack = contextlib.ExitStack()
        self.graph = self.tf.Graph()
        self._stack.enter_context(self.graph.as_default())
        return self

    def __exit__(self, *exc) -> bool:
        assert self._stack is not None
        self._stack.__exit__(*exc)
        self._stack = None
        return False

    # -- scopes ---------------------------------------------------------------
    def variable_scope(
        self, name_or_scope, default_name=None, reuse=None, auxiliary_name_scope=True
    ):
        return self.v1.variable_scope(
            name_or_scope,
            default_name=default_name,
            reuse=reuse,
            auxiliary_name_scope=auxiliary_name_scope,
        )

    def name_scope(self, name):
        return self.v1.name_scope(name)

    def get_name_scope(self) -> str:
        return self.v1.get_default_graph().get_name_scope()

    def get_variable_scope(self):
        return self.v1.get_variable_scope()

    def reuse_str(self, reuse) -> str:
        if reuse is self.AUTO_REUSE:
            return "AUTO_REUSE"
        if reuse is True or reuse is False or reuse is None:
            return str(reuse)
        raise TypeError(f"unexpected reuse value {reuse!r}")

    # -- variables ------------------------------------------------------------
    def var(
        self,
        name,
        shape=(1,),
        dtype="float32",
        trainable=None,
        collections=None,
        initializer=None,
    ) -> str:
        kwargs = {
            "shape": shape,
            "trainable": trainable,
            "collections": collections,
            "initializer": initializer,
        }
        if dtype is not None:
            kwargs["dtype"] = self.tf.as_dtype(dtype)
        v = self.v1.get_variable(name, **kwargs)
        self._by_name[_strip(v.name)] = v
        return _strip(v.name)

    def Variable(self, name=None, trainable=True, collections=None) -> str:  # noqa: N802
        v = self.v1.Variable(0.0, name=name, trainable=trainable, collections=collections)
        self._by_name[_strip(v.name)] = v
        return _strip(v.name)

    def _variable_by_name(self, var_name):
        # Every variable made through this adapter, so that variables in no
        # collection at all (collections=[], trainable=False) can be found too.
        try:
            return self._by_name[var_name]
        except KeyError:
            raise KeyError(f"no variable named {var_name!r}") from None

    # -- collections ----------------------------------------------------------
    def add_to_collection(self, key, var_name) -> None:
        self.v1.add_to_collection(key, self._variable_by_name(var_name))

    def add_to_collection_value(self, key, str_value) -> None:
        if not isinstance(str_value, str):
            raise TypeError("add_to_collection_value takes a str")
        self.v1.add_to_collection(key, str_value)

    def _is_var(self, item) -> bool:
        return isinstance(item, self.tf.Variable)

    def collection_names(self, key, scope=None) -> list[str]:
        return [_strip(i.name) for i in self.v1.get_collection(key, scope) if self._is_var(i)]

    def collection_items(self, key, scope=None) -> list[str]:
        out = []
        for i in self.v1.get_collection(key, scope):
            if self._is_var(i):
                out.append("var:" + _strip(i.name))
            elif isinstance(i, str):
                out.append("str:" + i)
            else:  # pragma: no cover - programs only add variables and strings
                raise TypeError(f"unexpected collection item {i!r}")
        return out

    def global_names(self, scope=None) -> list[str]:
        return [_strip(v.name) for v in self.v1.global_variables(scope)]

    def trainable_names(self, scope=None) -> list[str]:
        return [_strip(v.name) for v in self.v1.trainable_variables(scope)]


def tf_api_factory() -> TFApi:
    """Factory for ``run_program``: each call returns a fresh ``TFApi``."""
    return TFApi()
