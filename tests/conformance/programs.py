"""Scoping programs for the TF1 conformance oracle.

Every program is ``prog_<name>(api, rec)`` and is registered in ``PROGRAMS`` under
``<name>``. Programs use only the adapter ``api`` (see ``tf_adapter.py`` for the
interface) and the recorder ``rec`` (see ``runner.py``), so the same program runs on
TensorFlow (to make ``tf1_expected.json``) and on scopejax (to compare with it).

Names are grouped by the rule of ``TF1_RULES.md`` they exercise: ``r01_`` ... ``r16_``
for rules 1-16, ``walk_`` for the classic TF1 walkthrough idioms, ``tfvar_`` for
``tf.Variable``-style naming and ``combo_`` for the 4x4 reuse-inheritance matrix.

Programs must stay deterministic and must not import TensorFlow or JAX. Expected
values are never written by hand: they come from running TensorFlow.
"""

from __future__ import annotations

import numpy as np

PROGRAMS: dict = {}


def program(fn):
    """Register ``prog_<name>`` as ``PROGRAMS['<name>']``."""
    assert fn.__name__.startswith("prog_"), fn.__name__
    name = fn.__name__[len("prog_") :]
    assert name not in PROGRAMS, name
    PROGRAMS[name] = fn
    return fn


# ---------------------------------------------------------------------------
# helpers (they only use api / rec)
# ---------------------------------------------------------------------------


def scope_summary(api, s):
    """[name, original_name_scope, reuse, current name scope] of an entered scope."""
    return [s.name, s.original_name_scope, api.reuse_str(s.reuse), api.get_name_scope()]


def rec_scope(api, rec, label, s):
    rec(label, scope_summary(api, s))


def try_vs(api, rec, label, *args, **kwargs):
    """Enter and exit variable_scope(*args, **kwargs); record its summary or error."""

    def thunk():
        with api.variable_scope(*args, **kwargs) as s:
            return scope_summary(api, s)

    return rec.call(label, thunk)


def try_ns(api, rec, label, name):
    """Enter and exit name_scope(name); record [yielded, get_name_scope()] or error."""

    def thunk():
        with api.name_scope(name) as ns:
            return [ns, api.get_name_scope()]

    return rec.call(label, thunk)


def try_var(api, rec, label, name, **kwargs):
    return rec.call(label, lambda: api.var(name, **kwargs))


def try_tfvar(api, rec, label, name=None, **kwargs):
    return rec.call(label, lambda: api.Variable(name, **kwargs))


def final(api, rec):
    """Observations every program ends with."""
    rec("end.global", api.global_names())
    rec("end.trainable", api.trainable_names())
    rec("end.name_scope", api.get_name_scope())
    rec("end.scope", scope_summary(api, api.get_variable_scope()))


# ---------------------------------------------------------------------------
# Rule 1: a variable's graph name is uniquified against all graph names
# ---------------------------------------------------------------------------


@program
def prog_r01_name_scope_then_var(api, rec):
    try_ns(api, rec, "ns q", "q")
    try_var(api, rec, "var q", "q")
    with api.variable_scope("", reuse=api.AUTO_REUSE) as s:
        rec_scope(api, rec, "root auto scope", s)
        try_var(api, rec, "auto var q", "q")
        try_var(api, rec, "auto var r", "r")
    with api.variable_scope(api.get_variable_scope(), reuse=True) as s:
        rec_scope(api, rec, "root reopened reuse", s)
        try_var(api, rec, "reuse var q", "q")
    try_ns(api, rec, "ns q again", "q")
    try_var(api, rec, "var q again", "q")
    try_var(api, rec, "var q_1 (graph name taken)", "q_1")
    final(api, rec)


@program
def prog_r01_name_scope_path_then_var(api, rec):
    with api.name_scope("enc") as ns1:
        rec("ns enc", ns1)
        with api.name_scope("w") as ns2:
            rec("ns enc/w", ns2)
    with api.variable_scope("enc") as s:
        rec_scope(api, rec, "vs enc", s)
        try_var(api, rec, "var enc/w", "w")
        try_tfvar(api, rec, "tf.Variable w", "w")
    with api.variable_scope("enc", reuse=api.AUTO_REUSE) as s:
        rec_scope(api, rec, "vs enc auto", s)
        try_var(api, rec, "auto var enc/w", "w")
        try_var(api, rec, "auto var enc/w bad shape", "w", shape=(2,))
    with api.variable_scope("enc", reuse=True) as s:
        try_var(api, rec, "reuse var enc/w", "w")
    final(api, rec)


@program
def prog_r01_var_then_name_scopes(api, rec):
    try_var(api, rec, "var x", "x")
    try_ns(api, rec, "ns x", "x")
    try_var(api, rec, "var x_1", "x_1")
    try_ns(api, rec, "ns x_1", "x_1")
    try_vs(api, rec, "vs x", "x")
    try_ns(api, rec, "ns x again", "x")
    try_var(api, rec, "var y", "y")
    try_vs(api, rec, "vs y_1", "y_1")
    try_var(api, rec, "var y_1", "y_1")
    final(api, rec)


@program
def prog_r01_key_vs_graph_name(api, rec):
    with api.name_scope("m"):
        with api.name_scope("v") as ns:
            rec("ns m/v", ns)
    with api.variable_scope("m") as s:
        rec_scope(api, rec, "vs m", s)
        try_var(api, rec, "var m/v", "v")
        try_var(api, rec, "var m/v twice", "v")
        with api.name_scope("v") as ns:
            rec("ns v inside vs m", ns)
    with api.variable_scope("m", reuse=True) as s:
        rec_scope(api, rec, "vs m reuse", s)
        try_var(api, rec, "reuse m/v", "v")
        try_var(api, rec, "reuse m/v bad shape", "v", shape=(1, 1))
        try_var(api, rec, "reuse m/v_1 (graph name, not key)", "v_1")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 2: graph names are case-insensitive, the variable store is not
# ---------------------------------------------------------------------------


@program
def prog_r02_var_case(api, rec):
    try_var(api, rec, "var W", "W")
    try_var(api, rec, "var w", "w")
    try_var(api, rec, "var W again", "W")
    try_var(api, rec, "var w again", "w")
    with api.variable_scope("", reuse=api.AUTO_REUSE):
        try_var(api, rec, "auto W", "W")
        try_var(api, rec, "auto w", "w")
        try_var(api, rec, "auto w_1 (new key)", "w_1")
    try_ns(api, rec, "ns W", "W")
    final(api, rec)


@program
def prog_r02_name_scope_case(api, rec):
    try_ns(api, rec, "ns A", "A")
    try_ns(api, rec, "ns a", "a")
    try_ns(api, rec, "ns A again", "A")
    try_ns(api, rec, "ns a_1 upper", "A_1")
    with api.name_scope("Outer"):
        try_ns(api, rec, "ns Outer/In", "In")
        try_ns(api, rec, "ns Outer/in", "in")
    try_ns(api, rec, "ns outer", "outer")
    final(api, rec)


@program
def prog_r02_variable_scope_case(api, rec):
    with api.variable_scope("Enc") as s:
        rec_scope(api, rec, "vs Enc", s)
        try_var(api, rec, "var Enc/k", "k")
    with api.variable_scope("enc") as s:
        rec_scope(api, rec, "vs enc", s)
        try_var(api, rec, "var enc/k", "k")
    with api.variable_scope("enc", reuse=True) as s:
        rec_scope(api, rec, "vs enc reuse", s)
        try_var(api, rec, "reuse enc/k", "k")
    with api.variable_scope("Enc", reuse=True) as s:
        rec_scope(api, rec, "vs Enc reuse", s)
        try_var(api, rec, "reuse Enc/k", "k")
        try_var(api, rec, "reuse Enc/K missing", "K")
    final(api, rec)


@program
def prog_r02_case_mixed(api, rec):
    try_var(api, rec, "var Foo", "Foo")
    try_ns(api, rec, "ns FOO", "FOO")
    try_vs(api, rec, "vs foo", "foo")
    with api.variable_scope("foo") as s:
        rec_scope(api, rec, "vs foo again", s)
        try_var(api, rec, "var foo/b", "b")
    try_tfvar(api, rec, "tf.Variable FOO", "FOO")
    try_var(api, rec, "var FOO_4", "FOO_4")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 3: re-entering a variable scope by name
# ---------------------------------------------------------------------------


@program
def prog_r03_reenter_three_times(api, rec):
    reuses = [None, True, api.AUTO_REUSE]
    for i, reuse in enumerate(reuses):
        with api.variable_scope("enc", reuse=reuse) as s:
            rec_scope(api, rec, f"entry{i}", s)
            try_var(api, rec, f"entry{i} var w", "w", shape=(2, 3))
            try_tfvar(api, rec, f"entry{i} tf.Variable", None)
            with api.name_scope("op") as ns:
                rec(f"entry{i} ns op", ns)
    try_ns(api, rec, "ns enc", "enc")
    final(api, rec)


