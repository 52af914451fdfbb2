"""Explain page: why there is no plan (when the rules conflict), and why a ward got what it got."""

from __future__ import annotations

import streamlit as st

from planner.app import state, view
from planner.app.area import ward_mask
from planner.app.wardinfo import explain_ward

ss = st.session_state


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Explain", "Why there is no plan when the rules conflict, and why a ward got what it got.")
    if s.failure is not None:
        view.failure_box(s.failure)
        st.markdown(
            "The reasons above come from the engine's own checks: each compares what a few rules need at the least "
            "with what is available. Change one of the rules named (sidebar), or the headcount, and the plan is solved "
            "again."
        )
    entry = s.current
    if entry is None:
        st.stop()
    plan = entry.plan
    wards = plan.wards
    area = view.area_picker(wards)
    inside = ward_mask(wards, area)
    codes = [str(c) for c in wards.codes]
    labels = {c: f"{wards.names[i]} ({wards.borough_names[wards.borough[i]]})" for i, c in enumerate(codes)}
    mine = [c for i, c in enumerate(codes) if inside[i]]
    if s.selected_ward not in labels:
        s.selected_ward = max(mine, key=lambda c: wards.need[codes.index(c)])
    order = sorted({*mine, s.selected_ward}, key=lambda c: labels[c])
    ss.e_ward = s.selected_ward

    def _picked() -> None:
        s.selected_ward = ss.e_ward

    st.selectbox("Ward", order, key="e_ward", format_func=lambda c: labels[c], on_change=_picked)
    refs = state.references(entry)
    ref = refs.get(s.reference or "") if s.reference else None
    story = explain_ward(plan, s.selected_ward, ref, state.context(plan.scenario, entry.inputs))
    st.markdown(f"#### {story.name}")
    st.caption(f"{story.code} · {story.borough}" + (f" · {story.bcu}" if story.bcu else ""))
    left, right = st.columns([2, 1])
    with left:
        for sentence in story.sentences[:-1]:
            st.markdown(f"- {sentence}")
        st.caption(story.sentences[-1])
    with right:
        view.facts(story.facts)
