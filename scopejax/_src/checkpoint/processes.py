"""What a save needs when several JAX processes hold one store (``jax.distributed``).

With one process (``jax.process_count() == 1``) every function here is local and costs
nothing. With several, each is a collective: every process must call it, in the same
order, as every process calls ``save`` with the same arguments.

- :func:`agree`: process 0's verdict (an int) reaches every process, so that a save
  that process 0 refuses (the path exists, another writer holds it) fails everywhere
  instead of leaving the others waiting in a barrier.
- :func:`shard_checksums`: the CRC-32C of each distinct shard of arrays that no process
  holds whole. Each process checksums the shards it owns (``replica_id == 0``); one
  all-gather gives everyone the full list for the metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from scopejax._src.checkpoint.crc32c import crc32c

ShardIndex = list[list[int]]


def count() -> int:
    """The number of JAX processes."""
    return jax.process_count()


def is_primary() -> bool:
    """True in process 0 (the one that takes the lock, renames and writes the JSON)."""
    return jax.process_index() == 0


def agree(value: int) -> int:
    """Process 0's ``value``, in every process (a broadcast; local with one process)."""
    if count() == 1:
        return value
    from jax.experimental import multihost_utils

    got = multihost_utils.broadcast_one_to_all(np.asarray(value, np.int32))
    return int(np.asarray(got))


def _bounds(index: tuple[slice, ...], shape: tuple[int, ...]) -> ShardIndex:
    return [
        [int(s.start or 0), int(d if s.stop is None else s.stop)]
        for s, d in zip(index, shape, strict=True)
    ]


def _key(bounds: ShardIndex) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(r) for r in bounds)


def shard_layout(x: jax.Array) -> list[ShardIndex]:
    """The distinct shards of ``x`` as ``[[start, stop], ...]`` per axis, in a fixed order."""
    seen = {
        _key(b): b
        for b in (_bounds(i, x.shape) for i in x.sharding.devices_indices_map(x.shape).values())
    }
    return [seen[k] for k in sorted(seen)]


def shard_checksums(arrays: Sequence[jax.Array]) -> list[list[tuple[ShardIndex, str]]]:
    """For each array, ``[(index, crc32c hex), ...]`` over its distinct shards.

    Every process must call it with the same arrays (a collective when there are several
    processes). Each shard's bytes are read (C order) on the one process that holds its
    first replica.

    Args:
      arrays: global arrays (typically not fully addressable).

    Returns:
      One list per array, in :func:`shard_layout` order.
    """
    layouts = [shard_layout(x) for x in arrays]
    flat = [(i, _key(b)) for i, lay in enumerate(layouts) for b in lay]
    slot = {key: n for n, key in enumerate(flat)}
    local = np.zeros((len(flat), 2), np.uint32)  # (crc, 1 where this process computed it)
    for i, x in enumerate(arrays):
        for shard in x.addressable_shards:
            if shard.replica_id != 0:
                continue
            b = _key(_bounds(shard.index, x.shape))
            data = np.ascontiguousarray(np.asarray(shard.data))
            local[slot[(i, b)]] = (crc32c(data.reshape(-1).view(np.uint8)), 1)
    if count() > 1 and len(flat):
        from jax.experimental import multihost_utils

        every = np.asarray(multihost_utils.process_allgather(local))  # (processes, n, 2)
        pick = every[..., 1].argmax(axis=0)
        if not every[..., 1].max(axis=0).all():
            raise RuntimeError("a shard was checksummed by no process")  # a jax invariant
        local = every[pick, np.arange(len(flat))]
    crcs = iter(f"{int(c):08x}" for c in local[:, 0])  # in the order of ``flat``
    return [[(b, next(crcs)) for b in lay] for lay in layouts]


def is_global(x: Any) -> bool:
    """True for a ``jax.Array`` that this process does not hold whole."""
    return isinstance(x, jax.Array) and not x.is_fully_addressable
