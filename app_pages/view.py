"""Pieces several pages draw: the headline figures, the failure box, the legend and the ward map."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import streamlit as st

from app_pages import state
from geo.webmap import ALL, BaseMap, view_for, ward_map
from planner.appsupport.layers import TOOLTIP_HTML, LayerView, classes_count
from planner.appsupport.metrics import london_standard, need_covered, same_wards, unused_headcount
from planner.inputs.data import WardData
from planner.textsafe import markdown_text

ss = st.session_state


def header(title: str) -> None:
    """Page title with what is being shown."""
    s = state.session()
    st.markdown(f"### {title}")
    if s.current is not None:
        st.caption(markdown_text(f"{s.current.label} · plan {s.current.plan.input_hash[:8]} · {state.data_label()}"))
    elif s.failure is not None and s.failure.scenario is not None:
        st.caption(markdown_text(f"{s.failure.scenario.name} · no plan · {state.data_label()}"))
    else:
        st.caption(markdown_text(state.data_label()))


def metrics_row(entry: state.Entry) -> None:
    """Status, gap, solve time, headcount deployed, cost and need covered."""
    plan = entry.plan
    ref = state.session().kept.get(state.session().reference or "")
    t = plan.totals
    avail = plan.workforce.headcount
    cols = st.columns(6)
    cols[0].metric(
        "Status",
        plan.status.value.replace("_", " ").capitalize(),
        f"gap {100 * plan.gap:.3f}% · {entry.seconds:.2f} s",
        delta_color="off",
        delta_arrow="off",
        help="Optimal: proven best within the gap target. Gap: how far the plan could be from the best possible "
        "plan (proven bound). Time: the last solve, data reading included.",
    )
    d_x = d_p = d_c = None
    if ref is not None and ref is not entry and same_wards(ref.plan, plan):
        d_x = t["constable"] - ref.plan.totals["constable"] or None
        d_p = t["pcso"] - ref.plan.totals["pcso"] or None
        d_c = (plan.cost_annual - ref.plan.cost_annual) / 1e6 or None
    vs = f" against {ref.label}" if ref is not None else ""
    cols[1].metric(
        f"Constables (of {int(avail[0]):,})", f"{t['constable']:,}", None if d_x is None else f"{d_x:+,}",
        help=f"Constables deployed to wards, of the headcount available{vs}.",
    )  # fmt: skip
    cols[2].metric(
        f"PCSOs (of {int(avail[1]):,})", f"{t['pcso']:,}", None if d_p is None else f"{d_p:+,}",
        help=f"PCSOs deployed to wards, of the headcount available{vs}.",
    )  # fmt: skip
    cols[3].metric("Sergeants · inspectors", f"{t['sergeant']:,} · {t['inspector']:,}")
    cols[4].metric(
        "Annual pay cost",
        f"£{plan.cost_annual / 1e6:,.1f}m",
        None if d_c is None else f"{'+' if d_c > 0 else '-'}£{abs(d_c):,.1f}m",
        delta_color="inverse",
    )
    std = london_standard(ref.plan) if ref is not None and same_wards(ref.plan, plan) else london_standard(plan)
    cols[5].metric(
        "Need covered",
        f"{100 * need_covered(plan, std):.1f}%",
        help=f"Share of need in wards with at least {std:.2f} effective officers per unit of need (the London "
        "average of the scenario as filed), partly covered below that.",
    )
    for note in unused_headcount(plan):
        st.info(markdown_text(note), icon=":material/info:")


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
        st.caption(view.legend.note + " Numbers in brackets: wards.")


def focus_options(base: BaseMap, wards: WardData) -> dict[str, str]:
    """Menu label -> bounds key: all wards, each BCU, each borough."""
    out = {ALL: ALL}
    bcus = sorted({str(b) for b in wards.borough_bcu if str(b)})
    for b in bcus:
        out[f"BCU: {b}"] = b
    for name in sorted({str(n) for n in wards.borough_names}):
        out[f"Borough: {name}"] = name
    return {k: v for k, v in out.items() if v in base.bounds}


def focus_mask(wards: WardData, focus: str) -> np.ndarray:
    """Wards inside a focus area (all for :data:`ALL`)."""
    if focus == ALL:
        return np.ones(wards.n_wards, dtype=bool)
    names = wards.borough_names[wards.borough]
    return (names == focus) | (wards.ward_bcu == focus)


def draw_map(
    base: BaseMap,
    view: LayerView,
    fields: list[dict[str, str]],
    *,
    focus: str,
    selected: int | None,
    key: str,
    options: dict[str, bool],
    wards: WardData,
) -> None:
    """Draw the ward map (clicks are read on the next run with :func:`pending_pick`)."""
    fill = view.colours.copy()
    inside = focus_mask(wards, focus)
    fill[~inside, 3] = 45
    deck = ward_map(
        base,
        fill,
        fields,
        view=view_for(base.bounds[focus]),
        selected=selected,
        show_boroughs=options.get("boroughs", True),
        show_bcus=options.get("bcus", True),
        show_labels=options.get("labels", False),
        basemap=options.get("basemap", False),
        value_text=view.text,
        layer_label=view.legend.title,
        tooltip_html=TOOLTIP_HTML,
    )
    st.pydeck_chart(
        deck,
        on_select="rerun",
        selection_mode="single-object",
        key=map_key(key, focus),
        height=620,
        alt=f"Map of wards coloured by {view.legend.title}",
    )


def map_key(key: str, focus: str) -> str:
    """Widget key of the map for a focus area (a new area gets a fresh map and view)."""
    return f"{key}-{focus}"


def pending_pick(key: str) -> str | None:
    """The ward code the user clicked on map ``key`` since the last run (None if no new click)."""
    event: Any = ss.get(key)
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


def facts(table: Any) -> None:
    """A two-column figure / value table as compact HTML (fits a narrow column, nothing to scroll)."""
    rows = "".join(
        f"<tr><td style='padding:2px 10px 2px 0;opacity:.75'>{html.escape(str(a))}</td>"
        f"<td style='padding:2px 0;font-weight:500'>{html.escape(str(b))}</td></tr>"
        for a, b in table.itertuples(index=False)
    )
    st.markdown(f"<table style='font-size:0.85rem;border:none'>{rows}</table>", unsafe_allow_html=True)
