"""Per-ward overrides: a planner's judgement on a ward's constables and PCSOs, with its reason.

Scenario key ``data.overrides`` (read by :mod:`planner.inputs.overrides`):
each row may set a minimum and a maximum of constables and of PCSOs for one
ward (a **lock** is a minimum equal to its maximum) and gives the reason.

The bounds are bounds on each ward's counts, like the ward floors and caps
(:mod:`planner.rules.ward_limits`): the solver never considers a choice outside
them, so the master LP, CP-SAT, the Lagrangian prices and the repair of plans
keep them with no rows of their own, and a locked ward gets exactly its numbers.
Overrides tighten the scenario's other ward limits, never loosen them: an
override that cannot hold with them (a minimum above the ward cap, above what a
ward may hold under ``rules.tiers``, or above the headcount; a maximum below the
ward floor) is an error naming the file's line, raised when the problem is built.

The check recomputes every override from the plan, ward by ward, and the
explanation names each ward held by its override, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import DataError, Problems
from planner.inputs.overrides import NONE, RANK_COLUMNS, WardOverrides
from planner.problem import INF_INT, AllocationProblem, Deployment
from planner.ranks import CONSTABLE, PCSO, RANK_LABELS, RANKS
from planner.rules.base import BuildContext, Built, Rule, RuleCheck, RuleKey, WardBounds

SHOWN = 5
"""Wards named in one sentence before "and N more"."""


@dataclass(frozen=True, eq=False)
class OverrideParams:
    """The overrides of a problem, per ward (:data:`~planner.inputs.overrides.NONE` where a bound is not set)."""

    lo_x: np.ndarray
    hi_x: np.ndarray
    lo_p: np.ndarray
    hi_p: np.ndarray
    has_row: np.ndarray
    exclude: np.ndarray
    """Wards whose own crime is left out of need (``exclude_need``)."""
    reason: np.ndarray
    names: np.ndarray
    line: np.ndarray
    """Line of each ward's row in the overrides file (0 without a row)."""
    source: str

    @property
    def wards(self) -> np.ndarray:
        """Indices of the wards with an override row."""
        return np.flatnonzero(self.has_row)


def override_params(prob: AllocationProblem) -> OverrideParams | None:
    """The overrides of ``prob`` (None: the scenario has none)."""
    found = prob.params.get(RuleKey.OVERRIDES.value)
    return found if isinstance(found, OverrideParams) else None


def params_from(overrides: WardOverrides, names: np.ndarray) -> OverrideParams:
    """:class:`OverrideParams` from the overrides read, with the wards' names for messages."""
    line = np.zeros(len(overrides.codes), dtype=np.int64)
    position = {c: k for k, c in enumerate(overrides.codes)}
    for code, at in zip(overrides.table["ward_code"], overrides.table["line"], strict=True):
        line[position[str(code)]] = int(at)
    return OverrideParams(
        lo_x=np.asarray(overrides.lo[RANKS[CONSTABLE]]),
        hi_x=np.asarray(overrides.hi[RANKS[CONSTABLE]]),
        lo_p=np.asarray(overrides.lo[RANKS[PCSO]]),
        hi_p=np.asarray(overrides.hi[RANKS[PCSO]]),
        has_row=overrides.has_row,
        exclude=np.asarray(overrides.exclude_need, dtype=bool),
        reason=np.asarray(overrides.reason, dtype=object),
        names=np.asarray(names, dtype=object),
        line=line,
        source=overrides.source,
    )


def describe(par: OverrideParams, w: int) -> str:
    """Ward ``w``'s override in plain words; "" without one.

    For example "locked at 6 constables; 1 to 3 PCSOs; own crime left out of need".
    """
    parts = []
    for rank, lo, hi in ((CONSTABLE, par.lo_x[w], par.hi_x[w]), (PCSO, par.lo_p[w], par.hi_p[w])):
        label = RANK_LABELS[RANKS[rank]]
        if lo != NONE and lo == hi:
            parts.append(f"locked at {lo} {label}")
        elif lo != NONE and hi != NONE:
            parts.append(f"{lo} to {hi} {label}")
        elif lo != NONE:
            parts.append(f"at least {lo} {label}")
        elif hi != NONE:
            parts.append(f"at most {hi} {label}")
    if par.exclude[w]:
        parts.append("own crime left out of need")
    return "; ".join(parts)


def ward_columns(prob: AllocationProblem, n_wards: int) -> tuple[np.ndarray, np.ndarray]:
    """Per ward, the override in plain words and its reason (both "" for wards without one)."""
    par = override_params(prob)
    what = np.full(n_wards, "", dtype=object)
    why = np.full(n_wards, "", dtype=object)
    if par is None:
        return what, why
    for w in par.wards:
        what[w] = describe(par, int(w))
        why[w] = par.reason[w]
    return what, why


