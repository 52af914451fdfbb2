"""Plans kept on disk by input hash, so that "today's plan" is solved once.

``data.current: {scenario: FILE}`` means "the plan of that scenario": it is
solved first, and kept here under the hash of that scenario and every input
file it reads (:func:`planner.api.input_hash`). A changed file or setting is
a new hash, so a kept plan is never stale. The folder is
``$PLANNER_CACHE_DIR/plans`` (default ``~/.cache/met-neighbourhood-planner``);
``PLANNER_CACHE=off`` turns keeping off. A folder that cannot be written is
skipped: the plan is then solved every time, never wrong.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from planner.problem import Deployment


def cache_dir() -> Path | None:
    """Where plans are kept (None when keeping is off)."""
    if os.environ.get("PLANNER_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    root = os.environ.get("PLANNER_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "met-neighbourhood-planner"
    return base / "plans"


def load(key: str, ward_codes: np.ndarray) -> Deployment | None:
    """The plan kept under ``key`` for these wards (None if there is none, or it is for other wards)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            if not np.array_equal(data["codes"], np.asarray(ward_codes, dtype=str)):
                return None
            return Deployment(data["x"], data["p"], data["s"], data["i"])
    except (OSError, KeyError, ValueError):
        return None


def store(key: str, ward_codes: np.ndarray, plan: Deployment) -> None:
    """Keep ``plan`` under ``key`` (written whole or not at all; skipped if the folder cannot be written)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".plan-", suffix=".npz", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, codes=np.asarray(ward_codes, dtype=str), x=plan.x, p=plan.p, s=plan.s, i=plan.i)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        return
