"""Sharding by name: rules that give each variable a ``NamedSharding`` where it is created.

``use(mesh, rules)`` opens a block in which every variable gets the ``PartitionSpec``
of the first rule whose regular expression matches its full name (``re.search``, as
``sj.train.regex``). Inside a ``variable_scope(..., sharding=...)`` that scope's rules
come first, and a TF1 ``partitioner=`` shards the axis it would have split. A variable
no rule matches is replicated, or with ``strict=True`` an error that names it.

TF1 partitioners: the variable keeps its one TF1 name and full shape (no ``w/part_0``);
the axis the partitioner splits is sharded over the mesh's partition axis (all of its
devices: the number of parts TF1 computed only picks the axis, and whether to split).
TF1 allowed uneven parts (10 rows in 3: 4, 3, 3); a ``jax.Array`` shards an axis only
evenly, so a partitioned axis the mesh axis does not divide is replicated, with a
:class:`ShardingWarning` naming the variable (a ported model still runs). A rule's
spec that does not divide its variable is a ``ShardingError``: the user wrote it.

The sharding is decided once per variable (:func:`resolve`, at ``init``) and applied by
the :func:`placement` interceptor: ``jax.device_put`` when eager, and
``with_sharding_constraint`` under ``jax.jit(init)``. Fast init draws every group of
equally-sharded variables straight into its sharding (born sharded, see fastinit).
"""

from __future__ import annotations

import functools
import math
import re
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding

from scopejax._src.core.errors import ShardingError
from scopejax._src.core.names import compile_pattern
from scopejax._src.core.request import Next, VariableRequest
from scopejax._src.core.store_summary import bytes_by_device as bytes_by_device
from scopejax._src.core.store_summary import bytes_per_device as bytes_per_device
from scopejax._src.core.store_summary import describe as describe

Spec: TypeAlias = "PartitionSpec | NamedSharding | None"
Rules: TypeAlias = "Sequence[tuple[str, PartitionSpec | NamedSharding | None]]"

#: the mesh axis a partitioner splits over when no ``use(..., partition_axis=)`` says
PARTITION_AXIS = "partition"


#: the mesh axis ``sj.train`` steps split their batch over, when the mesh has it
BATCH_AXIS = "data"


class _Default:
    """The default of an argument whose None means something else."""


_DEFAULT = _Default()


class ShardingWarning(UserWarning):
    """A TF1 partitioner's split cannot be an even JAX sharding, so the variable is
    replicated instead (TF1 allowed uneven parts; a ``jax.Array`` does not)."""


class _Rules:
    """Compiled ``(regex, spec)`` rules; the first match wins."""

    __slots__ = ("rules",)

    def __init__(self, rules: Any, what: str) -> None:
        if isinstance(rules, (PartitionSpec, NamedSharding)):
            rules = [(".*", rules)]
        if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence):
            raise TypeError(
                f"{what}: rules must be a list of (regex, PartitionSpec) pairs, e.g. "
                f"[('kernel$', P(None, 'model')), ('.*', P())]; got {rules!r}."
            )
        out = []
        for i, rule in enumerate(rules):
            if not (isinstance(rule, tuple) and len(rule) == 2):
                raise TypeError(
                    f"{what}: rule {i} must be a (regex, PartitionSpec) pair, got {rule!r}."
                )
            pattern, spec = rule
            if spec is not None and not isinstance(spec, (PartitionSpec, NamedSharding)):
                raise TypeError(
                    f"{what}: rule {i} ({pattern!r}) maps to {spec!r}; use a "
                    "jax.sharding.PartitionSpec, a NamedSharding, or None (replicated)."
                )
            out.append((compile_pattern(pattern, f"{what} rule {i}"), spec))
        self.rules: tuple[tuple[re.Pattern[str], Spec], ...] = tuple(out)

    def match(self, name: str) -> tuple[bool, Spec]:
        for rx, spec in self.rules:
            if rx.search(name) is not None:
                return True, spec
        return False, None


class use:  # noqa: N801 - a context manager, like variable_scope
    """Give the variables created inside the ``NamedSharding`` of their rule.

    Args:
      mesh: a ``jax.sharding.Mesh``.
      rules: ``[(regex, PartitionSpec), ...]`` matched against each variable's full
        name with ``re.search``; the first match wins. ``None`` as a spec replicates.
      strict: a variable no rule matches is a :class:`ShardingError` naming it
        (default: replicated).
      partition_axis: the mesh axis a TF1 ``partitioner=`` splits over (default: the
        axis named ``'partition'`` if the mesh has one, else the mesh's first axis).
      batch_axis: the mesh axis ``sj.train`` steps split the leading axis of their
        batch over (data parallelism). Default: ``'data'`` when the mesh has that axis,
        else none; None leaves the batch as given.

    Returns:
      A context manager; ``init``, ``jax.jit(init)``, ``init_abstract``, ``apply`` and
      ``sj.train`` steps started inside follow the rules. At ``apply`` (and in a training
      step) a stored value a rule matches is placed by it; an unmatched one keeps the
      sharding it has (a partitioner's, a scope's), or is replicated if it is not on
      the mesh yet. The rules are read when a jitted function is traced.

    Raises:
      TypeError: malformed rules. ValueError: ``partition_axis`` or ``batch_axis`` is
      not an axis of the mesh. ``ShardingError`` (at ``init``): a spec that does not
      fit its variable, or an unmatched variable in strict mode.

    >>> import jax, numpy as np, scopejax as sj
    >>> from jax.sharding import Mesh, PartitionSpec as P
    >>> mesh = Mesh(np.array(jax.devices()[:1]), ("model",))
    >>> net = sj.transform(lambda: sj.get_variable("w", [4, 2]))
    >>> with sj.sharding.use(mesh, [("w$", P("model"))]):
    ...     store = net.init(jax.random.key(0))
    >>> tuple(store["w"].sharding.spec)
    ('model',)
    """

    __slots__ = ("mesh", "rules", "strict", "partition_axis", "batch_axis", "key", "memo")

    def __init__(
        self,
        mesh: Mesh,
        rules: Rules = (),
        *,
        strict: bool = False,
        partition_axis: str | None = None,
        batch_axis: str | None | _Default = _DEFAULT,
    ) -> None:
        if not isinstance(mesh, Mesh):
            raise TypeError(f"sj.sharding.use needs a jax.sharding.Mesh, got {mesh!r}.")
        self.mesh = mesh
        self.rules = _Rules(rules, "sj.sharding.use")
        self.strict = bool(strict)
        if partition_axis is None:
            names = mesh.axis_names
            partition_axis = PARTITION_AXIS if PARTITION_AXIS in names else names[0]
        elif partition_axis not in mesh.axis_names:
            raise ValueError(
                f"sj.sharding.use: partition_axis {partition_axis!r} is not an axis of the "
                f"mesh {tuple(mesh.axis_names)}."
            )
        self.partition_axis = partition_axis
        if isinstance(batch_axis, _Default):
            batch_axis = BATCH_AXIS if BATCH_AXIS in mesh.axis_names else None
        elif batch_axis is not None and batch_axis not in mesh.axis_names:
            raise ValueError(
                f"sj.sharding.use: batch_axis {batch_axis!r} is not an axis of the mesh "
                f"{tuple(mesh.axis_names)}; name one of them, or None to leave batches as given."
            )
        self.batch_axis: str | None = batch_axis
        #: what a function traced inside depends on (jit caches are keyed by it)
        self.key = _Key((mesh, self.rules.rules, self.strict, partition_axis, batch_axis))
        #: (name, shape) -> its rule's checked sharding, or None when no rule matches
        #: (``apply`` looks every stored variable up at each call)
        self.memo: dict[tuple[str, tuple[int, ...]], NamedSharding | None] = {}

    def __enter__(self) -> use:
        jit_key = _JIT_KEY(self.key)
        jit_key.__enter__()
        _ACTIVE.stack.append(self)
        _ACTIVE.jit_keys.append(jit_key)
        return self

    def __exit__(self, *exc: Any) -> None:
        popped = _ACTIVE.stack.pop()
        _ACTIVE.jit_keys.pop().__exit__(*exc)
        assert popped is self, "sj.sharding.use blocks closed out of order"


class _Key:
    """A hashable value with its hash computed once (looked up at every training step)."""

    __slots__ = ("value", "hash")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value
        self.hash = hash(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and (self is other or self.value == other.value)


class _Active(threading.local):
    def __init__(self) -> None:
        self.stack: list[use] = []
        self.jit_keys: list[Any] = []  # the open _JIT_KEY contexts, one per block


_ACTIVE = _Active()

#: The active block's key, part of every ``jax.jit`` cache key (a JAX user context): a
#: function jitted outside a block, or under other rules, is traced again inside it instead
#: of reusing a trace whose placements were decided without (or with other) rules.
_JIT_KEY = jax.make_user_context(default_value=None)


def current() -> use | None:
    """The innermost active :class:`use` block of this thread, or None."""
    stack = _ACTIVE.stack
    return stack[-1] if stack else None


def scope_rules(sharding: Any) -> _Rules | None:
    """``variable_scope(sharding=...)``: a spec, a NamedSharding or rules, compiled."""
    if sharding is None:
        return None
    return _Rules(sharding, "variable_scope(sharding=...)")


# -- TF1 partitioners ----------------------------------------------------------------
def _check_axis(axis: int, shape: Sequence[int], what: str) -> None:
    if not 0 <= axis < len(shape):
        raise ValueError(
            f"{what}: axis {axis} is out of range for a variable of shape {tuple(shape)}."
        )


def _element_size(dtype: Any, bytes_per_string_element: int) -> int:
    dt = np.dtype(dtype)
    return bytes_per_string_element if dt.kind in "OSU" else dt.itemsize


def fixed_size_partitioner(num_shards: int, axis: int = 0) -> Callable[..., list[int]]:
    """TF1's ``tf.fixed_size_partitioner``: ``min(num_shards, shape[axis])`` parts on ``axis``.

    Args:
      num_shards: the number of parts.
      axis: the axis to split.

    Returns:
      ``partitioner(shape, dtype=None) -> [parts per axis]``.

    >>> fixed_size_partitioner(3)([10, 4])
    [3, 1]
    """

    def partitioner(shape: Sequence[int], dtype: Any = None, **_: Any) -> list[int]:
        shape = list(shape)
        _check_axis(axis, shape, "fixed_size_partitioner")
        parts = [1] * len(shape)
        parts[axis] = min(num_shards, shape[axis])
        return parts

    return partitioner


def variable_axis_size_partitioner(
    max_shard_bytes: int,
    axis: int = 0,
    bytes_per_string_element: int = 16,
    max_shards: int | None = None,
) -> Callable[..., list[int]]:
    """TF1's ``tf.variable_axis_size_partitioner``: parts of at most ``max_shard_bytes``.

    Args:
      max_shard_bytes: the most bytes one part may hold (at least one slice per part).
      axis: the axis to split.
      bytes_per_string_element: the size assumed for a string element.
      max_shards: at most this many parts.

    Returns:
      ``partitioner(shape, dtype) -> [parts per axis]``.

    >>> variable_axis_size_partitioner(1024)([100, 16], np.float32)
    [7, 1]
    """
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError("Both max_shard_bytes and bytes_per_string_element must be positive.")
    if max_shards is not None and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def partitioner(shape: Sequence[int], dtype: Any = np.float32, **_: Any) -> list[int]:
        shape = list(shape)
        _check_axis(axis, shape, "variable_axis_size_partitioner")
        parts = [1] * len(shape)
        size = _element_size(dtype, bytes_per_string_element)
        bytes_per_slice = 1.0 * (math.prod(shape) / shape[axis]) * size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        shards = int(math.ceil(1.0 * shape[axis] / slices_per_shard))
        if max_shards:
            shards = min(max_shards, shards)
        parts[axis] = shards
        return parts

    return partitioner


def min_max_variable_partitioner(
    max_partitions: int = 1,
    axis: int = 0,
    min_slice_size: int = 256 << 10,
    bytes_per_string_element: int = 16,
) -> Callable[..., list[int]]:
    """TF1's ``tf.min_max_variable_partitioner``: parts of at least ``min_slice_size``
    bytes, at most ``max_partitions`` of them.

    Args:
      max_partitions: the most parts.
      axis: the axis to split.
      min_slice_size: the fewest bytes per part.
      bytes_per_string_element: the size assumed for a string element.

    Returns:
      ``partitioner(shape, dtype) -> [parts per axis]``.

    >>> min_max_variable_partitioner(4, min_slice_size=1024)([100, 16], np.float32)
    [4, 1]
    """

    def partitioner(shape: Sequence[int], dtype: Any = np.float32, **_: Any) -> list[int]:
        shape = list(shape)
        _check_axis(axis, shape, "min_max_variable_partitioner")
        total = math.prod(shape) * _element_size(dtype, bytes_per_string_element)
        parts = [1] * len(shape)
        parts[axis] = max(
            1, min(shape[axis], max_partitions, int(math.ceil(total / min_slice_size)))
        )
        return parts

    return partitioner


def _default_mesh() -> Mesh:
    """Without ``use``: a 1-D mesh over every device, for partitioners."""
    return _mesh_over(tuple(jax.devices()))


_MESHES: dict[tuple[Any, ...], Mesh] = {}


def _mesh_over(devices: tuple[Any, ...]) -> Mesh:
    mesh = _MESHES.get(devices)
    if mesh is None:
        mesh = _MESHES[devices] = Mesh(np.array(devices), (PARTITION_AXIS,))
    return mesh


def _partition_spec(
    name: str, shape: tuple[int, ...], dtype: Any, partitioner: Callable, mesh_axis: str
) -> tuple[PartitionSpec, list[int]]:
    """The spec sharding the axis ``partitioner`` splits over ``mesh_axis``, and its parts."""
    try:
        got = partitioner(shape=list(shape), dtype=dtype)
    except TypeError:  # a partitioner taking the shape only
        try:
            got = partitioner(list(shape))
        except TypeError as e:
            raise TypeError(f"Variable {name}: calling its partitioner failed: {e}") from e
    try:
        parts = [int(p) for p in got]
    except (TypeError, ValueError):
        parts = []
    if len(parts) != len(shape) or any(p < 1 for p in parts):
        raise ShardingError(
            f"Variable {name}: the partitioner returned {got!r} for shape {shape}; it must give "
            "a positive number of parts per axis."
        )
    split = [i for i, p in enumerate(parts) if int(p) > 1]
    if len(split) > 1:
        raise ShardingError(
            f"Variable {name}: the partitioner splits axes {split}; TF1 (and scopejax) "
            "partition one axis only."
        )
    dims: list[str | None] = [None] * len(shape)
    if split:
        dims[split[0]] = mesh_axis
    return PartitionSpec(*dims), parts


# -- deciding and applying --------------------------------------------------------------
def resolve(
    name: str,
    shape: tuple[int, ...] | None,
    dtype: Any,
    *,
    scope: _Rules | None = None,
    partitioner: Callable | None = None,
) -> NamedSharding | None:
    """The sharding of new variable ``name``: its partitioner's, else its scopes' rules',
    else the active :class:`use` block's; None when nothing asks for one.

    Args:
      name: the full name.
      shape: its shape as stored (with a lifted member axis), None if unknown.
      dtype: its dtype.
      scope: the rules of the enclosing ``variable_scope(sharding=...)`` blocks.
      partitioner: a TF1 partitioner (``get_variable``/``variable_scope`` argument).

    Returns:
      The ``NamedSharding``, or None (placement left to JAX).

    Raises:
      ShardingError: a spec that does not fit the variable, a partitioner without a
        known shape, or (strict) no rule matched.
    """
    ctx = current()
    mesh = ctx.mesh if ctx is not None else None
    spec: Spec = None
    if partitioner is not None:
        if shape is None:
            raise ShardingError(
                f"Variable {name}: a partitioner needs the variable's shape; pass shape=."
            )
        if mesh is None:
            mesh = _default_mesh()
            axis = PARTITION_AXIS
        else:
            assert ctx is not None
            axis = ctx.partition_axis
        spec, parts = _partition_spec(name, shape, dtype, partitioner, axis)
        sharding = NamedSharding(mesh, _trimmed(spec))
        if misfit(name, shape, sharding) is not None:
            # TF1 split unevenly (10 rows in 3 parts: 4, 3, 3); a jax.Array cannot, so a
            # ported model still runs, with this variable whole on every device
            i = spec.index(axis)
            n = dict(zip(mesh.axis_names, mesh.devices.shape, strict=True))[axis]
            warnings.warn(
                f"Variable {name} of shape {tuple(shape)}: its TF1 partitioner splits axis {i} "
                f"into {parts[i]} parts, which this sharding spreads over mesh axis {axis!r} "
                f"({n} devices); {shape[i]} does not split evenly over {n} (TF1 allowed uneven "
                "parts, a jax.Array does not), so it is replicated instead: every device "
                "holds all of it. To shard it, give sj.sharding.use a mesh whose "
                f"{axis!r} axis size divides {shape[i]}, or name another axis with "
                "partition_axis=.",
                ShardingWarning,
                stacklevel=2,
            )
            return NamedSharding(mesh, PartitionSpec())
        return sharding
    else:
        found = False
        if scope is not None:
            found, spec = scope.match(name)
        if not found and ctx is not None:
            found, spec = ctx.rules.match(name)
            if not found and ctx.strict:
                raise _no_rule(name, ", or a catch-all ('.*', P()) last")
        if not found and ctx is None:
            return None
    if isinstance(spec, NamedSharding):
        sharding = spec
    else:
        if mesh is None:
            raise ShardingError(
                f"Variable {name}: variable_scope(sharding=...) gave it {spec!r}, but no mesh "
                "is active. Open sj.sharding.use(mesh, ...) around init, or give a "
                "NamedSharding instead of a PartitionSpec."
            )
        sharding = named(name, mesh, spec)
    if shape is not None:
        check_fits(name, shape, sharding)
    return sharding


def _trimmed(spec: PartitionSpec) -> PartitionSpec:
    """``spec`` without trailing Nones: ``P('model', None)`` is ``P('model')``, as jit
    outputs have it (equal shardings, so a step's outputs match its inputs and the next
    step does not compile again)."""
    dims = list(spec)
    if not dims or dims[-1] is not None:
        return spec
    while dims and dims[-1] is None:
        dims.pop()
    return PartitionSpec(*dims)


def named(name: str, mesh: Mesh, spec: PartitionSpec | None) -> NamedSharding:
    """``NamedSharding(mesh, spec)``; a spec naming an axis the mesh lacks is a
    ShardingError naming the variable."""
    spec = PartitionSpec() if spec is None else _trimmed(spec)
    try:
        return NamedSharding(mesh, spec)
    except ValueError as e:
        raise ShardingError(
            f"Variable {name}: its PartitionSpec {spec} does not fit the mesh "
            f"{dict(zip(mesh.axis_names, mesh.devices.shape, strict=True))}: {e} Use the "
            "mesh's axis names."
        ) from e


def misfit(name: str, shape: tuple[int, ...], sharding: NamedSharding) -> str | None:
    """Why ``sharding`` cannot split ``shape`` evenly over its mesh, or None if it can."""
    spec, mesh = sharding.spec, sharding.mesh
    if len(spec) > len(shape):
        return (
            f"Variable {name} of shape {tuple(shape)}: its PartitionSpec {spec} has "
            f"{len(spec)} entries for {len(shape)} axes. Give at most one entry per axis."
        )
    sizes = dict(zip(mesh.axis_names, mesh.devices.shape, strict=True))
    for i, entry in enumerate(spec):
        if entry is None:
            continue
        names = entry if isinstance(entry, tuple) else (entry,)
        n = 1
        for a in names:
            if a not in sizes:
                return (
                    f"Variable {name}: its PartitionSpec {spec} names mesh axis {a!r}, which "
                    f"the mesh {tuple(mesh.axis_names)} does not have. Use the mesh's axis "
                    "names, or a NamedSharding on another mesh."
                )
            n *= sizes[a]
        if shape[i] % n:
            return (
                f"Variable {name} of shape {tuple(shape)}: axis {i} ({shape[i]}) does not "
                f"split evenly over mesh axes {names} ({n} devices). Pick a spec whose mesh "
                "axes divide it, or replicate this axis (None)."
            )
    return None


def check_fits(name: str, shape: tuple[int, ...], sharding: NamedSharding) -> None:
    """Raise ShardingError unless ``sharding`` splits ``shape`` evenly over its mesh.

    Raises:
      ShardingError: naming the variable, the axis and the mesh axes that do not fit.
    """
    problem = misfit(name, shape, sharding)
    if problem is not None:
        raise ShardingError(problem)


def place(value: Any, sharding: NamedSharding | None) -> Any:
    """``value`` with ``sharding``: a constraint when traced, a transfer when eager."""
    if sharding is None:
        return value
    if isinstance(value, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(value, sharding)
    if getattr(value, "sharding", None) == sharding:
        return value
    return jax.device_put(value, sharding)


def put_on_device(value: Any, dev: Any) -> Any:
    """``value`` on ``dev``: a transfer when eager, a sharding constraint when traced
    (``jax.jit(init)`` then returns it on that device)."""
    if isinstance(value, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(value, SingleDeviceSharding(dev))
    return jax.device_put(value, dev)


def check_one_device(devices: Mapping[str, Any]) -> None:
    """Refuse ``sj.device`` placements on different devices in one traced init.

    Args:
      devices: ``{variable name: jax.Device}`` of the traced variables under ``sj.device``.

    Raises:
      ValueError: two of them name different devices (one XLA program runs on one set
        of devices), naming both variables and what to do instead.
    """
    first: tuple[str, Any] | None = None
    for name, dev in devices.items():
        if first is None:
            first = (name, dev)
        elif dev != first[1]:
            raise ValueError(
                f"Variable {name}: sj.device places it on {dev}, but {first[0]} is on "
                f"{first[1]}, in the same jax.jit(init): one compiled program runs on one "
                "set of devices, so it cannot return variables on different single devices. "
                "Call net.init without jax.jit (each variable is then put on its device), or "
                "split the variables over a mesh with sj.sharding.use(mesh, rules)."
            )


def placement(req: VariableRequest, next: Next) -> Any:
    """Interceptor: give a new variable the sharding :func:`resolve` chose for it."""
    value = next(req)
    if req.sharding is None:
        return value
    check_fits(req.graph_name, tuple(value.shape), req.sharding)
    if getattr(req.frame, "plan", None) is not None:
        # fast init's discovery: the plan keeps the sharding and draws the value straight
        # into it (a constraint here would make the draw a traced value, drawn whole)
        return value
    return place(value, req.sharding)


def shard_params(params: dict[str, Any]) -> dict[str, Any]:
    """``apply`` inside :class:`use`: each stored value placed by the block's rules.

    A value no rule matches keeps the sharding it has when it is already on the mesh
    (a partitioner's or a scope's, from ``init``) or traced (JAX keeps its input
    sharding); otherwise it is replicated onto the mesh, or, with ``strict``, it is a
    ShardingError.

    Raises:
      ShardingError: a rule's spec does not fit the value, or (strict) an eager value
        off the mesh matches no rule.
    """
    if current() is None:
        return params
    out = {}
    for name, value in params.items():
        sharding = param_sharding(name, value)
        out[name] = value if sharding is None else place(value, sharding)
    return out


def _no_rule(name: str, more_fixes: str, why: str = "") -> ShardingError:
    """The strict mode's error for variable ``name``, which no rule matches."""
    return ShardingError(
        f"Variable {name}: no sharding rule matches it (sj.sharding.use(..., strict=True))"
        f"{why}. Add a rule for it, e.g. (re.escape(name), P()) to replicate it{more_fixes}."
    )


def param_sharding(name: str, value: Any) -> NamedSharding | None:
    """Where the active :class:`use` block puts stored variable ``name`` (an array or a
    ``ShapeDtypeStruct``): its rule's sharding; None to keep it as it is (no block, or
    unmatched and already on the mesh or traced). See :func:`shard_params`.

    Raises:
      ShardingError: the rule's spec does not fit, or (strict) unmatched and off the mesh.
    """
    ctx = current()
    if ctx is None:
        return None
    shape = tuple(np.shape(value))
    key = (name, shape)
    try:
        sharding = ctx.memo[key]
    except KeyError:
        found, spec = ctx.rules.match(name)
        sharding = None
        if found:
            sharding = spec if isinstance(spec, NamedSharding) else named(name, ctx.mesh, spec)
            check_fits(name, shape, sharding)
        ctx.memo[key] = sharding
    if sharding is not None:
        return sharding
    # no rule matches
    if isinstance(value, jax.core.Tracer) or _on_mesh(value, ctx.mesh):
        return None
    if ctx.strict:
        raise _no_rule(name, "", ", and it is not on the mesh yet")
    sharding = named(name, ctx.mesh, None)
    check_fits(name, shape, sharding)
    return sharding


def _on_mesh(value: Any, mesh: Mesh) -> bool:
    sharding = getattr(value, "sharding", None)
    return isinstance(sharding, NamedSharding) and sharding.mesh == mesh


def shard_batch(args: tuple[Any, ...], skip: Sequence[int] = ()) -> tuple[Any, ...]:
    """``args`` of a training step with each array's leading axis split over the batch
    axis of the active :class:`use` block (data parallelism); positions in ``skip``
    (static arguments) and non-arrays are left alone.

    An array whose leading axis the batch axis does not divide (a last, smaller batch)
    is replicated instead, with a :class:`ShardingWarning`.

    Args:
      args: the positional arguments of a step (arrays, or pytrees of them).
      skip: positions not to touch.

    Returns:
      The arguments, their arrays placed (already placed ones are passed through).
    """
    ctx = current()
    if ctx is None or ctx.batch_axis is None:
        return args
    split, replicated, n = _batch_shardings(ctx.mesh, ctx.batch_axis)
    uneven: list[str] = []

    def one(i: int, x: Any) -> Any:
        if not isinstance(x, (jax.Array, np.ndarray)) or isinstance(x, jax.core.Tracer):
            return x
        if not x.shape:
            return x
        if x.shape[0] % n:
            uneven.append(f"argument {i} of shape {tuple(x.shape)}")
            return place(x, replicated)
        return place(x, split)

    out = list(args)
    for i, a in enumerate(args):
        if i in skip:
            continue
        if isinstance(a, (jax.Array, np.ndarray)):
            out[i] = one(i, a)  # the common case, without a tree walk
        else:
            out[i] = jax.tree.map(functools.partial(one, i), a)
    if uneven:
        more = f" (and {len(uneven) - 1} more)" if len(uneven) > 1 else ""
        warnings.warn(
            f"Training batch {uneven[0]}{more}: its leading axis does not split evenly over "
            f"mesh axis {ctx.batch_axis!r} ({n} devices), so it is replicated (no data "
            f"parallelism for it). Use batch sizes divisible by {n}, or sj.sharding.use(..., "
            "batch_axis=None) to leave batches as given.",
            ShardingWarning,
            stacklevel=3,
        )
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _batch_shardings(mesh: Mesh, axis: str) -> tuple[NamedSharding, NamedSharding, int]:
    """(the batch's sharding, replicated, the batch axis's size) on ``mesh``."""
    size = dict(zip(mesh.axis_names, mesh.devices.shape, strict=True))[axis]
    return NamedSharding(mesh, PartitionSpec(axis)), NamedSharding(mesh, PartitionSpec()), size


def shard_like(tree: Any, params: Mapping[str, Any]) -> Any:
    """``tree`` (an optimizer state) placed like ``params`` inside :class:`use` (else as is).

    A leaf whose key path ends in a parameter's name (the Stores in an optax state,
    ``mu``/``nu``/``trace``, are keyed by name) and has that parameter's shape gets the
    parameter's sharding; every other array leaf (step counts, factored statistics) is
    replicated on the mesh.

    Args:
      tree: a pytree, e.g. what ``optimizer.init(params)`` returned.
      params: ``{name: array}``, e.g. ``store.flat()``.

    Returns:
      The same tree, its arrays on the mesh.
    """
    ctx = current()
    if ctx is None:
        return tree
    replicated = NamedSharding(ctx.mesh, PartitionSpec())
    like = {
        name: (tuple(v.shape), v.sharding)
        for name, v in params.items()
        if isinstance(getattr(v, "sharding", None), NamedSharding)
    }

    def one(path: tuple[Any, ...], x: Any) -> Any:
        if not isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
            return x
        last = path[-1] if path else None
        hit = like.get(last.key) if isinstance(last, jax.tree_util.DictKey) else None
        if hit is not None and hit[0] == tuple(x.shape):
            return place(x, hit[1])
        return place(x, replicated)

    return jax.tree_util.tree_map_with_path(one, tree)
