"""``tf.train.Saver`` and the checkpoint helpers of ``tf.train``, writing and reading
TensorFlow's own V2 checkpoints (``sj.checkpoint.save_tf`` and the bundle reader).

TF1 saves and restores through a ``Session``; here the state is a value, so the
Session's place is taken by what holds the variables::

    saver = tf.train.Saver(max_to_keep=5)                  # TF1: the same line
    saver.save(sess, "train_dir/model.ckpt", global_step=step)
    saver.restore(sess, tf.train.latest_checkpoint("train_dir"))

becomes::

    saver = tf.train.Saver(max_to_keep=5, optimizer=opt)   # opt: to save/restore its slots
    saver.save(state, "train_dir/model.ckpt", global_step=tf.train.get_or_create_global_step())
    state = saver.restore(state, tf.train.latest_checkpoint("train_dir"))

``state`` is a ``TrainState`` (``trainer.init(...)``: the store, the optimizer state
and the step), a ``Store``, or a ``{name: array}`` mapping; ``restore`` returns the
new state instead of assigning in place. With ``optimizer=`` the optimizer's slots
are saved and restored under TF1's names (``dense/kernel/Adam``, ``beta1_power``), so
a checkpoint written here resumes in TF1 and one written by TF1 resumes here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.checkpoint import tf_bundle as _tf_bundle
from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.checkpoint.tf_writer import save_tf
from scopejax._src.compat.lr_decay import GlobalStepRef
from scopejax._src.compat.train import Optimizer
from scopejax._src.core.collection import GraphKeys
from scopejax._src.core.info import VariableInfo
from scopejax._src.core.selectors import select
from scopejax._src.core.store import Store
from scopejax._src.train.train import TrainState


def _store_of(sess: Any, api: str) -> tuple[dict[str, Any], Any]:
    """The variables of ``sess`` by name, and the Store (or None for a mapping)."""
    if isinstance(sess, TrainState):
        return sess.store.flat(), sess.store
    if isinstance(sess, Store):
        return sess.flat(), sess
    if isinstance(sess, Mapping):
        return dict(sess), None
    raise TypeError(
        f"Saver.{api} takes the state in place of TF1's Session: a TrainState "
        f"(trainer.init(...)), a Store or a {{name: array}} mapping; got "
        f"{type(sess).__name__}."
    )


def _var_name(v: Any) -> str:
    name = v if isinstance(v, str) else getattr(v, "name", None)
    if not isinstance(name, str):
        raise TypeError(
            f"Saver: var_list holds {v!r}; it takes variable handles "
            "(tf.trainable_variables()), variable names, or a {checkpoint_name: variable} dict."
        )
    return name[:-2] if name.endswith(":0") else name


def _tf_like(value: Any, like: Any, name: str, key: str) -> jax.Array:
    value = np.asarray(value)
    if tuple(value.shape) != tuple(jnp.shape(like)):
        raise CheckpointError(
            f"Saver.restore: variable {name} has shape {tuple(jnp.shape(like))}, the "
            f"checkpoint's {key} {tuple(value.shape)} (TF: Assign requires shapes of both "
            "tensors to match)."
        )
    dtype = np.dtype(jnp.result_type(like))
    if value.dtype != dtype:
        cast = value.astype(dtype)
        if np.issubdtype(dtype, np.integer) and not np.array_equal(cast, value):
            raise CheckpointError(
                f"Saver.restore: {key} ({value.dtype}) does not fit variable {name} "
                f"({dtype}); enable jax_enable_x64 to hold it."
            )
        value = cast
    out = jnp.asarray(value)
    sharding = getattr(like, "sharding", None)
    if isinstance(like, jax.Array) and sharding is not None:
        out = jax.device_put(out, sharding)
    return out


class Saver:
    """``tf.train.Saver``: save and restore variables as TensorFlow V2 checkpoints.

    See the module docstring for how the Session is replaced. The files are TF's own
    (``prefix.index`` + ``prefix.data-00000-of-00001``, and the ``checkpoint`` state
    file): TF1's ``Saver.restore``, ``tf.train.load_checkpoint`` and
    ``tf.train.init_from_checkpoint`` read them.

    Args:
      var_list: None (every variable of the state, and with ``optimizer`` its slots),
        a list of variable handles or names (saved under their names), a dict
        ``{checkpoint_name: variable}``, or a selector as ``sj.train`` takes
        (``sj.train.regex(...)``, a predicate on ``VariableInfo``).
      reshape: ignored.
      sharded: ignored (one data file is written).
      max_to_keep: how many of this saver's recent checkpoints to keep (None or 0: all).
      keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
      name: ignored.
      restore_sequentially: ignored.
      saver_def: not supported (must be None).
      builder: not supported (must be None).
      defer_build: ignored.
      allow_empty: save nothing without an error when ``var_list`` selects nothing.
      write_version: 2 (TF's V2 format; V1 is not written).
      pad_step_number: name checkpoints ``model.ckpt-00000100`` (8 digits).
      save_relative_paths: write relative paths in the state file.
      filename: ignored.
      optimizer: a ``tf.train`` optimizer of this package: its slots (``state.opt_state``
        of a TrainState) are saved and restored under TF1's names.

    The global step is written as ``int64`` (TF1's dtype) even when it is ``int32`` here
    (JAX without ``jax_enable_x64``), and read back into the variable's dtype.

    Raises:
      ValueError: ``write_version`` is not 2, or ``saver_def`` / ``builder`` is given.
      TypeError: ``optimizer`` is not a ``tf.train`` optimizer.

    >>> import tempfile, numpy as np, scopejax.compat.v1 as tf
    >>> saver = tf.train.Saver()
    >>> path = saver.save({"w": np.ones([2], np.float32)}, tempfile.mkdtemp() + "/m.ckpt", 5)
    >>> path.endswith("m.ckpt-5"), saver.restore({"w": np.zeros([2], np.float32)}, path)["w"]
    (True, Array([1., 1.], dtype=float32))
    """

    def __init__(
        self,
        var_list: Any = None,
        reshape: bool = False,
        sharded: bool = False,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        name: str | None = None,
        restore_sequentially: bool = False,
        saver_def: Any = None,
        builder: Any = None,
        defer_build: bool = False,
        allow_empty: bool = False,
        write_version: int = 2,
        pad_step_number: bool = False,
        save_relative_paths: bool = False,
        filename: str | None = None,
        *,
        optimizer: Optimizer | None = None,
    ) -> None:
        if write_version != 2:
            raise ValueError(
                f"Saver(write_version={write_version}): only TF's V2 checkpoint format "
                "(write_version=2, the default) is written."
            )
        if saver_def is not None or builder is not None:
            raise ValueError("Saver(saver_def=, builder=) is not supported: there is no graph.")
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Saver(optimizer=) takes a scopejax.compat.v1.train optimizer (its slots have "
                f"TF1 names), got {type(optimizer).__name__}."
            )
        self._var_list = var_list
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours * 3600.0
        self._next_keep = time.time() + self._keep_every
        self._allow_empty = allow_empty
        self._pad = pad_step_number
        self._relative = save_relative_paths
        self._optimizer = optimizer
        self._last: list[tuple[str, float]] = []

    @property
    def last_checkpoints(self) -> list[str]:
        """The prefixes of the checkpoints this saver wrote and kept, oldest first."""
        return [p for p, _ in self._last]

    def _mapping(self, names: Sequence[str], store: Store | None) -> dict[str, str]:
        """``{checkpoint name: variable name}`` of ``var_list`` over ``names``."""
        vl = self._var_list
        if vl is None:
            return {n: n for n in names}
        if isinstance(vl, Mapping):
            out = {str(k): _var_name(v) for k, v in vl.items()}
        elif isinstance(vl, (list, tuple)):
            out = {_var_name(v): _var_name(v) for v in vl}
        elif callable(vl):  # a selector, as sj.train takes: a predicate on VariableInfo
            chosen = select(vl, what="Saver(var_list=...)")
            out = {n: n for n in names if chosen(_info(store, n))}
        else:
            out = {_var_name(vl): _var_name(vl)}
        missing = sorted(v for v in out.values() if v not in names)
        if missing:
            raise ValueError(
                f"Saver: var_list names {missing[:6]}, which the state does not hold "
                f"(it has {list(names)[:6]} ...)."
            )
        return out

    def _step_value(self, global_step: Any, flat: Mapping[str, Any]) -> int:
        if isinstance(global_step, (GlobalStepRef, str)) or global_step is True:
            key = global_step if isinstance(global_step, str) else "global_step"
            if key not in flat:
                raise ValueError(
                    f"Saver.save(global_step=...): the state has no variable {key!r}; pass "
                    "the step as a number."
                )
            return int(np.asarray(flat[key]))
        return int(np.asarray(global_step))

    def save(
        self,
        sess: Any,
        save_path: str | os.PathLike[str],
        global_step: Any = None,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        write_meta_graph: bool = True,
        write_state: bool = True,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> str:
        """TF1's ``saver.save``: write a checkpoint of ``sess``'s variables.

        Args:
          sess: the state in place of the Session: a TrainState, a Store or a mapping.
          save_path: the checkpoint prefix (``train_dir/model.ckpt``).
          global_step: None, a step number, or the global step (its reference from
            ``get_or_create_global_step()``, True or its name: read from the state); the
            prefix gets ``-<step>``.
          latest_filename: the state file's name (default ``checkpoint``).
          meta_graph_suffix: ignored (there is no graph to write).
          write_meta_graph: ignored.
          write_state: update the state file (``tf.train.latest_checkpoint`` reads it).
          strip_default_attrs: ignored.
          save_debug_info: ignored.

        Returns:
          The prefix written (``train_dir/model.ckpt-100``).

        Raises:
          TypeError: ``sess`` is not a state.
          ValueError: ``var_list`` selects nothing (without ``allow_empty``) or names
            variables the state lacks; the global step is asked for but absent.
        """
        flat, store = _store_of(sess, "save")
        mapping = self._mapping(list(flat), store)
        values = {k: _as_saved(flat[v], v, store) for k, v in mapping.items()}
        if self._optimizer is not None and self._var_list is None:
            if isinstance(sess, TrainState):
                values.update(self._optimizer.state_to_tf(sess.opt_state))
        if not values and not self._allow_empty:
            raise ValueError("Saver.save: no variables to save (var_list selects none).")
        path = os.fspath(save_path)
        if global_step is not None:
            step = self._step_value(global_step, flat)
            path = f"{path}-{step:08d}" if self._pad else f"{path}-{step}"
        save_tf(path, values)
        self._remember(path)
        if write_state:
            _write_state(path, self.last_checkpoints, latest_filename, self._relative)
        return path

    def _remember(self, path: str) -> None:
        self._last = [(p, t) for p, t in self._last if p != path] + [(path, time.time())]
        keep = self._max_to_keep
        while keep and len(self._last) > keep:
            old, stamp = self._last.pop(0)
            if stamp >= self._next_keep:  # keep_checkpoint_every_n_hours
                self._next_keep = stamp + self._keep_every
                continue
            for suffix in (".index", ".data-00000-of-00001"):
                try:
                    os.remove(old + suffix)
                except FileNotFoundError:
                    pass

    def restore(self, sess: Any, save_path: str | os.PathLike[str] | None) -> Any:
        """TF1's ``saver.restore``: the state with its variables read from a checkpoint.

        With ``optimizer`` and a TrainState, the optimizer's slots are restored too
        (TF1's names), and the TrainState's step becomes the checkpoint's global step.

        Args:
          sess: the state in place of the Session (a TrainState, a Store or a mapping);
            its structure, dtypes and placement are kept.
          save_path: a checkpoint prefix (``tf.train.latest_checkpoint(dir)``) or its
            directory.

        Returns:
          The new state, of the kind of ``sess`` (TF1 assigns in place and returns None).

        Raises:
          ValueError: ``save_path`` is None or not a checkpoint; a TrainState without
            ``optimizer`` meets a checkpoint holding optimizer slots.
          CheckpointError: a variable's tensor is missing (``Key ... not found in
            checkpoint``), has another shape, or does not fit the variable's dtype.
        """
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not _tf_bundle.is_tf_checkpoint(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        flat, store = _store_of(sess, "restore")
        mapping = self._mapping(list(flat), store)
        have = {n for n, _, _ in _tf_bundle.list_variables(save_path, include_slots=True)}
        missing = [k for k in mapping if k not in have]
        if missing:
            raise CheckpointError(
                f"Saver.restore: Key {missing[0]} not found in checkpoint {save_path}"
                f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}."
            )
        read = _tf_bundle.load_tf_checkpoint(save_path, names=list(mapping))
        new = {v: _tf_like(read[k], flat[v], v, k) for k, v in mapping.items()}
        if isinstance(sess, TrainState):
            assert store is not None
            opt_state, step = sess.opt_state, sess.step
            slots = sorted(n for n in have if _tf_bundle.is_slot_name(n) and n not in mapping)
            slots = [n for n in slots if n != "global_step"]
            if self._optimizer is not None and self._var_list is None:
                opt_state = self._optimizer.state_from_tf(save_path, opt_state)
            elif slots and self._var_list is None:
                raise ValueError(
                    f"Saver.restore: the checkpoint holds optimizer state ({slots[:4]} ...) "
                    "and the Saver has no optimizer to restore it into. Pass "
                    "Saver(optimizer=opt) (opt: the tf.train optimizer of the trainer) to "
                    "resume training exactly, or restore the variables alone: "
                    "state._replace(store=saver.restore(state.store, path))."
                )
            if "global_step" in have:
                gs = _tf_bundle.load_tf_checkpoint(save_path, names=["global_step"])
                step = _tf_like(gs["global_step"], step, "the TrainState step", "global_step")
            return TrainState(store.replace(new), opt_state, step)
        if store is not None:
            return store.replace(new)
        return {**flat, **new}


def _as_saved(value: Any, name: str, store: Store | None) -> Any:
    """TF1's global step is int64: an int32 one (JAX without x64) is written as int64,
    so that TF1's ``Saver.restore`` accepts it."""
    step = name == "global_step" or (
        store is not None and GraphKeys.GLOBAL_STEP in store.info(name).collections
    )
    if step and np.asarray(value).dtype == np.int32:
        return np.asarray(value).astype(np.int64)
    return value


def _info(store: Store | None, name: str) -> VariableInfo:
    """Variable ``name``'s metadata (a mapping state has only the name)."""
    return store.info(name) if store is not None else VariableInfo(name, (), "")


def _write_state(path: str, kept: list[str], filename: str | None, relative: bool) -> None:
    """The ``checkpoint`` state file TF's ``latest_checkpoint`` reads."""
    directory = os.path.dirname(path) or "."

    def show(p: str) -> str:
        if relative or not os.path.isabs(p):
            p = os.path.relpath(p, directory)
        return p.replace("\\", "\\\\").replace('"', '\\"')

    lines = [f'model_checkpoint_path: "{show(path)}"']
    lines += [f'all_model_checkpoint_paths: "{show(p)}"' for p in kept]
    state = os.path.join(directory, filename or "checkpoint")
    tmp = f"{state}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, state)


class CheckpointState(NamedTuple):
    """``tf.train.get_checkpoint_state``'s result: the state file's paths.

    Attributes:
      model_checkpoint_path: the latest checkpoint's prefix.
      all_model_checkpoint_paths: the kept checkpoints' prefixes, oldest first.
    """

    model_checkpoint_path: str
    all_model_checkpoint_paths: list[str]


def _unquote(text: str, key: str) -> list[str]:
    rows = re.findall(rf'^\s*{key}\s*:\s*"((?:[^"\\\n]|\\.)*)"', text, re.M)
    return [re.sub(r"\\(.)", r"\1", r) for r in rows]


def get_checkpoint_state(
    checkpoint_dir: str | os.PathLike[str], latest_filename: str | None = None
) -> CheckpointState | None:
    """``tf.train.get_checkpoint_state``: the paths the state file of ``checkpoint_dir``
    lists (relative ones made relative to the directory, as TF does), or None.

    Args:
      checkpoint_dir: the directory ``Saver.save`` wrote to.
      latest_filename: the state file's name (default ``checkpoint``).

    Returns:
      A :class:`CheckpointState`, or None without a state file.

    Raises:
      CheckpointError: the state file names no checkpoint.
    """
    directory = os.fspath(checkpoint_dir)
    state = os.path.join(directory, latest_filename or "checkpoint")
    if not os.path.isfile(state):
        return None
    with open(state, "rb") as f:
        text = f.read(1 << 20).decode("utf-8", "surrogateescape")
    latest = _unquote(text, "model_checkpoint_path")
    if not latest:
        raise CheckpointError(f"The checkpoint state file {state} has no model_checkpoint_path.")

    def full(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(directory, p)

    return CheckpointState(
        full(latest[0]), [full(p) for p in _unquote(text, "all_model_checkpoint_paths")]
    )


def latest_checkpoint(
    checkpoint_dir: str | os.PathLike[str], latest_filename: str | None = None
) -> str | None:
    """``tf.train.latest_checkpoint``: the newest checkpoint prefix the state file of
    ``checkpoint_dir`` names, or None.

    Args:
      checkpoint_dir: the directory ``Saver.save`` wrote to.
      latest_filename: the state file's name (default ``checkpoint``).

    Returns:
      The prefix (``dir/model.ckpt-100``), or None without a state file or when its
      checkpoint is gone.

    Raises:
      CheckpointError: the state file names no checkpoint.
    """
    ckpt = get_checkpoint_state(checkpoint_dir, latest_filename)
    if ckpt is None or not os.path.exists(ckpt.model_checkpoint_path + ".index"):
        return None
    return ckpt.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix: str | os.PathLike[str]) -> bool:
    """``tf.train.checkpoint_exists``: whether a V2 checkpoint has this prefix.

    Args:
      checkpoint_prefix: the prefix (``dir/model.ckpt-100``).

    Returns:
      True if ``prefix.index`` exists.
    """
    return os.path.exists(os.fspath(checkpoint_prefix) + ".index")


def global_step(sess: Any, global_step_tensor: Any = None) -> int:
    """``tf.train.global_step(sess, global_step_tensor)``: the global step as an int.

    Args:
      sess: the state in place of the Session (a TrainState, a Store or a mapping).
      global_step_tensor: the global step's name or reference (default ``global_step``).

    Returns:
      The step.

    Raises:
      KeyError: the state has no such variable.
    """
    flat, _ = _store_of(sess, "global_step")
    name = global_step_tensor if isinstance(global_step_tensor, str) else "global_step"
    if name not in flat:
        raise KeyError(f"global_step: the state has no variable {name!r}.")
    return int(np.asarray(flat[name]))


def list_variables(ckpt_dir_or_file: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``tf.train.list_variables``: ``(name, shape)`` of every tensor of a checkpoint.

    Args:
      ckpt_dir_or_file: a checkpoint prefix or its directory.

    Returns:
      ``[(name, shape), ...]`` sorted by name, optimizer slots included, as TF lists them.

    Raises:
      CheckpointError: the checkpoint is missing or unreadable.
    """
    rows = _tf_bundle.list_variables(ckpt_dir_or_file, include_slots=True)
    return [(name, list(shape)) for name, shape, _ in rows]


def load_variable(ckpt_dir_or_file: str | os.PathLike[str], name: str) -> np.ndarray:
    """``tf.train.load_variable``: one tensor of a checkpoint.

    Args:
      ckpt_dir_or_file: a checkpoint prefix or its directory.
      name: the tensor's name (a trailing ``:0`` is dropped, as TF does).

    Returns:
      The value, a numpy array.

    Raises:
      CheckpointError: the checkpoint or the name is missing.
    """
    if name.endswith(":0"):
        name = name[:-2]
    return _tf_bundle.load_tf_checkpoint(ckpt_dir_or_file, names=[name])[name]
