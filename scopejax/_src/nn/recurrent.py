"""Recurrent cells with TF1's names and math, and the unroll helpers.

``BasicRNNCell``, ``BasicLSTMCell``, ``LSTMCell`` and ``GRUCell`` follow
``tf.compat.v1.nn.rnn_cell``: fused ``kernel`` of shape ``[input + units, k *
units]``, LSTM gate order ``i, j, f, o`` with ``forget_bias`` added to ``f``,
GRU ``gates/kernel`` (reset, update) and ``candidate/kernel``. Cells capture
their scope at the first call (TF1 ``tf.layers.Layer``), so ``dynamic_rnn``
names them ``rnn/lstm_cell/kernel``: TF1 checkpoints map by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp

from scopejax._src.core.initializers import Constant, Zeros
from scopejax._src.core.scope import Reuse, VariableScope, variable_scope
from scopejax._src.nn.common import activation_fn, as_array, float_dtype, make_bias, make_kernel
from scopejax._src.nn.module import Module


class LSTMStateTuple(NamedTuple):
    """An LSTM state: ``c`` (memory) and ``h`` (output), as TF1's."""

    c: jax.Array
    h: jax.Array


def unscoped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a public Module method that must not enter (or capture) the module's scope.

    Args:
      fn: a method of a cell.

    Returns:
      The method, marked so that ``Module`` does not open the cell's scope around it.
    """
    fn._sj_wrapped = True  # type: ignore[attr-defined]  # a marker on the function object
    return fn


class RNNCell(Module):
    """Base of the cells: ``cell(inputs, state) -> (output, new_state)``."""

    scope_on_first_call = True

    def __init__(self, num_units: int, name: str | None = None, *, reuse: Reuse = None) -> None:
        super().__init__(name=name, reuse=reuse)
        if int(num_units) <= 0:
            raise ValueError(f"{type(self).__name__}: num_units must be positive, got {num_units}.")
        self.num_units = int(num_units)

    if TYPE_CHECKING:  # each cell defines it; a stub here would be wrapped like a method

        def __call__(self, inputs: jax.Array, state: Any) -> tuple[jax.Array, Any]: ...

    @property
    def state_size(self) -> Any:
        return self.num_units

    @property
    def output_size(self) -> int:
        return self.num_units

    @unscoped
    def zero_state(self, batch_size: int, dtype: Any = jnp.float32) -> Any:
        """An all-zeros state for ``batch_size`` sequences."""

        def zeros(size: Any) -> Any:
            if isinstance(size, tuple):
                return (
                    type(size)(*(zeros(s) for s in size))
                    if hasattr(size, "_fields")
                    else (tuple(zeros(s) for s in size))
                )
            return jnp.zeros([batch_size, size], dtype)

        return zeros(self.state_size)

    def _kernel(self, name: str, rows: int, cols: int, dt: Any, init: Any) -> jax.Array:
        return make_kernel([rows, cols], dt, init, name=name)


def _check_inputs(cell: RNNCell, inputs: jax.Array) -> jax.Array:
    inputs = as_array(inputs)
    if inputs.ndim != 2:
        raise ValueError(
            f"{type(cell).__name__} takes inputs of shape [batch, features], got {inputs.shape}."
        )
    return inputs


class BasicRNNCell(RNNCell):
    """``h' = activation([x, h] @ kernel + bias)`` (``tf.nn.rnn_cell.BasicRNNCell``)."""

    def __init__(
        self,
        num_units: int,
        activation: Callable | str | None = None,
        kernel_initializer: Any = None,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(num_units, name=name, reuse=reuse)
        self.activation = activation_fn(activation) or jnp.tanh
        self.kernel_initializer = kernel_initializer

    def __call__(self, inputs: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        inputs = _check_inputs(self, inputs)
        dt = float_dtype(inputs)
        n = self.num_units
        kernel = self._kernel("kernel", inputs.shape[-1] + n, n, dt, self.kernel_initializer)
        bias = make_bias([n], dt)
        out = self.activation(jnp.concatenate([inputs, state], 1) @ kernel + bias)
        return out, out


class LSTMCell(RNNCell):
    """The TF1 LSTM: ``i, j, f, o = split([x, h] @ kernel + bias, 4)``,
    ``c' = sigmoid(f + forget_bias) * c + sigmoid(i) * tanh(j)``,
    ``h' = sigmoid(o) * tanh(c')``. State is ``LSTMStateTuple(c, h)``. As TF1's
    ``LSTMCell``: ``use_peepholes`` adds ``w_f_diag``, ``w_i_diag``, ``w_o_diag``;
    ``cell_clip`` clips ``c'``; ``num_proj`` projects ``h'`` by ``projection/kernel``
    (then clipped to ``proj_clip``).

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> def f(x):
    ...     return sj.nn.dynamic_rnn(sj.nn.LSTMCell(4), x)[0]
    >>> net = sj.transform(f)
    >>> x = jnp.ones([2, 3, 5])
    >>> store = net.init(jax.random.key(0), x)
    >>> [(n, store[n].shape) for n in store.names()]
    [('rnn/lstm_cell/bias', (16,)), ('rnn/lstm_cell/kernel', (9, 16))]
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        activation: Callable | str | None = None,
        initializer: Any = None,
        name: str | None = None,
        *,
        reuse: Reuse = None,
        use_peepholes: bool = False,
        cell_clip: float | None = None,
        num_proj: int | None = None,
        proj_clip: float | None = None,
    ) -> None:
        super().__init__(num_units, name=name, reuse=reuse)
        self.forget_bias = forget_bias
        self.activation = activation_fn(activation) or jnp.tanh
        self.initializer = initializer
        self.use_peepholes = bool(use_peepholes)
        self.cell_clip = cell_clip
        if num_proj is not None and int(num_proj) <= 0:
            raise ValueError(f"{type(self).__name__}: num_proj must be positive, got {num_proj}.")
        self.num_proj = None if num_proj is None else int(num_proj)
        self.proj_clip = proj_clip

    @property
    def state_size(self) -> LSTMStateTuple:
        # TF1's state_size is an LSTMStateTuple of sizes, not of arrays
        return LSTMStateTuple(self.num_units, self.output_size)  # type: ignore[arg-type]

    @property
    def output_size(self) -> int:
        return self.num_units if self.num_proj is None else self.num_proj

    def __call__(self, inputs: jax.Array, state: Any) -> tuple[jax.Array, LSTMStateTuple]:
        # TF1's LSTMCell.call: peepholes (w_*_diag), cell_clip, projection and proj_clip
        inputs = _check_inputs(self, inputs)
        c, h = state
        dt = float_dtype(inputs)
        n = self.num_units
        kernel = self._kernel("kernel", inputs.shape[-1] + h.shape[-1], 4 * n, dt, self.initializer)
        bias = make_bias([4 * n], dt)
        z = jnp.concatenate([inputs, h], 1) @ kernel + bias
        i, j, f, o = jnp.split(z, 4, axis=1)
        sigmoid = jax.nn.sigmoid
        if self.use_peepholes:
            w_f, w_i, w_o = (
                make_kernel([n], dt, self.initializer, name=f"w_{g}_diag") for g in "fio"
            )
            new_c = sigmoid(f + self.forget_bias + w_f * c) * c + sigmoid(
                i + w_i * c
            ) * self.activation(j)
        else:
            new_c = sigmoid(f + self.forget_bias) * c + sigmoid(i) * self.activation(j)
        if self.cell_clip is not None:
            new_c = jnp.clip(new_c, -self.cell_clip, self.cell_clip)
        if self.use_peepholes:
            new_h = sigmoid(o + w_o * new_c) * self.activation(new_c)
        else:
            new_h = sigmoid(o) * self.activation(new_c)
        if self.num_proj is not None:
            proj = make_kernel([n, self.num_proj], dt, self.initializer, name="projection/kernel")
            new_h = new_h @ proj
            if self.proj_clip is not None:
                new_h = jnp.clip(new_h, -self.proj_clip, self.proj_clip)
        return new_h, LSTMStateTuple(new_c, new_h)


class BasicLSTMCell(LSTMCell):
    """``tf.nn.rnn_cell.BasicLSTMCell``: the same math as :class:`LSTMCell`,
    variables under ``basic_lstm_cell``."""


class GRUCell(RNNCell):
    """The TF1 GRU: ``r, u = split(sigmoid([x, h] @ gates/kernel + gates/bias), 2)``,
    ``c = tanh([x, r * h] @ candidate/kernel + candidate/bias)``,
    ``h' = u * h + (1 - u) * c``; ``gates/bias`` starts at 1."""

    # gates kernel, gates bias, candidate kernel, candidate bias (TF1 contrib's
    # GRUBlockCell names them w_ru, b_ru, w_c, b_c)
    _variable_names = ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")

    def __init__(
        self,
        num_units: int,
        activation: Callable | str | None = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        *,
        reuse: Reuse = None,
    ) -> None:
        super().__init__(num_units, name=name, reuse=reuse)
        self.activation = activation_fn(activation) or jnp.tanh
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def __call__(self, inputs: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        inputs = _check_inputs(self, inputs)
        dt = float_dtype(inputs)
        n = self.num_units
        rows = inputs.shape[-1] + n
        gk_name, gb_name, ck_name, cb_name = self._variable_names
        gk = self._kernel(gk_name, rows, 2 * n, dt, self.kernel_initializer)
        gb = make_bias([2 * n], dt, self.bias_initializer or Constant(1.0), name=gb_name)
        ck = self._kernel(ck_name, rows, n, dt, self.kernel_initializer)
        cb = make_bias([n], dt, self.bias_initializer or Zeros, name=cb_name)
        value = jax.nn.sigmoid(jnp.concatenate([inputs, state], 1) @ gk + gb)
        r, u = jnp.split(value, 2, axis=1)
        c = self.activation(jnp.concatenate([inputs, r * state], 1) @ ck + cb)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Stack cells: cell ``i`` runs under ``cell_i`` (``rnn/multi_rnn_cell/cell_0/...``)."""

    def __init__(self, cells: Sequence[RNNCell], name: str | None = None) -> None:
        Module.__init__(self, name=name)
        if not cells:
            raise ValueError("MultiRNNCell needs at least one cell.")
        self.cells = list(cells)
        self.num_units = self.cells[-1].output_size

    @property
    def state_size(self) -> tuple[Any, ...]:
        return tuple(c.state_size for c in self.cells)

    @property
    def output_size(self) -> int:
        return self.cells[-1].output_size

    def __call__(self, inputs: jax.Array, state: Sequence[Any]) -> tuple[jax.Array, tuple]:
        new_states = []
        x = inputs
        for i, (cell, s) in enumerate(zip(self.cells, state, strict=True)):
            with variable_scope(f"cell_{i}"):
                x, ns = cell(x, s)
            new_states.append(ns)
        return x, tuple(new_states)


def _state_where(mask: jax.Array, new: Any, old: Any) -> Any:
    return jax.tree.map(lambda a, b: jnp.where(mask[:, None], a, b), new, old)


def _step(cell: RNNCell, x: jax.Array, state: Any, t: int, sequence_length: Any):
    """One time step; past a sequence's end the output is 0 and the state carries over."""
    out, new_state = cell(x, state)
    if sequence_length is not None:
        alive = t < jnp.asarray(sequence_length)
        out = jnp.where(alive[:, None], out, jnp.zeros((), out.dtype))
        new_state = _state_where(alive, new_state, state)
    return out, new_state


def dynamic_rnn(
    cell: RNNCell,
    inputs: jax.Array,
    sequence_length: jax.Array | None = None,
    initial_state: Any = None,
    dtype: Any = None,
    time_major: bool = False,
    scope: str | VariableScope | None = None,
) -> tuple[jax.Array, Any]:
    """Run ``cell`` over time (a Python loop), TF1's ``tf.nn.dynamic_rnn`` names.

    Variables live under ``scope`` (default ``"rnn"``): ``rnn/lstm_cell/kernel``.
    With ``sequence_length``, outputs past a sequence's end are zero and its
    state is carried through unchanged, as in TF1. Returns ``(outputs, state)``
    with outputs ``[batch, time, units]`` (``[time, batch, units]`` if
    ``time_major``). For long sequences prefer a compiled loop (lifted scan).

    Args:
      cell: an RNN cell (``sj.nn.LSTMCell(n)``, ...).
      inputs: ``[batch, time, features]`` (``[time, batch, features]`` with ``time_major``).
      sequence_length: per-example lengths ``[batch]``: later steps keep the state and
        output zeros, as TF1.
      initial_state: the cell's state at step 0; default zeros.
      dtype: the dtype of the zero state; default the inputs'.
      time_major: ``inputs`` and outputs have time first.
      scope: the variable scope; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``.

    Raises:
      ValueError: ``inputs`` is not of rank 3.
    """
    x = jnp.asarray(inputs)
    if x.ndim < 3:
        raise ValueError(f"dynamic_rnn takes inputs of rank 3, got shape {x.shape}.")
    if not time_major:
        x = jnp.swapaxes(x, 0, 1)
    steps, batch = x.shape[0], x.shape[1]
    with variable_scope(scope or "rnn"):
        state = initial_state
        if state is None:
            state = cell.zero_state(batch, dtype or float_dtype(x))
        outputs = []
        for t in range(steps):
            out, state = _step(cell, x[t], state, t, sequence_length)
            outputs.append(out)
    y = jnp.stack(outputs, 0)
    return (y if time_major else jnp.swapaxes(y, 0, 1)), state


def static_rnn(
    cell: RNNCell,
    inputs: Sequence[jax.Array],
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: jax.Array | None = None,
    scope: str | VariableScope | None = None,
) -> tuple[list[jax.Array], Any]:
    """TF1's ``tf.nn.static_rnn``: a list of ``[batch, features]`` inputs, one per step;
    the scope calls ``reuse_variables()`` after step 0, as TF1 does.

    Args:
      cell: an RNN cell.
      inputs: a list of ``[batch, features]`` arrays, one per step.
      initial_state: the cell's state at step 0; default zeros.
      dtype: the dtype of the zero state; default the inputs'.
      sequence_length: per-example lengths ``[batch]``.
      scope: the variable scope; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``: outputs a list, one per step.

    Raises:
      ValueError: ``inputs`` is empty.
    """
    if not inputs:
        raise ValueError("static_rnn needs a non-empty list of inputs.")
    with variable_scope(scope or "rnn") as varscope:
        state = initial_state
        if state is None:
            first = jnp.asarray(inputs[0])
            state = cell.zero_state(first.shape[0], dtype or float_dtype(first))
        outputs = []
        for t, xt in enumerate(inputs):
            if t > 0:
                varscope.reuse_variables()
            out, state = _step(cell, xt, state, t, sequence_length)
            outputs.append(out)
    return outputs, state
