"""The price of fairness: the value a plan gives up to keep officers per unit of need even across groups.

When ``rules.fairness`` is on (:mod:`planner.rules.fairness`), the same problem
is solved a second time without that rule (same solver settings and seed):
the **unconstrained plan**. The price is the value the fair plan loses against
it, in the objective's units and as a share of the unconstrained value, with
the certificate of both solves:

* ``value_lost`` is ``U - F``, with ``F`` the fair plan's value and ``U`` the best
  unconstrained value known (never below ``F``: the fair plan is also a plan
  without the rule);
* ``value_lost_at_most`` is ``B - F``, with ``B`` the unconstrained solve's proven
  bound: no plan without the rule is worth more than that above the fair plan;
* when the unconstrained plan already keeps the rule, the rule does not bind
  and the price is exactly 0 (the fair optimum is the unconstrained optimum).

For the balance objective (lower is better) the same holds with signs turned.
The second solve is done once per plan (kept while the plan lives): the
summary, ``summary.json`` and the command line share it.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from planner.problem import AllocationProblem, Deployment, people_moved
from planner.report.result import Plan
from planner.rules.base import RuleKey, fmt_n
from planner.rules.fairness import Fairness, FairnessParams, group_officers
from planner.solve.pipeline import Allocation, solve_allocation

_CACHE: weakref.WeakKeyDictionary[Plan, FairnessPrice] = weakref.WeakKeyDictionary()

OFFICERS_WORDS = {
    "all": "constables + PCSOs (head count)",
    "constables": "constables",
    "separately": "constables and PCSOs, each",
}


@dataclass(frozen=True, eq=False)
class FairnessPrice:
    """The fair plan against the plan solved without the fairness rule.

    Attributes
    ----------
    params : FairnessParams
        The rule as applied.
    objective_kind : str
        ``value`` (higher is better) or ``balance`` (lower is better).
    fair_value, fair_bound : float
        The fair plan's objective and its solve's proven bound.
    unconstrained : Allocation
        The solve without the rule.
    fair, free : Deployment
        The two plans.
    keeps_rule : bool
        Whether the unconstrained plan keeps the fairness rule (then the rule does not bind).
    """

    params: FairnessParams
    objective_kind: str
    fair_value: float
    fair_bound: float
    unconstrained: Allocation
    fair: Deployment
    free: Deployment
    keeps_rule: bool
    need_total: float

    @property
    def sign(self) -> float:
        """+1 when a higher objective is better, -1 for the balance objective."""
        return -1.0 if self.objective_kind == "balance" else 1.0

    @property
    def best_unconstrained(self) -> float:
        """The best objective known without the rule (the fair plan counts: it is a plan without the rule too)."""
        u, f = self.unconstrained.objective, self.fair_value
        if not np.isfinite(u):
            return f
        return max(u, f) if self.sign > 0 else min(u, f)

    @property
    def value_lost(self) -> float:
        """Objective lost by the fair plan against the best plan known without the rule (0 when it does not bind)."""
        if self.keeps_rule:
            return 0.0
        return max(0.0, self.sign * (self.best_unconstrained - self.fair_value))

    @property
    def value_lost_at_most(self) -> float:
        """Proven: no plan without the rule is better than the fair plan by more than this."""
        if self.keeps_rule:
            return max(0.0, self.sign * (self.fair_bound - self.fair_value))
        bound = self.unconstrained.bound
        return max(0.0, self.sign * (bound - self.fair_value)) if np.isfinite(bound) else float("nan")

    @property
    def value_lost_percent(self) -> float:
        """:attr:`value_lost` as a percentage of the unconstrained objective."""
        return 100.0 * self.value_lost / max(abs(self.best_unconstrained), 1e-300)

    def groups(self) -> list[dict[str, Any]]:
        """Per count (constables + PCSOs, or each rank) and group: officers and their index in both plans."""
        fp = self.params
        out = []
        for terms, words in fp.counts:
            fair, total = group_officers(fp, self.fair, terms)
            free, free_total = group_officers(fp, self.free, terms)
            for g in range(fp.n_groups):
                den = fp.share[g] * total
                free_den = fp.share[g] * free_total
                out.append({
                    "group": fp.labels[g], "officers": words, "need_share": float(fp.share[g]),
                    "fair": round(float(fair[g])), "unconstrained": round(float(free[g])),
                    "fair_index": float(fair[g] / den) if den > 0 else None,
                    "unconstrained_index": float(free[g] / free_den) if free_den > 0 else None,
                    "fewest_allowed": int(np.ceil(fp.lo_factor[g] * total - 1e-9)),
                    "most_allowed": int(np.floor(fp.hi_factor[g] * total + 1e-9)),
                })  # fmt: skip
        return out

    def summary(self) -> dict[str, Any]:
        """The ``fairness`` entry of ``summary.json``'s ``equity`` block."""
        fp = self.params
        un = self.unconstrained
        return {
            "by": fp.by,
            "tolerance": fp.tolerance,
            "officers": OFFICERS_WORDS[fp.officers],
            "objective": self.objective_kind,
            "binds": not self.keeps_rule,
            "value": self.fair_value,
            "value_unconstrained": self.best_unconstrained,
            "value_lost": self.value_lost,
            "value_lost_percent": self.value_lost_percent,
            "value_lost_at_most": self.value_lost_at_most,
            "unconstrained": {
                "status": un.status.value,
                "objective": un.objective,
                "bound": un.bound,
                "gap": un.gap,
                "seconds": un.seconds,
                "keeps_rule": self.keeps_rule,
            },
            "moved": {
                "constables": people_moved(self.free.x, self.fair.x),
                "pcsos": people_moved(self.free.p, self.fair.p),
            },
            "groups": self.groups(),
        }

    def sentence(self) -> str:
        """One line for people: the price of fairness, with its units."""
        fp = self.params
        groups = "IMD deciles" if fp.by == "imd_decile" else f"{fp.by.split('_')[0].capitalize()} share quintiles"
        what = f"{groups} within {100 * fp.tolerance:g} % of London's officers per unit of need"
        if self.keeps_rule:
            return f"price of fairness ({what}): none, the plan without the rule already keeps it"
        moved = people_moved(self.free.x, self.fair.x) + people_moved(self.free.p, self.fair.p)
        return (
            f"price of fairness ({what}): {self.value_lost:,.4f} objective units "
            f"({self.value_lost_percent:.4f} % of {self.best_unconstrained:,.4f}; at most "
            f"{self.value_lost_at_most:,.4f}), {fmt_n(moved)} constables and PCSOs placed differently"
        )


def unconstrained_problem(prob: AllocationProblem) -> AllocationProblem:
    """``prob`` without the fairness rule (every other rule as it is)."""
    params = {k: v for k, v in prob.params.items() if k != RuleKey.FAIRNESS.value}
    return dataclasses.replace(prob, params=params)


def solve_unconstrained(plan: Plan) -> Allocation:
    """Solve the plan's problem again without the fairness rule, with the scenario's solver settings and seed."""
    spec = plan.scenario.solver
    prob = unconstrained_problem(plan.problem)
    with threadpool_limits(limits=1, user_api="blas"):
        if plan.scenario.objective.kind == "balance":
            from planner.solve.balance import solve_balance

            return solve_balance(prob, time_limit=spec.time_limit, gap_target=spec.gap, seed=plan.seed,
                                 workers=spec.workers)  # fmt: skip
        return solve_allocation(
            prob, time_limit=spec.time_limit, gap_target=spec.gap, seed=plan.seed, workers=spec.workers
        )


def price_of_fairness(plan: Plan) -> FairnessPrice | None:
    """The price of the plan's fairness rule (None when the rule is off); solved once per plan."""
    fp = Fairness.params(plan.problem)
    if fp is None:
        return None
    cached = _CACHE.get(plan)
    if cached is not None:
        return cached
    un = solve_unconstrained(plan)
    free = un.plan if un.status.has_plan else plan.deployment
    keeps = un.status.has_plan and all(c.ok for c in Fairness().check(plan.problem, free))
    price = FairnessPrice(
        params=fp, objective_kind=plan.scenario.objective.kind, fair_value=float(plan.objective),
        fair_bound=float(plan.bound), unconstrained=un, fair=plan.deployment, free=free, keeps_rule=keeps,
        need_total=float(plan.problem.need.sum()),
    )  # fmt: skip
    _CACHE[plan] = price
    return price
