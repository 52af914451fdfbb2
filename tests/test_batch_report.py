"""``planner report``: the options table, what limits each plan, infeasible runs, plots, human words."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from batch_helpers import DATA, FAKE
from hypothesis import given
from hypothesis import strategies as st

from planner.batch.binding import binding_rule
from planner.batch.cli import main
from planner.batch.labels import describe_params, label, value_text
from planner.batch.plots import roles
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import load_sweep

PNG = b"\x89PNG\r\n\x1a\n"
DOTTED = re.compile(r"\b(workforce|rules|objective|solver|need|data)\.[a-z_]+")


@pytest.fixture
def limits(tmp_path):
    db = tmp_path / "b.sqlite"
    sweep = load_sweep(DATA / "tiny-limits.yaml")
    with Store(db) as store:
        run_batch(sweep, store, workers=1, **FAKE)
    return db, sweep


def _run(status="ok", **kw):
    row = {"status": status, "constables": 300, "pcsos": 100, "sergeants": 50, "inspectors": 9,
           "available_constables": 300, "available_pcsos": 100, "available_sergeants": 80,
           "available_inspectors": 20, "budget": None, "cost_annual": 3e7, "error": None}  # fmt: skip
    row.update(kw)
    return row


def test_what_limits_a_plan_is_read_from_deployed_and_available():
    assert binding_rule(_run())[0] == "headcount"
    cat, text = binding_rule(_run(pcsos=40, sergeants=80), sergeant_span=6)
    assert cat == "sergeants"
    assert text == "80 sergeants cap the deployment at a span of 6 officers per sergeant: 60 PCSOs stay undeployed"
    cat, text = binding_rule(_run(pcsos=40, budget=3e7 + 10_000), cheapest_officer=44_000)
    assert cat == "budget" and text.startswith("the £30.0m budget caps the deployment: 60 PCSOs")
    assert binding_rule(_run(pcsos=40, budget=3e7 + 50_000), cheapest_officer=44_000)[0] == "caps"
    cat, text = binding_rule(_run(pcsos=40, constables=290, sergeants=80, inspectors=20))
    assert cat == "sergeants" and "and 20 inspectors cap" in text and "10 constables and 60 PCSOs" in text
    assert binding_rule(_run("infeasible", error="ward floors need 80 constables\nmore"))[1] == (
        "ward floors need 80 constables"
    )
    assert binding_rule(_run("failed", error=None)) == ("failed", "no reason stored")


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 100), st.integers(0, 100))
def test_a_plan_with_everyone_deployed_is_limited_by_the_headcount_and_never_otherwise(c, p, s, extra):
    row = _run(constables=c, pcsos=p, sergeants=s, available_constables=c + extra, available_pcsos=p,
               available_sergeants=s)  # fmt: skip
    category, text = binding_rule(row)
    assert (category == "headcount") == (extra == 0)
    assert not DOTTED.search(text)


def test_the_report_lists_options_limits_and_infeasible_runs_in_words(limits, tmp_path):
    db, sweep = limits
    out = tmp_path / "report"
    assert main(["report", str(db), "--out", str(out)]) == 0
    for name in ("cost_vs_need.png", "measures.png", "binding.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name
    md = (out / "report.md").read_text()
    assert not DOTTED.search(md), DOTTED.search(md)  # human labels, never field paths
    assert "| PCSO headcount | Sergeant span of control | Constable headcount | Annual pay cost |" in md
    assert "80 sergeants cap the deployment at a span of 4 officers per sergeant" in md
    assert "all 300 constables and 60 PCSOs are deployed" in md
    assert "## Infeasible runs" in md and "ward floors need 80 constables but only 60" in md
    assert "6 planned, 6 infeasible" in md
    options = pd.read_csv(out / "options.csv")
    assert len(options) == 12 and "What limits the plan" in options.columns
    assert not any(DOTTED.search(c) for c in options.columns)
    # every swept axis is drawn in every figure
    captions = re.findall(r"^\*(.*)\*$", md, flags=re.M)
    assert len(captions) == 3
    for caption in captions:
        for axis in sweep.axes:
            assert label(axis) in caption, (axis, caption)


def test_the_report_of_many_options_lists_the_efficient_ones(tmp_path):
    from batch_helpers import write_sweep

    path = write_sweep(tmp_path, {"workforce.pcso.headcount": list(range(40, 100)), "solver.seed": [1, 2]}, name="m")
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        run_batch(load_sweep(path), store, workers=1, **FAKE)
    assert main(["report", str(db), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "120 options; listed: the" in md and "efficient ones" in md
    assert len(pd.read_csv(tmp_path / "r" / "options.csv")) == 120
    assert "x2" not in md  # the counts of stacked points are on the figure, not in the text


def test_a_batch_without_finished_runs_says_so(tmp_path, capsys):
    from batch_helpers import write_sweep

    path = write_sweep(tmp_path, {"description": ["standin_fault:raise"]}, name="s")
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        run_batch(load_sweep(path), store, workers=1, **FAKE)
    assert main(["report", str(db), "--out", str(tmp_path / "r")]) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_labels_and_values_are_words_with_units():
    assert label("rules.supervision.sergeant_span") == "Sergeant span of control"
    assert value_text("rules.supervision.sergeant_span", 7.0) == "7 officers per sergeant"
    assert value_text("workforce.pcso.headcount", 1700) == "1,700 PCSOs"
    assert value_text("rules.budget", 2.5e8) == "£250.0m"
    assert label("need.weights.harm") == "Need weights: harm"
    assert describe_params({"workforce.sergeant.headcount": 700}) == "Sergeant headcount 700 sergeants"
    for field in ("a.b_c.d_e", "objective.some_new_knob", "x"):
        assert not DOTTED.search(label(field)) and "_" not in label(field)


def test_roles_give_every_axis_a_part():
    r = roles({"a": [1, 2, 3, 4], "b": [1, 2], "c": ["x", "y"], "d": [1, 2, 3], "e": [5, 6]})
    assert r.x == "a" and {r.hue, r.col, r.row, *r.rest} == {"b", "c", "d", "e"}
    assert roles({"a": list(range(50)), "b": list(range(30))}).rest == ("b",)  # too many for lines or panels


# ------------------------------------------------------------------ the equity lens (issue 12)


def _stored_wards(db) -> pd.DataFrame:
    from planner.batch.results import table

    with Store(db, create=False) as store:
        return table(store, "wards")


def test_the_report_gives_officers_per_resident_and_need_in_the_most_and_least_deprived_deciles(limits, tmp_path):
    from batch_standin import load_inputs

    from planner.batch.equity import batch_equity
    from planner.batch.report import write_report

    db, sweep = limits
    out = tmp_path / "report"
    with Store(db, create=False) as store:
        files = write_report(store, out, load=load_inputs)
    assert out / "equity.csv" in files
    md = (out / "report.md").read_text()
    assert "## Who the options serve: deprivation" in md and "Not available" not in md
    assert not DOTTED.search(md)
    # an oracle from the raw ward results and the wards' deciles and populations
    wards = load_inputs(sweep.base).wards
    assert wards.equity is not None
    decile = pd.Series(wards.equity.imd_decile, index=wards.codes)
    pop = pd.Series(wards.population, index=wards.codes)
    need = pd.Series(wards.need, index=wards.codes)
    most, least = int(decile.min()), int(decile.max())
    stored = _stored_wards(db)
    ids = sorted(set(stored["run_id"]))
    assert len(ids) == 6  # every planned option is listed (six are infeasible)
    with Store(db, create=False) as store:
        params: dict[str, dict[str, Any]] = {
            r: {} for r in ids
        }  # the tiny sweep changes no need setting: the base's wards serve every run
        eq = batch_equity(store, sweep.batch_id(), ids, params, load=load_inputs)
    assert eq.available and (eq.most, eq.least) == (most, least) and "synthetic" in eq.source
    figures = eq.runs.set_index("run_id")
    for run_id, rows in stored.groupby("run_id"):
        officers = (rows["constables"] + rows["pcsos"]).to_numpy()
        codes = rows["ward_code"].to_numpy()
        for name, d in (("most", most), ("least", least)):
            inside = (decile.loc[codes] == d).to_numpy()
            per_1000 = 1000 * officers[inside].sum() / pop.loc[codes[inside]].sum()
            per_need = officers[inside].sum() / need.loc[codes[inside]].sum()
            assert figures[f"{name}_officers_per_1000_residents"].loc[run_id] == pytest.approx(per_1000, rel=1e-12)
            assert figures[f"{name}_officers_per_need"].loc[run_id] == pytest.approx(per_need, rel=1e-12)
            assert f"{per_1000:.2f}" in md
        london = 1000 * officers.sum() / pop.sum()
        assert figures["london_officers_per_1000_residents"].loc[run_id] == pytest.approx(london, rel=1e-12)
        # equity.csv: the deciles of a run hold all of its officers
        deciles = eq.deciles[eq.deciles["run_id"] == run_id]
        assert deciles["officers"].sum() == officers.sum() and deciles["wards"].sum() == len(codes)
    written = pd.read_csv(out / "equity.csv")
    assert set(written["run_id"]) == set(ids) and (written["grouping"] == "imd_decile").all()


def test_the_report_says_plainly_when_equity_figures_are_not_available(tmp_path):
    from batch_helpers import write_sweep
    from batch_standin import load_inputs

    from planner.batch.report import write_report

    (tmp_path / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    path = write_sweep(tmp_path, {"workforce.pcso.headcount": [60, 140]}, name="n")
    raw = (tmp_path / "tiny.yaml").read_text().replace("bcus: 2}", "bcus: 2, equity: false}")
    (tmp_path / "tiny.yaml").write_text(raw)
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        run_batch(load_sweep(path), store, workers=1, **FAKE)
        files = write_report(store, tmp_path / "r", load=load_inputs)
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Not available: the batch's synthetic city was made without deprivation figures" in md
    assert not (tmp_path / "r" / "equity.csv").exists() and tmp_path / "r" / "equity.csv" not in files


def test_equity_figures_are_not_given_for_wards_other_than_the_stored_ones(limits, tmp_path):
    db, _ = limits  # solved by the stand-in on its own wards; the real loader makes another city
    assert main(["report", str(db), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Not available: the stored ward results are not for the wards of the data found here." in md
