"""The batch commands: ``batch`` guard rails and input errors, ``results`` streamed export."""

from __future__ import annotations

import io
from pathlib import Path

import batch_standin as standin
import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_helpers import DATA, FAKE, write_sweep

import planner
from planner.batch.cli import main
from planner.batch.results import iter_frames
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import load_sweep


@pytest.fixture
def filled(tmp_path) -> Path:
    """A store holding the tiny sweep and the faults sweep, run with the stand-in solve."""
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        for name in ("tiny-sweep.yaml", "tiny-faults.yaml"):
            run_batch(load_sweep(DATA / name), store, workers=1, **FAKE)
    return db


@pytest.fixture
def standin_solver(monkeypatch):
    """The commands' in-process solves (dry runs) use the stand-in."""
    monkeypatch.setattr(planner, "solve", standin.solve)
    monkeypatch.setattr(planner, "load_inputs", standin.load_inputs)


def test_results_csv_on_stdout_is_tidy(filled, capsys):
    batch = load_sweep(DATA / "tiny-sweep.yaml").batch_id()
    assert main(["results", str(filled), "--batch", batch]) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 9 and frame["run_id"].is_unique
    for col in ("workforce.pcso.headcount", "rules.supervision.sergeant_span", "status", "cost_annual",
                "need_covered", "gap", "input_hash", "software_version", "solve_seconds", "worst_wards",
                "available_sergeants", "attempts", "driver"):  # fmt: skip
        assert col in frame.columns, col
    assert "lease_owner" not in frame.columns and "params" not in frame.columns
    assert set(frame["workforce.pcso.headcount"]) == {60, 100, 140}


