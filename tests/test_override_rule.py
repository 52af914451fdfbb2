"""The overrides rule: locked wards get exactly their numbers, every override is recomputed from the written
outputs, conflicting overrides are errors naming the line, and the check catches a plan that breaks one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.api import load_inputs, prepare, solve
from planner.errors import DataError
from planner.problem import Deployment
from planner.report.outputs import write_plan
from planner.rules import RuleKey, check_plan, rule
from planner.rules.overrides import OverridesRule, override_params
from planner.scenario import Scenario, load_scenario

SMALL = {
    "data.synthetic.wards": 40,
    "data.synthetic.boroughs": 4,
    "data.synthetic.bcus": 2,
    # few enough people that the locks bind against what the solver would choose
    "workforce.constable.headcount": 300,
    "workforce.pcso.headcount": 100,
}


@pytest.fixture(scope="module")
def base(scenarios_dir: Path) -> Scenario:
    return load_scenario(scenarios_dir / "demo.yaml").with_changes(SMALL)


@pytest.fixture(scope="module")
def rule_dir(test_data_dir: Path) -> Path:
    return test_data_dir / "overrides" / "rule"


@pytest.fixture(scope="module")
def solved(base: Scenario, rule_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    path = rule_dir / "locks.csv"
    scenario = base.with_changes({"data.overrides": str(path)})
    plan = solve(scenario)
    out = tmp_path_factory.mktemp("override-plan")
    write_plan(plan, out)
    return scenario, plan, out, path


def _file(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"ward_code": str}, keep_default_na=True)


def test_locked_wards_get_exactly_their_numbers(solved, base: Scenario) -> None:
    _, plan, _, path = solved
    rows = _file(path).set_index("ward_code")
    codes = list(plan.wards.codes)
    for code in ("X05000036", "X05000010"):
        w = codes.index(code)
        assert plan.constables[w] == rows["constables_min"].loc[code] == rows["constables_max"].loc[code]
        assert plan.pcsos[w] == rows["pcsos_min"].loc[code] == rows["pcsos_max"].loc[code]
    # the locks bind: without them the solver chooses other numbers for these wards
    free = solve(base)
    w_busy, w_quiet = codes.index("X05000036"), codes.index("X05000010")
    assert free.constables[w_busy] > 3
    assert free.constables[w_quiet] < 9
    assert plan.gap <= 1e-4
    assert all(plan.check().values())


def test_every_override_recomputed_from_the_outputs(solved) -> None:
    """allocation.csv and summary.json against the overrides file, with plain pandas (no planner code)."""
    _, _, out, path = solved
    rows = _file(path)
    alloc = pd.read_csv(out / "allocation.csv", dtype={"ward_code": str}).set_index("ward_code")
    summary = json.loads((out / "summary.json").read_text())
    row: Any  # a row of the overrides file: pandas-stubs cannot know its columns' types
    for row in rows.itertuples(index=False):
        got = alloc.loc[row.ward_code]
        for col, value in (("constables", got["constables"]), ("pcsos", got["pcsos"])):
            low = getattr(row, f"{col}_min")
            high = getattr(row, f"{col}_max")
            assert pd.isna(low) or value >= low, (row.ward_code, col)
            assert pd.isna(high) or value <= high, (row.ward_code, col)
        assert got["override_reason"] == row.reason
        assert isinstance(got["override"], str) and got["override"]
    # wards without an override have blank override columns
    others = alloc.drop(index=list(rows["ward_code"]))
    assert others["override"].isna().all() and others["override_reason"].isna().all()
    block = summary["overrides"]
    assert block["count"] == len(rows) == len(block["wards"])
    by_code = {item["ward_code"]: item for item in block["wards"]}
    for row in rows.itertuples(index=False):
        item = by_code[row.ward_code]
        assert item["reason"] == row.reason
        assert item["constables"] == alloc.loc[row.ward_code, "constables"]
        assert item["pcsos"] == alloc.loc[row.ward_code, "pcsos"]
        for col in ("constables_min", "constables_max", "pcsos_min", "pcsos_max"):
            value = getattr(row, col)
            assert item[col] == (None if pd.isna(value) else int(value))
        assert item["held"] is True
    assert [item["line"] for item in block["wards"]] == [2, 3, 4, 5]
    assert summary["checks"]["overrides"] is True
    # every override with a bound is explained by name and reason where it holds the plan
    said = " ".join(summary["binding"]["ward overrides"])
    for row in rows.itertuples(index=False):
        if not pd.isna(row.constables_min) and row.constables_min == row.constables_max:
            assert f"({row.reason})" in said
            assert alloc["ward_name"].loc[row.ward_code] in said


def test_exclude_need_row_keeps_its_bound(solved) -> None:
    _, plan, _, _ = solved
    w = list(plan.wards.codes).index("X05000020")
    assert plan.constables[w] <= 4
    assert plan.wards.crime_excluded is not None and plan.wards.crime_excluded[w]


def test_check_catches_a_plan_that_breaks_an_override(solved) -> None:
    _, plan, _, _ = solved
    prob = plan.problem
    par = override_params(prob)
    assert par is not None
    w = list(plan.wards.codes).index("X05000010")
    x = plan.constables.copy()
    x[w] += 1
    bad = Deployment(x, plan.pcsos, plan.sergeants, plan.inspectors)
    (found,) = rule(RuleKey.OVERRIDES).check(prob, bad)
    assert not found.ok
    assert "Whitthorpe Gardens has 10 constables" in found.detail
    assert "locked at 9 constables" in found.detail
    assert check_plan(prob, x, plan.pcsos, plan.sergeants, plan.inspectors)["overrides"] is False


def test_no_overrides_no_rule(base: Scenario) -> None:
    inputs, _, prob = prepare(base)
    assert inputs.wards.overrides is None
    assert override_params(prob) is None
    assert OverridesRule().check(prob, Deployment(prob.lo_x, prob.lo_p, prob.min_sergeants, prob.min_inspectors)) == []


@pytest.mark.parametrize(
    ("name", "changes", "messages"),
    [
        (
            "min_above_tiers.csv",
            {},
            [
                r"line 3 \(\w[^)]*\): constables_min 28 is above what a ward may hold under rules\.tiers "
                r"\(6 ward officers and 21 from hotspot teams\), 27",
                r"line 4 \(\w[^)]*\): pcsos_min 9 is above the ward PCSO ceiling "
                r"\(rules\.tiers\.ward_pcso_ceiling\), 8",
            ],
        ),
        (
            "min_above_headcount.csv",
            {},
            [r"line 3: pcsos_min 301 is above the 100 PCSOs in post \(workforce\.pcso\.headcount\)"],
        ),
        (
            "max_below_floor.csv",
            {},
            [
                r"line 2 \(\w[^)]*\): constables_max 1 is below the ward floor \(rules\.ward_floor\.constable\), 2",
                r"line 2 \(\w[^)]*\): pcsos_max 0 is below the ward floor \(rules\.ward_floor\.pcso\), 1",
            ],
        ),
        (
            "locks.csv",
            {"rules.ward_cap.constable": 8},
            [
                r"line 3 \(Whitthorpe Gardens\): constables_min 9 is above the ward cap "
                r"\(rules\.ward_cap\.constable\), 8"
            ],
        ),
    ],
)
def test_conflicting_overrides_name_the_line(
    base: Scenario, rule_dir: Path, tmp_path: Path, name: str, changes: dict[str, object], messages: list[str]
) -> None:
    path = tmp_path / name
    shutil.copy(rule_dir / name, path)
    scenario = base.with_changes({"data.overrides": str(path), **changes})
    with pytest.raises(DataError) as info:
        solve(scenario)
    text = str(info.value)
    assert name in text
    for pattern in messages:
        assert re.search(pattern, text), (pattern, text)


def test_describe_in_plain_words(solved) -> None:
    _, plan, _, _ = solved
    alloc = plan.ward_table().set_index("ward_code")
    assert alloc.loc["X05000036", "override"] == "locked at 3 constables; locked at 1 PCSOs"
    assert alloc.loc["X05000020", "override"] == "at most 4 constables; own crime left out of need"
    assert alloc.loc["X05000005", "override"] == "at least 12 constables; at least 3 PCSOs"
    assert np.all(alloc.drop(index=["X05000036", "X05000010", "X05000020", "X05000005"])["override"] == "")


def test_app_ward_sheet_shows_overrides_and_tiers(solved) -> None:
    from planner.app.exports import ward_sheet

    _, plan, _, path = solved
    sheet = ward_sheet(plan).set_index("Ward code")
    rows = _file(path).set_index("ward_code")
    for code, reason in rows["reason"].items():
        assert sheet.loc[str(code), "Reason for the override"] == reason  # the codes are read as text
        assert sheet.loc[str(code), "Override"]
    assert (
        sheet["Ward officers (ring-fenced constables, people)"] + sheet["Hotspot-team constables (people)"]
        == sheet["Constables (people)"]
    ).all()


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 50),
            st.integers(0, 50),  # plan: constables, PCSOs
            st.one_of(st.none(), st.integers(0, 60)),
            st.one_of(st.none(), st.integers(0, 60)),  # constable lo, hi
            st.one_of(st.none(), st.integers(0, 60)),
            st.one_of(st.none(), st.integers(0, 60)),  # PCSO lo, hi
            st.booleans(),  # has a row
        ),
        min_size=1,
        max_size=12,
    )
)
def test_check_equals_a_plain_recount(data: list[tuple]) -> None:
    """The rule's check and held flags against a recount by hand, over random bounds and plans (extremes too)."""
    from planner.inputs.overrides import NONE
    from planner.rules.overrides import OverrideParams

    n = len(data)

    def arr(k: int) -> np.ndarray:
        return np.array([NONE if (d[k] is None or not d[6]) else d[k] for d in data], dtype=np.int64)

    par = OverrideParams(
        lo_x=arr(2), hi_x=arr(3), lo_p=arr(4), hi_p=arr(5),
        has_row=np.array([d[6] for d in data]), exclude=np.zeros(n, dtype=bool),
        reason=np.array(["why"] * n, dtype=object),
        names=np.array([f"W{k}" for k in range(n)], dtype=object), line=np.arange(2, n + 2), source="t",
    )  # fmt: skip

    prob = SimpleNamespace(params={RuleKey.OVERRIDES.value: par})
    x = np.array([d[0] for d in data], dtype=np.int64)
    p = np.array([d[1] for d in data], dtype=np.int64)
    plan = Deployment(x, p, np.zeros(1, np.int64), np.zeros(1, np.int64))
    broken = 0
    for d in data:
        if not d[6]:
            continue
        for v, lo, hi in ((d[0], d[2], d[3]), (d[1], d[4], d[5])):
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                broken += 1
                break
    (found,) = OverridesRule().check(prob, plan)  # type: ignore[arg-type]
    assert found.ok == (broken == 0)
    assert found.detail.count(" has ") == min(broken, 5)


