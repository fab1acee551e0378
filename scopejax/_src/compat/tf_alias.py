"""``install_as_tensorflow()``: ``scopejax.compat.v1`` importable as ``tensorflow``.

Untouched TF1 files then import it: ``import tensorflow as tf`` (the compat module
itself), ``import tensorflow.compat.v1 as tf``, ``from tensorflow.contrib import layers``,
``from tensorflow.python.framework import ops``, ... A finder at the front of
``sys.meta_path`` resolves every ``tensorflow.*`` name:

1. ``tensorflow.compat.v1[.X]`` is ``tensorflow[.X]``.
2. A few of TF's internal module paths that model files import
   (``tensorflow.python.framework.ops``, ``tensorflow.python.ops.init_ops``, ...) are
   small modules built here from the compat names (:data:`INTERNAL`).
3. ``tensorflow.X.Y`` is ``scopejax.compat.v1.X.Y`` when that module exists, looked up
   by name when first imported (so modules added later, ``contrib.rnn`` and
   ``contrib.training`` for instance, resolve without a change here). A package
   (``tensorflow.contrib``) is a thin module that forwards to the compat package, so
   that ``from tensorflow.contrib import missing`` is looked up here too.
4. Anything else is an ``ImportError`` that names the TF module path and says what to
   use instead.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

from scopejax._src.compat import tensor
from scopejax._src.core.errors import ScopejaxError

_COMPAT = "scopejax.compat.v1"

# TF-internal module paths that TF1 model files import, built from compat names:
# {tf module path: {attribute: "module.path:name" or "module.path" (a whole module)}}.
INTERNAL: dict[str, dict[str, str]] = {
    "tensorflow.compat": {"v1": _COMPAT},
    "tensorflow.python": {},
    "tensorflow.python.framework": {},
    "tensorflow.python.framework.ops": {
        name: f"{_COMPAT}:{name}"
        for name in (
            "GraphKeys",
            "add_to_collection",
            "add_to_collections",
            "get_collection",
            "get_collection_ref",
            "get_all_collection_keys",
            "name_scope",
            "convert_to_tensor",
            "get_default_graph",
            "reset_default_graph",
            "device",
        )
    }
    | {"Tensor": "jax:Array"},
    "tensorflow.python.framework.dtypes": {
        name: f"{_COMPAT}:{name}"
        for name in (
            "as_dtype",
            "bfloat16",
            "bool",
            "complex64",
            "complex128",
            "float16",
            "float32",
            "float64",
            "half",
            "double",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        )
    },
    "tensorflow.python.framework.tensor_shape": {
        name: f"{_COMPAT}:{name}" for name in ("TensorShape", "Dimension", "dimension_value")
    },
    "tensorflow.python.framework.constant_op": {"constant": f"{_COMPAT}:constant"},
    "tensorflow.python.ops": {},
    "tensorflow.python.ops.init_ops": {
        **{
            name: f"{_COMPAT}:{name}"
            for name in (
                "constant_initializer",
                "glorot_normal_initializer",
                "glorot_uniform_initializer",
                "ones_initializer",
                "orthogonal_initializer",
                "random_normal_initializer",
                "random_uniform_initializer",
                "truncated_normal_initializer",
                "variance_scaling_initializer",
                "zeros_initializer",
            )
        },
        "Constant": f"{_COMPAT}:constant_initializer",
        "Zeros": f"{_COMPAT}:zeros_initializer",
        "Ones": f"{_COMPAT}:ones_initializer",
        "RandomNormal": f"{_COMPAT}:random_normal_initializer",
        "RandomUniform": f"{_COMPAT}:random_uniform_initializer",
        "TruncatedNormal": f"{_COMPAT}:truncated_normal_initializer",
        "GlorotUniform": f"{_COMPAT}:glorot_uniform_initializer",
        "GlorotNormal": f"{_COMPAT}:glorot_normal_initializer",
        "VarianceScaling": f"{_COMPAT}:variance_scaling_initializer",
        "Orthogonal": f"{_COMPAT}:orthogonal_initializer",
    },
    # TF's op modules are slices of the tf namespace: the whole compat module serves
    "tensorflow.python.ops.array_ops": {"*": _COMPAT},
    "tensorflow.python.ops.math_ops": {"*": _COMPAT},
    "tensorflow.python.ops.variable_scope": {"*": _COMPAT},
    "tensorflow.python.ops.variables": {"*": _COMPAT},
    "tensorflow.python.ops.control_flow_ops": {"*": _COMPAT},
    "tensorflow.python.ops.clip_ops": {"*": _COMPAT},
    "tensorflow.python.ops.nn": {"*": f"{_COMPAT}.nn"},
    "tensorflow.python.ops.nn_ops": {"*": f"{_COMPAT}.nn"},
    "tensorflow.python.ops.rnn": {"*": f"{_COMPAT}.nn"},
    "tensorflow.python.ops.rnn_cell": {"*": f"{_COMPAT}.contrib.rnn"},
    "tensorflow.python.ops.rnn_cell_impl": {"*": f"{_COMPAT}.contrib.rnn"},
    "tensorflow.python.training": {},
    "tensorflow.python.training.training": {"*": f"{_COMPAT}.train"},
}

# what to write instead, for TF module paths that are not provided
HINTS: dict[str, str] = {
    "tensorflow.compat.v2": "scopejax.compat.v1 is TF1's API only; write TF2 code as JAX",
    "tensorflow.contrib.slim": (
        "tf_slim's arg_scope has no counterpart; use tf.contrib.layers (fully_connected, "
        "conv2d, batch_norm, layer_norm) with explicit arguments"
    ),
    "tensorflow.keras": "use tf.layers (scopejax.layers) or sj.Module",
    "tensorflow.examples": "load the data with NumPy outside the model function",
    "tensorflow.python.client": "there is no Session: run the model with net.apply",
    "tensorflow.python.debug": "use jax.debug.print / jax.debug.breakpoint",
    "tensorflow.python.tools": "inspect a checkpoint with sj.checkpoint",
}


def _hint(name: str) -> str:
    for prefix, hint in HINTS.items():
        if name == prefix or name.startswith(prefix + "."):
            return hint + "."
    return "port this import by hand (the README's TF1 compatibility section lists what exists)."


class TensorFlowModuleNotProvided(ScopejaxError, ImportError):
    """A ``tensorflow.*`` module path that ``scopejax.compat.v1`` does not provide."""


def _not_provided(name: str) -> TensorFlowModuleNotProvided:
    return TensorFlowModuleNotProvided(
        f"No module named {name!r}: scopejax.compat.v1 (installed as tensorflow by "
        f"install_as_tensorflow()) does not provide it; {_hint(name)}",
        name=name,
    )


def _resolve(value: str) -> Any:
    module, _, attr = value.partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod


class _State:
    finder: _Finder | None = None
    internal: dict[str, types.ModuleType] = {}
    # attributes the import system set on real scopejax modules: (module, attribute)
    added: list[tuple[types.ModuleType, str]] = []


def _internal_module(name: str) -> types.ModuleType:
    mod = _State.internal.get(name)
    if mod is not None:
        return mod
    spec = INTERNAL[name]
    if "*" in spec:
        mod = _resolve(spec["*"])
        _State.internal[name] = mod
        return mod
    mod = types.ModuleType(name, f"TF1's {name}, provided by scopejax.compat.v1.")
    mod.__path__ = []  # a package: the import system looks its children up through us
    for attr, value in spec.items():
        setattr(mod, attr, _resolve(value))
    _State.internal[name] = mod
    tensor.ALIAS_MODULES.add(id(mod))
    return mod


def _target(name: str) -> types.ModuleType:
    """The module that serves TF module path ``name`` (rules 1-4 of the module docstring)."""
    if name == "tensorflow.compat.v1" or name.startswith("tensorflow.compat.v1."):
        return _target("tensorflow" + name[len("tensorflow.compat.v1") :])
    if name in INTERNAL:
        return _internal_module(name)
    if name == "tensorflow":
        return importlib.import_module(_COMPAT)
    real = _COMPAT + name[len("tensorflow") :]
    try:
        module = importlib.import_module(real)
    except ModuleNotFoundError as e:
        if e.name is not None and (real == e.name or real.startswith(e.name + ".")):
            raise _not_provided(name) from None
        raise
    if not hasattr(module, "__path__"):
        return module
    return _package_proxy(name, module)


def _package_proxy(name: str, package: types.ModuleType) -> types.ModuleType:
    """``tensorflow.X`` for a compat package: its names, and for a missing child
    (``from tensorflow.contrib import rnn``) the import of ``tensorflow.X.child``, which
    names the TF path when it is not provided."""
    proxy = types.ModuleType(name, package.__doc__)
    proxy.__path__ = []

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        try:
            return getattr(package, attr)
        except AttributeError:
            return importlib.import_module(f"{name}.{attr}")

    proxy.__getattr__ = __getattr__  # type: ignore[method-assign]
    _State.internal[name] = proxy
    tensor.ALIAS_MODULES.add(id(proxy))
    return proxy


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = getattr(module, "__spec__", None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__.startswith("scopejax."):
            module.__spec__ = self.spec  # the import system set the alias's spec: undo it


class _Finder(importlib.abc.MetaPathFinder):
    """Resolves ``tensorflow`` and ``tensorflow.*`` to the compat modules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow" and not fullname.startswith("tensorflow."):
            return None
        module = _target(fullname)
        parent, _, child = fullname.rpartition(".")
        holder = sys.modules.get(parent) if parent else None
        if (
            holder is not None
            and holder.__name__.startswith("scopejax.")
            and (child not in vars(holder))
        ):
            _State.added.append((holder, child))  # the import system will set it: undo later
        is_pkg = hasattr(module, "__path__")
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module), is_package=is_pkg)


