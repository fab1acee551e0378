"""Checkpoint safety: a process killed with SIGKILL in the middle of a save leaves the previous
checkpoint restorable; truncated, bit-flipped, malformed and hostile checkpoints give a
CheckpointError naming the file and what is wrong; nothing is imported or run from one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
from scopejax import checkpoint as ck
from scopejax._src.checkpoint.format import crc32c_hex, meta_sha256, sha256

# -- killed mid-save -------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys, numpy as np, scopejax as sj, scopejax.checkpoint as ck
    mode, target, progress = sys.argv[1:4]
    base = np.random.default_rng(0).standard_normal((4, 1 << 20)).astype(np.float32)  # 16 MB
    mgr = ck.CheckpointManager(target, max_to_keep=2) if mode == "manager" else None
    i = 0
    while True:
        store = sj.Store({f"layer{k}/w": base[k] + i for k in range(4)} | {"i": np.int32(i)})
        if mgr is None:
            ck.save(target, store, step=i, overwrite=True)
        else:
            mgr.save(i, store)
        with open(progress, "a") as f:
            f.write(f"{i}\\n")
        i += 1
    """
)


def _check_version(store: sj.Store, base: np.ndarray) -> int:
    i = int(store["i"])
    for k in range(4):
        np.testing.assert_array_equal(np.asarray(store[f"layer{k}/w"]), base[k] + i)
    return i


def _mid_save(root: Path) -> bool:
    """A save is being written now: orbax's temporary directory exists."""
    return any(".orbax-checkpoint-tmp" in p.name for p in root.iterdir())


@pytest.fixture(scope="module")
def killed_writers(tmp_path_factory):
    """Two writers (plain save with overwrite; a manager keeping 2 steps), each killed with
    SIGKILL while orbax is writing, after at least two complete saves."""
    root = tmp_path_factory.mktemp("killed")
    script = root / "writer.py"
    script.write_text(WRITER)
    runs = {}
    for mode in ("save", "manager"):
        d = root / mode
        d.mkdir()
        target = d / ("ckpt" if mode == "save" else "steps")
        progress = root / f"{mode}.progress"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
        proc = subprocess.Popen(
            [sys.executable, str(script), mode, str(target), str(progress)], env=env
        )
        runs[mode] = (proc, d if mode == "save" else target, target, progress)
    deadline = time.monotonic() + 90
    pending = dict(runs)
    while pending and time.monotonic() < deadline:
        for mode, (proc, watch, _, progress) in list(pending.items()):
            done = progress.read_text().split() if progress.exists() else []
            if len(done) >= 2 and watch.exists() and _mid_save(watch):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                pending.pop(mode)
        time.sleep(0.001)
    for proc, *_ in pending.values():
        proc.kill()
        proc.wait()
    assert not pending, "a writer never reached a second save"
    base = np.random.default_rng(0).standard_normal((4, 1 << 20)).astype(np.float32)
    return runs, base


@pytest.mark.slow
def test_killed_plain_save_leaves_the_previous_checkpoint(killed_writers):
    runs, base = killed_writers
    _, watch, target, progress = runs["save"]
    confirmed = int(progress.read_text().split()[-1])
    assert _mid_save(watch), "the kill did not land inside a save"
    got = ck.restore(target)
    assert _check_version(got.store, base) == confirmed == got.step
    # the next save cleans up after the killed one
    ck.save(target, {"w": jnp.ones(1)}, overwrite=True)
    assert sorted(p.name for p in watch.iterdir()) == ["ckpt"]


@pytest.mark.slow
def test_killed_manager_keeps_its_earlier_steps(killed_writers):
    runs, base = killed_writers
    _, _, steps_dir, progress = runs["manager"]
    confirmed = int(progress.read_text().split()[-1])
    mgr = ck.CheckpointManager(steps_dir, max_to_keep=2)  # cleans up the killed save's files
    assert mgr.steps()[-1] == confirmed and len(mgr.steps()) == 2
    for step in mgr.steps():
        assert _check_version(mgr.restore(step).store, base) == step
    assert sorted(p.name for p in steps_dir.iterdir()) == [str(s) for s in mgr.steps()]