def test_real_london_locks_and_caps(london_data_dir: Path, scenarios_dir: Path, tmp_path: Path) -> None:
    """On real London: the West End locked at 16 constables and 4 PCSOs, Heathrow Villages at most 4 constables;
    the written outputs recomputed (every rule, and every override)."""
    from plan_checks import recompute

    london = scenarios_dir / "london-2022.yaml"
    base = load_scenario(london)
    inputs = load_inputs(base, london_data_dir, scenario_dir=scenarios_dir)
    names = list(inputs.wards.names)
    west_end = str(inputs.wards.codes[names.index("West End")])
    heathrow = str(inputs.wards.codes[names.index("Heathrow Villages")])
    path = tmp_path / "overrides.csv"
    path.write_text(
        "ward_code,constables_min,constables_max,pcsos_min,pcsos_max,reason\n"
        f"{west_end},16,16,4,4,locked: one ward team and half a town-centre team\n"
        f"{heathrow},,4,,,the airport is the aviation command's\n"
    )
    scenario = base.with_changes({"data.overrides": str(path)})
    plan = solve(scenario, london_data_dir, scenario_dir=scenarios_dir)
    out = tmp_path / "out"
    write_plan(plan, out)
    recompute(out, scenario)
    alloc = pd.read_csv(out / "allocation.csv", dtype={"ward_code": str}).set_index("ward_code")
    assert [alloc[c].loc[west_end] for c in ("constables", "ward_officers", "hotspot_constables", "pcsos")] == [
        16,
        6,
        10,
        4,
    ]
    assert alloc["constables"].loc[heathrow] <= 4
    assert alloc.loc[west_end, "override_reason"] == "locked: one ward team and half a town-centre team"
    summary = json.loads((out / "summary.json").read_text())
    assert [w["held"] for w in summary["overrides"]["wards"]] == [True, True]
    assert plan.gap <= 1e-4


def test_validate_prints_every_override_and_names_a_conflict(
    scenarios_dir: Path, rule_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from planner import cli

    raw = yaml.safe_load((scenarios_dir / "demo.yaml").read_text())
    raw["data"]["synthetic"].update(wards=40, boroughs=4, bcus=2)
    raw["workforce"]["constable"]["headcount"] = 300
    raw["workforce"]["pcso"]["headcount"] = 100
    shutil.copy(rule_dir / "locks.csv", tmp_path / "locks.csv")
    raw["data"]["overrides"] = "locks.csv"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "override: Whitthorpe Gardens (line 3 of" in err
    assert "locked at 9 constables; locked at 4 PCSOs; reason: locked: judgement addition for a new estate" in err
    assert "at most 4 constables; own crime left out of need; reason: policed by another command" in err
    shutil.copy(rule_dir / "max_below_floor.csv", tmp_path / "locks.csv")
    assert cli.main(["validate", str(path)]) == 2
    assert "line 2 (" in capsys.readouterr().err
