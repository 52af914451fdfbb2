"""Every rule's rows stacked into one sparse system, and what each solver stage reads from it.

:func:`rows_of` compiles, once per problem, the :class:`~planner.rules.base.RowBlock`
of every registered rule into a :class:`RowSet` ``lo <= A z <= hi``. From it:

* the master LP's columns (:meth:`RowSet.columns`: a ward choice's coefficient in each row);
* a plan's activity and excess per row (:meth:`RowSet.activity`, :meth:`RowSet.excess`), which the
  repair of plans and the checks use;
* from prices ``y`` on the rows (:class:`RowPrices`), the Lagrangian's per-ward unit prices, the
  supervisors' coefficients and the constant term ``sum_r y_r * limit_r``.

Prices follow one sign convention: ``y_r >= 0`` prices the upper limit ``hi_r``,
``y_r <= 0`` the lower limit ``lo_r``; :meth:`RowSet.clamp` enforces it. For any
such ``y`` the Lagrangian is an upper bound on every plan (weak duality).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.problem import AllocationProblem, Deployment
from planner.rules.base import BOROUGH_TERMS, TERMS, RowBlock, RuleKey
from planner.tolerances import FEASIBILITY

_CACHE: weakref.WeakKeyDictionary[AllocationProblem, RowSet] = weakref.WeakKeyDictionary()


def ward_term_values(prob: AllocationProblem, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Each per-ward term of :data:`~planner.rules.base.TERMS` for choices ``(ward[k], x[k], p[k])`` (broadcasts)."""
    out = {"x": np.asarray(x), "p": np.asarray(p)}
    if prob.base_x is not None and prob.base_p is not None:
        bx, bp = prob.base_x[ward], prob.base_p[ward]
        out["under_x"], out["over_x"] = np.maximum(bx - x, 0), np.maximum(x - bx, 0)
        out["under_p"], out["over_p"] = np.maximum(bp - p, 0), np.maximum(p - bp, 0)
    return out


@dataclass(frozen=True, eq=False)
class WardPrices:
    """What prices on the rows charge per unit of each term.

    ``a``, ``b`` per constable and PCSO, ``under_x`` ... per unit of shortfall and excess
    against today, all (W,); ``s``, ``i`` per sergeant and inspector, (B,); ``constant``
    the priced limits ``sum_r y_r * limit_r``.
    """

    a: np.ndarray
    b: np.ndarray
    under_x: np.ndarray
    over_x: np.ndarray
    under_p: np.ndarray
    over_p: np.ndarray
    s: np.ndarray
    i: np.ndarray
    constant: float

    @property
    def moves(self) -> bool:
        """Whether any term against today is priced."""
        return bool(np.any(self.under_x) or np.any(self.over_x) or np.any(self.under_p) or np.any(self.over_p))