@program
def prog_r03_reenter_subscopes(api, rec):
    for i, reuse in enumerate([None, True, True]):
        with api.variable_scope("discriminator", reuse=reuse) as s:
            rec_scope(api, rec, f"call{i} disc", s)
            for layer in ("h0", "h1"):
                with api.variable_scope(layer) as sub:
                    rec_scope(api, rec, f"call{i} {layer}", sub)
                    try_var(api, rec, f"call{i} {layer}/w", "w", shape=(4, 4))
    final(api, rec)


@program
def prog_r03_reenter_in_name_scopes(api, rec):
    with api.name_scope("train"):
        with api.variable_scope("enc") as s:
            rec_scope(api, rec, "train enc", s)
            try_var(api, rec, "train var", "w")
    with api.name_scope("eval"):
        with api.variable_scope("enc", reuse=True) as s:
            rec_scope(api, rec, "eval enc", s)
            try_var(api, rec, "eval var", "w")
    with api.name_scope("train"):
        with api.variable_scope("enc", reuse=True) as s:
            rec_scope(api, rec, "train_1 enc", s)
    try_vs(api, rec, "top enc", "enc")
    final(api, rec)


@program
def prog_r03_reenter_nested_by_name(api, rec):
    for i in range(3):
        with api.variable_scope("a", reuse=api.AUTO_REUSE) as s:
            rec_scope(api, rec, f"a#{i}", s)
            with api.variable_scope("b") as sb:
                rec_scope(api, rec, f"a#{i}/b", sb)
                with api.variable_scope("c") as sc:
                    rec_scope(api, rec, f"a#{i}/b/c", sc)
                    try_var(api, rec, f"a#{i} var", "w")
            with api.variable_scope("b") as sb:
                rec_scope(api, rec, f"a#{i}/b second", sb)
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 4: reopening a scope by its VariableScope object
# ---------------------------------------------------------------------------


@program
def prog_r04_reopen_in_name_scope(api, rec):
    with api.variable_scope("disc") as s:
        rec_scope(api, rec, "disc", s)
        try_var(api, rec, "var disc/w", "w")
    with api.variable_scope("outer") as o:
        rec_scope(api, rec, "outer", o)
        with api.name_scope("m") as ns:
            rec("ns outer/m", ns)
            with api.variable_scope(s) as s2:
                rec_scope(api, rec, "reopen in outer/m", s2)
                try_var(api, rec, "reopen new var", "v")
                try_var(api, rec, "reopen old var", "w")
                with api.variable_scope("sub") as sub:
                    rec_scope(api, rec, "reopen sub", sub)
                    try_var(api, rec, "reopen sub var", "u")
            with api.variable_scope(s, reuse=api.AUTO_REUSE) as s3:
                rec_scope(api, rec, "reopen auto in outer/m", s3)
                try_var(api, rec, "reopen auto old var", "w")
        with api.variable_scope(s, reuse=True) as s4:
            rec_scope(api, rec, "reopen reuse in outer", s4)
            try_var(api, rec, "reopen reuse old var", "w")
    final(api, rec)


@program
def prog_r04_reopen_last_component(api, rec):
    with api.variable_scope("x"):
        with api.variable_scope("y") as s:
            rec_scope(api, rec, "x/y", s)
            try_var(api, rec, "var x/y/w", "w")
    with api.variable_scope(s) as s2:
        rec_scope(api, rec, "reopen top", s2)
        try_var(api, rec, "reopen top new var", "v")
    with api.name_scope("n"):
        with api.variable_scope(s) as s3:
            rec_scope(api, rec, "reopen in n", s3)
    with api.variable_scope(s) as s4:
        rec_scope(api, rec, "reopen top again", s4)
    try_ns(api, rec, "ns y", "y")
    final(api, rec)


@program
def prog_r04_reopen_repeated(api, rec):
    with api.variable_scope("discriminator") as s:
        rec_scope(api, rec, "first", s)
        try_var(api, rec, "var", "w")
    for i in range(3):
        with api.variable_scope(s, reuse=True) as s2:
            rec_scope(api, rec, f"reopen{i}", s2)
            try_var(api, rec, f"reopen{i} var", "w")
            try_tfvar(api, rec, f"reopen{i} tf.Variable", "V")
    with api.variable_scope(s) as a:
        with api.variable_scope(s) as b:
            rec_scope(api, rec, "reopen nested in itself", b)
        rec_scope(api, rec, "reopen outer of nested", a)
    with api.variable_scope("discriminator") as c:
        rec_scope(api, rec, "by name after reopens", c)
    final(api, rec)


@program
def prog_r04_reopen_root_object(api, rec):
    root = api.get_variable_scope()
    rec_scope(api, rec, "root", root)
    try_var(api, rec, "var z", "z")
    with api.variable_scope("a") as a:
        rec_scope(api, rec, "a", a)
        with api.variable_scope(root) as r:
            rec_scope(api, rec, "root reopened in a", r)
            try_var(api, rec, "new var in reopened root", "y")
        with api.variable_scope(root, reuse=True) as r:
            rec_scope(api, rec, "root reopened reuse in a", r)
            try_var(api, rec, "reuse var z", "z")
    final(api, rec)


@program
def prog_r04_reopen_from_other_scope(api, rec):
    with api.variable_scope("gen") as g:
        try_var(api, rec, "gen var", "w")
    with api.variable_scope("disc") as d:
        try_var(api, rec, "disc var", "w")
        with api.variable_scope(g, reuse=True) as g2:
            rec_scope(api, rec, "gen reopened inside disc", g2)
            try_var(api, rec, "gen var reused inside disc", "w")
            with api.variable_scope("h") as h:
                rec_scope(api, rec, "gen/h inside disc", h)
                try_var(api, rec, "gen/h var missing", "w")
        rec_scope(api, rec, "disc after", d)
        try_var(api, rec, "disc var 2", "w2")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 5: a scope reopened by object does not inherit the enclosing reuse
# ---------------------------------------------------------------------------


@program
def prog_r05_reopen_inside_reuse_true(api, rec):
    with api.variable_scope("s") as s:
        try_var(api, rec, "var s/w", "w")
    with api.variable_scope("o") as o:
        try_var(api, rec, "var o/x", "x")
    with api.variable_scope("o", reuse=True) as o:
        rec_scope(api, rec, "o reuse", o)
        with api.variable_scope(s) as s2:
            rec_scope(api, rec, "reopen s in o", s2)
            try_var(api, rec, "old var", "w")
            try_var(api, rec, "new var", "n")
            with api.variable_scope("child") as c:
                rec_scope(api, rec, "child of reopen", c)
                try_var(api, rec, "child new var", "c")
        with api.variable_scope("byname") as b:
            rec_scope(api, rec, "by name in o", b)
            try_var(api, rec, "by name new var", "n")
    final(api, rec)


@program
def prog_r05_reopen_inside_auto_reuse(api, rec):
    with api.variable_scope("s") as s:
        try_var(api, rec, "var s/w", "w")
    with api.variable_scope("o", reuse=api.AUTO_REUSE) as o:
        rec_scope(api, rec, "o auto", o)
        with api.variable_scope(s) as s2:
            rec_scope(api, rec, "reopen s in o", s2)
            try_var(api, rec, "old var", "w")
            try_var(api, rec, "new var", "n")
        with api.variable_scope(s, reuse=True) as s3:
            rec_scope(api, rec, "reopen s reuse in o", s3)
            try_var(api, rec, "old var reuse", "w")
    final(api, rec)


@program
def prog_r05_reopen_reuse_arguments(api, rec):
    with api.variable_scope("plain") as p:
        rec_scope(api, rec, "plain", p)
    with api.variable_scope("r", reuse=True) as r:
        rec_scope(api, rec, "r", r)
        with api.variable_scope("inner") as ri:
            rec_scope(api, rec, "r/inner", ri)
    with api.variable_scope("a", reuse=api.AUTO_REUSE) as a:
        rec_scope(api, rec, "a", a)
    for obj_label, obj in (("plain", p), ("r", r), ("ri", ri), ("a", a)):
        for arg_label, arg in (
            ("None", None),
            ("False", False),
            ("True", True),
            ("AUTO", api.AUTO_REUSE),
        ):
            with api.variable_scope(obj, reuse=arg) as s:
                rec(f"reopen {obj_label} reuse={arg_label}", api.reuse_str(s.reuse))
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 6: reuse_variables() changes the object; a reopened scope is a copy
# ---------------------------------------------------------------------------


