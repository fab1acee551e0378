"""Property tests: random scoping programs obey invariants at init and apply."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scopejax as sj

NAMES = st.sampled_from(["a", "b", "A", "enc", "enc_1", "x/y", "w"])
REUSE = st.sampled_from([None, False, True, "auto"])

# a program is a list of instructions; nested blocks are lists
instr = st.recursive(
    st.one_of(
        st.tuples(st.just("var"), NAMES, st.integers(1, 3)),
        st.tuples(st.just("tfvar"), NAMES),
    ),
    lambda children: st.one_of(
        st.tuples(st.just("vs"), NAMES, REUSE, st.lists(children, max_size=4)),
        st.tuples(st.just("ns"), NAMES, st.lists(children, max_size=4)),
        st.tuples(st.just("default"), NAMES, st.lists(children, max_size=4)),
    ),
    max_leaves=12,
)


def run(program, log):
    for ins in program:
        kind = ins[0]
        if kind == "var":
            try:
                v = sj.get_variable(ins[1], [ins[2]])
                log.append(("var", sj.variable_handle(v).name, v.shape))
            except ValueError as e:
                log.append(("error", type(e).__name__, str(e).split(".")[0]))
        elif kind == "tfvar":
            v = sj.Variable(np.zeros(2, np.float32), name=ins[1])
            log.append(("tfvar", sj.variable_handle(v).name))
        elif kind == "vs":
            reuse = sj.AUTO_REUSE if ins[2] == "auto" else ins[2]
            with sj.variable_scope(ins[1], reuse=reuse) as s:
                log.append(("vs", s.name, s.original_name_scope, sj.get_name_scope()))
                run(ins[3], log)
        elif kind == "ns":
            with sj.name_scope(ins[1]) as ns:
                log.append(("ns", ns))
                run(ins[2], log)
        else:
            with sj.variable_scope(None, default_name=ins[1]) as s:
                log.append(("default", s.name, sj.get_name_scope()))
                run(ins[2], log)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instr, max_size=6))
def test_init_and_apply_run_the_same_rules(program):
    logs = []

    def f():
        log = []
        run(program, log)
        logs.append(log)
        return [v.name for v in sj.global_variables()]

    net = sj.transform(f)
    store = net.init(jax.random.key(0))
    names = net.apply(store)
    init_log, apply_log = logs
    assert init_log == apply_log  # same names, scopes and errors at init and apply
    assert sorted(names) == store.names()
    lowered = [n.lower() for n in names]
    assert len(set(lowered)) == len(lowered)  # graph names are unique, case-insensitively
    for n in names:
        assert store[n].shape == store.info(n).shape


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_stable_hash_is_a_32_bit_function_of_the_name(name):
    h = sj.stable_hash(name)
    assert 0 <= h < 2**32 and h == sj.stable_hash(name)
