"""Deploying one quarter within the continuity limits: keep, stand down, fill, exchange.

Given the deployment of the quarter before, the people in post and the rules, in whole people:

1. **Keep.** Every borough keeps the constables and PCSOs expected to stay (its deployment
   the quarter before less its share of leavers, see :mod:`planner.finance.phasing_rules`),
   within its floor and cap. If the rank's leavers London-wide exceed the boroughs' shares
   (whole-person rounding), the few extra are taken where move allowance is left.
2. **Stand down.** Sergeants and inspectors are set at the spans (whole people per borough).
   If too few are in post, people are stood down (in post, not deployed) where one fewer
   person (or the fewest) frees a supervisor at the least value.
3. **Fill.** People still undeployed (new graduates, and those no one was stood down for)
   are added one at a time where they add the most value, while a supervisor is free.
4. **Exchange.** One person at a time is moved from the borough where it loses the least
   value to the one where it adds the most, or a constable and a PCSO trade boroughs, while
   that gains value and the move allowances (per borough and London-wide) last; at a local
   optimum, pairs of steps are tried (:data:`LOOKAHEAD`). People added in step 3 move freely.

Value is the exact need served, ``need_b log(1 + E_b / (n_b kappa))``. For one rank over
boroughs with separable concave values and a budget of moves, best-exchange-first reaches the
optimum of the relaxed problem up to whole-person steps; across the two ranks and the spans
it is a local optimum. It runs in milliseconds a quarter and is deterministic. (An exact
MIP per quarter was measured first: CBC often found no deployment within seconds on real
London, SCIP took 2-30 s a quarter on a loaded 2-core machine, and neither could be relied on
within a time limit.) The result's gap to the first stage's bound measures the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.finance.flows import PhasingProblem
from planner.finance.phasing_rules import allowed, plural

_GAIN_EPS = 1e-12
"""An exchange must add more value than this (stops cycling on ties)."""

LOOKAHEAD = 64
"""At a local optimum, this many of the best single steps are each tried with their best follow-up."""


class NoDeployment(Exception):
    """No deployment keeps the rules in this quarter; ``reason`` says why, with numbers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _State:
    pb: PhasingProblem
    stock: np.ndarray
    d: np.ndarray
    """(4, B) deployed."""
    keep: np.ndarray
    """(2, B) level below which losing a person is a move (expected stays less stand-downs)."""
    stood: np.ndarray
    """(2, B) stood down."""
    room_b: np.ndarray
    """(2, B) moves still allowed out of each borough."""
    room: np.ndarray
    """(2,) moves still allowed London-wide."""

    # --------------------------------------------------------------- value
    def value(self, c: np.ndarray, p: np.ndarray) -> np.ndarray:
        pb = self.pb
        a = pb.availability
        e = (a[0] * c + pb.pcso_effectiveness * a[1] * p) / (pb.n_wards * pb.kappa)
        return pb.need * np.log1p(e)

    def delta(self, k: int, step: int) -> np.ndarray:
        """(B,) value change of one more (step=1) or one fewer (step=-1) person of rank k per borough."""
        c, p = self.d[0].astype(float), self.d[1].astype(float)
        now = self.value(c, p)
        if k == 0:
            return self.value(c + step, p) - now
        return self.value(c, p + step) - now

    # --------------------------------------------------------- supervision
    def sergeants_for(self, heads: np.ndarray) -> np.ndarray:
        return np.maximum(self.pb.lo[2], np.ceil(heads / self.pb.span_sergeant - 1e-9)).astype(np.int64)

    def inspectors_for(self, sergeants: np.ndarray) -> np.ndarray:
        return np.maximum(self.pb.lo[3], np.ceil(sergeants / self.pb.span_inspector - 1e-9)).astype(np.int64)

    def supervise(self) -> None:
        self.d[2] = self.sergeants_for(self.d[0] + self.d[1])
        self.d[3] = self.inspectors_for(self.d[2])

    def extra_supervisors(self, change: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B,) extra sergeants and inspectors a borough needs if its constables + PCSOs change by ``change``."""
        sgt = self.sergeants_for(self.d[0] + self.d[1] + change)
        return sgt - self.d[2], self.inspectors_for(sgt) - self.d[3]

    # ---------------------------------------------------------------- moves
    def is_move(self, k: int) -> np.ndarray:
        """(B,) whether taking one person of rank k out of a borough is a move (it is at or below its keep level)."""
        return self.d[k] <= self.keep[k]

    def can_take(self, k: int) -> np.ndarray:
        """(B,) whether one person of rank k may leave a borough (floor kept, move allowance left)."""
        move = self.is_move(k) if k in self.pb.move_ranks else np.zeros(self.pb.n_boroughs, dtype=bool)
        allowance = (self.room_b[k] > 0) & (self.room[k] > 0)
        return (self.d[k] > self.pb.lo[k]) & (~move | allowance)

    def take(self, k: int, b: int) -> None:
        if k in self.pb.move_ranks and self.d[k, b] <= self.keep[k, b]:
            self.room_b[k, b] -= 1
            self.room[k] -= 1
        self.d[k, b] -= 1

    def cap(self, k: int) -> np.ndarray:
        hi = self.pb.hi[k]
        return np.where(hi >= 0, hi, np.iinfo(np.int64).max)


def _start(pb: PhasingProblem, stock: np.ndarray, before: np.ndarray, staying: np.ndarray) -> _State:
    B = pb.n_boroughs
    d = np.zeros((4, B), dtype=np.int64)
    keep = np.zeros((2, B), dtype=np.int64)
    room_b = np.full((2, B), np.iinfo(np.int32).max, dtype=np.int64)
    room = np.full(2, np.iinfo(np.int32).max, dtype=np.int64)
    for k in pb.move_ranks:
        keep[k] = staying[k]
        if pb.borough_move_share is not None:
            room_b[k] = [allowed(pb.borough_move_share, n) for n in before[k]]
        if pb.move_share is not None:
            room[k] = allowed(pb.move_share, int(before[k].sum()))
    state = _State(pb, stock, d, keep, np.zeros((2, B), dtype=np.int64), room_b, room)
    for k in (0, 1):
        d[k] = np.clip(keep[k], pb.lo[k], state.cap(k)) if k in pb.move_ranks else pb.lo[k]
    return state


def _too_many(s: _State) -> None:
    """Step 1: fewer in post than the boroughs keep (within their floors and caps): take the extra where allowed."""
    for k in (0, 1):
        if s.pb.lo[k].sum() > s.stock[k]:
            raise NoDeployment(
                f"the ward floors need {int(s.pb.lo[k].sum()):,} {plural(k)} but {int(s.stock[k]):,} are in post"
            )
        for _ in range(int(s.d[k].sum() - s.stock[k])):
            ok = s.can_take(k)
            if not ok.any():
                raise NoDeployment(
                    f"the {int(s.stock[k]):,} {plural(k)} in post are fewer than the boroughs are expected to keep "
                    f"within their floors ({int(s.d[k].sum()):,}), and no borough has move allowance left to spare one"
                )
            loss = np.where(ok, -s.delta(k, -1), np.inf)
            s.take(k, int(np.argmin(loss)))


def _stand_down(s: _State) -> None:
    """Step 2: supervisors at the spans; stand people down while too few are in post."""
    pb = s.pb
    s.supervise()
    while s.d[2].sum() > s.stock[2] or s.d[3].sum() > s.stock[3]:
        short_insp = s.d[3].sum() > s.stock[3]
        best: tuple[int, float, int, int] | None = None  # (to stand down to free one, value lost, rank, borough)
        heads = s.d[0] + s.d[1]
        if short_insp:  # people to stand down in a borough so that it needs one inspector fewer
            target = pb.span_inspector * (s.d[3] - 1)
            need = heads - pb.span_sergeant * np.maximum(target, 0)
            frees = (s.d[3] > pb.lo[3]) & (target >= pb.lo[2])
        else:  # ... one sergeant fewer
            need = heads - pb.span_sergeant * (s.d[2] - 1)
            frees = s.d[2] > pb.lo[2]
        for k in (0, 1):
            loss = -s.delta(k, -1)
            for b in np.nonzero(s.d[k] > pb.lo[k])[0]:
                cand = (int(need[b]) if frees[b] else 10**9, float(loss[b]), k, int(b))
                if best is None or cand[:2] < best[:2]:
                    best = cand
        if best is None:
            raise NoDeployment(
                f"the {int(s.stock[2]):,} sergeants and {int(s.stock[3]):,} inspectors in post cannot supervise the "
                "ward floors at the spans of control"
            )
        rank, where = best[2], best[3]
        s.d[rank, where] -= 1
        s.stood[rank, where] += 1
        s.keep[rank, where] -= 1  # losing them is a stand-down, not a move
        s.supervise()


def _fill(s: _State) -> None:
    """Step 3: add undeployed people (beyond those stood down) where they add the most value."""
    pb = s.pb
    spare = [int(s.stock[k] - s.d[k].sum() - s.stood[k].sum()) for k in (0, 1)]
    while True:
        best, pick = 0.0, None
        for k in (0, 1):
            if spare[k] <= 0:
                continue
            sgt, insp = s.extra_supervisors(np.ones(pb.n_boroughs, dtype=np.int64))
            ok = (s.d[k] < s.cap(k)) & (s.d[2].sum() + sgt <= s.stock[2]) & (s.d[3].sum() + insp <= s.stock[3])
            gain = np.where(ok, s.delta(k, 1), -np.inf)
            b = int(np.argmax(gain))
            if gain[b] > best:
                best, pick = float(gain[b]), (k, b)
        if pick is None:
            return
        k, b = pick
        s.d[k, b] += 1
        spare[k] -= 1
        s.supervise()


Step = tuple[float, int, int, int]
"""(value gained, kind, b, c): kind 0 or 1 moves one constable or PCSO from borough b to c; kind 2 trades a
constable from b for a PCSO from c."""


def _top(net: np.ndarray, n: int, kind: int) -> list[Step]:
    B = net.shape[0]
    flat = net.ravel()
    finite = np.nonzero(np.isfinite(flat))[0]
    if finite.size == 0:
        return []
    best = finite[np.argsort(-flat[finite], kind="stable")[:n]]
    return [(float(flat[i]), kind, int(i) // B, int(i) % B) for i in best]


def _steps(s: _State, n: int) -> list[Step]:
    """The ``n`` best feasible steps (most value first): single moves of either rank and constable-PCSO trades."""
    pb = s.pb
    B = pb.n_boroughs
    out: list[Step] = []
    one = np.ones(B, dtype=np.int64)
    add_sgt, add_insp = s.extra_supervisors(one)
    drop_sgt, drop_insp = s.extra_supervisors(-one)
    spare_sgt, spare_insp = int(s.stock[2] - s.d[2].sum()), int(s.stock[3] - s.d[3].sum())
    # a move from b to c: the supervisors needed afterwards must be in post
    fits = (add_sgt[None, :] + drop_sgt[:, None] <= spare_sgt) & (add_insp[None, :] + drop_insp[:, None] <= spare_insp)
    apart = ~np.eye(B, dtype=bool)
    for k in (0, 1):
        ok = s.can_take(k)[:, None] & (s.d[k] < s.cap(k))[None, :] & fits & apart
        net = s.delta(k, 1)[None, :] + s.delta(k, -1)[:, None]
        out += _top(np.where(ok, net, -np.inf), n, k)
    c0, p0 = s.d[0].astype(float), s.d[1].astype(float)
    now = s.value(c0, p0)
    give = s.value(c0 - 1, p0 + 1) - now  # borough b: one constable fewer, one PCSO more (same supervisors)
    get = s.value(c0 + 1, p0 - 1) - now  # borough c: the reverse
    ok = (s.can_take(0) & (s.d[1] < s.cap(1)))[:, None] & (s.can_take(1) & (s.d[0] < s.cap(0)))[None, :] & apart
    out += _top(np.where(ok, give[:, None] + get[None, :], -np.inf), n, 2)
    return sorted(out, key=lambda step: -step[0])[:n]


def _apply(s: _State, step: Step) -> None:
    _, kind, b, c = step
    if kind == 2:
        s.take(0, b)
        s.d[0, c] += 1
        s.take(1, c)
        s.d[1, b] += 1
    else:
        s.take(kind, b)
        s.d[kind, c] += 1
    s.supervise()


def _copy(s: _State) -> _State:
    return _State(s.pb, s.stock, s.d.copy(), s.keep.copy(), s.stood.copy(), s.room_b.copy(), s.room.copy())


def _exchange(s: _State) -> None:
    """Step 4: the best step while it adds value; at a local optimum, the best two steps together."""
    for _ in range(4 * int(s.stock[:2].sum()) + 1):
        steps = _steps(s, 1)
        if steps and steps[0][0] > _GAIN_EPS:
            _apply(s, steps[0])
            continue
        if not _two_steps(s):
            return


def _two_steps(s: _State) -> bool:
    """Apply the first of the :data:`LOOKAHEAD` best steps whose best follow-up makes the pair add value."""
    for first in _steps(s, LOOKAHEAD):
        trial = _copy(s)
        _apply(trial, first)
        then = _steps(trial, 1)
        if then and first[0] + then[0][0] > _GAIN_EPS:
            _apply(s, first)
            _apply(s, then[0])
            return True
    return False


def _spare_supervisors(s: _State) -> None:
    """Deploy sergeants and inspectors left in post where supervision is stretched most (within spans)."""
    pb = s.pb
    for _ in range(int(s.stock[2] - s.d[2].sum())):
        room = s.d[2] < pb.span_inspector * s.d[3]
        load = np.where(room, (s.d[0] + s.d[1]) / np.maximum(s.d[2], 1), -np.inf)
        if not np.isfinite(load).any():
            break
        s.d[2, int(np.argmax(load))] += 1
    for _ in range(int(s.stock[3] - s.d[3].sum())):
        load = s.d[2] / np.maximum(s.d[3], 1)
        s.d[3, int(np.argmax(load))] += 1


def deploy_linked(
    pb: PhasingProblem, stock: np.ndarray, before: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Deploy the stock (4,) of one quarter after the deployment ``before`` (4, B) of the quarter before.

    ``kept`` (4, B) is what each borough is expected to keep after the quarter's leavers
    (:func:`planner.finance.phasing_rules.expected_kept`).

    Returns
    -------
    deploy, stood_down : (4, B) int
        Deployed per rank and borough; constables and PCSOs stood down (in post, not deployed) for
        want of supervisors.

    Raises
    ------
    NoDeployment
        When the floors cannot be supervised, the extra leavers cannot be taken within the
        allowances, or (with ``deploy_all``) someone in post cannot be deployed.
    """
    kept = np.asarray(kept, dtype=np.int64)
    s = _start(pb, np.asarray(stock, dtype=np.int64), np.asarray(before, dtype=np.int64), kept)
    _too_many(s)
    _stand_down(s)
    _fill(s)
    _exchange(s)
    _spare_supervisors(s)
    stood = np.zeros_like(s.d)
    for k in pb.move_ranks:  # only people who lost their place in a borough under continuity are stood down
        stood[k] = np.minimum(s.stood[k], np.maximum(0, kept[k] - s.d[k]))
    if pb.deploy_all:
        idle = np.asarray(stock) - s.d.sum(axis=1)
        if idle.any():
            k = int(np.nonzero(idle)[0][0])
            raise NoDeployment(
                f"everyone in post must be deployed (deploy_all) but {int(idle[k]):,} {plural(k)} cannot be, "
                "within the continuity limits and the spans of control"
            )
    return s.d, stood