@program
def prog_r06_reuse_variables_on_object(api, rec):
    with api.variable_scope("s") as s:
        try_var(api, rec, "var s/w", "w")
        s.reuse_variables()
        rec_scope(api, rec, "s after reuse_variables", s)
        try_var(api, rec, "old var after", "w")
        try_var(api, rec, "new var after", "x")
        with api.variable_scope("sub") as sub:
            rec_scope(api, rec, "sub after", sub)
    rec_scope(api, rec, "s after exit", s)
    with api.variable_scope(s) as s2:
        rec_scope(api, rec, "reopen", s2)
        try_var(api, rec, "reopen old var", "w")
        try_var(api, rec, "reopen new var", "y")
    with api.variable_scope("s") as s3:
        rec_scope(api, rec, "by name", s3)
        try_var(api, rec, "by name new var", "z")
    final(api, rec)


@program
def prog_r06_reuse_variables_on_copy(api, rec):
    with api.variable_scope("s") as s:
        try_var(api, rec, "var s/w", "w")
    with api.variable_scope(s) as c:
        c.reuse_variables()
        rec_scope(api, rec, "copy after reuse_variables", c)
        rec("original reuse", api.reuse_str(s.reuse))
        try_var(api, rec, "copy new var", "n")
        try_var(api, rec, "copy old var", "w")
    with api.variable_scope(s) as d:
        rec_scope(api, rec, "reopen after copy", d)
        try_var(api, rec, "reopen new var", "n2")
    with api.variable_scope(c) as e:
        rec_scope(api, rec, "reopen the copy", e)
        try_var(api, rec, "reopen copy new var", "n3")
    final(api, rec)


@program
def prog_r06_get_variable_scope_reuse_variables(api, rec):
    with api.variable_scope("a") as s:
        with api.variable_scope("before") as b:
            rec_scope(api, rec, "before", b)
        try_var(api, rec, "var a/w", "w")
        api.get_variable_scope().reuse_variables()
        rec_scope(api, rec, "a after", s)
        rec_scope(api, rec, "current after", api.get_variable_scope())
        rec_scope(api, rec, "before obj after", b)
        with api.variable_scope("after") as c:
            rec_scope(api, rec, "after", c)
            try_var(api, rec, "after new var", "v")
        with api.variable_scope("", reuse=None) as e:
            rec_scope(api, rec, "empty inside a", e)
        try_var(api, rec, "a/w reuse", "w")
    with api.variable_scope("a") as s2:
        rec_scope(api, rec, "a by name again", s2)
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 7: reuse inheritance (inner or outer) -- plus the 4x4 combo matrix below
# ---------------------------------------------------------------------------


@program
def prog_r07_reuse_variables_in_auto(api, rec):
    with api.variable_scope("a", reuse=api.AUTO_REUSE) as s:
        rec_scope(api, rec, "a auto", s)
        try_var(api, rec, "create w", "w")
        try_var(api, rec, "get w", "w")
        s.reuse_variables()
        rec_scope(api, rec, "a after reuse_variables", s)
        try_var(api, rec, "get w after", "w")
        try_var(api, rec, "new after", "n")
        with api.variable_scope("sub", reuse=api.AUTO_REUSE) as sub:
            rec_scope(api, rec, "sub auto", sub)
            try_var(api, rec, "sub new", "n")
    final(api, rec)


@program
def prog_r07_root_reuse_variables(api, rec):
    try_var(api, rec, "var w", "w")
    api.get_variable_scope().reuse_variables()
    rec_scope(api, rec, "root after", api.get_variable_scope())
    try_var(api, rec, "top w", "w")
    try_var(api, rec, "top new", "n")
    try_vs(api, rec, "vs x", "x")
    try_vs(api, rec, "vs x False", "x", reuse=False)
    with api.variable_scope("y", reuse=api.AUTO_REUSE) as y:
        rec_scope(api, rec, "vs y auto", y)
        try_var(api, rec, "y new", "n")
    try_vs(api, rec, "default d", None, default_name="d")
    with api.variable_scope("", reuse=None) as e:
        rec_scope(api, rec, "empty scope", e)
    with api.name_scope("ns"):
        try_var(api, rec, "top w in ns", "w")
    final(api, rec)


@program
def prog_r07_deep_chain(api, rec):
    chain = [
        ("l0", True),
        ("l1", None),
        ("l2", api.AUTO_REUSE),
        ("l3", None),
        ("l4", False),
        ("l5", True),
        ("l6", None),
    ]
    opened = []

    def go(i):
        if i == len(chain):
            return
        name, reuse = chain[i]
        with api.variable_scope(name, reuse=reuse) as s:
            opened.append(name)
            rec_scope(api, rec, "/".join(opened), s)
            try_var(api, rec, "var in " + "/".join(opened), "v")
            go(i + 1)
            opened.pop()

    go(0)
    final(api, rec)


@program
def prog_r07_false_does_not_turn_off(api, rec):
    with api.variable_scope("m"):
        try_var(api, rec, "create m/w", "w")
    with api.variable_scope("m", reuse=True) as m:
        rec_scope(api, rec, "m reuse", m)
        with api.variable_scope("", reuse=False) as e:
            rec_scope(api, rec, "empty False", e)
            try_var(api, rec, "create in empty False", "w2")
        with api.variable_scope(m, reuse=False) as m2:
            rec_scope(api, rec, "m reopened False", m2)
            try_var(api, rec, "create in m reopened False", "w3")
        with api.variable_scope("k", reuse=False) as k:
            rec_scope(api, rec, "k False", k)
            try_var(api, rec, "create in k False", "w4")
    final(api, rec)


_REUSE_CHOICES = (
    ("True", lambda api: True),
    ("AUTO", lambda api: api.AUTO_REUSE),
    ("False", lambda api: False),
    ("None", lambda api: None),
)


def _make_combo(outer_label, outer_fn, inner_label, inner_fn):
    def prog(api, rec):
        with api.variable_scope("o"):
            try_var(api, rec, "setup o/old", "old")
            with api.variable_scope("i"):
                try_var(api, rec, "setup o/i/old", "old")
        outer = outer_fn(api)
        inner = inner_fn(api)
        with api.variable_scope("o", reuse=outer) as o:
            rec_scope(api, rec, "outer", o)
            try_var(api, rec, "outer old", "old")
            try_var(api, rec, "outer new", "new")
            with api.variable_scope("i", reuse=inner) as i:
                rec_scope(api, rec, "inner", i)
                try_var(api, rec, "inner old", "old")
                try_var(api, rec, "inner new", "new")
                try_var(api, rec, "inner old bad shape", "old", shape=(2,))
                with api.variable_scope("d") as d:
                    rec_scope(api, rec, "innermost", d)
                    try_var(api, rec, "innermost new", "new")
            rec_scope(api, rec, "outer after", o)
        final(api, rec)

    prog.__name__ = f"prog_combo_outer_{outer_label}_inner_{inner_label}"
    prog.__qualname__ = prog.__name__
    prog.__doc__ = (
        f"variable_scope('o', reuse={outer_label}) > variable_scope('i', reuse={inner_label})"
    )
    return prog


for _ol, _of in _REUSE_CHOICES:
    for _il, _if in _REUSE_CHOICES:
        program(_make_combo(_ol, _of, _il, _if))
del _ol, _of, _il, _if


# ---------------------------------------------------------------------------
# Rule 8: default_name uniquification
# ---------------------------------------------------------------------------


@program
def prog_r08_default_name_counting_top(api, rec):
    for i in range(3):
        with api.variable_scope(None, default_name="dense") as s:
            rec_scope(api, rec, f"default#{i}", s)
            try_var(api, rec, f"default#{i} var", "w")
    with api.variable_scope("dense", reuse=True) as s:
        rec_scope(api, rec, "by name dense", s)
        try_var(api, rec, "by name var", "w")
    try_vs(api, rec, "default#3", None, default_name="dense")
    try_vs(api, rec, "default other", None, default_name="other")
    try_vs(api, rec, "default Dense (case)", None, default_name="Dense")
    final(api, rec)


@program
def prog_r08_default_name_explicit_suffix(api, rec):
    try_vs(api, rec, "default d #0", None, default_name="d")
    try_vs(api, rec, "default d #1", None, default_name="d")
    try_vs(api, rec, "explicit d_3", "d_3")
    try_vs(api, rec, "default d #2", None, default_name="d")
    try_vs(api, rec, "default d #3", None, default_name="d")
    try_vs(api, rec, "default d #4", None, default_name="d")
    try_vs(api, rec, "explicit d_1", "d_1")
    try_vs(api, rec, "default d_1", None, default_name="d_1")
    try_vs(api, rec, "default d_1 again", None, default_name="d_1")
    final(api, rec)


