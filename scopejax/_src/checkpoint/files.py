"""Checkpoint files are read only if they are regular files.

Opening a named pipe (FIFO) for reading blocks until a writer appears, possibly forever;
a device or socket is no checkpoint data either. Every file a read touches is checked
first: our own files through :func:`open_regular`, and a scopejax checkpoint's whole
directory tree (which orbax and tensorstore open themselves) through :func:`check_tree`.
Symbolic links are followed, so a link to a regular file is fine and one to ``/dev/zero``
or a FIFO is refused.
"""

from __future__ import annotations

import io
import os
import stat

from scopejax._src.checkpoint.errors import CheckpointCorruptError, CheckpointError

MAX_TREE_ENTRIES = 1_000_000  # a checkpoint directory with more entries is refused


def kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _refuse(path: str, mode: int, where: str) -> CheckpointCorruptError:
    return CheckpointCorruptError(
        f"{where}{path} is {kind(mode)}, not a regular file; reading it could block forever "
        "or read endless bytes, so it was not opened. A checkpoint holds regular files only: "
        "copy the checkpoint again from where it was written."
    )


def open_regular(path: str | os.PathLike[str], where: str = "") -> io.BufferedReader:
    """Open ``path`` for binary reading if it is a regular file (symlinks followed).

    Args:
      path: the file.
      where: a prefix for error messages (``"Checkpoint /p: "``).

    Returns:
      The open file.

    Raises:
      CheckpointCorruptError: ``path`` is a FIFO, device, socket or directory.
      OSError: it cannot be opened (missing, no permission); callers word their own error.
    """
    path = os.fspath(path)
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, st.st_mode, where)
    # O_NONBLOCK: should it have become a FIFO since the stat, open() does not block.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, st.st_mode, where)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_tree(root: str | os.PathLike[str], where: str = "") -> None:
    """Raise unless everything under directory ``root`` is a regular file or a directory.

    Args:
      root: the checkpoint directory.
      where: a prefix for error messages.

    Raises:
      CheckpointCorruptError: a FIFO, device, socket, broken or looping symlink (named).
      CheckpointError: a directory cannot be listed, or holds absurdly many entries.
    """
    seen: set[tuple[int, int]] = set()
    stack = [os.fspath(root)]
    count = 0
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
            entries = list(os.scandir(d))
        except OSError as e:
            raise CheckpointError(f"{where}cannot list {d}: {e}.") from None
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop
            raise CheckpointCorruptError(f"{where}{d} is reached twice (a symbolic link loop?).")
        seen.add((st.st_dev, st.st_ino))
        count += len(entries)
        if count > MAX_TREE_ENTRIES:
            raise CheckpointError(f"{where}{root} holds more than {MAX_TREE_ENTRIES} files.")
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=True).st_mode
            except OSError as e:
                raise CheckpointCorruptError(
                    f"{where}{entry.path} cannot be read ({e.strerror or e}): a broken or "
                    "looping symbolic link? Copy the checkpoint again."
                ) from None
            if stat.S_ISDIR(mode):
                stack.append(entry.path)
            elif not stat.S_ISREG(mode):
                raise _refuse(entry.path, mode, where)
