"""A traced function's op graph as a TensorBoard ``GraphDef``, grouped by name scope.

``graph_def(net.apply, store, x)`` traces with ``jax.make_jaxpr`` and turns each equation
into a ``NodeDef`` named ``<name scope>/<primitive>`` (``model/l1/dot_general``; a second one
in the same scope is ``dot_general_1``), so TensorBoard's graph view folds each scope into a
box as it did for TF1. Variables of a Store argument are ``VariableV2`` nodes under their full
names (``l1/kernel``) with ``shape``/``dtype`` attributes; other array arguments are
``Placeholder`` nodes (``inputs/1``). A call (``jit``, ``custom_jvp``, ``remat``) becomes a box
holding its ops once; a loop or branch (``scan``, ``while``, ``cond``) becomes a box holding
its body (or branches) once, and one node for the loop itself that yields its results.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.extend
import numpy as np

from scopejax._src.core import jaxcompat
from scopejax._src.core.store import Store
from scopejax._src.summary._tb import need
from scopejax._src.summary.writer import SummaryWriter

#: numpy dtype name -> TensorFlow's DataType enum name.
_DTYPES = {
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "float16": "DT_HALF",
    "bfloat16": "DT_BFLOAT16",
    "int8": "DT_INT8",
    "int16": "DT_INT16",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "uint8": "DT_UINT8",
    "uint16": "DT_UINT16",
    "uint32": "DT_UINT32",
    "uint64": "DT_UINT64",
    "bool": "DT_BOOL",
    "complex64": "DT_COMPLEX64",
    "complex128": "DT_COMPLEX128",
}
#: Primitives whose sub-programs run repeatedly or conditionally: a box plus a loop node.
_CONTROL = ("scan", "while", "cond")
#: Calls that get no box (the function they wrap is a named jit, which gets one).
_TRANSPARENT = ("custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr")
_BAD = re.compile(r"[^A-Za-z0-9_.\-/]")


def _clean(path: str) -> str:
    """A name stack as a TF node-name path: ``jvp(model)/l1`` -> ``jvp/model/l1``."""
    path = re.sub(r"(\w+)\(", r"\1/", path).replace(")", "")
    parts = [_BAD.sub("_", p).strip("_") or "_" for p in path.split("/") if p]
    return "/".join(p if p[0].isalnum() or p[0] == "." else "x" + p for p in parts)


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _subjaxprs(params: dict[str, Any]) -> list[tuple[str, Any]]:
    """``[(label, jaxpr)]``: the sub-programs in an equation's parameters, open jaxprs."""
    out = []
    for key, value in params.items():
        items = value if isinstance(value, tuple | list) else (value,)
        found = [
            v for v in items if isinstance(v, jax.extend.core.ClosedJaxpr | jax.extend.core.Jaxpr)
        ]
        for i, sub in enumerate(found):
            jaxpr = sub.jaxpr if isinstance(sub, jax.extend.core.ClosedJaxpr) else sub
            label = {"jaxpr": "body"}.get(key, key.removesuffix("_jaxpr"))
            if key == "branches":
                label = f"branch_{i}"
            elif len(found) > 1:
                label = f"{label}_{i}"
            out.append((label, jaxpr))
    return out


