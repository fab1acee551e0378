"""Checkpoint reliability under hostile use (issue 11): 64-bit values under JAX's 32-bit
default, two processes saving to the same paths, FIFOs in place of checkpoint files,
absurd numbers in metadata and bundles, and the command line's failure modes."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scopejax as sj
from scopejax import checkpoint as ck
from scopejax._src.checkpoint import save as _save
from scopejax._src.checkpoint.cli import main as cli
from scopejax._src.checkpoint.format import meta_sha256

FIXTURES = pathlib.Path(__file__).parent / "checkpoint_fixtures"
REPO = pathlib.Path(__file__).parent.parent


# -- two processes saving to the same paths ---------------------------------------------------
RACER = textwrap.dedent(
    """
    import json, os, sys, time
    t0 = time.monotonic()
    import numpy as np
    import orbax.checkpoint
    from scopejax import checkpoint as ck

    tag, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    other = "B" if tag == "A" else "A"

    def meet(name):  # both writers start each save together (a barrier through files)
        open(os.path.join(root, f"{name}-{tag}"), "w").close()
        deadline = time.monotonic() + 20
        while not os.path.exists(os.path.join(root, f"{name}-{other}")):
            if time.monotonic() > deadline:
                sys.exit(f"writer {other} never reached {name}")
            time.sleep(0.0002)

    print("imported", time.monotonic() - t0, flush=True)
    meet("ready")
    t1 = time.monotonic()
    results = []
    for i in range(n):
        mode = ("keep", "overwrite")[i % 2]
        meet(f"at/{i}")
        if tag == "AB"[i % 2]:  # one writer starts a little later: each phase of a save races
            time.sleep(i % 5 * 0.008)
        value = np.full(64, ord(tag) * 1000 + i, np.float32)
        try:
            ck.save(os.path.join(root, f"c{i}"), {"w": value}, metadata={"writer": tag},
                    overwrite=mode == "overwrite")
            results.append([mode, i, "done", ""])
        except ck.CheckpointError as e:
            results.append([mode, i, "refused", str(e)])
        except BaseException as e:
            results.append([mode, i, "other", f"{type(e).__name__}: {e}"])
    with open(os.path.join(root, "result-" + tag), "w") as f:
        json.dump(results, f)
    print("saved", time.monotonic() - t1, flush=True)
    """
)


def _run_racers(root: pathlib.Path, n: int, timeout: float = 60) -> dict[str, list]:
    """Start writers A and B, release them together, collect what each says it did."""
    script = root / "racer.py"
    script.write_text(RACER)
    (root / "at").mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = {}
    for tag in "AB":
        log = open(root / f"log-{tag}", "w")  # noqa: SIM115 - closed below
        procs[tag] = (
            subprocess.Popen(
                [sys.executable, str(script), tag, str(root), str(n)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log,
        )
    deadline = time.monotonic() + timeout
    try:
        for tag, (p, _) in procs.items():
            try:
                p.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(_logs(root, f"writer {tag} did not finish in {timeout} s"))
            assert p.returncode == 0, _logs(root, f"writer {tag} exited with {p.returncode}")
    finally:
        for p, log in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
    return {t: json.loads((root / f"result-{t}").read_text()) for t in "AB"}


def _logs(root: pathlib.Path, what: str) -> str:
    logs = "\n".join(
        f"--- writer {t} ---\n{(root / f'log-{t}').read_text()[-3000:]}"
        for t in "AB"
        if (root / f"log-{t}").exists()
    )
    return f"{what}\n{logs}"


@pytest.mark.slow  # two fresh processes importing JAX and orbax: about 5 s in all
def test_two_processes_saving_the_same_paths(tmp_path):
    """Every save reported done restores to its values (overwrites: to one writer's that
    reported done); every refusal is a CheckpointError naming why; nothing is left over."""
    n = 25
    results = _run_racers(tmp_path, n)
    others = [r for rs in results.values() for r in rs if r[2] == "other"]
    assert not others, others
    done: dict[tuple[str, int], set[str]] = {}
    for tag, rs in results.items():
        for mode, i, outcome, msg in rs:
            if outcome == "done":
                done.setdefault((mode, i), set()).add(tag)
                continue
            if mode == "keep" and "already exists" in msg:
                continue
            assert "is being saved by another writer" in msg, msg
            assert f"c{i} is" in msg and "pid " in msg and "host " in msg, msg
    for i in range(n):
        mode = ("keep", "overwrite")[i % 2]
        writers = done.get((mode, i), set())
        if mode == "keep":
            assert len(writers) == 1, (i, writers)
        assert writers, i
        got = ck.restore(tmp_path / f"c{i}")
        writer = got.metadata["writer"]
        assert writer in writers, (i, writer, writers)
        np.testing.assert_array_equal(got.store["w"], np.full(64, ord(writer) * 1000 + i))
    saved = {f"c{i}" for i in range(n)}
    ours = {"racer.py", "at"} | {f"{f}-{t}" for f in ("ready", "result", "log") for t in "AB"}
    assert {p.name for p in tmp_path.iterdir()} == saved | ours  # no staging, no locks


# -- 64-bit values under JAX's 32-bit default --------------------------------------------------
DTYPES = [
    np.dtype(n)
    for n in (
        "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 "
        "complex64 complex128"
    ).split()
] + [
    np.dtype(getattr(ml_dtypes, n))
    for n in (
        "bfloat16 float8_e4m3fn float8_e5m2 float8_e4m3fnuz float8_e5m2fnuz float8_e4m3b11fnuz "
        "int4 uint4"
    ).split()
]
NARROW = {
    np.dtype(a): np.dtype(b)
    for a, b in (
        ("int64", "int32"),
        ("uint64", "uint32"),
        ("float64", "float32"),
        ("complex128", "complex64"),
    )
}
WIDE = {  # per 64-bit dtype, values that 32 bits cannot hold
    "int64": [2**40 + 1, -(2**63), 2**63 - 1],
    "uint64": [2**64 - 1, 2**32],
    "float64": [1e300, 0.1, -5e-324],
    "complex128": [1e300 + 0.1j],
}


class TrainState(NamedTuple):
    store: sj.Store
    opt_state: dict
    step: object


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a)).reshape(-1).view(np.uint8)


def _exact(got, want: np.ndarray, x64: bool) -> bool:
    """``got`` holds ``want``'s values bit for bit (as 32 bits where JAX narrowed them)."""
    got = np.asarray(got)
    if got.dtype != want.dtype:
        if x64 or NARROW.get(want.dtype) != got.dtype:
            return False
        got = got.astype(want.dtype)
    return got.shape == want.shape and np.array_equal(_bits(got), _bits(want))