def _no_op(name: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> None:
        return None

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""``tf.{name}``: nothing to do in JAX (accepted so TF1 files run as written).

    Args:
      *args: ignored.
      **kwargs: ignored.
    """
    return fn


disable_eager_execution = _no_op("disable_eager_execution")
disable_v2_behavior = _no_op("disable_v2_behavior")
disable_v2_tensorshape = _no_op("disable_v2_tensorshape")
disable_resource_variables = _no_op("disable_resource_variables")


class TensorFlowAlias:
    """The installed alias; a context manager that uninstalls it on exit (when it
    installed it)."""

    def __init__(self, owner: bool) -> None:
        self.owner = owner

    def __enter__(self) -> TensorFlowAlias:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.owner:
            uninstall_as_tensorflow()

    def uninstall(self) -> None:
        """Same as :func:`uninstall_as_tensorflow`."""
        uninstall_as_tensorflow()


def install_as_tensorflow() -> TensorFlowAlias:
    """Makes ``scopejax.compat.v1`` importable as ``tensorflow``, for untouched TF1 files.

    ``import tensorflow as tf`` then gives ``scopejax.compat.v1`` itself;
    ``tensorflow.compat.v1``, ``tensorflow.nn``, ``tensorflow.contrib.layers``, ... its
    modules; ``tensorflow.python.framework.ops``, ``tensorflow.python.ops.init_ops`` and a
    few other TF-internal paths small modules of compat names; any other ``tensorflow.*``
    path an ``ImportError`` naming it and what to use instead. Idempotent.

    Returns:
      A :class:`TensorFlowAlias`: use it as a context manager (``with
      tf.install_as_tensorflow(): import model``) to uninstall on exit.

    Raises:
      ScopejaxError: the real TensorFlow is already imported (``sys.modules``).

    >>> import scopejax.compat.v1 as sjtf
    >>> with sjtf.install_as_tensorflow():
    ...     import tensorflow as tf
    ...     from tensorflow.python.framework import ops
    >>> tf is sjtf, ops.GraphKeys is sjtf.GraphKeys
    (True, True)
    """
    compat = importlib.import_module(_COMPAT)
    current = sys.modules.get("tensorflow")
    if _State.finder is not None and current is compat:
        return TensorFlowAlias(owner=False)
    if current is not None and current is not compat:
        raise ScopejaxError(
            "install_as_tensorflow(): the real TensorFlow is already imported "
            f"({getattr(current, '__file__', current)!r}); aliasing scopejax.compat.v1 as "
            "tensorflow now would mix the two. Call it before anything imports tensorflow, "
            "or run the TF1 code in a process without TensorFlow."
        )
    _State.finder = _Finder()
    sys.meta_path.insert(0, _State.finder)
    tensor._GLOBALS_CACHE.clear()
    importlib.import_module("tensorflow.compat")  # so that tf.compat.v1 is an attribute
    return TensorFlowAlias(owner=True)


def uninstall_as_tensorflow() -> None:
    """Undoes :func:`install_as_tensorflow`: ``tensorflow`` is no longer importable.

    Modules that already imported it keep what they bound.
    """
    if _State.finder is not None and _State.finder in sys.meta_path:
        sys.meta_path.remove(_State.finder)
    _State.finder = None
    for name in [n for n in sys.modules if n == "tensorflow" or n.startswith("tensorflow.")]:
        del sys.modules[name]
    for holder, attr in _State.added:
        if attr in vars(holder):
            delattr(holder, attr)
    _State.added.clear()
    for mod in _State.internal.values():
        tensor.ALIAS_MODULES.discard(id(mod))
    _State.internal.clear()
    tensor._GLOBALS_CACHE.clear()


def installed_as_tensorflow() -> bool:
    """Whether :func:`install_as_tensorflow` is in effect."""
    return _State.finder is not None
