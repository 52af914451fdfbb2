"""Explain page: why there is no plan (when the rules conflict), and why a ward got what it got."""

from __future__ import annotations

import streamlit as st

from app_pages import state, view
from planner.appsupport.wardinfo import explain_ward
from planner.textsafe import markdown_text

ss = st.session_state
s = state.session()
view.header("Explain")
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
codes = [str(c) for c in wards.codes]
labels = {c: f"{wards.names[i]} ({wards.borough_names[wards.borough[i]]})" for i, c in enumerate(codes)}
order = sorted(codes, key=lambda c: labels[c])
if s.selected_ward not in labels:
    s.selected_ward = max(codes, key=lambda c: wards.need[codes.index(c)])
ss.e_ward = s.selected_ward


def _picked() -> None:
    s.selected_ward = ss.e_ward


st.selectbox("Ward", order, key="e_ward", format_func=lambda c: labels[c], on_change=_picked)
refs = state.references(entry)
ref = refs.get(s.reference or "") if s.reference else None
story = explain_ward(plan, s.selected_ward, ref, state.context(plan.scenario, entry.inputs))
st.markdown(f"#### {markdown_text(story.name)}")
st.caption(markdown_text(f"{story.code} · {story.borough}" + (f" · {story.bcu}" if story.bcu else "")))
left, right = st.columns([2, 1])
with left:
    for sentence in story.sentences[:-1]:
        st.markdown(f"- {markdown_text(sentence)}")
    st.caption(markdown_text(story.sentences[-1]))
with right:
    view.facts(story.facts)
