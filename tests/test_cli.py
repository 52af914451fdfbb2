"""The planner command line end to end: outputs recomputed, broken inputs, exit codes, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plan_checks import recompute

from planner import cli
from planner.scenario import load_scenario

CLI_DATA = Path(__file__).parent / "data" / "cli"
REPO = Path(__file__).resolve().parents[1]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_solve_tiny_writes_checked_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["solve", str(CLI_DATA / "tiny.yaml"), "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "allocation.csv", "allocation.gpkg", "boroughs.csv", "summary.json",
    ]  # fmt: skip
    got = recompute(tmp_path, load_scenario(CLI_DATA / "tiny.yaml"))
    summary = got["summary"]
    for key in ("status", "objective", "bound", "gap", "solve_seconds", "seed", "totals", "cost_annual"):
        assert key in summary
    assert summary["scenario"] == "tiny"
    assert len(summary["input_hash"]) == 64
    assert summary["status"] == "optimal"
    # every constable and PCSO is deployed (value grows with capacity and nothing else binds)
    assert summary["totals"]["constable"] == 20 and summary["totals"]["pcso"] == 8


def test_gpkg_has_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyogrio

    assert run(["solve", str(CLI_DATA / "tiny.yaml"), "--out", str(tmp_path)], capsys)[0] == 0
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "allocation.gpkg")]
    assert "wards" in layers
    frame = pyogrio.read_dataframe(tmp_path / "allocation.gpkg", layer="wards")
    assert frame.crs.to_epsg() == 27700
    assert {"constables", "pcsos", "need"} <= set(frame.columns)
    assert int(frame["constables"].sum()) == 20


def test_demo_solves_and_passes_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["solve", str(REPO / "scenarios" / "demo.yaml"), "--out", str(tmp_path)], capsys)
    assert code == 0, err
    got = recompute(tmp_path, load_scenario(REPO / "scenarios" / "demo.yaml"))
    s = got["summary"]
    assert s["status"] == "optimal" and s["gap"] <= 1e-4
    assert len(got["wards"]) == s["wards"] and 600 <= s["wards"] <= 760
    assert s["boroughs"] == 32 and got["wards"]["bcu"].nunique() == 12


def test_same_seed_same_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(REPO / "scenarios" / "demo.yaml")
    for name in ("a", "b"):
        assert run(["solve", scenario, "--out", str(tmp_path / name), "--seed", "7"], capsys)[0] == 0
    a = (tmp_path / "a" / "allocation.csv").read_text()
    b = (tmp_path / "b" / "allocation.csv").read_text()
    assert a == b
    sa = json.loads((tmp_path / "a" / "summary.json").read_text())
    sb = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert sa["seed"] == sb["seed"] == 7 and sa["objective"] == sb["objective"] and sa["input_hash"] == sb["input_hash"]


def test_validate_reports_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["validate", str(CLI_DATA / "tiny.yaml")], capsys)
    assert code == 0 and "OK: 4 wards in 2 boroughs" in err


BROKEN = {
    "broken_malformed.yaml": "malformed YAML",
    "broken_unknown_key.yaml": "solver.speed: unknown key",
    "broken_negative_headcount.yaml": "workforce.pcso.headcount",
    "broken_span_below_one.yaml": "rules.supervision.sergeant_span",
    "broken_no_crs.yaml": "has no CRS",
    "broken_duplicate_codes.yaml": "ward code E05999991 (column 'WD22CD') appears in rows 1, 3",
    "broken_empty_wards.yaml": "is empty",
    "broken_unknown_offence.yaml": "'BICYCLE THEFT'",
    "broken_negative_counts.yaml": "column '202402': value is negative at line 4",
    "broken_empty_crime.yaml": "crime_empty.csv: the file is empty",
    "broken_missing_file.yaml": "file 'no_such_population.csv' not found",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", ["solve", "validate"])
def test_broken_input_exits_2_naming_the_fault(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = [command, str(CLI_DATA / name)] + (["--out", str(out)] if command == "solve" else [])
    code, err = run(args, capsys)
    assert code == 2, err
    assert BROKEN[name] in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing half-written


def test_infeasible_exits_3_with_the_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, err = run(["solve", str(CLI_DATA / "broken_infeasible_floors.yaml"), "--out", str(out)], capsys)
    assert code == 3
    assert "ward floors need 8 constables (2 per ward x 4 wards) but only 5 are available" in err
    assert not out.exists()


def test_failure_while_writing_leaves_out_dir_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("previous run\n")
    import geo.export

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(geo.export, "write_layers", broken)
    code, err = run(["solve", str(CLI_DATA / "tiny.yaml"), "--out", str(out)], capsys)
    assert code == 2 and "disk full" in err
    assert sorted(p.name for p in out.iterdir()) == ["allocation.csv"]
    assert (out / "allocation.csv").read_text() == "previous run\n"


def test_repaired_geometry_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (CLI_DATA / "tiny.yaml").read_text().replace("wards.geojson", "bowtie_wards.geojson")
    import geopandas as gpd
    import shapely

    wards = gpd.read_file(CLI_DATA / "wards.geojson")
    minx, miny, maxx, maxy = wards.geometry.iloc[0].bounds
    bowtie = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    assert not bowtie.is_valid
    wards.loc[0, "geometry"] = bowtie
    wards.to_file(tmp_path / "bowtie_wards.geojson", driver="GeoJSON")
    for name in ("bcu.csv", "crime.csv", "weights.csv", "population.csv"):
        (tmp_path / name).write_bytes((CLI_DATA / name).read_bytes())
    (tmp_path / "s.yaml").write_text(text)
    code, err = run(["solve", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")], capsys)
    assert code == 0, err
    assert "repaired 1 invalid ward geometry" in err and "E05999991" in err


def test_validate_checks_teams_and_finance_blocks_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nteams: {tolerance: -1}\nfinance: {periods: 0}\n")
    code, err = run(["validate", str(path)], capsys)
    assert code == 2
    assert "2 problems" in err and "teams.tolerance" in err and "finance.periods" in err
