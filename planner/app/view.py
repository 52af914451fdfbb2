"""Pieces several pages draw: the headline figures, the failure box, the legend and the ward map."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from geo.webmap import ALL, BaseMap, view_for, ward_map
from planner.app import state
from planner.app.area import ALL_WARDS, Area, area_totals, areas, reference_totals, ward_mask
from planner.app.layers import Hover, LayerView, PlanView, classes_count
from planner.app.metrics import london_standard, need_covered, same_wards, unused_headcount
from planner.app.today import current_view
from planner.app.wardmap import clicked, payload, tooltips
from planner.app.wardmap import draw as draw_canvas
from planner.inputs.data import WardData
from planner.report.plain import money, percent, signed, status_words
from planner.textsafe import markdown_text

ss = st.session_state


def header(title: str, purpose: str | None = None) -> None:
    """Page title, what the page is for, and what is being shown."""
    s = state.session()
    st.markdown(f"### {title}")
    if purpose:
        st.markdown(purpose)
    if s.current is not None:
        st.caption(markdown_text(f"{s.current.label} · plan {s.current.plan.input_hash[:8]} · {state.data_label()}"))
    elif s.failure is not None and s.failure.scenario is not None:
        st.caption(markdown_text(f"{s.failure.scenario.name} · no plan · {state.data_label()}"))
    else:
        st.caption(markdown_text(state.data_label()))


def area_picker(wards: WardData, *, container: Any = None) -> Area:
    """The area every figure is about ("Your area": all wards, a BCU or a borough), the same on every page."""
    s = state.session()
    options = areas(wards)
    if s.area_key not in options:
        s.area_key = ALL_WARDS.key
    ss["area"] = s.area_key

    def _picked() -> None:
        s.area_key = ss["area"]

    (container or st).selectbox(
        "Your area",
        list(options),
        key="area",
        format_func=lambda k: options[k].label,
        on_change=_picked,
        help="Choose your borough or BCU: every figure, map, table and chart then shows that area "
        "(the plan itself is always solved for all wards together).",
    )
    return options[s.area_key]


def today(entry: state.Entry) -> PlanView | None:
    """What "change from today" is measured against: the baseline file, else the plan of the scenario as filed."""
    own = current_view(entry.plan)
    if own is not None:
        return own
    ref = state.session().kept.get(state.session().reference or "")
    if ref is None or ref is entry or not same_wards(ref.plan, entry.plan):
        return None
    return PlanView.of(ref.plan, ref.label)


def metrics_row(entry: state.Entry, area: Area = ALL_WARDS) -> None:
    """Status, gap, solve time, headcount deployed, cost and need covered (of the area chosen)."""
    plan = entry.plan
    ref = today(entry)
    avail = plan.workforce.headcount
    cols = st.columns(6)
    cols[0].metric(
        "Status",
        status_words(plan.status),
        f"≤ {percent(plan.gap, up=True)} off best · {entry.seconds:.2f} s",
        delta_color="off",
        delta_arrow="off",
        help="Optimal: proven best within the gap asked for. The second line says how far, at most, this plan can "
        "be from the best possible plan (a proven bound), and how long the last solve took, data reading included.",
    )
    now = area_totals(plan, area)
    before = reference_totals(ref, plan.wards, area) if ref is not None else None
    vs = f" against {ref.label}" if ref is not None else ""
    where = "" if area.is_all else f" in {area.name}"

    def delta(a: float | None, b: float | None) -> str | None:
        return None if a is None or b is None or round(a - b) == 0 else signed(a - b)

    x_label = f"Constables (of {int(avail[0]):,})" if area.is_all else f"Constables{where}"
    p_label = f"PCSOs (of {int(avail[1]):,})" if area.is_all else f"PCSOs{where}"
    cols[1].metric(
        x_label, f"{now.constables:,}", delta(now.constables, before.constables if before else None),
        help=f"Constables deployed to wards{where}{', of the headcount available' if area.is_all else ''}{vs}.",
    )  # fmt: skip
    cols[2].metric(
        p_label, f"{now.pcsos:,}", delta(now.pcsos, before.pcsos if before else None),
        help=f"PCSOs deployed to wards{where}{', of the headcount available' if area.is_all else ''}{vs}.",
    )  # fmt: skip
    ds = delta(now.sergeants, before.sergeants if before else None)
    di = delta(now.inspectors, before.inspectors if before else None)
    cols[3].metric(
        "Sergeants · inspectors",
        f"{now.sergeants:,} · {now.inspectors:,}",
        None if ds is None and di is None else f"{ds or '0'} · {di or '0'}",
        delta_color="off",
        help=f"Sergeants and inspectors of the borough(s){where}{vs}.",
    )
    d_c = None if before is None or before.cost is None or now.cost is None else now.cost - before.cost
    cols[4].metric(
        "Pay cost a year",
        money(now.cost),
        None if d_c is None or abs(d_c) < 0.5 else ("+" if d_c > 0 else "-") + money(abs(d_c)),
        delta_color="inverse",
        help=f"Pay of all four ranks (salary and on-costs){where}, pounds a year{vs}.",
    )
    std = london_standard(ref.plan) if ref is not None and ref.plan is not None else london_standard(plan)
    cols[5].metric(
        "Need covered",
        percent(need_covered(plan, std, ward_mask(plan.wards, area))),
        help=f"Share of need{where} in wards with at least {std:.2f} effective officers per unit of need (the "
        "average of all wards in the scenario as filed), partly covered below that.",
    )
    if area.is_all:
        for note in unused_headcount(plan):
            st.info(markdown_text(note), icon=":material/info:")


def current_entry() -> state.Entry:
    """The current plan's entry; without a plan, say why (the failure's reasons) and stop the page here."""
    s = state.session()
    if s.current is None:
        failure_box(s.failure)
        st.stop()
    assert s.current is not None  # st.stop() does not return
    return s.current


def failure_box(failure: state.Failure | None) -> None:
    """The plain-language reasons of the last failed solve."""
    if failure is None:
        return
    if failure.kind == "infeasible":
        st.error("**No plan satisfies every rule.**\n\n" + "\n".join(f"- {markdown_text(m)}" for m in failure.messages))
        st.caption("Relax one of the rules named above (sidebar) and the plan will be solved again.")
    else:
        st.error("**The scenario cannot be run.**\n\n" + "\n".join(f"- {markdown_text(m)}" for m in failure.messages))


def stale_note() -> None:
    """Tell the user the shown plan is older than the sidebar."""
    if state.session().stale:
        st.warning(
            "The sidebar changed since this plan was solved: press **Solve** to update it.", icon=":material/sync:"
        )


def legend(view: LayerView) -> None:
    """The legend: a swatch, the range in the layer's unit and the number of wards, per class."""
    counts = classes_count(view)
    rows = []
    for col, label in zip(view.legend.colours, view.legend.labels):
        r, g, b = col
        rows.append(
            "<div style='display:flex;align-items:center;gap:8px;margin:2px 0'>"
            f"<span style='display:inline-block;width:22px;height:14px;background:rgb({r},{g},{b});"
            "border:1px solid #888'></span>"
            f"<span style='font-size:0.85rem'>{html.escape(label)}"
            f" <span style='opacity:.6'>({counts.get(label, 0):,})</span></span></div>"
        )
    st.markdown(
        f"<div style='font-weight:600'>{html.escape(view.legend.title)}</div>"
        f"<div style='font-size:0.8rem;opacity:.8;margin-bottom:4px'>{html.escape(view.legend.unit)}</div>"
        + "".join(rows),
        unsafe_allow_html=True,
    )
    if view.legend.note:
        st.caption(markdown_text(view.legend.note) + " Numbers in brackets: wards.")


