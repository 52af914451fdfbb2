"""The sidebar: starting scenario, the figures a commander can change, and solving."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from planner.app import state
from planner.app.controls import (
    UPLIFT_PCSOS,
    Settings,
    apply_settings,
    harm_schemes,
    plan_label,
    settings_of,
    supervisors_needed,
)
from planner.errors import PlannerError
from planner.report.plain import certificate, status_words
from planner.scenario import Scenario

ss = st.session_state


@dataclass
class Choice:
    """What the sidebar asks to solve."""

    base: Scenario | None
    scenario: Scenario | None
    scenario_dir: str | None
    label: str
    unchanged: bool
    problems: list[str]
    solve_now: bool
    status_box: Any = None


def _load_widgets(scenario: Scenario) -> None:
    """Set every control to the figures of ``scenario``."""
    s = settings_of(scenario)
    for rank in ("constable", "pcso", "sergeant", "inspector"):
        ss[f"w_{rank}"] = s.headcount(rank)
    ss.w_floor_constable = s.floor_constable
    ss.w_floor_pcso = s.floor_pcso
    ss.w_sergeant_span = float(s.sergeant_span)
    ss.w_inspector_span = float(s.inspector_span)
    ss.w_budget_on = s.budget_m is not None
    ss.w_budget = float(round(s.budget_m if s.budget_m is not None else 400.0, 1))
    ss.w_demand, ss.w_harm, ss.w_population = s.w_demand, s.w_harm, s.w_population
    schemes = harm_schemes(scenario)
    ss.w_harm_scheme = schemes[s.harm_scheme][0] if s.harm_scheme in schemes else next(iter(schemes.values()))[0]
    ss.w_demand_weighted = s.demand_weighted
    ss.w_stability = s.max_total_moves is not None or s.max_change_per_ward is not None
    ss.w_moves = s.max_total_moves
    ss.w_per_ward = s.max_change_per_ward
    ss.w_loaded = state.session().start


def _on_start_change() -> None:
    opts = state.start_options()
    key = opts.get(ss.w_start)
    if key is None:
        return
    state.session().start = key
    try:
        sc, _ = state.start_scenario(key)
    except PlannerError:
        return
    _load_widgets(sc)


def _reset() -> None:
    try:
        sc, _ = state.start_scenario(state.session().start)
    except PlannerError:
        return
    _load_widgets(sc)


def _uplift() -> None:
    ss.w_pcso = int(ss.w_pcso) + UPLIFT_PCSOS


def _match_supervisors(n_boroughs: int) -> None:
    s = _read_settings()
    ss.w_sergeant, ss.w_inspector = supervisors_needed(s, n_boroughs)


def _read_settings() -> Settings:
    return Settings(
        constable=int(ss.w_constable),
        pcso=int(ss.w_pcso),
        sergeant=int(ss.w_sergeant),
        inspector=int(ss.w_inspector),
        floor_constable=int(ss.w_floor_constable),
        floor_pcso=int(ss.w_floor_pcso),
        sergeant_span=float(ss.w_sergeant_span),
        inspector_span=float(ss.w_inspector_span),
        budget_m=float(ss.w_budget) if ss.w_budget_on else None,
        w_demand=float(ss.w_demand),
        w_harm=float(ss.w_harm),
        w_population=float(ss.w_population),
        harm_scheme=ss.get("w_harm_key", "scenario"),
        demand_weighted=bool(ss.w_demand_weighted),
        max_total_moves=None if not ss.w_stability or ss.w_moves is None else int(ss.w_moves),
        max_change_per_ward=None if not ss.w_stability or ss.w_per_ward is None else int(ss.w_per_ward),
    )


def _start_picker() -> tuple[Scenario | None, str | None, list[str]]:
    s = state.session()
    opts = state.start_options()
    keys = list(opts.values())
    if s.start not in keys:
        s.start = keys[0]
    label_of = {v: k for k, v in opts.items()}
    if opts.get(ss.get("w_start", "")) != s.start:
        ss.w_start = label_of[s.start]
    st.selectbox(
        "Start from scenario",
        list(opts),
        key="w_start",
        on_change=_on_start_change,
        help="Scenario files in scenarios/ (sweeps excluded) and scenarios made in this session (Data page).",
    )
    try:
        base, scenario_dir = state.start_scenario(s.start)
    except PlannerError as exc:
        return None, None, [str(exc)]
    if ss.get("w_loaded") != s.start:
        _load_widgets(base)
    if base.description:
        st.caption(base.description.strip())
    return base, scenario_dir, []


def _workforce(base: Scenario) -> None:
    with st.expander("Workforce (headcount available)", expanded=True):
        c1, c2 = st.columns(2)
        c1.number_input("Constables", min_value=0, step=50, key="w_constable")
        c2.number_input("PCSOs", min_value=0, step=50, key="w_pcso")
        c1.number_input("Sergeants", min_value=0, step=10, key="w_sergeant")
        c2.number_input("Inspectors", min_value=0, step=5, key="w_inspector")
        st.button(
            f"+{UPLIFT_PCSOS:,} PCSOs (Turnaround Plan uplift)",
            on_click=_uplift,
            key="w_uplift",
            help="The Turnaround Plan uplift: adds 1,600 PCSOs to the headcount above.",
            width="stretch",
        )
        entry = state.session().current
        nb = entry.plan.wards.n_boroughs if entry else 32
        st.button(
            "Sergeants and inspectors to match",
            on_click=_match_supervisors,
            key="w_match",
            args=(nb,),
            help="Set sergeants and inspectors to enough to supervise every constable and PCSO at the spans below.",
            width="stretch",
        )


def _rules(base: Scenario) -> None:
    with st.expander("Rules: ward floors, spans, budget", expanded=False):
        st.slider("Constables per ward, at least", 0, 8, key="w_floor_constable")
        st.slider("PCSOs per ward, at least", 0, 6, key="w_floor_pcso")
        st.slider("Sergeant span (constables + PCSOs per sergeant)", 3.0, 16.0, step=0.5, key="w_sergeant_span")
        st.slider("Inspector span (sergeants per inspector)", 2.0, 12.0, step=0.5, key="w_inspector_span")
        st.checkbox("Annual pay budget", key="w_budget_on")
        st.number_input(
            "Budget, £ million a year",
            min_value=1.0,
            step=5.0,
            key="w_budget",
            disabled=not ss.w_budget_on,
            help="Pay of all four ranks (salary and on-costs).",
        )


def _need(base: Scenario) -> None:
    with st.expander("Need: weights and harm", expanded=False):
        st.slider("Demand (recorded crime)", 0.0, 1.0, step=0.05, key="w_demand")
        st.slider("Harm", 0.0, 1.0, step=0.05, key="w_harm")
        st.slider("Residents", 0.0, 1.0, step=0.05, key="w_population")
        schemes = harm_schemes(base)
        labels = [v[0] for v in schemes.values()]
        if ss.get("w_harm_scheme") not in labels:
            ss.w_harm_scheme = labels[0]
        st.selectbox(
            "Harm weighting",
            labels,
            key="w_harm_scheme",
            disabled=len(labels) == 1,
            help="How much each offence counts in harm. The demo city has only its own illustrative weights.",
        )
        ss.w_harm_key = next(k for k, v in schemes.items() if v[0] == ss.w_harm_scheme)
        st.checkbox(
            "Weight demand by harm (√ weight)",
            key="w_demand_weighted",
            help="Count each offence by the square root of its harm weight in demand.",
        )


def _stability(base: Scenario) -> None:
    has_own = base.data.current is not None
    ref = state.session().kept.get(state.session().reference or "")
    with st.expander("Stability: limit change", expanded=False):
        against = "the scenario's current deployment" if has_own else "the plan of the scenario as filed"
        st.checkbox(f"Limit change from {against}", key="w_stability", disabled=not has_own and ref is None)
        c1, c2 = st.columns(2)
        c1.number_input(
            "People moved, at most", min_value=0, step=10, key="w_moves", placeholder="no limit",
            disabled=not ss.w_stability,
        )  # fmt: skip
        c2.number_input(
            "Change per ward, at most", min_value=0, step=1, key="w_per_ward", placeholder="no limit",
            disabled=not ss.w_stability,
        )  # fmt: skip


def render() -> Choice:
    """Draw the sidebar; return the scenario it describes (validated) and whether to solve now."""
    with st.sidebar:
        base, scenario_dir, problems = _start_picker()
        if base is None:
            st.error("\n\n".join(problems))
            return Choice(None, None, None, "", False, problems, False)
        box = st.container()
        _workforce(base)
        _rules(base)
        _need(base)
        _stability(base)
        st.toggle("Solve on every change", value=True, key="w_auto")
        solve_now = st.button("Solve", type="primary", width="stretch", icon=":material/play_arrow:", key="w_solve")
        st.button("Reset to the file", on_click=_reset, width="stretch", key="w_reset")
    settings = _read_settings()
    schemes = harm_schemes(base)
    harm = schemes.get(settings.harm_scheme, next(iter(schemes.values())))
    try:
        baseline = None if base.data.current else state.baseline_path()
        scenario = apply_settings(base, settings, harm=harm[1], baseline=baseline)
    except PlannerError as exc:
        problems = list(getattr(exc, "problems", ()) or [str(exc)])
        return Choice(base, None, scenario_dir, "", False, problems, solve_now, box)
    label = plan_label(base, settings, harm[0])
    return Choice(base, scenario, scenario_dir, label, scenario is base, [], solve_now, box)


def start_name() -> str:
    """File name of the starting scenario."""
    key = state.session().start
    return key.removeprefix("session:") if key.startswith("session:") else Path(key).name


def _keep() -> None:
    """Keep the current plan under the name typed (or its own), then clear the name box."""
    s = state.session()
    if s.current is not None:
        state.keep(s.current, str(ss.get("w_keep_name") or "").strip() or None)
    ss.w_keep_name = ""


def status(choice: Choice) -> None:
    """Above the controls: the last solve's status and a button to keep the plan for comparison."""
    s = state.session()
    with choice.status_box if choice.status_box is not None else st.sidebar:
        if s.current is not None:
            p = s.current.plan
            st.success(
                f"**{status_words(p.status)}** · {certificate(p.status, p.gap)} · {s.current.seconds:.2f} s",
                icon=":material/check_circle:",
            )
            kept = any(e is s.current for e in s.kept.values())
            c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
            c1.text_input(
                "Name this plan",
                key="w_keep_name",
                placeholder="e.g. Uplift, spans 8",
                disabled=kept,
                help="The name it has on the Compare and Export pages (default: what changed).",
            )
            c2.button("Keep", disabled=kept, width="stretch", key="w_keep", help="Keep for comparison", on_click=_keep)
        elif s.failure is not None:
            what = "No plan: the rules conflict" if s.failure.kind == "infeasible" else "Cannot run"
            st.error(f"**{what}.** See the Explain page.", icon=":material/error:")