def _fits(want: np.ndarray, x64: bool) -> bool:
    """JAX (in this mode) can hold ``want`` exactly."""
    if x64 or want.dtype not in NARROW:
        return True
    with np.errstate(all="ignore"):
        return np.array_equal(
            _bits(want.astype(NARROW[want.dtype]).astype(want.dtype)), _bits(want)
        )


def _read_paths(ckpt: pathlib.Path, store: sj.Store) -> dict:
    """Every way a checkpoint reaches JAX: name -> a function giving {name: array}."""
    state = TrainState(store, {"mu": store.flat()}, 0)

    def into_state():
        got = ck.restore(ckpt, target=state)
        return {**got.store.flat(), **{f"mu/{k}": v for k, v in got.opt_state["mu"].items()}}

    def no_target():
        got = ck.restore(ckpt)
        return {**got.store.flat(), **{f"mu/{k}": v for k, v in got.opt_state["mu"].items()}}

    return {
        "restore": no_target,
        "restore(target=Store)": lambda: ck.restore(ckpt, target=store).flat(),
        "restore(target=TrainState)": into_state,
        "init_from_checkpoint": lambda: ck.init_from_checkpoint(ckpt, None, store)[0].flat(),
    }


def _check_every_path(ckpt, store, values: dict[str, np.ndarray], x64: bool) -> None:
    """Each read path gives every value bit for bit, or (64-bit mode off, a value that 32 bits
    cannot hold) a CheckpointError naming one such value, its dtype and the x64 switch."""
    lossy = {n for n, v in values.items() if not _fits(v, x64)}
    for how, read in _read_paths(ckpt, store).items():
        if not lossy:
            got = read()
            for n, want in values.items():
                assert _exact(got[n], want, x64), (how, n, got[n], want)
                if how in ("restore", "restore(target=TrainState)"):  # the optimizer state too
                    assert _exact(got[f"mu/{n}"], want, x64), (how, "mu", n)
            continue
        with pytest.raises(ck.CheckpointError) as info:
            read()
        msg = str(info.value)
        named = [n for n in lossy if f"'{n}'" in msg or f"['{n}']" in msg]
        assert named, (how, msg)
        assert f"is {values[named[0]].dtype.name} and its value" in msg, msg
        assert 'jax.config.update("jax_enable_x64", True)' in msg and "JAX_ENABLE_X64=1" in msg


def _save_all(path, values: dict[str, np.ndarray]) -> tuple[pathlib.Path, sj.Store]:
    store = sj.Store(values)
    return ck.save(path, TrainState(store, {"mu": store.flat()}, 7)), store


