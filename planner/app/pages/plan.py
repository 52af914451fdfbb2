"""Plan page: the deployment by borough and by ward, the rule checks and what the engine noted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.app import state, view
from planner.app.area import borough_mask, ward_mask
from planner.app.tiers import has_tiers, team_table, tier_note
from planner.report.result import Plan
from planner.rules.overrides import override_summary
from planner.rules.words import rule_words
from planner.textsafe import markdown_text


def render() -> None:
    """Draw the page."""
    view.header("The plan in tables", "Every borough and ward of your area, and every rule checked again.")
    entry = view.current_entry()
    plan = entry.plan
    area = view.area_picker(plan.wards)
    view.metrics_row(entry, area)
    view.stale_note()

    st.markdown("#### By borough")
    boroughs = plan.borough_table()[borough_mask(plan.wards, area)].drop(columns=["borough_code"])
    boroughs["cost"] = boroughs["cost"] / 1e6
    tiers = has_tiers(plan)
    if not tiers:
        boroughs = boroughs.drop(columns=["flexible_constables"])
    else:
        st.caption(tier_note(plan))
    bcu_filter: list[str] = []
    if area.is_all:
        bcu_filter = st.multiselect("Basic Command Units", sorted(boroughs["bcu"].unique()), placeholder="All BCUs")
    shown = boroughs[boroughs["bcu"].isin(bcu_filter)] if bcu_filter else boroughs
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "borough": "Borough",
            "bcu": "BCU",
            "constables": st.column_config.NumberColumn("Constables", format="%d"),
            "flexible_constables": st.column_config.NumberColumn("of which in hotspot teams", format="%d"),
            "pcsos": st.column_config.NumberColumn("PCSOs", format="%d"),
            "sergeants": st.column_config.NumberColumn("Sergeants", format="%d"),
            "inspectors": st.column_config.NumberColumn("Inspectors", format="%d"),
            "cost": st.column_config.NumberColumn("Pay cost, £m a year", format="%.1f"),
            "need": st.column_config.NumberColumn("Need (sum over wards)", format="%.1f"),
        },
    )

    if tiers:
        st.markdown("#### Hotspot teams")
        teams = team_table(plan, area)
        if teams.empty:
            st.caption("No hotspot team works in this area: every constable here is a ward officer.")
        else:
            st.dataframe(teams, hide_index=True, width="stretch")

    st.markdown("#### By ward")
    wards = plan.ward_table()[ward_mask(plan.wards, area)]
    if not tiers:
        wards = wards.drop(columns=["ward_officers", "hotspot_constables"])
    if bcu_filter:
        wards = wards[wards["bcu"].isin(bcu_filter)]
    query = st.text_input("Find a ward or borough", placeholder="type part of a name")
    if query:
        q = query.strip().lower()
        wards = wards[
            wards["ward_name"].str.lower().str.contains(q, regex=False)
            | wards["borough"].str.lower().str.contains(q, regex=False)
        ]
    ctx = state.context(plan.scenario, entry.inputs)
    per_year = 12.0 / max(ctx.months, 1)
    wards = wards.assign(demand=wards["demand"] * per_year, harm=wards["harm"] * per_year)
    st.dataframe(
        wards,
        hide_index=True,
        width="stretch",
        column_config={
            "ward_code": "Code",
            "ward_name": "Ward",
            "borough": "Borough",
            "bcu": "BCU",
            "demand": st.column_config.NumberColumn("Offences a year", format="%.0f"),
            "harm": st.column_config.NumberColumn(f"Harm ({ctx.harm_unit}) a year", format="%.0f"),
            "population": st.column_config.NumberColumn("Residents", format="%.0f"),
            "need": st.column_config.NumberColumn("Need", format="%.2f"),
            "constables": st.column_config.NumberColumn("Constables", format="%d"),
            "ward_officers": st.column_config.NumberColumn("Ward officers (ring-fenced constables)", format="%d"),
            "hotspot_constables": st.column_config.NumberColumn("Hotspot-team constables", format="%d"),
            "pcsos": st.column_config.NumberColumn("PCSOs", format="%d"),
            "override": "Override",
            "override_reason": "Reason for the override",
            "effective_officers": st.column_config.NumberColumn("Effective officers", format="%.2f"),
            "need_per_officer": st.column_config.NumberColumn("Need per effective officer", format="%.3f"),
        },
    )

    _overrides(plan, wards["ward_code"])

    c1, c2 = st.columns(2)
    with c1:
        st.markdown("#### Every rule, checked again from the plan")
        checks = plan.check()
        st.dataframe(
            [{"Rule": rule_words(k), "Holds": "yes" if v else "NO"} for k, v in checks.items()],
            hide_index=True,
            width="stretch",
        )
    with c2:
        st.markdown("#### Notes from the data and the solver")
        for note in plan.notes:
            st.markdown(f"- {markdown_text(note)}")
        st.caption(f"Method: {plan.method}. Seed {plan.seed}. Input hash {plan.input_hash[:16]}…")
        if plan.log:
            with st.expander("Solver log"):
                st.code("\n".join(plan.log))


def _overrides(plan: Plan, shown: pd.Series) -> None:
    """Every override of the wards shown, with its reason and what the plan gives there."""
    if plan.wards.overrides is None:
        return
    block = override_summary(plan.problem, plan.wards.overrides, plan.deployment)
    codes = set(shown)
    rows = [item for item in block["wards"] if item["ward_code"] in codes]  # type: ignore[attr-defined]
    st.markdown("#### Overrides")
    st.caption(f"From {block['file']}: {block['count']} ward(s) overridden in all; those in your area below.")
    if not rows:
        st.markdown("No ward shown has an override.")
        return
    st.dataframe(
        [
            {
                "Ward": r["ward_name"],
                "Override": r["override"],
                "Own crime left out of need": "yes" if r["exclude_need"] else "no",
                "Reason": r["reason"],
                "Constables in the plan": r["constables"],
                "PCSOs in the plan": r["pcsos"],
                "Kept": "yes" if r["held"] else "NO",
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )
