"""A traced function's scope tree for a notebook: ops and parameters per scope, no server.

``scope_tree(net.apply, store, x)`` traces like ``graph_def`` (nothing runs, no tensorboard
needed) and groups the ops by their name-scope path and the variables by their variable-scope
path. A ``name_scope`` shows up as a scope with ops and no parameters (it names ops only); a
``variable_scope`` as one with both. Jupyter shows the result as an SVG (``_repr_svg_``) or as
collapsible HTML ``<details>`` (``_repr_html_``); ``str()`` is a plain-text tree.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from scopejax._src.summary.graph import _Graph, _leaves

#: Node ops that are inputs, not computations.
_NOT_OPS = ("Placeholder", "VariableV2")


class _Names(_Graph):
    """``_Graph``'s walk without protos: records ``(name, op)`` per node."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.env: dict[Any, str] = {}
        self.nodes: list[tuple[str, str]] = []

    def add(
        self, name: str, op: str, inputs: Sequence[str], outs: Sequence[Any], **attrs: Any
    ) -> str:
        name = self.unique(name)
        self.nodes.append((name, op))
        return name


def _bytes(n: int) -> str:
    """``48 B``, ``1.5 kB`` (decimal units, as everywhere in scopejax)."""
    if n < 1000:
        return f"{n} B"
    x = float(n)
    for unit in ("kB", "MB", "GB"):
        x /= 1000
        if x < 1000 or unit == "GB":
            break
    return f"{x:.1f} {unit}"


@dataclass
class Scope:
    """One scope: its own ops and variables, and its child scopes.

    ``ops``/``params``/``nbytes`` count this scope alone; ``total_*`` include its children.
    ``variables`` is ``[(short name, shape, dtype name)]``.
    """

    name: str
    path: str
    ops: int = 0
    params: int = 0
    nbytes: int = 0
    variables: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)
    children: dict[str, Scope] = field(default_factory=dict)

    def child(self, name: str) -> Scope:
        if name not in self.children:
            self.children[name] = Scope(name, f"{self.path}/{name}" if self.path else name)
        return self.children[name]

    def walk(self) -> Iterator[tuple[int, Scope]]:
        """``(depth, scope)`` for this scope's children and theirs, depth first."""
        for c in self.children.values():
            yield 0, c
            yield from ((d + 1, s) for d, s in c.walk())

    def find(self, path: str) -> Scope:
        """The scope at ``path`` (``"model/l1"``); KeyError if there is none."""
        node = self
        for part in path.split("/"):
            if part not in node.children:
                raise KeyError(f"no scope {path!r} in the tree (at {part!r})")
            node = node.children[part]
        return node

    @property
    def total_ops(self) -> int:
        return self.ops + sum(c.total_ops for c in self.children.values())

    @property
    def total_params(self) -> int:
        return self.params + sum(c.total_params for c in self.children.values())

    @property
    def total_nbytes(self) -> int:
        return self.nbytes + sum(c.total_nbytes for c in self.children.values())

    def label(self) -> str:
        """``l1  ops 3  params 12 (48 B)``, tagged ``[ops only]`` or ``[variables only]``."""
        kind = ""
        if self.total_ops and not self.total_params:
            kind = "  [ops only]"
        elif self.total_params and not self.total_ops:
            kind = "  [variables only]"
        return (
            f"{self.name}  ops {self.total_ops}  params {self.total_params} "
            f"({_bytes(self.total_nbytes)}){kind}"
        )


