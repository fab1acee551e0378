"""``tf.nn.rnn_cell`` / ``tf.contrib.rnn`` with TF1's signatures, and the TF1 unrolls.

The cells are :mod:`scopejax.nn`'s (same math, same variable names) with TF1's
constructor signatures added on top: ``state_is_tuple=False`` (an LSTM state as one
``[batch, c + h]`` array, a stack's states concatenated), ``reuse=`` as the third
positional argument, ``cell(inputs, state, scope=...)`` and a base class that user
cells subclass with ``call``. The wrappers follow TF 1.15's ``rnn_cell_impl`` /
``rnn_cell_wrapper_impl`` (``DropoutWrapper``, ``ResidualWrapper``, ``DeviceWrapper``
open no variable scope) and ``contrib/rnn/python/ops/core_rnn_cell.py``
(``OutputProjectionWrapper``, ``EmbeddingWrapper`` do: ``.../output_projection_wrapper/``).
``bidirectional_dynamic_rnn`` and ``static_bidirectional_rnn`` follow TF 1.15's
``rnn.py``: ``bidirectional_rnn/fw/...`` and ``bidirectional_rnn/bw/...``.

Unrolls are Python loops over time (as ``static_rnn`` in TF1): for long sequences use
``sj.scan`` with an ``sj.nn`` cell.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from scopejax._src.compat.nn_ops import dropout as _dropout
from scopejax._src.core.context import Frame, maybe_frame
from scopejax._src.core.device import device as _device
from scopejax._src.core.initializers import RandomUniform
from scopejax._src.core.rng import next_rng_key
from scopejax._src.core.scope import (
    AUTO_REUSE,
    Reuse,
    VariableScope,
    capture_scope,
    get_variable_scope,
    variable_scope,
)
from scopejax._src.nn import recurrent as _r
from scopejax._src.nn.common import float_dtype, make_bias, make_kernel
from scopejax._src.nn.module import Module, camel_to_snake
from scopejax._src.nn.recurrent import LSTMStateTuple

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "EmbeddingWrapper",
    "GRUBlockCell",
    "GRUBlockCellV2",
    "GRUCell",
    "LSTMBlockCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "OutputProjectionWrapper",
    "RNNCell",
    "ResidualWrapper",
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "static_bidirectional_rnn",
    "stack_bidirectional_dynamic_rnn",
    "stack_bidirectional_rnn",
    "static_rnn",
]


def _step_of(cls: type) -> Callable[..., Any]:
    """``cls.__call__`` without its scope entry (the compat ``__call__`` has entered it)."""
    method = cls.__call__
    return getattr(method, "__wrapped__", method)


_STEP = {
    cls: _step_of(cls)
    for cls in (_r.BasicRNNCell, _r.GRUCell, _r.BasicLSTMCell, _r.LSTMCell, _r.MultiRNNCell)
}


def _no_extra(cls: str, kwargs: dict[str, Any]) -> None:
    extra = sorted(k for k in kwargs if k not in ("trainable", "_reuse", "_scope"))
    if extra:
        raise TypeError(f"{cls}: unexpected keyword arguments {extra}.")
    if not kwargs.get("trainable", True):
        raise NotImplementedError(
            f"{cls}(trainable=False) is not provided: the cell's variables are trainable; "
            "leave them out of the trainer's var_list to freeze them."
        )


class RNNCell(_r.RNNCell):
    """``tf.nn.rnn_cell.RNNCell``: the base of TF1 cells, ``cell(inputs, state) -> (output,
    new_state)``.

    A subclass defines ``state_size``, ``output_size`` and ``call(inputs, state)``, as in
    TF1; its variables live under the cell's scope (its snake_case class name), chosen
    at the first call as TF1 layers do.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> class Leaky(tf.nn.rnn_cell.RNNCell):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.n = n
    ...     @property
    ...     def state_size(self):
    ...         return self.n
    ...     @property
    ...     def output_size(self):
    ...         return self.n
    ...     def call(self, inputs, state):
    ...         w = tf.get_variable("w", [inputs.shape[1], self.n])
    ...         h = 0.5 * state + tf.matmul(inputs, w)
    ...         return h, h
    >>> net = sj.transform(lambda x: tf.nn.dynamic_rnn(Leaky(3), x, dtype=tf.float32)[0])
    >>> net.init(jax.random.key(0), jnp.ones([2, 4, 5])).names()
    ['rnn/leaky/w']
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # ``call`` runs inside ``__call__``'s scope: entering it again would turn the
        # first call's reuse=None into AUTO_REUSE and hide a name collision
        call = cls.__dict__.get("call")
        if inspect.isfunction(call):
            _r.unscoped(call)
        super().__init_subclass__(**kwargs)

    def __init__(
        self, trainable: bool = True, name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        """Args:
        trainable: only True (TF1's layer argument).
        name: the cell's scope name; default its snake_case class name.
        dtype: ignored (variables take the inputs' dtype).
        **kwargs: ``_reuse`` (TF1's private reuse flag).

        Raises:
          NotImplementedError: ``trainable=False``.
          TypeError: an unknown keyword argument.
        """
        _no_extra(type(self).__name__, {**kwargs, "trainable": trainable})
        Module.__init__(self, name=name, reuse=kwargs.get("_reuse"))

    @_r.unscoped
    def __call__(self, inputs: Any, state: Any, scope: str | VariableScope | None = None) -> Any:
        """Run one step in the cell's scope.

        Args:
          inputs: ``[batch, features]``.
          state: the previous state (structure of ``state_size``).
          scope: at the first call, the scope to create the variables in (instead of
            the cell's name), as TF1.

        Returns:
          ``(output, new_state)``.
        """
        if scope is not None and self._scope is None:
            self._tf1_scope_arg = scope
        with self._enter():
            return self.call(inputs, state)

    def _capture(self, frame: Frame) -> VariableScope:
        """The scope at the first call, as TF1's ``Layer._set_scope``: a ``scope=``
        argument, or with ``reuse`` the name as given, are entered as they are; else
        the name (default the snake_case class name) is made unique like a default
        name, so two cells named ``"x"`` get ``x`` and ``x_1``."""
        scope_arg = self.__dict__.get("_tf1_scope_arg")
        base = self._sj_name or self._sj_base_name or camel_to_snake(type(self).__name__)
        if scope_arg is not None:
            s = capture_scope(frame, scope_arg, None, self._sj_reuse)
        elif self._sj_reuse is True or self._sj_reuse is AUTO_REUSE:
            s = capture_scope(frame, base, None, self._sj_reuse)
        else:
            s = capture_scope(frame, None, base, None)
        self._scope = s
        return s

    def call(self, inputs: Any, state: Any) -> Any:
        """One step: a subclass's work (TF1's ``RNNCell.call``).

        Args:
          inputs: ``[batch, features]``.
          state: the previous state.

        Returns:
          ``(output, new_state)``.

        Raises:
          NotImplementedError: always, in the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs, state).")


class BasicRNNCell(RNNCell, _r.BasicRNNCell):
    """``tf.nn.rnn_cell.BasicRNNCell``: ``h' = activation([x, h] @ kernel + bias)``,
    variables ``basic_rnn_cell/kernel``, ``basic_rnn_cell/bias``."""

    def __init__(
        self,
        num_units: int,
        activation: Callable | str | None = None,
        reuse: Reuse = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        """Args:
        num_units: the state and output width.
        activation: default ``tanh``.
        reuse: share existing variables (TF1's ``reuse``).
        name: the scope name; default ``basic_rnn_cell``.
        dtype: ignored (variables take the inputs' dtype).
        **kwargs: ``trainable`` (accepted).
        """
        _no_extra("BasicRNNCell", kwargs)
        _r.BasicRNNCell.__init__(self, num_units, activation, name=name, reuse=reuse)

    def call(self, inputs: Any, state: Any) -> Any:
        """One step (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: ``[batch, num_units]``.

        Returns:
          ``(output, new_state)``, both the new ``h``.
        """
        return _STEP[_r.BasicRNNCell](self, inputs, state)


class GRUCell(RNNCell, _r.GRUCell):
    """``tf.nn.rnn_cell.GRUCell``: ``gru_cell/gates/{kernel,bias}`` (reset, update; the
    bias starts at 1) and ``gru_cell/candidate/{kernel,bias}``."""

    def __init__(
        self,
        num_units: int,
        activation: Callable | str | None = None,
        reuse: Reuse = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        """Args:
        num_units: the state and output width.
        activation: the candidate's activation; default ``tanh``.
        reuse: share existing variables.
        kernel_initializer: both kernels' initializer.
        bias_initializer: both biases' initializer (default 1 for gates, 0 for candidate).
        name: the scope name; default ``gru_cell``.
        dtype: ignored.
        **kwargs: ``trainable`` (accepted).
        """
        _no_extra("GRUCell", kwargs)
        _r.GRUCell.__init__(
            self, num_units, activation, kernel_initializer, bias_initializer, name, reuse=reuse
        )

    def call(self, inputs: Any, state: Any) -> Any:
        """One step (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: ``[batch, num_units]``.

        Returns:
          ``(output, new_state)``, both the new ``h``.
        """
        return _STEP[_r.GRUCell](self, inputs, state)


class _LSTMStateLayout:
    """``state_is_tuple``: TF1's LSTM state as ``LSTMStateTuple(c, h)`` or as one array
    ``concat([c, h], 1)``."""

    num_units: int
    output_size: int
    state_is_tuple: bool

    @property
    def state_size(self) -> Any:
        if self.state_is_tuple:
            return LSTMStateTuple(self.num_units, self.output_size)  # type: ignore[arg-type]
        return self.num_units + self.output_size

    def _split(self, state: Any) -> LSTMStateTuple:
        if self.state_is_tuple:
            return state
        n = self.num_units
        return LSTMStateTuple(state[:, :n], state[:, n:])

    def _join(self, state: LSTMStateTuple) -> Any:
        return state if self.state_is_tuple else jnp.concatenate([state.c, state.h], 1)


class BasicLSTMCell(_LSTMStateLayout, RNNCell, _r.BasicLSTMCell):
    """``tf.nn.rnn_cell.BasicLSTMCell``: gates ``i, j, f, o`` from one fused
    ``basic_lstm_cell/kernel``, ``forget_bias`` added to ``f``; the state is
    ``LSTMStateTuple(c, h)`` or, with ``state_is_tuple=False``, ``concat([c, h], 1)``."""

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Callable | str | None = None,
        reuse: Reuse = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        """Args:
        num_units: the width of ``c`` and ``h``.
        forget_bias: added to the forget gate.
        state_is_tuple: ``LSTMStateTuple(c, h)``, else one ``[batch, 2 * num_units]``.
        activation: default ``tanh``.
        reuse: share existing variables.
        name: the scope name; default ``basic_lstm_cell``.
        dtype: ignored.
        **kwargs: ``trainable`` (accepted).
        """
        _no_extra("BasicLSTMCell", kwargs)
        _r.BasicLSTMCell.__init__(self, num_units, forget_bias, activation, name=name, reuse=reuse)
        self.state_is_tuple = bool(state_is_tuple)

    def call(self, inputs: Any, state: Any) -> Any:
        """One step (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: ``LSTMStateTuple(c, h)``, or ``[batch, 2 * num_units]``.

        Returns:
          ``(h, new_state)``.
        """
        out, new = _STEP[_r.BasicLSTMCell](self, inputs, self._split(state))
        return out, self._join(new)


class LSTMCell(_LSTMStateLayout, RNNCell, _r.LSTMCell):
    """``tf.nn.rnn_cell.LSTMCell``: :class:`BasicLSTMCell`'s math under ``lstm_cell``, with
    peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``), ``cell_clip``, a projection
    ``projection/kernel`` of ``h`` to ``num_proj`` (then ``proj_clip``)."""

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: float | None = None,
        initializer: Any = None,
        num_proj: int | None = None,
        proj_clip: float | None = None,
        num_unit_shards: int | None = None,
        num_proj_shards: int | None = None,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Callable | str | None = None,
        reuse: Reuse = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        """Args:
        num_units: the width of ``c``.
        use_peepholes: diagonal connections from ``c`` to the gates.
        cell_clip: clip ``c`` to ``[-cell_clip, cell_clip]``.
        initializer: the kernels' initializer.
        num_proj: project ``h`` to this width.
        proj_clip: clip the projected ``h``.
        num_unit_shards: deprecated in TF1; only ``None``.
        num_proj_shards: deprecated in TF1; only ``None``.
        forget_bias: added to the forget gate.
        state_is_tuple: ``LSTMStateTuple(c, h)``, else one ``concat([c, h], 1)``.
        activation: default ``tanh``.
        reuse: share existing variables.
        name: the scope name; default ``lstm_cell``.
        dtype: ignored.
        **kwargs: ``trainable`` (accepted).

        Raises:
          ValueError: ``num_unit_shards`` or ``num_proj_shards`` given.
        """
        _no_extra("LSTMCell", kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError(
                "LSTMCell: num_unit_shards / num_proj_shards (deprecated in TF1) are not "
                "provided; partition the kernel with a partitioner on the variable scope."
            )
        _r.LSTMCell.__init__(
            self,
            num_units,
            forget_bias,
            activation,
            initializer,
            name=name,
            reuse=reuse,
            use_peepholes=use_peepholes,
            cell_clip=cell_clip,
            num_proj=num_proj,
            proj_clip=proj_clip,
        )
        self.state_is_tuple = bool(state_is_tuple)

    def call(self, inputs: Any, state: Any) -> Any:
        """One step (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: ``LSTMStateTuple(c, h)``, or ``concat([c, h], 1)``.

        Returns:
          ``(h, new_state)``.
        """
        out, new = _STEP[_r.LSTMCell](self, inputs, self._split(state))
        return out, self._join(new)


class LSTMBlockCell(LSTMCell):
    """``tf.contrib.rnn.LSTMBlockCell``: TF1's fused LSTM kernel, the math of
    :class:`LSTMCell` (gates ``i, j, f, o``, peepholes ``w_i_diag``, ``w_f_diag``,
    ``w_o_diag``, ``cell_clip`` on ``c``) under ``lstm_cell``; the state is always an
    ``LSTMStateTuple``."""

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        cell_clip: float | None = None,
        use_peephole: bool = False,
        dtype: Any = None,
        reuse: Reuse = None,
        name: str = "lstm_cell",
    ) -> None:
        """Args:
        num_units: the width of ``c`` and ``h``.
        forget_bias: added to the forget gate.
        cell_clip: clip ``c`` to ``[-cell_clip, cell_clip]``; ``None`` (or a value
          not above 0, as TF's kernel) for none.
        use_peephole: diagonal connections from ``c`` to the gates.
        dtype: ignored.
        reuse: share existing variables.
        name: the scope name (made unique unless ``reuse``).
        """
        clip = cell_clip if cell_clip is not None and cell_clip > 0 else None
        LSTMCell.__init__(
            self,
            num_units,
            use_peepholes=use_peephole,
            cell_clip=clip,
            forget_bias=forget_bias,
            reuse=reuse,
            name=name,
        )


class GRUBlockCell(GRUCell):
    """``tf.contrib.rnn.GRUBlockCell``: TF1's fused GRU kernel, the math of
    :class:`GRUCell` with variables ``gru_cell/w_ru``, ``b_ru`` (starts at 1), ``w_c``,
    ``b_c``."""

    _variable_names = ("w_ru", "b_ru", "w_c", "b_c")

    def __init__(
        self,
        num_units: int | None = None,
        cell_size: int | None = None,
        reuse: Reuse = None,
        name: str = "gru_cell",
    ) -> None:
        """Args:
        num_units: the state width.
        cell_size: its deprecated spelling; give exactly one of the two.
        reuse: share existing variables.
        name: the scope name (made unique unless ``reuse``).

        Raises:
          ValueError: both or neither of ``num_units`` and ``cell_size``.
        """
        if (cell_size is None) == (num_units is None):
            raise ValueError(
                "GRUBlockCell: exactly one of num_units or cell_size must be provided."
            )
        units = num_units if num_units is not None else cell_size
        GRUCell.__init__(self, units, reuse=reuse, name=name)  # type: ignore[arg-type]


class GRUBlockCellV2(GRUBlockCell):
    """``tf.contrib.rnn.GRUBlockCellV2``: :class:`GRUBlockCell` with :class:`GRUCell`'s
    variable names (``gru_cell/gates/kernel``, ...)."""

    _variable_names = _r.GRUCell._variable_names


def _is_nested(size: Any) -> bool:
    return isinstance(size, (tuple, list))


class MultiRNNCell(RNNCell, _r.MultiRNNCell):
    """``tf.nn.rnn_cell.MultiRNNCell``: cells stacked, cell ``i`` under
    ``multi_rnn_cell/cell_i``; the state is a tuple of the cells' states or, with
    ``state_is_tuple=False``, their concatenation."""

    def __init__(self, cells: Sequence[Any], state_is_tuple: bool = True) -> None:
        """Args:
        cells: the cells, bottom first.
        state_is_tuple: a tuple of states, else one array (every cell's state an array).

        Raises:
          ValueError: no cells; or ``state_is_tuple=False`` with a cell whose state is a
            tuple.
        """
        _r.MultiRNNCell.__init__(self, cells)
        self.state_is_tuple = bool(state_is_tuple)
        if not self.state_is_tuple and any(_is_nested(c.state_size) for c in self.cells):
            raise ValueError(
                "MultiRNNCell(state_is_tuple=False): some cells return tuples of states "
                f"({[c.state_size for c in self.cells]}); build them with state_is_tuple=False "
                "or pass state_is_tuple=True."
            )

    @property
    def state_size(self) -> Any:
        sizes = tuple(c.state_size for c in self.cells)
        return sizes if self.state_is_tuple else sum(sizes)

    def call(self, inputs: Any, state: Any) -> Any:
        """Run the cells in turn (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: a tuple of the cells' states, or their concatenation.

        Returns:
          ``(last cell's output, new_state)``.

        Raises:
          ValueError: a tuple state whose length is not the number of cells.
        """
        if self.state_is_tuple:
            if not _is_nested(state) or len(state) != len(self.cells):
                raise ValueError(
                    f"MultiRNNCell: expected a state tuple of length {len(self.cells)}, got "
                    f"{type(state).__name__}."
                )
            return _STEP[_r.MultiRNNCell](self, inputs, state)
        parts, pos = [], 0
        for c in self.cells:
            parts.append(state[:, pos : pos + c.state_size])
            pos += c.state_size
        out, new = _STEP[_r.MultiRNNCell](self, inputs, parts)
        return out, jnp.concatenate(new, 1)


# --- wrappers ----------------------------------------------------------------------------
class _Delegating:
    """The sizes and zero state of the wrapped cell ``self._cell``."""

    _cell: Any

    @property
    def state_size(self) -> Any:
        """The wrapped cell's."""
        return self._cell.state_size

    @property
    def output_size(self) -> Any:
        """The wrapped cell's."""
        return self._cell.output_size

    def zero_state(self, batch_size: int, dtype: Any = jnp.float32) -> Any:
        """The wrapped cell's zero state.

        Args:
          batch_size: the batch size.
          dtype: the state's dtype.

        Returns:
          A structure of zeros shaped as ``state_size``.
        """
        return self._cell.zero_state(batch_size, dtype)


class _Wrapper(_Delegating):
    """A cell around a cell: the same state and output sizes, no variable scope."""

    def __init__(self, cell: Any) -> None:
        if not callable(cell) or not hasattr(cell, "state_size"):
            raise TypeError(
                f"{type(self).__name__}: cell must be an RNN cell (state_size, output_size, "
                f"call), got {type(cell).__name__}."
            )
        self._cell = cell

    @property
    def wrapped_cell(self) -> Any:
        """The cell inside."""
        return self._cell

    def _inner(self, inputs: Any, state: Any, scope: Any) -> Any:
        if scope is None:
            return self._cell(inputs, state)
        return self._cell(inputs, state, scope=scope)


def _check_keep_prob(name: str, value: Any) -> None:
    if isinstance(value, numbers.Real) and not 0 <= float(value) <= 1:
        raise ValueError(f"DropoutWrapper: {name} must be between 0 and 1, got {value}.")


def _should_drop(p: Any) -> bool:
    # TF 1.15's DropoutWrapper: a Python float of 1 skips the op; anything else drops
    return not isinstance(p, float) or p < 1


def _default_state_filter(substate: Any) -> Any:
    # TF 1.15's _default_dropout_state_filter_visitor: an LSTM drops h, never c
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # type: ignore[arg-type]
    return True


def _rebuild(like: Any, parts: list[Any]) -> Any:
    return type(like)(*parts) if hasattr(like, "_fields") else type(like)(parts)


def _map_filtered(visitor: Callable, fn: Callable, state: Any, noise: Any = None) -> Any:
    """``fn(leaf, noise_leaf)`` on the leaves of ``state`` the visitor selects (TF's
    ``get_traverse_shallow_structure`` with the filter, then a map up to it); ``noise``
    is ``None`` or a structure like ``state``."""
    decision = visitor(state)
    if isinstance(decision, bool):
        if not decision:
            return state
        if not _is_nested(state):
            return fn(state, noise)
        decision = [True] * len(state)
    noises = [None] * len(state) if noise is None else list(noise)
    parts = [
        _map_filtered(visitor, fn, s, n) if d else s
        for d, s, n in zip(decision, state, noises, strict=True)
    ]
    return _rebuild(state, parts)


class DropoutWrapper(_Wrapper):
    """``tf.nn.rnn_cell.DropoutWrapper``: dropout on the cell's inputs, outputs and state.

    A Python float keep probability of 1.0 leaves that part untouched (no key needed);
    below 1 each call draws a mask from ``sj.next_rng_key()`` (pass ``rng=`` to
    ``apply``) and scales the kept values by ``1 / keep_prob``. The state filter
    drops an LSTM's ``h`` and never its ``c`` (TF's default visitor).
    ``variational_recurrent=True`` draws one mask per part at the first call, shared
    by every time step and every example (shape ``[1, size]``), as TF 1.15. Opens no
    variable scope: ``rnn/lstm_cell/kernel`` stays as it is.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def f(x):
    ...     cell = tf.nn.rnn_cell.LSTMCell(4)
    ...     cell = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=0.5)
    ...     return tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)[0]
    >>> net = sj.transform(f)
    >>> x = jnp.ones([2, 3, 5])
    >>> store = net.init(jax.random.key(0), x)
    >>> store.names(), net.apply(store, x, rng=jax.random.key(1)).shape
    (['rnn/lstm_cell/bias', 'rnn/lstm_cell/kernel'], (2, 3, 4))
    """

    def __init__(
        self,
        cell: Any,
        input_keep_prob: Any = 1.0,
        output_keep_prob: Any = 1.0,
        state_keep_prob: Any = 1.0,
        variational_recurrent: bool = False,
        input_size: Any = None,
        dtype: Any = None,
        seed: Any = None,
        dropout_state_filter_visitor: Callable | None = None,
    ) -> None:
        """Args:
        cell: the RNN cell to wrap.
        input_keep_prob: keep probability on the inputs (a float or an array).
        output_keep_prob: keep probability on the outputs.
        state_keep_prob: keep probability on the state (the filter decides which parts).
        variational_recurrent: one mask per part for all steps and examples.
        input_size: the inputs' width (TF needs it for variational input dropout; here
          it is read from the first inputs when not given).
        dtype: the masks' dtype for variational dropout; default float32.
        seed: ignored (keys come from ``apply(..., rng=key)``).
        dropout_state_filter_visitor: ``substate -> bool`` (or a structure of bools)
          choosing the state parts to drop.

        Raises:
          ValueError: a constant keep probability outside ``[0, 1]``.
          TypeError: ``cell`` is not an RNN cell; the filter is not callable.
        """
        super().__init__(cell)
        for name, p in (
            ("input_keep_prob", input_keep_prob),
            ("output_keep_prob", output_keep_prob),
            ("state_keep_prob", state_keep_prob),
        ):
            _check_keep_prob(name, p)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("DropoutWrapper: dropout_state_filter_visitor must be callable.")
        self._input_keep_prob = input_keep_prob
        self._output_keep_prob = output_keep_prob
        self._state_keep_prob = state_keep_prob
        self._variational = bool(variational_recurrent)
        self._input_size = input_size
        self._dtype = jnp.float32 if dtype is None else dtype
        self._state_filter = dropout_state_filter_visitor or _default_state_filter
        self._noise: tuple[Any, dict[str, Any]] | None = None

    def _variational_noise(self, part: str, size: Any) -> Any:
        """The ``[1, size]`` uniform noise of ``part``: drawn once per init/apply."""
        frame = maybe_frame()
        if self._noise is None or self._noise[0] is not frame:
            self._noise = (frame, {})
        cache = self._noise[1]
        if part not in cache:
            leaves, tree = jax.tree.flatten(size)
            noise = [jax.random.uniform(next_rng_key(), (1, int(s)), self._dtype) for s in leaves]
            cache[part] = jax.tree.unflatten(tree, noise)
        return cache[part]

    def _drop(self, part: str, value: Any, keep: Any, size: Any) -> Any:
        if not self._variational:
            return jax.tree.map(lambda v: _dropout(v, keep_prob=keep), value)
        noise = self._variational_noise(part, size)
        flat_noise = jax.tree.leaves(noise)
        flat, tree = jax.tree.flatten(value)
        # TF 1.15's _variational_recurrent_dropout_value: value / keep * floor(keep + noise)
        out = [v / keep * jnp.floor(keep + n) for v, n in zip(flat, flat_noise, strict=True)]
        return jax.tree.unflatten(tree, out)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
        """Run the wrapped cell with dropout (see the class).

        Args:
          inputs: ``[batch, features]``.
          state: the wrapped cell's state.
          scope: passed to the wrapped cell.

        Returns:
          ``(output, new_state)``.
        """
        if _should_drop(self._input_keep_prob):
            size = self._input_size if self._input_size is not None else inputs.shape[-1]
            inputs = self._drop("input", inputs, self._input_keep_prob, size)
        output, new_state = self._inner(inputs, state, scope)
        if _should_drop(self._state_keep_prob):
            keep = self._state_keep_prob
            if self._variational:
                noise = self._variational_noise("state", self._cell.state_size)
                new_state = _map_filtered(
                    self._state_filter,
                    lambda v, n: v / keep * jnp.floor(keep + n),
                    new_state,
                    noise,
                )
            else:
                new_state = _map_filtered(
                    self._state_filter, lambda v, n: _dropout(v, keep_prob=keep), new_state
                )
        if _should_drop(self._output_keep_prob):
            output = self._drop("output", output, self._output_keep_prob, self._cell.output_size)
        return output, new_state


class ResidualWrapper(_Wrapper):
    """``tf.nn.rnn_cell.ResidualWrapper``: the output is ``inputs + cell's output`` (or
    ``residual_fn(inputs, output)``); the state is the cell's. Opens no variable scope."""

    def __init__(self, cell: Any, residual_fn: Callable | None = None) -> None:
        """Args:
        cell: the RNN cell to wrap.
        residual_fn: ``(inputs, outputs) -> outputs``; default their sum.

        Raises:
          TypeError: ``cell`` is not an RNN cell.
        """
        super().__init__(cell)
        self._residual_fn = residual_fn

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
        """Run the wrapped cell and add its inputs to its output.

        Args:
          inputs: ``[batch, features]``, the width of the cell's output.
          state: the wrapped cell's state.
          scope: passed to the wrapped cell.

        Returns:
          ``(output, new_state)``.

        Raises:
          ValueError: the output's shape differs from the inputs' (default residual).
        """
        output, new_state = self._inner(inputs, state, scope)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), new_state
        x = jnp.asarray(inputs)
        if x.shape != output.shape:
            raise ValueError(
                f"ResidualWrapper: the cell's output has shape {output.shape} but its inputs "
                f"have {x.shape}; they are added, so the cell's num_units must be the input "
                "width (or pass residual_fn=)."
            )
        return x + output, new_state


class DeviceWrapper(_Wrapper):
    """``tf.nn.rnn_cell.DeviceWrapper``: the cell's variables are made under
    ``sj.device(device)``. Opens no variable scope."""

    def __init__(self, cell: Any, device: Any) -> None:
        """Args:
        cell: the RNN cell to wrap.
        device: a device spec (``"/gpu:0"``, ``"cpu:0"``) for ``sj.device``.

        Raises:
          TypeError: ``cell`` is not an RNN cell.
        """
        super().__init__(cell)
        self._device = device

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
        """Run the wrapped cell under the device.

        Args:
          inputs: ``[batch, features]``.
          state: the wrapped cell's state.
          scope: passed to the wrapped cell.

        Returns:
          ``(output, new_state)``.
        """
        with _device(self._device):
            return self._inner(inputs, state, scope)


class OutputProjectionWrapper(_Delegating, RNNCell):
    """``tf.contrib.rnn.OutputProjectionWrapper``: the cell's output projected to
    ``output_size`` by ``output_projection_wrapper/kernel`` and ``/bias``; the wrapped
    cell's variables are nested under it (``rnn/output_projection_wrapper/gru_cell/...``)."""

    def __init__(
        self, cell: Any, output_size: int, activation: Callable | None = None, reuse: Reuse = None
    ) -> None:
        """Args:
        cell: the RNN cell to wrap.
        output_size: the projection's width.
        activation: applied to the projection; default none.
        reuse: share existing variables.

        Raises:
          ValueError: ``output_size`` is not positive.
        """
        RNNCell.__init__(self, _reuse=reuse)
        if int(output_size) < 1:
            raise ValueError(
                f"OutputProjectionWrapper: output_size must be positive, got {output_size}."
            )
        self._cell = cell
        self._output_size = int(output_size)
        self._activation = activation

    @property
    def output_size(self) -> int:
        """The projection's width."""
        return self._output_size

    def call(self, inputs: Any, state: Any) -> Any:
        """Run the cell, then project its output.

        Args:
          inputs: ``[batch, features]``.
          state: the wrapped cell's state.

        Returns:
          ``(projected output, new_state)``.
        """
        output, new_state = self._cell(inputs, state)
        dt = float_dtype(output)
        kernel = make_kernel([output.shape[-1], self._output_size], dt)
        projected = output @ kernel + make_bias([self._output_size], dt)
        if self._activation is not None:
            projected = self._activation(projected)
        return projected, new_state


class EmbeddingWrapper(_Delegating, RNNCell):
    """``tf.contrib.rnn.EmbeddingWrapper``: integer inputs ``[batch, 1]`` looked up in
    ``embedding_wrapper/embedding`` ``[embedding_classes, embedding_size]`` before the
    cell. The default initializer is the scope's, else uniform in ``±sqrt(3)`` as TF1.
    TF1 pins the table to ``/cpu:0``; here it follows the other variables."""

    def __init__(
        self,
        cell: Any,
        embedding_classes: int,
        embedding_size: int,
        initializer: Any = None,
        reuse: Reuse = None,
    ) -> None:
        """Args:
        cell: the RNN cell to wrap.
        embedding_classes: the number of ids.
        embedding_size: the embedding width.
        initializer: the table's initializer.
        reuse: share existing variables.

        Raises:
          ValueError: a size is not positive.
        """
        RNNCell.__init__(self, _reuse=reuse)
        if int(embedding_classes) < 1 or int(embedding_size) < 1:
            raise ValueError(
                "EmbeddingWrapper: embedding_classes and embedding_size must be positive, got "
                f"{embedding_classes} and {embedding_size}."
            )
        self._cell = cell
        self._classes = int(embedding_classes)
        self._size = int(embedding_size)
        self._initializer = initializer

    def call(self, inputs: Any, state: Any) -> Any:
        """Embed the ids, then run the cell.

        Args:
          inputs: integer ids ``[batch, 1]`` (or ``[batch]``).
          state: the wrapped cell's state.

        Returns:
          ``(output, new_state)``.
        """
        init = self._initializer or get_variable_scope().initializer
        if init is None:
            init = RandomUniform(-math.sqrt(3), math.sqrt(3))
        dt = jax.tree.leaves(state)[0].dtype
        table = make_kernel([self._classes, self._size], dt, init, name="embedding")
        embedded = jnp.take(table, jnp.reshape(jnp.asarray(inputs), [-1]), axis=0)
        return self._cell(embedded, state)


# --- the unrolls -------------------------------------------------------------------------
def dynamic_rnn(
    cell: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | VariableScope | None = None,
) -> tuple[jax.Array, Any]:
    """``tf.nn.dynamic_rnn``: run ``cell`` over the time axis, variables under ``rnn/``.

    Past a sequence's length the output is zero and the state is carried through, as in
    TF1. The loop is unrolled in Python (TF1 uses a ``while_loop``: the results agree).

    Args:
      cell: an RNN cell.
      inputs: ``[batch, time, features]`` (``[time, batch, ...]`` with ``time_major``).
      sequence_length: per-example lengths ``[batch]``.
      initial_state: the state at step 0; default the cell's zero state.
      dtype: the zero state's dtype.
      parallel_iterations: ignored (a TF while_loop setting).
      swap_memory: ignored (a TF while_loop setting).
      time_major: inputs and outputs have time first.
      scope: the variable scope; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``.

    Raises:
      ValueError: ``inputs`` is not of rank 3.
      NotImplementedError: nested inputs.
    """
    if isinstance(inputs, (tuple, list)):
        raise NotImplementedError(
            "dynamic_rnn: nested inputs (a tuple or list of arrays) are not provided; "
            "concatenate them on the feature axis, or use static_rnn for a list of steps."
        )
    return _r.dynamic_rnn(cell, inputs, sequence_length, initial_state, dtype, time_major, scope)


def static_rnn(
    cell: Any,
    inputs: Sequence[Any],
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[jax.Array], Any]:
    """``tf.nn.static_rnn``: a list of ``[batch, features]`` inputs, one per step.

    Args:
      cell: an RNN cell.
      inputs: a list of ``[batch, features]`` arrays.
      initial_state: the state at step 0; default the cell's zero state.
      dtype: the zero state's dtype.
      sequence_length: per-example lengths ``[batch]``.
      scope: the variable scope; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``: outputs a list, one per step.

    Raises:
      ValueError: ``inputs`` is empty.
    """
    return _r.static_rnn(cell, list(inputs), initial_state, dtype, sequence_length, scope)


@functools.partial(jax.jit, static_argnums=(2, 3))  # one compiled op, not six, when eager
def _reverse_sequence(x: jax.Array, lengths: Any, seq_axis: int, batch_axis: int) -> jax.Array:
    """TF's ``reverse_sequence``: reverse the first ``lengths[b]`` steps of example ``b``."""
    xb = jnp.moveaxis(x, (batch_axis, seq_axis), (0, 1))
    steps = xb.shape[1]
    t = jnp.arange(steps)[None, :]
    n = jnp.asarray(lengths).astype(jnp.int32)[:, None]
    idx = jnp.where(t < n, n - 1 - t, t)
    idx = idx.reshape(idx.shape + (1,) * (xb.ndim - 2))
    out = jnp.take_along_axis(xb, idx, axis=1)
    return jnp.moveaxis(out, (0, 1), (batch_axis, seq_axis))


def bidirectional_dynamic_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | VariableScope | None = None,
) -> tuple[tuple[jax.Array, jax.Array], tuple[Any, Any]]:
    """``tf.nn.bidirectional_dynamic_rnn``: a forward and a backward ``dynamic_rnn`` under
    ``bidirectional_rnn/fw`` and ``bidirectional_rnn/bw``.

    The backward pass reads each sequence reversed within its length; its outputs are
    reversed back, so both outputs are aligned with the inputs.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def f(x):
    ...     cells = tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.GRUCell(3)
    ...     (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(*cells, x, dtype=tf.float32)
    ...     return tf.concat([fw, bw], 2)
    >>> store = sj.transform(f).init(jax.random.key(0), jnp.ones([2, 4, 5]))
    >>> sorted({n.rsplit("/", 2)[0] for n in store.names()})
    ['bidirectional_rnn/bw/gru_cell', 'bidirectional_rnn/fw/gru_cell']

    Args:
      cell_fw: the forward cell.
      cell_bw: the backward cell.
      inputs: ``[batch, time, features]`` (``[time, batch, ...]`` with ``time_major``).
      sequence_length: per-example lengths ``[batch]``.
      initial_state_fw: the forward state at step 0.
      initial_state_bw: the backward state at step 0.
      dtype: the zero states' dtype.
      parallel_iterations: ignored.
      swap_memory: ignored.
      time_major: inputs and outputs have time first.
      scope: the variable scope; default ``"bidirectional_rnn"``.

    Returns:
      ``((output_fw, output_bw), (state_fw, state_bw))``.

    Raises:
      ValueError: ``inputs`` is not of rank 3.
    """
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x: jax.Array) -> jax.Array:
        if sequence_length is None:
            return jnp.flip(x, time_axis)
        return _reverse_sequence(x, sequence_length, time_axis, batch_axis)

    x = jnp.asarray(inputs)
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = _r.dynamic_rnn(
                cell_fw, x, sequence_length, initial_state_fw, dtype, time_major, fw_scope
            )
        with variable_scope("bw") as bw_scope:
            tmp, state_bw = _r.dynamic_rnn(
                cell_bw, reverse(x), sequence_length, initial_state_bw, dtype, time_major, bw_scope
            )
    return (out_fw, reverse(tmp)), (state_fw, state_bw)


def static_bidirectional_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Sequence[Any],
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[jax.Array], Any, Any]:
    """``tf.nn.static_bidirectional_rnn``: forward and backward ``static_rnn`` under
    ``bidirectional_rnn/fw`` and ``/bw``; each step's outputs concatenated.

    Args:
      cell_fw: the forward cell.
      cell_bw: the backward cell.
      inputs: a list of ``[batch, features]`` arrays.
      initial_state_fw: the forward state at step 0.
      initial_state_bw: the backward state at step 0.
      dtype: the zero states' dtype.
      sequence_length: per-example lengths ``[batch]``.
      scope: the variable scope; default ``"bidirectional_rnn"``.

    Returns:
      ``(outputs, state_fw, state_bw)``: outputs a list of ``[batch, fw + bw]``.

    Raises:
      ValueError: ``inputs`` is empty.
    """
    if not inputs:
        raise ValueError("static_bidirectional_rnn needs a non-empty list of inputs.")

    def reverse(seq: Sequence[jax.Array]) -> list[jax.Array]:
        if sequence_length is None:
            return list(reversed(seq))
        stacked = _reverse_sequence(jnp.stack(list(seq), 0), sequence_length, 0, 1)
        return list(stacked)

    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = _r.static_rnn(
                cell_fw, list(inputs), initial_state_fw, dtype, sequence_length, fw_scope
            )
        with variable_scope("bw") as bw_scope:
            tmp, state_bw = _r.static_rnn(
                cell_bw, reverse(inputs), initial_state_bw, dtype, sequence_length, bw_scope
            )
    out_bw = reverse(tmp)
    outputs = [jnp.concatenate([f, b], 1) for f, b in zip(out_fw, out_bw, strict=True)]
    return outputs, state_fw, state_bw


def stack_bidirectional_dynamic_rnn(
    cells_fw: Sequence[Any],
    cells_bw: Sequence[Any],
    inputs: Any,
    initial_states_fw: Sequence[Any] | None = None,
    initial_states_bw: Sequence[Any] | None = None,
    dtype: Any = None,
    sequence_length: Any = None,
    parallel_iterations: int | None = None,
    time_major: bool = False,
    scope: str | VariableScope | None = None,
    swap_memory: bool = False,
) -> tuple[jax.Array, tuple[Any, ...], tuple[Any, ...]]:
    """``tf.contrib.rnn.stack_bidirectional_dynamic_rnn``: layers of
    :func:`bidirectional_dynamic_rnn`, each reading the previous layer's concatenated
    outputs, under ``stack_bidirectional_rnn/cell_i/bidirectional_rnn/{fw,bw}``.

    Args:
      cells_fw: the forward cells, one per layer.
      cells_bw: the backward cells, as many.
      inputs: ``[batch, time, features]`` (``[time, batch, ...]`` with ``time_major``).
      initial_states_fw: the forward states at step 0, one per layer.
      initial_states_bw: the backward states at step 0, one per layer.
      dtype: the zero states' dtype.
      sequence_length: per-example lengths ``[batch]``.
      parallel_iterations: ignored.
      time_major: inputs and outputs have time first.
      scope: the variable scope; default ``"stack_bidirectional_rnn"``.
      swap_memory: ignored.

    Returns:
      ``(outputs, states_fw, states_bw)``: the last layer's concatenated outputs and
      each layer's final states.

    Raises:
      ValueError: no cells, or different numbers of forward and backward cells.
    """
    _check_stacks(cells_fw, cells_bw)
    states_fw, states_bw = [], []
    prev = jnp.asarray(inputs)
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (fw, bw) in enumerate(zip(cells_fw, cells_bw, strict=True)):
            with variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
                    fw,
                    bw,
                    prev,
                    sequence_length=sequence_length,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    dtype=dtype,
                    time_major=time_major,
                )
                prev = jnp.concatenate(outputs, 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_rnn(
    cells_fw: Sequence[Any],
    cells_bw: Sequence[Any],
    inputs: Sequence[Any],
    initial_states_fw: Sequence[Any] | None = None,
    initial_states_bw: Sequence[Any] | None = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[jax.Array], tuple[Any, ...], tuple[Any, ...]]:
    """``tf.contrib.rnn.stack_bidirectional_rnn``: layers of
    :func:`static_bidirectional_rnn` under ``stack_bidirectional_rnn/cell_i/{fw,bw}``.

    Args:
      cells_fw: the forward cells, one per layer.
      cells_bw: the backward cells, as many.
      inputs: a list of ``[batch, features]`` arrays.
      initial_states_fw: the forward states at step 0, one per layer.
      initial_states_bw: the backward states at step 0, one per layer.
      dtype: the zero states' dtype.
      sequence_length: per-example lengths ``[batch]``.
      scope: the variable scope; default ``"stack_bidirectional_rnn"``.

    Returns:
      ``(outputs, states_fw, states_bw)``: the last layer's outputs (a list) and each
      layer's final states.

    Raises:
      ValueError: no cells, different numbers of forward and backward cells, or no
        inputs.
    """
    _check_stacks(cells_fw, cells_bw)
    if not inputs:
        raise ValueError("stack_bidirectional_rnn needs a non-empty list of inputs.")
    states_fw, states_bw = [], []
    prev = list(inputs)
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (fw, bw) in enumerate(zip(cells_fw, cells_bw, strict=True)):
            with variable_scope(f"cell_{i}") as cell_scope:
                prev, state_fw, state_bw = static_bidirectional_rnn(
                    fw,
                    bw,
                    prev,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    dtype=dtype,
                    sequence_length=sequence_length,
                    scope=cell_scope,
                )
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev, tuple(states_fw), tuple(states_bw)


def _check_stacks(cells_fw: Sequence[Any], cells_bw: Sequence[Any]) -> None:
    if not cells_fw or not cells_bw:
        raise ValueError("Must specify at least one fw and one bw cell.")
    if len(cells_fw) != len(cells_bw):
        raise ValueError(
            f"Forward and backward cells must be as many: {len(cells_fw)} and {len(cells_bw)}."
        )
