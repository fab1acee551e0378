"""The scopejax checkpoint format: a directory written by orbax-checkpoint, plus one JSON file.

Layout of a checkpoint directory ``PATH``::

    PATH/_CHECKPOINT_METADATA        orbax's step metadata
    PATH/arrays/...                  orbax StandardCheckpointHandler (tensorstore, OCDBT):
                                     {"variables": {"0": array, ...}, "opt_state": {"0": ...}}
    PATH/scopejax/scopejax.json      this module's metadata (orbax JsonCheckpointHandler)

The JSON holds everything needed to rebuild the Store, by name, and to check it::

    {"format": "scopejax-checkpoint", "version": 2, "checksum": "crc32c",
     "variables": [{"name": "l1/weights", "shape": [3, 2], "dtype": "float32",
                    "trainable": true, "collections": ["variables", "trainable_variables"],
                    "device": null, "key": "l1/weights",
                    "array": "0", "nbytes": 24, "crc32c": "9f2c01ab"}, ...],
     "opt_state": null | {"tree": {...}, "leaves": [{"path": "[0].mu['l1/weights']", ...}]},
     "step": 100 | null, "metadata": {...}, "created": "...", "versions": {...},
     "meta_sha256": "5d41..."}

Arrays are keyed by their index (``"array"``), never by name, so no variable name ever
becomes a file name. Zero-size arrays have no array (``"array": null``). Every array's
bytes (C order, little-endian) are checksummed with CRC-32C at save (hardware CRC through
``google-crc32c``, as TF's bundles do) and checked at restore. An array that no process
holds whole (sharded across processes) records one CRC-32C per distinct shard instead::

    "crc32c": null, "shards": [{"index": [[0, 4], [0, 8]], "crc32c": "..."}, ...]

(``index``: the shard's ``[start, stop)`` on each axis). Version 1 checkpoints, which hash
each array with SHA-256 (``"checksum": "sha256"``, entries ``"sha256": "<64 hex>"``), are
still read and verified. The JSON itself carries ``meta_sha256`` (SHA-256 of the rest, as
canonical JSON; checkpoints written before it existed have none and are read without).
Nothing in the format is ever unpickled or evaluated: the JSON is parsed and validated
field by field (dtypes from a fixed list, shapes as lists of non-negative integers).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

from scopejax._src.checkpoint.crc32c import crc32c
from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError
from scopejax._src.checkpoint.files import check_tree, kind, open_regular
from scopejax._src.core.store import VariableInfo

FORMAT = "scopejax-checkpoint"
VERSION = 2
CHECKSUM = "crc32c"  # the per-array checksum written (format version 2)
SHA256 = "sha256"  # the per-array checksum of format version 1, still read
META_CHECKSUM = "meta_sha256"  # SHA-256 of the rest of the JSON (absent before issue 11)
SHARDS = "shards"  # per-shard CRC-32Cs of an array no process holds whole
ARRAYS_ITEM = "arrays"  # orbax item holding the arrays
META_ITEM = "scopejax"  # orbax item holding the JSON
META_FILE = "scopejax.json"
VARIABLES = "variables"  # group of the arrays tree holding the Store's values
OPT_STATE = "opt_state"  # group holding the optimizer state's leaves

MAX_META_BYTES = 1 << 30  # a metadata file larger than 1 GiB is refused, not read
MAX_RANK = 64
MAX_ELEMENTS = 1 << 48

_STD_DTYPES = (
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 "
    "complex64 complex128"
).split()
_ML_DTYPES = (
    "bfloat16 float8_e4m3fn float8_e5m2 float8_e4m3fnuz float8_e5m2fnuz float8_e4m3b11fnuz "
    "int4 uint4"
).split()
# dtypes tensorstore cannot store, written as the same bytes in another dtype of their size
STORED_AS = {np.dtype(ml_dtypes.uint4): np.dtype(np.uint8)}
_HEX = {CHECKSUM: re.compile(r"[0-9a-f]{8}"), SHA256: re.compile(r"[0-9a-f]{64}")}
_DIGITS = {CHECKSUM: 8, SHA256: 64}
_ARRAY_KEY = re.compile(r"(0|[1-9][0-9]{0,8})")


def dtype_from_name(name: Any, where: str = "") -> np.dtype:
    """The numpy dtype called ``name``, from a fixed list of numeric dtypes (never parsed)."""
    if isinstance(name, str):
        if name in _STD_DTYPES:
            return np.dtype(name)
        if name in _ML_DTYPES and hasattr(ml_dtypes, name):
            return np.dtype(getattr(ml_dtypes, name))
    raise CheckpointCorruptError(
        f"{where}unsupported dtype {name!r}: scopejax checkpoints hold numeric arrays only "
        f"({', '.join(_STD_DTYPES + _ML_DTYPES)})."
    )


def dtype_name(dtype: Any) -> str:
    """The name this format records for ``dtype`` (raises for non-numeric dtypes)."""
    dt = np.dtype(dtype)
    if dt.name in _STD_DTYPES or dt.name in _ML_DTYPES:
        return dt.name
    raise CheckpointError(
        f"cannot save an array of dtype {dt}: checkpoints hold numeric arrays only "
        "(bool, integers, floats including bfloat16 and float8, complex). Typed PRNG keys: "
        "save jax.random.key_data(key) instead."
    )


def versions() -> dict[str, str | None]:
    """Versions of the libraries that wrote a checkpoint (for the record only)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for dist in ("scopejax", "jax", "orbax-checkpoint", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


# -- checksums ----------------------------------------------------------------------------
def _le_bytes(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a.reshape(-1).view(np.uint8)


def sha256(a: np.ndarray) -> str:
    """SHA-256 of an array's bytes (C order, little-endian), hex (format version 1)."""
    return hashlib.sha256(_le_bytes(np.asarray(a)).data).hexdigest()


def crc32c_hex(a: np.ndarray) -> str:
    """CRC-32C of an array's bytes (C order, little-endian), 8 hex digits."""
    return f"{crc32c(_le_bytes(np.asarray(a))):08x}"


def digest(a: np.ndarray, algo: str = CHECKSUM) -> str:
    """The ``algo`` checksum (``"crc32c"`` or ``"sha256"``) of an array's bytes, hex."""
    return crc32c_hex(a) if algo == CHECKSUM else sha256(a)


def digest_many(arrays: Iterable[np.ndarray], algo: str = CHECKSUM) -> list[str]:
    """:func:`digest` of each array; SHA-256 of large batches in threads (it releases the GIL).

    CRC-32C runs at memory speed in C (about 15 GB/s on one core), so it stays on one thread.
    """
    arrays = list(arrays)
    total = sum(int(np.asarray(a).nbytes) for a in arrays)
    if algo == CHECKSUM or len(arrays) < 2 or total < (32 << 20):
        return [digest(a, algo) for a in arrays]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(sha256, arrays))


def shard_slices(index: Sequence[Sequence[int]]) -> tuple[slice, ...]:
    """The numpy slices of a recorded shard index ``[[start, stop], ...]``."""
    return tuple(slice(int(a), int(b)) for a, b in index)


def meta_sha256(raw: Mapping[str, Any]) -> str:
    """SHA-256 of a metadata dict without its own checksum field (canonical JSON, hex)."""
    body = {k: v for k, v in raw.items() if k != META_CHECKSUM}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# -- variables <-> JSON ----------------------------------------------------------------------
def _collection_json(c: Any, name: str) -> Any:
    if isinstance(c, str) or (isinstance(c, int) and not isinstance(c, bool)):
        return c
    raise CheckpointError(
        f"variable {name}: collection key {c!r} is neither a string nor an integer; "
        "checkpoints record collection names as JSON. Use string collection names."
    )


def variable_entry(
    name: str, info: VariableInfo, array: np.ndarray, key: str | None, digest: str
) -> dict[str, Any]:
    """The JSON entry of one variable (``name`` relative to the saved Store view)."""
    return {
        "name": name,
        "shape": [int(d) for d in array.shape],
        "dtype": dtype_name(array.dtype),
        "trainable": bool(info.trainable),
        "collections": [_collection_json(c, name) for c in info.collections],
        "device": info.device,
        "key": info.key,
        "array": key,
        "nbytes": int(array.nbytes),
        CHECKSUM: digest,
    }


class Entry:
    """One validated array entry of the metadata (a variable or an optimizer-state leaf)."""

    __slots__ = ("label", "shape", "dtype", "array", "nbytes", "algo", "digest", "shards", "raw")

    def __init__(
        self, raw: Mapping[str, Any], label: str, where: str, algo: str = CHECKSUM
    ) -> None:
        at = f"{where}{label}: "
        shape = raw.get("shape")
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_RANK
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise CheckpointCorruptError(
                f"{at}'shape' must be a list of at most {MAX_RANK} non-negative integers, "
                f"got {shape!r}."
            )
        self.shape = tuple(shape)
        size = math.prod(self.shape)
        if math.prod(d for d in self.shape if d) > MAX_ELEMENTS:
            raise CheckpointCorruptError(f"{at}shape {self.shape} is implausibly large.")
        self.dtype = dtype_from_name(raw.get("dtype"), at)
        nbytes = raw.get("nbytes")
        if nbytes != size * self.dtype.itemsize:
            raise CheckpointCorruptError(
                f"{at}'nbytes' is {nbytes!r} but shape {self.shape} of {self.dtype.name} "
                f"holds {size * self.dtype.itemsize} bytes."
            )
        self.nbytes = int(nbytes)
        array = raw.get("array")
        if size == 0:
            if array is not None:
                raise CheckpointCorruptError(f"{at}a zero-size array must have 'array': null.")
        elif not (isinstance(array, str) and _ARRAY_KEY.fullmatch(array)):
            raise CheckpointCorruptError(f"{at}'array' must be a decimal index, got {array!r}.")
        self.array = array
        self.algo = algo
        self.shards = _shards(raw.get(SHARDS), self.shape, algo, at)
        recorded = raw.get(algo)
        if not (
            (isinstance(recorded, str) and _HEX[algo].fullmatch(recorded))
            or (recorded is None and self.shards is not None)
        ):
            raise CheckpointCorruptError(
                f"{at}'{algo}' must be {_DIGITS[algo]} hex digits, got {recorded!r}."
            )
        self.digest = recorded
        self.label = label
        self.raw = raw

    def check(self, value: np.ndarray, path: Path, computed: str | None = None) -> None:
        """Raise CheckpointCorruptError unless ``value`` has this entry's shape, dtype and
        checksum (``computed``: the whole array's, if already computed), or each recorded
        shard's."""
        if tuple(value.shape) != self.shape or value.dtype != self.dtype:
            raise CheckpointCorruptError(
                f"Checkpoint {path}: {self.label} was recorded as {self.dtype.name}"
                f"{list(self.shape)} but its array data reads as {value.dtype}"
                f"{list(value.shape)}: the checkpoint is corrupt."
            )
        if self.digest is not None:
            pairs = [(self.digest, computed or digest(value, self.algo), "")]
        else:
            pairs = [
                (want, crc32c_hex(value[shard_slices(index)]), f" (shard {index})")
                for index, want in self.shards or ()
            ]
        for want, got, where in pairs:
            if got != want:
                raise CheckpointCorruptError(
                    f"Checkpoint {path}: {self.label}{where} fails its {self.algo} checksum "
                    f"(recorded {want[:12]}…, read {got[:12]}…): its bytes changed after "
                    "saving (a flipped bit, a partial copy, tampering). Restore another "
                    "checkpoint, or pass verify=False to load the damaged values anyway."
                )


def _shards(
    raw: Any, shape: tuple[int, ...], algo: str, at: str
) -> list[tuple[list[list[int]], str]] | None:
    """The validated per-shard checksums of an entry (None when it has none)."""
    if raw is None:
        return None
    bad = CheckpointCorruptError(
        f"{at}'{SHARDS}' must be a list of {{'index': [[start, stop], ...], '{CHECKSUM}': "
        f"hex}} within shape {list(shape)}."
    )
    if algo != CHECKSUM or not isinstance(raw, list) or len(raw) > MAX_ELEMENTS:
        raise bad
    out = []
    for shard in raw:
        index = shard.get("index") if isinstance(shard, dict) else None
        crc = shard.get(CHECKSUM) if isinstance(shard, dict) else None
        if not (
            isinstance(index, list)
            and len(index) == len(shape)
            and isinstance(crc, str)
            and _HEX[CHECKSUM].fullmatch(crc)
            and all(
                isinstance(r, list)
                and len(r) == 2
                and all(isinstance(b, int) and not isinstance(b, bool) for b in r)
                and 0 <= r[0] <= r[1] <= d
                for r, d in zip(index, shape, strict=True)
            )
        ):
            raise bad
        out.append((index, crc))
    return out


class VariableEntry(Entry):
    """A validated variable entry: :class:`Entry` plus the Store metadata."""

    __slots__ = ("name", "info")

    def __init__(self, raw: Mapping[str, Any], where: str, algo: str = CHECKSUM) -> None:
        name = raw.get("name")
        if not isinstance(name, str):
            raise CheckpointCorruptError(
                f"{where}a variable's 'name' must be a string: {raw!r}"[:400]
            )
        super().__init__(raw, f"variable {name!r}", where, algo)
        self.name = name
        trainable = raw.get("trainable")
        colls = raw.get("collections")
        device, key = raw.get("device"), raw.get("key")
        if not isinstance(trainable, bool):
            raise CheckpointCorruptError(f"{where}variable {name!r}: 'trainable' must be a bool.")
        if not isinstance(colls, list) or not all(
            isinstance(c, str) or (isinstance(c, int) and not isinstance(c, bool)) for c in colls
        ):
            raise CheckpointCorruptError(
                f"{where}variable {name!r}: 'collections' must be a list of strings."
            )
        for field, v in (("device", device), ("key", key)):
            if v is not None and not isinstance(v, str):
                raise CheckpointCorruptError(
                    f"{where}variable {name!r}: {field!r} must be a string or null."
                )
        self.info = VariableInfo(
            name=name,
            shape=self.shape,
            dtype=self.dtype.name,
            trainable=trainable,
            collections=tuple(colls),
            device=device,
            key=key,
        )


class Metadata:
    """The validated contents of a checkpoint's ``scopejax.json``."""

    __slots__ = ("path", "raw", "variables", "opt_leaves", "opt_tree", "step", "user")

    def __init__(self, raw: Any, path: Path, verify: bool = True) -> None:
        where = f"Checkpoint {path}: {META_ITEM}/{META_FILE}: "
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise CheckpointCorruptError(
                f'{where}not a scopejax checkpoint (no "format": "{FORMAT}").'
            )
        recorded = raw.get(META_CHECKSUM)
        if verify and recorded is not None:
            try:
                got = meta_sha256(raw)
            except (ValueError, RecursionError):  # unserializable after parsing: damaged
                got = "?"
            if got != recorded:
                raise CheckpointCorruptError(
                    f"{where}the metadata fails its {SHA256} checksum (recorded "
                    f"{str(recorded)[:12]}…, read {got[:12]}…): names, shapes, step or "
                    "metadata changed after saving. Restore another checkpoint, or pass "
                    "verify=False to read it anyway."
                )
        version = raw.get("version")
        if not isinstance(version, int) or version < 1:
            raise CheckpointCorruptError(f"{where}bad 'version' {version!r}.")
        if version > VERSION:
            raise CheckpointError(
                f"{where}written by a newer scopejax (format version {version}; this one reads "
                f"up to {VERSION}). Upgrade scopejax to read it."
            )
        algo = raw.get("checksum")
        if algo != (SHA256 if version == 1 else CHECKSUM):
            raise CheckpointCorruptError(
                f"{where}unknown checksum {algo!r} for format version {version}."
            )
        variables = raw.get(VARIABLES)
        if not isinstance(variables, list):
            raise CheckpointCorruptError(f"{where}'{VARIABLES}' must be a list.")
        self.variables = [
            VariableEntry(v if isinstance(v, dict) else {}, where, algo) for v in variables
        ]
        seen: set[str] = set()
        arrays: set[str] = set()
        for v in self.variables:
            if v.name in seen:
                raise CheckpointCorruptError(f"{where}variable {v.name!r} is listed twice.")
            seen.add(v.name)
            if v.array is not None:
                if v.array in arrays:
                    raise CheckpointCorruptError(f"{where}array {v.array} is used twice.")
                arrays.add(v.array)
        opt = raw.get(OPT_STATE)
        self.opt_tree: Any = None
        self.opt_leaves: list[Entry] | None = None
        if opt is not None:
            if not isinstance(opt, dict) or not isinstance(opt.get("leaves"), list):
                raise CheckpointCorruptError(f"{where}'{OPT_STATE}' must hold a 'leaves' list.")
            self.opt_tree = opt.get("tree")
            self.opt_leaves = []
            arrays = set()
            for i, leaf in enumerate(opt["leaves"]):
                leaf = leaf if isinstance(leaf, dict) else {}
                p = leaf.get("path")
                if not isinstance(p, str):
                    raise CheckpointCorruptError(f"{where}optimizer-state leaf #{i} has no path.")
                e = Entry(leaf, f"optimizer-state leaf {p}", where, algo)
                if e.array is not None:
                    if e.array in arrays:
                        raise CheckpointCorruptError(f"{where}array {e.array} is used twice.")
                    arrays.add(e.array)
                if leaf.get("py") not in (None, "int", "float", "bool"):
                    raise CheckpointCorruptError(f"{where}{e.label}: bad 'py' {leaf.get('py')!r}.")
                self.opt_leaves.append(e)
        step = raw.get("step")
        if step is not None and (
            not isinstance(step, int) or isinstance(step, bool) or not -(2**63) <= step < 2**64
        ):
            raise CheckpointCorruptError(
                f"{where}'step' must be null or an integer that fits in 64 bits, got "
                f"{str(step)[:40]}."
            )
        self.step = step
        user = raw.get("metadata", {})
        self.user = user if isinstance(user, dict) else {}
        self.raw = raw
        self.path = path


def meta_path(path: Path) -> Path:
    return path / META_ITEM / META_FILE


def is_scopejax_checkpoint(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a directory holding a scopejax checkpoint's metadata file.

    Args:
      path: a directory.

    Returns:
      True when it holds a complete scopejax checkpoint (its metadata file is there).
    """
    return meta_path(Path(path)).exists()


def read_metadata(path: Path, verify: bool = True) -> Metadata:
    """Read and validate ``PATH/scopejax/scopejax.json`` (size-limited, regular file only).

    Every file under ``path`` is checked to be a regular file first (see ``_files``), so
    that no later read (ours, orbax's, tensorstore's) can block on a FIFO. ``verify``
    checks the metadata's own SHA-256 (when it has one).
    """
    f = meta_path(path)
    try:
        st = f.stat()
    except FileNotFoundError:
        raise CheckpointCorruptError(
            f"Checkpoint {path}: {META_ITEM}/{META_FILE} is missing: the directory is not a "
            "complete scopejax checkpoint."
        ) from None
    except OSError as e:
        raise CheckpointError(f"Checkpoint {path}: cannot read {f}: {e}") from None
    where = f"Checkpoint {path}: "
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointCorruptError(f"{where}{f} is {kind(st.st_mode)}, not a regular file.")
    check_tree(path, where)
    if st.st_size > MAX_META_BYTES:
        raise CheckpointCorruptError(
            f"Checkpoint {path}: {f} is {st.st_size} bytes, more than the {MAX_META_BYTES} "
            "allowed for metadata."
        )
    try:
        with open_regular(f, where) as fh:
            data = fh.read(MAX_META_BYTES + 1)
        raw = json.loads(data.decode("utf-8"), parse_int=_parse_int)
    except (ValueError, RecursionError) as e:  # bad JSON or UTF-8, deep nesting
        raise CheckpointCorruptError(
            f"{where}{f} is not valid JSON ({type(e).__name__}: {e}"[:300]
            + "): the file is truncated or corrupt."
        ) from None
    except OSError as e:
        raise CheckpointError(f"{where}cannot read {f}: {e}") from None
    field, digits = _find_long_int(raw)
    if field is not None:
        raise CheckpointCorruptError(
            f"{where}{f}: field {field} holds an integer of {digits} digits (no checkpoint "
            "field has one): the file is corrupt."
        )
    return Metadata(raw, path, verify)


class _LongInt(str):
    """A JSON integer too long for ``int()`` (Python's digit limit), kept as its digits."""


def _parse_int(digits: str) -> int | _LongInt:
    try:
        return int(digits)
    except ValueError:
        return _LongInt(digits)


def _find_long_int(raw: Any) -> tuple[str | None, int]:
    """The JSON path of the first :class:`_LongInt` in ``raw`` and its length, or (None, 0)."""
    stack: list[tuple[str, Any]] = [("", raw)]
    while stack:
        at, x = stack.pop()
        if isinstance(x, _LongInt):
            return at or "(the root)", len(x.lstrip("-"))
        if isinstance(x, dict):
            stack.extend((f"{at}.{k}" if at else str(k), v) for k, v in x.items())
        elif isinstance(x, list):
            stack.extend((f"{at}[{i}]", v) for i, v in enumerate(x))
    return None, 0


STEP_NAME = re.compile(r"(0|[1-9][0-9]*)")  # a step directory's name


def step_dirs(directory: Path) -> dict[int, Path]:
    """``{step: path}`` of the complete step checkpoints in ``directory``."""
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return {
        int(p.name): p for p in entries if STEP_NAME.fullmatch(p.name) and is_scopejax_checkpoint(p)
    }
