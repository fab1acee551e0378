"""``device(spec)``: TF1's ``tf.device`` for variable placement at ``init``."""

from __future__ import annotations

import functools
import os
import re
import warnings
from typing import Any

import jax

from scopejax._src.core.context import Frame, current_frame
from scopejax._src.core.request import Next, VariableRequest
from scopejax._src.core.sharding import put_on_device

_SPEC = re.compile(
    r"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?/?(?:device:)?"
    r"(?P<kind>[A-Za-z_]+)(?::(?P<index>\d+|\*))?$"
)
_KINDS = {"cpu": "cpu", "gpu": "gpu", "xla_gpu": "gpu", "cuda": "gpu", "rocm": "gpu", "tpu": "tpu"}


def parse_device(spec: Any) -> tuple[str | None, Any]:
    """(canonical spec like ``'gpu:0'``, the ``jax.Device`` or None if it is absent)."""
    if spec is None or spec == "":
        return None, None
    if isinstance(spec, jax.Device):
        return f"{spec.platform}:{spec.id}", spec
    if not isinstance(spec, str):
        raise TypeError(
            f"device() takes a string like '/GPU:0' or 'cpu:0', or a jax.Device; got {spec!r}."
        )
    m = _SPEC.match(spec.strip())
    if m is None or m.group("kind").lower() not in _KINDS:
        raise ValueError(
            f"device({spec!r}): cannot parse the device. Use '/CPU:0', '/GPU:1', 'tpu:0', "
            "'/device:GPU:0' or a jax.Device."
        )
    platform = _KINDS[m.group("kind").lower()]
    index = m.group("index")
    idx = 0 if index in (None, "*") else int(index)
    canonical = f"{platform}:{idx}"
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        devices = []
    if idx < len(devices):
        return canonical, devices[idx]
    available = ", ".join(f"{d.platform}:{d.id}" for d in jax.devices())
    warnings.warn(
        f"scopejax.device({spec!r}): there is no {canonical} on this machine (available: "
        f"{available}). Variables created in this block keep {canonical!r} in their metadata "
        "but are placed on the default device.",
        RuntimeWarning,
        stacklevel=3,
    )
    return canonical, None


class device:  # noqa: N801 - TF1's name
    """Place the variables created in this block on a device (TF1's ``tf.device``).

    ``init`` puts each new variable on the device and records the spec in its
    metadata (``Store.info(name).device``). A spec naming a device this machine
    lacks gives a warning and the default device, never an error. ``None``
    clears an outer spec. Under ``jax.jit(init)`` it is a sharding constraint, so the
    compiled init returns the variable on that device; all the variables placed in one
    jitted init must then name the same device (one program runs on one set of devices:
    a ValueError names two that differ; init eagerly, or use ``sj.sharding.use``).
    Inside ``sj.sharding.use`` the block's mesh decides and the spec is only recorded.

    >>> import jax, scopejax as sj
    >>> def f():
    ...     with sj.device("cpu:0"):
    ...         sj.get_variable("w", [2])
    >>> store = sj.transform(f).init(jax.random.key(0))
    >>> store.info("w").device
    'cpu:0'
    """

    __slots__ = ("_spec", "_resolved", "_frame")

    def __init__(self, spec: Any) -> None:
        self._spec = spec
        self._resolved = parse_device(spec)

    def __enter__(self) -> None:
        self._frame = current_frame("device")
        self._frame.devices.append(self._resolved)

    def __exit__(self, *exc: Any) -> None:
        self._frame.devices.pop()


@functools.cache
def memory_bytes() -> int | None:
    """The memory of the default backend's local devices, in bytes (None if unknown).

    Accelerators report their own limit (``memory_stats()["bytes_limit"]``, summed over
    local devices); CPU devices share the host's physical memory, counted once.
    """
    devices = jax.local_devices()
    if devices and devices[0].platform != "cpu":
        limits = [(d.memory_stats() or {}).get("bytes_limit") for d in devices]
        sizes = [x for x in limits if isinstance(x, int) and x > 0]
        if len(sizes) == len(limits):
            return int(sum(sizes))
        return None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def current(frame: Frame) -> tuple[str | None, Any]:
    """``(spec, device)`` of the innermost ``sj.device`` block of ``frame``, or (None, None).

    The frame's device stack belongs to this module (``sj.device`` pushes and pops it).
    """
    devices = frame.devices
    return devices[-1] if devices else (None, None)


def active(frame: Frame) -> bool:
    """Whether an ``sj.device`` block is open in ``frame``."""
    return bool(frame.devices)


def placement(req: VariableRequest, next: Next) -> Any:
    """Interceptor: put a new variable on the device of its ``sj.device`` scope (at init)."""
    value = next(req)
    if req.device is not None and req.sharding is None and req.frame.is_init:
        value = put_on_device(value, req.device)
    return value