@program
def prog_r08_default_name_reset_on_exit(api, rec):
    for call, reuse in enumerate([None, True, api.AUTO_REUSE]):
        with api.variable_scope("outer", reuse=reuse) as o:
            rec_scope(api, rec, f"call{call} outer", o)
            for j in range(2):
                with api.variable_scope(None, default_name="dense") as s:
                    rec_scope(api, rec, f"call{call} dense#{j}", s)
                    try_var(api, rec, f"call{call} dense#{j} var", "kernel", shape=(2, 2))
            with api.variable_scope("block"):
                with api.variable_scope(None, default_name="dense") as s:
                    rec_scope(api, rec, f"call{call} block/dense", s)
            with api.variable_scope("block"):
                with api.variable_scope(None, default_name="dense") as s:
                    rec_scope(api, rec, f"call{call} block/dense again", s)
    final(api, rec)


@program
def prog_r08_default_name_reopen_by_object(api, rec):
    with api.variable_scope("o") as s:
        try_vs(api, rec, "by name o/d", None, default_name="d")
    for k in range(2):
        with api.variable_scope(s) as s2:
            rec_scope(api, rec, f"reopen{k}", s2)
            try_vs(api, rec, f"reopen{k} d#0", None, default_name="d")
            try_vs(api, rec, f"reopen{k} d#1", None, default_name="d")
            with api.variable_scope("inner"):
                try_vs(api, rec, f"reopen{k} inner/d#0", None, default_name="d")
            with api.variable_scope("inner"):
                try_vs(api, rec, f"reopen{k} inner/d#1", None, default_name="d")
    with api.variable_scope("o") as s3:
        rec_scope(api, rec, "by name o again", s3)
        try_vs(api, rec, "by name o again d", None, default_name="d")
    final(api, rec)


@program
def prog_r08_default_name_counts_object_opens(api, rec):
    with api.variable_scope("d") as s:
        rec_scope(api, rec, "d", s)
    with api.variable_scope(s):
        pass
    with api.variable_scope(s):
        pass
    try_vs(api, rec, "default d", None, default_name="d")
    try_vs(api, rec, "default d again", None, default_name="d")
    with api.variable_scope("x"):
        with api.variable_scope("e") as e:
            pass
        with api.variable_scope(e):
            pass
        try_vs(api, rec, "x/default e", None, default_name="e")
    final(api, rec)


@program
def prog_r08_default_name_name_scopes_separate(api, rec):
    try_var(api, rec, "var dense", "dense")
    with api.variable_scope(None, default_name="dense") as s:
        rec_scope(api, rec, "default dense", s)
        try_var(api, rec, "default dense var", "w")
    try_ns(api, rec, "ns o", "o")
    try_vs(api, rec, "default o #0", None, default_name="o")
    try_ns(api, rec, "ns o again", "o")
    try_vs(api, rec, "default o #1", None, default_name="o")
    try_vs(api, rec, "by name o", "o")
    try_vs(api, rec, "default o #2", None, default_name="o")
    final(api, rec)


@program
def prog_r08_default_name_errors(api, rec):
    try_vs(api, rec, "default reuse=True", None, default_name="d", reuse=True)
    rec("name scope after error 1", api.get_name_scope())
    try_vs(api, rec, "default reuse=AUTO", None, default_name="d", reuse=api.AUTO_REUSE)
    rec("name scope after error 2", api.get_name_scope())
    try_vs(api, rec, "default reuse=False", None, default_name="d", reuse=False)
    try_vs(api, rec, "None no default", None)
    try_vs(api, rec, "None no default reuse=True", None, reuse=True)
    try_vs(api, rec, "default d after errors", None, default_name="d")
    with api.variable_scope("m", reuse=True) as m:
        rec_scope(api, rec, "m reuse", m)
        try_vs(api, rec, "default in reuse scope", None, default_name="d")
        try_vs(api, rec, "default reuse=True in m", None, default_name="d", reuse=True)
    try_ns(api, rec, "ns d", "d")
    final(api, rec)


@program
def prog_r08_default_name_in_reuse_scopes(api, rec):
    with api.variable_scope("r") as r:
        with api.variable_scope(None, default_name="d"):
            try_var(api, rec, "create r/d/w", "w")
    with api.variable_scope(r, reuse=True):
        with api.variable_scope(None, default_name="d") as d:
            rec_scope(api, rec, "r reuse / d", d)
            try_var(api, rec, "r reuse / d / w", "w")
            try_var(api, rec, "r reuse / d / new", "n")
    with api.variable_scope("r", reuse=api.AUTO_REUSE):
        with api.variable_scope(None, default_name="d") as d:
            rec_scope(api, rec, "r auto / d", d)
            try_var(api, rec, "r auto / d / w", "w")
            try_var(api, rec, "r auto / d / new", "n")
        with api.variable_scope(None, default_name="d") as d:
            rec_scope(api, rec, "r auto / d_1", d)
    final(api, rec)


@program
def prog_r08_default_name_ignored_when_named(api, rec):
    try_vs(api, rec, "name x default y", "x", default_name="y")
    try_vs(api, rec, "default y", None, default_name="y")
    try_vs(api, rec, "name x default y reuse=True", "x", default_name="y", reuse=True)
    try_vs(api, rec, "default x", None, default_name="x")
    final(api, rec)


@program
def prog_r08_default_name_in_name_scope(api, rec):
    with api.name_scope("m"):
        try_vs(api, rec, "m: default d #0", None, default_name="d")
        try_vs(api, rec, "m: default d #1", None, default_name="d")
    with api.name_scope("m"):
        try_vs(api, rec, "m_1: default d", None, default_name="d")
    try_vs(api, rec, "top default d", None, default_name="d")
    with api.variable_scope("v"):
        with api.name_scope("n"):
            try_vs(api, rec, "v/n: default d", None, default_name="d")
        try_vs(api, rec, "v: default d", None, default_name="d")
    final(api, rec)


@program
def prog_r08_default_name_with_slash(api, rec):
    try_vs(api, rec, "default a/b #0", None, default_name="a/b")
    try_vs(api, rec, "default a/b #1", None, default_name="a/b")
    with api.variable_scope("a"):
        try_vs(api, rec, "a: default b", None, default_name="b")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 9: name-scope details
# ---------------------------------------------------------------------------


@program
def prog_r09_trailing_slash_absolute(api, rec):
    try_ns(api, rec, "ns a/", "a/")
    try_ns(api, rec, "ns a", "a")
    try_ns(api, rec, "ns a again", "a")
    try_ns(api, rec, "ns a/ again", "a/")
    with api.name_scope("b/") as ns:
        rec("ns b/", ns)
        try_tfvar(api, rec, "tf.Variable in b/", "V")
        try_ns(api, rec, "ns b/c", "c")
    try_ns(api, rec, "ns b", "b")
    try_ns(api, rec, "ns new/ (never used)", "new/")
    try_ns(api, rec, "ns new", "new")
    final(api, rec)


@program
def prog_r09_absolute_nested(api, rec):
    with api.name_scope("q") as q:
        rec("ns q", q)
        with api.name_scope("zz/") as zz:
            rec("ns zz/ in q", zz)
            rec("name scope in zz/", api.get_name_scope())
            try_ns(api, rec, "ns q/ in zz/", "q/")
            try_ns(api, rec, "ns x in zz/", "x")
        rec("back in q", api.get_name_scope())
        with api.variable_scope("v") as v:
            rec_scope(api, rec, "vs v in q", v)
            with api.name_scope("top/") as t:
                rec("ns top/ in q/v", t)
                try_var(api, rec, "var in top/", "w")
                try_tfvar(api, rec, "tf.Variable in top/", "T")
    final(api, rec)


@program
def prog_r09_empty_and_none_reset(api, rec):
    with api.name_scope("q"):
        with api.name_scope("") as e:
            rec("ns '' in q", e)
            rec("name scope in ''", api.get_name_scope())
            try_tfvar(api, rec, "tf.Variable in ''", "V")
            try_ns(api, rec, "ns x in ''", "x")
        with api.name_scope(None) as n:
            rec("ns None in q", n)
            rec("name scope in None", api.get_name_scope())
        rec("back in q", api.get_name_scope())
    with api.variable_scope("v") as v:
        with api.name_scope("") as e:
            rec("ns '' in vs v", e)
            rec_scope(api, rec, "vs v seen from ''", api.get_variable_scope())
            try_var(api, rec, "var in vs v, ns ''", "w")
            with api.variable_scope("sub") as sub:
                rec_scope(api, rec, "v/sub under ''", sub)
        rec_scope(api, rec, "vs v after", v)
    final(api, rec)