class _Graph:
    """Nodes under unique names; ``env`` maps each jaxpr variable to its tensor (``node:i``)."""

    def __init__(self) -> None:
        self.pb = need("tensorboard.compat.proto.graph_pb2")
        self.attr_pb = need("tensorboard.compat.proto.attr_value_pb2")
        self.shape_pb = need("tensorboard.compat.proto.tensor_shape_pb2")
        self.types_pb = need("tensorboard.compat.proto.types_pb2")
        self.graph = self.pb.GraphDef()
        self.taken: set[str] = set()
        self.env: dict[Any, str] = {}

    def unique(self, name: str) -> str:
        base, n = name, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        parts = name.split("/")  # a box's path is taken too: no node may be named as a box
        self.taken.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return name

    def dtype(self, dtype: Any) -> int:
        try:
            name = _DTYPES.get(np.dtype(dtype).name, "DT_INVALID")
        except TypeError:  # a PRNG key type
            name = "DT_INVALID"
        return int(self.types_pb.DataType.Value(name))

    def shape(self, shape: Sequence[int]) -> Any:
        return self.shape_pb.TensorShapeProto(
            dim=[self.shape_pb.TensorShapeProto.Dim(size=int(d)) for d in shape]
        )

    def add(
        self, name: str, op: str, inputs: Sequence[str], outs: Sequence[Any], **attrs: Any
    ) -> str:
        """A node named ``name`` (made unique); ``outs`` are avals (shape, dtype)."""
        name = self.unique(name)
        node = self.graph.node.add(name=name, op=op, input=list(inputs))
        av = self.attr_pb.AttrValue
        shapes = [self.shape(getattr(a, "shape", ())) for a in outs]
        node.attr["_output_shapes"].CopyFrom(av(list=av.ListValue(shape=shapes)))
        if outs:
            node.attr["T"].CopyFrom(av(type=self.dtype(getattr(outs[0], "dtype", None))))
        for key, value in attrs.items():
            if isinstance(value, bool):
                node.attr[key].CopyFrom(av(b=value))
            elif isinstance(value, str):
                node.attr[key].CopyFrom(av(s=value.encode()))
            elif isinstance(value, list | tuple):
                node.attr[key].CopyFrom(av(list=av.ListValue(s=[str(v).encode() for v in value])))
            else:
                node.attr[key].CopyFrom(value)
        return name

    def ref(self, var: Any, scope: str) -> str | None:
        """The tensor feeding ``var``: a known one, a new Const for a literal, None for none."""
        if isinstance(var, jax.extend.core.Literal):
            return None
        return self.env.get(var)

    def bind(self, outvars: Sequence[Any], node: str) -> None:
        for i, v in enumerate(outvars):
            if not isinstance(v, jax.extend.core.DropVar):
                self.env[v] = node if i == 0 else f"{node}:{i}"

    def walk(self, jaxpr: Any, prefix: str) -> None:
        for eqn in jaxpr.eqns:
            scope = _join(prefix, _clean(jaxcompat.eqn_name_stack(eqn)))
            prim = eqn.primitive.name
            inputs = [r for r in (self.ref(v, scope) for v in eqn.invars) if r is not None]
            outs = [v.aval for v in eqn.outvars]
            subs = _subjaxprs(eqn.params)
            if not subs:
                params = {
                    k: str(v)[:200]
                    for k, v in eqn.params.items()
                    if isinstance(v, int | float | str | bool | tuple) and k != "sharding"
                }
                attrs = {"jax_params": repr(params)} if params else {}
                self.bind(eqn.outvars, self.add(_join(scope, prim), prim, inputs, outs, **attrs))
            elif prim not in _CONTROL and len(subs) == 1 and self._call(eqn, subs[0][1], scope):
                continue
            else:
                self._control(eqn, subs, scope, inputs, outs)

    def _call(self, eqn: Any, sub: Any, scope: str) -> bool:
        """Inline a call (jit, custom_jvp, remat) as a box of its ops; False if it is not 1:1."""
        if len(sub.invars) != len(eqn.invars) or len(sub.outvars) != len(eqn.outvars):
            return False
        prim = eqn.primitive.name
        label = _clean(str(eqn.params.get("name", "" if prim in _TRANSPARENT else prim)))
        if not label or scope.endswith("/" + label) or scope == label:
            box = scope  # no box of its own (custom_jvp's call holds a named jit)
        else:
            box = self.unique(_join(scope, label))
        for inner, outer in zip(sub.invars, eqn.invars, strict=True):
            ref = self.ref(outer, scope)
            if ref is not None:
                self.env[inner] = ref
        self.walk(sub, box)
        for inner, outer in zip(sub.outvars, eqn.outvars, strict=True):
            if isinstance(outer, jax.extend.core.DropVar):
                continue
            ref = self.ref(inner, box)
            self.env[outer] = (
                ref if ref is not None else self.add(_join(box, "Const"), "Const", [], [outer.aval])
            )
        return True

    def _control(
        self, eqn: Any, subs: list[tuple[str, Any]], scope: str, inputs: list[str], outs: list
    ) -> None:
        """A loop or branch: a box with each body once, and a node yielding the results."""
        prim = eqn.primitive.name
        box = self.unique(_join(scope, prim))
        results: list[str] = []
        for label, sub in subs:
            for inner, outer in zip(
                sub.invars, self._operands(eqn, label, len(sub.invars)), strict=True
            ):
                ref = None if outer is None else self.ref(outer, scope)
                if ref is not None:
                    self.env[inner] = ref
            self.walk(sub, _join(box, label))
            results += [r for r in (self.ref(v, box) for v in sub.outvars) if r is not None]
        pred = inputs[:1] if prim == "cond" else []
        extra = {"length": str(eqn.params["length"])} if "length" in eqn.params else {}
        node = self.add(_join(box, prim), prim, pred + list(dict.fromkeys(results)), outs, **extra)
        self.bind(eqn.outvars, node)

    @staticmethod
    def _operands(eqn: Any, label: str, n: int) -> Iterator[Any]:
        """The outer operands a sub-program's inputs stand for (None where unknown)."""
        outer = list(eqn.invars)
        if eqn.primitive.name == "while":
            cn, bn = eqn.params.get("cond_nconsts", 0), eqn.params.get("body_nconsts", 0)
            carry = outer[cn + bn :]
            outer = outer[:cn] + carry if label == "cond" else outer[cn : cn + bn] + carry
        elif eqn.primitive.name == "cond":
            outer = outer[1:]
        if len(outer) >= n:
            yield from outer[len(outer) - n :]
        else:
            yield from [None] * (n - len(outer)) + outer


