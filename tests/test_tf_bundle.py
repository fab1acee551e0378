"""Reading TensorFlow checkpoints without TensorFlow: the fixtures TF 2.21 wrote
(tests/checkpoint_fixtures, made by make_tf_fixtures.py), the TF1 model in
scopejax, directories and state files, checksums, and damaged or hostile files."""

from __future__ import annotations

import json
import pathlib
import re
import shutil

import jax
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scopejax as sj
from scopejax._src.checkpoint import crc32c as _crc32c
from scopejax._src.checkpoint import proto as _proto
from scopejax._src.checkpoint import tf_bundle as tfb
from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError
from scopejax._src.checkpoint.tf_bundle import is_tf_checkpoint, list_variables, load_tf_checkpoint

FIXTURES = pathlib.Path(__file__).parent / "checkpoint_fixtures"
CASES = ("tf1_model", "dtypes", "sharded", "partitioned", "tf2_object")


def meta(case: str) -> dict:
    return json.loads((FIXTURES / case / "expected.json").read_text())


def prefix(case: str) -> str:
    return str(FIXTURES / case / meta(case)["prefix"])


def copy_case(case: str, tmp_path: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(shutil.copytree(FIXTURES / case, tmp_path / case))


def data_file(pre) -> pathlib.Path:
    return pathlib.Path(f"{pre}.data-00000-of-00001")


# --------------------------------------------------------------- what TF wrote


@pytest.mark.parametrize("case", CASES)
def test_fixture_reads_back_exactly(case):
    m = meta(case)
    arrays = np.load(FIXTURES / case / "expected.npz", allow_pickle=False)
    got = load_tf_checkpoint(prefix(case), include_slots=True)
    assert list(got) == sorted(got)
    assert set(got) == set(m["tf_reader"])
    for row in m["tensors"]:
        value = got[row["name"]]
        assert (value.dtype.name, list(value.shape)) == (row["dtype"], row["shape"]), row["name"]
        if "hex" in row:
            assert [v.hex() for v in value.reshape(-1)] == row["hex"]
            continue
        want = arrays[row["key"]]
        if row.get("bits"):  # ml_dtypes values are stored as their bit patterns
            value = value.view(want.dtype)
        np.testing.assert_array_equal(value, want, err_msg=row["name"])
        assert value.flags.writeable


@pytest.mark.parametrize("case", CASES)
def test_list_variables_matches_tensorflows_reader(case):
    tf_says = {
        name: (tuple(shape), "object" if dtype == "string" else dtype)
        for name, (shape, dtype) in meta(case)["tf_reader"].items()
    }
    listed = list_variables(prefix(case), include_slots=True)
    assert [n for n, _, _ in listed] == sorted(tf_says)
    assert {n: (s, d) for n, s, d in listed} == tf_says


def test_slots_and_bookkeeping_are_skipped_by_default():
    m = meta("tf1_model")
    names = [n for n, _, _ in list_variables(prefix("tf1_model"))]
    assert names == m["model_variables"]
    assert {r["name"] for r in m["tensors"] if r["slot"]} == set(m["tf_reader"]) - set(names)
    assert {"global_step", "beta1_power", "conv2d/kernel/Adam_1"} <= set(m["tf_reader"])
    assert set(load_tf_checkpoint(prefix("tf1_model"))) == set(names)
    tf2 = [n for n, _, _ in list_variables(prefix("tf2_object"))]
    assert "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE" in tf2
    assert "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE" in tf2  # listed as stored
    assert not [n for n in tf2 if ".OPTIMIZER_SLOT" in n or "CHECKPOINTABLE" in n]
    assert "save_counter/.ATTRIBUTES/VARIABLE_VALUE" not in tf2
    graph = load_tf_checkpoint(prefix("tf2_object"), include_slots=True)
    assert graph["_CHECKPOINTABLE_OBJECT_GRAPH"].shape == ()
    assert isinstance(graph["_CHECKPOINTABLE_OBJECT_GRAPH"].item(), bytes)


@pytest.mark.parametrize(
    "name, slot",
    [
        ("dense/kernel/Adam", True),
        ("dense/kernel/Adam_1", True),
        ("w/Momentum", True),
        ("w/RMSProp_1", True),
        ("w/Adagrad", True),
        ("w/ExponentialMovingAverage", True),
        ("train/beta2_power", True),
        ("global_step", True),
        ("save_counter/.ATTRIBUTES/VARIABLE_VALUE", True),
        ("dense/kernel", False),
        ("Adam/kernel", False),
        ("my_global_step_size", False),
        ("model/save_counter/.ATTRIBUTES/VARIABLE_VALUE", False),
    ],
)
def test_is_slot_name(name, slot):
    assert tfb.is_slot_name(name) is slot


def test_partitioned_variables_are_assembled_across_shards():
    assert meta("sharded")["devices"]["spread/p/part_1"] != meta("sharded")["devices"]["layer0/a"]
    with tfb._Bundle(prefix("sharded")) as bundle:
        assert bundle.num_shards == 2
        assert {e.shard_id for e in bundle.slices.values()} == {0, 1}
        assert len(bundle.entries["spread/p"].slices) == 2
    parts = meta("partitioned")["graph_variables"]
    assert "embedding/table/part_2" in parts and "embedding/table" not in parts
    listed = {n: s for n, s, _ in list_variables(prefix("partitioned"))}
    assert listed == {"dense/bias": (5,), "dense/kernel": (3, 5), "embedding/table": (7, 4)}


def test_names_restricts_what_is_read():
    got = load_tf_checkpoint(prefix("tf1_model"), names=["dense/bias", "global_step"])
    assert list(got) == ["dense/bias", "global_step"]  # asked-for slots are read
    assert list(load_tf_checkpoint(prefix("tf1_model"), names="dense/bias")) == ["dense/bias"]
    with pytest.raises(CheckpointError, match=r"'dense/kernal' \(did you mean 'dense/kernel'"):
        load_tf_checkpoint(prefix("tf1_model"), names=["dense/kernal"])


# --------------------------------------------------------- the model in scopejax


def tf1_model(x):
    """The model of make_tf_fixtures.case_tf1_model, in scopejax."""
    h = sj.layers.conv2d(x, 4, 3, padding="same")
    h = sj.layers.batch_normalization(h, training=False)
    h = jax.nn.relu(h).reshape(2, 8, 8 * 4)
    outputs, _ = sj.nn.dynamic_rnn(sj.nn.LSTMCell(6), h)
    return sj.layers.dense(outputs[:, -1], 5)


@pytest.mark.slow
def test_tf1_model_reproduces_tensorflows_output():
    folder = FIXTURES / "tf1_model"
    x = np.load(folder / "input.npy", allow_pickle=False)
    want = np.load(folder / "output.npy", allow_pickle=False)
    values = load_tf_checkpoint(folder)  # the directory: via its 'checkpoint' file
    net = sj.transform(tf1_model)
    store = net.init(jax.random.key(0), x)
    assert store.names() == list(values)
    for name, info in store.infos.items():
        assert tuple(info.shape) == values[name].shape, name
    out = net.apply(values, x)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------ directories, state files


def test_paths_directories_and_state_files(tmp_path):
    d = copy_case("tf1_model", tmp_path)
    ref = load_tf_checkpoint(prefix("tf1_model"))
    for p in (
        d,
        d / "model.ckpt-2",
        d / "model.ckpt-2.index",
        d / "model.ckpt-2.data-00000-of-00001",
    ):
        assert is_tf_checkpoint(p)
        assert list(load_tf_checkpoint(p)) == list(ref)
    state = d / "checkpoint"
    state.write_text(f'model_checkpoint_path: "{d}/model.ckpt-2"\n')  # absolute
    assert list_variables(d) == list_variables(prefix("tf1_model"))
    state.write_text('model_checkpoint_path: "/elsewhere/run/model.ckpt-2"\n')  # moved
    assert list_variables(d) == list_variables(prefix("tf1_model"))
    state.write_text('model_checkpoint_path: "model.ckpt-9"\n')
    with pytest.raises(CheckpointError, match=r"model\.ckpt-9\.index does not exist.*found: .*"):
        load_tf_checkpoint(d)
    state.write_text("all_model_checkpoint_paths: 'x'\n")
    with pytest.raises(CheckpointError, match="no model_checkpoint_path"):
        load_tf_checkpoint(d)
    state.unlink()  # no state file: the one .index in the directory
    assert list(load_tf_checkpoint(d)) == list(ref)
    for f in d.glob("model.ckpt-2.*"):
        shutil.copy(f, d / f.name.replace("ckpt-2", "ckpt-1"))
    with pytest.raises(
        CheckpointError, match=r"holds 2 checkpoints.*model\.ckpt-1, .*model\.ckpt-2"
    ):
        load_tf_checkpoint(d)
    assert is_tf_checkpoint(d)  # ambiguous, but a TF checkpoint directory all the same


def test_missing_and_foreign_paths(tmp_path):
    with pytest.raises(CheckpointError, match=r"No TensorFlow checkpoint in directory"):
        load_tf_checkpoint(tmp_path)
    assert not is_tf_checkpoint(tmp_path)
    missing = tmp_path / "model.ckpt"
    with pytest.raises(CheckpointError, match=re.escape(f"{missing}.index does not exist")):
        list_variables(missing)
    assert not is_tf_checkpoint(missing)
    v1 = tmp_path / "old.ckpt"
    shutil.copy(prefix("dtypes") + ".index", v1)  # a lone table file: what V1 looked like
    with pytest.raises(CheckpointError, match="V1 TensorFlow checkpoint"):
        load_tf_checkpoint(v1)
    junk = tmp_path / "junk.index"
    junk.write_bytes(b"x" * 100)
    assert not is_tf_checkpoint(tmp_path / "junk")


# ---------------------------------------------------------------- damage


def test_a_flipped_bit_is_caught_and_verify_false_reads_anyway(tmp_path):
    pre = copy_case("dtypes", tmp_path) / "dtypes.ckpt"
    with tfb._Bundle(pre) as bundle:
        entry = bundle.entries["float32/big"]
    raw = bytearray(data_file(pre).read_bytes())
    raw[entry.offset + 100] ^= 0x10
    data_file(pre).write_bytes(bytes(raw))
    pattern = r"'float32/big'.*dtypes\.ckpt\.data-00000-of-00001.*checksum.*verify=False"
    with pytest.raises(CheckpointCorruptError, match=pattern):
        load_tf_checkpoint(pre)
    got = load_tf_checkpoint(pre, verify=False)["float32/big"]
    want = load_tf_checkpoint(prefix("dtypes"), names=["float32/big"])["float32/big"]
    assert (got != want).sum() == 1
    assert load_tf_checkpoint(pre, names=["int8"])["int8"].tolist() == [-128, -1, 0, 1, 127]


def test_a_flipped_bit_in_a_string_tensor_is_caught(tmp_path):
    pre = copy_case("dtypes", tmp_path) / "dtypes.ckpt"
    with tfb._Bundle(pre) as bundle:
        entry = bundle.entries["string"]
    raw = bytearray(data_file(pre).read_bytes())
    raw[entry.offset + entry.size - 1] ^= 1
    data_file(pre).write_bytes(bytes(raw))
    with pytest.raises(CheckpointCorruptError, match="'string'.*checksum"):
        load_tf_checkpoint(pre, names=["string"])
    anyway = load_tf_checkpoint(pre, names=["string"], verify=False)["string"]
    assert anyway[-1] == b"x" * 199 + b"y"


def test_a_flipped_bit_in_the_index_is_caught(tmp_path):
    pre = copy_case("tf1_model", tmp_path) / "model.ckpt-2"
    index = pathlib.Path(f"{pre}.index")
    raw = bytearray(index.read_bytes())
    raw[40] ^= 4
    index.write_bytes(bytes(raw))
    with pytest.raises(CheckpointCorruptError, match=r"model\.ckpt-2\.index.*checksum"):
        list_variables(pre)


@pytest.mark.parametrize("cut", [0, 10, 47, 48, 200, -48, -1])
def test_truncated_index(tmp_path, cut):
    pre = copy_case("tf1_model", tmp_path) / "model.ckpt-2"
    index = pathlib.Path(f"{pre}.index")
    raw = index.read_bytes()
    index.write_bytes(raw[:cut])
    with pytest.raises(CheckpointCorruptError, match=re.escape(str(index))):
        load_tf_checkpoint(pre)


@pytest.mark.parametrize("seed", range(6))
def test_garbage_index(tmp_path, seed):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, int(rng.integers(48, 3000)), dtype=np.uint8).tobytes()
    if seed % 2:  # garbage with the right magic number: the table itself is garbage
        raw = raw[:-8] + (0xDB4775248B80FB57).to_bytes(8, "little")
    (tmp_path / "g.index").write_bytes(raw)
    with pytest.raises(CheckpointError, match="g.index"):
        load_tf_checkpoint(tmp_path / "g", verify=seed < 4)


