"""Map page (opens first): your area's figures beside a map of the wards, coloured by need, deployment or change."""

from __future__ import annotations

import numpy as np
import streamlit as st

from planner.app import routes, state, view
from planner.app.area import area_figures, ward_mask
from planner.app.layers import LAYERS, Context, PlanView, available_layers, change_note, hover, layer_view
from planner.app.tiers import has_tiers, with_tier_rows
from planner.app.wardinfo import explain_ward
from planner.inputs.data import WardData
from planner.report.result import Plan
from planner.textsafe import markdown_text

ss = st.session_state

PURPOSE = (
    "Where neighbourhood constables and PCSOs should go, ward by ward, and the sergeants and inspectors to lead them. "
    "**Start here:** choose your area, then change the headcount or a rule in the sidebar (» at the top left on a "
    "phone); the plan is solved again in about a second and every figure follows."
)


def render() -> None:
    """Draw the page."""
    s = state.session()
    entry = s.current
    inputs = entry.inputs if entry is not None else s.inputs
    view.header("Where should neighbourhood officers go?", PURPOSE)
    if inputs is None:
        view.failure_box(s.failure)
        st.info("Nothing to draw yet: fix the scenario (see above) or pick another in the sidebar.")
        st.stop()
    plan = entry.plan if entry is not None else None
    wards = plan.wards if plan is not None else inputs.wards
    scenario = plan.scenario if plan is not None else (s.failure.scenario if s.failure else None)
    ctx = state.context(scenario, inputs) if scenario is not None else Context()

    c0, c1, c2, c3 = st.columns([3, 3, 3, 1.4], vertical_alignment="bottom")
    area = view.area_picker(wards, container=c0)
    refs = state.references(entry)
    keys = available_layers(plan is not None, bool(refs), tiers=plan is not None and has_tiers(plan))
    if ss.get("m_layer") not in keys:
        ss.m_layer = "constables" if "constables" in keys else "need"
    layer = c1.selectbox("Colour wards by", keys, format_func=lambda k: LAYERS[k].label, key="m_layer")
    ref = None
    if LAYERS[layer].needs_reference:
        names = list(refs)
        if ss.get("m_ref") not in names:
            ss.m_ref = s.reference if s.reference in names else names[0]
        ref = refs[c2.selectbox("Change against", names, key="m_ref")]
    else:
        c2.caption(LAYERS[layer].help)
    with c3:
        options = view.map_options()

    phone = view.is_phone()
    headline = st.container()  # on a phone the headline figures go below the map, so the map is seen first
    view.stale_note()
    view.failure_box(s.failure)

    # A click selects a ward (outlined on the map). The street map (pydeck) is then drawn afresh (new key) so that
    # Streamlit's own selection styling, which fades every other ward, does not hide the colours.
    map_name = f"map{ss.get('m_nonce', 0)}"
    clicked = view.pending_pick(view.map_key(map_name, area.key))
    if clicked is not None:
        s.selected_ward = clicked
        if options.get("basemap", False):
            ss.m_nonce = ss.get("m_nonce", 0) + 1
            map_name = f"map{ss.m_nonce}"

    inside = ward_mask(wards, area)
    mask = inside if ss.get("m_fit", False) else None
    pool = state.comparable_plans(entry)
    lv = layer_view(layer, wards, plan, ref, ctx, mask=mask, pool=pool)
    tips = hover(wards, plan, ref, ctx)
    codes = [str(c) for c in wards.codes]
    index_of = {c: i for i, c in enumerate(codes)}
    if s.selected_ward not in index_of:
        s.selected_ward = None

    left, right = st.columns([3.2, 1.3])
    with left:
        base = state.cached_base_map(inputs)
        view.draw_map(
            base, lv, tips, area=area, selected=index_of.get(s.selected_ward or ""), key=map_name, options=options,
            wards=wards,
        )  # fmt: skip
        st.caption(
            "Hover a ward for its figures; click or tap it (or choose it under **Ward**) for its detail. "
            "Dimmed wards are outside your area."
        )
    if entry is not None:
        with st.container() if phone else headline:
            view.metrics_row(entry, area)
    with right:
        if plan is not None:
            today = view.today(entry) if entry is not None else None
            st.markdown(f"**{'All wards' if area.is_all else markdown_text(area.name)}**")
            figures = with_tier_rows(area_figures(plan, area, today, months=ctx.months, harm_unit=ctx.harm_unit),
                                     plan, area)  # fmt: skip
            view.figures_table(figures, against=today.label if today is not None else None)
        view.legend(lv)
        if ref is not None and plan is not None:
            st.caption(markdown_text(change_note(plan, ref, inside)))
        st.checkbox("Fit colours to your area", key="m_fit", disabled=area.is_all)
        _ward_picker(s, wards, codes, index_of, inside, plan, ref, ctx)


def _ward_picker(
    s: state.Session,
    wards: WardData,
    codes: list[str],
    index_of: dict[str, int],
    inside: np.ndarray,
    plan: Plan | None,
    ref: PlanView | None,
    ctx: Context,
) -> None:
    """The ward list (your area's wards first) and the chosen ward's figures."""
    order = sorted((i for i in range(len(codes)) if inside[i]), key=lambda i: (str(wards.names[i]), codes[i]))
    labels = {codes[i]: f"{wards.names[i]} ({wards.borough_names[wards.borough[i]]})" for i in order}
    if s.selected_ward and s.selected_ward not in labels:
        labels[s.selected_ward] = f"{wards.names[index_of[s.selected_ward]]} (outside your area)"
    ss.m_ward = s.selected_ward or ""

    def _picked() -> None:
        s.selected_ward = ss.m_ward or None

    st.selectbox(
        "Ward",
        ["", *labels],
        key="m_ward",
        format_func=lambda c: labels.get(c, c) if c else "Choose a ward…",
        on_change=_picked,
    )
    if s.selected_ward and plan is not None:
        story = explain_ward(plan, s.selected_ward, ref, ctx)
        view.facts(story.facts)
        routes.link("explain", "Why this allocation?", icon=":material/help:")
    elif s.selected_ward:
        w = index_of[s.selected_ward]
        st.write(f"Need {wards.need[w]:.2f} (average ward = 1); no plan to show.")
