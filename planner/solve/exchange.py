"""Compound moves when sergeants are the binding resource.

When every sergeant is deployed, one more officer in a borough whose teams are
full needs one more sergeant, which no single-unit move can find. The move
here takes a sergeant from one borough (removing, at least loss, the few
officers or PCSOs beyond what one fewer sergeant can supervise) and gives it to
another (adding the same people where they gain most), and is checked exactly
against every rule before it is taken.
"""

from __future__ import annotations

import numpy as np

from planner.ranks import SERGEANT
from planner.solve.primal import PlanState, _shed_cost


def _absorb(state: PlanState, b: int, n_x: int, n_p: int) -> list[tuple[int, int, int]] | None:
    """Best places in borough ``b`` for ``n_x`` constables and ``n_p`` PCSOs (greedy by gain)."""
    prob = state.prob
    wards = np.flatnonzero(prob.borough == b)
    x, p = state.x[wards].copy(), state.p[wards].copy()
    cur = prob.choice_value(wards, x, p)
    changes = []
    for rank, count in ((0, n_x), (1, n_p)):
        for _ in range(count):
            nx, np_ = (x + 1, p) if rank == 0 else (x, p + 1)
            ok = (nx <= prob.hi_x[wards]) & (np_ <= prob.hi_p[wards])
            gain = np.where(ok, prob.choice_value(wards, nx, np_) - cur, -np.inf)
            k = int(np.argmax(gain))
            if not np.isfinite(gain[k]):
                return None
            if rank == 0:
                x[k] += 1
            else:
                p[k] += 1
            cur[k] += gain[k]
            changes.append((int(wards[k]), 1 - rank, rank))
    return changes


def _absorb_potential(state: PlanState, k: int) -> np.ndarray:
    """Rough value of ``k`` more people per borough: sum of the best single-unit gains."""
    prob = state.prob
    best = np.maximum(state.gains(0, +1), state.gains(1, +1))
    out = np.full(prob.n_boroughs, -np.inf)
    order = np.argsort(-best)
    counts = np.zeros(prob.n_boroughs, dtype=np.int64)
    sums = np.zeros(prob.n_boroughs)
    for w in order:
        b = prob.borough[w]
        if counts[b] < k and np.isfinite(best[w]):
            counts[b] += 1
            sums[b] += best[w]
    out[counts > 0] = sums[counts > 0]
    return out


def exchange_sergeants(state: PlanState, candidates: int = 6, max_rounds: int = 10_000, tol: float = 1e-12) -> int:
    """Move sergeants (with the people they supervise) between boroughs while it pays.

    Returns the number of exchanges made. Does nothing unless sergeants are
    binding (all deployed, or a borough at its sergeant cap).
    """
    prob = state.prob
    made = 0
    cache: dict[int, tuple[float, list[tuple[int, int, int]]] | None] = {}
    for _ in range(max_rounds):
        binding = state.s.sum() >= prob.headcount[SERGEANT] or (state.s >= prob.max_sergeants).any()
        if not binding:
            break
        for b in range(prob.n_boroughs):
            if b not in cache:
                cache[b] = _shed_cost(state, b)
        sheds = sorted((v[0], b) for b, v in cache.items() if v is not None)[::-1][:candidates]
        k = int(np.ceil(prob.span_sergeant.max()))
        potential = _absorb_potential(state, k)
        takers = [int(b) for b in np.argsort(-potential)[: candidates + 1]]
        best: tuple[float, list[tuple[int, int, int]], set[int]] | None = None
        for loss, b1 in sheds:
            entry = cache[b1]
            assert entry is not None
            removed = entry[1]
            n_x = sum(1 for _, dx, _ in removed if dx)
            n_p = len(removed) - n_x
            for b2 in takers:
                if b2 == b1 or loss + potential[b2] <= tol:
                    continue
                added = _absorb(state, b2, n_x, n_p)
                if added is None:
                    continue
                d = state.delta(removed + added)
                if d is not None and d > tol and (best is None or d > best[0]):
                    best = (d, removed + added, {b1, b2})
        if best is None:
            break
        state.apply(best[1])
        for b in best[2]:
            cache.pop(b, None)
        made += 1
    return made
