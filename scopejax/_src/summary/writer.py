"""``create_file_writer``: scalars, histograms, images, text and graphs in TensorBoard's event
files, written with the ``tensorboard`` package (no TensorFlow).

Each summary is a ``Summary.Value`` carrying a tensor and its plugin's metadata (TensorBoard's
own ``tensorboard.plugins.*.metadata`` helpers), the format ``tf.summary`` (TF2) writes.
Events go to a queue that a background thread writes (tensorboard's ``EventFileWriter``):
a call costs microseconds plus reading its value to the host.
"""

from __future__ import annotations

import os
import time
from types import TracebackType
from typing import Any

import numpy as np

from scopejax._src.summary._tb import need
from scopejax._src.summary.png import encode_png


class SummaryWriter:
    """Writes summaries to one new event file in ``logdir``; see :func:`create_file_writer`.

    Args:
      logdir: the run's folder (created if missing).
      max_queue: events queued before a write is forced.
      flush_secs: seconds between automatic flushes.
      filename_suffix: appended to the event file's name.
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        max_queue: int = 100,
        flush_secs: float = 10.0,
        filename_suffix: str = "",
    ) -> None:
        self._pb = need("tensorboard.compat.proto.summary_pb2")
        self._event_pb = need("tensorboard.compat.proto.event_pb2")
        self._tensor = need("tensorboard.util.tensor_util").make_tensor_proto
        writer_mod = need("tensorboard.summary.writer.event_file_writer")
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        before = set(os.listdir(self.logdir))
        self._writer = writer_mod.EventFileWriter(
            self.logdir,
            max_queue_size=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix,
        )
        new = sorted(set(os.listdir(self.logdir)) - before)
        #: The event file's path.
        self.path = os.path.join(self.logdir, new[-1]) if new else self.logdir
        self._closed = False

    # -- plumbing ------------------------------------------------------------------------
    def _emit(self, tag: str, plugin: str, tensor: Any, step: int, wall_time: float | None) -> None:
        """Queue one event holding ``tensor`` under ``tag`` with ``plugin``'s metadata."""
        if self._closed:
            raise ValueError(
                f"SummaryWriter({self.logdir!r}) is closed; create a new one with "
                "sj.summary.create_file_writer(logdir)."
            )
        metadata = need(f"tensorboard.plugins.{plugin}.metadata").create_summary_metadata(
            display_name=tag, description=""
        )
        value = self._pb.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)
        summary = self._pb.Summary(value=[value])
        event = self._event_pb.Event(
            wall_time=time.time() if wall_time is None else wall_time,
            step=int(step),
            summary=summary,
        )
        self._writer.add_event(event)

    # -- summaries -----------------------------------------------------------------------
    def scalar(self, tag: str, value: Any, step: int, wall_time: float | None = None) -> None:
        """Record a number (Scalars tab).

        Args:
          tag: the chart's name; ``/`` groups charts (``train/loss``).
          value: a Python number or a 0-d array (a JAX array is read to the host).
          step: the x coordinate.
          wall_time: seconds since the epoch (default now).
        """
        self._emit(tag, "scalar", self._tensor(np.float32(np.asarray(value))), step, wall_time)

    def histogram(
        self, tag: str, values: Any, step: int, buckets: int = 30, wall_time: float | None = None
    ) -> None:
        """Record the distribution of ``values`` (Histograms and Distributions tabs).

        Args:
          tag: the chart's name.
          values: an array of any shape (non-finite entries are left out).
          step: the x coordinate.
          buckets: the number of equal-width buckets.
          wall_time: seconds since the epoch (default now).
        """
        v = np.asarray(values, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        if v.size == 0:
            data = np.zeros((0, 3))
        else:
            lo, hi = float(v.min()), float(v.max())
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            counts, edges = np.histogram(v, bins=max(1, int(buckets)), range=(lo, hi))
            data = np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)
        self._emit(tag, "histogram", self._tensor(data), step, wall_time)

    def image(
        self, tag: str, array: Any, step: int, max_images: int = 3, wall_time: float | None = None
    ) -> None:
        """Record an image or a batch of images as PNG (Images tab).

        Args:
          tag: the image's name.
          array: ``[H, W]``, ``[H, W, C]`` or ``[N, H, W, C]`` with C in 1, 3, 4; floats in
            [0, 1], integers in 0..255.
          step: the x coordinate (the slider).
          max_images: of a batch, the first this many are written.
          wall_time: seconds since the epoch (default now).

        Raises:
          ValueError: ``array`` is not shaped as an image.
        """
        a = np.asarray(array)
        images = list(a[:max_images]) if a.ndim == 4 else [a]
        pngs = [encode_png(im) for im in images]
        h, w = images[0].shape[:2]
        tensor = self._tensor(np.array([str(w).encode(), str(h).encode(), *pngs], dtype=object))
        self._emit(tag, "image", tensor, step, wall_time)

    def text(self, tag: str, text: str, step: int, wall_time: float | None = None) -> None:
        """Record a string, rendered as Markdown (Text tab).

        Args:
          tag: the text's name.
          text: the Markdown text.
          step: the x coordinate.
          wall_time: seconds since the epoch (default now).
        """
        self._emit(
            tag, "text", self._tensor(np.array(str(text).encode(), dtype=object)), step, wall_time
        )

    def graph(self, graph: Any) -> None:
        """Record a ``GraphDef`` (Graphs tab); see :func:`graph_def`.

        Args:
          graph: a ``tensorboard.compat.proto.graph_pb2.GraphDef``.
        """
        self._writer.add_event(
            self._event_pb.Event(wall_time=time.time(), graph_def=graph.SerializeToString())
        )

    # -- lifetime ------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every queued event to disk."""
        if not self._closed:
            self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file (a second call does nothing)."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SummaryWriter({self.path!r}{', closed' if self._closed else ''})"


def create_file_writer(
    logdir: str | os.PathLike[str],
    max_queue: int = 100,
    flush_secs: float = 10.0,
    filename_suffix: str = "",
) -> SummaryWriter:
    """A writer of TensorBoard summaries into a new event file in ``logdir`` (as TF2's
    ``tf.summary.create_file_writer``); use it as a context manager or call ``close()``.

    Args:
      logdir: the run's folder (created if missing). TensorBoard shows each folder under
        ``--logdir`` as a run.
      max_queue: events queued before a write is forced.
      flush_secs: seconds between automatic flushes.
      filename_suffix: appended to the event file's name.

    Returns:
      A :class:`SummaryWriter` with ``scalar``, ``histogram``, ``image``, ``text``,
      ``graph``, ``flush`` and ``close``.

    Raises:
      ImportError: tensorboard is not installed (``pip install 'scopejax[summary]'``).

    >>> import numpy as np, scopejax as sj, tempfile
    >>> with sj.summary.create_file_writer(tempfile.mkdtemp()) as w:
    ...     for step in range(3):
    ...         w.scalar("loss", 1.0 / (step + 1), step)
    ...     w.histogram("weights", np.random.default_rng(0).normal(size=100), step=2)
    ...     w.text("note", "**hello**", step=0)
    """
    return SummaryWriter(logdir, max_queue, flush_secs, filename_suffix)