@pytest.mark.parametrize("x64", [False, True], ids=["x64_off", "x64_on"])
@pytest.mark.slow
def test_every_dtype_round_trips_bit_for_bit_on_every_read_path(tmp_path, x64):
    rng = np.random.default_rng(0)
    fine = {}
    for dt in DTYPES:  # random bits (NaN payloads, subnormals...); 64-bit: what 32 bits hold
        src = NARROW.get(dt, dt) if not x64 else dt
        if dt == np.bool_:
            v = rng.integers(0, 2, 5).astype(bool)
        else:
            v = rng.integers(0, 256, 5 * src.itemsize, dtype=np.uint8).view(src)
            if dt.name in ("int4", "uint4"):
                v = (v.view(np.uint8) & 7).view(dt)
        fine[f"v_{dt.name}"] = v.astype(dt)
    with jax.enable_x64(x64):
        assert all(_fits(v, x64) for v in fine.values())
        ckpt, store = _save_all(tmp_path / "fine", fine)
        _check_every_path(ckpt, store, fine, x64)
        for name, wide in WIDE.items():
            values = {f"v_{name}": np.array(wide, name), "v_ok": np.arange(3, dtype=name)}
            ckpt, store = _save_all(tmp_path / name, values)
            assert x64 or not _fits(values[f"v_{name}"], x64)
            _check_every_path(ckpt, store, values, x64)
            np.testing.assert_array_equal(ck.load_variables(ckpt)[f"v_{name}"], values[f"v_{name}"])


@st.composite
def _one_value(draw):
    dt = draw(st.sampled_from(list(NARROW)) | st.sampled_from(DTYPES))  # 64-bit half the time
    n = draw(st.integers(0, 4))
    src = dt
    if dt in NARROW and draw(st.booleans()):  # a value 32 bits can hold, widened
        src = NARROW[dt]
    if dt == np.bool_:
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    raw = draw(st.binary(min_size=n * src.itemsize, max_size=n * src.itemsize))
    v = np.frombuffer(raw, np.uint8).copy()
    if dt.name in ("int4", "uint4"):
        v &= 7
    with np.errstate(all="ignore"):
        return v.view(src).astype(dt)


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_one_value(), x64=st.booleans())
def test_any_value_is_exact_or_a_clear_error_on_every_read_path(tmp_path, value, x64):
    with jax.enable_x64(x64):
        ckpt, store = _save_all(tmp_path / f"c{uuid.uuid4().hex}", {"x": value, "y": np.ones(2)})
        _check_every_path(ckpt, store, {"x": value}, x64)


def test_the_step_is_exact_or_a_clear_error(tmp_path):
    store = sj.Store({"w": np.ones(2, np.float32)})
    ckpt = ck.save(tmp_path / "c", TrainState(store, None, 2**40))
    assert ck.restore(ckpt).step == 2**40
    assert ck.restore(ckpt, target=TrainState(store, None, 0)).step == 2**40  # a Python int
    with pytest.raises(ck.CheckpointError, match=r"the step is int64 .* 1099511627776 .*int32"):
        ck.restore(ckpt, target=TrainState(store, None, jnp.zeros((), jnp.int32)))
    small = ck.save(tmp_path / "s", TrainState(store, None, 1000))
    step = ck.restore(small, target=TrainState(store, None, jnp.zeros((), jnp.int32))).step
    assert step.dtype == jnp.int32 and int(step) == 1000


TF_DTYPES = FIXTURES / "dtypes"


def _tf_expected(case: str) -> dict[str, np.ndarray]:
    meta = json.loads((FIXTURES / case / "expected.json").read_text())
    arrays = np.load(FIXTURES / case / "expected.npz", allow_pickle=False)
    out = {}
    for row in meta["tensors"]:
        if "key" in row:
            v = arrays[row["key"]]
            out[row["name"]] = v.view(DTYPE_BY_NAME[row["dtype"]]) if row.get("bits") else v
    return out


DTYPE_BY_NAME = {d.name: d for d in DTYPES}


