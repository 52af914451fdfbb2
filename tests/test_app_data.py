"""The Data page in AppTest: data folder, uploads (good and broken), scenario files; real London if present."""

from __future__ import annotations

import pytest
from app_testing import APP_DATA, assert_ok, goto, metric, start_app, texts


@pytest.fixture
def at(monkeypatch):
    app = start_app(monkeypatch)
    goto(app, "data").run()
    assert_ok(app)
    return app


def _upload(at, wards: str, crime: str):
    at.file_uploader(key="d_bounds").set_value((wards, (APP_DATA / wards).read_bytes(), "application/geo+json"))
    at.file_uploader(key="d_crime").set_value((crime, (APP_DATA / crime).read_bytes(), "text/csv"))
    at.run()
    at.button(key="d_check").click().run()
    assert_ok(at)
    return texts(at)


def test_demo_data_described(at):
    assert metric(at, "Wards").value == "680"
    assert metric(at, "BCUs").value == "12"


def test_good_uploads_plan_on_them(at):
    page = _upload(at, "wards_small.geojson", "crime_small.csv")
    assert "6 wards in 2 boroughs" in page
    assert "294 offences in 6 wards over 3 months" in page
    next(b for b in at.button if b.label == "Plan on the uploaded data").click().run()
    assert_ok(at)
    plan = at.session_state["planner"].current.plan
    assert plan.wards.n_wards == 6
    assert plan.scenario.name == "uploaded"
    assert plan.check() and all(plan.check().values())
    assert at.selectbox(key="w_start").value == "uploaded (this session)"


@pytest.mark.parametrize(
    ("wards", "crime", "message"),
    [
        ("wards_not_json.geojson", "crime_small.csv", "cannot be read as GeoJSON"),
        (
            "wards_duplicate_code.geojson",
            "crime_small.csv",
            "ward code E05999901 (column 'WD22CD') appears in rows 1, 2",
        ),
        ("wards_small.geojson", "crime_bad_month.csv", "column '2024-02' is not a month"),
        ("wards_small.geojson", "crime_other_wards.csv", "no ward code is in both files"),
    ],
)
def test_broken_uploads_give_clear_errors(at, wards, crime, message):
    page = _upload(at, wards, crime)
    assert message in page
    assert "Plan on the uploaded data" not in [b.label for b in at.button]
    assert metric(at, "Wards").value == "680"  # the plan in use is untouched


def test_wrong_column_names_named(at):
    at.text_input(key="d_wc").set_value("WARDCODE")
    page = _upload(at, "wards_small.geojson", "crime_small.csv")
    assert "column 'WARDCODE' (the ward code column) not found" in page


def test_data_folder_that_does_not_exist(at, tmp_path):
    at.text_input(key="d_folder").set_value(str(tmp_path / "nowhere")).run()
    next(b for b in at.button if b.label == "Use this folder").click().run()
    assert_ok(at)
    assert "is not a folder on this machine" in texts(at)
    assert at.session_state["planner"].data_dir is None


def test_london_scenario_without_data_folder_explains(monkeypatch):
    app = start_app(monkeypatch, scenario="london-2022.yaml")
    page = texts(app)
    assert "give the data folder on the Data page" in page


@pytest.mark.parametrize(
    ("name", "message"),
    [("scenario_bad.yaml", "malformed YAML"), ("scenario_unknown_key.yaml", "workforce.pcsos: unknown key")],
)
def test_broken_scenario_file(at, name, message):
    at.file_uploader(key="d_yaml").set_value((name, (APP_DATA / name).read_bytes(), "application/x-yaml")).run()
    assert_ok(at)
    assert message in texts(at)


def test_scenario_file_opens(at, scenarios_dir):
    data = (scenarios_dir / "demo.yaml").read_text().replace("name: demo", "name: my-demo").replace("1300", "1400")
    at.file_uploader(key="d_yaml").set_value(("mine.yaml", data.encode(), "application/x-yaml")).run()
    assert "Scenario 'my-demo' read" in texts(at)
    at.button(key="d_open_yaml").click().run()
    assert_ok(at)
    assert metric(at, "Wards").value == "680"
    assert at.session_state["planner"].current.plan.totals["pcso"] == 1400


@pytest.mark.london
def test_real_london_through_the_data_folder(at, london_data_dir):
    at.text_input(key="d_folder").set_value(str(london_data_dir)).run()
    next(b for b in at.button if b.label == "Use this folder").click().run()
    assert_ok(at)
    next(b for b in at.button if b.label.startswith("Plan on real London")).click().run()
    assert_ok(at)
    assert metric(at, "Wards").value == "679"
    assert metric(at, "BCUs").value == "12"
    plan = at.session_state["planner"].current.plan
    assert plan.scenario.name == "london-2022" and all(plan.check().values())
    at.slider(key="w_sergeant_span").set_value(8.5).run()
    assert_ok(at)
    assert at.session_state["planner"].current.plan.scenario.rules.supervision.sergeant_span == 8.5
    at.selectbox(key="w_harm_scheme").set_value("Offence counts (every offence weighs 1)").run()
    assert_ok(at)
    assert at.session_state["planner"].current.plan.scenario.data.harm.weights is None