def test_an_interrupted_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    from scopejax._src.checkpoint import orbax as _orbax

    path = ck.save(tmp_path / "c", {"w": jnp.zeros(2)})
    real = _orbax.write

    def dies_midway(p, arrays, meta):
        real(p, arrays, meta)
        (p / "arrays").rename(p / "half")  # something was written, then the process "died"
        raise KeyboardInterrupt

    monkeypatch.setattr(_orbax, "write", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        ck.save(path, {"w": jnp.ones(2)}, overwrite=True)
    np.testing.assert_array_equal(ck.restore(path).store["w"], np.zeros(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


# -- damaged files --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    rng = np.random.default_rng(0)
    store = sj.Store({"a/w": rng.standard_normal((64, 64)).astype(np.float32), "b": np.arange(10)})
    return ck.save(root / "good", store, opt_state={"mu": jnp.ones(3)}), store


@pytest.fixture
def copy(saved, tmp_path):
    good, _ = saved
    dst = tmp_path / "ckpt"
    shutil.copytree(good, dst)
    return dst


def _largest_array_file(path: Path) -> Path:
    files = [p for p in (path / "arrays").rglob("*") if p.is_file()]
    return max(files, key=lambda p: p.stat().st_size)


def _meta(path: Path) -> Path:
    return path / "scopejax" / "scopejax.json"


def test_a_flipped_bit_is_caught_by_the_checksum(copy, saved):
    f = _largest_array_file(copy)
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x04
    f.write_bytes(bytes(data))
    with pytest.raises(ck.CheckpointCorruptError) as e:
        ck.restore(copy)
    msg = str(e.value)
    assert str(copy) in msg and "variable 'a/w' fails its crc32c checksum" in msg
    got = ck.restore(copy, verify=False)  # loads, damaged, when asked to
    assert not np.array_equal(got.store["a/w"], saved[1]["a/w"])
    assert ck.load_variables(copy, ["b"])["b"].sum() == 45  # undamaged arrays still readable


def test_a_truncated_array_file(copy):
    f = _largest_array_file(copy)
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    with pytest.raises(ck.CheckpointCorruptError, match="reading its arrays .* failed") as e:
        ck.restore(copy)
    assert str(copy) in str(e.value)


def test_missing_pieces(copy):
    shutil.rmtree(copy / "arrays")
    with pytest.raises(ck.CheckpointCorruptError, match=f"Checkpoint {copy}: reading its arrays"):
        ck.restore(copy)
    _meta(copy).unlink()
    with pytest.raises(ck.CheckpointCorruptError, match="scopejax.json is missing"):
        ck.restore(copy)


def test_truncated_metadata(copy):
    m = _meta(copy)
    m.write_text(m.read_text()[:200])
    with pytest.raises(ck.CheckpointCorruptError, match="is not valid JSON.*truncated or corrupt"):
        ck.restore(copy)


def test_metadata_that_is_not_a_regular_file(copy):
    m = _meta(copy)
    m.unlink()
    m.symlink_to("/dev/zero")
    with pytest.raises(ck.CheckpointCorruptError, match="not a regular file"):
        ck.restore(copy)


def _edit(path: Path, fn, checksum: bool = True) -> None:
    """Change the metadata JSON with ``fn``; fix its checksum (so the edit itself is checked
    field by field) unless ``checksum=False``."""
    m = _meta(path)
    d = json.loads(m.read_text())
    fn(d)
    if checksum:
        d["meta_sha256"] = meta_sha256(d)
    m.write_text(json.dumps(d))


def test_changed_metadata_fails_its_checksum(copy, saved):
    _edit(copy, lambda d: d.update(step=8), checksum=False)  # was None: a plausible edit
    with pytest.raises(ck.CheckpointCorruptError, match=r"metadata fails its sha256 checksum"):
        ck.restore(copy)
    assert ck.restore(copy, verify=False).step == 8
    _edit(copy, lambda d: d.pop("meta_sha256"), checksum=False)  # as written before it existed
    assert ck.restore(copy).step == 8


def _as_version_1(d, values):
    """A version-1 checkpoint's metadata: SHA-256 per array instead of CRC-32C."""
    d.update(version=1, checksum="sha256")
    for e in d["variables"] + d["opt_state"]["leaves"]:
        del e["crc32c"]
        e["sha256"] = sha256(values[e["name"] if "name" in e else e["path"]])


def test_version_1_checkpoints_are_read_and_verified(copy, saved):
    values = {**saved[1].flat(), "['mu']": np.ones(3, np.float32)}
    _edit(copy, lambda d: _as_version_1(d, values))
    got = ck.restore(copy)
    np.testing.assert_array_equal(got.store["a/w"], saved[1]["a/w"])
    _edit(copy, lambda d: d["variables"][0].update(sha256="0" * 64))
    with pytest.raises(ck.CheckpointCorruptError, match="variable 'a/w' fails its sha256"):
        ck.restore(copy)


def test_per_shard_checksums_are_verified(copy, saved):
    """An array sharded across processes records one CRC-32C per shard (here: 4 row blocks)."""
    w = np.asarray(saved[1]["a/w"])
    shards = [
        {"index": [[r, r + 16], [0, 64]], "crc32c": crc32c_hex(w[r : r + 16])}
        for r in range(0, 64, 16)
    ]
    _edit(copy, lambda d: d["variables"][0].update(crc32c=None, shards=shards))
    np.testing.assert_array_equal(ck.restore(copy).store["a/w"], w)
    shards[2]["crc32c"] = f"{int(shards[2]['crc32c'], 16) ^ 1:08x}"
    _edit(copy, lambda d: d["variables"][0].update(crc32c=None, shards=shards))
    with pytest.raises(
        ck.CheckpointCorruptError, match=r"'a/w' \(shard \[\[32, 48\], \[0, 64\]\]\)"
    ):
        ck.restore(copy)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["variables"][0].update(dtype="object"), "unsupported dtype 'object'"),
        (lambda d: d["variables"][0].update(dtype="V8"), "unsupported dtype 'V8'"),
        (lambda d: d["variables"][0].update(shape=[-1, 64]), "non-negative integers"),
        (lambda d: d["variables"][0].update(shape=[1 << 40, 1 << 20]), "implausibly large"),
        (lambda d: d["variables"][0].update(nbytes=5), "'nbytes' is 5"),
        (lambda d: d["variables"][0].update(name=7), "'name' must be a string"),
        (lambda d: d["variables"][0].update(array="../../etc"), "must be a decimal index"),
        (lambda d: d["variables"][0].update(crc32c="zz"), "'crc32c' must be 8 hex digits"),
        (
            lambda d: d["variables"][0].update(shards=[{"index": [[0, 99]], "crc32c": "0"}]),
            "'shards' must be a list",
        ),
        (lambda d: d["variables"].append(d["variables"][0]), "listed twice"),
        (lambda d: d.update(format="pickle"), "not a scopejax checkpoint"),
        (lambda d: d.update(step="7"), "'step' must be null or an integer"),
        (lambda d: d.update(step=2**80), "'step' must be .* fits in 64 bits, got 1208925819614"),
        (lambda d: d["opt_state"].update(tree={"t": "eval", "c": []}), "unknown optimizer-state"),
        (
            lambda d: d["opt_state"].update(tree={"t": "tuple", "c": [{"t": "leaf"}] * 2}),
            "more leaves than were saved",
        ),
    ],
    ids=[
        "object_dtype",
        "void_dtype",
        "negative_dim",
        "huge",
        "nbytes",
        "name",
        "array_key",
        "checksum",
        "shards",
        "duplicate",
        "format",
        "step",
        "step_2**80",
        "tree_kind",
        "tree_leaves",
    ],
)
def test_malformed_metadata_is_refused(copy, edit, message):
    _edit(copy, edit)
    with pytest.raises(ck.CheckpointCorruptError, match=message) as e:
        ck.restore(copy)
    assert str(copy) in str(e.value)


