"""One rule for the filesystem: aimsync reads only regular files inside the repository (or a
file named explicitly on the command line), never more than a bound, and never blocks on a
FIFO or reads a device until memory runs out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OUTSIDE = "symbolic link points outside the repository; aimsync only reads files inside it"


class UnreadableFile(Exception):
    """Why a file is not read (the message is for a finding: no path in it)."""

    rule = "file.read"


class NotRegular(UnreadableFile):
    rule = "file.not-regular"


class TooLarge(UnreadableFile):
    rule = "file.too-large"

    def __init__(self, size: int | None, limit: int) -> None:
        self.size, self.limit = size, limit
        shown = f"{size} bytes" if size is not None else f"larger than {limit} bytes"
        super().__init__(f"file is {shown}; at most {limit} bytes are read")


def resolved(path: Path) -> Path | None:
    """`path` with every symbolic link resolved; None for a loop of links."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a symlink loop
        return None


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symbolic link resolved, is `root` or below it."""
    real_root, real = root.resolve(), resolved(path)
    return real is not None and (real == real_root or real_root in real.parents)


def read_regular_file(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. Raises UnreadableFile for a
    folder, a FIFO, a device or socket, a larger file, or an OS error."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the type is then checked on
        # the open file itself, so it cannot change in between.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise NotRegular("is a folder, not a file") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotRegular("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular("is not a regular file (a FIFO, socket or device); aimsync "
                             "reads regular files only")
        if info.st_size > max_bytes:
            raise TooLarge(info.st_size, max_bytes)
        # The size it has, and one byte more to see its end; then small reads while it
        # grows (a buffer of 1 MiB per read would cost more than reading a small file).
        chunks, total, want = [], 0, info.st_size + 1
        while chunk := os.read(fd, want):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while being read
                raise TooLarge(None, max_bytes)
            want = 1 << 16
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
