"""Map page: wards coloured by need, crime, harm, deployment or change; pick a ward for its figures."""

from __future__ import annotations

import streamlit as st

from planner.app import routes, state, view
from planner.app.layers import LAYERS, Context, available_layers, layer_view, tooltip_fields
from planner.app.wardinfo import explain_ward

ss = st.session_state


def render() -> None:
    """Draw the page."""
    s = state.session()
    entry = s.current
    inputs = entry.inputs if entry is not None else s.inputs

    view.header("Deployment map")
    if entry is not None:
        view.metrics_row(entry)
    view.stale_note()
    view.failure_box(s.failure)
    if inputs is None:
        st.info("Nothing to draw yet: fix the scenario (see above) or pick another in the sidebar.")
        st.stop()

    plan = entry.plan if entry is not None else None
    wards = plan.wards if plan is not None else inputs.wards
    scenario = plan.scenario if plan is not None else (s.failure.scenario if s.failure else None)
    ctx = state.context(scenario, inputs) if scenario is not None else Context()
    base = state.cached_base_map(inputs)
    refs = state.references(entry)

    c1, c2, c3, c4 = st.columns([3, 3, 3, 1.4], vertical_alignment="bottom")
    keys = available_layers(plan is not None, bool(refs))
    if ss.get("m_layer") not in keys:
        ss.m_layer = "constables" if "constables" in keys else "need"
    layer = c1.selectbox("Colour wards by", keys, format_func=lambda k: LAYERS[k].label, key="m_layer")
    focus_opts = view.focus_options(base, wards)
    if ss.get("m_focus") not in focus_opts:
        ss.m_focus = next(iter(focus_opts))
    focus = focus_opts[c2.selectbox("Area", list(focus_opts), key="m_focus", help="Zoom to a BCU or a borough.")]
    ref = None
    if LAYERS[layer].needs_reference:
        names = list(refs)
        if ss.get("m_ref") not in names:
            ss.m_ref = s.reference if s.reference in names else names[0]
        ref = refs[c3.selectbox("Change against", names, key="m_ref")]
    else:
        c3.caption(LAYERS[layer].help)
    with c4:
        options = view.map_options()

    # A click selects a ward; the map is then drawn afresh (new key) so that Streamlit's own selection styling,
    # which fades every other ward, does not hide the colours: the selected ward gets an outline instead.
    map_name = f"map{ss.get('m_nonce', 0)}"
    clicked = view.pending_pick(view.map_key(map_name, focus))
    if clicked is not None:
        s.selected_ward = clicked
        ss.m_nonce = ss.get("m_nonce", 0) + 1
        map_name = f"map{ss.m_nonce}"

    mask = view.focus_mask(wards, focus) if ss.get("m_fit", False) else None
    lv = layer_view(layer, wards, plan, ref, ctx, mask=mask)
    tips = tooltip_fields(wards, plan, ref, ctx)
    codes = [str(c) for c in wards.codes]
    index_of = {c: i for i, c in enumerate(codes)}
    if s.selected_ward not in index_of:
        s.selected_ward = None

    left, right = st.columns([3.2, 1])
    with left:
        view.draw_map(
            base, lv, tips, focus=focus, selected=index_of.get(s.selected_ward or ""), key=map_name, options=options,
            wards=wards,
        )  # fmt: skip
        st.caption(
            "Hover a ward for its figures; click it (or choose it on the right) for its detail. "
            "Dimmed wards are outside the area shown."
        )
    with right:
        view.legend(lv)
        st.checkbox("Fit colours to the area shown", key="m_fit", disabled=focus == view.ALL)
        st.divider()
        inside = view.focus_mask(wards, focus)
        order = sorted((i for i in range(len(codes)) if inside[i]), key=lambda i: (str(wards.names[i]), codes[i]))
        labels = {codes[i]: f"{wards.names[i]} ({wards.borough_names[wards.borough[i]]})" for i in order}
        if s.selected_ward and s.selected_ward not in labels:
            labels[s.selected_ward] = f"{wards.names[index_of[s.selected_ward]]} (outside the area shown)"
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
