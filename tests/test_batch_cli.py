"""The batch commands: ``batch`` input errors, ``results`` export and ``report`` plots."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from planner.batch import standin
from planner.batch.cli import main
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import load_sweep

DATA = Path(__file__).resolve().parent / "data" / "batch"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def filled(tmp_path) -> Path:
    """A store holding the tiny sweep and the faults sweep, run with the stand-in solve."""
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        for name in ("tiny-sweep.yaml", "tiny-faults.yaml"):
            run_batch(load_sweep(DATA / name), store, workers=1, solve=standin.solve,
                      load=standin.load_inputs, progress=None)  # fmt: skip
    return db


def test_results_csv_on_stdout_is_tidy(filled, capsys):
    batch = load_sweep(DATA / "tiny-sweep.yaml").batch_id()
    assert main(["results", str(filled), "--batch", batch]) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 9 and frame["run_id"].is_unique
    for col in ("workforce.pcso.headcount", "rules.supervision.sergeant_span", "status", "cost_annual",
                "need_covered", "gap", "input_hash", "software_version", "solve_seconds"):  # fmt: skip
        assert col in frame.columns, col
    assert set(frame["workforce.pcso.headcount"]) == {60, 100, 140}


def test_results_every_batch_to_parquet_and_ward_level(filled, tmp_path):
    out = tmp_path / "runs.parquet"
    assert main(["results", str(filled), "--format", "parquet", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 9 + 8 and frame["batch_id"].nunique() == 2
    wards = tmp_path / "wards.csv"
    batch = load_sweep(DATA / "tiny-sweep.yaml").batch_id()
    assert main(["results", str(filled), "--batch", batch, "--level", "wards", "--out", str(wards)]) == 0
    table = pd.read_csv(wards)
    assert len(table) == 9 * 40
    assert {"ward_code", "constables", "pcsos", "workforce.pcso.headcount"} <= set(table.columns)
    per_run = table.groupby("run_id")["pcsos"].sum()
    heads = table.groupby("run_id")["workforce.pcso.headcount"].first()
    assert (per_run == heads).all()  # the stand-in deploys every PCSO


def test_results_errors_exit_2_with_a_message(filled, tmp_path, capsys):
    assert main(["results", str(tmp_path / "none.sqlite")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["results", str(filled), "--format", "parquet"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["results", str(filled), "--batch", "nope"]) == 2
    assert "no batch 'nope'" in capsys.readouterr().err
    assert main(["results", str(filled), "--out", str(tmp_path / "no" / "dir.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_report_writes_the_three_trade_off_plots(filled, tmp_path):
    out = tmp_path / "report"
    batch = load_sweep(DATA / "tiny-sweep.yaml").batch_id()
    assert main(["report", str(filled), "--batch", batch, "--out", str(out)]) == 0
    for name in ("cost_vs_need.png", "pcso_vs_worst.png", "span_vs_sergeants.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, name
    md = (out / "report.md").read_text()
    assert batch in md and "cost_vs_need.png" in md and "ok: 9" in md
    assert len(pd.read_csv(out / "runs.csv")) == 9


def test_report_on_a_batch_without_finished_runs_says_so(tmp_path, capsys):
    db = tmp_path / "b.sqlite"
    (tmp_path / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    (tmp_path / "s.yaml").write_text('base: tiny.yaml\naxes: {description: ["standin_fault:raise"]}\n')
    with Store(db) as store:
        run_batch(load_sweep(tmp_path / "s.yaml"), store, workers=1, solve=standin.solve,
                  load=standin.load_inputs, progress=None)  # fmt: skip
    assert main(["report", str(db), "--out", str(tmp_path / "r")]) == 2
    assert "no finished runs" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["bad-unknown-field.yaml", "bad-empty-axis.yaml", "bad-malformed.yaml"])
def test_batch_with_a_bad_sweep_exits_2_naming_the_fault(name, tmp_path, capsys):
    code = main(["batch", str(DATA / name), "--store", str(tmp_path / "b.sqlite"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert name in err and "Traceback" not in err
