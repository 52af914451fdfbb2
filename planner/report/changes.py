"""What changes from today, counted the way forces count it: moved, added, removed, per rank.

For one rank, with ``before`` today's people per ward (or borough) and
``after`` the plan's, every ward either gains ``g = max(after - before, 0)``
or loses ``l = max(before - after, 0)``. London-wide:

* when the plan has at least as many people as today (``T1 >= T0``), the
  ``T1 - T0`` extra are **added** (new posts filled, never a move), nobody is
  **removed**, and every loss is a person **moved** to a gaining ward:
  ``moved = sum(l)``;
* when it has fewer, the ``T0 - T1`` missing are **removed** (posts left
  vacant), nobody is added, and every gain is a person moved from a losing
  ward: ``moved = sum(g)``.

Per ward, ``moved_out + removed = l`` and ``moved_in + added = g``. Which
gaining ward's places are filled by movers rather than new people (or which
losing ward's departures are vacancies rather than moves) is a convention:
the London-wide numbers are shared out in proportion to each ward's gain (or
loss) by largest remainder, so every count is whole and every ward reconciles:
``before + moved_in + added - moved_out - removed == after``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.rounding import largest_remainder

FIELDS: tuple[str, ...] = ("before", "after", "moved_in", "moved_out", "added", "removed")
"""The columns of each rank in changes.csv (``constables_before`` ... ``pcsos_removed``)."""


def _share(weights: np.ndarray, total: int) -> np.ndarray:
    """``total`` whole people shared out in proportion to ``weights`` (largest remainder)."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return largest_remainder(weights * (total / weights.sum()), total)


@dataclass(frozen=True, eq=False)
class RankChange:
    """Moved, added and removed people of one rank, per ward (or borough); see the module notes."""

    before: np.ndarray
    after: np.ndarray
    moved_in: np.ndarray
    moved_out: np.ndarray
    added: np.ndarray
    removed: np.ndarray

    @classmethod
    def between(cls, before: np.ndarray, after: np.ndarray) -> RankChange:
        """The change from ``before`` to ``after`` (whole people, same shape)."""
        b = np.asarray(before, dtype=np.int64)
        a = np.asarray(after, dtype=np.int64)
        gain = np.maximum(a - b, 0)
        loss = np.maximum(b - a, 0)
        if a.sum() >= b.sum():
            added = _share(gain.astype(float), int(a.sum() - b.sum()))
            removed = np.zeros_like(b)
        else:
            added = np.zeros_like(b)
            removed = _share(loss.astype(float), int(b.sum() - a.sum()))
        return cls(b, a, gain - added, loss - removed, added, removed)

    @property
    def moved(self) -> int:
        """People who change ward (or borough)."""
        return int(self.moved_out.sum())

    def totals(self) -> dict[str, int]:
        """London-wide before, after, moved, added and removed."""
        return {
            "before": int(self.before.sum()),
            "after": int(self.after.sum()),
            "moved": self.moved,
            "added": int(self.added.sum()),
            "removed": int(self.removed.sum()),
        }


@dataclass(frozen=True, eq=False)
class Changes:
    """The change from today of a plan: per ward for constables and PCSOs, per borough for supervisors."""

    constables: RankChange
    pcsos: RankChange
    sergeants: RankChange | None = None
    inspectors: RankChange | None = None

    @classmethod
    def of(
        cls,
        before: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None],
        after: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> Changes:
        """From today's ``(x, p, s, i)`` (supervisors may be None: unknown) to the plan's."""
        bx, bp, bs, bi = before
        ax, ap, as_, ai = after
        return cls(
            RankChange.between(bx, ax),
            RankChange.between(bp, ap),
            None if bs is None else RankChange.between(bs, as_),
            None if bi is None else RankChange.between(bi, ai),
        )

    def ranks(self) -> dict[str, RankChange]:
        """The ranks whose change is known, by plural name."""
        out = {"constables": self.constables, "pcsos": self.pcsos}
        if self.sergeants is not None:
            out["sergeants"] = self.sergeants
        if self.inspectors is not None:
            out["inspectors"] = self.inspectors
        return out

    def summary(self) -> dict[str, Any]:
        """The ``changes`` block of summary.json: totals by rank (supervisors move between boroughs)."""
        return {rank: change.totals() for rank, change in self.ranks().items()}

    def ward_table(self, codes: np.ndarray, names: np.ndarray, boroughs: np.ndarray) -> pd.DataFrame:
        """changes.csv: ward_code, ward_name, borough, then before ... removed for constables and PCSOs."""
        cols: dict[str, Any] = {"ward_code": codes, "ward_name": names, "borough": boroughs}
        for rank in ("constables", "pcsos"):
            change = self.ranks()[rank]
            for name in FIELDS:
                cols[f"{rank}_{name}"] = getattr(change, name)
        return pd.DataFrame(cols)

    def sentence(self) -> str:
        """One plain line of the totals: who moves, what is added and removed."""
        parts = []
        for rank, label in (("constables", "constables"), ("pcsos", "PCSOs")):
            t = self.ranks()[rank].totals()
            bits = [f"{t['moved']:,} move ward"]
            if t["added"]:
                bits.append(f"{t['added']:,} added (new posts)")
            if t["removed"]:
                bits.append(f"{t['removed']:,} removed (posts left vacant)")
            parts.append(f"{label}: " + ", ".join(bits))
        return "from today: " + "; ".join(parts)