def is_phone() -> bool:
    """Whether the browser says it is a phone (its User-Agent has "Mobile"): the map then fits a narrow screen."""
    try:
        agent = str(st.context.headers.get("User-Agent", ""))
    except Exception:  # no browser (AppTest): a desktop
        return False
    return "Mobile" in agent


def draw_map(
    base: BaseMap,
    view: LayerView,
    tips: Hover,
    *,
    area: Area,
    selected: int | None,
    key: str,
    options: dict[str, bool],
    wards: WardData,
) -> None:
    """Draw the ward map (clicks are read on the next run with :func:`pending_pick`).

    The map is drawn on a 2D canvas (:mod:`planner.app.wardmap`); with the street basemap on, pydeck draws it
    over CARTO's tiles instead.
    """
    fill = view.colours.copy()
    inside = ward_mask(wards, area)
    fill[~inside, 3] = 45
    bounds = base.bounds.get(area.name if not area.is_all else ALL, base.bounds[ALL])
    phone = is_phone()
    height = 440 if phone else 620
    label = f"Map of wards coloured by {view.legend.title}"
    if not options.get("basemap", False):
        texts = tooltips(base, tips.html, tips.fields, {"value": list(view.text), "layer": view.legend.title})
        data = payload(
            base, fill, texts, bounds=bounds, selected=selected, show_boroughs=options.get("boroughs", True),
            show_bcus=options.get("bcus", True), show_labels=options.get("labels", False), height=height, label=label,
        )  # fmt: skip
        draw_canvas(data, key=map_key(key, area.key))
        return
    deck = ward_map(
        base,
        fill,
        tips.fields,
        view=view_for(bounds, 360, 420) if phone else view_for(bounds),
        selected=selected,
        show_boroughs=options.get("boroughs", True),
        show_bcus=options.get("bcus", True),
        show_labels=options.get("labels", False),
        basemap=True,
        value_text=view.text,
        layer_label=view.legend.title,
        tooltip_html=tips.html,
    )
    st.pydeck_chart(
        deck,
        on_select="rerun",
        selection_mode="single-object",
        key=map_key(key, area.key) + "-streets",
        height=height,
        alt=label,
    )