@program
def prog_r09_reenter_original_name_scope(api, rec):
    with api.variable_scope("enc") as s:
        rec_scope(api, rec, "enc", s)
        try_var(api, rec, "enc/w", "w")
    with api.name_scope(s.original_name_scope) as ns:
        rec("ns original", ns)
        rec("name scope", api.get_name_scope())
        try_tfvar(api, rec, "tf.Variable", "W")
        try_ns(api, rec, "ns inner", "inner")
        try_var(api, rec, "var in original ns", "x")
    with api.name_scope(s.original_name_scope) as ns:
        rec("ns original again", ns)
        try_tfvar(api, rec, "tf.Variable again", "W")
        try_ns(api, rec, "ns inner again", "inner")
    try_ns(api, rec, "ns enc", "enc")
    with api.variable_scope("enc") as s2:
        rec_scope(api, rec, "enc again", s2)
    final(api, rec)


@program
def prog_r09_nested_name_scope_uniquify(api, rec):
    with api.name_scope("a") as a:
        rec("ns a", a)
        try_ns(api, rec, "ns a/b", "b")
        try_ns(api, rec, "ns a/b again", "b")
        try_ns(api, rec, "ns a/b_1", "b_1")
    try_ns(api, rec, "ns a again", "a")
    try_ns(api, rec, "ns a/b at top", "a/b")
    with api.name_scope("a_1"):
        try_ns(api, rec, "ns a_1/b", "b")
    with api.name_scope("x"):
        with api.name_scope("y"):
            with api.name_scope("z") as z:
                rec("ns x/y/z", z)
    try_ns(api, rec, "ns x/y/z at top", "x/y/z")
    final(api, rec)


@program
def prog_r09_name_scope_does_not_touch_var_scope(api, rec):
    with api.variable_scope("v") as v:
        with api.name_scope("n") as n:
            rec("ns v/n", n)
            rec_scope(api, rec, "current vs inside ns", api.get_variable_scope())
            try_var(api, rec, "var", "w")
            with api.variable_scope("inner") as i:
                rec_scope(api, rec, "v/inner in v/n", i)
                try_var(api, rec, "inner var", "w")
    rec_scope(api, rec, "v after", v)
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 10: a name containing '/' is uniquified as one string
# ---------------------------------------------------------------------------


@program
def prog_r10_slash_in_variable_scope_name(api, rec):
    with api.variable_scope("block1/conv1") as s:
        rec_scope(api, rec, "block1/conv1", s)
        try_var(api, rec, "var", "w", shape=(3, 3))
    with api.variable_scope("block1") as b:
        rec_scope(api, rec, "block1", b)
        with api.variable_scope("conv1") as c:
            rec_scope(api, rec, "block1 > conv1", c)
            try_var(api, rec, "create again", "w", shape=(3, 3))
        with api.variable_scope("conv1", reuse=True) as c:
            rec_scope(api, rec, "block1 > conv1 reuse", c)
            try_var(api, rec, "reuse", "w", shape=(3, 3))
    with api.variable_scope("block1/conv1", reuse=True) as s:
        rec_scope(api, rec, "block1/conv1 reuse", s)
    try_ns(api, rec, "ns block1", "block1")
    final(api, rec)


@program
def prog_r10_slash_name_scope(api, rec):
    try_ns(api, rec, "ns m/a", "m/a")
    with api.name_scope("m") as m:
        rec("ns m", m)
        try_ns(api, rec, "ns m > a", "a")
        try_ns(api, rec, "ns m > a again", "a")
    try_ns(api, rec, "ns m again", "m")
    try_ns(api, rec, "ns m/a again", "m/a")
    final(api, rec)


@program
def prog_r10_slash_var_names_share_keys(api, rec):
    with api.variable_scope("a") as a:
        rec_scope(api, rec, "a", a)
        try_var(api, rec, "var a > x/w", "x/w")
    with api.variable_scope("a/x", reuse=True) as ax:
        rec_scope(api, rec, "a/x reuse", ax)
        try_var(api, rec, "reuse a/x > w", "w")
    with api.variable_scope("a"):
        with api.variable_scope("x") as x:
            rec_scope(api, rec, "a > x", x)
            try_var(api, rec, "create a > x > w", "w")
        with api.variable_scope("x", reuse=api.AUTO_REUSE):
            try_var(api, rec, "auto a > x > w", "w")
    try_var(api, rec, "top var x/w", "x/w")
    try_ns(api, rec, "ns x", "x")
    try_vs(api, rec, "vs x", "x")
    try_var(api, rec, "top var x/w again", "x/w")
    final(api, rec)


@program
def prog_r10_slash_var_then_scopes(api, rec):
    try_var(api, rec, "var p/q", "p/q")
    try_ns(api, rec, "ns p/q", "p/q")
    with api.variable_scope("p") as p:
        rec_scope(api, rec, "vs p", p)
        try_var(api, rec, "var p > q", "q")
        try_vs(api, rec, "vs p > q", "q")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 11: empty and trailing-slash variable-scope names
# ---------------------------------------------------------------------------


@program
def prog_r11_empty_scope_top(api, rec):
    with api.variable_scope("") as e:
        rec_scope(api, rec, "'' top", e)
        try_var(api, rec, "var w", "w")
        try_tfvar(api, rec, "tf.Variable", "V")
    with api.variable_scope("", reuse=True) as e:
        rec_scope(api, rec, "'' reuse", e)
        try_var(api, rec, "reuse w", "w")
        try_var(api, rec, "reuse missing", "n")
        with api.variable_scope("sub") as sub:
            rec_scope(api, rec, "sub of '' reuse", sub)
    try_vs(api, rec, "'' again", "")
    try_ns(api, rec, "ns sub", "sub")
    final(api, rec)


@program
def prog_r11_empty_scope_nested(api, rec):
    with api.variable_scope("m") as m:
        rec_scope(api, rec, "m", m)
        with api.variable_scope("") as e:
            rec_scope(api, rec, "m > ''", e)
            try_var(api, rec, "var z", "z")
            with api.variable_scope("k") as k:
                rec_scope(api, rec, "m > '' > k", k)
                try_var(api, rec, "var k", "w")
        with api.variable_scope("", reuse=True) as e:
            rec_scope(api, rec, "m > '' reuse", e)
            try_var(api, rec, "reuse z", "z")
        try_var(api, rec, "var z directly in m", "z")
    with api.variable_scope("m/", reuse=True) as ms:
        rec_scope(api, rec, "m/ reuse", ms)
        try_var(api, rec, "m/ reuse z", "z")
    final(api, rec)


@program
def prog_r11_trailing_slash_variable_names(api, rec):
    # A trailing '/' is dropped from the graph name (one only), while the get_variable
    # key keeps it: two keys can then claim one graph name, which TF refuses.
    try_var(api, rec, "var a/", "a/", shape=(2,))
    try_var(api, rec, "var a (same graph name)", "a", shape=(3,))
    try_var(api, rec, "var a/ again", "a/", shape=(2,))
    try_tfvar(api, rec, "tf.Variable a/", "a/")
    try_tfvar(api, rec, "tf.Variable a", "a")
    with api.variable_scope("s") as s:
        rec_scope(api, rec, "s", s)
        try_var(api, rec, "s > w", "w")
        try_var(api, rec, "s > w/", "w/")
    with api.variable_scope("t", reuse=api.AUTO_REUSE):
        try_var(api, rec, "t > w/ auto", "w/")
        try_var(api, rec, "t > w/ auto again", "w/")
        try_var(api, rec, "t > w auto", "w")
    try_var(api, rec, "var d//", "d//")
    try_var(api, rec, "var e/f/", "e/f/")
    try_tfvar(api, rec, "tf.Variable V then V/", "V")
    try_tfvar(api, rec, "tf.Variable V/", "V/")
    try_tfvar(api, rec, "tf.Variable U/", "U/")
    try_tfvar(api, rec, "tf.Variable U/ again", "U/")
    final(api, rec)


@program
def prog_r11_trailing_slash_scope(api, rec):
    for i in range(2):
        with api.variable_scope("a/", reuse=api.AUTO_REUSE) as a:
            rec_scope(api, rec, f"a/ #{i}", a)
            try_var(api, rec, f"a/ #{i} var", "w")
            with api.variable_scope("b") as b:
                rec_scope(api, rec, f"a/ #{i} > b", b)
    try_ns(api, rec, "ns a", "a")
    with api.variable_scope("a") as a:
        rec_scope(api, rec, "a", a)
        try_var(api, rec, "a var", "w")
    final(api, rec)


