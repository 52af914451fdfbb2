"""The answer of a phasing run, its tables, and an independent check of every rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.finance.costing import CostRates, round_pence
from planner.finance.flows import Flows, PhasingProblem, leavers_of, pool_cost_pence
from planner.finance.phasing_rules import (
    continuity_notes,
    floor_notes,
    moved,
    rule_figures,
    rule_violations,
    stand_down_notes,
    terminal_notes,
)
from planner.scenario import RANKS
from planner.scenario.periods import fy_label


@dataclass(frozen=True, eq=False)
class PhasingResult:
    """Recruitment, stock and deployment per period, with costs in whole pence.

    Attributes
    ----------
    problem : PhasingProblem
    flows : Flows
        Per pool (base establishments first, in rank order, then streams) and period.
    deploy : (4, B, T) int
        Deployed per rank, borough and period.
    cost_pence : (P, T) int
        Cost per pool and period (pay and on-costs of the paid heads, plus one-off).
    value : (T,) float
        Need served per period (exact logarithmic value).
    stood_down : (4, B, T) int
        People kept in post but not deployed because the supervisors in post could not keep them in
        their borough within the continuity limits (see :mod:`planner.finance.deploy`).
    """

    problem: PhasingProblem
    flows: Flows
    deploy: np.ndarray
    cost_pence: np.ndarray
    value: np.ndarray
    status: str
    objective: float
    bound: float
    seconds: float
    seed: int
    time_limit: float
    price_base: str
    stood_down: np.ndarray

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the bound."""
        return abs(self.bound - self.objective) / max(1e-9, abs(self.objective))

    # ---------------------------------------------------------------- tables
    def rank_stock(self) -> np.ndarray:
        """(4, T) deployable stock per rank."""
        out = np.zeros((4, self.problem.n_periods), dtype=np.int64)
        for j, pool in enumerate(self.problem.pools):
            out[pool.rank] += self.flows.stock[j]
        return out

    def period_table(self) -> pd.DataFrame:
        """One row per period and rank: flows, deployed, moved between boroughs, and cost.

        Moved between boroughs since the quarter before, net of that borough's share of leavers (see
        :mod:`planner.finance.phasing_rules`); cost in cash and real pounds.
        """
        pb, f = self.problem, self.flows
        rows = []
        between = moved(pb, self.flows, self.deploy, self.stood_down)
        for t, label in enumerate(pb.labels):
            for k, rank in enumerate(RANKS):
                js = [j for j, p in enumerate(pb.pools) if p.rank == k]
                cash = int(self.cost_pence[js, t].sum()) / 100
                rows.append(
                    {
                        "period": label,
                        "fy": fy_label(int(pb.fy[t])),
                        "rank": rank,
                        "recruits": int(f.recruits[js, t].sum()),
                        "graduates": int(f.graduates[js, t].sum()),
                        "leavers": int(f.leavers[js, t].sum()),
                        "stock": int(f.stock[js, t].sum()),
                        "trainees": int(f.trainees[js, t].sum()),
                        "deployed": int(self.deploy[k, :, t].sum()),
                        "moved_between_boroughs": int(between[k, t]),
                        "stood_down": int(self.stood_down[k, :, t].sum()),
                        "places": int(pb.intake[k, t]),
                        "cost": cash,
                        "cost_real": round_pence(cash / pb.price_index[t]),
                    }
                )
        return pd.DataFrame(rows)

    def stream_table(self) -> pd.DataFrame:
        """One row per pool and period (base establishments and funding streams)."""
        pb, f = self.problem, self.flows
        rows = []
        for j, pool in enumerate(pb.pools):
            for t, label in enumerate(pb.labels):
                rows.append(
                    {
                        "pool": pool.name,
                        "kind": "stream" if pool.is_stream else "base",
                        "rank": RANKS[pool.rank],
                        "funder": pool.funder,
                        "period": label,
                        "fy": fy_label(int(pb.fy[t])),
                        "recruits": int(f.recruits[j, t]),
                        "leavers": int(f.leavers[j, t]),
                        "stock": int(f.stock[j, t]),
                        "trainees": int(f.trainees[j, t]),
                        "posts": pool.cap,
                        "cost": int(self.cost_pence[j, t]) / 100,
                    }
                )
        return pd.DataFrame(rows)

    def borough_table(self) -> pd.DataFrame:
        """One row per period and borough: deployed per rank."""
        pb = self.problem
        rows = []
        for t, label in enumerate(pb.labels):
            for b, name in enumerate(pb.borough_names):
                row: dict[str, Any] = {"period": label, "borough": name}
                for k, rank in enumerate(RANKS):
                    row[rank] = int(self.deploy[k, b, t])
                rows.append(row)
        return pd.DataFrame(rows)

    def fy_table(self) -> pd.DataFrame:
        """One row per financial year: cost in cash and real terms, budget, per-stream cost."""
        pb = self.problem
        rows = []
        for year in sorted(set(int(y) for y in pb.fy)):
            ts = [t for t in range(pb.n_periods) if pb.fy[t] == year]
            pence = int(self.cost_pence[:, ts].sum())
            row: dict[str, Any] = {
                "fy": fy_label(year),
                "quarters": len(ts),
                "cash": pence / 100,
                "real": round_pence(pence / 100 / pb.price_index[ts[0]]),
                "budget": pb.budget.get(year, float("nan")),
            }
            for j, pool in enumerate(pb.pools):
                row[f"cost_{pool.name}"] = int(self.cost_pence[j, ts].sum()) / 100
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader should know, with numbers.

        People in post but not deployed, recruits finishing after the plan, and where continuity, additionality and the
        terminal condition bind.
        """
        pb, out = self.problem, []
        stock = self.rank_stock()
        for k, rank in enumerate(RANKS):
            idle = stock[k] - self.deploy[k].sum(axis=0)
            if idle.max() > 0:
                t = int(np.argmax(idle))
                out.append(
                    f"{rank}: up to {int(idle[t]):,} in post but not deployed ({pb.labels[t]}); "
                    "the spans of control or ward caps leave no room for them"
                )
        late = self.flows.trainees[:, -1].sum()
        if late:
            out.append(f"{int(late):,} recruits are still in training at the end of the plan")
        out += continuity_notes(pb, self.flows, self.deploy, self.stood_down) + stand_down_notes(
            pb, self.flows, self.deploy, self.stood_down
        )
        out += floor_notes(pb, self.flows) + terminal_notes(pb, self.flows)
        out.append(
            f"bound {self.bound:,.3f} is the solver's bound on a tangent (upper) approximation of the value; "
            f"the objective {self.objective:,.3f} is exact"
        )
        return tuple(out)

    def summary(self) -> dict[str, Any]:
        """Json-ready headline figures."""
        pb = self.problem
        stock = self.rank_stock()
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "seconds": round(self.seconds, 3),
            "seed": self.seed,
            "time_limit": self.time_limit,
            "periods": list(pb.labels),
            "price_base": self.price_base,
            "total_cash": int(self.cost_pence.sum()) / 100,
            "need_served_mean": float(self.value.mean()),
            "final_stock": {r: int(stock[k, -1]) for k, r in enumerate(RANKS)},
            "recruits": {
                r: int(self.flows.recruits[[j for j, p in enumerate(pb.pools) if p.rank == k]].sum())
                for k, r in enumerate(RANKS)
            },
            "notes": list(self.notes),
            "streams": {p.name: int(self.flows.stock[j, -1]) for j, p in enumerate(pb.pools) if p.is_stream},
            "rules": rule_figures(pb, self.flows, self.deploy, self.stood_down),
        }


def need_value(pb: PhasingProblem, deploy: np.ndarray) -> np.ndarray:
    """(T,) exact need served per period: sum_b need_b * log(1 + E_bt / (n_b * kappa))."""
    a = pb.availability
    eff = a[0] * deploy[0] + pb.pcso_effectiveness * a[1] * deploy[1]  # (B, T)
    scale = (pb.n_wards * pb.kappa)[:, None]
    return (pb.need[:, None] * np.log1p(eff / scale)).sum(axis=0)


def make_result(
    pb: PhasingProblem,
    rates: CostRates,
    flows: Flows,
    deploy: np.ndarray,
    *,
    status: str,
    objective: float,
    bound: float,
    seconds: float,
    seed: int,
    time_limit: float,
    stood_down: np.ndarray | None = None,
) -> PhasingResult:
    """Assemble a :class:`PhasingResult` from solved flows and deployment (and stand-downs, default none)."""
    return PhasingResult(
        problem=pb,
        flows=flows,
        deploy=deploy,
        cost_pence=pool_cost_pence(pb, flows),
        value=need_value(pb, deploy),
        status=status,
        objective=objective,
        bound=bound,
        seconds=seconds,
        seed=seed,
        time_limit=time_limit,
        price_base=fy_label(rates.price_base),
        stood_down=np.zeros_like(deploy) if stood_down is None else np.asarray(stood_down, dtype=np.int64),
    )


def check_phasing(result: PhasingResult) -> list[str]:  # noqa: C901
    """Recompute every rule from the result; return the violations (empty when all hold).

    Checks the stock-flow identity, the attrition rounding, the training lag,
    training places, pool caps and stream targets, deployment within stock,
    borough floors and caps, spans of control, budgets, and the continuity,
    additionality and terminal rules (:func:`planner.finance.phasing_rules.rule_violations`).
    """
    pb, f, d = result.problem, result.flows, result.deploy
    bad: list[str] = []
    T = pb.n_periods
    for j, pool in enumerate(pb.pools):
        k, lag, bp = pool.rank, int(pb.lag[pool.rank]), int(pb.attrition_bp[pool.rank])
        prev = pool.initial
        for t in range(T):
            expect_leave = leavers_of(bp, prev)
            if f.leavers[j, t] != expect_leave:
                bad.append(f"{pool.name} {pb.labels[t]}: {f.leavers[j, t]} leavers, not {expect_leave}")
            piped = pool.pipeline[t] if t < len(pool.pipeline) else 0
            expect_grad = f.recruits[j, t - lag] if t >= lag else piped
            if f.graduates[j, t] != expect_grad:
                bad.append(f"{pool.name} {pb.labels[t]}: graduates break the {lag}-period lag")
            if f.stock[j, t] != prev - f.leavers[j, t] + f.graduates[j, t]:
                bad.append(f"{pool.name} {pb.labels[t]}: stock-flow does not balance")
            if not 0 <= f.stock[j, t] <= pool.cap:
                bad.append(f"{pool.name} {pb.labels[t]}: stock {f.stock[j, t]} outside 0..{pool.cap}")
            if pool.by is not None and t >= pool.by and f.stock[j, t] < pool.target:
                bad.append(f"{pool.name} {pb.labels[t]}: {f.stock[j, t]} in post, target {pool.target}")
            if t < pool.first_recruit and f.recruits[j, t]:
                bad.append(f"{pool.name} {pb.labels[t]}: recruits before the stream starts")
            prev = int(f.stock[j, t])
    for k in range(4):
        js = [j for j, p in enumerate(pb.pools) if p.rank == k]
        for t in range(T):
            if f.recruits[js, t].sum() > pb.intake[k, t]:
                n = f.recruits[js, t].sum()
                bad.append(f"{RANKS[k]} {pb.labels[t]}: {n} recruits for {pb.intake[k, t]} places")
            stock, deployed = f.stock[js, t].sum(), d[k, :, t].sum()
            if deployed > stock or (pb.deploy_all and deployed != stock):
                bad.append(f"{RANKS[k]} {pb.labels[t]}: {deployed} deployed from a stock of {stock}")
            if (d[k, :, t] < pb.lo[k]).any():
                bad.append(f"{RANKS[k]} {pb.labels[t]}: a borough is below its floor")
            if k < 2 and ((pb.hi[k] >= 0) & (d[k, :, t] > pb.hi[k])).any():
                bad.append(f"{RANKS[k]} {pb.labels[t]}: a borough is above its cap")
    for t in range(T):
        if (pb.span_sergeant * d[2, :, t] < d[0, :, t] + d[1, :, t] - 1e-9).any():
            bad.append(f"{pb.labels[t]}: a borough breaks the sergeant span")
        if (pb.span_inspector * d[3, :, t] < d[2, :, t] - 1e-9).any():
            bad.append(f"{pb.labels[t]}: a borough breaks the inspector span")
    cost = result.cost_pence
    for year, amount in pb.budget.items():
        ts = [t for t in range(T) if pb.fy[t] == year]
        if ts and cost[:, ts].sum() > round(amount * 100):
            spent = cost[:, ts].sum() / 100
            bad.append(f"{fy_label(year)}: cost £{spent:,.2f} over the £{amount:,.0f} budget")
    for j, pool in enumerate(pb.pools):
        for year, amount in pool.budget.items():
            ts = [t for t in range(T) if pb.fy[t] == year]
            if ts and cost[j, ts].sum() > round(amount * 100):
                bad.append(f"{pool.name} {fy_label(year)}: over its £{amount:,.0f} budget")
    if not math.isfinite(float(result.value.sum())):
        bad.append("need served is not finite")
    return bad + rule_violations(pb, f, d, result.stood_down)
