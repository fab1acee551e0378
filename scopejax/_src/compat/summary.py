"""``tf.summary`` (TF1): summary ops that collect values, ``merge_all``, and a
``FileWriter`` that writes them with :mod:`scopejax.summary`.

In TF1 a summary op returns a serialized ``Summary`` proto that ``Session.run``
evaluates and ``FileWriter.add_summary`` writes. Here the model is a function: a
summary op (``scalar``, ``histogram``, ``image``, ``text``) records its tag and value
in the ``SUMMARIES`` collection of the current call and returns a :class:`Summaries`
holding just it; ``merge_all()`` gathers the collection into one :class:`Summaries`
(a pytree of the values, so ``apply`` can return it, also under ``jit``), and
``FileWriter.add_summary(merged, global_step)`` writes each entry as TF1 would:
the tag is the op's name-scope path (``train/loss``, ``loss_1`` for a second
``loss``), images are normalized to uint8 as TF1's image summary kernel does, and
an image batch gives the tags ``name/image/0``, ``name/image/1``, ...
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import numpy as np

from scopejax._src.compat.ops import convert_to_tensor
from scopejax._src.core import collection
from scopejax._src.core.collection import GraphKeys
from scopejax._src.core.context import maybe_frame
from scopejax._src.core.scope import name_scope
from scopejax._src.summary.writer import SummaryWriter

_KINDS = ("scalar", "histogram", "image", "text")
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")  # TF1's summary_op_util


def _clean_tag(name: Any) -> Any:
    """TF1's ``clean_tag``: characters a tag may not hold become ``_``; no leading ``/``."""
    return None if name is None else _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


