"""Team design on hand-made ward grids: every rule rechecked, locks, seeds, spans, broken inputs."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from test_teams_support import check_design, grid_edges, grid_shapes, make_wards

from planner.errors import InfeasibleError, InputError, ScenarioError
from planner.scenario import Supervision
from planner.teams import Workload, design_teams, parse_teams, read_current_map
from planner.teams.spans import assign_inspectors, team_sergeants

DATA = Path(__file__).resolve().parent / "data" / "teams"
SUP = Supervision(sergeant_span=8, inspector_span=6)


def spec(**kw):
    return parse_teams({"time_limit": 0.6, **kw})


def need_work(wards, total=300.0):
    return Workload.from_need(wards.need, total)


# ------------------------------------------------------------------ results


def test_need_mode_grid_all_rules_hold() -> None:
    wards = make_wards()
    shapes = grid_shapes(6, 6, wards.edges)
    design = design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP, shapes=shapes, seed=1)
    check_design(design)
    m = design.metrics()
    assert m["all_contiguous"] and m["max_abs_deviation"] <= 0.15
    assert m["teams"] == design.n_teams == len(design.table())
    assert 0 < m["polsby_popper"]["min"] <= m["polsby_popper"]["max"] <= 1
    # Polsby-Popper from the arithmetic equals 4 pi A / P^2 of the unit-square union
    t0 = design.team_wards(0)
    rook = sum(1 for a, b in wards.edges.tolist() if a in t0 and b in t0 and (b - a in (1, 6)))
    perim = 4000 * len(t0) - 2 * 1000 * rook
    assert design.polsby_popper is not None
    assert design.polsby_popper[0] == pytest.approx(4 * math.pi * 1e6 * len(t0) / perim**2)
    table = design.table()
    assert list(table.columns) == [
        "team_id", "borough", "bcu", "ward_codes", "wards", "need", "constables", "pcsos", "sergeants",
        "inspector_id",
    ]  # fmt: skip
    assert table["constables"].isna().all()  # no allocation in need mode
    assert sorted(";".join(table["ward_codes"]).split(";")) == sorted(wards.codes)


def test_plan_mode_balances_officers_and_sizes_supervisors() -> None:
    wards = make_wards()
    rng = np.random.default_rng(2)
    constables = rng.integers(2, 8, wards.n_wards)
    pcsos = rng.integers(1, 3, wards.n_wards)
    work = Workload.from_plan(wards.need, constables, pcsos, "officers")
    design = design_teams(wards, work, spec(), SUP, seed=4)
    check_design(design)
    assert design.balance_on == "officers"
    table = design.table()
    assert table["constables"].sum() == constables.sum() and table["pcsos"].sum() == pcsos.sum()
    for t in range(design.n_teams):
        sup = constables[design.team_wards(t)].sum() + pcsos[design.team_wards(t)].sum()
        assert design.sergeants[t] == math.ceil(sup / 8)
    ratio = dataclasses.replace(design, ratio_sergeants=np.array([20, 20]), ratio_inspectors=np.array([4, 4]))
    sup = ratio.metrics()["supervisors"]
    assert sup["sergeants_change"] == int(design.sergeants.sum()) - 40
    assert "sergeants_ratio" in ratio.supervisor_table()


def test_same_seed_same_teams_and_outputs() -> None:
    wards = make_wards(seed=8)
    a = design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP, seed=3)
    b = design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP, seed=3)
    assert (a.team_of == b.team_of).all() and a.team_ids == b.team_ids
    assert a.table().equals(b.table())


def test_parallel_workers_give_valid_teams() -> None:
    wards = make_wards(rows=6, cols=9, borough_cols=(3, 3, 3))
    design = design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP, seed=1, workers=2)
    check_design(design)
    assert len(design.boroughs) == 3


def test_locked_team_is_kept_and_others_seeded() -> None:
    wards = make_wards()
    current = read_current_map(DATA / "grid_current.csv", wards, locked=["G-A"])
    design = design_teams(
        wards, need_work(wards), spec(**{"from": "need"}, current="x", locked=["G-A"]), SUP, current=current, seed=2
    )
    check_design(design)
    t = design.team_ids.index("G-A")
    assert sorted(wards.codes[design.team_wards(t)]) == ["E05000000", "E05000001", "E05000006", "E05000007"]
    assert design.team_locked[t] and design.metrics()["locked_teams"] == 1
    assert "G-B" not in design.team_ids  # unlocked current teams only seed the search


def test_river_splits_a_borough_into_pieces() -> None:
    """A borough cut in two by a river: teams never cross it, and the count grows to reach both banks."""
    edges = grid_edges(4, 6, queen=True)
    west = lambda v: v % 6 <= 2  # noqa: E731
    keep = np.array([west(a) == west(b) for a, b in edges.tolist()])
    wards = make_wards(rows=4, cols=6, borough_cols=(6,), edges=edges[keep])
    design = design_teams(wards, need_work(wards, 60), spec(**{"from": "need"}, size={"teams_per_borough": 1}), SUP)
    check_design(design)
    assert design.n_teams >= 2
    for t in range(design.n_teams):
        assert len({west(int(v)) for v in design.team_wards(t)}) == 1
    assert any("instead of 1" in n for n in design.notes)


def test_sizing_rules() -> None:
    wards = make_wards()
    by_wards = design_teams(wards, need_work(wards), spec(**{"from": "need"}, size={"wards_per_team": 6}), SUP)
    assert by_wards.n_teams == 6
    fixed = spec(**{"from": "need"}, size={"teams_per_borough": {"E09000000": 2}, "adjust": False})
    design = design_teams(wards, need_work(wards), fixed, SUP)
    assert (design.team_borough == 0).sum() == 2
    check_design(design)


def test_spans_arithmetic() -> None:
    assert team_sergeants(np.array([0.0, 8.0, 8.01, 17.0]), 8).tolist() == [1, 1, 2, 3]
    adjacent = [{1}, {0, 2}, {1}, set()]
    ids = assign_inspectors(np.array([4, 2, 4, 13]), np.array([0, 0, 0, 0]), adjacent, 6, ["B"])
    assert ids[3] == ("B-I01", "B-I02", "B-I03")  # 13 sergeants need three inspectors of their own
    assert ids[0] == ids[1] != ids[2]  # 4 + 2 fill one inspector; the neighbour 4 needs another


# -------------------------------------------------------------- broken input


def test_island_is_named() -> None:
    edges = grid_edges(6, 6, queen=True)
    edges = edges[(edges != 35).all(axis=1)]
    wards = make_wards(edges=edges)
    with pytest.raises(InputError, match=r"islands.*Ward 35 \(E05000035\)"):
        design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP)


def test_ward_cut_off_from_its_borough_is_named() -> None:
    wards = make_wards(rows=1, cols=3, borough_cols=(3,), edges=np.array([[0, 1], [1, 2]]))
    wards = dataclasses.replace(wards, borough=np.array([0, 1, 0]), borough_codes=np.array(["A", "B"]),
                                borough_names=np.array(["A", "B"]), borough_bcu=np.array(["X", "X"]))  # fmt: skip
    with pytest.raises(
        InputError, match=r"no neighbour in their own borough: Ward 0 \(E05000000\), Ward 1 \(E05000001\), Ward 2"
    ):
        design_teams(wards, need_work(wards), spec(**{"from": "need"}), SUP)


def test_impossible_tolerance_names_the_heavy_ward() -> None:
    need = np.ones(36)
    need[14] = 9.0
    wards = make_wards(need=need)
    strict = spec(**{"from": "need"}, tolerance=0.1, balance_target=0.0, size={"teams_per_borough": 4, "adjust": False})
    with pytest.raises(InfeasibleError, match=r"Borough 0: ward\(s\) Ward 14 \(E05000014\) alone carry"):
        design_teams(wards, need_work(wards), strict, SUP)
    relaxed = design_teams(wards, need_work(wards), spec(**{"from": "need"}, tolerance=0.1), SUP)
    check_design(relaxed)
    assert any(n.startswith("Borough 0:") for n in relaxed.notes)


def test_unreachable_balance_is_infeasible() -> None:
    """Contiguity makes the tolerance impossible on a path: proven by CP-SAT, named in the error."""
    edges = grid_edges(1, 4)
    wards = make_wards(rows=1, cols=4, borough_cols=(4,), edges=edges, need=np.array([1.0, 3.0, 1.0, 1.0]))
    strict = spec(**{"from": "need"}, tolerance=0.1, balance_target=0.0, size={"teams_per_borough": 2, "adjust": False})
    with pytest.raises(InfeasibleError, match=r"Borough 0: no split.*proven infeasible.*Ward 1 \(E05000001\)"):
        design_teams(wards, need_work(wards), strict, SUP)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("grid_locked_split.csv", r"locked team 'G-A' is not contiguous.*\[Ward 0 \(E05000000\)\]; \[Ward 2"),
        ("grid_unknown_ward.csv", r"not among the planned wards: E05000099 \(row 4\)"),
        ("grid_duplicate_ward.csv", r"row 4: ward E05000000 is listed again \(first on row 2\)"),
        ("grid_cross_borough.csv", r"team 'G-A' spans boroughs Borough 0, Borough 1"),
        ("grid_missing_columns.csv", r"missing column\(s\) ward_code, team_id"),
    ],
)
def test_broken_team_maps(name: str, message: str) -> None:
    wards = make_wards()
    with pytest.raises(InputError, match=message) as err:
        read_current_map(DATA / name, wards, locked=["G-A"])
    assert name in str(err.value)


def test_locked_team_missing_from_map() -> None:
    with pytest.raises(InputError, match=r"teams\.locked names team 'NOPE'"):
        read_current_map(DATA / "grid_current.csv", make_wards(), locked=["NOPE"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"tolerance": 1.5}, "teams.tolerance: Input should be less than 1"),
        ({"colour": "red"}, "teams.colour: unknown key"),
        ({"tolerance": 0.1, "balance_target": 0.2}, "balance_target .* must not exceed tolerance"),
        ({"locked": ["A"]}, "locked teams need a current team map"),
        ({"size": {"wards_per_team": 3, "sergeants_per_team": 2}}, "teams.size: set only one of"),
        ({"size": {"teams_per_borough": 0}}, "teams_per_borough must be at least 1"),
        ({"from": "need", "balance": "officers"}, "balance 'officers' needs an allocation"),
        ({"method": "magic"}, "teams.method"),
    ],
)
def test_spec_errors_are_prefixed(raw: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_teams(raw)


def test_spec_defaults() -> None:
    s = parse_teams(None)
    assert s.from_ == "plan" and s.balance_on == "officers" and s.tolerance == 0.15
    assert parse_teams({"from": "need"}).balance_on == "need"