def test_bad_magic(tmp_path):
    pre = copy_case("sharded", tmp_path) / "model.ckpt"
    index = pathlib.Path(f"{pre}.index")
    index.write_bytes(index.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CheckpointCorruptError, match=r"model\.ckpt\.index: bad magic"):
        list_variables(pre)
    assert not is_tf_checkpoint(pre)


def test_truncated_and_missing_data_files(tmp_path):
    pre = copy_case("sharded", tmp_path) / "model.ckpt"
    shard1 = pathlib.Path(f"{pre}.data-00001-of-00002")
    shard1.write_bytes(shard1.read_bytes()[:-5])
    assert list(load_tf_checkpoint(pre, names=["layer0/a"])) == ["layer0/a"]
    with pytest.raises(CheckpointCorruptError, match=r"data-00001-of-00002.*truncated"):
        load_tf_checkpoint(pre)
    shard1.unlink()
    with pytest.raises(CheckpointError, match=r"Cannot open data file .*data-00001-of-00002"):
        load_tf_checkpoint(pre, names=["layer1/b"])
    assert list_variables(pre) == list_variables(prefix("sharded"))  # the index suffices


# -------------------------------------------------- hand-made hostile bundles


def varint(n: int) -> bytes:
    return _proto.encode_varint(n & (2**64 - 1))


