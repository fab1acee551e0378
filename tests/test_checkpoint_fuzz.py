"""Seeded byte-mutation fuzzing of checkpoints: TensorFlow bundles (the fixtures TF wrote)
and our own checkpoints (what ``sj.checkpoint.save`` writes). Every mutation must give a
CheckpointError (or a subclass) or the original values, bit for bit; any other exception,
or a different value, fails."""

from __future__ import annotations

import json
import pathlib
import shutil
import warnings
from typing import NamedTuple

import jax
import numpy as np
import optax
import pytest
from test_tf_bundle import table

import scopejax as sj
from scopejax import checkpoint as ck
from scopejax._src.checkpoint import tf_bundle as tfb

FIXTURES = pathlib.Path(__file__).parent / "checkpoint_fixtures"
CASES = ("tf1_model", "dtypes", "sharded", "partitioned", "tf2_object")


def _mutate(raw: bytes, rng: np.random.Generator) -> bytes:
    """One of: a flipped bit, a byte set at random, a truncation, a few bytes inserted."""
    out = bytearray(raw)
    kind = int(rng.integers(4))
    if kind == 0 and out:
        out[int(rng.integers(len(out)))] ^= 1 << int(rng.integers(8))
    elif kind == 1 and out:
        out[int(rng.integers(len(out)))] = int(rng.integers(256))
    elif kind == 2:
        del out[int(rng.integers(len(out) + 1)) :]
    else:
        at = int(rng.integers(len(out) + 1))
        out[at:at] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
    return bytes(out)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:
        return a.tolist() == b.tolist()
    bits = [np.ascontiguousarray(x).reshape(-1).view(np.uint8) for x in (a, b)]
    return np.array_equal(*bits)


