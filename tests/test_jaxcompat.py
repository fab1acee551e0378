"""JAX's private API is used in one module only, and this test fails loudly, naming the
hook, when a JAX release moves one of them (scopejax then runs on its fallback)."""

from __future__ import annotations

import pathlib
import re

import jax
import jax.numpy as jnp

from scopejax._src.core import jaxcompat

ROOT = pathlib.Path(__file__).resolve().parents[1] / "scopejax"


def test_every_private_jax_hook_is_present():
    assert jaxcompat.MISSING == [], (
        f"JAX {jax.__version__} moved {jaxcompat.MISSING}: scopejax runs on the fallbacks "
        "(see scopejax/_src/core/jaxcompat.py); update the pins there."
    )


def test_hooks_behave_as_pinned():
    assert jaxcompat.is_eager()
    seen = []
    jax.jit(lambda x: seen.append(jaxcompat.is_eager()) or x)(1.0)
    assert seen == [False]
    assert jaxcompat.x64_enabled() == bool(jax.config.read("jax_enable_x64"))
    closed = jax.make_jaxpr(lambda x: (jnp.sin(x) * 2.0, x + 1.0))(1.0)
    kept, ok = jaxcompat.dce_jaxpr(closed.jaxpr, 2)
    assert ok and len(kept.eqns) == len(closed.jaxpr.eqns)
    stack = jaxcompat.current_name_stack()
    with jax.named_scope("outer"):
        with jaxcompat.set_name_stack(stack.extend("abs")):
            text = jax.jit(lambda x: x * 2.0).lower(1.0).as_text(debug_info=True)
    assert text  # lowered under the replaced stack without error
    from jax.extend.core import get_opaque_trace_state, take_current_trace

    with take_current_trace() as trace:
        pass
    assert jaxcompat.current_trace() is trace
    here = get_opaque_trace_state()
    assert jaxcompat.same_trace(here)  # the fast path of Frame.check_trace is taken
    inner = []
    jax.jit(lambda x: inner.append(jaxcompat.same_trace(here)) or x)(1.0)
    assert inner == [False]


def test_no_other_module_imports_jax_private_api():
    private = re.compile(r"(?<![\w.])jax\._src\b|from jax import _src")
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if p.name != "jaxcompat.py" and private.search(p.read_text())
    ]
    assert offenders == []


def test_eqn_name_stack_reads_the_scopes():
    def f(x):
        with jax.named_scope("model"), jax.named_scope("l1"):
            return jnp.sin(x)

    (eqn,) = jax.make_jaxpr(f)(1.0).jaxpr.eqns
    assert jaxcompat.eqn_name_stack(eqn) == "model/l1", (
        f"JAX {jax.__version__}: JaxprEqn.source_info.name_stack moved; sj.summary's graph "
        "loses its name scopes (see eqn_name_stack in scopejax/_src/core/jaxcompat.py)."
    )
    assert jaxcompat.eqn_name_stack(object()) == ""