def test_results_every_batch_to_parquet_and_ward_level(filled, tmp_path):
    out = tmp_path / "runs.parquet"
    assert main(["results", str(filled), "--format", "parquet", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 9 + 8 and frame["batch_id"].nunique() == 2
    assert str(pd.read_parquet(out)["started_at"].dtype).startswith("datetime64")
    wards = tmp_path / "wards.csv"
    batch = load_sweep(DATA / "tiny-sweep.yaml").batch_id()
    assert main(["results", str(filled), "--batch", batch, "--level", "wards", "--out", str(wards)]) == 0
    table = pd.read_csv(wards)
    assert len(table) == 9 * 40
    assert {"ward_code", "constables", "pcsos", "workforce.pcso.headcount"} <= set(table.columns)
    per_run = table.groupby("run_id")["pcsos"].sum()
    heads = table.groupby("run_id")["workforce.pcso.headcount"].first()
    assert (per_run == heads).all()  # the stand-in deploys every PCSO here (sergeants to spare)


def test_results_errors_exit_2_with_a_message(filled, tmp_path, capsys):
    assert main(["results", str(tmp_path / "none.sqlite")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["results", str(filled), "--format", "parquet"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["results", str(filled), "--batch", "nope"]) == 2
    assert "no batch 'nope'" in capsys.readouterr().err
    assert main(["results", str(filled), "--out", str(tmp_path / "no" / "dir.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_ward_export_streams_one_part_at_a_time_and_loses_no_row(tmp_path):
    path = write_sweep(tmp_path, {"workforce.pcso.headcount": list(range(50, 170))}, name="many")
    sweep = load_sweep(path)
    db = tmp_path / "many.sqlite"
    with Store(db) as store:
        run_batch(sweep, store, workers=2, flush_runs=7, flush_seconds=60, **FAKE)
        chunks = [len(f) for f in iter_frames(store, "wards", [sweep.batch_id()])]
    assert sum(chunks) == 120 * 40
    assert max(chunks) <= 7 * 40 and len(chunks) >= 120 // 7  # bounded chunks, whatever the batch size
    csv, parquet = tmp_path / "w.csv", tmp_path / "w.parquet"
    assert main(["results", str(db), "--level", "wards", "--out", str(csv)]) == 0
    assert main(["results", str(db), "--level", "wards", "--format", "parquet", "--out", str(parquet)]) == 0
    a = pd.read_csv(csv).sort_values(["run_id", "ward_code"]).reset_index(drop=True)
    b = pd.read_parquet(parquet).sort_values(["run_id", "ward_code"]).reset_index(drop=True)
    assert len(a) == len(b) == 120 * 40 and not a.duplicated(["run_id", "ward_code"]).any()
    assert (a["pcsos"].to_numpy() == b["pcsos"].to_numpy()).all()
    assert pq.ParquetFile(parquet).num_row_groups >= 120 // 7  # written chunk by chunk
    per_run = a.groupby("run_id")["pcsos"].sum()
    assert (per_run.to_numpy() == a.groupby("run_id")["workforce.pcso.headcount"].first().to_numpy()).all()


def test_an_empty_export_still_has_its_header(tmp_path, capsys):
    path = write_sweep(tmp_path, {"description": ["standin_fault:raise"]}, name="none")
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        run_batch(load_sweep(path), store, workers=1, **FAKE)
    assert main(["results", str(db), "--level", "wards"]) == 0
    assert capsys.readouterr().out.strip().startswith("batch_id,run_id,description,ward_code")


# ------------------------------------------------------------------ planner batch


@pytest.mark.parametrize("name", ["bad-unknown-field.yaml", "bad-empty-axis.yaml", "bad-malformed.yaml"])
def test_batch_with_a_bad_sweep_exits_2_naming_the_fault(name, tmp_path, capsys):
    code = main(["batch", str(DATA / name), "--store", str(tmp_path / "b.sqlite"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert name in err and "Traceback" not in err
    assert not (tmp_path / "b.sqlite").exists()


def test_a_bad_data_folder_or_scheduler_leaves_no_store_behind(tmp_path, capsys, monkeypatch):
    db = tmp_path / "b.sqlite"
    argv = ["batch", str(DATA / "tiny-sweep.yaml"), "--store", str(db), "--quiet"]
    assert main([*argv, "--data-dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "cannot load the data of the base scenario" in err and "is not a folder" in err
    assert "Traceback" not in err and not db.exists()
    monkeypatch.setattr("planner.batch.dask_executor.CONNECT_TIMEOUT", "1s")
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and "Traceback" not in err and not db.exists()


def test_a_batch_above_a_thousand_runs_asks_for_yes(tmp_path, capsys):
    db = tmp_path / "b.sqlite"
    assert main(["batch", str(DATA / "tiny-thousand.yaml"), "--store", str(db), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "1,001 runs" in err and "--yes" in err and "--dry-run" in err
    assert not db.exists()


def test_dry_run_lists_times_and_sizes_the_batch_and_writes_nothing(tmp_path, capsys, standin_solver):
    db = tmp_path / "b.sqlite"
    assert main(["batch", str(DATA / "tiny-thousand.yaml"), "--store", str(db), "--dry-run", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "dry run of batch tiny-thousand-" in out and "1,001 runs on 1 local worker(s); nothing was written" in out
    assert "PCSO headcount 40 PCSOs" in out and "... and 951 more runs" in out
    assert "timed here: data load" in out and "3 runs took" in out
    assert "estimated time:" in out and "x 1,001" not in out and "1,001 runs x" in out
    assert "estimated store size:" in out and "per run" in out
    assert not db.exists() and not Path(f"{db}.parts").exists()


def test_batch_needs_a_sweep_or_status(capsys):
    assert main(["batch"]) == 2
    assert "give a sweep file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"), [("--run-timeout", "-1"), ("--lease", "0"), ("--lease", "nan"), ("--workers", "0")]
)
def test_bad_numbers_on_the_command_line_exit_2(flag, value, tmp_path, capsys):
    code = main(["batch", str(DATA / "tiny-sweep.yaml"), "--store", str(tmp_path / "b.sqlite"), flag, value])
    assert code == 2 and flag in capsys.readouterr().err
    assert not (tmp_path / "b.sqlite").exists()
