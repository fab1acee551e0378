"""A variable's static metadata (:class:`VariableInfo`), the Store's auxiliary data."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

GLOBAL = "variables"
TRAINABLE = "trainable_variables"


@dataclasses.dataclass(frozen=True, slots=True)
class VariableInfo:
    """Static metadata of one variable (hashable: it is pytree auxiliary data).

    ``trainable`` is derived from the collections (membership of
    ``TRAINABLE_VARIABLES``, as in TF1). Given explicitly, it adds the variable to that
    collection or removes it, so the two never disagree.

    >>> VariableInfo("w", (2,), "float32", trainable=False).collections
    ('variables',)
    >>> VariableInfo("w", (2,), "float32", collections=("variables",)).trainable
    False
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool | None = None  # None: derived from the collections (a bool once built)
    collections: tuple[Any, ...] = (GLOBAL, TRAINABLE)
    device: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        colls = tuple(self.collections)
        if self.trainable is True and TRAINABLE not in colls:
            colls = (*colls, TRAINABLE)
        elif self.trainable is False and TRAINABLE in colls:
            colls = tuple(c for c in colls if c != TRAINABLE)
        object.__setattr__(self, "collections", colls)
        object.__setattr__(self, "trainable", TRAINABLE in colls)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize
