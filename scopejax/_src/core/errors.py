"""Error classes: one per misuse, each a subclass of the builtin users catch.

Every message names the variable (its full path) or the API call and says what
to do. Messages whose first sentence TensorFlow 1 also raises keep TF's wording
for that sentence, so code that matched TF's errors keeps working.
"""

from __future__ import annotations

import re


class ScopejaxError(Exception):
    """Base class of every error scopejax raises on purpose."""


class NotInTransformError(ScopejaxError, ValueError):
    """A scoped API (``get_variable``, ``variable_scope``, ...) ran outside a transform.

    Example::

        sj.get_variable("w", [3])      # at top level: error

    Fix: put the code in a function and transform it::

        net = sj.transform(fn)
        store = net.init(jax.random.key(0), x)
    """


class VariableExistsError(ScopejaxError, ValueError):
    """``get_variable`` would create a variable that already exists (``reuse=False``).

    Fix: share it with ``variable_scope(..., reuse=True)`` or ``reuse=AUTO_REUSE``,
    or give the new variable another name.
    """


class VariableNotFoundError(ScopejaxError, ValueError):
    """A variable that must exist does not: ``reuse=True`` on a new name at ``init``,
    or a variable missing from the store passed to ``apply``."""


class VariableShapeError(ScopejaxError, ValueError):
    """A shared (or stored) variable's shape differs from the shape asked for."""


class VariableDtypeError(ScopejaxError, ValueError):
    """A shared (or stored) variable's dtype differs from the dtype asked for."""


class InvalidNameError(ScopejaxError, ValueError):
    """A scope or variable name does not match TensorFlow's name pattern."""


class ScopeUsageError(ScopejaxError, ValueError):
    """A ``variable_scope`` / ``name_scope`` call is not well formed."""


class InvalidShapeError(ScopejaxError, ValueError):
    """A variable's shape has a negative or out-of-range dimension."""


class InitializerError(ScopejaxError, ValueError):
    """A variable cannot be created with the initializer, shape and dtype given."""


class AssignError(ScopejaxError, ValueError):
    """``assign`` cannot record a new value: not mutable, unknown variable, bad shape."""


class UnusedVariablesError(ScopejaxError, ValueError):
    """The store passed to ``apply`` holds variables the function never asked for."""


class StoreError(ScopejaxError, ValueError):
    """A Store (or a plain dict of arrays) is malformed or two stores disagree."""


class MissingRNGError(ScopejaxError, ValueError):
    """``next_rng_key()`` was called but ``apply`` got no ``rng=`` key."""


class TracerLeakError(ScopejaxError, ValueError):
    """A variable was created (or assigned) inside a raw JAX transform within the
    transformed function (``jax.vmap``, ``jax.jit``, ``jax.lax.scan``, ...).

    The value would be a tracer of the inner transform, which cannot outlive it.
    Fix: create variables outside the inner transform (call ``get_variable`` first
    and close over the value), or use scopejax's lifted transforms.
    """


class TransformError(ScopejaxError, ValueError):
    """``transform`` / ``init`` / ``apply`` was called with arguments it cannot use."""


class InvalidPatternError(ScopejaxError, ValueError, re.error):
    """A regular expression given to select variables (``regex=``, ``scope=``) does not
    compile. It is also a ``re.error``, so code that caught TF1's raw error still works."""


class ShardingError(ScopejaxError, ValueError):
    """A variable's sharding cannot be applied: a ``PartitionSpec`` that does not fit its
    shape or mesh, a rule-less variable under ``sj.sharding.use(..., strict=True)``, or a
    ``PartitionSpec`` with no mesh active.

    Fix: change the rule (the message names the variable), or open ``sj.sharding.use``.
    """


class DonatedStateError(ScopejaxError, RuntimeError):
    """Arrays an earlier training step donated (and so deleted) were used again.

    ``trainer.step`` and ``fit`` donate the selected variables and the optimizer
    state: their buffers are reused for the new state and the old arrays deleted.
    Fix: use the state the last step returned; keep a copy made before
    (``jax.tree.map(jnp.copy, state)``), start from ``trainer.init_from(store)``
    (it copies), or build the trainer with ``minimize(..., donate=False)``.
    """
