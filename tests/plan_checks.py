"""Recompute every rule of a scenario from a plan's written outputs, independently of the solver.

Used by the CLI and London tests: reads allocation.csv, boroughs.csv and
summary.json and checks floors, caps, headcount, spans, budget and costs with
plain pandas arithmetic (no solver code).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from planner.finance.costing import unit_costs
from planner.scenario import Scenario


class Recomputed(TypedDict):
    """What :func:`recompute` read: the two tables and summary.json."""

    wards: pd.DataFrame
    boroughs: pd.DataFrame
    summary: dict[str, Any]


def recompute(out: Path, scenario: Scenario) -> Recomputed:
    wards = pd.read_csv(out / "allocation.csv", dtype={"ward_code": str})
    boroughs = pd.read_csv(out / "boroughs.csv")
    summary = json.loads((out / "summary.json").read_text())
    wf, rules = scenario.workforce, scenario.rules
    assert list(wards.columns) == [
        "ward_code", "ward_name", "borough", "bcu", "demand", "harm", "population", "need", "constables",
        "ward_officers", "hotspot_constables", "pcsos", "override", "override_reason",
    ]  # fmt: skip
    assert list(boroughs.columns) == [
        "borough", "bcu", "constables", "flexible_constables", "pcsos", "sergeants", "inspectors", "sergeant_span",
        "inspector_span", "cost",
    ]  # fmt: skip
    assert wards["ward_code"].is_unique
    # ward floors and caps
    assert (wards["constables"] >= rules.ward_floor.constable).all()
    assert (wards["pcsos"] >= rules.ward_floor.pcso).all()
    if rules.ward_cap.constable is not None:
        assert (wards["constables"] <= rules.ward_cap.constable).all()
    if rules.ward_cap.pcso is not None:
        assert (wards["pcsos"] <= rules.ward_cap.pcso).all()
    # borough table agrees with the ward table
    per = wards.groupby("borough")[["constables", "pcsos", "hotspot_constables"]].sum()
    b = boroughs.set_index("borough")
    assert (per["constables"] == b.loc[per.index, "constables"]).all()
    assert (per["pcsos"] == b.loc[per.index, "pcsos"]).all()
    # the two tiers: ward officers within the ceiling, the rest from the borough's hotspot teams
    assert (wards["ward_officers"] + wards["hotspot_constables"] == wards["constables"]).all()
    assert (per["hotspot_constables"] == b.loc[per.index, "flexible_constables"]).all()
    tiers = rules.tiers
    if tiers.ward_officer_ceiling is None:
        assert (wards["hotspot_constables"] == 0).all()
    else:
        ceiling = tiers.ward_officer_ceiling
        assert (wards["ward_officers"] == wards["constables"].clip(upper=ceiling)).all()
        assert (wards["hotspot_constables"] <= tiers.hotspot_per_ward).all()
        teams = pd.read_csv(out / "hotspot_teams.csv")
        by_borough = teams.groupby("borough")[["constables", "sergeants", "inspectors"]].sum()
        flexible = b.loc[b["flexible_constables"] > 0, "flexible_constables"]
        assert (by_borough.loc[flexible.index, "constables"] == flexible).all()
        assert (by_borough["sergeants"] <= b.loc[by_borough.index, "sergeants"]).all()
        assert (by_borough["inspectors"] <= b.loc[by_borough.index, "inspectors"]).all()
        for _, team in teams.iterrows():
            served = team["wards"].split(";")
            assert wards.set_index("ward_code").loc[served, "hotspot_constables"].sum() == team["constables"]
        assert summary["tiers"]["hotspot_constables"] == int(wards["hotspot_constables"].sum())
    if tiers.ward_pcso_ceiling is not None:
        assert (wards["pcsos"] <= tiers.ward_pcso_ceiling).all()
    # headcount by rank
    totals = {
        "constable": int(wards["constables"].sum()),
        "pcso": int(wards["pcsos"].sum()),
        "sergeant": int(b["sergeants"].sum()),
        "inspector": int(b["inspectors"].sum()),
    }
    for rank, total in totals.items():
        assert total <= wf.rank(rank).headcount, (rank, total)
        assert summary["totals"][rank] == total
    # spans of control per borough
    sup = rules.supervision
    heads = b["constables"] + b["pcsos"]
    span_s = pd.Series(float(sup.sergeant_span), index=b.index)
    span_i = pd.Series(float(sup.inspector_span), index=b.index)
    for key, area in sup.per_bcu.items():  # BCU entries; a borough-code entry is checked by the columns below
        hit = b["bcu"] == key
        if area.sergeant_span is not None:
            span_s[hit] = area.sergeant_span
        if area.inspector_span is not None:
            span_i[hit] = area.inspector_span
    by_code = any(not (b["bcu"] == key).any() for key in sup.per_bcu)
    if not by_code:
        assert (b["sergeant_span"] == span_s).all() and (b["inspector_span"] == span_i).all()
    assert (heads <= b["sergeant_span"] * b["sergeants"] + 1e-9).all()
    assert (b["sergeants"] <= b["inspector_span"] * b["inspectors"] + 1e-9).all()
    assert (b["sergeants"] >= sup.min_sergeants_per_borough).all()
    assert (b["inspectors"] >= sup.min_inspectors_per_borough).all()
    # cost, to the pound, on the scenario's cost basis (the finance pay model when finance.pay is set)
    rate = unit_costs(scenario)
    cost = {r: totals[r] * rate[r] for r in totals}
    row_cost = (
        b["constables"] * rate["constable"] + b["pcsos"] * rate["pcso"]
        + b["sergeants"] * rate["sergeant"] + b["inspectors"] * rate["inspector"]
    )  # fmt: skip
    assert (row_cost.round(2) == b["cost"].round(2)).all()
    assert math.isclose(summary["cost_annual"], sum(cost.values()), abs_tol=0.5)
    assert math.isclose(b["cost"].sum(), summary["cost_annual"], abs_tol=0.5)
    # everyone in post is paid: those not deployed too
    if "cost_in_post_annual" in summary:
        idle = {r: wf.rank(r).headcount - totals[r] for r in totals}
        assert summary["not_deployed"] == idle
        in_post = sum(wf.rank(r).headcount * rate[r] for r in totals)
        assert math.isclose(summary["cost_in_post_annual"], in_post, abs_tol=0.5)
        assert math.isclose(summary["cost"]["not_deployed_annual"], sum(idle[r] * rate[r] for r in idle), abs_tol=0.5)
    if rules.budget is not None:
        assert summary["cost_annual"] <= rules.budget + 0.5
    # the certificate
    assert summary["bound"] >= summary["objective"] - 1e-9
    gap = max(0.0, summary["bound"] - summary["objective"]) / max(abs(summary["bound"]), 1.0)
    assert math.isclose(summary["gap"], gap, rel_tol=1e-9, abs_tol=1e-15)
    assert all(summary["checks"].values())
    return {"wards": wards, "boroughs": boroughs, "summary": summary}
