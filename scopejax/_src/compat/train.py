"""``tf.train``: TF1's optimizers as optax transformations, and the global step.

Each optimizer computes exactly TF1's update (the formulas of TF's ``Apply*`` kernels,
in the variable's dtype, slots initialized as TF1 initializes them) and is an optax
``GradientTransformation`` (``init``/``update``; ``opt.tx`` is the plain one).
``opt.minimize(loss_fn, global_step=None, var_list=None)`` returns an ``sj.train``
:class:`~scopejax._src.train.train.Trainer` (``init``/``step``, see
``sj.train.minimize``). A TF1 training loop ports as::

    train_op = opt.minimize(loss, global_step=tf.train.get_or_create_global_step())
    for x, y in batches: sess.run(train_op, {x_ph: x, y_ph: y})

becomes::

    trainer = opt.minimize(loss_fn, global_step=True)   # loss_fn(x, y) -> scalar
    state = trainer.init(jax.random.key(0), x, y)
    for x, y in batches: state, metrics = trainer.step(state, x, y)

TF1's gradient processing between ``compute_gradients`` and ``apply_gradients`` keeps
its shape, as a function of the ``(grad, var)`` list run inside the step (see
:class:`GradientsAndVars`)::

    gvs = opt.compute_gradients(loss)                                # TF1
    capped = [(tf.clip_by_value(g, -1., 1.), v) for g, v in gvs]
    train_op = opt.apply_gradients(capped, global_step=global_step)

becomes::

    gvs = opt.compute_gradients(loss_fn)
    capped = gvs.map(lambda gvs: [(tf.clip_by_value(g, -1., 1.), v) for g, v in gvs])
    trainer = opt.apply_gradients(capped, global_step=True)

or ``opt.minimize(loss_fn, global_step=True, process_gradients=fn)``.

With ``global_step`` given, each step adds 1 to the variable ``global_step``
(created by :func:`get_or_create_global_step` inside the loss, non-trainable, in the
``GLOBAL_STEP`` collection), so ``state.store["global_step"]`` counts the steps as
TF1's did and a checkpoint carries it. A learning rate that is a function (a decay
such as ``exponential_decay(0.1, global_step, 1000, 0.96)`` built on the global step of
the TF1 script, see ``lr_decay``) is evaluated on the model's global step as the step
reads it, before the increment, as TF1's graph does; without a global step in the
model, on the optimizer's update count.

The optimizers: GradientDescent, Momentum (Nesterov), Adam, RMSProp (centered),
Adagrad, Adadelta, Ftrl (l1/l2, learning_rate_power, l2 shrinkage, beta),
ProximalAdagrad, ProximalGradientDescent and AdagradDA, each following TF's ``Apply*``
kernel. Their state carries TF1's checkpoint names (``dense/kernel/Adam``,
``dense/kernel/Adam_1``, ``beta1_power``; :meth:`Optimizer.state_to_tf`,
:meth:`Optimizer.state_from_tf`, :meth:`Optimizer.checkpoint_names`), which
``tf.train.Saver(optimizer=opt)`` writes and reads (see ``saver``): training resumes
exactly from a TF1 checkpoint, and TF1 resumes from one written here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from scopejax._src.checkpoint import tf_bundle as _tf_bundle
from scopejax._src.checkpoint.errors import CheckpointError
from scopejax._src.compat.lr_decay import GLOBAL_STEP
from scopejax._src.core import variables as _v
from scopejax._src.core.collection import GraphKeys, get_collection
from scopejax._src.core.context import maybe_frame
from scopejax._src.core.handle import VariableHandle
from scopejax._src.core.initializers import Zeros
from scopejax._src.core.store import Store
from scopejax._src.train.train import Trainer
from scopejax._src.train.train import minimize as _minimize

LearningRate = float | Callable[[jax.Array], Any]


def get_global_step(graph: Any = None) -> jax.Array | None:
    """``tf.train.get_global_step``: the ``GLOBAL_STEP`` variable's value, or None.

    Args:
      graph: ignored (one call is one graph).

    Returns:
      The current value of the variable in the ``GLOBAL_STEP`` collection, None if
      there is none.

    Raises:
      ValueError: more than one variable is in ``GLOBAL_STEP``.
    """
    found = [h for h in get_collection(GraphKeys.GLOBAL_STEP) if isinstance(h, VariableHandle)]
    if len(found) > 1:
        raise ValueError(
            f"get_global_step: the GLOBAL_STEP collection holds {len(found)} variables "
            f"({[h.name for h in found]}); it must hold at most one."
        )
    return found[0].value if found else None


def get_or_create_global_step(graph: Any = None) -> Any:
    """``tf.train.get_or_create_global_step``: the global step, created if missing.

    Inside ``sj.transform``, creates ``global_step`` (a scalar ``int64``, ``int32``
    without ``jax_enable_x64``; zero; not trainable; in ``GLOBAL_VARIABLES`` and
    ``GLOBAL_STEP``) in the current variable scope as TF1 does, and returns its value.
    Outside a model (TF1 training scripts create it at the top) it returns
    :data:`~scopejax._src.compat.lr_decay.GLOBAL_STEP`, a reference that the decays
    (``exponential_decay(lr, global_step, ...)``) and ``minimize(global_step=...)``
    accept.

    Args:
      graph: ignored.

    Returns:
      The global step's current value, or the reference outside a model.
    """
    if maybe_frame() is None:
        return GLOBAL_STEP
    existing = get_global_step()
    if existing is not None:
        return existing
    dtype = jnp.int64 if jax.config.read("jax_enable_x64") else jnp.int32
    return _v.get_variable(
        GraphKeys.GLOBAL_STEP,
        shape=[],
        dtype=dtype,
        initializer=Zeros(),
        trainable=False,
        collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
    )


def _increment_global_step(wanted: Any) -> None:
    get_or_create_global_step()
    (handle,) = [h for h in get_collection(GraphKeys.GLOBAL_STEP) if isinstance(h, VariableHandle)]
    name = wanted if isinstance(wanted, str) else getattr(wanted, "name", None)
    if isinstance(name, str) and name != handle.name:
        raise ValueError(
            f"minimize(global_step={name!r}): the model's global step is {handle.name!r}. "
            "Pass global_step=True (the GLOBAL_STEP variable) or its name."
        )
    _v.assign_add(handle, jnp.ones((), handle.dtype))


def _positive(opt: str, **value: float) -> float:
    """The one keyword value, checked positive (else ``ValueError`` naming it)."""
    ((key, v),) = value.items()
    if v <= 0:
        raise ValueError(f"{opt}: {key} must be positive, got {v}.")
    return v


def _lr(learning_rate: LearningRate, count: jax.Array) -> Any:
    return learning_rate(count) if callable(learning_rate) else learning_rate


class _Count(NamedTuple):
    step_count: jax.Array


class Optimizer:
    """TF1's ``tf.train.Optimizer`` over optax: ``init``/``update`` plus ``minimize``.

    The optimizer state's slots carry TF1's checkpoint names: ``dense/kernel/Adam``,
    ``dense/kernel/Adam_1``, ``beta1_power`` ... (:meth:`slot_suffixes`,
    :meth:`state_to_tf`, :meth:`state_from_tf`), so a TF1 checkpoint's slots resume
    training here exactly and ``Saver`` writes them back.
    """

    _needs_params = False
    #: (state field, TF1 slot key) of the per-variable slots, in TF1's creation order
    _SLOTS: tuple[tuple[str, str], ...] = ()
    #: state fields saved under their own name (Adam's ``beta1_power``, ``beta2_power``)
    _NON_SLOTS: tuple[str, ...] = ()
    #: the state's type: the slot fields, the non-slot fields and ``step_count`` (None in
    #: the base class, whose ``init`` a subclass without one must define)
    _STATE: Any = None
    #: the slot fields that start at ``self._init`` (the others start at zeros)
    _FILLED: tuple[str, ...] = ()
    _init: float = 0.0

    def _slots(self) -> tuple[tuple[str, str], ...]:
        return self._SLOTS

    def _slot_bases(self) -> list[str]:
        return [self._name] * len(self._slots())

    def get_slot_names(self) -> list[str]:
        """TF1's ``get_slot_names``: the slots' keys (``['m', 'v']`` for Adam), sorted."""
        return sorted(key for _, key in self._slots())

    def slot_suffixes(self) -> dict[str, str]:
        """Each slot's name suffix in a TF1 checkpoint, by TF1 slot key.

        TF1 names a slot ``<variable>/<suffix>``: the optimizer's name, uniquified in
        creation order (``{'m': 'Adam', 'v': 'Adam_1'}``; RMSProp ``{'rms': 'RMSProp',
        'momentum': 'RMSProp_1'}``; Momentum ``{'momentum': 'Momentum'}``).

        Returns:
          ``{slot_key: suffix}``.
        """
        seen: dict[str, int] = {}
        out = {}
        for (_, key), base in zip(self._slots(), self._slot_bases(), strict=True):
            k = seen.get(base, 0)
            seen[base] = k + 1
            out[key] = base if k == 0 else f"{base}_{k}"
        return out

    def _tf_fields(self) -> list[tuple[str, str]]:
        suffix = self.slot_suffixes()
        return [(field, suffix[key]) for field, key in self._slots()]

    def checkpoint_names(self, scope: str = "", non_slot_index: int = 0) -> Optimizer:
        """Where TF1 put this optimizer's variables, when not at the defaults.

        TF1 names a slot ``<scope>/<variable>/<suffix>`` and Adam's powers
        ``<scope>/beta1_power``, with ``<scope>`` the variable scope ``minimize`` was
        called in (usually none), and uniquifies the powers of a second Adam in the same
        graph (a GAN's generator: ``beta1_power_1``). Set them here to read or write such
        a checkpoint.

        Args:
          scope: the variable scope ``minimize`` ran in (``''``: the root).
          non_slot_index: 0 for ``beta1_power``, 1 for ``beta1_power_1``, ...

        Returns:
          This optimizer (for chaining).

        Raises:
          ValueError: ``non_slot_index`` is negative.

        >>> import scopejax.compat.v1 as tf
        >>> g_opt = tf.train.AdamOptimizer(2e-4).checkpoint_names(non_slot_index=1)
        >>> g_opt.non_slot_names()
        {'beta1_power': 'beta1_power_1', 'beta2_power': 'beta2_power_1'}
        """
        if non_slot_index < 0:
            raise ValueError(
                f"checkpoint_names: non_slot_index must be >= 0, got {non_slot_index}."
            )
        self._tf_scope = scope.strip("/")
        self._tf_index = non_slot_index
        return self

    def _tf_prefix(self) -> str:
        return f"{self._tf_scope}/" if self._tf_scope else ""

    def non_slot_names(self) -> dict[str, str]:
        """The TF1 names of the optimizer's own variables (Adam's beta powers), by field.

        Returns:
          ``{'beta1_power': 'beta1_power', ...}`` (empty for optimizers without any).
        """
        tail = f"_{self._tf_index}" if self._tf_index else ""
        return {f: f"{self._tf_prefix()}{f}{tail}" for f in self._NON_SLOTS}

    def state_to_tf(self, opt_state: Any) -> dict[str, np.ndarray]:
        """The optimizer state under TF1's checkpoint names, as numpy arrays.

        Args:
          opt_state: this optimizer's state from an ``sj.train`` Trainer (its slots are
            Stores, named by variable: ``state.opt_state``).

        Returns:
          ``{'dense/kernel/Adam': ..., 'beta1_power': ..., ...}``.

        Raises:
          TypeError: the state's slots are not named (not Stores or mappings).
        """
        out: dict[str, np.ndarray] = {}
        prefix = self._tf_prefix()
        for field, suffix in self._tf_fields():
            for name, value in _named(getattr(opt_state, field), self._name, field).items():
                out[f"{prefix}{name}/{suffix}"] = np.asarray(value)
        for field, tf_name in self.non_slot_names().items():
            out[tf_name] = np.asarray(getattr(opt_state, field))
        return out

    def state_from_tf(self, checkpoint: Any, opt_state: Any, *, verify: bool = True) -> Any:
        """``opt_state`` with its slots read from a TF1 checkpoint (TF1's names).

        The step count becomes the checkpoint's ``global_step`` when it has one.

        Args:
          checkpoint: a TF checkpoint (prefix ``dir/model.ckpt-1000`` or its directory),
            or a mapping ``{tf_name: array}`` (``Saver``'s, ``state_to_tf``'s).
          opt_state: this optimizer's state (``trainer.init(...).opt_state``): its
            structure, dtypes and placement are kept.
          verify: check the checkpoint's checksums.

        Returns:
          The new optimizer state.

        Raises:
          CheckpointError: the checkpoint lacks a slot (the message lists what it has);
            or a slot's shape differs from the variable's.
          TypeError: the state's slots are not named (not Stores or mappings).
        """
        want: dict[str, tuple[str, str]] = {}
        prefix = self._tf_prefix()
        for field, suffix in self._tf_fields():
            for name in _named(getattr(opt_state, field), self._name, field):
                want[f"{prefix}{name}/{suffix}"] = (field, name)
        non_slots = self.non_slot_names()
        values = _read_tf(checkpoint, [*want, *non_slots.values()], self._name, verify)
        new = {}
        for field, _ in self._tf_fields():
            tree = getattr(opt_state, field)
            got = {n: values[t] for t, (f, n) in want.items() if f == field}
            new[field] = _replace_named(tree, got, self._name)
        for field, tf_name in non_slots.items():
            new[field] = _like(values[tf_name], getattr(opt_state, field), tf_name)
        if "global_step" in values:
            new["step_count"] = _like(values["global_step"], opt_state.step_count, "global_step")
        return opt_state._replace(**new)

    def __init__(self, learning_rate: LearningRate, name: str) -> None:
        self._learning_rate = learning_rate
        self._name = name
        self._tf_scope = ""
        self._tf_index = 0

    def get_name(self) -> str:
        """The optimizer's name (``'Adam'``, ...)."""
        return self._name

    def init(self, params: Any) -> Any:
        """The optimizer state for ``params``: TF1's slots, the non-slot variables and
        the step count.

        Slots start at zeros, except those in ``_FILLED`` (the Adagrad family's and
        Ftrl's accumulators: ``initial_accumulator_value``; RMSProp's ``rms``: ones);
        Adam's beta powers start at ``beta1`` / ``beta2`` (float32).

        Args:
          params: the parameters (a pytree).

        Returns:
          The optimizer state.

        Raises:
          NotImplementedError: the class sets no ``_STATE`` and defines no ``init``.
        """
        if self._STATE is None:
            raise NotImplementedError(f"{type(self).__name__} must define init(params).")
        fields: dict[str, Any] = dict.fromkeys(self._STATE._fields)
        for field, _ in self._slots():
            if field in self._FILLED:
                fields[field] = jax.tree.map(lambda p: jnp.full_like(p, self._init), params)
            else:
                fields[field] = jax.tree.map(jnp.zeros_like, params)
        for field, start in zip(self._NON_SLOTS, self._non_slot_starts(), strict=True):
            fields[field] = jnp.asarray(start, jnp.float32)
        fields["step_count"] = jnp.zeros([], jnp.int32)
        return self._STATE(**fields)

    def _non_slot_starts(self) -> tuple[float, ...]:
        return ()

    def update(
        self, updates: Any, state: Any, params: Any = None, *, global_step: Any = None
    ) -> tuple[Any, Any]:
        """One TF1 step: the updates (to add to the parameters) and the new state.

        Args:
          updates: the gradients.
          state: the optimizer state.
          params: unused.
          global_step: the global step's value before this step (what a learning-rate
            schedule of the global step reads); None: the optimizer's own update count.

        Returns:
          ``(updates, new_state)``.
        """
        count = state.step_count
        step = count if global_step is None else global_step
        lr = _lr(self._learning_rate, step)
        if params is None and self._needs_params:
            raise ValueError(
                f"{self._name}: update(grads, state, params) needs the parameters (its "
                "update is proximal: it computes the new value from the old)."
            )
        deltas, slots = self._apply(updates, state, lr, params, step)
        neg = jax.tree.map(lambda d: -d, deltas)
        return neg, slots._replace(step_count=optax.safe_increment(count))

    def _apply(
        self, grads: Any, state: Any, lr: Any, params: Any, step: Any
    ) -> tuple[Any, Any]:  # pragma: no cover
        raise NotImplementedError

    @property
    def tx(self) -> optax.GradientTransformation:
        """This optimizer as a plain ``optax.GradientTransformation``."""
        return optax.GradientTransformation(self.init, self.update)

    def compute_gradients(
        self,
        loss: Callable[..., Any],
        var_list: Any = None,
        gate_gradients: Any = None,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Any = None,
    ) -> GradientsAndVars:
        """TF1's ``opt.compute_gradients``: the (deferred) gradients of ``loss``.

        Under JAX the gradients exist only inside the training step, so this returns a
        :class:`GradientsAndVars` describing them; ``.map(fn)`` adds the TF1 list
        processing (``fn([(grad, var), ...]) -> [(grad, var), ...]``) and
        :meth:`apply_gradients` turns it into a Trainer.

        Args:
          loss: the loss function (TF1's ``loss`` tensor becomes the function computing it).
          var_list: what to differentiate (None: the trainable variables; handles,
            collection names, selectors as ``sj.train.minimize``).
          gate_gradients: ignored (XLA orders the computation).
          aggregation_method: ignored.
          colocate_gradients_with_ops: ignored.
          grad_loss: not supported (must be None).

        Returns:
          A :class:`GradientsAndVars`.

        Raises:
          TypeError: ``loss`` is not callable (a TF1 tensor has no JAX counterpart: pass the
            function computing it).
          NotImplementedError: ``grad_loss`` is given.
        """
        if not callable(loss):
            raise TypeError(
                f"{self._name}.compute_gradients: the loss must be the function computing it "
                f"(loss_fn(*batch) -> scalar), got {type(loss).__name__}. JAX differentiates "
                "functions, not tensors: move the model code that builds the loss into a "
                "function and pass it."
            )
        if grad_loss is not None:
            raise NotImplementedError(
                f"{self._name}.compute_gradients(grad_loss=...) is not supported: scale the "
                "loss inside loss_fn instead."
            )
        return GradientsAndVars(loss, var_list, ())

    def apply_gradients(
        self,
        grads_and_vars: GradientsAndVars,
        global_step: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Trainer:
        """TF1's ``opt.apply_gradients``: an ``sj.train`` Trainer applying this optimizer to
        the (processed) gradients of :meth:`compute_gradients`.

        Args:
          grads_and_vars: what :meth:`compute_gradients` returned, possibly ``.map``-ped.
          global_step: None (no counter), True, or the global step's name, handle or the
            reference :func:`get_or_create_global_step` returns outside a model: each step
            adds 1 to the ``global_step`` variable (created if missing), after the update
            as TF1 does.
          name: ignored.
          **kwargs: passed on to ``sj.train.minimize`` (``has_aux``, ``regularization``,
            ``static_argnums``, ``donate``, ``jit``, ...).

        Returns:
          A Trainer (``init(rng, *batch)``, ``step(state, *batch)``).

        Raises:
          TypeError: ``grads_and_vars`` is a list (TF1's evaluated pairs) rather than what
            ``compute_gradients`` returned.
        """
        if not isinstance(grads_and_vars, GradientsAndVars):
            raise TypeError(
                f"{self._name}.apply_gradients takes what compute_gradients returned (a "
                f"GradientsAndVars), got {type(grads_and_vars).__name__}. The gradients only "
                "exist inside the training step: write the TF1 list processing as a function "
                "and map it, e.g. gvs = opt.compute_gradients(loss_fn); capped = gvs.map("
                "lambda gvs: [(tf.clip_by_value(g, -1., 1.), v) for g, v in gvs]); "
                "trainer = opt.apply_gradients(capped, global_step=True)."
            )
        return _trainer(self, grads_and_vars, global_step, kwargs)

    def minimize(
        self,
        loss_fn: Callable[..., Any],
        global_step: Any = None,
        var_list: Any = None,
        *,
        process_gradients: Callable[[list[tuple[Any, Any]]], Any] | None = None,
        **kwargs: Any,
    ) -> Trainer:
        """TF1's ``opt.minimize``: an ``sj.train`` Trainer running this optimizer.

        ``minimize(loss_fn, global_step, var_list, process_gradients=fn)`` is
        ``apply_gradients(compute_gradients(loss_fn, var_list).map(fn), global_step)``.

        Args:
          loss_fn: the loss, a function of the batch calling ``get_variable`` (TF1's
            ``loss`` tensor becomes the function computing it).
          global_step: None (no counter), True, or the global step's name or handle:
            each step adds 1 to the ``global_step`` variable (created if missing).
          var_list: what to train (as ``sj.train.minimize``: None for the trainable
            variables, handles, collection names, selectors).
          process_gradients: ``fn([(grad, var), ...]) -> [(grad, var), ...]``, run on
            the gradients before the update (clipping, scaling); see
            :class:`GradientsAndVars`.
          **kwargs: passed on to ``sj.train.minimize`` (``has_aux``, ``regularization``,
            ``static_argnums``, ...).

        Returns:
          A Trainer (``init(rng, *batch)``, ``step(state, *batch)``).

        Raises:
          TypeError: ``loss_fn`` is not callable, or ``var_list`` is not a selector.
        """
        gvs = self.compute_gradients(loss_fn, var_list=var_list)
        if process_gradients is not None:
            gvs = gvs.map(process_gradients)
        return self.apply_gradients(gvs, global_step=global_step, **kwargs)


class GradVar:
    """The ``var`` of a ``(grad, var)`` pair given to a gradient-processing function.

    Attributes:
      name: the variable's full name (``'dense/kernel'``, no ``:0``, as handles).
      shape, dtype: of the variable.
      value: its value before this step (``g + wd * v.value`` for weight decay).
      op: ``op.name`` is ``name`` (TF1 code writes ``v.op.name``).
    """

    __slots__ = ("name", "shape", "dtype", "value", "op")

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.shape = tuple(value.shape)
        self.dtype = value.dtype
        self.value = value
        self.op = _OpName(name)

    def get_shape(self) -> tuple[int, ...]:
        """The variable's shape (TF1's ``v.get_shape()``)."""
        return self.shape

    def __repr__(self) -> str:
        return f"<GradVar '{self.name}' shape={self.shape} dtype={self.dtype}>"


class _OpName(NamedTuple):
    name: str


class GradientsAndVars:
    """What ``opt.compute_gradients(loss_fn)`` returns: TF1's ``[(grad, var), ...]``,
    deferred to the training step.

    TF1 computes the list, processes it in Python and hands it to
    ``apply_gradients``. Under JAX the gradients exist only inside the (jitted) step,
    so the processing is a function of the list, run there::

        # TF1
        gvs = opt.compute_gradients(loss)
        capped = [(tf.clip_by_value(g, -1., 1.), v) for g, v in gvs]
        train_op = opt.apply_gradients(capped, global_step=global_step)

        # scopejax.compat.v1
        gvs = opt.compute_gradients(loss_fn)
        capped = gvs.map(lambda gvs: [(tf.clip_by_value(g, -1., 1.), v) for g, v in gvs])
        trainer = opt.apply_gradients(capped, global_step=True)

    In the list, ``grad`` is the gradient (a ``jax.Array``; never None: a variable the
    loss does not reach has zeros) and ``var`` a :class:`GradVar` (``.name``,
    ``.value``), in the order of the variables' creation (TF1's
    ``trainable_variables()`` order). The function returns a list of pairs naming each
    variable exactly once; a pair whose ``grad`` is None leaves that variable (and its
    slots) unchanged, as TF1's ``apply_gradients`` skips it. Several ``map`` calls
    compose in order.

    Attributes:
      loss_fn: the loss function.
      var_list: the ``var_list`` of ``compute_gradients``.
      process: the processing functions, applied in order.
    """

    __slots__ = ("loss_fn", "var_list", "process")

    def __init__(
        self,
        loss_fn: Callable[..., Any],
        var_list: Any,
        process: tuple[Callable[[list[tuple[Any, Any]]], Any], ...] = (),
    ) -> None:
        self.loss_fn = loss_fn
        self.var_list = var_list
        self.process = tuple(process)

    def __repr__(self) -> str:
        name = getattr(self.loss_fn, "__name__", "loss_fn")
        return f"<GradientsAndVars of {name} processed by {len(self.process)} function(s)>"

    def map(self, fn: Callable[[list[tuple[Any, Any]]], Any]) -> GradientsAndVars:
        """These gradients processed by ``fn`` (after any earlier ``map``).

        Args:
          fn: ``fn([(grad, var), ...]) -> [(grad, var), ...]``.

        Returns:
          A new :class:`GradientsAndVars`.

        Raises:
          TypeError: ``fn`` is not callable.
        """
        if not callable(fn):
            raise TypeError(
                f"GradientsAndVars.map takes a function of the [(grad, var), ...] list, got "
                f"{type(fn).__name__}."
            )
        return GradientsAndVars(self.loss_fn, self.var_list, (*self.process, fn))

    def __iter__(self) -> Any:
        raise TypeError(
            "compute_gradients(loss_fn) is deferred under JAX: the (grad, var) pairs exist "
            "only inside the training step, so they cannot be iterated here. Put the list "
            "processing in a function and map it: gvs.map(lambda gvs: [(tf.clip_by_value(g, "
            "-1., 1.), v) for g, v in gvs]), then opt.apply_gradients(that, global_step=True)."
        )

    def __len__(self) -> int:
        raise TypeError(
            "compute_gradients(loss_fn) is deferred under JAX: its length is known only "
            "inside the training step (see GradientsAndVars.map)."
        )


def _process(
    fns: tuple[Callable[..., Any], ...], grads: Any, params: Any, order: list[str]
) -> tuple[Any, list]:
    """Run the processing functions on ``grads`` (a Store; listed in ``order``, the
    variables' first use in the loss, then by name); the processed gradients and the
    names of the variables whose gradient the functions set to None."""
    gflat, pflat = grads.flat(), params.flat()
    rank = {n: i for i, n in enumerate(order)}
    names = sorted(gflat, key=lambda n: (rank.get(n, len(rank)), n))
    pairs: Any = [(gflat[n], GradVar(n, pflat[n])) for n in names]
    for fn in fns:
        pairs = fn(list(pairs))
        what = getattr(fn, "__name__", "the gradient processing function")
        if not isinstance(pairs, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs
        ):
            raise TypeError(
                f"{what} must return a list of (grad, var) pairs, got {type(pairs).__name__}."
            )
    new: dict[str, Any] = {}
    for g, v in pairs:
        name = v if isinstance(v, str) else getattr(v, "name", None)
        if not isinstance(name, str) or name not in gflat:
            raise ValueError(
                f"apply_gradients: the processed list names {v!r}, which is not one of the "
                f"variables compute_gradients differentiated ({list(gflat)[:8]} ...). Keep "
                "the var of each (grad, var) pair as it came."
            )
        if name in new:
            raise ValueError(f"apply_gradients: variable {name} appears twice in the list.")
        if g is not None and tuple(jnp.shape(g)) != tuple(jnp.shape(gflat[name])):
            raise ValueError(
                f"apply_gradients: the gradient of {name} has shape {tuple(jnp.shape(g))}, "
                f"the variable {tuple(jnp.shape(gflat[name]))}."
            )
        new[name] = g
    missing = [n for n in gflat if n not in new]
    if missing:
        raise ValueError(
            f"apply_gradients: the processed list leaves out {missing[:8]}. Return a pair for "
            "every variable ((None, var) leaves it unchanged), or leave it out of "
            "compute_gradients(var_list=...)."
        )
    skipped = [n for n, g in new.items() if g is None]
    values = {
        n: jnp.zeros_like(gflat[n]) if g is None else jnp.asarray(g, gflat[n].dtype)
        for n, g in new.items()
    }
    return grads.replace(values), skipped


def _keep_skipped(skipped: list[str], new_state: Any, old_state: Any) -> Any:
    """The optimizer state with the skipped variables' slots as they were (TF1 does not
    touch a variable whose gradient is None)."""
    if not skipped:
        return new_state

    def keep(new: Any, old: Any) -> Any:
        if isinstance(new, Store):
            return new.replace({n: old[n] for n in skipped if n in new.infos})
        return new

    return jax.tree.map(keep, new_state, old_state, is_leaf=lambda x: isinstance(x, Store))


def _trainer(opt: Optimizer, gvs: GradientsAndVars, global_step: Any, kwargs: dict) -> Trainer:
    """The Trainer of ``apply_gradients``: the loss wrapped to read (and then increment)
    the global step, and an optax transformation running the processing functions and
    this optimizer with the global step the loss read."""
    loss_fn, fns = gvs.loss_fn, gvs.process
    seen: list[Any] = [None]  # the global step's value this trace's loss read
    order: list[str] = []  # the trainable variables in the order the loss used them

    counting = global_step is not None and global_step is not False

    def fn(*args: Any, **kw: Any) -> Any:
        out = loss_fn(*args, **kw)
        order[:] = [
            h.name
            for h in get_collection(GraphKeys.TRAINABLE_VARIABLES)
            if isinstance(h, VariableHandle)
        ]
        if counting:
            get_or_create_global_step()
        frame = maybe_frame()
        if frame is not None and not frame.is_init:  # init runs no update: keep no tracer
            seen[0] = get_global_step()  # read before the increment, as TF1's learning rate
        if counting:
            _increment_global_step(global_step)
        return out

    fn.__name__ = getattr(loss_fn, "__name__", "loss_fn")

    def update(grads: Any, state: Any, params: Any = None) -> tuple[Any, Any]:
        step, seen[0] = seen[0], None
        skipped: list[str] = []
        if fns:
            if not isinstance(grads, Store) or not isinstance(params, Store):
                raise TypeError("apply_gradients: the processing functions need Store gradients.")
            grads, skipped = _process(fns, grads, params, order)
        updates, new_state = opt.update(grads, state, params, global_step=step)
        if skipped:
            updates = updates.replace({n: jnp.zeros_like(updates[n]) for n in skipped})
            new_state = _keep_skipped(skipped, new_state, state)
        return updates, new_state

    return _minimize(fn, optax.GradientTransformation(opt.init, update), gvs.var_list, **kwargs)


def _named(tree: Any, opt: str, field: str) -> dict[str, Any]:
    if isinstance(tree, Store):
        return tree.flat()
    if isinstance(tree, Mapping):
        return dict(tree)
    raise TypeError(
        f"{opt}: the optimizer state's {field!r} is a {type(tree).__name__}, not named by "
        "variable; TF1's slot names need the state of an sj.train Trainer (its slots are "
        "Stores), e.g. trainer.init(...).opt_state."
    )


def _like(value: Any, like: Any, what: str) -> jax.Array:
    value = np.asarray(value)
    if tuple(value.shape) != tuple(jnp.shape(like)):
        raise CheckpointError(
            f"{what}: the checkpoint's tensor has shape {tuple(value.shape)}, the optimizer "
            f"state {tuple(jnp.shape(like))}."
        )
    out = jnp.asarray(value, jnp.result_type(like))
    sharding = getattr(like, "sharding", None)
    if isinstance(like, jax.Array) and sharding is not None:
        out = jax.device_put(out, sharding)
    return out


def _replace_named(tree: Any, values: dict[str, Any], opt: str) -> Any:
    if isinstance(tree, Store):
        old = tree.flat()
        return tree.replace({n: _like(v, old[n], f"{n} ({opt} slot)") for n, v in values.items()})
    return {n: _like(values[n], v, f"{n} ({opt} slot)") for n, v in tree.items()}


def _read_tf(checkpoint: Any, names: list[str], opt: str, verify: bool) -> dict[str, Any]:
    """``names`` (and ``global_step`` if present) from a TF checkpoint or a mapping."""
    if isinstance(checkpoint, Mapping):
        have = dict(checkpoint)
    else:
        have = {n: None for n, _, _ in _tf_bundle.list_variables(checkpoint, include_slots=True)}
    missing = [n for n in names if n not in have]
    if missing:
        slots = sorted(n for n in have if _tf_bundle.is_slot_name(n))
        raise CheckpointError(
            f"{opt}.state_from_tf: the checkpoint has no {missing[:6]}"
            f"{' ...' if len(missing) > 6 else ''}. Its optimizer tensors: {slots[:12]}"
            f"{' ...' if len(slots) > 12 else ''}. Was it written by another optimizer (or "
            "one with another name=)? Build the optimizer as the TF1 code did."
        )
    wanted = [*names, *(["global_step"] if "global_step" in have else [])]
    if isinstance(checkpoint, Mapping):
        return {n: have[n] for n in wanted}
    return _tf_bundle.load_tf_checkpoint(checkpoint, names=wanted, verify=verify)


def _f(x: Any, like: jax.Array) -> jax.Array:
    return jnp.asarray(x, like.dtype)


class GradientDescentOptimizer(Optimizer):
    """``tf.train.GradientDescentOptimizer``: ``var -= lr * grad``.

    Args:
      learning_rate: a float or a schedule (``count -> lr``).
      use_locking: ignored.
      name: the optimizer's name.
    """

    _STATE = _Count

    def __init__(
        self, learning_rate: LearningRate, use_locking: bool = False, name: str = "GradientDescent"
    ) -> None:
        super().__init__(learning_rate, name)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        return jax.tree.map(lambda g: g * _f(lr, g), grads), state


class _Momentum(NamedTuple):
    accum: Any
    step_count: jax.Array


class MomentumOptimizer(Optimizer):
    """``tf.train.MomentumOptimizer``: ``accum = momentum * accum + grad``; ``var -= lr *
    accum``, or with ``use_nesterov`` ``var -= lr * grad + lr * momentum * accum``.

    Args:
      learning_rate: a float or a schedule (``count -> lr``).
      momentum: the momentum.
      use_locking: ignored.
      name: the optimizer's name.
      use_nesterov: Nesterov momentum.
    """

    _SLOTS = (("accum", "momentum"),)

    _STATE = _Momentum

    def __init__(
        self,
        learning_rate: LearningRate,
        momentum: float,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(learning_rate, name)
        self._momentum = momentum
        self._nesterov = use_nesterov

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        accum = jax.tree.map(lambda a, g: a * _f(self._momentum, a) + g, state.accum, grads)

        def delta(g: jax.Array, a: jax.Array) -> jax.Array:
            if self._nesterov:
                return g * _f(lr, g) + a * _f(self._momentum, a) * _f(lr, a)
            return a * _f(lr, a)

        return jax.tree.map(delta, grads, accum), state._replace(accum=accum)


class _Adam(NamedTuple):
    m: Any
    v: Any
    beta1_power: jax.Array
    beta2_power: jax.Array
    step_count: jax.Array


class AdamOptimizer(Optimizer):
    """``tf.train.AdamOptimizer`` with TF1's update: ``lr_t = lr * sqrt(1 - beta2^t) /
    (1 - beta1^t)``; ``m += (g - m) * (1 - beta1)``; ``v += (g^2 - v) * (1 - beta2)``;
    ``var -= lr_t * m / (sqrt(v) + epsilon)`` (epsilon outside the bias correction,
    unlike ``optax.adam``).

    Args:
      learning_rate: a float or a schedule (``count -> lr``).
      beta1: the first moment's decay.
      beta2: the second moment's decay.
      epsilon: added to ``sqrt(v)``.
      use_locking: ignored.
      name: the optimizer's name.
    """

    _SLOTS = (("m", "m"), ("v", "v"))
    _NON_SLOTS = ("beta1_power", "beta2_power")

    _STATE = _Adam

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        use_locking: bool = False,
        name: str = "Adam",
    ) -> None:
        super().__init__(learning_rate, name)
        self._b1, self._b2, self._eps = beta1, beta2, epsilon

    def _non_slot_starts(self) -> tuple[float, ...]:
        return (self._b1, self._b2)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        b1, b2, eps = self._b1, self._b2, self._eps

        def moments(g: jax.Array, m: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
            one = _f(1, g)
            m = m + (g - m) * (one - _f(b1, g))
            v = v + (jnp.square(g) - v) * (one - _f(b2, g))
            return m, v

        def delta(m: jax.Array, v: jax.Array) -> jax.Array:
            one = _f(1, m)
            b1p, b2p = state.beta1_power.astype(m.dtype), state.beta2_power.astype(m.dtype)
            alpha = _f(lr, m) * jnp.sqrt(one - b2p) / (one - b1p)
            return (m * alpha) / (jnp.sqrt(v) + _f(eps, m))

        mv = jax.tree.map(moments, grads, state.m, state.v)
        is_pair = lambda x: isinstance(x, tuple) and len(x) == 2 and not hasattr(x, "_fields")  # noqa: E731
        m = jax.tree.map(lambda p: p[0], mv, is_leaf=is_pair)
        v = jax.tree.map(lambda p: p[1], mv, is_leaf=is_pair)
        deltas = jax.tree.map(delta, m, v)
        new = state._replace(
            m=m,
            v=v,
            beta1_power=state.beta1_power * jnp.float32(b1),
            beta2_power=state.beta2_power * jnp.float32(b2),
        )
        return deltas, new


class _RMSProp(NamedTuple):
    ms: Any
    mom: Any
    mg: Any
    step_count: jax.Array


class RMSPropOptimizer(Optimizer):
    """``tf.train.RMSPropOptimizer``: ``ms += (g^2 - ms) * (1 - decay)`` (``ms`` starts at
    ones, as in TF1); ``mom = momentum * mom + lr * g / sqrt(ms + epsilon)`` (centered:
    ``mg += (g - mg) * (1 - decay)`` and ``sqrt(ms - mg^2 + epsilon)``); ``var -= mom``.

    Args:
      learning_rate: a float or a schedule (``count -> lr``).
      decay: the discount of the squared-gradient average.
      momentum: the momentum.
      epsilon: added inside the square root.
      use_locking: ignored.
      centered: divide by the estimated variance instead of the second moment.
      name: the optimizer's name.
    """

    _STATE = _RMSProp
    _FILLED = ("ms",)

    def __init__(
        self,
        learning_rate: LearningRate,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
    ) -> None:
        super().__init__(learning_rate, name)
        self._decay, self._momentum, self._eps, self._centered = decay, momentum, epsilon, centered
        self._init = 1.0  # TF1 starts ``rms`` at ones

    def _slots(self) -> tuple[tuple[str, str], ...]:
        # TF1 creates rms, (centered) mg, then momentum, all named after the optimizer
        if self._centered:
            return (("ms", "rms"), ("mg", "mg"), ("mom", "momentum"))
        return (("ms", "rms"), ("mom", "momentum"))

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        rho = self._decay
        ms = jax.tree.map(
            lambda g, s: s + (jnp.square(g) - s) * (_f(1, g) - _f(rho, g)), grads, state.ms
        )
        if self._centered:
            mg = jax.tree.map(lambda g, a: a + (g - a) * (_f(1, g) - _f(rho, g)), grads, state.mg)
            denom = jax.tree.map(lambda s, a: (s - jnp.square(a)) + _f(self._eps, s), ms, mg)
        else:
            mg = None
            denom = jax.tree.map(lambda s: s + _f(self._eps, s), ms)
        mom = jax.tree.map(
            lambda g, m, d: m * _f(self._momentum, m) + (g * _f(lr, g)) / jnp.sqrt(d),
            grads,
            state.mom,
            denom,
        )
        return mom, state._replace(ms=ms, mom=mom, mg=mg)


class _Adagrad(NamedTuple):
    accum: Any
    step_count: jax.Array


class AdagradOptimizer(Optimizer):
    """``tf.train.AdagradOptimizer``: ``accum += g^2``; ``var -= lr * g / sqrt(accum)``.

    Args:
      learning_rate: a float or a schedule (``count -> lr``).
      initial_accumulator_value: the accumulator's start (positive).
      use_locking: ignored.
      name: the optimizer's name.

    Raises:
      ValueError: ``initial_accumulator_value`` is not positive.
    """

    _SLOTS = (("accum", "accumulator"),)

    _STATE = _Adagrad
    _FILLED = ("accum",)

    def __init__(
        self,
        learning_rate: LearningRate,
        initial_accumulator_value: float = 0.1,
        use_locking: bool = False,
        name: str = "Adagrad",
    ) -> None:
        self._init = _positive(
            "AdagradOptimizer", initial_accumulator_value=initial_accumulator_value
        )
        super().__init__(learning_rate, name)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        accum = jax.tree.map(lambda a, g: a + jnp.square(g), state.accum, grads)
        deltas = jax.tree.map(lambda g, a: g * _f(lr, g) * jax.lax.rsqrt(a), grads, accum)
        return deltas, state._replace(accum=accum)


def _trees(fn: Callable[..., tuple[Any, ...]], n: int, *trees: Any) -> tuple[Any, ...]:
    """Map ``fn`` (returning ``n`` arrays) over the leaves of ``trees``: ``n`` trees."""
    treedef = jax.tree.structure(trees[0])
    outs = [fn(*xs) for xs in zip(*(jax.tree.leaves(t) for t in trees), strict=True)]
    return tuple(jax.tree.unflatten(treedef, [o[i] for o in outs]) for i in range(n))


def _check_nonneg(opt: str, **values: float) -> None:
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"{opt}: {key} must be positive or zero, got {value}.")


def _l1_l2(opt: str, l1: float, l2: float) -> tuple[float, float]:
    """The proximal optimizers' ``l1`` / ``l2`` strengths, checked non-negative."""
    _check_nonneg(opt, l1_regularization_strength=l1, l2_regularization_strength=l2)
    return l1, l2


def _per_leaf(
    one: Callable[..., tuple[Any, ...]],
    grads: Any,
    state: Any,
    fields: tuple[str, ...],
    *extra: Any,
) -> tuple[Any, Any]:
    """Map ``one(g, *slots, *extra) -> (delta, *new_slots)`` over the leaves: the deltas
    and ``state`` with the slot ``fields`` replaced."""
    slots = [getattr(state, f) for f in fields]
    deltas, *new = _trees(one, 1 + len(fields), grads, *slots, *extra)
    return deltas, state._replace(**dict(zip(fields, new, strict=True)))


def _shrink(prox: jax.Array, lr: jax.Array, l1: float, l2: float) -> jax.Array:
    """The proximal step of TF's ``ApplyProximal*`` kernels: soft-threshold by ``lr * l1``
    (when ``l1 > 0``) and scale by ``1 / (1 + lr * l2)``."""
    if l1 > 0:
        shrunk = jnp.sign(prox) * jnp.maximum(jnp.abs(prox) - lr * _f(l1, prox), _f(0, prox))
        return shrunk / (_f(1, prox) + lr * _f(l2, prox))
    return prox / (_f(1, prox) + lr * _f(l2, prox))


class _Adadelta(NamedTuple):
    accum: Any
    accum_update: Any
    step_count: jax.Array


class AdadeltaOptimizer(Optimizer):
    """``tf.train.AdadeltaOptimizer`` (TF's ``ApplyAdadelta`` kernel): ``accum = rho *
    accum + (1 - rho) * g^2``; ``update = sqrt(accum_update + eps) / sqrt(accum + eps) *
    g``; ``var -= lr * update``; ``accum_update = rho * accum_update + (1 - rho) *
    update^2``. Slots ``Adadelta`` (accum) and ``Adadelta_1`` (accum_update), zeros.

    Args:
      learning_rate: a float or a schedule (of the global step).
      rho: the decay rate.
      epsilon: the constant that conditions the update.
      use_locking: ignored.
      name: the optimizer's name.
    """

    _SLOTS = (("accum", "accum"), ("accum_update", "accum_update"))

    _STATE = _Adadelta

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-8,
        use_locking: bool = False,
        name: str = "Adadelta",
    ) -> None:
        super().__init__(learning_rate, name)
        self._rho, self._eps = rho, epsilon

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        rho, eps = self._rho, self._eps

        def one(g: jax.Array, a: jax.Array, au: jax.Array) -> tuple[Any, Any, Any]:
            r, e, one_ = _f(rho, g), _f(eps, g), _f(1, g)
            a = a * r + jnp.square(g) * (one_ - r)
            upd = jnp.sqrt(au + e) * jax.lax.rsqrt(a + e) * g
            au = au * r + jnp.square(upd) * (one_ - r)
            return upd * _f(lr, g), a, au

        return _per_leaf(one, grads, state, ("accum", "accum_update"))


class _Ftrl(NamedTuple):
    accum: Any
    linear: Any
    step_count: jax.Array


class FtrlOptimizer(Optimizer):
    """``tf.train.FtrlOptimizer`` (TF's ``ApplyFtrl`` / ``ApplyFtrlV2`` kernels)::

        g_s = g + 2 * l2_shrinkage * var          (g without shrinkage)
        accum_new = accum + g^2
        linear += g_s - (accum_new^(-p) - accum^(-p)) / lr * var     (p = lr_power)
        quadratic = accum_new^(-p) / lr + 2 * l2
        var = (sign(linear) * l1 - linear) / quadratic if |linear| > l1 else 0

    with ``l2 = l2_regularization_strength + beta / (2 * lr)``. Slots ``Ftrl``
    (accum, ``initial_accumulator_value``) and ``Ftrl_1`` (linear, zeros), or
    ``accum_name`` / ``linear_name``.

    Args:
      learning_rate: a float or a schedule (of the global step).
      learning_rate_power: ``p`` above, zero or negative (``-0.5``: ``sqrt``).
      initial_accumulator_value: the accumulators' start, zero or positive.
      l1_regularization_strength: ``l1``, zero or positive.
      l2_regularization_strength: ``l2``, zero or positive.
      use_locking: ignored.
      name: the optimizer's name.
      accum_name: the accumulator slot's suffix (default ``name``).
      linear_name: the linear slot's suffix (default ``name + '_1'``).
      l2_shrinkage_regularization_strength: L2 added to the gradient (shrinkage).
      beta: the paper's beta, folded into ``l2`` as TF1 does.

    Raises:
      ValueError: a strength or the accumulator value is negative, or
        ``learning_rate_power`` is positive.
    """

    _SLOTS = (("accum", "accum"), ("linear", "linear"))

    _needs_params = True

    _STATE = _Ftrl
    _FILLED = ("accum",)

    def __init__(
        self,
        learning_rate: LearningRate,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "Ftrl",
        accum_name: str | None = None,
        linear_name: str | None = None,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float | None = None,
    ) -> None:
        if learning_rate_power > 0:
            raise ValueError(
                f"FtrlOptimizer: learning_rate_power must be negative or zero, got "
                f"{learning_rate_power}."
            )
        _check_nonneg(
            "FtrlOptimizer",
            initial_accumulator_value=initial_accumulator_value,
            l1_regularization_strength=l1_regularization_strength,
            l2_regularization_strength=l2_regularization_strength,
            l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength,
        )
        super().__init__(learning_rate, name)
        self._power = learning_rate_power
        self._init = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._shrinkage = l2_shrinkage_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._accum_name, self._linear_name = accum_name, linear_name

    def _slot_bases(self) -> list[str]:
        return [self._accum_name or self._name, self._linear_name or self._name]

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        power, l1 = self._power, self._l1
        # TF1's _prepare: l2 + beta / (2 * max(lr, 1e-36)), in float32
        lr32 = jnp.asarray(lr, jnp.float32)
        l2_adj = jnp.float32(self._l2) + jnp.float32(self._beta) / (
            jnp.float32(2.0) * jnp.maximum(lr32, jnp.float32(1e-36))
        )

        def powered(a: jax.Array) -> jax.Array:
            return jnp.sqrt(a) if power == -0.5 else jnp.power(a, _f(-power, a))

        def one(g: jax.Array, a: jax.Array, lin: jax.Array, v: jax.Array) -> tuple[Any, Any, Any]:
            lr_t, l2 = _f(lr, g), l2_adj.astype(g.dtype)
            g_s = g + _f(2 * self._shrinkage, g) * v if self._shrinkage > 0 else g
            a_new = a + jnp.square(g)
            lin = lin + g_s - (powered(a_new) - powered(a)) / lr_t * v
            quadratic = powered(a_new) / lr_t + _f(2, g) * l2
            pre = (_f(l1, lin) * jnp.sign(lin) - lin) / quadratic
            new_v = jnp.where(jnp.abs(lin) > _f(l1, lin), pre, _f(0, lin))
            return v - new_v, a_new, lin

        return _per_leaf(one, grads, state, ("accum", "linear"), params)


class _ProximalAdagrad(NamedTuple):
    accum: Any
    step_count: jax.Array


class ProximalAdagradOptimizer(Optimizer):
    """``tf.train.ProximalAdagradOptimizer`` (TF's ``ApplyProximalAdagrad`` kernel):
    ``accum += g^2``; ``lr_t = lr / sqrt(accum)``; ``prox = var - lr_t * g``; ``var =
    sign(prox) * max(|prox| - lr_t * l1, 0) / (1 + lr_t * l2)`` (without the
    thresholding when ``l1 == 0``). Slot ``ProximalAdagrad`` (accumulator).

    Args:
      learning_rate: a float or a schedule (of the global step).
      initial_accumulator_value: the accumulator's start (positive).
      l1_regularization_strength: ``l1``, zero or positive.
      l2_regularization_strength: ``l2``, zero or positive.
      use_locking: ignored.
      name: the optimizer's name.

    Raises:
      ValueError: ``initial_accumulator_value`` is not positive, or a strength is negative.
    """

    _SLOTS = (("accum", "accumulator"),)

    _needs_params = True

    _STATE = _ProximalAdagrad
    _FILLED = ("accum",)

    def __init__(
        self,
        learning_rate: LearningRate,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "ProximalAdagrad",
    ) -> None:
        self._init = _positive(
            "ProximalAdagradOptimizer", initial_accumulator_value=initial_accumulator_value
        )
        self._l1, self._l2 = _l1_l2(
            "ProximalAdagradOptimizer", l1_regularization_strength, l2_regularization_strength
        )
        super().__init__(learning_rate, name)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        def one(g: jax.Array, a: jax.Array, v: jax.Array) -> tuple[Any, Any]:
            a = a + jnp.square(g)
            lr_t = jax.lax.rsqrt(a) * _f(lr, g)
            new_v = _shrink(v - g * lr_t, lr_t, self._l1, self._l2)
            return v - new_v, a

        return _per_leaf(one, grads, state, ("accum",), params)


class ProximalGradientDescentOptimizer(Optimizer):
    """``tf.train.ProximalGradientDescentOptimizer`` (TF's
    ``ApplyProximalGradientDescent`` kernel): ``prox = var - lr * g``; ``var =
    sign(prox) * max(|prox| - lr * l1, 0) / (1 + lr * l2)`` (without the thresholding
    when ``l1 == 0``). No slots.

    Args:
      learning_rate: a float or a schedule (of the global step).
      l1_regularization_strength: ``l1``, zero or positive.
      l2_regularization_strength: ``l2``, zero or positive.
      use_locking: ignored.
      name: the optimizer's name.

    Raises:
      ValueError: a strength is negative.
    """

    _needs_params = True

    _STATE = _Count

    def __init__(
        self,
        learning_rate: LearningRate,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "ProximalGradientDescent",
    ) -> None:
        self._l1, self._l2 = _l1_l2(
            "ProximalGradientDescentOptimizer",
            l1_regularization_strength,
            l2_regularization_strength,
        )
        super().__init__(learning_rate, name)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        def one(g: jax.Array, v: jax.Array) -> jax.Array:
            lr_t = _f(lr, g)
            return v - _shrink(v - g * lr_t, lr_t, self._l1, self._l2)

        return jax.tree.map(one, grads, params), state


class _AdagradDA(NamedTuple):
    grad_accum: Any
    grad_sq_accum: Any
    step_count: jax.Array


class AdagradDAOptimizer(Optimizer):
    """``tf.train.AdagradDAOptimizer`` (TF's ``ApplyAdagradDA`` kernel), with ``T`` the
    global step + 1::

        g_acc += g;  gg_acc += g^2
        var = -sign(g_acc) * lr * max(|g_acc| - l1 * T, 0) / (l2 * T * lr + sqrt(gg_acc))

    (``-g_acc * lr / (...)`` when ``l1 == 0``). ``T`` comes from the model's global
    step, read before the increment, when the trainer has one (pass ``global_step=True``
    to ``minimize`` as TF1 code passes the variable to both); otherwise from this
    optimizer's update count. Slots ``AdagradDA`` (gradient accumulator, zeros) and
    ``AdagradDA_1`` (squared, ``initial_gradient_squared_accumulator_value``).

    Args:
      learning_rate: a float or a schedule (of the global step).
      global_step: TF1's global step tensor: not needed here (see above); ignored.
      initial_gradient_squared_accumulator_value: the squared accumulator's start.
      l1_regularization_strength: ``l1``, zero or positive.
      l2_regularization_strength: ``l2``, zero or positive.
      use_locking: ignored.
      name: the optimizer's name.

    Raises:
      ValueError: the accumulator value is not positive, or a strength is negative.
    """

    _SLOTS = (
        ("grad_accum", "gradient_accumulator"),
        ("grad_sq_accum", "gradient_squared_accumulator"),
    )

    _needs_params = True

    _STATE = _AdagradDA
    _FILLED = ("grad_sq_accum",)

    def __init__(
        self,
        learning_rate: LearningRate,
        global_step: Any = None,
        initial_gradient_squared_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "AdagradDA",
    ) -> None:
        self._init = _positive(
            "AdagradDAOptimizer",
            initial_gradient_squared_accumulator_value=initial_gradient_squared_accumulator_value,
        )
        self._l1, self._l2 = _l1_l2(
            "AdagradDAOptimizer", l1_regularization_strength, l2_regularization_strength
        )
        super().__init__(learning_rate, name)

    def _apply(self, grads: Any, state: Any, lr: Any, params: Any, step: Any) -> tuple[Any, Any]:
        l1, l2 = self._l1, self._l2

        def one(g: jax.Array, ga: jax.Array, gg: jax.Array, v: jax.Array) -> tuple[Any, Any, Any]:
            t = (jnp.asarray(step) + 1).astype(g.dtype)
            lr_t = _f(lr, g)
            ga, gg = ga + g, gg + jnp.square(g)
            denom = _f(l2, g) * (t * lr_t) + jnp.sqrt(gg)
            if l1 > 0:
                num = -jnp.sign(ga) * jnp.maximum(jnp.abs(ga) - t * _f(l1, g), _f(0, g))
                new_v = lr_t * num / denom
            else:
                new_v = lr_t * -ga / denom
            return v - new_v, ga, gg

        return _per_leaf(one, grads, state, ("grad_accum", "grad_sq_accum"), params)