def _bounds(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(lo == NONE, 0, lo).astype(np.int64), np.where(hi == NONE, INF_INT, hi).astype(np.int64)


def _conflicts(ctx: BuildContext, par: OverrideParams) -> Problems:
    """Every override that cannot hold with the scenario's other ward limits or the headcount, by line."""
    rules = ctx.scenario.rules
    hc = ctx.workforce.headcount
    tiers = rules.tiers
    found = Problems(par.source, DataError)
    x_most = [(int(hc[CONSTABLE]), "the constables in post (workforce.constable.headcount)")]
    if rules.ward_cap.constable is not None:
        x_most.append((rules.ward_cap.constable, "the ward cap (rules.ward_cap.constable)"))
    if tiers.ward_officer_ceiling is not None:
        x_most.append(
            (
                tiers.ward_officer_ceiling + tiers.hotspot_per_ward,
                f"what a ward may hold under rules.tiers ({tiers.ward_officer_ceiling} ward officers and "
                f"{tiers.hotspot_per_ward} from hotspot teams)",
            )
        )
    p_most = [(int(hc[PCSO]), "the PCSOs in post (workforce.pcso.headcount)")]
    if rules.ward_cap.pcso is not None:
        p_most.append((rules.ward_cap.pcso, "the ward cap (rules.ward_cap.pcso)"))
    if tiers.ward_pcso_ceiling is not None:
        p_most.append((tiers.ward_pcso_ceiling, "the ward PCSO ceiling (rules.tiers.ward_pcso_ceiling)"))
    ranks = (
        (CONSTABLE, par.lo_x, par.hi_x, x_most, rules.ward_floor.constable, "rules.ward_floor.constable"),
        (PCSO, par.lo_p, par.hi_p, p_most, rules.ward_floor.pcso, "rules.ward_floor.pcso"),
    )
    for rank, lo, hi, most, floor, floor_key in ranks:
        name = RANKS[rank]
        low_col, high_col = RANK_COLUMNS[name]
        for w in par.wards:
            where = f"line {par.line[w]} ({par.names[w]})"
            for limit, what in most:
                if lo[w] != NONE and lo[w] > limit:
                    found.add(f"{where}: {low_col} {lo[w]} is above {what}, {limit}")
            if hi[w] != NONE and hi[w] < floor:
                found.add(f"{where}: {high_col} {hi[w]} is below the ward floor ({floor_key}), {floor}")
        total = int(np.where(lo == NONE, 0, lo).sum())
        if total > hc[rank]:
            found.add(
                f"column {low_col!r}: the minimums add up to {total:,} {RANK_LABELS[name]}, more than the "
                f"{int(hc[rank]):,} in post (workforce.{name}.headcount)"
            )
    return found


class OverridesRule(Rule):
    """Each overridden ward's constables and PCSOs within its override (``data.overrides``)."""

    key = RuleKey.OVERRIDES
    title = "ward overrides"

    def build(self, ctx: BuildContext) -> Built | None:
        """The overrides' bounds on each ward (None without overrides); conflicting overrides are errors."""
        overrides = ctx.wards.overrides
        if overrides is None or not overrides.has_row.any():
            return None
        par = params_from(overrides, ctx.wards.names)
        _conflicts(ctx, par).raise_if_any()
        lo_x, hi_x = _bounds(par.lo_x, par.hi_x)
        lo_p, hi_p = _bounds(par.lo_p, par.hi_p)
        return Built(ward=WardBounds(lo_x=lo_x, hi_x=hi_x, lo_p=lo_p, hi_p=hi_p), params=par)

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every overridden ward within its override."""
        par = override_params(prob)
        if par is None:
            return []
        bad = [w for w in par.wards if _broken(par, plan, int(w))]
        detail = "; ".join(
            f"{par.names[w]} has {plan.x[w]} constables and {plan.p[w]} PCSOs, override {describe(par, int(w))}"
            for w in bad[:SHOWN]
        )
        if len(bad) > SHOWN:
            detail += f" and {len(bad) - SHOWN} more"
        return [RuleCheck("overrides", not bad, detail)]

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """The wards an override holds, with its reason."""
        par = override_params(prob)
        if par is None:
            return []
        out = []
        for w in par.wards:
            held = _held(par, plan, int(w))
            if held:
                out.append(f"{par.names[w]}: {', '.join(held)} by its override ({par.reason[w]})")
        return out


def _broken(par: OverrideParams, plan: Deployment, w: int) -> bool:
    for v, lo, hi in ((plan.x[w], par.lo_x[w], par.hi_x[w]), (plan.p[w], par.lo_p[w], par.hi_p[w])):
        if (lo != NONE and v < lo) or (hi != NONE and v > hi):
            return True
    return False


def _held(par: OverrideParams, plan: Deployment, w: int) -> list[str]:
    """What of ward ``w``'s plan its override decides ("held at 6 constables")."""
    out = []
    for rank, v, lo, hi in (
        (CONSTABLE, plan.x[w], par.lo_x[w], par.hi_x[w]),
        (PCSO, plan.p[w], par.lo_p[w], par.hi_p[w]),
    ):
        label = RANK_LABELS[RANKS[rank]]
        if lo != NONE and lo == hi:
            out.append(f"locked at {v} {label}")
        elif lo != NONE and v <= lo:
            out.append(f"raised to its minimum of {lo} {label}")
        elif hi != NONE and v >= hi:
            out.append(f"held to its maximum of {hi} {label}")
    return out


def override_summary(prob: AllocationProblem, overrides: WardOverrides, plan: Deployment) -> dict[str, object]:
    """The ``overrides`` block of summary.json: the file, and every row with its reason and what the plan gives.

    Each row holds the bounds as read (``None`` when blank), ``exclude_need``, ``reason``, the file's ``line``,
    the plan's ``constables`` and ``pcsos`` in that ward, ``override`` (in plain words) and ``held`` (whether
    the plan keeps the override: recomputed here from the plan).
    """
    position = {str(c): k for k, c in enumerate(overrides.codes)}
    par = override_params(prob)
    rows = []
    for item in overrides.records():
        w = position[str(item["ward_code"])]
        x, p = int(plan.x[w]), int(plan.p[w])
        held = all(
            (item[low] is None or v >= int(item[low])) and (item[high] is None or v <= int(item[high]))  # type: ignore[call-overload]
            for v, (low, high) in zip((x, p), RANK_COLUMNS.values(), strict=True)
        )
        text = describe(par, w) if par is not None else ""
        rows.append({**item, "override": text, "constables": x, "pcsos": p, "held": held})
    return {"file": overrides.source, "count": len(rows), "wards": rows}
