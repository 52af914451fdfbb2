"""The list of rules, and the stages that loop over it: build, check, explain.

Like PyPSA's ``create_model`` calling ``define_*_constraints`` in order (or
spopt's ``FacilityModelBuilder.add_*_constraint``), every stage that needs
"all the rules" loops over :data:`REGISTRY`:

* :func:`build_problem` assembles the :class:`~planner.problem.AllocationProblem`:
  each rule builds the fields it owns and its bounds;
* :func:`planner.rules.rows.rows_of` stacks every rule's rows (the master LP,
  CP-SAT, the Lagrangian prices and the repair of plans read them);
* :func:`check_plan` recomputes every rule on a finished plan;
* :func:`conflicts` and :func:`binding` explain, in plain words with numbers,
  what stops a plan existing and what limits one.

A new rule is one module with one :class:`~planner.rules.base.Rule` and one
line in :data:`REGISTRY` (docs/development.md shows a worked example).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.problem import INF_INT, AllocationProblem, Deployment
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.rules.base import BuildContext, Rule, RuleCheck, RuleKey
from planner.rules.borough_caps import BoroughCaps
from planner.rules.borough_share import BoroughShare
from planner.rules.budget import Budget
from planner.rules.damping import BoroughDamping
from planner.rules.fairness import Fairness
from planner.rules.headcount import Headcount
from planner.rules.min_effective import MinEffective
from planner.rules.overrides import OverridesRule
from planner.rules.stability import Stability
from planner.rules.supervision import Supervision
from planner.rules.tiers import TiersRule
from planner.rules.ward_limits import WardLimits

REGISTRY: tuple[Rule, ...] = (
    WardLimits(),
    TiersRule(),
    OverridesRule(),
    Headcount(),
    Supervision(),
    Budget(),
    Stability(),
    BoroughDamping(),
    BoroughShare(),
    BoroughCaps(),
    MinEffective(),
    Fairness(),
)
"""Every rule, in the order their rows are stacked and their checks reported."""


def rule(key: RuleKey | str) -> Rule:
    """The registered rule with key ``key``."""
    for r in REGISTRY:
        if r.key == key:
            return r
    raise KeyError(f"no rule {key!r}")


def _tighten(current: np.ndarray, new: np.ndarray | None, pick: Any) -> np.ndarray:
    return current if new is None else pick(current, np.asarray(new, dtype=np.int64))


def build_problem(ctx: BuildContext) -> AllocationProblem:
    """Assemble the problem of ``ctx``: the objective's coefficients, then each rule's fields and bounds.

    Ward counts start within ``[0, headcount]`` and supervisors within
    ``[0, headcount]`` per borough; every rule's bounds tighten them.
    """
    wards, scenario, wf = ctx.wards, ctx.scenario, ctx.workforce
    n, nb = ctx.n_wards, ctx.n_boroughs
    hc = wf.headcount
    lo_x, hi_x = np.zeros(n, np.int64), np.full(n, hc[CONSTABLE], np.int64)
    lo_p, hi_p = np.zeros(n, np.int64), np.full(n, hc[PCSO], np.int64)
    lo_s, hi_s = np.zeros(nb, np.int64), np.full(nb, hc[SERGEANT], np.int64)
    lo_i, hi_i = np.zeros(nb, np.int64), np.full(nb, hc[INSPECTOR], np.int64)
    fields: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for r in REGISTRY:
        built = r.build(ctx)
        if built is None:
            continue
        overlap = set(fields) & set(built.fields)
        if overlap:
            raise RuntimeError(f"rule {r.key.value} builds fields another rule owns: {sorted(overlap)}")
        fields.update(built.fields)
        if built.params is not None:
            params[r.key.value] = built.params
        wb, sb = built.ward, built.supervisors
        lo_x, hi_x = _tighten(lo_x, wb.lo_x, np.maximum), _tighten(hi_x, wb.hi_x, np.minimum)
        lo_p, hi_p = _tighten(lo_p, wb.lo_p, np.maximum), _tighten(hi_p, wb.hi_p, np.minimum)
        lo_s, hi_s = _tighten(lo_s, sb.lo_s, np.maximum), _tighten(hi_s, sb.hi_s, np.minimum)
        lo_i, hi_i = _tighten(lo_i, sb.lo_i, np.maximum), _tighten(hi_i, sb.hi_i, np.minimum)
    obj = scenario.objective
    fields.update(value_model(ctx))
    fields.setdefault("borough_heads_lo", np.zeros(nb, np.int64))
    fields.setdefault("borough_heads_hi", np.full(nb, INF_INT, np.int64))
    return AllocationProblem(
        need=wards.need.copy(),
        borough=wards.borough.copy(),
        n_boroughs=nb,
        lo_x=lo_x, hi_x=hi_x, lo_p=lo_p, hi_p=hi_p,
        eff_x=float(wf.availability[CONSTABLE]),
        eff_p=float(obj.pcso_effectiveness * wf.availability[PCSO]),
        kappa=float(obj.saturation),
        cost=wf.annual_cost.copy(),
        cost_weight=float(obj.cost_weight) / 1e6,
        min_sergeants=lo_s, max_sergeants=hi_s, min_inspectors=lo_i, max_inspectors=hi_i,
        params=params,
        ward_codes=np.asarray(wards.codes),
        borough_names=np.asarray(wards.borough_names),
        **fields,
    )  # fmt: skip


def value_model(ctx: BuildContext) -> dict[str, Any]:
    """The fields of a ward's value that depend on the PCSO model (``objective.pcso_model``).

    Own role: ``need_p = pcso_effectiveness * (mean constable need) * need_pcso``, so that in a ward of
    average need the PCSOs' value at ``n`` PCSOs is ``pcso_effectiveness`` times the constables' value at
    ``n`` constables (with equal availability and saturation): the assumption's meaning is the same as in
    the substitution model, and ``planner cost`` shows how conclusions move with it.
    """
    obj, wf, wards = ctx.scenario.objective, ctx.workforce, ctx.wards
    if obj.pcso_model != "own_role" or wards.need_pcso is None:
        return {}
    scale = obj.pcso_effectiveness * float(np.mean(wards.need))
    return {
        "need_p": scale * np.asarray(wards.need_pcso, dtype=float),
        "eff_pp": float(wf.availability[PCSO]),
        "kappa_p": float(obj.pcso_saturation or obj.saturation),
    }


def checks(prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
    """Every rule recomputed on ``plan``, one :class:`RuleCheck` per named check."""
    return [c for r in REGISTRY for c in r.check(prob, plan)]


def check_plan(prob: AllocationProblem, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> dict[str, bool]:
    """Every rule of ``prob`` checked on a plan, by name: True where it holds."""
    return {c.name: c.ok for c in checks(prob, Deployment(x, p, s, i))}


def conflicts(prob: AllocationProblem) -> list[str]:
    """Every simple conflict between rules, each a sentence with numbers (empty if none is found).

    Each check compares what a small set of rules needs at the least with what
    is available ("ward floors need 1,358 constables but only 1,200 are
    available"); cheap arithmetic, run before any solver.
    """
    return [reason for r in REGISTRY for reason in r.conflicts(prob)]


def binding(prob: AllocationProblem, plan: Deployment) -> dict[str, list[str]]:
    """Per rule (plain title), the sentences saying where it limits ``plan``."""
    out: dict[str, list[str]] = {}
    for r in REGISTRY:
        said = r.binding(prob, plan)
        if said:
            out[r.title] = said
    return out


def describe_rows(prob: AllocationProblem, names: Sequence[str], proven: bool = True) -> str:
    """Name rows the LP found in conflict (by their rules' plain titles), for when no simple check explains it.

    ``proven``: whether the solver proved that no plan keeps them together; if not, the words say
    only that none was found (the rules' continuous relaxation may still have one).
    """
    from planner.rules.rows import rows_of

    rows = rows_of(prob)
    named = []
    for row in names:
        k = rows.index(row)
        if k is None:
            named.append(row)
            continue
        block = rows.blocks[int(rows.block_of[k])]
        named.append(rule(block.key).row_title(block.name))
    listed = ", ".join(sorted(set(named)))
    if proven:
        return "these rules cannot all hold together: " + listed
    return (
        "no plan was found that keeps these rules together, though none was proved impossible (a looser "
        f"setting or a longer time limit may find one): {listed}"
    )