@program
def prog_r11_empty_scope_in_name_scope(api, rec):
    with api.name_scope("n"):
        with api.variable_scope("") as e:
            rec_scope(api, rec, "n: ''", e)
            try_var(api, rec, "var", "w")
            try_tfvar(api, rec, "tf.Variable", "V")
        with api.variable_scope("", auxiliary_name_scope=False) as e:
            rec_scope(api, rec, "n: '' aux=False", e)
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 12: auxiliary_name_scope=False
# ---------------------------------------------------------------------------


@program
def prog_r12_aux_false_top(api, rec):
    with api.variable_scope("s", auxiliary_name_scope=False) as s:
        rec_scope(api, rec, "s aux=False", s)
        try_var(api, rec, "var", "w")
        try_tfvar(api, rec, "tf.Variable", "V")
        with api.variable_scope("t") as t:
            rec_scope(api, rec, "s > t", t)
        try_ns(api, rec, "ns inside", "inner")
    try_vs(api, rec, "s by name", "s")
    try_ns(api, rec, "ns s", "s")
    final(api, rec)


@program
def prog_r12_aux_false_in_name_scope(api, rec):
    with api.name_scope("n"):
        with api.variable_scope("s", auxiliary_name_scope=False) as s:
            rec_scope(api, rec, "n: s aux=False", s)
            try_var(api, rec, "var", "w")
            try_tfvar(api, rec, "tf.Variable", "V")
        with api.name_scope("deeper"):
            try_vs(api, rec, "n/deeper: s aux=False", "s", auxiliary_name_scope=False)
    with api.variable_scope(s) as s2:
        rec_scope(api, rec, "reopen the aux=False scope", s2)
    final(api, rec)


@program
def prog_r12_aux_false_reopen_by_object(api, rec):
    with api.variable_scope("discriminator") as s:
        try_var(api, rec, "var", "w")
    with api.name_scope("m"):
        with api.variable_scope(s, auxiliary_name_scope=False) as s2:
            rec_scope(api, rec, "reopen aux=False in m", s2)
            try_var(api, rec, "new var", "v")
            try_tfvar(api, rec, "tf.Variable", "V")
            with api.name_scope(s2.original_name_scope) as ns:
                rec("ns original", ns)
                try_tfvar(api, rec, "tf.Variable in original ns", "V")
    with api.variable_scope(s, reuse=True, auxiliary_name_scope=False) as s3:
        rec_scope(api, rec, "reopen aux=False top reuse", s3)
        try_var(api, rec, "reuse var", "w")
    with api.variable_scope(s) as s4:
        rec_scope(api, rec, "reopen aux=True", s4)
    final(api, rec)


@program
def prog_r12_aux_false_twice_then_normal(api, rec):
    try_vs(api, rec, "aux=False #0", "s", auxiliary_name_scope=False)
    try_vs(api, rec, "aux=False #1", "s", auxiliary_name_scope=False)
    try_vs(api, rec, "normal", "s")
    try_vs(api, rec, "default aux=False", None, default_name="d", auxiliary_name_scope=False)
    try_vs(api, rec, "default normal", None, default_name="d")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 13: name_scope vs variable_scope
# ---------------------------------------------------------------------------


@program
def prog_r13_variable_scope_in_name_scope(api, rec):
    with api.name_scope("model") as m:
        rec("ns model", m)
        with api.variable_scope("encoder") as e:
            rec_scope(api, rec, "model: encoder", e)
            try_var(api, rec, "var", "w")
            try_tfvar(api, rec, "tf.Variable", "V")
            with api.name_scope("inner") as i:
                rec("ns inner", i)
                try_var(api, rec, "var in inner ns", "b")
    with api.variable_scope("encoder") as e2:
        rec_scope(api, rec, "top encoder", e2)
    final(api, rec)


@program
def prog_r13_shared_namespace(api, rec):
    try_var(api, rec, "var a", "a")
    try_vs(api, rec, "vs a", "a")
    try_ns(api, rec, "ns a", "a")
    try_tfvar(api, rec, "tf.Variable a", "a")
    try_var(api, rec, "var a_4", "a_4")
    try_vs(api, rec, "vs a again", "a")
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 14: collections
# ---------------------------------------------------------------------------


@program
def prog_r14_collections_replace_global(api, rec):
    try_var(api, rec, "frozen only", "f", collections=["FROZEN_VARS"])
    try_var(
        api, rec, "frozen only non-trainable", "g", collections=["FROZEN_VARS"], trainable=False
    )
    try_var(
        api,
        rec,
        "global+frozen non-trainable",
        "h",
        collections=[api.GLOBAL_VARIABLES, "FROZEN_VARS"],
        trainable=False,
    )
    try_var(api, rec, "plain", "p")
    try_var(api, rec, "empty collections", "e", collections=[])
    try_var(api, rec, "empty collections non-trainable", "z", collections=[], trainable=False)
    try_var(api, rec, "explicit trainable key", "t", collections=[api.TRAINABLE_VARIABLES])
    rec("FROZEN_VARS", api.collection_names("FROZEN_VARS"))
    rec("TRAINABLE collection", api.collection_names(api.TRAINABLE_VARIABLES))
    rec("GLOBAL collection", api.collection_names(api.GLOBAL_VARIABLES))
    final(api, rec)


@program
def prog_r14_reuse_ignores_trainable_and_collections(api, rec):
    with api.variable_scope("l"):
        try_var(api, rec, "create", "w")
        try_var(api, rec, "create frozen", "f", trainable=False, collections=["A"])
    with api.variable_scope("l", reuse=True):
        try_var(api, rec, "reuse non-trainable + B", "w", trainable=False, collections=["B"])
        try_var(api, rec, "reuse trainable + C", "f", trainable=True, collections=["C"])
    with api.variable_scope("l", reuse=api.AUTO_REUSE):
        try_var(api, rec, "auto reuse + D", "w", collections=["D"], trainable=False)
        try_var(api, rec, "auto create + D", "n", collections=["D"], trainable=False)
    for key in ("A", "B", "C", "D"):
        rec(f"collection {key}", api.collection_names(key))
    final(api, rec)


@program
def prog_r14_add_to_collection(api, rec):
    w = try_var(api, rec, "w", "w")
    f = try_var(api, rec, "frozen", "f", trainable=False)
    api.add_to_collection("X", w)
    api.add_to_collection("X", w)
    api.add_to_collection("X", f)
    rec("X", api.collection_names("X"))
    api.add_to_collection(api.TRAINABLE_VARIABLES, f)
    rec("trainable after promotion", api.trainable_names())
    api.add_to_collection(api.GLOBAL_VARIABLES, w)
    rec("global after duplicate", api.global_names())
    o = try_var(api, rec, "outside", "o", collections=[])
    api.add_to_collection(api.GLOBAL_VARIABLES, o)
    rec("global after adding outsider", api.global_names())
    final(api, rec)


@program
def prog_r14_collection_order_and_strings(api, rec):
    names = []
    for scope in ("z", "a", "m"):
        with api.variable_scope(scope):
            names.append(try_var(api, rec, f"{scope}/w", "w"))
            api.add_to_collection_value("MIXED", f"str-{scope}")
            api.add_to_collection("MIXED", names[-1])
    for n in reversed(names):
        api.add_to_collection("REV", n)
    rec("REV", api.collection_names("REV"))
    rec("MIXED names", api.collection_names("MIXED"))
    rec("MIXED items", api.collection_items("MIXED"))
    rec("MIXED items scope=a", api.collection_items("MIXED", scope="a"))
    rec("MIXED items scope=''", api.collection_items("MIXED", scope=""))
    rec("missing collection", api.collection_items("NOPE"))
    final(api, rec)


@program
def prog_r14_tf_variable_collections(api, rec):
    try_tfvar(api, rec, "trainable", "a")
    try_tfvar(api, rec, "non-trainable", "b", trainable=False)
    try_tfvar(api, rec, "custom only", "c", collections=["K"])
    try_tfvar(api, rec, "custom + global", "d", collections=["K", api.GLOBAL_VARIABLES])
    try_tfvar(api, rec, "custom non-trainable", "e", collections=["K"], trainable=False)
    rec("K", api.collection_names("K"))
    final(api, rec)


@program
def prog_r14_scoped_global_and_trainable(api, rec):
    with api.variable_scope("g"):
        try_var(api, rec, "g/w", "w")
        try_var(api, rec, "g/frozen", "f", trainable=False)
        try_var(api, rec, "g/local", "l", collections=["LOCAL"])
    with api.variable_scope("d"):
        try_var(api, rec, "d/w", "w")
    rec("global g", api.global_names("g"))
    rec("trainable g", api.trainable_names("g"))
    rec("LOCAL g", api.collection_names("LOCAL", scope="g"))
    rec("LOCAL d", api.collection_names("LOCAL", scope="d"))
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 15: get_collection(key, scope) is re.match on the name
# ---------------------------------------------------------------------------


