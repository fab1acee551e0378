"""TF1's graph-mode ``tf.summary`` (``scalar``, ``histogram``, ``image``, ``text``,
``merge``, ``merge_all``, ``FileWriter``) in a transformed function.

In TF1 a summary op returns a serialized ``Summary`` proto (a string tensor) and adds
it to the ``summaries`` collection; ``merge_all()`` merges the collection and the
training script runs it and hands the string to ``FileWriter.add_summary``. JAX has
no string tensors, so here a summary op returns a :class:`Summary`: a pytree holding
TF1's tag and the value (an array), which ``jit`` returns like any output. The model
returns what ``merge_all()`` gave; outside, ``FileWriter(logdir).add_summary(summaries,
step)`` writes it through ``sj.summary``'s event writer (no TensorFlow needed).

Tags follow TF1's ``summary_scope``, recorded from TF (``tests/compat_recordings/
record_summary.py``): the name, cleaned of characters TF refuses (``'my loss'`` ->
``'my_loss'``), opened as a name scope (so it is uniquified, ``loss``, ``loss_1``, and
prefixed, ``train/loss``), with ``family`` in front twice (``losses/losses/loss``); an
image summary writes one tag per image (``img/image/0``, ..., or ``img/image`` with
``max_outputs=1``). Called outside a transformed function (in the training script),
a summary op gives the cleaned name as its tag and joins no collection.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scopejax._src.core.collection import GraphKeys, add_to_collection, get_collection
from scopejax._src.core.context import maybe_frame
from scopejax._src.core.scope import name_scope
from scopejax._src.summary.writer import create_file_writer

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")  # TF1's summary_op_util


def _clean_tag(name: str) -> str:
    return _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


def _tag(name: str, family: str | None) -> str:
    """TF1's ``summary_scope``: the tag of a summary op named ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"tf.summary: the name must be a non-empty string, got {name!r}.")
    name = _clean_tag(name)
    family = _clean_tag(family) if family is not None else None
    base = name if family is None else f"{family}/{name}"
    if maybe_frame() is None:
        scope = base
    else:
        with name_scope(base) as opened:
            scope = opened
    tag = scope.rstrip("/")
    return tag if family is None else f"{family}/{tag}"