def field(number: int, value) -> bytes:
    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value
    return varint(number << 3) + varint(value)


def shape_proto(dims) -> bytes:
    return b"".join(field(2, field(1, d)) for d in dims)


def entry_proto(dtype=1, dims=(2,), shard=0, offset=0, size=8, crc=None, data=b"", slices=()):
    crc = _crc32c.masked_crc32c(data[offset : offset + size]) if crc is None else crc
    out = field(1, dtype) + field(2, shape_proto(dims)) + field(3, shard) + field(4, offset)
    out += field(5, size) + varint(6 << 3 | 5) + crc.to_bytes(4, "little")
    for extents in slices:  # None: the whole dimension (an empty Extent)
        ext = [b"" if e is None else field(1, e[0]) + field(2, e[1]) for e in extents]
        out += field(7, b"".join(field(1, e) for e in ext))
    return out


def header_proto(shards=1, endianness=0, min_consumer=0) -> bytes:
    return field(1, shards) + field(2, endianness) + field(3, field(1, 1) + field(2, min_consumer))


def block(entries, kind=0) -> bytes:
    body = b"".join(varint(0) + varint(len(k)) + varint(len(v)) + k + v for k, v in entries)
    body += (0).to_bytes(4, "little") + (1).to_bytes(4, "little")  # one restart, at 0
    return body + bytes([kind]) + _crc32c.masked_crc32c(body + bytes([kind])).to_bytes(4, "little")