@program
def prog_r15_regex_prefix_filters(api, rec):
    for scope in ("enc", "encoder", "enc_1", "dense_1"):
        with api.variable_scope(scope):
            try_var(api, rec, f"{scope}/w", "w")
    with api.name_scope("enc/w"):
        pass
    with api.variable_scope("enc", reuse=api.AUTO_REUSE):
        try_var(api, rec, "enc/w again", "w")
        try_var(api, rec, "enc/w2", "w2")
    with api.variable_scope("enc"):
        try_var(api, rec, "enc/w_1 key", "w_1")
    filters = [
        "enc",
        "enc/",
        "enc/w",
        "enc/w$",
        "enc/w:0$",
        ".*:0$",
        "dense",
        "encoder",
        "w",
        ".*w",
        "",
        "^enc_1",
    ]
    for f in filters:
        rec(f"global scope={f!r}", api.global_names(f))
        rec(f"trainable scope={f!r}", api.trainable_names(f))
    final(api, rec)


@program
def prog_r15_regex_special_chars(api, rec):
    with api.variable_scope("a.b"):
        try_var(api, rec, "a.b/w", "w")
    with api.variable_scope("aXb"):
        try_var(api, rec, "aXb/w", "w")
    with api.variable_scope("net"):
        with api.variable_scope("layer1"):
            try_var(api, rec, "net/layer1/w", "w")
        with api.variable_scope("layer10"):
            try_var(api, rec, "net/layer10/w", "w")
    filters = ["a.b", r"a\.b", "a[.]b|net", "net/layer1", "net/layer1/", "(net|aXb)/.*w", "NET"]
    for f in filters:
        rec(f"global scope={f!r}", api.global_names(f))
    rec("GLOBAL_VARIABLES scope='net'", api.collection_names(api.GLOBAL_VARIABLES, scope="net"))
    final(api, rec)


# ---------------------------------------------------------------------------
# Rule 16: shapes, dtypes and errors
# ---------------------------------------------------------------------------


@program
def prog_r16_exists_ignores_name_scope(api, rec):
    try_var(api, rec, "create w", "w")
    with api.name_scope("n"):
        try_var(api, rec, "w in ns n", "w")
    with api.variable_scope("v"):
        try_var(api, rec, "v/w", "w")
    with api.name_scope("other"):
        with api.variable_scope("v", reuse=True):
            try_var(api, rec, "v/w reuse in other ns", "w")
        with api.variable_scope("v"):
            try_var(api, rec, "v/w create in other ns", "w")
    final(api, rec)


@program
def prog_r16_shape_mismatch(api, rec):
    try_var(api, rec, "create (3,4)", "w", shape=(3, 4))
    try_var(api, rec, "create () scalar", "s", shape=())
    try_var(api, rec, "create (1,)", "o", shape=(1,))
    with api.variable_scope("", reuse=True):
        try_var(api, rec, "reuse (3,5)", "w", shape=(3, 5))
        try_var(api, rec, "reuse (3,4)", "w", shape=(3, 4))
        try_var(api, rec, "reuse (4,3)", "w", shape=(4, 3))
        try_var(api, rec, "reuse (3,4,1)", "w", shape=(3, 4, 1))
        try_var(api, rec, "reuse s as (1,)", "s", shape=(1,))
        try_var(api, rec, "reuse o as ()", "o", shape=())
        try_var(api, rec, "reuse s as ()", "s", shape=())
    with api.variable_scope("", reuse=api.AUTO_REUSE):
        try_var(api, rec, "auto (3,5)", "w", shape=(3, 5))
        try_var(api, rec, "auto s as (1,)", "s", shape=(1,))
        try_var(api, rec, "auto (3,4)", "w", shape=(3, 4))
    final(api, rec)


@program
def prog_r16_shape_none(api, rec):
    try_var(api, rec, "create shape=None", "n", shape=None)
    try_var(api, rec, "create (2,2)", "w", shape=(2, 2))
    with api.variable_scope("", reuse=True):
        try_var(api, rec, "reuse shape=None", "w", shape=None)
        try_var(api, rec, "reuse missing shape=None", "n", shape=None)
    with api.variable_scope("", reuse=api.AUTO_REUSE):
        try_var(api, rec, "auto reuse shape=None", "w", shape=None)
        try_var(api, rec, "auto create shape=None", "m", shape=None)
    final(api, rec)


@program
def prog_r16_dtype_mismatch(api, rec):
    try_var(api, rec, "create f32", "a", dtype="float32")
    try_var(api, rec, "create f64", "b", dtype="float64")
    try_var(api, rec, "create i32", "c", dtype="int32")
    try_var(api, rec, "create dtype not given", "d", dtype=None)
    with api.variable_scope("", reuse=True):
        try_var(api, rec, "a as f64", "a", dtype="float64")
        try_var(api, rec, "a as not given", "a", dtype=None)
        try_var(api, rec, "b as f32", "b", dtype="float32")
        try_var(api, rec, "b as not given", "b", dtype=None)
        try_var(api, rec, "b as f64", "b", dtype="float64")
        try_var(api, rec, "c as f32", "c", dtype="float32")
        try_var(api, rec, "c as i32", "c", dtype="int32")
        try_var(api, rec, "d as f32", "d", dtype="float32")
        try_var(api, rec, "b as f32 and bad shape", "b", dtype="float32", shape=(2,))
    final(api, rec)


@program
def prog_r16_name_validation_top(api, rec):
    bad_and_odd = ["_x", " a", "a b", "-a", ">a", ".a", "1a", "a-b>c.d", "a_", "a\\b"]
    for i, name in enumerate(bad_and_odd):
        try_vs(api, rec, f"vs {name!r}", name)
        rec(f"after vs #{i}", api.get_name_scope())
        try_ns(api, rec, f"ns {name!r}", name)
        try_var(api, rec, f"var {name!r}", name)
        try_tfvar(api, rec, f"tf.Variable {name!r}", name)
    try_vs(api, rec, "default_name '_d'", None, default_name="_d")
    try_vs(api, rec, "vs '_x' after all", "_x")
    final(api, rec)


@program
def prog_r16_name_validation_nested(api, rec):
    with api.variable_scope("m") as m:
        rec_scope(api, rec, "m", m)
        try_vs(api, rec, "m > '_x'", "_x")
        try_var(api, rec, "m > var '_w'", "_w")
        try_var(api, rec, "m > var ' w'", " w")
        try_ns(api, rec, "m > ns '_n'", "_n")
        try_ns(api, rec, "m > ns ' n'", " n")
        try_vs(api, rec, "m > ' x'", " x")
        try_tfvar(api, rec, "m > tf.Variable '_v'", "_v")
        try_vs(api, rec, "m > default '_d'", None, default_name="_d")
        rec("name scope after errors", api.get_name_scope())
    with api.name_scope("n"):
        try_var(api, rec, "n > var '_w' (top-level key)", "_w")
        try_vs(api, rec, "n > vs '_x'", "_x")
    with api.variable_scope("_ok", auxiliary_name_scope=False) as s:
        rec_scope(api, rec, "top '_ok' aux=False", s)
        try_var(api, rec, "'_ok' var", "w")
    final(api, rec)


@program
def prog_r16_constant_initializer(api, rec):
    try_var(
        api,
        rec,
        "create from constant",
        "c",
        shape=None,
        initializer=np.zeros((2,), np.float32),
    )
    try_var(
        api,
        rec,
        "constant with shape",
        "d",
        shape=(2,),
        initializer=np.zeros((2,), np.float32),
    )
    with api.variable_scope("", reuse=True):
        try_var(api, rec, "reuse (2,)", "c", shape=(2,))
        try_var(api, rec, "reuse (3,)", "c", shape=(3,))
        try_var(api, rec, "reuse None", "c", shape=None)
    final(api, rec)


# ---------------------------------------------------------------------------
# Walkthrough idioms
# ---------------------------------------------------------------------------


def _dense(api, rec, tag, name, n_in, n_out):
    with api.variable_scope(name, reuse=api.AUTO_REUSE) as s:
        rec_scope(api, rec, f"{tag} scope", s)
        k = try_var(api, rec, f"{tag} kernel", "kernel", shape=(n_in, n_out))
        b = try_var(api, rec, f"{tag} bias", "bias", shape=(n_out,))
        return [k, b]


@program
def prog_walk_dense_layer_auto_reuse(api, rec):
    _dense(api, rec, "fc1 call0", "fc1", 4, 8)
    _dense(api, rec, "fc1 call1", "fc1", 4, 8)
    _dense(api, rec, "fc2 call0", "fc2", 8, 2)
    _dense(api, rec, "fc1 call2 bad shape", "fc1", 4, 9)
    with api.variable_scope("tower"):
        _dense(api, rec, "tower fc1", "fc1", 4, 8)
    with api.variable_scope("tower"):
        _dense(api, rec, "tower fc1 again", "fc1", 4, 8)
    final(api, rec)


