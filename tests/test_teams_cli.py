"""``planner teams`` end to end on a small synthetic city: outputs rechecked from the files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pandas as pd
import pyogrio
import pytest

from planner.cli import main
from planner.inputs.loader import load_inputs
from planner.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "teams"


def run(name: str, out: Path, *extra: str) -> int:
    return main(["teams", str(DATA / name), "--out", str(out), "--time-limit", "2", *extra])


@pytest.fixture(scope="module")
def small_edges() -> tuple[list[str], list[tuple[str, str]]]:
    inputs = load_inputs(load_scenario(DATA / "small_city.yaml"), scenario_dir=DATA)
    codes = inputs.wards.codes.tolist()
    return codes, [(codes[i], codes[j]) for i, j in inputs.wards.edges.tolist()]


def test_teams_from_plan_written_and_rechecked(tmp_path: Path, small_edges, capsys) -> None:
    assert run("small_city.yaml", tmp_path) == 0
    err = capsys.readouterr().err
    assert "all contiguous: True" in err and "Traceback" not in err
    teams = pd.read_csv(tmp_path / "teams.csv")
    assert list(teams.columns) == [
        "team_id", "borough", "bcu", "ward_codes", "wards", "need", "constables", "pcsos", "sergeants",
        "inspector_id",
    ]  # fmt: skip
    codes, edges = small_edges
    members = {t: c.split(";") for t, c in zip(teams["team_id"], teams["ward_codes"])}
    assert sorted(c for m in members.values() for c in m) == sorted(codes)  # every ward exactly once
    g = nx.Graph(edges)
    for t, m in members.items():
        assert nx.is_connected(g.subgraph(m)), t
    # spans from the written numbers
    sup = teams["constables"] + teams["pcsos"]
    assert (teams["sergeants"] == [max(math.ceil(s / 8), 1) for s in sup]).all()
    led: dict[str, float] = {}
    for ids, s in zip(teams["inspector_id"], teams["sergeants"]):
        for i in ids.split(";"):
            led[i] = led.get(i, 0) + s / len(ids.split(";"))
    assert max(led.values()) <= 6
    # team officers add up to the allocation
    alloc = pd.read_csv(tmp_path / "allocation.csv")
    assert teams["constables"].sum() == alloc["constables"].sum()
    for borough, grp in teams.groupby("borough"):
        a = alloc[alloc["borough"] == borough]
        assert grp["pcsos"].sum() == a["pcsos"].sum()
        loads = grp["constables"] + grp["pcsos"]
        assert (abs(loads / loads.mean() - 1) <= 0.15 + 1e-9).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    m = summary["teams"]
    assert m["all_contiguous"] and m["max_abs_deviation"] <= 0.15 and m["teams"] == len(teams)
    assert m["spans"]["max_supervisees_per_sergeant"] <= 8
    assert m["supervisors"]["sergeants_teams"] == teams["sergeants"].sum()
    boroughs = pd.read_csv(tmp_path / "boroughs.csv")
    assert boroughs["sergeants"].sum() == teams["sergeants"].sum()  # joint: supervisors from the teams
    assert {"sergeants_ratio", "inspectors_ratio", "teams"} <= set(boroughs.columns)
    layers = dict(pyogrio.list_layers(tmp_path / "allocation.gpkg"))
    assert {"wards", "teams"} <= set(layers)
    polys = pyogrio.read_dataframe(tmp_path / "allocation.gpkg", layer="teams")
    assert len(polys) == len(teams) and polys.crs.to_epsg() == 27700
    ward_map = pd.read_csv(tmp_path / "team_wards.csv")
    assert set(ward_map.columns) >= {"ward_code", "team_id"}


def test_need_mode_is_deterministic(tmp_path: Path) -> None:
    assert run("need_only.yaml", tmp_path / "a", "--seed", "4") == 0
    assert run("need_only.yaml", tmp_path / "b", "--seed", "4") == 0
    a, b = (pd.read_csv(tmp_path / x / "teams.csv") for x in ("a", "b"))
    assert a.equals(b)
    assert a["constables"].isna().all()
    assert not (tmp_path / "a" / "allocation.csv").exists()


def test_locked_team_kept(tmp_path: Path) -> None:
    assert run("locked_ok.yaml", tmp_path) == 0
    teams = pd.read_csv(tmp_path / "teams.csv").set_index("team_id")
    current = pd.read_csv(DATA / "current_ok.csv")
    want = sorted(current.loc[current["team_id"] == "X09000001-T01", "ward_code"])
    assert sorted(teams["ward_codes"].loc["X09000001-T01"].split(";")) == want


@pytest.mark.parametrize(
    ("name", "code", "needles"),
    [
        ("bad_teams.yaml", 2, ["teams.tolerance: Input should be less than 1", "teams.colour: unknown key"]),
        ("locked_split.yaml", 2, ["locked team 'OLD-A' is not contiguous", "Barkwick Town (X05000001)"]),
        ("infeasible.yaml", 3, ["Elmton Wharf (X05000070) alone carry more than a team may"]),
    ],
)
def test_bad_input_exit_codes_and_nothing_written(tmp_path: Path, capsys, name: str, code: int, needles) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "teams.csv").write_text("old\n")
    assert run(name, out) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    assert sorted(p.name for p in out.iterdir()) == ["teams.csv"]
    assert (out / "teams.csv").read_text() == "old\n"
