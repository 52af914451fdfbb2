"""Equity page: who the plan serves, by deprivation and ethnicity, and public confidence, on a map and in tables."""

from __future__ import annotations

import streamlit as st

from planner.app import routes, state, view
from planner.app.area import ward_mask
from planner.app.equity import data_notes, equity_layers, equity_view, group_table, groupings
from planner.app.layers import hover
from planner.textsafe import markdown_text

ss = st.session_state

PURPOSE = (
    "Who the plan serves: officers per resident and per unit of need in the most and least deprived wards, and by "
    "the ethnic make-up of wards; and where public confidence in the police is low."
)


def render() -> None:
    """Draw the page."""
    view.header("Equity: who the plan serves", PURPOSE)
    entry = view.current_entry()
    plan = entry.plan
    area = view.area_picker(plan.wards)
    view.stale_note()
    for note in data_notes(plan.wards):
        st.info(markdown_text(note), icon=":material/info:")
    ctx = state.context(plan.scenario, entry.inputs)

    layers = equity_layers(plan.wards)
    if layers:
        keys = list(layers)
        if ss.get("e_layer") not in keys:
            ss.e_layer = keys[0]
        key = st.selectbox("Colour wards by", keys, format_func=lambda k: layers[k].label, key="e_layer")
        inside = ward_mask(plan.wards, area)
        lv = equity_view(layers[key], None if area.is_all else inside)
        left, right = st.columns([3.2, 1.3])
        with left:
            view.draw_map(
                state.cached_base_map(entry.inputs), lv, hover(plan.wards, plan, None, ctx), area=area,
                selected=None, key="emap", options={"boroughs": True, "bcus": True}, wards=plan.wards,
            )  # fmt: skip
        with right:
            view.legend(lv)

    groups = groupings(plan)
    if groups:
        st.markdown("#### Officers by group of wards (all wards)")
        names = list(groups)
        if ss.get("e_grouping") not in names:
            ss.e_grouping = names[0]
        grouping = st.selectbox(
            "Group wards by", names, format_func=lambda k: groups[k][:1].upper() + groups[k][1:], key="e_grouping"
        )
        st.dataframe(group_table(plan, grouping, ctx.months, ctx.harm_unit), hide_index=True, width="stretch")
        st.caption(
            "Officers are constables + PCSOs (head count); each ward is in one group, so the rows add up to all "
            "wards. An index of 0.90 means a tenth fewer officers per unit than all wards together."
        )
    routes.link("priorities", "Set a ward's community priorities and see what moves", icon=":material/tune:")
