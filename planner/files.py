"""Opening input files safely: ordinary files only, of a bounded size.

Every reader of the planner goes through here before it touches a file, so
that a path naming a pipe (FIFO), a device (``/dev/zero``), a socket or a
folder is refused with a message instead of hanging the process or filling
its memory. The check and the read use the same open file descriptor, opened
non-blocking: a pipe swapped in after the check cannot block either.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from planner.errors import DataError, InputError

__all__ = ["MAX_DATA_BYTES", "open_regular", "read_bytes", "require_regular"]

MB = 1 << 20
MAX_DATA_BYTES = 1024 * MB
"""Largest data file read (the real London crime file is 2.4 MB, its ward GeoPackage 1 MB)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def _refusal(what: str, mode: int) -> str:
    return f"{what} is {_kind(mode)}, not an ordinary file: the planner reads only regular files"


def require_regular(
    path: str | Path,
    what: str = "file",
    *,
    error: type[InputError] = DataError,
    missing: str | None = None,
    allow_dir: bool = False,
) -> Path:
    """Check that ``path`` names an existing regular file (symbolic links followed).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("crime file").
    error : type of InputError
        The error raised (default :class:`DataError`).
    missing : str, optional
        The message when the path does not exist (default "<what> not found").
    allow_dir : bool
        Accept a folder too (a shapefile folder is a vector dataset).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If the path is missing, unreadable, or names a pipe, device, socket (or a folder).
    """
    path = Path(path)
    source = str(path)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise error(missing or f"{what} not found", source=source) from None
    except PermissionError:
        raise error(f"{what} cannot be read: permission denied", source=source) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise error(f"{what} cannot be read ({getattr(exc, 'strerror', None) or exc})", source=source) from None
    if stat.S_ISREG(info.st_mode) or (allow_dir and stat.S_ISDIR(info.st_mode)):
        return path
    raise error(_refusal(what, info.st_mode), source=source)


@contextmanager
def open_regular(
    path: str | Path,
    what: str = "file",
    *,
    error: type[InputError] = DataError,
    limit: int | None = MAX_DATA_BYTES,
    missing: str | None = None,
) -> Iterator[BinaryIO]:
    """Open a regular file for binary reading, refusing anything else and anything over ``limit`` bytes.

    The file is opened non-blocking (so opening a pipe returns at once) and
    checked with ``fstat`` on the same descriptor before any byte is read.
    """
    require_regular(path, what, error=error, missing=missing)
    source = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"{what} cannot be read ({exc.strerror or exc})", source=source) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(_refusal(what, info.st_mode), source=source)
        if limit is not None and info.st_size > limit:
            raise error(f"{what} is {info.st_size / MB:,.1f} MB, over the {limit / MB:,.0f} MB limit", source=source)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_bytes(
    path: str | Path,
    what: str = "file",
    *,
    error: type[InputError] = DataError,
    limit: int | None = MAX_DATA_BYTES,
    missing: str | None = None,
) -> bytes:
    """The content of a regular file of at most ``limit`` bytes (see :func:`open_regular`)."""
    with open_regular(path, what, error=error, limit=limit, missing=missing) as fh:
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:  # the file grew while it was read
        raise error(f"{what} is over the {limit / MB:,.0f} MB limit", source=str(path))
    return data