def table(entries, kind=0) -> bytes:
    data = block(entries, kind)
    index = block([(entries[-1][0], varint(0) + varint(len(data) - 5))])
    meta_at = len(data) + len(index)
    handles = varint(meta_at) + varint(8) + varint(len(data)) + varint(len(index) - 5)
    footer = handles.ljust(40, b"\x00") + (0xDB4775248B80FB57).to_bytes(8, "little")
    return data + index + block([]) + footer


def bundle(tmp_path, entries, data=b"", header=None, kind=0) -> pathlib.Path:
    pre = tmp_path / "h.ckpt"
    rows = [(b"", header_proto() if header is None else header)] + sorted(entries)
    pathlib.Path(f"{pre}.index").write_bytes(table(rows, kind))
    data_file(pre).write_bytes(data)
    return pre


DATA = np.arange(4, dtype=np.float32).tobytes()  # 16 bytes


def test_hand_made_bundle_reads(tmp_path):
    pre = bundle(tmp_path, [(b"w", entry_proto(dims=(2, 2), size=16, data=DATA))], DATA)
    np.testing.assert_array_equal(load_tf_checkpoint(pre)["w"], [[0, 1], [2, 3]])


HOSTILE = {
    "size_mismatch": ([(b"w", entry_proto(size=12, data=DATA))], "has 12 bytes but .* need 8"),
    "huge_shape": (
        [(b"w", entry_proto(dims=(2**20, 2**20), size=2**42, data=DATA))],
        r"needs bytes 0\.\.\d+ but the file has 16",
    ),
    "implausible_shape": (
        [(b"w", entry_proto(dims=(0, 2**40, 2**40), size=0, data=DATA))],
        r"'w' has an implausible shape \(0, 1099511627776, 1099511627776\)",
    ),
    "rank_65": ([(b"w", entry_proto(dims=(1,) * 65, size=4, data=DATA))], "'w' has rank 65"),
    "past_eof": ([(b"w", entry_proto(offset=12, size=8, data=DATA))], "needs bytes 12..20"),
    "negative_offset": ([(b"w", entry_proto(offset=-8, data=DATA))], "needs bytes -8..0"),
    "shard_out_of_range": ([(b"w", entry_proto(shard=3, data=DATA))], "in shard 3 of 1"),
    "negative_dim": ([(b"w", entry_proto(dims=(-1, 2), data=DATA))], "negative shape"),
    "bad_crc": ([(b"w", entry_proto(crc=1234, data=DATA))], "fails its checksum"),
    "bad_proto": ([(b"w", b"\x0b\x01")], "cannot decode the entry of b'w'"),
    "bad_varint": ([(b"w", b"\x08" + b"\xff" * 11)], "varint longer than 10 bytes"),
    "string_count": (
        [(b"s", entry_proto(dtype=7, dims=(2**40,), size=16, data=DATA))],
        "too short for 1099511627776 strings",
    ),
    "missing_slice": (
        [(b"p", entry_proto(dims=(4,), size=0, slices=[[(0, 2)], [(2, 2)]]))],
        "a saved slice is missing",
    ),
    "slice_outside": (
        [(b"p", entry_proto(dims=(4,), size=0, slices=[[(3, 2)]]))],
        r"a slice outside \(4,\)",
    ),
    "slices_short": (
        [
            (b"p", entry_proto(dims=(4,), size=0, slices=[[(0, 2)]])),
            (tfb.slice_key(b"p", ((0, 2),)), entry_proto(size=8, data=DATA)),
        ],
        "slices hold 2 of 4 values",
    ),
    "slices_overlap": (
        [
            (b"p", entry_proto(dims=(4,), size=0, slices=[[(0, 2)], [(1, 2)]])),
            (tfb.slice_key(b"p", ((0, 2),)), entry_proto(size=8, data=DATA)),
            (tfb.slice_key(b"p", ((1, 2),)), entry_proto(offset=8, size=8, data=DATA)),
        ],
        "two slices overlap",
    ),
    "slices_share_bytes": (
        [
            (b"p", entry_proto(dims=(4,), size=0, slices=[[(0, 2)], [(2, 2)]])),
            (tfb.slice_key(b"p", ((0, 2),)), entry_proto(size=8, data=DATA)),
            (tfb.slice_key(b"p", ((2, 2),)), entry_proto(offset=4, size=8, data=DATA)),
        ],
        r"the bytes of a slice of 'p' \(0\.\.8\) and of a slice of 'p' \(4\.\.12\) overlap",
    ),
    "tensors_share_bytes": (
        [(b"v", entry_proto(data=DATA)), (b"w", entry_proto(data=DATA))],
        r"the bytes of 'v' \(0\.\.8\) and of 'w' \(0\.\.8\) overlap in data shard 0",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_entries(tmp_path, case):
    entries, pattern = HOSTILE[case]
    pre = bundle(tmp_path, entries, DATA)
    with pytest.raises(CheckpointCorruptError, match=pattern) as info:
        load_tf_checkpoint(pre)
    assert "h.ckpt" in str(info.value)


def test_partitioned_hand_made(tmp_path):
    whole = [[(0, 1), None], [(1, 1), None]]  # rows; the second dimension whole (no extent)
    entries = [
        (b"p", entry_proto(dims=(2, 2), size=0, slices=whole)),
        (tfb.slice_key(b"p", ((0, 1), (0, None))), entry_proto(dims=(1, 2), data=DATA)),
        (tfb.slice_key(b"p", ((1, 1), (0, None))), entry_proto(dims=(1, 2), offset=8, data=DATA)),
    ]
    pre = bundle(tmp_path, entries, DATA)
    np.testing.assert_array_equal(load_tf_checkpoint(pre)["p"], [[0, 1], [2, 3]])
    assert list_variables(pre) == [("p", (2, 2), "float32")]


@pytest.mark.parametrize(
    "header, error, pattern",
    [
        (header_proto(endianness=1), CheckpointError, "big-endian"),
        (header_proto(min_consumer=5), CheckpointError, "newer bundle reader"),
        (header_proto(shards=0), CheckpointCorruptError, "0 data shards"),
    ],
)
def test_hostile_headers(tmp_path, header, error, pattern):
    pre = bundle(tmp_path, [(b"w", entry_proto(data=DATA))], DATA, header=header)
    with pytest.raises(error, match=pattern):
        list_variables(pre)


def test_no_header_compressed_blocks_and_unsupported_dtypes(tmp_path):
    pre = tmp_path / "n.ckpt"
    pathlib.Path(f"{pre}.index").write_bytes(table([(b"w", entry_proto(data=DATA))]))
    with pytest.raises(CheckpointCorruptError, match="n.ckpt.index.*no bundle header"):
        list_variables(pre)
    pre = bundle(tmp_path, [(b"w", entry_proto(data=DATA))], DATA, kind=1)
    with pytest.raises(CheckpointError, match=r"h\.ckpt\.index has a compressed block \(snappy\)"):
        list_variables(pre)
    rz = [(b"r", entry_proto(dtype=20)), (b"z", entry_proto(dtype=99, offset=8))]
    pre = bundle(tmp_path, rz, DATA)
    assert list_variables(pre) == [("r", (2,), "resource"), ("z", (2,), "dtype99")]
    with pytest.raises(CheckpointError, match=r"'r' in .*h\.ckpt has TensorFlow dtype 'resource'"):
        load_tf_checkpoint(pre)


@pytest.mark.parametrize("what", ["handle", "restarts", "shared"])
def test_hostile_table_structure(tmp_path, what):
    raw = bytearray(table([(b"", header_proto()), (b"w", entry_proto(data=DATA))]))
    if what == "handle":  # the index handle points far past the end of the file
        raw[-48:-8] = (varint(0) + varint(1) + varint(10**12) + varint(10**9)).ljust(40, b"\0")
        pattern = "runs past the end of the table"
    elif what == "restarts":  # the data block claims 2**32 - 1 restart points
        at = raw.index(b"\x00\x00\x00\x00\x01\x00\x00\x00") + 4
        raw[at : at + 4] = b"\xff\xff\xff\xff"
        pattern = "restart points"
    else:  # the second key shares more bytes than the first key has
        raw[3 + len(header_proto())] = 9
        pattern = "shares too much"
    (tmp_path / "t.index").write_bytes(bytes(raw))
    with pytest.raises(CheckpointCorruptError, match=f"t.index: .*{pattern}"):
        tfb.read_table(str(tmp_path / "t.index"), verify=False)


@pytest.mark.parametrize("case", ["tf1_model", "partitioned", "dtypes"])
def test_random_damage_never_escapes_as_another_error(tmp_path, case):
    """Random byte changes in an index, read without checksums: a result or a CheckpointError."""
    src = pathlib.Path(prefix(case) + ".index").read_bytes()
    pre = copy_case(case, tmp_path) / meta(case)["prefix"]
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(150):
        raw = bytearray(src)
        for at in rng.integers(0, len(raw) - 8, int(rng.integers(1, 4))):
            raw[at] = int(rng.integers(0, 256))
        pathlib.Path(f"{pre}.index").write_bytes(bytes(raw))
        try:
            load_tf_checkpoint(pre, verify=False, include_slots=True)
            outcomes.add("read")
        except CheckpointError as e:
            assert str(pre) in str(e) or "Variable" in str(e), e
            outcomes.add(type(e).__name__)
    assert "CheckpointCorruptError" in outcomes


# ------------------------------------------------------------ CRC-32C, protobuf


def test_crc32c_check_value_and_mask():
    assert _crc32c.crc32c_python(b"123456789") == 0xE3069283
    assert _crc32c.crc32c(b"123456789") == 0xE3069283
    assert _crc32c.crc32c(b"") == 0
    assert _crc32c.unmask(_crc32c.mask(0xE3069283)) == 0xE3069283
    assert _crc32c.mask(0) == 0xA282EAD8


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=20000), st.integers(0, 2**32 - 1))
def test_crc32c_lanes_equal_the_byte_table(data, start):
    lanes = _crc32c.crc32c_python(data, start)
    reg = _crc32c._register_bytes(start ^ 0xFFFFFFFF, memoryview(data)) ^ 0xFFFFFFFF
    assert lanes == reg
    cut = len(data) // 3
    assert _crc32c.crc32c_python(data[cut:], _crc32c.crc32c_python(data[:cut], start)) == lanes