@dataclass(frozen=True, eq=False)
class RowSet:
    """All rows of a problem: ``lo <= A z <= hi``.

    Attributes
    ----------
    A : mapping of term -> sparse (R, W) or (R, B)
    AT : the same, transposed (per ward or borough, its coefficient in each row)
    lo, hi : (R,) float
    names : (R,) row names (LP and messages), ``keys`` the rule of each row, ``labels`` plain labels
    london_wide : (R,) bool, rows over the wards or supervisors of more than one borough
    """

    blocks: tuple[RowBlock, ...]
    A: Mapping[str, sp.csr_matrix]
    AT: Mapping[str, sp.csr_matrix]
    lo: np.ndarray
    hi: np.ndarray
    names: tuple[str, ...]
    keys: tuple[RuleKey, ...]
    labels: tuple[str, ...]
    block_of: np.ndarray
    london_wide: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows R."""
        return len(self.lo)

    def index(self, name: str) -> int | None:
        """Row number of the row called ``name`` (None if there is none)."""
        try:
            return self.names.index(name)
        except ValueError:
            return None

    # ---------------------------------------------------------------- plans
    def activity(self, prob: AllocationProblem, plan: Deployment) -> np.ndarray:
        """Left-hand side of every row for a plan, (R,)."""
        w = np.arange(prob.n_wards)
        vals = ward_term_values(prob, w, plan.x, plan.p)
        act = np.zeros(self.n_rows)
        for term, v in vals.items():
            if term in self.A:
                act += self.A[term] @ np.asarray(v, dtype=float)
        for term, v in (("s", plan.s), ("i", plan.i)):
            if term in self.A:
                act += self.A[term] @ np.asarray(v, dtype=float)
        return act

    def excess(self, act: np.ndarray) -> np.ndarray:
        """How far each row's activity is outside its limits (0 where it holds), (R,)."""
        out: np.ndarray = np.maximum(np.maximum(act - self.hi, self.lo - act), 0.0)
        return out

    def excess_at(self, rows: np.ndarray, act: np.ndarray) -> np.ndarray:
        """Like :meth:`excess` for the rows ``rows`` only, given their activity."""
        out: np.ndarray = np.maximum(np.maximum(act - self.hi[rows], self.lo[rows] - act), 0.0)
        return out

    def head_weights(self, prob: AllocationProblem) -> np.ndarray:
        """(R,) heads per unit of each row, so that breaches of different rules add up in one unit.

        A row's unit is worth the heads that move it by one: one constable or PCSO for a row of heads, a
        sergeant's span for a row of sergeants, a constable's pay for a row of money.
        """
        per_head = np.zeros(self.n_rows)
        widest = float(prob.span_sergeant.max())
        spans = {"s": widest, "i": widest * float(prob.span_inspector.max())}
        for term, mat in self.A.items():
            mag = abs(mat).max(axis=1).toarray().ravel()
            per_head = np.maximum(per_head, mag / spans.get(term, 1.0))
        return np.where(per_head > 0, 1.0 / np.maximum(per_head, 1e-300), 1.0)

    def broken(self, act: np.ndarray, tol: float = FEASIBILITY) -> np.ndarray:
        """Rows whose activity is outside their limits by more than ``tol`` (indices)."""
        return np.flatnonzero(self.excess(act) > tol)

    # -------------------------------------------------------------- columns
    def columns(self, prob: AllocationProblem, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> sp.csr_matrix:
        """Coefficient of each ward choice ``(ward[k], x[k], p[k])`` in each row, sparse (R, K)."""
        vals = ward_term_values(prob, ward, x, p)
        out = sp.csr_matrix((self.n_rows, len(ward)))
        for term, v in vals.items():
            if term in self.A:
                out = out + self.A[term][:, ward] @ sp.diags(np.asarray(v, dtype=float))
        return sp.csr_matrix(out)

    def choice_coefficients(self, prob: AllocationProblem, ward: int, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Coefficients (R, K) of one ward's candidate choices, dense."""
        k = len(x)
        vals = ward_term_values(prob, np.full(k, ward), x, p)
        out = np.zeros((self.n_rows, k))
        for term, v in vals.items():
            if term in self.AT:
                col = self.AT[term].getrow(ward).toarray().ravel()
                nz = np.flatnonzero(col)
                if len(nz):
                    out[nz] += np.outer(col[nz], np.asarray(v, dtype=float))
        return out

    # --------------------------------------------------------------- prices
    def clamp(self, y: np.ndarray) -> np.ndarray:
        """Prices with the right sign for each row's open or closed limits."""
        y = np.asarray(y, dtype=float)
        y = np.where(np.isfinite(self.hi), y, np.minimum(y, 0.0))
        return np.where(np.isfinite(self.lo), y, np.maximum(y, 0.0))

    def limit_value(self, y: np.ndarray) -> float:
        """``sum_r y_r * limit_r``: the upper limit for a positive price, the lower for a negative one."""
        lim = np.where(y > 0, self.hi, np.where(y < 0, self.lo, 0.0))
        return float(np.sum(np.where(y != 0, y * lim, 0.0)))

    def prices(self, prob: AllocationProblem, y: np.ndarray) -> WardPrices:
        """The per-unit charges of prices ``y`` (clamped to the right signs first)."""
        y = self.clamp(y)
        w, b = prob.n_wards, prob.n_boroughs

        def per(term: str, n: int) -> np.ndarray:
            return self.AT[term] @ y if term in self.AT else np.zeros(n)

        return WardPrices(
            a=per("x", w), b=per("p", w),
            under_x=per("under_x", w), over_x=per("over_x", w), under_p=per("under_p", w), over_p=per("over_p", w),
            s=per("s", b), i=per("i", b), constant=self.limit_value(y),
        )  # fmt: skip


def _row_names(block: RowBlock) -> list[str]:
    return [block.name] if block.n_rows == 1 else [f"{block.name}{k}" for k in range(block.n_rows)]


def _london_wide(prob: AllocationProblem, A: Mapping[str, sp.csr_matrix], n_rows: int) -> np.ndarray:
    """Rows whose coefficients reach more than one borough."""
    lo = np.full(n_rows, np.iinfo(np.int64).max)
    hi = np.full(n_rows, -1)
    for term, mat in A.items():
        coo = mat.tocoo()
        where = prob.borough[coo.col] if term in TERMS else coo.col
        np.minimum.at(lo, coo.row, where)
        np.maximum.at(hi, coo.row, where)
    return (hi >= 0) & (hi > lo)


def compile_rows(prob: AllocationProblem, blocks: list[RowBlock]) -> RowSet:
    """Stack row blocks into a :class:`RowSet`."""
    w, b = prob.n_wards, prob.n_boroughs
    stacked: dict[str, sp.csr_matrix] = {}
    for term in (*TERMS, *BOROUGH_TERMS):
        n = b if term in BOROUGH_TERMS else w
        if not any(term in blk.coef for blk in blocks):
            continue
        parts = [
            sp.csr_matrix(blk.coef[term]) if term in blk.coef else sp.csr_matrix((blk.n_rows, n)) for blk in blocks
        ]
        stacked[term] = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, n))
    n_rows = sum(blk.n_rows for blk in blocks)
    for mat in stacked.values():
        mat.eliminate_zeros()
    return RowSet(
        blocks=tuple(blocks),
        A=stacked,
        AT={t: sp.csr_matrix(m.T) for t, m in stacked.items()},
        lo=np.concatenate([blk.lo for blk in blocks]) if blocks else np.zeros(0),
        hi=np.concatenate([blk.hi for blk in blocks]) if blocks else np.zeros(0),
        names=tuple(n for blk in blocks for n in _row_names(blk)),
        keys=tuple(blk.key for blk in blocks for _ in range(blk.n_rows)),
        labels=tuple(lab for blk in blocks for lab in blk.labels),
        block_of=np.repeat(np.arange(len(blocks)), [blk.n_rows for blk in blocks]).astype(np.int64),
        london_wide=_london_wide(prob, stacked, n_rows),
    )


def rows_of(prob: AllocationProblem) -> RowSet:
    """The rows of every registered rule on ``prob`` (compiled once per problem, then cached)."""
    cached = _CACHE.get(prob)
    if cached is None:
        from planner.rules.registry import REGISTRY

        cached = compile_rows(prob, [blk for rule in REGISTRY for blk in rule.rows(prob)])
        _CACHE[prob] = cached
    return cached
