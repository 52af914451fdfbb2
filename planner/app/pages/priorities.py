"""Priorities page: a commander sets a ward's community priorities, the plan is re-solved, and what moves is shown."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from planner.app import state, view
from planner.app.area import ward_mask
from planner.app.metrics import change_summary, gains_and_losses, ward_difference
from planner.app.pages.compare import ward_columns
from planner.app.priorities import (
    MAX_PER_WARD,
    check,
    priority_choices,
    scenario_table,
    set_ward,
    ward_effect,
    ward_rows,
    with_priorities,
    write_table,
)
from planner.errors import PlannerError
from planner.textsafe import markdown_text

ss = st.session_state

PURPOSE = (
    "A ward panel's priorities raise that ward's need for what it cares about: up to three per ward, each an offence "
    "group of the crime data or a theme, with a weight from 0.05 to 1. Need is then rescaled so the average ward "
    "stays at 1: priorities move officers between wards, they add none."
)


def _load_widgets(table: pd.DataFrame, ward: str) -> None:
    rows = ward_rows(table, ward)
    for k in range(MAX_PER_WARD):
        ss[f"pr_p{k}"] = rows[k][0] if k < len(rows) else ""
        ss[f"pr_w{k}"] = rows[k][1] if k < len(rows) else 0.5


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Community priorities", PURPOSE)
    entry = view.current_entry()
    plan = entry.plan
    if ss.get("pr_start") != s.start:  # another starting scenario (other wards, other priorities): start again
        s.priorities, ss.pr_start, ss.pr_result = None, s.start, None
    if s.priorities is None:
        try:
            s.priorities = scenario_table(plan.scenario, entry.scenario_dir, entry.data_dir)
        except PlannerError as exc:
            st.error("The scenario's priorities file cannot be read:\n\n" + "\n".join(
                f"- {markdown_text(p)}" for p in (getattr(exc, "problems", ()) or [str(exc)])))  # fmt: skip
            st.stop()
    area = view.area_picker(plan.wards)
    wards = plan.wards
    inside = ward_mask(wards, area)
    codes = [str(c) for c in wards.codes]
    order = sorted((i for i in range(len(codes)) if inside[i]), key=lambda i: (str(wards.names[i]), codes[i]))
    labels = {codes[i]: f"{wards.names[i]} ({wards.borough_names[wards.borough[i]]})" for i in order}
    if ss.get("pr_ward") not in labels:
        ss.pr_ward = next(iter(labels))
        _load_widgets(s.priorities, ss.pr_ward)
    ward = st.selectbox(
        "Ward", list(labels), format_func=labels.__getitem__, key="pr_ward",
        on_change=lambda: _load_widgets(s.priorities, ss.pr_ward),
    )  # fmt: skip
    choices = ["", *priority_choices(entry.inputs.geography.crime)]
    for k in range(MAX_PER_WARD):
        if ss.get(f"pr_p{k}") not in choices:
            ss[f"pr_p{k}"] = ""
        c1, c2 = st.columns([3, 1])
        c1.selectbox(
            f"Priority {k + 1}", choices, key=f"pr_p{k}",
            format_func=lambda c: c or "none", help="A theme, or an offence group or subgroup of the crime data.",
        )  # fmt: skip
        c2.number_input(f"Weight {k + 1}", min_value=0.0, max_value=1.0, step=0.05, key=f"pr_w{k}")
    apply = st.button("Apply and solve again", type="primary", key="pr_apply", icon=":material/play_arrow:")

    if apply:
        rows = [(str(ss[f"pr_p{k}"]), float(ss[f"pr_w{k}"])) for k in range(MAX_PER_WARD)]
        table = set_ward(s.priorities, ward, rows)
        try:
            effect = check(table, wards.codes, entry.inputs.geography.crime)
        except PlannerError as exc:
            problems = getattr(exc, "problems", ()) or [str(exc)]
            st.error("**These priorities cannot be used.**\n\n" + "\n".join(f"- {markdown_text(p)}" for p in problems))
            st.stop()
        digest = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()[:16]
        path = write_table(table, Path(s.workdir) / f"priorities-{digest}.csv")
        scenario = with_priorities(plan.scenario, path if len(table) else None)
        with st.spinner("Solving with the priorities…"):
            after, failure = state.solve_aside(scenario, entry.scenario_dir, f"{entry.label} + community priorities")
        s.priorities = table
        ss.pr_result = (plan.input_hash, ward, after, failure, float(effect.factor[codes.index(ward)]))

    st.markdown("#### Priorities set (all wards)")
    name_of = {c: str(wards.names[i]) for i, c in enumerate(codes)}
    shown = s.priorities.assign(ward=s.priorities["ward_code"].astype(str).map(name_of))[
        ["ward_code", "ward", "priority", "weight"]
    ].rename(columns={"ward_code": "Ward code", "ward": "Ward", "priority": "Priority", "weight": "Weight (0-1)"})
    if shown.empty:
        st.caption("No ward has priorities yet.")
    else:
        st.dataframe(shown, hide_index=True, width="stretch")

    result = ss.get("pr_result")
    if result is None or result[0] != plan.input_hash:
        return
    _, chosen, after, failure, factor = result
    if failure is not None or after is None:
        view.failure_box(failure)
        return
    _show_result(entry, after, chosen, factor, inside, area.name if not area.is_all else "")


def _show_result(
    entry: state.Entry, after: state.Entry, ward: str, factor: float, inside: np.ndarray, where: str
) -> None:
    """What moved between the plan without and with the priorities."""
    a, b = entry.plan, after.plan
    name = str(a.wards.names[list(a.wards.codes).index(ward)])
    st.markdown(f"#### What moves: {markdown_text(entry.label)} without and with these priorities")
    st.caption(
        f"{markdown_text(name)}: its priorities multiply its need by {factor:.2f} before all wards are rescaled "
        "to an average of 1."
    )
    st.dataframe(ward_effect(a, b, ward), hide_index=True, width="stretch")
    summary = change_summary(a, b)
    m = st.columns(2)
    m[0].metric("Constables moved between wards", f"{summary['constables_moved']:,}")
    m[1].metric("PCSOs moved between wards", f"{summary['pcsos_moved']:,}")
    st.dataframe(gains_and_losses(a, b, inside), hide_index=True, width="stretch")
    diff = ward_difference(a, b)
    codes = set(a.wards.codes[inside])
    changed = diff[(diff["constables_change"].ne(0) | diff["pcsos_change"].ne(0)) & diff["ward_code"].isin(codes)]
    st.markdown(f"**Wards that change{' in ' + markdown_text(where) if where else ''}**")
    headers = ward_columns("the current plan", "the plan with priorities")
    st.dataframe(changed, hide_index=True, width="stretch", column_config=headers)
    if st.button("Keep the plan with these priorities (for Compare and Export)", key="pr_keep"):
        label = state.keep(after, f"{entry.label} + community priorities")
        st.success(f"Kept as “{markdown_text(label)}”.")