class ScopeTree:
    """The scope tree of a traced function; ``root`` is the unnamed top :class:`Scope`."""

    def __init__(self, root: Scope) -> None:
        self.root = root

    def __getitem__(self, path: str) -> Scope:
        return self.root.find(path)

    def _vars(self, scope: Scope) -> list[str]:
        return [f"{n} {d}{list(s)}" for n, s, d in scope.variables]

    def __str__(self) -> str:
        r = self.root
        lines = [
            f"scope tree: ops {r.total_ops}  params {r.total_params} ({_bytes(r.total_nbytes)})"
        ]
        lines += self._text(r, "")
        return "\n".join(lines)

    def _text(self, scope: Scope, indent: str) -> list[str]:
        out = []
        items: list[Scope | str] = [*self._vars(scope), *scope.children.values()]
        for i, item in enumerate(items):
            last = i == len(items) - 1
            branch, more = ("└── ", "    ") if last else ("├── ", "│   ")
            if isinstance(item, str):
                out.append(f"{indent}{branch}· {item}")
            else:
                out.append(f"{indent}{branch}{item.label()}")
                out += self._text(item, indent + more)
        return out

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        def block(scope: Scope) -> str:
            inner = "".join(
                f"<div style='margin-left:1.2em'>· {html.escape(v)}</div>"
                for v in self._vars(scope)
            )
            inner += "".join(block(c) for c in scope.children.values())
            return (
                f"<details open='' style='margin-left:1.2em'><summary>"
                f"{html.escape(scope.label())}</summary>{inner}</details>"
            )

        body = "".join(block(c) for c in self.root.children.values())
        head = html.escape(str(self).split("\n", 1)[0])
        return f"<div style='font-family:monospace'><b>{head}</b>{body}</div>"

    def _repr_svg_(self) -> str:
        lines = str(self).split("\n")
        step, width = 18, 8 + 7.2 * max(len(line) for line in lines)
        rows = []
        for i, line in enumerate(lines):
            fill = "#555" if "· " in line else "#000"
            rows.append(
                f'<text x="8" y="{(i + 1) * step}" fill="{fill}" '
                f'xml:space="preserve">{html.escape(line)}</text>'
            )
        height = (len(lines) + 1) * step
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
            f'font-family="monospace" font-size="12">{"".join(rows)}</svg>'
        )


def scope_tree(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ScopeTree:
    """The scope tree of ``fn(*args, **kwargs)``: ops and parameters per scope.

    Nothing runs: ``fn`` is traced with ``jax.make_jaxpr`` as by ``graph_def`` (tensorboard
    is not needed). Ops count at their name-scope path, variables (of Store arguments) at
    their variable-scope path, so a ``name_scope`` appears as a scope holding ops only.
    In Jupyter the result displays as an SVG; ``str()`` is a text tree.

    Args:
      fn: the function, typically ``net.apply``.
      *args: its positional arguments, typically ``store, x``.
      **kwargs: its keyword arguments.

    Returns:
      A ``ScopeTree``; ``tree["model/l1"]`` is a ``Scope`` with ``total_ops``,
      ``total_params`` and ``total_nbytes``.

    Raises:
      KeyError: (on ``tree[path]``) no scope has that path.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> net = sj.transform(lambda x: sj.layers.dense(x, 2, name="l1"))
    >>> store = net.init(jax.random.key(0), jnp.ones([1, 3]))
    >>> tree = sj.summary.scope_tree(net.apply, store, jnp.ones([1, 3]))
    >>> tree["l1"].total_params, tree["l1"].total_nbytes
    (8, 32)
    """
    named, rebuild = _leaves(args, kwargs)

    def traced(*leaves: Any) -> Any:
        a, k = rebuild(*leaves)
        return fn(*a, **k)

    closed = jax.make_jaxpr(traced)(*[v for _, v, _ in named])
    g = _Names()
    for var, (name, _, info) in zip(closed.jaxpr.invars, named, strict=True):
        g.env[var] = g.add(name, "VariableV2" if info is not None else "Placeholder", [], [])
    for var in closed.jaxpr.constvars:
        g.env[var] = g.add("Const", "Const", [], [])
    g.walk(closed.jaxpr, "")

    root = Scope("", "")
    for name, op in g.nodes:
        if op not in _NOT_OPS:
            *parts, _ = name.split("/")
            node = root
            for p in parts:
                node = node.child(p)
            node.ops += 1
    for var, (name, _, info) in zip(closed.jaxpr.invars, named, strict=True):
        if info is None:
            continue
        *parts, short = name.split("/")
        node = root
        for p in parts:
            node = node.child(p)
        aval = var.aval
        size = int(np.prod(aval.shape, dtype=np.int64))
        try:
            itemsize = np.dtype(aval.dtype).itemsize
        except TypeError:  # a PRNG key type
            itemsize = 0
        node.params += size
        node.nbytes += size * itemsize
        node.variables.append((short, tuple(int(d) for d in aval.shape), str(aval.dtype)))
    return ScopeTree(root)
