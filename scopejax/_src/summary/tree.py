"""A traced function's scope tree for a notebook: ops and parameters per scope, no server.

``scope_tree(net.apply, store, x)`` traces like ``graph_def`` (nothing runs, no tensorboard
needed) and groups the ops by their name-scope path and the variables by their variable-scope
path. A ``name_scope`` shows up as a scope with ops and no parameters (it names ops only); a
``variable_scope`` as one with both. Jupyter shows the result as collapsible HTML
``<details>`` with an inline SVG bar of each scope's share of the ops and of the bytes
(``html()``, no JavaScript); ``svg()`` is the whole tree as one SVG image; ``str()`` is a
plain-text tree.
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
#: Width in pixels of a full share bar, and the bars' colours.
_BAR = 80
_OPS_COLOR = "#4c78a8"
_BYTES_COLOR = "#f58518"


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
            f"{self.name}  ops {self.total_ops:,}  params {self.total_params:,} "
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
            f"scope tree: ops {r.total_ops:,}  params {r.total_params:,} ({_bytes(r.total_nbytes)})"
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

    def _bars(self, scope: Scope, x: float, y: float) -> str:
        """Two bars at ``(x, y)``: this scope's share of all ops and of all parameter bytes."""
        root = self.root
        out = []
        for i, (part, whole, color) in enumerate(
            (
                (scope.total_ops, root.total_ops, _OPS_COLOR),
                (scope.total_nbytes, root.total_nbytes, _BYTES_COLOR),
            )
        ):
            share = part / whole if whole else 0.0
            left = x + i * (_BAR + 8)
            out.append(
                f'<rect x="{left:.0f}" y="{y - 9:.0f}" width="{_BAR}" height="9" fill="#eee"/>'
            )
            if share:
                out.append(
                    f'<rect x="{left:.0f}" y="{y - 9:.0f}" width="{max(share * _BAR, 1):.1f}" '
                    f'height="9" fill="{color}"/>'
                )
        return "".join(out)

    def _legend(self, x: float, y: float) -> str:
        """Column heads over the bars: ``ops`` and ``bytes``, in the bars' colours."""
        return "".join(
            f'<text x="{x + i * (_BAR + 8):.0f}" y="{y:.0f}" fill="{color}">{label}</text>'
            for i, (label, color) in enumerate((("ops", _OPS_COLOR), ("bytes", _BYTES_COLOR)))
        )

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_svg_(self) -> str:
        return self.svg()

    def html(self) -> str:
        """The tree as HTML that folds without JavaScript: what Jupyter shows.

        Returns:
          Nested ``<details>`` blocks, one per scope (the first two levels open); each
          scope's line carries an inline SVG of its share of all ops and of all parameter
          bytes, and its variables are listed inside it.
        """
        width = 2 * _BAR + 8

        def bars(scope: Scope) -> str:
            return (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="10" '
                f'style="margin-left:1em;vertical-align:middle">{self._bars(scope, 0, 10)}</svg>'
            )

        def block(scope: Scope, depth: int) -> str:
            inner = "".join(
                f"<div style='margin-left:1.2em'>· {html.escape(v)}</div>"
                for v in self._vars(scope)
            )
            inner += "".join(block(c, depth + 1) for c in scope.children.values())
            opened = " open=''" if depth < 2 else ""
            return (
                f"<details{opened} style='margin-left:1.2em'><summary>"
                f"{html.escape(scope.label())}{bars(scope)}</summary>{inner}</details>"
            )

        body = "".join(block(c, 0) for c in self.root.children.values())
        head = html.escape(str(self).split("\n", 1)[0])
        legend = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="12" '
            f'style="margin-left:1em;vertical-align:middle" font-size="11">'
            f"{self._legend(0, 10)}</svg>"
        )
        return f"<div style='font-family:monospace'><b>{head}</b>{legend}{body}</div>"

    def _rows(self) -> list[tuple[str, Scope | None]]:
        """``str(self)``'s lines, each with the scope it describes (None for others)."""
        lines = str(self).split("\n")
        scopes: list[Scope | None] = [self.root]

        def visit(scope: Scope) -> None:
            scopes.extend([None] * len(scope.variables))
            for c in scope.children.values():
                scopes.append(c)
                visit(c)

        visit(self.root)
        return list(zip(lines, scopes, strict=True))

    def svg(self) -> str:
        """The whole tree as one SVG image (every scope shown; an SVG cannot fold itself
        without scripts, so the folding form is :meth:`html`).

        Returns:
          ``str(self)``'s lines as SVG text, and beside each scope two bars: its share of
          all ops and of all parameter bytes. Display with ``IPython.display.SVG``.
        """
        rows = self._rows()
        step = 18
        bars_x = 16 + 7.2 * max(len(line) for line, _ in rows)
        out = [self._legend(bars_x, step)]
        for i, (line, scope) in enumerate(rows):
            y = (i + 2) * step
            fill = "#555" if scope is None else "#000"
            out.append(
                f'<text x="8" y="{y}" fill="{fill}" xml:space="preserve">{html.escape(line)}</text>'
            )
            if scope is not None:
                out.append(self._bars(scope, bars_x, y))
        width = bars_x + 2 * _BAR + 16
        height = (len(rows) + 2) * step
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
            f'font-family="monospace" font-size="12">{"".join(out)}</svg>'
        )


def scope_tree(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ScopeTree:
    """The scope tree of ``fn(*args, **kwargs)``: ops and parameters per scope.

    Nothing runs: ``fn`` is traced with ``jax.make_jaxpr`` as by ``graph_def`` (tensorboard
    is not needed). Ops count at their name-scope path, variables (of Store arguments) at
    their variable-scope path, so a ``name_scope`` appears as a scope holding ops only.
    In Jupyter the result displays as collapsible HTML with per-scope bars (``.html()``);
    ``.svg()`` is the same as one SVG image, ``str()`` a text tree.

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
