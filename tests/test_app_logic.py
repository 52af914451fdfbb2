"""The app's logic without Streamlit: layers, settings, comparisons, explanations, uploads, exports, maps."""

from __future__ import annotations

import io
import json
import math
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from app_testing import APP_DATA
from hypothesis import given, settings
from hypothesis import strategies as hs

import planner
from geo.webmap import ALL, base_map, view_for, ward_map
from planner.app import controls, exports, layers, metrics, uploads, wardinfo
from planner.scenario import load_scenario

SMALL = {
    "data.synthetic.wards": 24, "data.synthetic.boroughs": 3, "data.synthetic.bcus": 2,
    "workforce.constable.headcount": 150, "workforce.pcso.headcount": 50,
    "workforce.sergeant.headcount": 30, "workforce.inspector.headcount": 8,
}  # fmt: skip


@pytest.fixture(scope="module")
def small(scenarios_dir):
    sc = load_scenario(scenarios_dir / "demo.yaml").with_changes(SMALL)
    inputs = planner.load_inputs(sc)
    plan = planner.solve(sc, inputs=inputs)
    more = planner.solve(sc.with_changes({"workforce.pcso.headcount": 70}), inputs=inputs)
    return sc, inputs, plan, more


# ------------------------------------------------------------------------ layers
def test_change_classes_by_hand():
    # one value each side: one class each side, open-ended
    breaks, _cols, labels = layers.change_classes(np.array([-2.0, 0.0, 3.0]))
    assert labels == ["-1 or below", "no change", "+1 or above"]
    assert layers.classify(np.array([-9, -1, 0, 1, 9]), breaks).tolist() == [0, 0, 1, 2, 2]
    # the skew of issue 14: most wards +1, a few losses of different sizes; losses are not hidden in one class
    values = np.array([1.0] * 619 + [0.0] * 40 + [-1.0, -2, -3, -5, -9] * 4)
    breaks, cols, labels = layers.change_classes(values)
    assert labels == ["-6 or below", "-3 to -5", "-1 to -2", "no change", "+1"]
    assert np.bincount(layers.classify(values, breaks)).tolist() == [4, 8, 8, 40, 619]
    assert cols[3] == layers.DIVERGING[3] and len(set(cols)) == 5
    # gains only: no loss class at all
    _, _, labels = layers.change_classes(np.array([0.0, 1, 2, 3, 4, 5, 6, 7]))
    assert labels[0] == "no change" and all(lab.startswith("+") for lab in labels[1:])


@settings(max_examples=80, deadline=None)
@given(hs.lists(hs.integers(-60, 60), min_size=1, max_size=200))
def test_change_classes_keep_signs_apart(values):
    v = np.array(values, dtype=float)
    breaks, cols, labels = layers.change_classes(v)
    cls = layers.classify(v, breaks)
    zero = labels.index("no change")
    assert len(cols) == len(labels) == len(breaks) + 1
    assert (cls[v == 0] == zero).all() and (cls[v < 0] < zero).all() and (cls[v > 0] > zero).all()
    assert np.all(np.diff(cls[np.argsort(v, kind="stable")]) >= 0)  # classes follow the values
    assert zero <= 3 and len(labels) - zero - 1 <= 3  # at most three classes each side


def test_integer_classes_one_per_value():
    breaks, cols, labels = layers.sequential_classes(np.array([2.0, 2, 3, 5, 5]), layers.SEQ_BLUE, True)
    assert labels == ["2", "3", "5"]
    assert layers.classify(np.array([2.0, 3, 5]), breaks).tolist() == [0, 1, 2]
    assert len(cols) == 3


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_sequential_classes_cover_every_value_in_order(values):
    v = np.array(values)
    breaks, cols, labels = layers.sequential_classes(v, layers.SEQ_HEAT, False)
    cls = layers.classify(v, breaks)
    assert len(cols) == len(labels) == len(breaks) + 1
    assert ((cls >= 0) & (cls < len(cols))).all()
    order = np.argsort(v, kind="stable")
    assert (np.diff(cls[order]) >= 0).all()  # a larger value never gets a lower class


def test_quantile_classes_about_equal():
    v = np.random.default_rng(0).lognormal(size=700)
    breaks, cols, _ = layers.sequential_classes(v, layers.SEQ_HEAT, False)
    counts = np.bincount(layers.classify(v, breaks), minlength=len(cols))
    assert counts.min() > 700 / 7 * 0.6 and counts.max() < 700 / 7 * 1.4


def test_layer_values_and_units(small):
    _sc, inputs, plan, more = small
    w = inputs.wards
    ctx = layers.Context(months=24, harm_unit="CCHI days")
    assert np.allclose(layers.layer_values("demand", w, plan, None, ctx), w.demand / 2)
    assert np.allclose(layers.layer_values("harm", w, plan, None, ctx), w.harm / 2)
    ref = layers.PlanView.of(plan, "before")
    change = layers.layer_values("change", w, more, ref, ctx)
    assert np.array_equal(change, (more.constables + more.pcsos) - (plan.constables + plan.pcsos))
    assert layers.layer_unit("harm", ctx) == "CCHI days a year (average of 24 months)"
    assert layers.layer_unit("change", ctx, ref).endswith("against before")
    with pytest.raises(ValueError, match="needs a solved plan"):
        layers.layer_values("constables", w, None)


def test_layer_view_every_ward_coloured_and_counted(small):
    _sc, inputs, plan, more = small
    ref = layers.PlanView.of(plan, "before")
    for key in layers.available_layers(True, True):
        view = layers.layer_view(key, inputs.wards, more, ref)
        assert view.colours.shape == (24, 4)
        assert sum(layers.classes_count(view).values()) == 24
        assert view.legend.unit and len(view.legend.labels) == len(view.legend.colours)
    opn = layers.layer_view("officers_per_need", inputs.wards, plan)
    assert "about the average" in opn.legend.labels[3]


def test_tooltips_name_the_figures(small):
    _sc, inputs, plan, more = small
    tips = layers.hover(inputs.wards, more, layers.PlanView.of(plan, "before"), layers.Context(24, "CCHI <days>"))
    assert len(tips.fields) == 24
    # the template names every figure once, with its words and units; each ward carries only its figures
    shown = tips.html
    for name, value in tips.fields[0].items():
        shown = shown.replace("{" + name + "}", value)
    assert f"Constables {more.constables[0]}" in shown and f"PCSOs {more.pcsos[0]}" in shown
    assert f"Against before: {int(more.constables[0] - plan.constables[0]):+d} constables" in shown
    assert f"{inputs.wards.harm[0] / 2:,.0f} CCHI &lt;days&gt;" in shown  # a year, the unit escaped
    left = set(re.findall(r"\{(\w+)\}", shown))
    assert left == {"ward_name", "ward_code", "borough_name", "bcu", "layer", "value"}  # filled by the map itself
    bare = layers.hover(inputs.wards, None, None)
    assert "no plan" in bare.html and set(bare.fields[0]) == {"nd", "cr", "hm", "rs"}


# ------------------------------------------------------------------------ controls
def test_settings_round_trip(scenarios_dir):
    base = load_scenario(scenarios_dir / "demo.yaml")
    s = controls.settings_of(base)
    assert controls.apply_settings(base, s) is base
    assert controls.describe_changes(base, s) == []
    up = controls.with_uplift(s)
    sc = controls.apply_settings(base, up)
    assert sc.workforce.pcso.headcount == 1300 + controls.UPLIFT_PCSOS
    assert controls.describe_changes(base, up) == ["PCSOs 1,300 → 2,900 (+1,600)"]
    assert controls.settings_of(sc) == up


def test_settings_budget_and_limits(scenarios_dir):
    base = load_scenario(scenarios_dir / "demo.yaml")
    s = controls.settings_of(base)
    from dataclasses import replace

    changed = replace(s, budget_m=410.0, sergeant_span=7.5, max_total_moves=100)
    sc = controls.apply_settings(base, changed, baseline="/tmp/base.csv")
    assert sc.rules.budget == 410e6
    assert sc.rules.supervision.sergeant_span == 7.5
    assert sc.data.current is not None
    assert sc.rules.stability.max_total_moves == 100 and sc.data.current.path == "/tmp/base.csv"
    label = controls.plan_label(base, changed)
    assert label.startswith("demo: Sergeant span 8 → 7.5; Budget no budget → £410.0m")


def test_harm_schemes(scenarios_dir):
    demo = load_scenario(scenarios_dir / "demo.yaml")
    assert list(controls.harm_schemes(demo)) == ["scenario"]
    london = load_scenario(scenarios_dir / "london-2022.yaml")
    schemes = controls.harm_schemes(london)
    assert schemes["scenario"][0].startswith("Cambridge Crime Harm Index")
    counts = controls.apply_settings(london, controls.settings_of(london), harm=schemes["counts"][1])
    assert counts.data.harm.weights is None and controls.harm_unit(counts) == "offences (no harm weights)"
    assert controls.harm_unit(london) == "CCHI days"


def test_supervisors_needed_never_too_few(small):
    sc, inputs, _plan, _more = small
    s = controls.with_uplift(controls.settings_of(sc), 40)
    sg, ins = controls.supervisors_needed(s, inputs.wards.n_boroughs)
    solved = planner.solve(controls.apply_settings(sc, controls.replace(s, sergeant=sg, inspector=ins)), inputs=inputs)
    assert solved.totals["pcso"] == s.pcso and solved.totals["constable"] == s.constable


def test_list_scenarios_top_level_only(scenarios_dir):
    files = controls.list_scenarios(scenarios_dir)
    names = [f.path.name for f in files]
    assert names[0] == "demo.yaml"
    assert "london-2022.yaml" in names and not any("sweep" in str(f.path.parent) for f in files)
    assert all(f.scenario is not None for f in files)


# ------------------------------------------------------------------------ metrics
def test_need_covered_by_hand(small):
    _sc, inputs, plan, _more = small
    std = 3.0
    need, eff = inputs.wards.need, plan.effective
    expected = sum(n * min(1.0, e / (std * n)) for n, e in zip(need, eff)) / need.sum()
    assert metrics.need_covered(plan, std) == pytest.approx(expected)
    assert metrics.need_covered(plan, 1e-9) == pytest.approx(1.0)
    assert metrics.london_standard(plan) == pytest.approx(eff.sum() / need.sum())


def test_compare_and_differences(small):
    _sc, _inputs, plan, more = small
    table = metrics.compare_table({"before": plan, "after": more})
    assert list(table.columns) == ["before", "after"]
    assert table.loc["PCSOs deployed / available", "after"] == f"{more.totals['pcso']:,} / 70"
    diff = metrics.ward_difference(plan, more)
    assert diff["pcsos_change"].sum() == more.totals["pcso"] - plan.totals["pcso"]
    assert (diff["total_change"].abs().diff().dropna() <= 0).all()  # largest changes first
    b = metrics.borough_difference(plan, more)
    assert b["cost_change"].sum() == pytest.approx(more.cost_annual - plan.cost_annual)
    ch = metrics.change_summary(plan, more)
    assert ch["pcsos_gained"] - ch["pcsos_lost"] == more.totals["pcso"] - plan.totals["pcso"]
    assert ch["pcsos_moved"] == min(ch["pcsos_gained"], ch["pcsos_lost"])
    ws = metrics.worst_served(plan, 3)
    assert ws["officers_per_need"].is_monotonic_increasing
    assert ws["officers_per_need"].iloc[0] == pytest.approx(layers.officers_per_need(plan).min())


def test_spans_recomputed(small):
    sc, _inputs, plan, _more = small
    sp = metrics.spans(plan)
    heads = plan.totals["constable"] + plan.totals["pcso"]
    assert sp["sergeant"] == pytest.approx(heads / plan.totals["sergeant"])
    assert sp["sergeant_widest"] <= sc.rules.supervision.sergeant_span + 1e-9


def test_unused_headcount_names_the_sergeants(scenarios_dir):
    sc = load_scenario(scenarios_dir / "demo.yaml").with_changes(SMALL)
    plan = planner.solve(sc.with_changes({"workforce.pcso.headcount": 400}))
    notes = metrics.unused_headcount(plan)
    assert len(notes) == 1 and "PCSOs not deployed: all 30 sergeants are deployed" in notes[0]


# ------------------------------------------------------------------------ ward explanations
def test_need_parts_add_up(small):
    _sc, inputs, plan, _more = small
    for w in range(inputs.wards.n_wards):
        assert sum(wardinfo.need_parts(plan, w).values()) == pytest.approx(inputs.wards.need[w])


def test_explain_ward_floor_and_above(small):
    _sc, inputs, plan, more = small
    at_floor = int(np.flatnonzero(plan.constables == plan.problem.lo_x)[0])
    above = int(np.argmax(plan.constables))
    story = wardinfo.explain_ward(plan, str(inputs.wards.codes[at_floor]))
    assert "held at the ward floor of 2" in story.sentences[2]
    story = wardinfo.explain_ward(plan, str(inputs.wards.codes[above]), layers.PlanView.of(more, "after"))
    assert "above the floor of 2" in story.sentences[2]
    mv = plan.marginal_value()
    held, hi = plan.constables, plan.problem.hi_x
    others = [k for k in range(len(held)) if k != above and held[k] < hi[k]]
    best = max(float(mv["constable"].iloc[k]) for k in others)
    share = 100 * float(mv["constable"].iloc[above]) / best
    assert story.facts.set_index("figure").loc["Value of one more constable", "value"] == (
        f"{share:,.0f} % as much good as the best place elsewhere"
    )
    assert "0.0" not in " ".join(story.sentences[2:4])  # no bare objective units
    assert any(s.startswith("Against after:") for s in story.sentences)
    with pytest.raises(KeyError):
        wardinfo.explain_ward(plan, "E00000000")


# ------------------------------------------------------------------------ uploads
def test_upload_limits(tmp_path, monkeypatch):
    refused = uploads.save_upload("w.shp", b"x", tmp_path, "boundaries")[1]
    assert refused is not None and refused.startswith("w.shp: a boundaries file must be")
    empty = uploads.save_upload("c.csv", b"", tmp_path, "crime")[1]
    assert empty is not None and "empty (0 bytes)" in empty
    monkeypatch.setattr(uploads, "MAX_CRIME_BYTES", 10)
    path, problem = uploads.save_upload("c.csv", b"x" * 11, tmp_path, "crime")
    assert path is None and problem is not None and "over the 0 MB limit" in problem
    check = uploads.check_crime("c.csv", b"x" * 11, tmp_path)
    assert not check.ok and check.path is None


def test_uploads_checked_and_used(tmp_path, scenarios_dir):
    b = uploads.check_boundaries("w.geojson", (APP_DATA / "wards_small.geojson").read_bytes(), tmp_path)
    c = uploads.check_crime("c.csv", (APP_DATA / "crime_small.csv").read_bytes(), tmp_path)
    assert b.ok and c.ok and uploads.check_match(b, c) == ([], [])
    sc = uploads.uploaded_scenario(load_scenario(scenarios_dir / "demo.yaml"), b, c, base_wards=680)
    assert sc.workforce.constable.headcount == math.ceil(4200 * 6 / 680)
    assert sc.need.weights.population == 0
    plan = planner.solve(sc)
    assert plan.wards.n_wards == 6 and all(plan.check().values())


def test_broken_upload_names_the_upload_not_the_saved_file(tmp_path):
    check = uploads.check_boundaries("mine.geojson", b"not json", tmp_path)
    assert not check.ok and "mine.geojson" in check.problems[0] and str(tmp_path) not in check.problems[0]


# ------------------------------------------------------------------------ exports
def test_exports_read_back(small, tmp_path):
    _sc, inputs, plan, _more = small
    wards = pd.read_csv(io.BytesIO(exports.ward_csv_bytes(plan)), dtype={"ward_code": str})
    assert wards["constables"].tolist() == plan.constables.tolist()
    boroughs = pd.read_csv(io.BytesIO(exports.borough_csv_bytes(plan)))
    assert boroughs["sergeants"].sum() == plan.totals["sergeant"]
    gpkg = tmp_path / "a.gpkg"
    gpkg.write_bytes(exports.gpkg_bytes(plan, inputs.layer))
    import pyogrio

    frame = pyogrio.read_dataframe(gpkg, layer="wards")
    assert len(frame) == 24 and frame.crs.to_epsg() == 27700
    assert frame["pcsos"].tolist() == plan.pcsos.tolist()
    again = load_scenario_text(exports.scenario_yaml_bytes(plan.scenario), tmp_path)
    assert again.digest() == plan.scenario.digest()
    with zipfile.ZipFile(io.BytesIO(exports.bundle_zip_bytes(plan, inputs.layer))) as zf:
        assert sorted(zf.namelist()) == [
            "allocation.csv", "allocation.gpkg", "boroughs.csv", "equity.csv", "hotspot_teams.csv", "scenario.yaml",
            "summary.json",
        ]  # fmt: skip
        assert json.loads(zf.read("summary.json"))["totals"] == plan.totals
    base = exports.write_baseline_csv(inputs.wards.codes, plan.constables, plan.pcsos, tmp_path / "b.csv")
    assert pd.read_csv(base)["pcsos"].tolist() == plan.pcsos.tolist()
    assert exports.file_stem("demo: PCSOs 1,300 → 2,900") == "demo-pcsos-1-300-2-900"


def load_scenario_text(data: bytes, folder):
    path = folder / "s.yaml"
    path.write_bytes(data)
    return load_scenario(path)


# ------------------------------------------------------------------------ web map
def test_base_map_and_deck(small):
    _sc, inputs, plan, _more = small
    bm = base_map(inputs.layer)
    assert len(bm.wards["features"]) == 24
    assert [f["properties"]["ward_code"] for f in bm.wards["features"]] == list(inputs.wards.codes)
    assert len(bm.boroughs["features"]) == 3 and len(bm.bcus["features"]) == 2
    w, s, e, n = bm.bounds[ALL]
    for name, (w2, s2, e2, n2) in bm.bounds.items():
        assert w <= w2 <= e2 <= e and s <= s2 <= n2 <= n, name
    view = layers.layer_view("constables", inputs.wards, plan)
    deck = ward_map(bm, view.colours, [{}] * 24, view=view_for(bm.bounds[ALL]), selected=2)
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == ["wards", "boroughs", "bcus", "selected"]
    assert spec.get("mapStyle") in (None, "__MAP_STYLE__") and spec.get("mapProvider") is None
    fills = [f["properties"]["fill"] for f in spec["layers"][0]["data"]["features"]]
    assert fills == view.colours.tolist()


@pytest.mark.parametrize("size", [(900, 600), (400, 800)])
def test_view_fits_the_bounds(size):
    bounds = (-0.51, 51.28, 0.33, 51.69)
    width, height = size
    v = view_for(bounds, width, height, padding=0.0)
    width_px = (bounds[2] - bounds[0]) / 360 * 512 * 2 ** v["zoom"]

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    height_px = (merc(bounds[3]) - merc(bounds[1])) / (2 * math.pi) * 512 * 2 ** v["zoom"]
    assert width_px <= size[0] + 1e-6 and height_px <= size[1] + 1e-6
    assert max(width_px / size[0], height_px / size[1]) == pytest.approx(1.0)
    assert bounds[1] < v["latitude"] < bounds[3] and v["longitude"] == pytest.approx(-0.09)


# ------------------------------------------------------------------------ the package
def test_importing_the_app_starts_no_thread_and_edits_no_path():
    """The app is a plain package: importing every module of it starts no thread pool and leaves sys.path alone."""
    import subprocess
    import sys

    code = (
        "import sys, threading, pkgutil, importlib\n"
        "before = list(sys.path)\n"
        "import planner.app\n"
        "for m in pkgutil.walk_packages(planner.app.__path__, 'planner.app.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(threading.active_count(), sys.path == before)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["1", "True"], run.stderr[-2000:]


def test_a_route_per_page_module():
    import pkgutil

    from planner.app import pages, routes

    modules = {m.name for m in pkgutil.iter_modules(pages.__path__)}
    assert {r.render.__module__.rsplit(".", 1)[1] for r in routes.ROUTES} == modules
    assert [r.path for r in routes.ROUTES if r.default] == ["map"]


# ------------------------------------------------------------------------ your area
def test_area_figures_recomputed_from_the_plan(small):
    from planner.app import area as area_mod

    _sc, _inputs, plan, more = small
    wards = plan.wards
    options = area_mod.areas(wards)
    assert next(iter(options)) == area_mod.ALL_WARDS.key
    assert sum(k.startswith("borough:") for k in options) == wards.n_boroughs
    b = 1
    name = str(wards.borough_names[b])
    chosen = options[f"borough:{name}"]
    inside = area_mod.ward_mask(wards, chosen)
    assert inside.tolist() == (np.asarray(wards.borough) == b).tolist()
    totals = area_mod.area_totals(plan, chosen)
    assert totals.constables == int(plan.constables[wards.borough == b].sum())
    assert totals.sergeants == int(plan.sergeants[b]) and totals.inspectors == int(plan.inspectors[b])
    c = plan.workforce.annual_cost
    cost = (
        totals.constables * c[0] + totals.pcsos * c[1] + int(plan.sergeants[b]) * c[2] + int(plan.inspectors[b]) * c[3]
    )
    assert totals.cost == pytest.approx(cost)
    table = area_mod.area_figures(more, chosen, layers.PlanView.of(plan, "before")).set_index("Figure")
    dx = int(more.constables[inside].sum() - plan.constables[inside].sum())
    assert table.loc["Constables", "Change"] == ("no change" if dx == 0 else f"{dx:+,}")
    assert table.loc["Wards", "Value"] == f"{int(inside.sum()):,}"
    # a BCU is the sum of its boroughs; all wards is everything
    bcu = str(wards.borough_bcu[b])
    in_bcu = np.asarray(wards.borough_bcu).astype(str) == bcu
    assert area_mod.area_totals(plan, options[f"bcu:{bcu}"]).sergeants == int(plan.sergeants[in_bcu].sum())
    assert area_mod.area_totals(plan, area_mod.ALL_WARDS).pcsos == int(plan.pcsos.sum())
    # a baseline file knows constables and PCSOs only: no change is claimed for the rest
    base = layers.PlanView("baseline", plan.constables, plan.pcsos)
    table = area_mod.area_figures(more, chosen, base).set_index("Figure")
    assert table.loc["Sergeants", "Change"] == "" and table.loc["Pay cost", "Change"] == ""


def test_gains_and_losses_per_rank(small):
    _sc, _inputs, plan, more = small
    table = metrics.gains_and_losses(plan, more).set_index("Rank")
    d = np.asarray(more.pcsos) - np.asarray(plan.pcsos)
    assert table.loc["PCSOs", "Gained"] == f"+{int(d[d > 0].sum()):,} in {int((d > 0).sum()):,} wards"
    assert table.loc["PCSOs", "Net"] == f"{int(d.sum()):+,}"
    s = np.asarray(more.sergeants) - np.asarray(plan.sergeants)
    assert table.loc["Sergeants", "Lost"] == f"-{int(-s[s < 0].sum()):,} in {int((s < 0).sum()):,} boroughs"


def test_excel_export_has_units_and_the_plan(small):
    _sc, _inputs, plan, _more = small
    data = exports.xlsx_bytes(plan, months=24, harm_unit="CCHI days")
    book = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(book)[:3] == ["Summary", "Boroughs", "Wards"]
    hot = int(plan.ward_table()["hotspot_constables"].sum())
    assert ("Hotspot teams" in book) == (hot > 0)  # the second tier of constables, when the plan has one
    if hot:
        assert int(book["Hotspot teams"]["Constables (people)"].sum()) == hot
        assert int(book["Boroughs"]["Flexible constables in hotspot teams (people)"].sum()) == hot
    wards = book["Wards"]
    assert int(wards["Constables (people)"].sum()) == int(plan.constables.sum())
    assert wards["Recorded crime (offences a year)"].sum() == pytest.approx(
        float(plan.wards.demand.sum()) / 2, rel=1e-3
    )
    assert "Harm (CCHI days a year)" in wards.columns
    boroughs = book["Boroughs"]
    assert boroughs["Pay cost (£ a year)"].sum() == pytest.approx(plan.borough_table()["cost"].sum(), abs=len(boroughs))
    summary = book["Summary"].set_index("Figure")
    assert summary.loc["Pay cost", "Unit"] == "£ a year"
    # one cost basis: everyone in post is paid, those the plan cannot deploy included
    idle = sum(n * float(plan.workforce.annual_cost[k]) for k, n in enumerate(plan.not_deployed.values()))
    in_post = summary["Value"].loc["Pay cost of everyone in post (those not deployed included)"]
    assert float(in_post) == pytest.approx(plan.cost_annual + idle, abs=1)
    assert int(summary["Value"].loc["Sergeants in post, not deployed"]) == plan.not_deployed["sergeant"]
    assert str(summary.loc["How close to the best plan", "Value"]).startswith("proved")


def test_a_download_that_cannot_be_made_says_why():
    def broken() -> bytes:
        raise OSError("disk full")

    item = exports.prepare("plan.zip", broken)
    assert item.data is None and item.error == "plan.zip could not be made: OSError: disk full"
    assert exports.prepare("empty.csv", lambda: b"").error == "empty.csv came out empty; please report this"
    assert exports.prepare("ok.csv", lambda: b"a,b\n").data == b"a,b\n"
