"""The canvas ward map: its geometry text decodes to the outlines, colours and tooltips are exact and escaped.

The browser side (drawing, hover, click) is driven in headless Chromium by
``test_app_browser.py``; here the data it is sent is checked against the base
map it comes from, and the warm-up that ``planner app`` starts.
"""

from __future__ import annotations

import html
import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

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


NODE = shutil.which("node")
JS = Path(__file__).resolve().parents[1] / "planner" / "app" / "wardmap.js"


def _node(script: str, payload: dict, tmp_path: Path) -> Any:
    """Run ``script`` in Node with the map's module imported as ``wm`` and ``payload`` as ``input``."""
    if NODE is None:
        pytest.skip("node is not installed: the browser test still drives the map in Chromium")
    module = tmp_path / "wardmap.mjs"
    module.write_text(JS.read_text(encoding="utf-8"), encoding="utf-8")
    runner = tmp_path / "run.mjs"
    runner.write_text(
        "globalThis.window = {};\n"
        "globalThis.Path2D = class { moveTo() {} lineTo() {} closePath() {} };\n"
        f"const wm = await import({json.dumps(module.as_uri())});\n"
        f"const input = {json.dumps(payload)};\n"
        f"const output = (() => {{ {script} }})();\n"
        "process.stdout.write(JSON.stringify(output));\n",
        encoding="utf-8",
    )
    done = subprocess.run([NODE, str(runner)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_browser_reads_the_outlines_as_python_wrote_them(base, tmp_path):
    geo = canvas_geometry(base)
    got = _node(
        "return wm.parseShapes(input.text).map(s => ({ rings: s.rings.map(r => Array.from(r)), box: s.box }));",
        {"text": geo.wards},
        tmp_path,
    )
    assert isinstance(got, list)
    for shape, rings in zip(got, _decode(geo.wards), strict=True):
        assert [np.asarray(r).reshape(-1, 2).tolist() for r in shape["rings"]] == [r.tolist() for r in rings]
        allxy = np.vstack(rings)
        assert shape["box"] == [*allxy.min(axis=0).tolist(), *allxy.max(axis=0).tolist()]


def test_the_browser_finds_the_ward_under_a_point(base, tmp_path):
    """Hit testing (even-odd over every ring) agrees with shapely on points inside and outside each ward."""
    from shapely.geometry import Point, shape

    geo = canvas_geometry(base)
    shapes = _decode(geo.wards)
    polys = []
    for rings in shapes:
        outer = [np.asarray(r, dtype=float) for r in rings]
        polys.append(shape({"type": "MultiPolygon", "coordinates": [[r.tolist()] for r in outer]}).buffer(0))
    rng = np.random.default_rng(1)
    x1, y1 = geo.plane(base.bounds[ALL])[2:]
    points = [(float(x), float(y)) for x, y in zip(rng.uniform(0, x1, 300), rng.uniform(0, y1, 300))]
    got = _node(
        "const s = wm.parseShapes(input.text);"
        "return input.points.map(([x, y]) => s.findIndex(w => wm.inside(w.rings, x, y)));",
        {"text": geo.wards, "points": points},
        tmp_path,
    )
    want = [next((i for i, p in enumerate(polys) if p.contains(Point(x, y))), -1) for x, y in points]
    near_edge = [min(p.boundary.distance(Point(x, y)) for p in polys) < 1.0 for x, y in points]  # on a border
    assert [g for g, e in zip(got, near_edge) if not e] == [w for w, e in zip(want, near_edge) if not e]
    assert sum(w >= 0 for w in want) > 100


def test_the_browser_fills_tooltips_exactly_as_python_does(base, tmp_path):
    n = len(base.wards["features"])
    fields = [{"area": f"a & b <{i}>", "need": "1.0"} for i in range(n)]
    tips = wardmap.tooltips(base, TOOLTIP_HTML, fields, {"value": "\"'", "layer": "<L>"})
    got = _node("return input.tips.values.map((_, i) => wm.tooltip(input.tips, i));", {"tips": tips}, tmp_path)
    assert got == [wardmap.fill_tooltip(tips, i) for i in range(n)]


def test_outlines_go_once_a_session_and_again_when_the_browser_asks(base, monkeypatch):
    """The first run sends the outlines; later runs send None in their place; a 'missing' event sends them again."""
    from types import SimpleNamespace

    session: dict[str, Any] = {}
    sent_data: list[dict[str, Any]] = []
    events: dict[str, Any] = {}

    def mount(*, key, data, **_callbacks):
        sent_data.append(data)
        return events

    monkeypatch.setattr(wardmap, "st", SimpleNamespace(session_state=session))
    monkeypatch.setattr(wardmap, "_mount", lambda: mount)
    n = len(base.wards["features"])
    tips = wardmap.tooltips(base, "<b>{ward_name}</b>", [{}] * n, {})
    data = wardmap.payload(base, np.zeros((n, 4)), tips, bounds=base.bounds[ALL], selected=None, show_boroughs=True,
                           show_bcus=True, show_labels=False, height=620, label="Map")  # fmt: skip
    assert wardmap.draw(data, key="m") is None
    assert sent_data[-1]["wards"] == data["wards"]
    wardmap.draw(data, key="m")
    assert all(sent_data[-1][k] is None for k in wardmap.GEOMETRY_KEYS) and sent_data[-1]["fill"] == data["fill"]
    session["m"] = {"missing": data["id"]}  # the browser had not kept them
    wardmap.draw(data, key="m")
    assert sent_data[-1]["wards"] == data["wards"]
    session["m"] = {}
    events["ward"] = data["codes"][3]
    assert wardmap.draw(data, key="m") == data["codes"][3]
    assert sent_data[-1]["wards"] is None