def test_shape_lies_are_caught(copy):
    def lie(d):
        v = next(v for v in d["variables"] if v["name"] == "a/w")
        v.update(shape=[32, 128])  # same byte count, other shape

    _edit(copy, lie)
    with pytest.raises(ck.CheckpointCorruptError, match=r"recorded as float32\[32, 128\]"):
        ck.restore(copy)


def test_newer_format_asks_for_an_upgrade(copy):
    _edit(copy, lambda d: d.update(version=99))
    with pytest.raises(ck.CheckpointError, match="newer scopejax.*Upgrade"):
        ck.restore(copy)


def test_deeply_nested_metadata(copy):
    _meta(copy).write_text(
        '{"format": "scopejax-checkpoint", "x": ' + "[" * 100000 + "]" * 100000 + "}"
    )
    with pytest.raises(ck.CheckpointCorruptError):
        ck.restore(copy)


def test_class_names_in_a_checkpoint_are_never_imported(copy):
    tree = {
        "t": "namedtuple",
        "cls": "evil_module_xyz:Payload",
        "fields": ["mu"],
        "c": [{"t": "dict", "keys": [["s", "mu"]], "c": [{"t": "leaf"}]}],
    }
    _edit(copy, lambda d: d["opt_state"].update(tree=tree))
    with pytest.warns(UserWarning, match="rebuilt as a plain namedtuple Payload"):
        got = ck.restore(copy).opt_state
    assert "evil_module_xyz" not in sys.modules
    assert type(got).__name__ == "Payload" and got._fields == ("mu",)
    np.testing.assert_array_equal(got.mu["mu"], np.ones(3))


