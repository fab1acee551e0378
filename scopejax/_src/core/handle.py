"""``VariableHandle``: a variable of the current call, as TF1's collections hold it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import numpy as np

if TYPE_CHECKING:
    from scopejax._src.core.context import Frame


class VariableHandle:
    """A variable of the current ``init``/``apply`` call, as TF1's collections hold it.

    Attributes:
      name: the full graph name (``'enc/dense/kernel'``, never ``:0``).
      key: the name ``get_variable`` looks it up by (``None`` for ``Variable``).
      shape, dtype: of the value.
      trainable: the ``trainable`` flag it was created with.
      device: the device spec it was created under, or None.
    """

    __slots__ = (
        "name",
        "key",
        "shape",
        "dtype",
        "trainable",
        "device",
        "_frame",
        "_value",
        "_colls",
        "_stack_axis",
    )

    def __init__(
        self,
        name: str,
        key: str | None,
        value: Any,
        trainable: bool,
        device: str | None,
        frame: Frame,
    ) -> None:
        self.name = name
        self.key = key
        shape, dtype = value.shape, value.dtype
        self.shape = shape if type(shape) is tuple else tuple(shape)
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.trainable = trainable
        self.device = device
        self._frame: Frame | None = frame  # None once the call has returned
        self._value = value
        self._colls: list[Any] = []  # collections in the order it joined them
        self._stack_axis: int | None = None  # per-member variable: its member axis

    def _live_frame(self) -> Frame:
        frame = self._frame
        if frame is None or frame.closed:
            raise ValueError(
                f"Variable {self.name}: this handle belongs to an init/apply call that has "
                "finished; read values from the Store instead (store[name])."
            )
        return frame

    @property
    def collections(self) -> list[Any]:
        """The collections that hold this variable now, in first-use order."""
        frame = self._live_frame()
        return frame.colls.keys_holding(self)

    def detach(self) -> None:
        """Its call has returned: drop the link to the frame (and report it from now on)."""
        self._frame = None

    @property
    def value(self) -> jax.Array:
        """The variable's current value in this call (after any ``assign``)."""
        if self._frame is None or self._frame.closed:
            raise ValueError(
                f"Variable {self.name}: this handle belongs to an init/apply call that has "
                "finished; read values from the Store instead (store[name])."
            )
        return self._value

    def __repr__(self) -> str:
        shape = ", ".join(map(str, self.shape))
        return f"<scopejax.Variable '{self.name}' shape=({shape}) dtype={self.dtype.name}>"