def test_crc32c_long_input_and_numpy_buffers():
    data = np.random.default_rng(0).integers(0, 256, 300_001, dtype=np.uint8)
    want = _crc32c._register_bytes(0xFFFFFFFF, memoryview(data.tobytes())) ^ 0xFFFFFFFF
    assert _crc32c.crc32c_python(data) == want
    assert _crc32c.crc32c(data) == want
    words = data[:300_000].view(np.float32)  # any array: its bytes, in C order
    assert _crc32c.crc32c(words) == _crc32c.crc32c_python(data[:300_000].tobytes())
    bf16 = np.arange(6, dtype=ml_dtypes.bfloat16)[::2]
    assert _crc32c.crc32c(bf16) == _crc32c.crc32c(bf16.copy().view(np.uint16).tobytes())
    assert _crc32c.crc32c(memoryview(b"0123456789")[1:]) == 0xE3069283


@pytest.mark.parametrize("package", ["google_crc32c", "crc32c"])
def test_pure_python_crc32c_matches_the_package(package):
    pkg = pytest.importorskip(package, reason=f"{package} is not installed (optional)")
    value = pkg.value if package == "google_crc32c" else pkg.crc32c
    rng = np.random.default_rng(1)
    for n in (0, 1, 7, 4095, 4096, 70_000):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert _crc32c.crc32c_python(data) == value(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(n):
    raw = _proto.encode_varint(n)
    assert _proto.read_varint(raw + b"\x07", 0) == (n, len(raw))
    assert len(raw) == max(1, (n.bit_length() + 6) // 7)
    if len(raw) > 1:
        with pytest.raises(_proto.ProtoError, match="truncated"):
            _proto.read_varint(raw[:-1], 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1))
def test_signed_varints_are_twos_complement(n):
    assert _proto.to_signed64(_proto.read_varint(varint(n), 0)[0]) == n


def test_protobuf_errors():
    with pytest.raises(_proto.ProtoError, match="longer than 10 bytes"):
        _proto.read_varint(b"\xff" * 11, 0)
    with pytest.raises(_proto.ProtoError, match="larger than 64 bits"):
        _proto.read_varint(b"\xff" * 9 + b"\x7f", 0)
    with pytest.raises(_proto.ProtoError, match="past the end"):
        list(_proto.iter_fields(b"\x12\x05ab"))
    with pytest.raises(_proto.ProtoError, match="wire type 3"):
        list(_proto.iter_fields(b"\x0b"))
    with pytest.raises(_proto.ProtoError, match="field number 0"):
        list(_proto.iter_fields(b"\x00\x01"))
    with pytest.raises(_proto.ProtoError, match="wire type 0, expected 2"):
        _proto.parse_bundle_entry(field(2, 5))
    e = _proto.parse_bundle_entry(entry_proto(dtype=14, dims=(3, 0), shard=1, offset=9, crc=7))
    got = (e.dtype, e.shape.dims, e.shard_id, e.offset, e.size, e.crc32c)
    assert got == (14, (3, 0), 1, 9, 8, 7)
    packed = field(3, field(1, 1) + field(3, varint(4) + varint(5)))
    assert _proto.parse_bundle_header(packed).bad_consumers == (4, 5)


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1))
def test_slice_key_numbers_keep_integer_order(a, b):
    """OrderedCode's signed numbers sort as the numbers do (what TF's keys rely on)."""
    ea, eb = tfb._ordered_int(a), tfb._ordered_int(b)
    assert (ea < eb) == (a < b) and (ea == eb) == (a == b)
    assert len(ea) == (~a if a < 0 else a).bit_length() // 7 + 1  # n bytes: [-2^(7n-1), 2^(7n-1))


def test_slice_key_layout():
    key = tfb.slice_key(b"a\x00b\xff", ((0, 3), (5, None), (-65, 64)))
    name = b"a\x00\xffb\xff\x00\x00\x01"  # escaped, then the terminator
    assert key == b"\x00" + name + b"\x01\x03" + b"\x80\x83\x85\x7f\x3f\xbf\xc0\x40"
    assert tfb._ordered_int(2**62) == b"\xff\xc0\x40" + b"\x00" * 7
    assert tfb._ordered_int(-(2**63)) == b"\x00\x3f\x80" + b"\x00" * 7


def test_dtype_table_covers_ml_dtypes():
    assert tfb.DTYPES[14] == np.dtype(ml_dtypes.bfloat16)
    assert set(tfb.DTYPES).isdisjoint(tfb.UNSUPPORTED)
    assert all(not d.hasobject or k == 7 for k, d in tfb.DTYPES.items())


def test_slices_sharing_bytes_cannot_inflate_an_allocation(tmp_path):
    """256 slices of 16 KiB, every one pointing at the same (valid) bytes, would make a
    16 KiB data file a 4 MiB tensor; refused before anything is allocated."""
    n, rows = 256, 4096  # each slice: one row of 4096 float32 = 16 KiB
    data = np.arange(rows, dtype=np.float32).tobytes()
    slices = [[(i, 1), None] for i in range(n)]
    entries = [(b"big", entry_proto(dims=(n, rows), size=0, slices=slices))]
    for i in range(n):
        key = tfb.slice_key(b"big", ((i, 1), (0, None)))
        entries.append((key, entry_proto(dims=(1, rows), size=len(data), data=data)))
    pre = bundle(tmp_path, entries, data)
    with pytest.raises(CheckpointCorruptError, match=r"slice of 'big' .* overlap in data shard"):
        load_tf_checkpoint(pre)
    with pytest.raises(CheckpointCorruptError, match="overlap"):
        sj.checkpoint.restore(pre)