def test_things_that_are_not_checkpoints(tmp_path):
    with pytest.raises(ck.CheckpointError, match="does not exist"):
        ck.restore(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ck.CheckpointError, match="is not a checkpoint"):
        ck.restore(tmp_path / "empty")
    (tmp_path / "file.bin").write_bytes(os.urandom(64))
    with pytest.raises(ck.CheckpointError, match="is not a checkpoint"):
        ck.list_variables(tmp_path / "file.bin")
    import orbax.checkpoint as ocp

    with ocp.StandardCheckpointer() as plain:
        plain.save(tmp_path / "plain", {"w": np.ones(2)})
    with pytest.raises(ck.CheckpointError, match="orbax checkpoint without scopejax metadata"):
        ck.restore(tmp_path / "plain")


def test_orbax_closed_loop_noise_is_dropped_and_nothing_else(monkeypatch):
    """After a failed read, orbax's closed event loop makes tensorstore's other completions
    print "RuntimeError: Event loop is closed" through sys.unraisablehook; that one message
    is dropped, everything else still reaches the previous hook."""
    import types

    from scopejax._src.checkpoint import orbax as _orbax

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(str(u.exc_value)))
    _orbax.ocp()  # installs the filter over the hook in place

    def call_soon_threadsafe(msg):
        raise RuntimeError(msg)

    def unraisable(msg):
        try:
            call_soon_threadsafe(msg)
        except RuntimeError as e:
            return types.SimpleNamespace(
                exc_type=RuntimeError,
                exc_value=e,
                exc_traceback=e.__traceback__,
                err_msg=None,
                object=None,
            )

    sys.unraisablehook(unraisable("Event loop is closed"))
    sys.unraisablehook(unraisable("something else"))
    assert seen == ["something else"]