@jax.tree_util.register_pytree_node_class
class Summary:
    """What a ``tf.summary`` op returns here: its kind, TF1's tag and the value.

    A pytree (the value is its one leaf; kind, tag and options are static), so a
    jitted ``apply`` returns it. ``FileWriter.add_summary`` writes it.

    Attributes:
      kind: ``'scalar'``, ``'histogram'``, ``'image'`` or ``'text'``.
      tag: TF1's tag (an image summary's base tag; see :attr:`tags`).
      value: the scalar, the values of the histogram, the first ``max_outputs``
        images, or the text (a Python string, static).
      max_outputs: for an image summary, TF1's ``max_outputs``.
    """

    __slots__ = ("kind", "tag", "value", "max_outputs")

    def __init__(self, kind: str, tag: str, value: Any, max_outputs: int = 0) -> None:
        self.kind = kind
        self.tag = tag
        self.value = value
        self.max_outputs = max_outputs

    @property
    def name(self) -> str:
        """The summary op's name (its tag), which ``merge_all(scope=)`` matches."""
        return self.tag

    @property
    def tags(self) -> list[str]:
        """The tags written: one per image for an image summary, as TF1's kernel names
        them (``tag/image/i``, or ``tag/image`` when ``max_outputs`` is 1)."""
        if self.kind != "image":
            return [self.tag]
        if self.max_outputs == 1:
            return [f"{self.tag}/image"] * min(1, int(np.shape(self.value)[0]))
        return [f"{self.tag}/image/{i}" for i in range(int(np.shape(self.value)[0]))]

    def __iter__(self) -> Iterator[Summary]:
        yield self

    def tree_flatten(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The pytree protocol: the value is the leaf (text stays static)."""
        if self.kind == "text":
            return (), (self.kind, self.tag, self.max_outputs, self.value)
        return (self.value,), (self.kind, self.tag, self.max_outputs, None)

    @classmethod
    def tree_unflatten(cls, aux: tuple[Any, ...], children: tuple[Any, ...]) -> Summary:
        """The pytree protocol."""
        kind, tag, max_outputs, text = aux
        return cls(kind, tag, text if kind == "text" else children[0], max_outputs)

    def __repr__(self) -> str:
        return f"<Summary {self.kind} {self.tag!r}>"


@jax.tree_util.register_pytree_node_class
class MergedSummary:
    """What ``tf.summary.merge`` / ``merge_all`` return: the summaries, in TF1's order.

    Iterating gives the :class:`Summary` values; a pytree, so a jitted ``apply``
    returns it.

    Attributes:
      summaries: the merged summaries, a tuple.
    """

    __slots__ = ("summaries",)

    def __init__(self, summaries: Iterable[Summary]) -> None:
        self.summaries = tuple(summaries)

    @property
    def tags(self) -> list[str]:
        """Every tag written, in order."""
        return [t for s in self.summaries for t in s.tags]

    def __iter__(self) -> Iterator[Summary]:
        return iter(self.summaries)

    def __len__(self) -> int:
        return len(self.summaries)

    def tree_flatten(self) -> tuple[tuple[Any, ...], None]:
        """The pytree protocol."""
        return self.summaries, None

    @classmethod
    def tree_unflatten(cls, aux: None, children: Iterable[Summary]) -> MergedSummary:
        """The pytree protocol."""
        return cls(children)

    def __repr__(self) -> str:
        return f"<MergedSummary {self.tags}>"


def _collect(summary: Any, collections: Any) -> None:
    if maybe_frame() is None:
        return
    keys = [GraphKeys.SUMMARIES] if collections is None else list(collections)
    for key in keys:
        add_to_collection(key, summary)


def scalar(name: str, tensor: Any, collections: Any = None, family: str | None = None) -> Summary:
    """``tf.summary.scalar``: a scalar summary, added to ``collections``.

    Args:
      name: the summary's name (cleaned, then a name scope: TF1's tag).
      tensor: a scalar (any real dtype; written as float32).
      collections: the collections to join (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag (TF1's TensorBoard tab).

    Returns:
      A :class:`Summary`.

    Raises:
      ValueError: ``tensor`` is not a scalar.

    >>> import jax, jax.numpy as jnp, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def model(x):
    ...     with tf.name_scope("train"):
    ...         tf.summary.scalar("loss", tf.reduce_mean(x))
    ...     return tf.summary.merge_all()
    >>> net = sj.transform(model)
    >>> net.apply(net.init(jax.random.key(0), jnp.ones(3)), jnp.ones(3)).tags
    ['train/loss']
    """
    value = jnp.asarray(tensor)
    if value.shape != ():
        raise ValueError(
            f"tf.summary.scalar({name!r}): the value must be a scalar, got shape "
            f"{value.shape}; reduce it first (tf.reduce_mean) or use tf.summary.histogram."
        )
    s = Summary("scalar", _tag(name, family), value.astype(jnp.float32))
    _collect(s, collections)
    return s


def histogram(
    name: str, values: Any, collections: Any = None, family: str | None = None
) -> Summary:
    """``tf.summary.histogram``: a histogram of ``values``, added to ``collections``.

    Args:
      name: the summary's name (TF1's tag, as :func:`scalar`).
      values: a real array of any shape.
      collections: the collections to join (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag.

    Returns:
      A :class:`Summary` (the buckets are made when it is written).
    """
    s = Summary("histogram", _tag(name, family), jnp.asarray(values))
    _collect(s, collections)
    return s


def image(
    name: str,
    tensor: Any,
    max_outputs: int = 3,
    collections: Any = None,
    family: str | None = None,
) -> Summary:
    """``tf.summary.image``: the first ``max_outputs`` images of a batch.

    Args:
      name: the summary's name (TF1's base tag, as :func:`scalar`).
      tensor: ``[batch, height, width, channels]`` with 1, 3 or 4 channels
        (uint8, or floats written through ``sj.summary``'s PNG conversion).
      max_outputs: how many images to keep.
      collections: the collections to join (default ``[GraphKeys.SUMMARIES]``).
      family: a prefix for the tag.

    Returns:
      A :class:`Summary` (tags ``name/image/i``, see :attr:`Summary.tags`).

    Raises:
      ValueError: ``tensor`` is not 4-D with 1, 3 or 4 channels, or ``max_outputs`` < 1.
    """
    value = jnp.asarray(tensor)
    if value.ndim != 4 or value.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"tf.summary.image({name!r}): the tensor must be [batch, height, width, "
            f"channels] with 1, 3 or 4 channels, got shape {value.shape}."
        )
    if int(max_outputs) < 1:
        raise ValueError(f"tf.summary.image({name!r}): max_outputs must be >= 1.")
    s = Summary("image", _tag(name, family), value[: int(max_outputs)], int(max_outputs))
    _collect(s, collections)
    return s


def text(name: str, tensor: Any, collections: Any = None) -> Summary:
    """``tf.summary.text``: a string (JAX has no string tensors: a Python ``str``).

    Args:
      name: the summary's name (TF1's tag, as :func:`scalar`).
      tensor: a Python string (or bytes, decoded as UTF-8).
      collections: the collections to join (default ``[GraphKeys.SUMMARIES]``).

    Returns:
      A :class:`Summary` holding the text as static data.

    Raises:
      TypeError: ``tensor`` is not a string.
    """
    if isinstance(tensor, bytes):
        tensor = tensor.decode("utf-8")
    if not isinstance(tensor, str):
        raise TypeError(
            f"tf.summary.text({name!r}): JAX has no string tensors; pass a Python str, "
            f"got {type(tensor).__name__}."
        )
    s = Summary("text", _tag(name, None), tensor)
    _collect(s, collections)
    return s


def _flatten(inputs: Any) -> list[Summary]:
    if isinstance(inputs, Summary):
        return [inputs]
    if isinstance(inputs, (MergedSummary, list, tuple)):
        return [s for item in inputs for s in _flatten(item)]
    raise TypeError(
        f"tf.summary.merge: expected summaries (what tf.summary.* return), got "
        f"{type(inputs).__name__}."
    )


def merge(inputs: Any, collections: Any = None, name: str | None = None) -> MergedSummary:
    """``tf.summary.merge``: the summaries of ``inputs``, in order (merged ones flattened).

    Args:
      inputs: a list of summaries (or merged summaries).
      collections: collections to add the merged summary to (default: none).
      name: ignored.

    Returns:
      A :class:`MergedSummary`.

    Raises:
      TypeError: an input is not a summary.
    """
    merged = MergedSummary(_flatten(list(inputs)))
    if collections and maybe_frame() is not None:
        for key in collections:
            add_to_collection(key, merged)
    return merged


def merge_all(
    key: str = GraphKeys.SUMMARIES, scope: str | None = None, name: str | None = None
) -> MergedSummary | None:
    """``tf.summary.merge_all``: every summary in collection ``key``, or None if none.

    Args:
      key: the collection (default ``GraphKeys.SUMMARIES``).
      scope: keep only summaries whose tag matches this regex from the start.
      name: ignored.

    Returns:
      A :class:`MergedSummary`, or None when the collection holds no summary (as TF1).

    Raises:
      NotInTransformError: called outside a transformed function (there the model's
        summaries do not exist: return them from the model).
    """
    found = [s for s in get_collection(key, scope) if isinstance(s, (Summary, MergedSummary))]
    return merge(found) if found else None


class FileWriter:
    """``tf.summary.FileWriter``: writes what the model's summary ops returned into a
    TensorBoard event file, through ``sj.summary`` (no TensorFlow).

    Args:
      logdir: the run's folder (created if missing).
      graph: ignored (there is no graph; write one with ``sj.summary.write_graph(logdir,
        fn, *args)``).
      max_queue: events queued before a write is forced.
      flush_secs: seconds between automatic flushes.
      graph_def: ignored.
      filename_suffix: appended to the event file's name.
      session: ignored.

    >>> import jax, jax.numpy as jnp, tempfile, scopejax as sj
    >>> import scopejax.compat.v1 as tf
    >>> def model(x):
    ...     tf.summary.scalar("loss", tf.reduce_mean(x))
    ...     tf.summary.histogram("x", x)
    ...     return tf.summary.merge_all()
    >>> net = sj.transform(model)
    >>> summaries = jax.jit(net.apply)(net.init(jax.random.key(0), jnp.ones(3)), jnp.ones(3))
    >>> with tf.summary.FileWriter(tempfile.mkdtemp()) as writer:
    ...     writer.add_summary(summaries, global_step=0)
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
        del graph, graph_def, session
        self._writer = create_file_writer(
            logdir,
            max_queue=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix or "",
        )

    def get_logdir(self) -> str:
        """The folder the events go to."""
        return self._writer.logdir

    def add_summary(self, summary: Any, global_step: int | None = None) -> None:
        """Write a summary, a merged summary or a list of them at ``global_step``.

        Args:
          summary: what a ``tf.summary`` op or ``merge`` / ``merge_all`` returned
            (from the model's outputs), or a list of those.
          global_step: the step (None: 0).

        Raises:
          TypeError: ``summary`` is not a summary (a serialized TF proto, for example).
        """
        if summary is None:
            return
        step = 0 if global_step is None else int(global_step)
        w = self._writer
        for s in _flatten(summary):
            if s.kind == "scalar":
                w.scalar(s.tag, float(np.asarray(s.value)), step)
            elif s.kind == "histogram":
                w.histogram(s.tag, np.asarray(s.value), step)
            elif s.kind == "image":
                images = np.asarray(s.value)
                for tag, img in zip(s.tags, images, strict=False):
                    w.image(tag, img, step, max_images=1)
            else:
                w.text(s.tag, s.value, step)

    def flush(self) -> None:
        """Write every queued event to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
