"""TF1 names that have no meaning in JAX: each raises an error that says what to write."""

from __future__ import annotations

from typing import Any, NoReturn

from scopejax._src.core.errors import ScopejaxError


class TF1GraphError(ScopejaxError, RuntimeError):
    """A TF1 graph-mode construct (placeholder, Session, ...) that JAX has no use for."""


def placeholder(dtype: Any = None, shape: Any = None, name: str | None = None) -> NoReturn:
    """``tf.placeholder``: not available; a placeholder becomes a function argument.

    Args:
      dtype: ignored.
      shape: ignored.
      name: ignored.

    Raises:
      TF1GraphError: always, saying what to write instead.
    """
    raise TF1GraphError(
        f"tf.placeholder({name or ''}) has no JAX counterpart: make it an argument of the model "
        "function instead (def model(x): ...; net = sj.transform(model); "
        "store = net.init(key, x_example); y = net.apply(store, x)). "
        "For a placeholder_with_default, give the argument a default value."
    )


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> NoReturn:  # noqa: A002
    """``tf.placeholder_with_default``: not available; use an argument with a default.

    Args:
      input: ignored.
      shape: ignored.
      name: ignored.

    Raises:
      TF1GraphError: always, saying what to write instead.
    """
    raise TF1GraphError(
        "tf.placeholder_with_default has no JAX counterpart: give the model function an "
        "argument with a default value (def model(x, training=False): ...)."
    )


class Session:
    """``tf.Session``: not available; ``sess.run(out, feed_dict)`` becomes ``net.apply``.

    Raises:
      TF1GraphError: on construction, saying what to write instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TF1GraphError(
            "tf.Session has no JAX counterpart: wrap the graph-building code in a function, "
            "net = sj.transform(model); store = net.init(jax.random.key(0), *inputs) replaces "
            "sess.run(tf.global_variables_initializer()), and net.apply(store, *inputs) "
            "replaces sess.run(outputs, feed_dict={...}) (apply_with_state for assignments; "
            "sj.train.minimize or tf.train.*Optimizer(...).minimize for train ops)."
        )


class InteractiveSession(Session):
    """``tf.InteractiveSession``: not available (see :class:`Session`).

    Raises:
      TF1GraphError: on construction, saying what to write instead.
    """


def global_variables_initializer() -> NoReturn:
    """``tf.global_variables_initializer``: not available; ``net.init`` initializes.

    Raises:
      TF1GraphError: always, saying what to write instead.
    """
    raise TF1GraphError(
        "tf.global_variables_initializer has no JAX counterpart: "
        "store = sj.transform(model).init(jax.random.key(0), *inputs) creates and initializes "
        "every variable."
    )


initialize_all_variables = global_variables_initializer


def get_default_graph() -> NoReturn:
    """``tf.get_default_graph``: not available; there is no graph.

    Raises:
      TF1GraphError: always, saying what to write instead.
    """
    raise TF1GraphError(
        "tf.get_default_graph has no JAX counterpart: collections are read with "
        "tf.get_collection(key) inside the transformed function, variables are the Store that "
        "net.init returns (store.names(), store.summary())."
    )


def reset_default_graph() -> None:
    """``tf.reset_default_graph``: does nothing; each ``init``/``apply`` starts afresh.

    >>> import scopejax.compat.v1 as tf
    >>> tf.reset_default_graph()
    """
