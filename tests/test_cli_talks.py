"""A command line that talks: plain numbers and certificate, progress, lazy imports, the parsed-input cache."""

from __future__ import annotations

import io
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs
from test_finance_support import simple_solve

from planner import cli
from planner.finance.compare import compare_options
from planner.inputs import cache
from planner.progress import SILENT, Progress, RecordedProgress, step, track
from planner.progress_bar import BarProgress
from planner.report import plain
from planner.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]
CLI_DATA = Path(__file__).parent / "data" / "cli"


# ------------------------------------------------------------------------ numbers for people
def test_money_and_counts_by_hand():
    assert plain.money(402_688_000) == "£402.7m"
    assert plain.money(402_688_000, exact=True) == "£402,688,000"
    assert plain.money(-1_250_000) == "-£1.2m" or plain.money(-1_250_000) == "-£1.3m"
    assert plain.money(38_500.4) == "£38,500"
    assert plain.money(2.5e9) == "£2.50bn"
    assert plain.money(float("nan"), missing="no budget") == "no budget"
    assert plain.money(None) == "none"
    assert plain.count(1600, "PCSO") == "1,600 PCSOs" and plain.count(1, "ward") == "1 ward"
    assert plain.signed(0) == "0" and plain.signed(1600) == "+1,600" and plain.signed(-3) == "-3"
    assert plain.duration(0.234) == "0.23 s" and plain.duration(185) == "3 min 05 s"


def test_certificate_in_words():
    assert plain.certificate("optimal", 2.01e-05) == "proved within 0.0021 % of the best possible plan"
    assert plain.certificate("optimal", 0.0) == "proved the best possible plan"
    assert plain.certificate("time_limit", 0.012).endswith("(the time limit stopped the search)")
    assert plain.certificate("optimal", float("nan")).startswith("no bound proved")
    assert plain.certificate("infeasible", None) == "no plan satisfies every rule"


@given(hs.floats(min_value=1e-9, max_value=0.5))
def test_certificate_never_claims_more_than_is_proved(gap):
    text = plain.certificate("optimal", gap)
    shown = float(text.removeprefix("proved within ").split(" %")[0])
    assert shown >= 100 * gap * (1 - 1e-9)  # rounded up, never down
    assert shown <= 100 * gap * 1.2 + 1e-12  # and to two significant figures (or 0.1 % above 1 %)


# ------------------------------------------------------------------------ progress
def test_progress_protocol_nests_and_closes_on_error():
    rec = RecordedProgress()
    assert isinstance(rec, Progress) and isinstance(SILENT, Progress)
    with step(rec, "outer", total=2) as outer:
        assert list(track([1, 2, 3], rec, "inner")) == [1, 2, 3]
        outer.advance(2)
    with pytest.raises(ValueError, match="boom"), step(rec, "failing"):
        raise ValueError("boom")
    assert rec.labels() == ["outer", "inner", "failing"]
    assert rec.events[1] == ("start", "inner", 3)
    assert rec.events[-1] == ("finish", "failing", 0)
    finished = {label: n for kind, label, n in rec.events if kind == "finish"}
    assert finished == {"inner": 3, "outer": 2, "failing": 0}


def test_bar_progress_in_a_log_prints_one_line_per_step(monkeypatch):
    monkeypatch.delenv("PLANNER_PROGRESS", raising=False)
    out = io.StringIO()
    bar = BarProgress(out)
    assert not bar.live  # not a terminal
    with step(bar, "Solving options", total=3) as s:
        s.advance(3)
    with step(bar, "Reading the data"):
        pass
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Solving options (3/3): ") and lines[1].startswith("Reading the data: ")
    monkeypatch.setenv("PLANNER_PROGRESS", "off")
    quiet = io.StringIO()
    with step(BarProgress(quiet), "x"):
        pass
    assert quiet.getvalue() == ""


def test_bar_progress_on_a_terminal_draws_bars(monkeypatch):
    monkeypatch.delenv("PLANNER_PROGRESS", raising=False)
    out = io.StringIO()
    bar = BarProgress(out, live=True)
    for _ in track(range(4), bar, "Designing teams in 4 boroughs"):
        pass
    assert "Designing teams in 4 boroughs" in out.getvalue() and "4/4" in out.getvalue()


def test_cost_advances_once_per_solve():
    def option(name: str) -> Scenario:
        sc = Scenario(name=name)
        return sc.with_changes({"workforce.constable.headcount": 60, "workforce.pcso.headcount": 130})

    rec = RecordedProgress()
    compare_options([option("a"), option("b")], solve=simple_solve, progress=rec)
    assert rec.events[0] == ("start", "Solving 2 options", 6)
    assert rec.events[-1] == ("finish", "Solving 2 options", 6)


# ------------------------------------------------------------------------ the command line
def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_help_imports_no_engine():
    """``planner --help`` and ``import planner`` load neither the engine nor pandas (so help prints at once)."""
    code = (
        "import sys, contextlib, io\n"
        "import planner\n"
        "from planner import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'planner.api', 'ortools', 'geopandas') if m in sys.modules)\n"
        "print(heavy)\n"
        "print(out.getvalue())\n"
    )
    run = _python(code)
    assert run.returncode == 0, run.stderr
    first, _, text = run.stdout.partition("\n")
    assert first == "[]"
    assert "examples:" in text and "planner solve scenarios/demo.yaml --out out/demo" in text
    for command in ("solve", "validate", "app", "teams", "batch", "cost", "phase"):
        assert f"    {command}" in text


