"""From today page: what the plan changes from today's deployment, ward by ward (moved, added, removed per rank)."""

from __future__ import annotations

import streamlit as st

from planner.app import state, view
from planner.app.area import borough_mask, ward_mask
from planner.app.layers import PlanView, hover
from planner.app.today import MEASURES, rank_table, sentence, today_layer, today_of, ward_table
from planner.textsafe import markdown_text

ss = st.session_state
RANKS = {"both": "Constables + PCSOs", "constables": "Constables", "pcsos": "PCSOs"}

PURPOSE = (
    "What the plan changes from today, ward by ward: who **moves** from one ward to another, which new posts are "
    "filled (**added**, never a move) and which are left vacant (**removed**)."
)


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("What changes from today", PURPOSE)
    entry = view.current_entry()
    plan = entry.plan
    filed = s.kept.get(s.reference or "")
    today = today_of(plan, filed.plan if filed is not None else None)
    area = view.area_picker(plan.wards)
    view.stale_note()
    if today is None:
        st.info(
            "This scenario gives no current deployment (today's people per ward), and the plan of the "
            "scenario as filed is the one shown, so nothing changes yet. Change a figure in the sidebar to see what "
            "it changes, or start from a scenario that plans from today."
        )
        st.stop()
    if not today.own:
        st.caption(
            "This scenario gives no current deployment of its own (today's people per ward), so change is counted "
            "from the plan of the scenario as filed. Give a current deployment (a CSV of people per ward, or "
            "another scenario's plan) to count from today."
        )
    inside = ward_mask(plan.wards, area)
    binside = borough_mask(plan.wards, area)
    where = "" if area.is_all else f" in {markdown_text(area.name)}"
    st.markdown(sentence(today, inside, where))
    st.dataframe(rank_table(today, inside, binside), hide_index=True, width="stretch")
    st.caption(
        "Per ward: today + moved in + added - moved out - removed = the plan. Sergeants and inspectors are counted "
        "per borough, and only when today's deployment gives them."
    )

    c1, c2 = st.columns(2)
    rank = c1.selectbox("Rank", list(RANKS), format_func=RANKS.__getitem__, key="t_rank")
    measure = c2.selectbox("Colour wards by", list(MEASURES), format_func=MEASURES.__getitem__, key="t_measure")
    lv = today_layer(today, rank, measure, None if area.is_all else inside)
    ctx = state.context(plan.scenario, entry.inputs)
    before = PlanView("today", today.changes.constables.before, today.changes.pcsos.before)
    left, right = st.columns([3.2, 1.3])
    with left:
        view.draw_map(
            state.cached_base_map(entry.inputs), lv, hover(plan.wards, plan, before, ctx), area=area,
            selected=None, key="tmap", options={"boroughs": True, "bcus": True}, wards=plan.wards,
        )  # fmt: skip
    with right:
        view.legend(lv)

    st.markdown(f"#### Wards that change{where}")
    table = ward_table(today, plan, inside)
    if table.empty:
        st.caption("No ward changes.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
