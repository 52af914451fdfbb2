"""Output folders written all or nothing: stage a whole new folder beside ``--out``, then swap it in.

:func:`check_out_dir` checks an output folder before any work is done (so a
bad ``--out`` is reported in a second, not after a long solve, and in the
words the user typed). :func:`commit_folder` then writes every file into a
staging folder *beside* the output folder (``.out.planner-staging-<pid>-…``,
never inside it), carries over (as hard links) whatever the output folder
held that the new files do not replace, and swaps the staged folder in with
one atomic rename: ``renameat2(RENAME_EXCHANGE)`` where the system offers it
(Linux), otherwise two renames with the old folder kept until the new one is
in place. Either the old folder or the complete new one is there, never a
mix; a process killed while writing leaves only a staging folder, which the
next write to the same output folder removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from planner.errors import InputError

__all__ = ["STAGING_TAG", "check_out_dir", "commit_folder", "remove_stale_staging"]

STAGING_TAG = ".planner-staging-"
OLD_TAG = ".planner-old-"
LEGACY_STAGING = (".planner-tmp-", ".finance-")
"""Staging folders that earlier versions made *inside* the output folder (and left there when killed)."""
STALE_SECONDS = 24 * 3600.0
"""A staging folder of a live process older than this is stale too (its process id was reused)."""


def _names(out: Path) -> tuple[str, str]:
    return f".{out.name}{STAGING_TAG}", f".{out.name}{OLD_TAG}"


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def check_out_dir(out_dir: str | Path, option: str = "--out") -> Path:
    """Check that ``out_dir`` can receive outputs, before any work is done.

    The folder may not exist yet (it is created, with its parents), or be an
    existing folder: its files that the new outputs do not replace are kept.

    Parameters
    ----------
    out_dir : str or Path
        The output folder as the user gave it.
    option : str
        How the user gave it, for messages.

    Returns
    -------
    Path
        The folder, absolute, with symbolic links resolved (that folder is swapped).

    Raises
    ------
    InputError
        If it names a file, the current folder or one of its parents, a
        filesystem root or mount point, or a place that cannot be written.
    """
    shown = str(out_dir)
    if not shown.strip():
        raise InputError(f"{option}: no folder given")
    try:
        out = Path(os.path.realpath(out_dir))
    except (OSError, ValueError) as exc:
        raise InputError(f"{option} {shown}: not a usable path ({exc})") from None
    if out == out.parent:
        raise InputError(f"{option} {shown} is the root of the file system: give a folder of its own")
    cwd = Path.cwd().resolve()
    if out == cwd or out in cwd.parents:
        raise InputError(
            f"{option} {shown} is the current folder or contains it: give a folder of its own (e.g. {option} out), "
            "the planner replaces the output folder as a whole"
        )
    if out.exists():
        if not out.is_dir():
            raise InputError(f"{option} {shown} is a file, not a folder: give a folder name")
        if os.path.ismount(out):
            raise InputError(f"{option} {shown} is a mount point: give a folder inside it")
        if not os.access(out, os.R_OK | os.X_OK):
            raise InputError(f"{option} {shown}: the folder cannot be read")
        base = out.parent
    else:
        base = _nearest_existing(out.parent)
        if not base.is_dir():
            raise InputError(f"{option} {shown}: {base} is a file, so the folder cannot be created there")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(
            f"{option} {shown}: cannot write in {base} (the outputs are staged beside the folder, then swapped in)"
        )
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _owner_pid(name: str, prefix: str) -> int | None:
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def remove_stale_staging(out: Path) -> list[Path]:
    """Clean up after a writer that was killed: remove its staging folder, put back a folder it had moved.

    A staging or old folder belongs to a process; it is stale when that
    process is gone or when it is older than :data:`STALE_SECONDS`. When the
    output folder is missing but a stale old copy of it exists (the process
    died between its two renames), the old copy is put back.

    Returns
    -------
    list of Path
        The folders removed or restored.
    """
    out = Path(out)
    parent = out.parent
    stage_prefix, old_prefix = _names(out)
    if not parent.is_dir():
        return []
    done = []
    now = time.time()
    for entry in sorted(parent.iterdir()):
        for prefix in (stage_prefix, old_prefix):
            if not entry.name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
                continue
            pid = _owner_pid(entry.name, prefix)
            age = now - entry.stat().st_mtime
            if pid is not None and (pid == os.getpid() or _pid_alive(pid)) and age < STALE_SECONDS:
                continue
            if prefix == old_prefix and not os.path.lexists(out):
                os.rename(entry, out)
            else:
                shutil.rmtree(entry, ignore_errors=True)
            done.append(entry)
    return done


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap(stage: Path, out: Path) -> None:
    """Put ``stage`` where ``out`` is; afterwards ``stage`` holds the old folder (or nothing)."""
    if not os.path.lexists(out):
        os.rename(stage, out)
        return
    if _exchange(stage, out):
        return
    _, old_prefix = _names(out)
    old = _fresh_name(out.parent, old_prefix)
    os.rename(out, old)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(old, out)
        raise
    os.rename(old, stage)


def _fresh_name(parent: Path, prefix: str) -> Path:
    """A path in ``parent`` that does not exist yet, named ``<prefix><pid>-<random>``."""
    while True:
        path = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(6)}"
        if not os.path.lexists(path):
            return path


def _carry(src: Path, dst: Path) -> None:
    """Hard-link (or copy) one entry of the old folder into the staging folder."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(src, dst)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fsync_tree(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        path = folder / name
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    with contextlib.suppress(OSError):  # not every system can sync a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit_folder(out_dir: str | Path, write: Callable[[Path], Iterable[str]], option: str = "--out") -> list[Path]:
    """Write files with ``write(staging_folder)`` and swap them into ``out_dir``, all or nothing.

    Parameters
    ----------
    out_dir : str or Path
        The output folder (created with its parents if missing).
    write : callable
        Writes the new files into the folder it is given and returns their names
        (plain file names, no folders).
    option : str
        How the user gave the folder, for messages.

    Returns
    -------
    list of Path
        The files written, inside ``out_dir`` as the caller named it.

    Raises
    ------
    InputError
        If ``out_dir`` cannot receive outputs (see :func:`check_out_dir`).
    """
    out = check_out_dir(out_dir, option)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    stage_prefix, _ = _names(out)
    stage = _fresh_name(out.parent, stage_prefix)
    os.mkdir(stage)  # the usual permissions (umask), unlike a private temporary folder
    try:
        if out.is_dir():
            shutil.copymode(out, stage)
        names = list(write(stage))
        bad = [n for n in names if Path(n).name != n or n in (".", "..")]
        if bad:
            raise ValueError(f"output names must be plain file names, got {bad}")
        if out.is_dir():
            for entry in sorted(out.iterdir()):
                legacy = entry.is_dir() and entry.name.startswith(LEGACY_STAGING)  # partial files: not carried
                if entry.name not in names and not legacy:
                    _carry(entry, stage / entry.name)
        _fsync_tree(stage, names)
        _swap(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [Path(out_dir) / name for name in names]
