"""The canvas ward map: its geometry text decodes to the outlines, colours and tooltips are exact and escaped.

The browser side (drawing, hover, click) is driven in headless Chromium by
``test_app_browser.py``; here the data it is sent is checked against the base
map it comes from, and the warm-up that ``planner app`` starts.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.synthetic import synthetic_city
from geo.webmap import ALL, CANVAS_UNITS, base_map, canvas_geometry
from planner.app import wardmap, warmup
from planner.app.layers import TOOLTIP_HTML


@pytest.fixture(scope="module")
def base():
    layer = synthetic_city(seed=5, wards=30, boroughs=3, bcus=2).layer.frame
    layer.loc[0, "ward_name"] = "<img src=x onerror=alert(1)> & 'Co'"
    return base_map(layer)


def _decode(text: str) -> list[list[np.ndarray]]:
    """The shapes of a geometry text, as the browser reads it (first point, then differences)."""
    shapes = []
    for shape in text.split("|"):
        rings = []
        for ring in shape.split(";") if shape else []:
            v = np.array([int(t) for t in ring.split(",")], dtype=np.int64).reshape(-1, 2)
            rings.append(np.cumsum(v, axis=0))
        shapes.append(rings)
    return shapes


def _rings(geometry: dict) -> list[np.ndarray]:
    coords = geometry["coordinates"]
    polys = [coords] if geometry["type"] == "Polygon" else coords
    return [np.asarray(r, dtype=float) for p in polys for r in p]


def test_geometry_text_decodes_to_every_ward_outline(base):
    geo = canvas_geometry(base)
    shapes = _decode(geo.wards)
    assert len(shapes) == len(base.wards["features"])
    for feat, rings in zip(base.wards["features"], shapes, strict=True):
        want = _rings(feat["geometry"])
        assert len(rings) == len(want)
        for got, ring in zip(rings, want, strict=True):
            lon = got[:, 0] / CANVAS_UNITS / geo.kx + geo.lon0
            lat = got[:, 1] / CANVAS_UNITS + geo.lat0
            # whole units of 1e-5 degree: within half a unit (about half a metre) of the outline sent to pydeck
            assert np.abs(lon - ring[:, 0]).max() <= 0.5 / CANVAS_UNITS / geo.kx + 1e-12
            assert np.abs(lat - ring[:, 1]).max() <= 0.5 / CANVAS_UNITS + 1e-12
    assert len(_decode(geo.boroughs)) == 3 and len(_decode(geo.bcus)) == 2
    assert [name for name, _x, _y in geo.labels] == list(base.labels["name"])


def test_the_plane_keeps_shapes_square(base):
    geo = canvas_geometry(base)
    west, south, east, north = base.bounds[ALL]
    x0, y0, x1, y1 = geo.plane(base.bounds[ALL])
    assert (x0, y0) == (0, 0)
    # one unit is the same distance east-west and north-south at the middle latitude
    assert x1 == round((east - west) * math.cos(math.radians((south + north) / 2)) * CANVAS_UNITS)
    assert y1 == round((north - south) * CANVAS_UNITS)


def test_geometry_is_made_once_per_base_map(base):
    assert wardmap.geometry(base) is wardmap.geometry(base)


@given(st.lists(st.tuples(*[st.integers(0, 255)] * 4), min_size=1, max_size=50))
def test_fill_text_is_eight_hex_digits_a_ward(colours):
    text = wardmap.fill_text(np.array(colours))
    assert len(text) == 8 * len(colours)
    assert [tuple(bytes.fromhex(text[8 * i : 8 * i + 8])) for i in range(len(colours))] == colours


def test_fill_text_clips_and_rejects_a_wrong_shape():
    assert wardmap.fill_text(np.array([[-5, 300, 12.4, 255]])) == "00ff0cff"
    with pytest.raises(ValueError, match="RGBA"):
        wardmap.fill_text(np.zeros((3, 3)))


def test_tooltips_carry_only_the_fields_and_escape_every_value(base):
    n = len(base.wards["features"])
    fields = [{"area": "a & b", "need": f"{i}"} for i in range(n)]
    tips = wardmap.tooltips(base, TOOLTIP_HTML, fields, {"value": [f"<{i}>" for i in range(n)], "layer": "X"})
    assert tips["template"] == TOOLTIP_HTML and len(tips["values"]) == n
    assert all(len(row) == len(tips["names"]) for row in tips["values"])
    first = wardmap.fill_tooltip(tips, 0)
    assert "<img" not in first and html.escape("<img src=x onerror=alert(1)> & 'Co'", quote=True) in first
    with pytest.raises(ValueError, match="inside a tag"):
        wardmap.tooltips(base, "<b title='{ward_name}'>x</b>", fields, {})


def test_payload_checks_its_lengths_and_the_chosen_ward(base):
    n = len(base.wards["features"])
    tips = wardmap.tooltips(base, "<b>{ward_name}</b>", [{}] * n, {})
    fill = np.full((n, 4), 200)
    data = wardmap.payload(base, fill, tips, bounds=base.bounds[ALL], selected=n, show_boroughs=True,
                           show_bcus=False, show_labels=True, height=620, label="Map")  # fmt: skip
    assert data["selected"] is None and data["codes"] == [f["properties"]["ward_code"] for f in base.wards["features"]]
    assert data["labels"] and data["bounds"][:2] == [0, 0] and data["id"] == canvas_geometry(base).digest
    with pytest.raises(ValueError, match="colours"):
        wardmap.payload(base, fill[1:], tips, bounds=base.bounds[ALL], selected=None, show_boroughs=True,
                        show_bcus=True, show_labels=False, height=620, label="Map")  # fmt: skip


@pytest.mark.parametrize(
    ("result", "code"),
    [({"ward": "E05000001"}, "E05000001"), ({"ward": None}, None), ({}, None), (None, None), ({"ward": 3}, None)],
)
def test_a_click_is_read_from_the_map_result(result, code):
    assert wardmap.clicked(result) == code


@pytest.fixture
def fresh_warmup():
    """The warm-up as in a process that has not started it (and forgotten again afterwards)."""
    warmup.reset()
    yield warmup
    warmup.reset()


def test_the_warm_up_imports_then_opens_the_gate(fresh_warmup):
    assert fresh_warmup.wait(0)  # no warm-up running: the gate is open
    thread = fresh_warmup.start(modules=("email.mime.text", "planner.app.wardmap"))
    assert fresh_warmup.start(modules=("json",)) is thread  # once per process
    assert fresh_warmup.wait(30) and not thread.is_alive() and fresh_warmup.failed() is None
    import sys

    assert "email.mime.text" in sys.modules


def test_a_failed_warm_up_still_opens_the_gate(fresh_warmup):
    fresh_warmup.start(modules=("planner.no_such_module",))
    assert fresh_warmup.wait(30)
    assert isinstance(fresh_warmup.failed(), ModuleNotFoundError)  # the script meets it again and reports it