@pytest.mark.parametrize("x64", [False, True], ids=["x64_off", "x64_on"])
def test_tensorflow_bundles_are_exact_or_a_clear_error(x64):
    """The TF dtypes fixture holds int64 -2**63, uint64 max, float64 and complex128 values
    that 32 bits cannot hold: with 64-bit mode off, each is refused by name."""
    want = _tf_expected("dtypes")
    prefix = TF_DTYPES / "dtypes.ckpt"
    lossy = {n for n, v in want.items() if not _fits(v, x64)}
    assert lossy == (set() if x64 else {"int64", "uint64", "float64", "complex128"})
    with jax.enable_x64(x64), pytest.warns(UserWarning, match="string tensors left out"):
        if lossy:
            with pytest.raises(ck.CheckpointError, match="jax_enable_x64") as info:
                ck.restore(prefix)
            assert any(f"variable '{n}' is" in str(info.value) for n in lossy), info.value
        else:
            got = ck.restore(prefix).store
            assert all(_exact(got[n], v, x64) for n, v in want.items())
    with jax.enable_x64(x64):
        for n, v in want.items():  # one at a time: every dtype through init_from_checkpoint
            target = sj.Store({n: np.zeros(v.shape, v.dtype)})
            if n in lossy:
                with pytest.raises(ck.CheckpointError, match=f"tensor '{n}' is {v.dtype.name}"):
                    ck.init_from_checkpoint(prefix, {n: n}, target)
            else:
                got, report = ck.init_from_checkpoint(prefix, {n: n}, target)
                assert report.restored == {n: n} and _exact(got[n], v, x64), n
        step, _ = ck.init_from_checkpoint(  # a TF1 int64 global_step of 2 fits in 32 bits
            FIXTURES / "tf1_model",
            ["global_step"],
            sj.Store({"global_step": np.zeros((), np.int64)}),
            include_slots=True,
        )
        assert int(step["global_step"]) == 2