def _outcome(read, check) -> str:
    """``"error"`` for a CheckpointError, ``"same"`` if ``check(read())`` holds; else fail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "string tensors left out"
            got = read()
    except ck.CheckpointError:
        return "error"
    assert check(got), "a damaged checkpoint read back as different values"
    return "same"


def _prefix(case: str) -> str:
    return json.loads((FIXTURES / case / "expected.json").read_text())["prefix"]


def test_byte_mutations_of_tensorflow_bundles(tmp_path):
    """Index, data and state files, mutated 60 ways: an error or the original values."""
    rng = np.random.default_rng(11)
    want = {c: ck.load_variables(FIXTURES / c / _prefix(c), include_slots=True) for c in CASES}
    seen = []
    for k in range(60):
        case = CASES[k % len(CASES)]
        d = pathlib.Path(shutil.copytree(FIXTURES / case, tmp_path / f"{k}"))
        files = sorted(
            p
            for p in d.iterdir()
            if p.name.startswith(_prefix(case) + ".") or p.name == "checkpoint"
        )
        f = files[int(rng.integers(len(files)))]
        f.write_bytes(_mutate(f.read_bytes(), rng))
        ref = want[case]

        def same(got, ref=ref):
            return set(got) == set(ref) and all(_same_bits(got[n], ref[n]) for n in ref)

        result = _outcome(lambda d=d: ck.load_variables(d, include_slots=True), same)
        if result == "same":  # what lists must match what reads
            listed = ck.list_variables(d, include_slots=True)
            assert [(n, s) for n, s, _ in listed] == [(n, ref[n].shape) for n in sorted(ref)]
        seen.append(result)
        shutil.rmtree(d)
    assert {"error", "same"} <= set(seen), seen  # both kinds happened: the test has teeth


def test_well_formed_but_wrong_index_entries(tmp_path):
    """Index entries mutated inside a table rebuilt with valid checksums (so the parser,
    not the CRC, meets them): an error, or arrays of exactly the listed shape and dtype."""
    rng = np.random.default_rng(12)
    kinds = set()
    for k in range(40):
        case = CASES[k % len(CASES)]
        d = pathlib.Path(shutil.copytree(FIXTURES / case, tmp_path / f"{k}"))
        index = d / f"{_prefix(case)}.index"
        rows = tfb.read_table(str(index))
        at = int(rng.integers(len(rows)))
        key, value = rows[at]
        rows[at] = (key, _mutate(value, rng))
        index.write_bytes(table(rows))
        try:
            listed = ck.list_variables(d, include_slots=True)
            got = ck.load_variables(d, include_slots=True)
        except ck.CheckpointError:
            kinds.add("error")
        else:
            kinds.add("read")
            assert [(n, tuple(s), dt) for n, s, dt in listed] == [
                (n, got[n].shape, got[n].dtype.name) for n in sorted(got)
            ]
        shutil.rmtree(d)
    assert "error" in kinds


class TrainState(NamedTuple):
    store: sj.Store
    opt_state: object
    step: object


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(0)
    store = sj.Store(
        {
            "l1/w": rng.standard_normal((3, 4)).astype(np.float32),
            "l1/b": np.zeros(4, np.float32),
            "i": np.arange(3, dtype=np.int32),
            "empty": np.zeros((0, 2), np.float32),
        }
    )
    state = TrainState(store, optax.adam(0.1).init(store.flat()), 7)
    path = ck.save(tmp_path_factory.mktemp("fuzz") / "good", state, metadata={"run": "a"})
    return path, ck.restore(path)


def _same_checkpoint(got: ck.Checkpoint, ref: ck.Checkpoint) -> bool:
    if (got.step, got.metadata, got.store.infos) != (ref.step, ref.metadata, ref.store.infos):
        return False
    if not all(_same_bits(got.store[n], ref.store[n]) for n in ref.store.names()):
        return False
    a, b = (jax.tree_util.tree_flatten_with_path(x.opt_state)[0] for x in (got, ref))
    keys = [[jax.tree_util.keystr(p) for p, _ in t] for t in (a, b)]
    return keys[0] == keys[1] and all(_same_bits(x, y) for (_, x), (_, y) in zip(a, b, strict=True))


@pytest.mark.slow
def test_byte_mutations_of_our_checkpoints(saved, tmp_path):
    """Every file save writes (the JSON, orbax's metadata, OCDBT manifests and data),
    mutated 50 ways: restore gives an error or the original checkpoint, bit for bit."""
    good, ref = saved
    files = sorted(p.relative_to(good) for p in good.rglob("*") if p.is_file())
    assert len(files) >= 8 and pathlib.Path("scopejax/scopejax.json") in files
    rng = np.random.default_rng(13)
    seen = []
    for k in range(50):
        c = pathlib.Path(shutil.copytree(good, tmp_path / f"{k}"))
        f = c / files[int(rng.integers(len(files)))]
        f.write_bytes(_mutate(f.read_bytes(), rng))
        seen.append(_outcome(lambda c=c: ck.restore(c), lambda got: _same_checkpoint(got, ref)))
        shutil.rmtree(c)
    assert {"error", "same"} <= set(seen), seen


def _json_leaves(x, path=()):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _json_leaves(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _json_leaves(v, (*path, i))
    else:
        yield path, x


def _changed(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v + 1
    return 0 if v is None else v + "x"


def test_every_metadata_field_changed(saved, tmp_path):
    """Each value of scopejax.json changed in turn, the file still valid JSON (a corruption
    that no JSON parser notices): restore gives an error or the original checkpoint."""
    good, ref = saved
    c = pathlib.Path(shutil.copytree(good, tmp_path / "c"))
    meta = c / "scopejax" / "scopejax.json"
    original = json.loads(meta.read_text())
    leaves = list(_json_leaves(original))
    assert len(leaves) > 100
    seen = set()
    for path, value in leaves:
        d = json.loads(json.dumps(original))
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = _changed(value)
        meta.write_text(json.dumps(d))
        seen.add(_outcome(lambda: ck.restore(c), lambda got: _same_checkpoint(got, ref)))
    assert "error" in seen