def _discriminator(api, rec, tag, scope_or_name, reuse):
    with api.variable_scope(scope_or_name, reuse=reuse) as s:
        rec_scope(api, rec, f"{tag} disc", s)
        for layer, shape in (("h0", (4, 8)), ("h1", (8, 1))):
            with api.variable_scope(layer) as h:
                rec_scope(api, rec, f"{tag} {layer}", h)
                try_var(api, rec, f"{tag} {layer}/w", "w", shape=shape)
                try_var(api, rec, f"{tag} {layer}/b", "b", shape=shape[1:])
        return s


@program
def prog_walk_gan_discriminator_by_object(api, rec):
    with api.variable_scope("generator") as g:
        rec_scope(api, rec, "generator", g)
        try_var(api, rec, "gen w", "w", shape=(2, 4))
    s = _discriminator(api, rec, "real", "discriminator", None)
    _discriminator(api, rec, "fake", s, True)
    _discriminator(api, rec, "fake again", s, True)
    rec("d_vars", api.trainable_names("discriminator"))
    rec("g_vars", api.trainable_names("generator"))
    final(api, rec)


@program
def prog_walk_gan_discriminator_by_name(api, rec):
    _discriminator(api, rec, "real", "discriminator", False)
    _discriminator(api, rec, "fake", "discriminator", True)
    _discriminator(api, rec, "third (no reuse)", "discriminator", None)
    final(api, rec)


@program
def prog_walk_rnn_unrolled(api, rec):
    with api.variable_scope("rnn") as scope:
        rec_scope(api, rec, "rnn", scope)
        for t in range(4):
            if t > 0:
                scope.reuse_variables()
            rec(f"t{t} rnn reuse", api.reuse_str(scope.reuse))
            with api.variable_scope("cell") as cell:
                rec_scope(api, rec, f"t{t} cell", cell)
                try_var(api, rec, f"t{t} W", "W", shape=(3, 3))
                try_var(api, rec, f"t{t} b", "b", shape=(3,))
                with api.name_scope("ops") as ns:
                    rec(f"t{t} ns ops", ns)
    final(api, rec)


@program
def prog_walk_rnn_reuse_flag(api, rec):
    for t in range(3):
        with api.variable_scope("cell", reuse=(t > 0)) as cell:
            rec_scope(api, rec, f"t{t} cell", cell)
            try_var(api, rec, f"t{t} W", "W", shape=(3, 3))
    final(api, rec)


@program
def prog_walk_name_scope_layer1(api, rec):
    with api.name_scope("layer1") as ns:
        rec("ns layer1", ns)
        try_var(api, rec, "get_variable w", "w")
        try_tfvar(api, rec, "tf.Variable W", "W")
        rec_scope(api, rec, "current vs", api.get_variable_scope())
    with api.variable_scope("layer1") as s:
        rec_scope(api, rec, "vs layer1", s)
        try_var(api, rec, "vs layer1 w", "w")
    final(api, rec)


@program
def prog_walk_reuse_true_missing(api, rec):
    with api.variable_scope("foo", reuse=True) as s:
        rec_scope(api, rec, "foo reuse", s)
        try_var(api, rec, "missing v", "v")
    with api.variable_scope("foo"):
        try_var(api, rec, "create v", "v")
    with api.variable_scope("foo", reuse=True):
        try_var(api, rec, "reuse v", "v")
        try_var(api, rec, "still missing u", "u")
    final(api, rec)


@program
def prog_walk_create_twice(api, rec):
    with api.variable_scope("foo"):
        try_var(api, rec, "first", "v")
        try_var(api, rec, "second", "v")
    with api.variable_scope("foo"):
        try_var(api, rec, "third (new entry)", "v")
        try_var(api, rec, "other name", "u")
    try_var(api, rec, "top first", "v")
    try_var(api, rec, "top second", "v")
    final(api, rec)


@program
def prog_walk_conv_blocks(api, rec):
    for block in ("block1", "block2"):
        with api.name_scope(block) as ns:
            rec(f"{block} ns", ns)
            for conv in ("conv1", "conv2"):
                with api.variable_scope(f"{block}/{conv}") as s:
                    rec_scope(api, rec, f"{block}/{conv}", s)
                    try_var(api, rec, f"{block}/{conv} w", "w", shape=(3, 3, 4, 4))
                    try_var(api, rec, f"{block}/{conv} b", "b", shape=(4,))
    with api.name_scope("block1") as ns:
        rec("block1 ns again", ns)
        with api.variable_scope("block1/conv1", reuse=True) as s:
            rec_scope(api, rec, "block1/conv1 reuse", s)
            try_var(api, rec, "block1/conv1 w reuse", "w", shape=(3, 3, 4, 4))
    with api.variable_scope("block1") as b:
        rec_scope(api, rec, "vs block1", b)
        with api.variable_scope("conv1", reuse=True) as c:
            rec_scope(api, rec, "vs block1 > conv1", c)
            try_var(api, rec, "block1 > conv1 w", "w", shape=(3, 3, 4, 4))
    rec("block1 vars", api.global_names("block1"))
    final(api, rec)


@program
def prog_walk_frozen_vars(api, rec):
    with api.variable_scope("backbone"):
        try_var(
            api,
            rec,
            "frozen w",
            "w",
            shape=(3, 3),
            trainable=False,
            collections=[api.GLOBAL_VARIABLES, "FROZEN_VARS"],
        )
        try_var(api, rec, "frozen-only b", "b", collections=["FROZEN_VARS"])
    with api.variable_scope("head"):
        try_var(api, rec, "head w", "w", shape=(3, 1))
    rec("FROZEN_VARS", api.collection_names("FROZEN_VARS"))
    rec("FROZEN_VARS backbone", api.collection_names("FROZEN_VARS", scope="backbone"))
    rec("trainable head", api.trainable_names("head"))
    rec("global backbone", api.global_names("backbone"))
    final(api, rec)


# ---------------------------------------------------------------------------
# tf.Variable-style variables
# ---------------------------------------------------------------------------


@program
def prog_tfvar_uniquify(api, rec):
    try_tfvar(api, rec, "W #0", "W")
    try_tfvar(api, rec, "W #1", "W")
    try_var(api, rec, "get_variable W", "W")
    try_tfvar(api, rec, "W #2", "W")
    try_var(api, rec, "get_variable W again", "W")
    try_tfvar(api, rec, "w lower", "w")
    try_tfvar(api, rec, "default #0", None)
    try_tfvar(api, rec, "default #1", None)
    try_tfvar(api, rec, "explicit Variable", "Variable")
    try_ns(api, rec, "ns W", "W")
    final(api, rec)


@program
def prog_tfvar_then_get_variable(api, rec):
    try_tfvar(api, rec, "tf.Variable v", "v")
    try_var(api, rec, "get_variable v", "v")
    try_var(api, rec, "get_variable v again", "v")
    with api.variable_scope("", reuse=True):
        try_var(api, rec, "reuse v", "v")
        try_var(api, rec, "reuse v_1 (graph name)", "v_1")
    final(api, rec)


@program
def prog_tfvar_in_scopes(api, rec):
    with api.variable_scope("vs") as s:
        try_tfvar(api, rec, "in vs", "V")
        try_tfvar(api, rec, "in vs again", "V")
        try_var(api, rec, "get_variable V in vs", "V")
    with api.variable_scope("vs", reuse=True):
        try_tfvar(api, rec, "in vs reuse (creates)", "V")
        try_var(api, rec, "get_variable V reuse", "V")
    with api.variable_scope(s):
        try_tfvar(api, rec, "in vs reopened", "V")
    with api.name_scope("ns"):
        try_tfvar(api, rec, "in ns", "V")
        try_tfvar(api, rec, "in ns default", None)
        with api.variable_scope("vs2"):
            try_tfvar(api, rec, "in ns/vs2", "V")
    try_tfvar(api, rec, "slash name", "x/y")
    try_tfvar(api, rec, "slash name again", "x/y")
    final(api, rec)


@program
def prog_tfvar_names_block_scopes(api, rec):
    try_tfvar(api, rec, "tf.Variable enc", "enc")
    with api.variable_scope("enc") as s:
        rec_scope(api, rec, "vs enc", s)
        try_var(api, rec, "enc/w", "w")
    try_tfvar(api, rec, "tf.Variable enc again", "enc")
    try_ns(api, rec, "ns enc", "enc")
    final(api, rec)