def test_public_api_unchanged_and_lazy():
    run = _python(
        "import planner, sys\n"
        "assert 'planner.api' not in sys.modules\n"
        "from planner.solve.pipeline import Status\n"  # the solve package loading must not hide planner.solve
        "assert callable(planner.solve) and planner.solve.__module__ == 'planner.api'\n"
        "assert planner.Status is Status and planner.Plan.__name__ == 'Plan'\n"
        "assert {'solve', 'load_scenario', 'load_inputs', 'Plan'} <= set(dir(planner))\n"
        "print('ok')\n"
    )
    assert run.stdout.strip() == "ok", run.stderr


def test_a_plugin_command_still_has_its_own_help(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["phase", "--help"])
    assert stop.value.code == 0
    assert "--no-charts" in capsys.readouterr().out


def test_solve_says_how_good_the_plan_is(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["solve", str(CLI_DATA / "tiny.yaml"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "proved within" in err or "proved the best possible plan" in err
    assert "pay cost: £" in err and " a year (£" in err
    assert "for those deployed; £" in err and "a year for everyone in post" in err  # one cost basis
    assert "nan" not in err.lower()
    for step_label in ("Loading the engine", "Reading the data", "Solving", "Writing the plan"):
        assert f"{step_label}: " in err  # one line per step (stderr is not a terminal here)


# ------------------------------------------------------------------------ the parsed-input cache
@pytest.fixture
def files_scenario(tmp_path):
    """A copy of the tiny file-based scenario and its data, to edit."""
    folder = tmp_path / "data"
    folder.mkdir()
    for f in CLI_DATA.iterdir():
        if f.is_file():
            (folder / f.name).write_bytes(f.read_bytes())
    return folder / "tiny.yaml"


def test_cache_serves_unchanged_files_and_rereads_edited_ones(files_scenario, tmp_path, monkeypatch):
    import planner

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    sc = load_scenario(files_scenario)
    first = planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    entries = list((tmp_path / "cache").glob("*.pickle"))
    assert len(entries) == 1 and oct(entries[0].stat().st_mode & 0o777) == "0o600"
    assert first.geography.files  # the files it was read from are recorded
    again = planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    assert again.geography.digest == first.geography.digest
    assert again.wards.codes.tolist() == first.wards.codes.tolist()
    assert again.wards.need.tolist() == pytest.approx(first.wards.need.tolist())
    # the crime file changes: read afresh, never served stale
    crime = next(Path(f) for f in first.geography.files if f.endswith(".csv") and "crime" in Path(f).name)
    crime.write_text(crime.read_text().replace(",1,", ",2,", 1))
    fresh = planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    assert fresh.geography.digest != first.geography.digest
    uncached = planner.load_inputs(sc, scenario_dir=files_scenario.parent)
    assert fresh.geography.digest == uncached.geography.digest
    assert fresh.wards.demand.tolist() == pytest.approx(uncached.wards.demand.tolist())


def test_cache_off_and_broken_entries(files_scenario, tmp_path, monkeypatch):
    import planner

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLANNER_CACHE", "off")
    sc = load_scenario(files_scenario)
    planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv("PLANNER_CACHE")
    planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    (entry,) = (tmp_path / "cache").glob("*.pickle")
    entry.write_bytes(b"not a pickle")  # truncated or foreign: a miss, then rewritten
    good = planner.load_inputs(sc, scenario_dir=files_scenario.parent, cache=True)
    assert good.wards.n_wards == 4
    with open(entry, "rb") as fh:
        fmt, _geo = pickle.load(fh)
    assert fmt == cache.FORMAT
    entry.chmod(0o600)
    (tmp_path / "cache").chmod(0o777)  # a folder others may write to is never trusted
    assert cache.read_entry(entry.stem, lambda files: "") is None
    (tmp_path / "cache").chmod(0o700)


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "planner"
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    assert math.isfinite(len(cache.entry_key("k", (None, str(tmp_path)))))


def test_planner_app_starts_streamlit_on_the_package_entry(monkeypatch, tmp_path):
    seen: dict[str, object] = {}

    def fake_exec(path, cmd, env):
        seen["cmd"], seen["env"] = cmd, env

    monkeypatch.setattr(os, "execve", fake_exec)
    assert cli.main(["app", "--port", "8600", "--data-dir", str(tmp_path), "--scenario", "demo.yaml"]) == 0
    cmd = seen["cmd"]
    assert isinstance(cmd, list) and cmd[1:4] == ["-m", "planner.app.serve", "run"]  # Streamlit's own "run"
    entry = Path(cmd[4])
    assert entry == REPO / "planner" / "app" / "main.py" and entry.is_file()
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.address") + 1] == "localhost"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[cmd.index("--server.fileWatcherType") + 1] == "none"
    env = seen["env"]
    assert isinstance(env, dict) and env["PLANNER_DATA_DIR"] == str(tmp_path) and env["PLANNER_SCENARIO"] == "demo.yaml"
    assert cli.main(["app", "--data-dir", str(tmp_path / "missing")]) == 2
