"""The frame in owned parts: each part of a Frame is read by its owner module only.

A :class:`Frame` holds the call's description (read-only) and parts; a part's fields are
private to the module that owns it, which every other module reaches through methods.
These tests parse ``scopejax/_src`` and fail on a module that reads a part it does not
own, so the next capability (sharding, compat, summaries) plugs in through the owner's
API instead of one more field read.
"""

from __future__ import annotations

import ast
import functools
import pathlib

import jax
import pytest

import scopejax as sj
from scopejax._src.core import context, fastinit, graph, rng, scope

SRC = pathlib.Path(sj.__file__).parent / "_src"

#: part -> (owner module, the class of the part or None for a plain container)
PARTS: dict[str, tuple[str, type | None]] = {
    "naming": ("core/scope.py", scope.Naming),
    "registry": ("core/graph.py", graph.Registry),
    "colls": ("core/graph.py", graph.Collections),
    "rngs": ("core/rng.py", rng.RngState),
    "devices": ("core/device.py", None),
    "chain": ("core/request.py", None),
    "plan": ("core/fastinit.py", fastinit.Plan),
    "lifts": ("core/lifting.py", None),
}
#: what describes the call: set when the frame is made, read by anyone
DESCRIPTION = {
    "is_init",
    "init_key",
    "params",
    "param_colls",
    "mutable",
    "max_bytes",
    "trace_state",
    "owner_trace",
    "closed",
}
#: a part's methods reach its containers; these modules build frames or are the frame
BUILDERS = {"core/context.py"}


@functools.cache
def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        out.append((rel, ast.parse(path.read_text(), filename=rel)))
    return out


def _frame_like(node: ast.expr) -> bool:
    """``frame``, ``self._frame``, ``req.frame``, ``probe``-style names holding a frame."""
    if isinstance(node, ast.Name):
        return "frame" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_") == "frame"
    if isinstance(node, ast.Call):  # current_frame("api").part
        f = node.func
        return isinstance(f, ast.Name) and f.id in ("current_frame", "maybe_frame")
    return False


def test_frame_is_its_description_plus_the_parts():
    assert set(context.Frame.__slots__) == DESCRIPTION | set(PARTS)


def test_no_module_reads_a_part_it_does_not_own():
    """Outside its owner, a part with a class is used through its public methods
    (``frame.registry.by_name(...)``); a plain container part is not touched at all."""
    bad = []
    for rel, tree in _modules():
        parent = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in PARTS:
                continue
            owner, cls = PARTS[node.attr]
            if rel in (owner, *BUILDERS) or not _frame_like(node.value):
                continue
            up = parent.get(node)
            if cls is not None and isinstance(up, ast.Attribute) and not up.attr.startswith("_"):
                continue  # a method or property of the part
            if cls is not None and isinstance(up, (ast.Assign, ast.Tuple)):
                continue  # an alias (x = frame.registry): its private fields are checked below
            bad.append(f"{rel}:{node.lineno}: frame.{node.attr} (owned by {owner})")
    assert not bad, "\n".join(bad)


def test_no_module_reads_a_parts_private_fields():
    private = {}
    for part, (owner, cls) in PARTS.items():
        for slot in getattr(cls, "__slots__", ()):
            if slot.startswith("_"):
                private[slot] = (part, owner)
    assert {"_stack", "_var_scope", "_by_name", "_lists", "_draw_key"} <= set(private)
    bad = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in private:
                continue
            part, owner = private[node.attr]
            if rel == owner or (isinstance(node.value, ast.Name) and node.value.id == "self"):
                continue
            bad.append(f"{rel}:{node.lineno}: .{node.attr} of {part} (owned by {owner})")
    assert not bad, "\n".join(bad)


def test_the_checker_sees_a_violation():
    """The AST rule flags the pattern it is meant to: a non-owner reading a container."""
    tree = ast.parse("def f(frame):\n    return frame.lifts[-1], frame.naming._stack\n")
    hits = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in PARTS and _frame_like(n.value)
    ]
    assert [n.attr for n in hits] == ["lifts", "naming"]


def test_parts_work_through_their_owners():
    """Behaviour through the owners' APIs: naming, registry, collections, rng, devices."""
    seen = {}

    def f():
        with sj.variable_scope("enc"), sj.name_scope("ops"):
            w = sj.get_variable("w", [2])
            frame = context.current_frame("test")
            seen["scope"] = frame.naming.scope.name
            seen["stack"] = frame.naming.stack
            seen["by_value"] = frame.registry.variable_of(w).name
            seen["colls"] = frame.colls.keys_holding(frame.registry.by_name("enc/w"))
            seen["has_key"] = frame.rngs.has_key()
        return w

    net = sj.transform(f)
    store = net.init(jax.random.key(0))
    assert seen == {
        "scope": "enc",
        "stack": "enc/ops",
        "by_value": "enc/w",
        "colls": ["variables", "trainable_variables"],
        "has_key": True,
    }
    net.apply(store)
    assert seen["has_key"] is False  # apply without rng=: next_rng_key has no key


def test_release_detaches_handles():
    kept = []

    def f():
        sj.get_variable("w", [2])
        kept.extend(sj.global_variables())

    sj.transform(f).init(jax.random.key(0))
    with pytest.raises(ValueError, match="has finished"):
        _ = kept[0].value