# -- files that are not regular files ----------------------------------------------------------
@contextlib.contextmanager
def _no_hang(fifos: list[pathlib.Path], seconds: int = 20):
    """Fail (not hang) if a read blocks: on SIGALRM, open each FIFO's write end, which
    releases a reader blocked in open() in any thread, and raise in the main thread."""

    def alarm(signum, frame):
        for f in fifos:
            with contextlib.suppress(OSError):
                os.close(os.open(f, os.O_WRONLY | os.O_NONBLOCK))
        raise TimeoutError(f"a checkpoint read blocked on a FIFO for {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _fifo_in_place_of(f: pathlib.Path) -> pathlib.Path:
    f.unlink()
    os.mkfifo(f)
    return f


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    return ck.save(root / "good", {"w": np.arange(6.0).reshape(2, 3), "b": np.ones(3)})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("which", ["arrays/manifest.ocdbt", "arrays/_METADATA", "data"])
def test_a_fifo_inside_a_checkpoint_is_refused_not_waited_on(small_checkpoint, tmp_path, which):
    path = pathlib.Path(shutil.copytree(small_checkpoint, tmp_path / "c"))
    if which == "data":
        which = str(next((path / "arrays").rglob("d/*")).relative_to(path))
    fifo = _fifo_in_place_of(path / which)
    pattern = re.escape(f"{fifo} is a named pipe (FIFO), not a regular file")
    with _no_hang([fifo]):
        for read in (ck.restore, ck.load_variables, ck.list_variables):
            with pytest.raises(ck.CheckpointCorruptError, match=pattern):
                read(path)
        with pytest.raises(ck.CheckpointCorruptError, match=pattern):
            ck.init_from_checkpoint(path, None, sj.Store({"w": np.zeros((2, 3))}))
    assert cli(["ls", str(path)]) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("which", ["index", "data", "state"])
def test_a_fifo_in_a_tensorflow_bundle_is_refused_not_waited_on(tmp_path, which, capsys):
    d = pathlib.Path(shutil.copytree(FIXTURES / "tf1_model", tmp_path / "tf"))
    name = {"index": "model.ckpt-2.index", "data": "model.ckpt-2.data-00000-of-00001"}
    fifo = _fifo_in_place_of(d / name.get(which, "checkpoint"))
    pattern = re.escape(f"{fifo} is a named pipe (FIFO), not a regular file")
    with _no_hang([fifo]):
        for p in (d, d / "model.ckpt-2"):
            if which == "state" and p != d:
                continue  # the state file is read only for a directory
            for read in (ck.restore, ck.load_variables):
                with pytest.raises(ck.CheckpointCorruptError, match=pattern):
                    read(p)
        assert cli(["verify", str(d)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "named pipe (FIFO)" in err


# -- absurd numbers -------------------------------------------------------------------------------
def test_metadata_with_a_five_thousand_digit_number(small_checkpoint, tmp_path, capsys):
    path = pathlib.Path(shutil.copytree(small_checkpoint, tmp_path / "c"))
    meta = path / "scopejax" / "scopejax.json"
    d = json.loads(meta.read_text())
    text = json.dumps(d).replace('"nbytes": 48', '"nbytes": ' + "9" * 5000, 1)
    assert text != json.dumps(d)
    meta.write_text(text)
    pattern = re.escape(f"{meta}: field variables[1].nbytes holds an integer of 5000 digits")
    for read in (ck.restore, ck.list_variables, ck.load_variables):
        with pytest.raises(ck.CheckpointCorruptError, match=pattern):
            read(path)
    assert cli(["ls", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and out.err.startswith("error: Checkpoint")


def test_a_step_past_64_bits_is_refused(small_checkpoint, tmp_path):
    path = pathlib.Path(shutil.copytree(small_checkpoint, tmp_path / "c"))
    meta = path / "scopejax" / "scopejax.json"
    d = json.loads(meta.read_text())
    d["step"] = 2**80
    d["meta_sha256"] = meta_sha256(d)  # a well-formed file, checksum and all: still refused
    meta.write_text(json.dumps(d))
    store = sj.Store({"w": np.zeros((2, 3)), "b": np.zeros(3)})
    for read in (ck.restore, lambda p: ck.restore(p, target=TrainState(store, None, 0))):
        with pytest.raises(ck.CheckpointCorruptError, match="'step' must be null or an integer"):
            read(path)


def test_a_tensorflow_entry_of_rank_65(tmp_path, capsys):
    from test_tf_bundle import DATA, bundle, entry_proto

    pre = bundle(tmp_path, [(b"w", entry_proto(dims=(1,) * 65, size=4, data=DATA))], DATA)
    for read in (ck.list_variables, ck.load_variables, ck.restore):
        with pytest.raises(ck.CheckpointCorruptError, match=r"h\.ckpt\.index.*'w' has rank 65"):
            read(pre)
    assert cli(["ls", str(pre)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


# -- one writer per path, in one process ------------------------------------------------------
def test_a_save_of_a_path_being_saved_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "c"
    lock = tmp_path / "c.scopejax-lock"
    with _save.writing(path):  # another writer (here: this process, as a thread would)
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        who = rf"another writer \(pid {os.getpid()} on host .+, since .+\)"
        with pytest.raises(
            ck.CheckpointError, match=rf"{re.escape(str(path))} is being saved by {who}"
        ):
            ck.save(path, {"w": np.ones(2)})
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.scopejax-lock"]
    assert not lock.exists()  # released and removed
    ck.save(path, {"w": np.ones(2)})
    lock.write_text('{"pid": 1}')  # left by a writer that died: no lock is held on it
    ck.save(path, {"w": np.zeros(2)}, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]
    np.testing.assert_array_equal(ck.restore(path).store["w"], np.zeros(2))


def test_a_manager_leaves_a_step_another_writer_holds_alone(tmp_path):
    d = tmp_path / "steps"
    store = {"w": np.ones(2, np.float32)}
    mgr = ck.CheckpointManager(d, max_to_keep=1)
    mgr.save(0, store)
    staging = d / "1.scopejax-tmp-0123abcd"  # another writer's save of step 1, under way
    with _save.writing(d / "1"):
        staging.mkdir()
        ck.CheckpointManager(d)  # its cleanup must not touch it
        assert staging.exists()
        with pytest.raises(ck.CheckpointError, match="being saved by another writer"):
            mgr.save(1, store)
        with _save.writing(d / "0"):  # step 0 busy too: not deleted under its writer
            mgr.save(2, store)
            assert mgr.steps() == [0, 2]
        later = ck.CheckpointManager(d, max_to_keep=1, async_save=True)
        later.save(1, store)  # async: the refusal surfaces on wait()
        with pytest.raises(ck.CheckpointError, match="being saved by another writer"):
            later.wait()
    (d / "7.scopejax-lock").write_text("{}")  # a writer that died before staging anything
    ck.CheckpointManager(d)  # now free: the dead writer's leftovers go
    assert sorted(p.name for p in d.iterdir()) == ["0", "2"]
    mgr.save(3, store)
    assert mgr.steps() == [3]


def test_rounding_a_64_bit_value_on_purpose(tmp_path):
    ckpt = ck.save(tmp_path / "c", {"x": np.array([0.1, 2**40 + 0.5])})
    with pytest.raises(ck.CheckpointError, match=r"cast=True\) into a 32-bit store"):
        ck.restore(ckpt)
    target = sj.Store({"x": np.zeros(2, np.float32)})
    got, report = ck.init_from_checkpoint(ckpt, None, target, cast=True)
    assert report.cast == {"x": ("float64", "float32")}
    np.testing.assert_array_equal(got["x"], np.array([0.1, 2**40 + 0.5], np.float32))
    np.testing.assert_array_equal(ck.load_variables(ckpt)["x"], [0.1, 2**40 + 0.5])
