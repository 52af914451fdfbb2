"""A cache of parsed data files on disk, so a second ``planner solve`` skips reading them.

Reading London's boundaries and 24 months of ward crime takes about a
second; the parsed :class:`~planner.inputs.loader.Geography` is saved in the
user's cache folder and used again while every file it was read from has the
same bytes. An entry is found by the ``data`` block and the folders its paths
are resolved in, and trusted only after the SHA-256 of every file it was read
from matches again (so an edited file is read afresh, never served stale).

Where: ``$PLANNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/planner``, else
``~/.cache/planner``. Off: ``PLANNER_CACHE=off`` (or ``planner solve
--no-cache``); clear: delete the folder. Entries are Python pickles, so the
folder is created private (mode 0700) and only files owned by the user, in a
folder no one else may write, are read. A broken or unreadable entry is a miss.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import os
import pickle
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.inputs.loader import Geography

#: Bump when the pickled types change shape: old entries are then never read.
FORMAT = "geography-v2"
#: Entries kept (oldest removed first).
MAX_ENTRIES = 16
OFF_VALUES = ("0", "off", "no", "false")


def enabled() -> bool:
    """Whether the cache is on (``PLANNER_CACHE`` is not ``off``/``0``/``no``/``false``)."""
    return os.environ.get("PLANNER_CACHE", "on").strip().lower() not in OFF_VALUES


def cache_dir() -> Path:
    """The cache folder (not created)."""
    env = os.environ.get("PLANNER_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "planner"


def entry_key(data_key: str, roots: tuple[str | None, ...]) -> str:
    """Name of the entry of a ``data`` block (its hash) resolved in ``roots`` (data and scenario folders)."""
    text = "|".join([FORMAT, data_key, *(str(Path(r).resolve()) if r else "" for r in roots)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _private_dir(folder: Path) -> bool:
    """Whether ``folder`` is ours and no one else may write to it."""
    try:
        st = folder.stat()
    except OSError:
        return False
    owned = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return owned and not (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _load(path: Path) -> Any:
    """The object pickled at ``path`` if the file and its folder are ours and of this format; None otherwise."""
    if not path.is_file() or not _private_dir(path.parent):
        return None
    try:
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            return None
        with open(path, "rb") as fh:
            fmt, obj = pickle.load(fh)  # our own private folder, checked above
    except Exception:  # a broken, truncated or foreign entry is a miss, never an error
        return None
    return obj if fmt == FORMAT else None


def read_object(name: str, folder: Path | None = None) -> Any:
    """An object saved by :func:`write_object` (None when absent, broken or the cache is off).

    For derived data keyed by what it was derived from (e.g. a map keyed by
    the :attr:`Geography.digest` of its files): nothing is re-checked here.
    """
    if not enabled():
        return None
    return _load((folder or cache_dir()) / f"{name}.pickle")


def write_object(name: str, obj: Any, folder: Path | None = None) -> Path | None:
    """Save ``obj`` under ``name`` (atomically; None when the cache is off or cannot be written)."""
    return write_entry(name, obj, folder) if enabled() else None


def read_entry(key: str, digest_of: Callable[[list[Path]], str], folder: Path | None = None) -> Geography | None:
    """The cached geography of ``key`` if every file it was read from is unchanged, else None.

    Parameters
    ----------
    key : str
        From :func:`entry_key`.
    digest_of : callable
        Hash of a list of files, as :attr:`Geography.digest` was computed.
    folder : Path, optional
        The cache folder (default :func:`cache_dir`).
    """
    geo = _load((folder or cache_dir()) / f"{key}.pickle")
    if geo is None:
        return None
    try:
        files = [Path(f) for f in geo.files]
        if files and (not all(f.is_file() for f in files) or digest_of(files) != geo.digest):
            return None
    except Exception:  # an entry of another shape is a miss
        return None
    return geo


def readonly(contents: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only mapping of ``contents`` (how a pickled read-only mapping is rebuilt)."""
    return MappingProxyType(contents)


def _mapping_proxy(m: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return readonly, (dict(m),)


def _dump(obj: Any, fh: Any) -> None:
    """Pickle ``obj``; read-only mappings (which pickle cannot) are saved as their contents, read-only again."""
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = _mapping_proxy
    pickler.dispatch_table = table
    pickler.dump(obj)


def write_entry(key: str, geo: Any, folder: Path | None = None) -> Path | None:
    """Save ``geo`` (a :class:`Geography`, or any object) under ``key`` (atomically; None when it cannot be)."""
    folder = folder or cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(folder):
            return None
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                _dump((FORMAT, geo), fh)
            target = folder / f"{key}.pickle"
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _prune(folder)
        return target
    except Exception:  # a cache that cannot be written is no cache, never an error
        return None


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            old.unlink()
