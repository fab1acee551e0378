"""Context is thread-local: concurrent inits give the same stores as serial runs."""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj


def model(x, depth):
    for _ in range(depth):
        with sj.variable_scope(None, default_name="dense"):
            w = sj.get_variable("w", [x.shape[-1], 4])
            with sj.name_scope("act"):
                x = jnp.tanh(x @ w)
    return x, sj.get_name_scope(), [v.name for v in sj.global_variables()]


@pytest.mark.slow
def test_eight_threads_initialising_at_once_match_serial_runs():
    net = sj.transform(model)
    x = jnp.ones([2, 3])
    jobs = [(jax.random.key(i), 2 + i % 3) for i in range(8)]
    serial = [net.init(k, x, d) for k, d in jobs]
    results: list = [None] * 8
    errors: list = []
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            barrier.wait()
            k, d = jobs[i]
            for _ in range(3):
                results[i] = net.init(k, x, d)
                out, ns, names = net.apply(results[i], x, d)
                assert ns == "" and names == [
                    f"dense{'' if j == 0 else f'_{j}'}/w" for j in range(d)
                ]
        except BaseException as e:  # noqa: BLE001 - report in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for a, b in zip(serial, results, strict=True):
        assert a.names() == b.names()
        for n in a.names():
            np.testing.assert_array_equal(a[n], b[n])


def test_scopes_do_not_leak_between_threads():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def slow(x):
        with sj.variable_scope("slow"):
            inside.set()
            release.wait(10)
            return sj.get_variable_scope().name

    def other():
        seen["other"] = sj.transform(lambda: sj.get_variable_scope().name).apply({})

    t = threading.Thread(target=lambda: seen.__setitem__("slow", sj.transform(slow).apply({}, 1)))
    t.start()
    inside.wait(10)
    other()
    release.set()
    t.join()
    assert seen == {"slow": "slow", "other": ""}


def test_nothing_stale_after_an_exception():
    def broken():
        with sj.variable_scope("a"), sj.name_scope("b"):
            raise RuntimeError("boom")

    net = sj.transform(broken)
    for _ in range(2):
        try:
            net.init(jax.random.key(0))
        except RuntimeError:
            pass
    from scopejax._src.core.context import frame_stack

    assert frame_stack() == []
    assert sj.transform(lambda: sj.get_name_scope()).apply({}) == ""