def _key(entry: Any) -> str:
    """One step of a pytree path as a name: ``1``, ``x``, ``store``."""
    for attr in ("idx", "key", "name"):
        if hasattr(entry, attr):
            return _clean(str(getattr(entry, attr)))
    return _clean(str(entry))


def _leaves(args: tuple, kwargs: dict) -> tuple[list[tuple[str, Any, Any]], Callable]:
    """``([(name, value, info or None)] of the traced leaves, rebuild)`` where ``rebuild(*traced)``
    gives ``(args, kwargs)`` back with the static leaves (Python scalars, strings) in place."""
    tops, treedef = jax.tree_util.tree_flatten(
        (args, kwargs), is_leaf=lambda x: isinstance(x, Store)
    )
    paths = [
        p
        for p, _ in jax.tree_util.tree_flatten_with_path(
            (args, kwargs), is_leaf=lambda x: isinstance(x, Store)
        )[0]
    ]
    named: list[tuple[str, Any, Any]] = []
    pieces: list[Any] = []  # per top leaf: ("static", value) or ("store", store) or ("array", _)
    for path, top in zip(paths, tops, strict=True):
        if isinstance(top, Store):
            infos = list(top.infos.values())
            values = jax.tree_util.tree_leaves(top)
            if len(infos) != len(values):  # pragma: no cover - a Store's leaves are its values
                raise ValueError("sj.summary: a Store's leaves do not match its variables.")
            named += [(i.name, v, i) for i, v in zip(infos, values, strict=True)]
            pieces.append(("store", top))
        elif isinstance(top, jax.Array | np.ndarray | np.generic | jax.ShapeDtypeStruct):
            named.append((_join("inputs", *map(_key, path[1:])), top, None))
            pieces.append(("array", None))
        else:
            pieces.append(("static", top))

    def rebuild(*traced: Any) -> tuple[tuple, dict]:
        it = iter(traced)
        tops_back = []
        for kind, value in pieces:
            if kind == "static":
                tops_back.append(value)
            elif kind == "array":
                tops_back.append(next(it))
            else:
                vals = [next(it) for _ in value.infos]
                tops_back.append(
                    jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(value), vals)
                )
        back: tuple[tuple, dict] = jax.tree_util.tree_unflatten(treedef, tops_back)
        return back

    return named, rebuild


