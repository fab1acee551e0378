"""``create_file_writer``: scalars, histograms, images, text and graphs in TensorBoard's event
files, written with the ``tensorboard`` package (no TensorFlow).

Each summary is a ``Summary.Value`` carrying a tensor and its plugin's metadata (TensorBoard's
own ``tensorboard.plugins.*.metadata`` helpers), the format ``tf.summary`` (TF2) writes.
Events are held and written in batches (``max_queue`` of them, or every ``flush_secs``) by
tensorboard's ``RecordWriter`` (the TFRecord framing, checksummed in C when google-crc32c is
installed), with no thread: a call costs about 10 µs plus reading its value to the host
(``bench/summary_overhead.py``). ``flush()`` and ``close()`` write everything held.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from types import TracebackType
from typing import Any

import numpy as np

from scopejax._src.summary._tb import need, record_writer
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
        records = record_writer()
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        #: The event file's path (TensorBoard reads ``events.out.tfevents.*`` files).
        self.path = self._new_path(filename_suffix)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._records = records.RecordWriter(self._file)
        self._records.write(
            self._event_pb.Event(
                wall_time=time.time(),
                file_version="brain.Event:2",
                source_metadata=self._event_pb.SourceMetadata(writer="scopejax.summary"),
            ).SerializeToString()
        )
        self._file.flush()
        self._closed = False
        self._pending: list[Any] = []
        self._max_queue, self._flush_secs = max(1, int(max_queue)), float(flush_secs)
        self._pushed = time.monotonic()
        self._meta: dict[tuple[str, str], Any] = {}
        self._tensor_pb = need("tensorboard.compat.proto.tensor_pb2").TensorProto

    # -- plumbing ------------------------------------------------------------------------
    def _emit(self, tag: str, plugin: str, tensor: Any, step: int, wall_time: float | None) -> None:
        """Queue one event holding ``tensor`` under ``tag`` with ``plugin``'s metadata."""
        if self._closed:
            raise ValueError(
                f"SummaryWriter({self.logdir!r}) is closed; create a new one with "
                "sj.summary.create_file_writer(logdir)."
            )
        metadata = self._meta.get((plugin, tag))
        if metadata is None:
            make = need(f"tensorboard.plugins.{plugin}.metadata").create_summary_metadata
            metadata = self._meta[plugin, tag] = make(display_name=tag, description="")
        value = self._pb.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)
        summary = self._pb.Summary(value=[value])
        event = self._event_pb.Event(
            wall_time=time.time() if wall_time is None else wall_time,
            step=int(step),
            summary=summary,
        )
        self._queue(event)

    def _queue(self, event: Any) -> None:
        """Hold ``event``; write the held ones when ``max_queue`` are held or ``flush_secs``
        passed (tensorboard's EventFileWriter hands each event to a thread: ~30 µs of GIL
        ping-pong per event, more than the rest of a scalar)."""
        self._pending.append(event)
        if len(self._pending) >= self._max_queue or (
            time.monotonic() - self._pushed > self._flush_secs
        ):
            self._push()

    def _push(self) -> None:
        pending, self._pending = self._pending, []
        for event in pending:
            self._records.write(event.SerializeToString())
        self._file.flush()
        self._pushed = time.monotonic()

    _count = itertools.count()

    def _new_path(self, suffix: str) -> str:
        """``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>``, as TensorFlow names them."""
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}"
        return os.path.join(self.logdir, f"{name}.{os.getpid()}.{next(self._count)}{suffix}")

    # -- summaries -----------------------------------------------------------------------
    def scalar(self, tag: str, value: Any, step: int, wall_time: float | None = None) -> None:
        """Record a number (Scalars tab).

        Args:
          tag: the chart's name; ``/`` groups charts (``train/loss``).
          value: a Python number or a 0-d array (a JAX array is read to the host).
          step: the x coordinate.
          wall_time: seconds since the epoch (default now).
        """
        tensor = self._tensor_pb(dtype=1, float_val=[float(np.asarray(value))])  # DT_FLOAT, 0-d
        self._emit(tag, "scalar", tensor, step, wall_time)

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
            k = max(1, int(buckets))  # equal-width buckets, as np.histogram's, ~5x faster
            idx = np.minimum(((v - lo) * (k / (hi - lo))).astype(np.int64), k - 1)
            counts = np.bincount(idx, minlength=k)
            edges = lo + (hi - lo) * np.arange(k + 1) / k
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
        self._queue(
            self._event_pb.Event(wall_time=time.time(), graph_def=graph.SerializeToString())
        )

    # -- lifetime ------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every queued event to disk."""
        if not self._closed:
            self._push()

    def close(self) -> None:
        """Flush and close the event file (a second call does nothing)."""
        if not self._closed:
            self._push()
            self._file.close()
            self._closed = True

    def __del__(self) -> None:  # an unclosed writer still writes what it held
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown: nothing to do
            pass

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