@jax.tree_util.register_pytree_node_class
class Summaries:
    """Summaries of one call: ``(kind, tag)`` pairs with their values (a pytree).

    What ``tf.summary.*`` and ``merge_all()`` return; pass it out of the model and to
    ``FileWriter.add_summary``. Iterating gives ``(kind, tag, value, max_outputs)``.

    Args:
      entries: ``(kind, tag, value, max_outputs)`` tuples.
      name: the summary op's name (TF1's: its name scope, without ``family``), which
        ``merge_all(scope=)`` matches; None for merged summaries.
    """

    def __init__(
        self, entries: Sequence[tuple[str, str, Any, int]] = (), name: str | None = None
    ) -> None:
        self.entries = [tuple(e) for e in entries]
        self.name = name

    def tree_flatten(self) -> tuple[list[Any], tuple]:
        # a text is a Python string: static, in the tree's structure, not a leaf
        aux = tuple((k, t, m, v if k == "text" else None) for k, t, v, m in self.entries)
        return [v for k, _, v, _ in self.entries if k != "text"], aux

    @classmethod
    def tree_unflatten(cls, aux: tuple, values: list[Any]) -> Summaries:
        it = iter(values)
        return cls([(k, t, s if k == "text" else next(it), m) for k, t, m, s in aux])

    def __iter__(self) -> Iterator[tuple[str, str, Any, int]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def tags(self) -> list[str]:
        """The tags, in order."""
        return [t for _, t, _, _ in self.entries]

    def __repr__(self) -> str:
        return "Summaries(" + ", ".join(f"{k}:{t}" for k, t, _, _ in self.entries) + ")"


def _summary(
    kind: str, name: str, value: Any, collections: Any, family: Any, max_outputs: int = 1
) -> Summaries:
    # TF1's summary_op_util.summary_scope: the name and family are cleaned
    # ('my loss' -> 'my_loss'), 'family/name' is opened as one name scope (uniquified as
    # a whole: losses/loss, losses/loss_1), the op is named by that scope and the tag
    # is it, with 'family/' in front once more (TF1's quirk: losses/losses/loss).
    name, family = _clean_tag(name), _clean_tag(family)
    base = f"{family}/{name}" if family else name
    if maybe_frame() is None:
        scope = base
    else:
        with name_scope(base) as opened:
            scope = opened.rstrip("/")
    tag = f"{family}/{scope}" if family else scope
    value = value if kind == "text" else convert_to_tensor(value)
    entry = Summaries([(kind, tag, value, int(max_outputs))], name=scope)
    if maybe_frame() is not None:
        for key in [GraphKeys.SUMMARIES] if collections is None else collections:
            collection.add_to_collection(key, entry)
    return entry


def scalar(name: str, tensor: Any, collections: Any = None, family: Any = None) -> Summaries:
    """``tf.summary.scalar``: records ``tensor`` (a scalar) under ``name``'s scope path.

    Args:
      name: the name; the tag is the current name scope plus ``name`` (uniquified).
      tensor: a scalar.
      collections: the collections it is added to (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag.

    Returns:
      A :class:`Summaries` with this one entry.
    """
    return _summary("scalar", name, tensor, collections, family)


def histogram(name: str, values: Any, collections: Any = None, family: Any = None) -> Summaries:
    """``tf.summary.histogram``: records the distribution of ``values``.

    Args:
      name: the name; the tag is the current name scope plus ``name`` (uniquified).
      values: an array of any shape.
      collections: the collections it is added to (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag.

    Returns:
      A :class:`Summaries` with this one entry.
    """
    return _summary("histogram", name, values, collections, family)


def image(
    name: str, tensor: Any, max_outputs: int = 3, collections: Any = None, family: Any = None
) -> Summaries:
    """``tf.summary.image``: records up to ``max_outputs`` images of a batch.

    Written as TF1's image summary does: floats are scaled per image so the largest
    value is 255 (or, with negative values, so 0 maps to 128 and the largest magnitude
    to 127 away from it); uint8 as is; the tags are ``<tag>/image/<i>`` (``<tag>/image``
    when ``max_outputs`` is 1).

    Args:
      name: the name; the tag is the current name scope plus ``name`` (uniquified).
      tensor: ``[batch, h, w, c]`` with c 1, 3 or 4; float or uint8.
      max_outputs: the number of images written.
      collections: the collections it is added to (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag.

    Returns:
      A :class:`Summaries` with this one entry.

    Raises:
      ValueError: ``tensor`` is not 4-D.
    """
    if np.ndim(tensor) != 4:
        raise ValueError(
            f"tf.summary.image({name!r}): the images must be [batch, h, w, c], got shape "
            f"{np.shape(tensor)}."
        )
    return _summary("image", name, tensor, collections, family, max_outputs)


def text(name: str, tensor: Any, collections: Any = None) -> Summaries:
    """``tf.summary.text``: records a string (Markdown, the Text tab).

    Args:
      name: the name; the tag is the current name scope plus ``name`` (uniquified).
      tensor: a Python string (or bytes).
      collections: the collections it is added to (default ``[GraphKeys.SUMMARIES]``).

    Returns:
      A :class:`Summaries` with this one entry.

    Raises:
      TypeError: ``tensor`` is an array (JAX has no string arrays).
    """
    if not isinstance(tensor, (str, bytes)):
        raise TypeError(
            f"tf.summary.text({name!r}): pass a Python string; JAX has no string tensors."
        )
    if isinstance(tensor, bytes):
        tensor = tensor.decode()
    return _summary("text", name, tensor, collections, None)


def merge(inputs: Sequence[Any], collections: Any = None, name: str | None = None) -> Summaries:
    """``tf.summary.merge``: one :class:`Summaries` from several.

    Args:
      inputs: summaries returned by the summary ops or ``merge``.
      collections: also add the merged summary to these collections.
      name: ignored.

    Returns:
      A :class:`Summaries` with every entry, in order.

    Raises:
      TypeError: an input that is not a summary.
    """
    entries: list[Any] = []
    for s in inputs:
        if not isinstance(s, Summaries):
            raise TypeError(
                f"tf.summary.merge: expected what tf.summary.* returns, got {type(s).__name__}."
            )
        entries += s.entries
    merged = Summaries(entries)
    for key in collections or ():
        collection.add_to_collection(key, merged)
    return merged


def merge_all(key: Any = GraphKeys.SUMMARIES, scope: Any = None, name: Any = None):
    """``tf.summary.merge_all``: every summary of this call in collection ``key``.

    Return it from the model function (``apply`` gives it back, under ``jit`` too)
    and write it with ``FileWriter.add_summary``.

    Args:
      key: the collection.
      scope: keep only the summaries whose op name (the tag without ``family/``)
        this regex matches from the start (TF1's ``get_collection`` filter).
      name: ignored.

    Returns:
      A :class:`Summaries`, or None when there are none (as TF1).
    """
    items = [s for s in collection.get_collection(key, scope) if isinstance(s, Summaries)]
    return merge(items) if items else None


# ---------------------------------------------------------------------------------------------
# writing


def _tf1_image_uint8(img: np.ndarray) -> np.ndarray:
    """TF's image summary kernel (summary_image_op.cc): one float image to uint8."""
    if img.dtype == np.uint8:
        return img
    v = img.astype(np.float32)
    finite = np.isfinite(v)
    lo = float(v[finite].min()) if finite.any() else 0.0
    hi = float(v[finite].max()) if finite.any() else 0.0
    if lo < 0:
        m = max(abs(lo), abs(hi))
        scale, offset = (0.0 if m < 1e-6 else 127.0 / m), 128.0
    else:
        scale, offset = (0.0 if hi < 1e-6 else 255.0 / hi), 0.0
    out = (v * np.float32(scale) + np.float32(offset)).astype(np.uint8)
    bad = ~finite.all(axis=-1)  # TF paints a pixel with a non-finite channel red
    out[bad] = np.array([255, 0, 0, 255][: out.shape[-1]], np.uint8)
    return out


class FileWriter:
    """``tf.summary.FileWriter``: writes merged summaries and graphs to ``logdir``.

    Built on :func:`scopejax.summary.create_file_writer` (the ``tensorboard``
    package, no TensorFlow).

    Args:
      logdir: the run's folder.
      graph: optional, written at once: a ``GraphDef`` (``sj.summary.graph_def``) or a
        tuple ``(fn, *args)`` to trace (``(net.apply, store, x)``).
      max_queue: events queued before a write.
      flush_secs: seconds between automatic flushes.
      graph_def: TF1's older name for ``graph``.
      filename_suffix: appended to the event file's name.
      session: ignored (there is no Session).

    >>> import jax, jax.numpy as jnp, tempfile, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def model(x):
    ...     with tf.name_scope("train"):
    ...         tf.summary.scalar("loss", tf.reduce_mean(x))
    ...     return tf.summary.merge_all()
    >>> net = sj.transform(model)
    >>> merged = net.apply(net.init(jax.random.key(0), jnp.ones(3)), jnp.ones(3))
    >>> with tf.summary.FileWriter(tempfile.mkdtemp()) as w:
    ...     w.add_summary(merged, global_step=1)
    >>> merged.tags
    ['train/loss']
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        graph_def: Any = None,
        filename_suffix: str | None = None,
        session: Any = None,
    ) -> None:
        self._logdir = os.fspath(logdir)
        self._writer = SummaryWriter(self._logdir, max_queue, flush_secs, filename_suffix or "")
        g = graph if graph is not None else graph_def
        if g is not None:
            self.add_graph(g)

    def get_logdir(self) -> str:
        """The folder written to."""
        return self._logdir

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Writes a graph: a ``GraphDef`` or a tuple ``(fn, *args)`` traced with
        :func:`scopejax.summary.graph_def`.

        Args:
          graph: the graph.
          global_step: ignored.
          graph_def: TF1's older name for ``graph``.

        Raises:
          TypeError: neither a ``GraphDef`` nor ``(fn, *args)``.
        """
        g = graph if graph is not None else graph_def
        if isinstance(g, (tuple, list)) and g and callable(g[0]):
            from scopejax._src.summary.graph import graph_def as trace_graph

            g = trace_graph(g[0], *g[1:])
        if not hasattr(g, "SerializeToString"):
            raise TypeError(
                "FileWriter.add_graph: pass sj.summary.graph_def(fn, *args) or (fn, *args), "
                f"e.g. (net.apply, store, x); got {type(g).__name__} (there is no tf.Graph "
                "or sess.graph)."
            )
        self._writer.graph(g)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Writes what ``merge_all()`` / a summary op returned (or a dict of scalars).

        Args:
          summary: a :class:`Summaries`, or ``{tag: scalar}``.
          global_step: the step (an int or a scalar array; None is 0).

        Raises:
          TypeError: something else.
        """
        step = 0 if global_step is None else int(np.asarray(global_step))
        if isinstance(summary, dict):
            summary = Summaries([("scalar", t, v, 1) for t, v in summary.items()])
        if not isinstance(summary, Summaries):
            raise TypeError(
                "FileWriter.add_summary: pass what tf.summary.merge_all() (or a tf.summary op) "
                f"returned from the model, or a dict of scalars; got {type(summary).__name__}."
            )
        w = self._writer
        for kind, tag, value, max_outputs in summary:
            if kind == "scalar":
                w.scalar(tag, value, step)
            elif kind == "histogram":
                w.histogram(tag, value, step)
            elif kind == "text":
                w.text(tag, value, step)
            else:
                images = np.asarray(value)[:max_outputs]
                for i, img in enumerate(images):  # TF: by max_outputs, not the batch size
                    name = f"{tag}/image/{i}" if max_outputs > 1 else f"{tag}/image"
                    w.image(name, _tf1_image_uint8(img), step)

    def add_event(self, event: Any) -> None:
        """Not provided: write summaries with :meth:`add_summary`.

        Args:
          event: ignored.

        Raises:
          NotImplementedError: always.
        """
        raise NotImplementedError("FileWriter.add_event: use add_summary / add_graph.")

    def flush(self) -> None:
        """Writes every queued event to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file."""
        self._writer.close()

    def reopen(self) -> None:
        """Opens a new event file in the same folder after :meth:`close`."""
        self._writer = SummaryWriter(self._logdir)

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