def map_key(key: str, area_key: str) -> str:
    """Widget key of the map for an area (a new area gets a fresh map and view)."""
    return f"{key}-{area_key}"


def pending_pick(key: str) -> str | None:
    """The ward code the user clicked on map ``key`` since the last run (None if no new click)."""
    code = clicked(ss.get(key))  # the canvas map: a click is an event of one run
    if code is not None:
        return code
    event: Any = ss.get(key + "-streets")  # the street map (pydeck): its selection stays until another click
    try:
        objs = event.selection.objects.get("wards") or []
    except AttributeError:
        try:
            objs = event["selection"]["objects"].get("wards") or []
        except (TypeError, KeyError, AttributeError):
            return None
    if not objs:
        ss[f"_last_pick_{key}"] = None
        return None
    obj = objs[0]
    props = obj.get("properties", obj) if isinstance(obj, dict) else {}
    code = props.get("ward_code")
    if code is None or ss.get(f"_last_pick_{key}") == code:
        return None
    ss[f"_last_pick_{key}"] = code
    return str(code)


def map_options() -> dict[str, bool]:
    """Outline and basemap switches (in a popover)."""
    with st.popover("Options", icon=":material/layers:"):
        st.checkbox("Borough outlines", value=True, key="o_boroughs")
        st.checkbox("BCU outlines (thick)", value=True, key="o_bcus")
        st.checkbox("Borough names", value=False, key="o_labels")
        st.checkbox(
            "Street basemap (CARTO)",
            value=False,
            key="o_basemap",
            help="Loads map tiles from CARTO's servers: your browser then tells CARTO which area you look at.",
        )
    return {
        "boroughs": ss.get("o_boroughs", True),
        "bcus": ss.get("o_bcus", True),
        "labels": ss.get("o_labels", False),
        "basemap": ss.get("o_basemap", False),
    }


def figures_table(table: Any, against: str | None = None) -> None:
    """Figure / value / change rows as compact HTML (the change column titled with what it is against)."""
    head = (
        "<tr><th></th><th style='text-align:left;padding:2px 8px 2px 0'>Plan</th>"
        f"<th style='text-align:left;padding:2px 0'>Change{' from ' + html.escape(against) if against else ''}</th>"
        "</tr>"
    )
    rows = "".join(
        f"<tr><td style='padding:2px 10px 2px 0;opacity:.75'>{html.escape(str(a))}</td>"
        f"<td style='padding:2px 8px 2px 0;font-weight:500'>{html.escape(str(b))}</td>"
        f"<td style='padding:2px 0'>{html.escape(str(c))}</td></tr>"
        for a, b, c in table.itertuples(index=False)
    )
    st.markdown(f"<table style='font-size:0.85rem;border:none'>{head}{rows}</table>", unsafe_allow_html=True)


def facts(table: Any) -> None:
    """A two-column figure / value table as compact HTML (fits a narrow column, nothing to scroll)."""
    rows = "".join(
        f"<tr><td style='padding:2px 10px 2px 0;opacity:.75'>{html.escape(str(a))}</td>"
        f"<td style='padding:2px 0;font-weight:500'>{html.escape(str(b))}</td></tr>"
        for a, b in table.itertuples(index=False)
    )
    st.markdown(f"<table style='font-size:0.85rem;border:none'>{rows}</table>", unsafe_allow_html=True)