def graph_def(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The op graph of ``fn(*args, **kwargs)`` as a TensorBoard ``GraphDef``, by name scope.

    Nothing runs: ``fn`` is traced with ``jax.make_jaxpr``. Array arguments (and
    ``jax.ShapeDtypeStruct``) are traced; Python scalars and strings stay static.

    Args:
      fn: the function, typically ``net.apply``.
      *args: its positional arguments, typically ``store, x``.
      **kwargs: its keyword arguments.

    Returns:
      A ``tensorboard.compat.proto.graph_pb2.GraphDef``.

    Raises:
      ImportError: tensorboard is not installed.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> net = sj.transform(lambda x: sj.layers.dense(x, 2, name="l1"))
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 3]))
    >>> g = sj.summary.graph_def(net.apply, store, jnp.ones([1, 3]))
    >>> [(n.name, n.op) for n in g.node][:3]
    [('l1/bias', 'VariableV2'), ('l1/kernel', 'VariableV2'), ('inputs/1', 'Placeholder')]
    """
    named, rebuild = _leaves(args, kwargs)

    def traced(*leaves: Any) -> Any:
        a, k = rebuild(*leaves)
        return fn(*a, **k)

    closed = jax.make_jaxpr(traced)(*[v for _, v, _ in named])
    g = _Graph()
    for var, (name, _, info) in zip(closed.jaxpr.invars, named, strict=True):
        aval = var.aval
        if info is not None:
            av = g.attr_pb.AttrValue
            node = g.add(
                name,
                "VariableV2",
                [],
                [aval],
                shape=av(shape=g.shape(aval.shape)),
                dtype=av(type=g.dtype(aval.dtype)),
                trainable=bool(info.trainable),
                collections=list(info.collections),
            )
        else:
            node = g.add(name, "Placeholder", [], [aval])
        g.env[var] = node
    for var in closed.jaxpr.constvars:
        g.env[var] = g.add("Const", "Const", [], [var.aval])
    g.walk(closed.jaxpr, "")
    return g.graph


def write_graph(
    logdir: str | os.PathLike[str], fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> str:
    """Trace ``fn(*args, **kwargs)`` and write its graph for TensorBoard's Graphs tab.

    Ops are named by their name-scope path (``model/l1/dot_general``), so each
    ``name_scope``/``variable_scope`` is a box; variables are ``VariableV2`` nodes under
    their full names with ``shape`` and ``dtype``; a ``scan``, ``cond`` or ``layer_stack``
    is one box. Run ``tensorboard --logdir LOGDIR`` and open Graphs.

    Args:
      logdir: the run's folder (created if missing); a new event file goes there.
      fn: the function to trace, typically ``net.apply``.
      *args: its arguments, typically ``store, x`` (arrays are traced, not run).
      **kwargs: its keyword arguments.

    Returns:
      The event file's path.

    Raises:
      ImportError: tensorboard is not installed (``pip install 'scopejax[summary]'``).

    >>> import jax, jax.numpy as jnp, scopejax as sj, tempfile
    >>> net = sj.transform(lambda x: sj.layers.dense(x, 2, name="l1"))
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 3]))
    >>> path = sj.summary.write_graph(tempfile.mkdtemp(), net.apply, store, jnp.ones([1, 3]))
    >>> "tfevents" in path
    True
    """
    graph = graph_def(fn, *args, **kwargs)
    with SummaryWriter(logdir) as writer:
        writer.graph(graph)
    return writer.path
