"""The ward map as a Streamlit component drawn on a 2D canvas: fast to first draw, only colours change on a re-solve.

The pydeck map needs WebGL: in a browser without a graphics card (a locked-down
desktop, a headless test, a remote session) its software rendering took about
two seconds to draw the first map. This map draws the same wards, borough and
BCU outlines, names and chosen ward with the browser's 2D canvas, in
milliseconds. The outlines are sent as compact text
(:class:`geo.webmap.CanvasGeometry`) that the browser parses once per data set
and keeps: they are sent once per browser session, and a re-solve only sends each
ward's colour and tooltip. Hover
shows the tooltip, a click or tap chooses the ward (read back with
:func:`clicked`), wheel, pinch or the buttons zoom, a drag pans. The street
basemap (CARTO tiles) still uses pydeck (:func:`planner.app.view.draw_map`).
"""

from __future__ import annotations

import html
import re
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from geo.webmap import BaseMap, Bounds, CanvasGeometry, canvas_geometry, check_tooltip_template

_HERE = Path(__file__).resolve().parent

HTML = (
    '<div class="ward-map" data-testid="ward-map"><canvas role="img"></canvas>'
    '<div class="tools"></div><div class="tip" role="tooltip"></div></div>'
)

CSS = """
.ward-map{position:relative;width:100%;overflow:hidden;background:#f3f4f6;border-radius:6px}
.ward-map canvas{display:block;touch-action:pan-y;cursor:grab}
.ward-map .tools{position:absolute;top:8px;right:8px;display:flex;flex-direction:column;gap:4px}
.ward-map .tools button{min-width:34px;height:30px;border:1px solid #b8bcc4;border-radius:4px;background:#fff;
  font:600 14px sans-serif;color:#1f2430;cursor:pointer;padding:0 6px}
.ward-map .tools button:hover{background:#e8ecf4}
.ward-map .tip{position:absolute;display:none;pointer-events:none;background:#1f2430;color:#fff;font:12px/1.35
  sans-serif;max-width:340px;padding:6px 8px;border-radius:4px;z-index:2;box-shadow:0 1px 4px rgba(0,0,0,.3)}
"""

#: Streamlit's name for the component (unique in the app).
NAME = "planner_ward_map"

_component: Any = None
_GEOMETRY: weakref.WeakKeyDictionary[BaseMap, CanvasGeometry] = weakref.WeakKeyDictionary()
_FIELD = re.compile(r"\{(\w+)\}")


def _mount() -> Any:
    global _component
    if _component is None:
        js = (_HERE / "wardmap.js").read_text(encoding="utf-8")
        _component = st.components.v2.component(NAME, html=HTML, css=CSS, js=js)
    return _component


def geometry(base: BaseMap) -> CanvasGeometry:
    """The canvas outlines of ``base`` (made once per base map)."""
    found = _GEOMETRY.get(base)
    if found is None:
        found = canvas_geometry(base)
        _GEOMETRY[base] = found
    return found


def fill_text(fill: np.ndarray) -> str:
    """Per-ward RGBA colours as one hex string, eight digits (``rrggbbaa``) a ward."""
    rgba = np.clip(np.rint(np.asarray(fill, dtype=float)), 0, 255).astype(np.uint8)
    if rgba.ndim != 2 or rgba.shape[1] != 4:
        raise ValueError(f"fill must be (wards, 4) RGBA, got shape {rgba.shape}")
    return rgba.tobytes().hex()


def tooltips(base: BaseMap, template: str, fields: Sequence[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    """The hover tooltips: ``template`` once and, per ward, the values of the ``{name}`` fields it uses.

    A ward's values are its outline's properties (code, name, borough, BCU), then
    ``fields[i]``, then ``extra`` (the same for every ward, or a sequence with one
    value per ward). The browser fills the template of the ward under the
    pointer, HTML-escaping every value. The template is the app's own and may
    place ``{name}`` only in element content (:func:`geo.webmap.check_tooltip_template`).
    """
    check_tooltip_template(template)
    names = list(dict.fromkeys(_FIELD.findall(template)))
    rows = []
    for i, feat in enumerate(base.wards["features"]):
        props: dict[str, Any] = {**feat["properties"], **(fields[i] if i < len(fields) else {})}
        for k, v in extra.items():
            props[k] = v[i] if isinstance(v, (list, tuple)) else v
        rows.append([str(props.get(name, "")) for name in names])
    return {"template": template, "names": names, "values": rows}


def fill_tooltip(tips: dict[str, Any], i: int) -> str:
    """Ward ``i``'s tooltip HTML as the browser makes it (the same rule, for tests and the street map)."""
    values = dict(zip(tips["names"], tips["values"][i]))
    return _FIELD.sub(lambda m: html.escape(values.get(m.group(1), ""), quote=True), tips["template"])


def payload(
    base: BaseMap,
    fill: np.ndarray,
    tips: dict[str, Any],
    *,
    bounds: Bounds,
    selected: int | None,
    show_boroughs: bool,
    show_bcus: bool,
    show_labels: bool,
    height: int,
    label: str,
) -> dict[str, Any]:
    """What the browser gets on each run (JSON): outlines, colours, tooltips, the area to fit, the chosen ward."""
    geo = geometry(base)
    n = len(base.wards["features"])
    if len(fill) != n or len(tips["values"]) != n:
        raise ValueError(f"the map has {n} wards but {len(fill)} colours and {len(tips['values'])} tooltips")
    return {
        "id": geo.digest,
        "wards": geo.wards,
        "boroughs": geo.boroughs,
        "bcus": geo.bcus,
        "labels": [list(x) for x in geo.labels] if show_labels else [],
        "show_boroughs": bool(show_boroughs),
        "show_bcus": bool(show_bcus),
        "fill": fill_text(fill),
        "tips": tips,
        "codes": geo.codes,
        "bounds": geo.plane(bounds),
        "selected": None if selected is None or not 0 <= selected < n else int(selected),
        "height": int(height),
        "label": label,
    }


#: Session-state key of the geometry ids this browser session already holds (it keeps them on ``window``).
SENT = "_ward_map_geometry_sent"
GEOMETRY_KEYS = ("wards", "boroughs", "bcus")


def draw(data: dict[str, Any], *, key: str) -> str | None:
    """Draw the map; return the code of the ward clicked since the last run (None if none).

    The outlines go to a browser session once: later runs send ``None`` in their
    place and the browser draws from the shapes it keeps. Should it not have them
    (its cache dropped them), it says so (trigger ``missing``) and the next run
    sends them again.
    """
    sent: set[str] = st.session_state.setdefault(SENT, set())
    if missing(st.session_state.get(key)) == data["id"]:
        sent.discard(data["id"])
    shown = data if data["id"] not in sent else {**data, **dict.fromkeys(GEOMETRY_KEYS)}
    result = _mount()(key=key, data=shown, on_ward_change=_ignore, on_missing_change=_ignore)
    sent.add(data["id"])
    return clicked(result)


def _ignore() -> None:
    """The click is read from the result; Streamlit needs a callback to report it."""


def _event(result: Any, name: str) -> str | None:
    try:
        value = result[name] if isinstance(result, dict) else getattr(result, name, None)
    except (KeyError, TypeError):
        return None
    return str(value) if isinstance(value, str) and value else None


def clicked(result: Any) -> str | None:
    """The ward code a map result (or its session-state value) says was clicked in this run, if any."""
    return _event(result, "ward")


def missing(result: Any) -> str | None:
    """The geometry id the browser asked for again in this run (it had not kept it), if any."""
    return _event(result, "missing")
