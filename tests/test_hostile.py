"""A corpus of hostile and broken files (tests/data/hostile): exit code, message and the state of --out.

Each case runs ``planner solve`` twice: once with ``--out`` absent (it must stay
absent) and once with ``--out`` holding a previous run's file (it must be left
exactly as it was). No case may hang, show a traceback, or put a raw control
character on the terminal. Pipes (FIFOs) cannot be committed to git, so those
cases make theirs in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from plan_checks import recompute

from planner import cli
from planner.scenario import load_scenario

HOSTILE = Path(__file__).parent / "data" / "hostile"
CLI_DATA = Path(__file__).parent / "data" / "cli"

CORPUS: dict[str, tuple[int, str]] = {
    "alias_bomb.yaml": (2, "expands to more than 200,000 values"),
    "alias_billion.yaml": (2, "more than 64 aliases"),
    "recursive_alias.yaml": (2, "an alias refers to its own anchor"),
    "deep_nesting.yaml": (2, "nested more than 40 levels deep"),
    "duplicate_keys.yaml": (2, "line 9: key 'pcso' repeats the key of line 8"),
    "huge_integer.yaml": (2, "a value cannot be read (a number with thousands of digits)"),
    "span_inf.yaml": (2, "rules.supervision.sergeant_span: must be a finite number (got inf)"),
    "span_nan.yaml": (2, "rules.supervision.inspector_span: must be a finite number (got nan)"),
    "span_true.yaml": (2, "rules.supervision.sergeant_span: expected a number, not true/false"),
    "headcount_text.yaml": (2, "workforce.constable.headcount: expected a number, not text"),
    "annual_cost_1e308.yaml": (2, "workforce.constable.annual_cost: Input should be less than or equal to 10000000"),
    "saturation_tiny.yaml": (2, "objective.saturation: Input should be greater than or equal to 0.001"),
    "saturation_inf.yaml": (2, "objective.saturation: must be a finite number"),
    "budget_inf.yaml": (2, "rules.budget: must be a finite number"),
    "cost_weight_huge.yaml": (2, "objective.cost_weight: Input should be less than or equal to 1000000"),
    "time_limit_inf.yaml": (2, "solver.time_limit: must be a finite number"),
    "seed_negative.yaml": (2, "data.synthetic.seed: Input should be greater than or equal to 0"),
    "synthetic_contradiction.yaml": (
        2,
        "data.synthetic: boroughs (50) is more than wards (40): every borough needs a ward; "
        "bcus (60) is more than boroughs (50)",
    ),
    "name_control.yaml": (2, "name: must not contain control characters"),
    "crime_beyond_int64.yaml": (
        2,
        "crime_beyond_int64.csv: column '202402': value is too large (over 1,000,000,000) at line 3",
    ),
    "baseline_huge.yaml": (2, "baseline_huge.csv: column 'constables' is above 1,000,000 (a typo?) on line 3 ('1e20')"),
    "control_codes.yaml": (2, "ward code E05\\x1b[2J\\x1b[31mEVIL (column 'WD22CD') appears in rows 1, 2"),
}


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block takes longer than ``seconds``."""

    def expired(*_: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s: the planner hangs")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(args: list[str], capsys: pytest.CaptureFixture[str], seconds: int = 60) -> tuple[int, str]:
    with deadline(seconds):
        code = cli.main(args)
    return code, capsys.readouterr().err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_clean(err: str) -> None:
    assert "Traceback" not in err
    assert not any(c in err for c in "\x1b\r\x00\u202e"), "a raw control character reached the terminal"


def test_every_corpus_file_has_a_case() -> None:
    scenarios = {p.name for p in HOSTILE.glob("*.yaml")}
    assert scenarios == set(CORPUS) | {"formula_names.yaml"}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_exit_code_message_and_out(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_expected, fragment = CORPUS[name]
    absent = tmp_path / "absent"
    code, err = run(["solve", str(HOSTILE / name), "--out", str(absent)], capsys)
    assert code == code_expected, err
    assert fragment in err
    assert_clean(err)
    assert not absent.exists()
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "allocation.csv").write_text("a previous run\n")
    before = snapshot(previous)
    code, err = run(["solve", str(HOSTILE / name), "--out", str(previous)], capsys)
    assert code == code_expected and fragment in err
    assert snapshot(previous) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous"]  # nothing staged or created beside


def test_formula_names_are_written_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, err = run(["solve", str(HOSTILE / "formula_names.yaml"), "--out", str(out)], capsys)
    assert code == 0, err
    wards = pd.read_csv(out / "allocation.csv", dtype=str)
    names = dict(zip(wards["ward_code"], wards["ward_name"]))
    assert names["E05999991"] == '\'=HYPERLINK("http://example.invalid/x","click")'
    assert names["E05999992"] == "'+SUM(1,2)" and names["E05999993"] == "'-2+3" and names["E05999994"] == "'@cmd"
    assert set(pd.read_csv(out / "boroughs.csv", dtype=str)["borough"]) == {"'=1+1", "East Testborough"}
    raw = (out / "allocation.csv").read_text() + (out / "boroughs.csv").read_text()
    assert not any(line.split(",")[1].startswith(("=", "+", "-", "@")) for line in raw.splitlines()[1:])
    recompute(out, load_scenario(HOSTILE / "formula_names.yaml"))  # the plan itself is sound


# ------------------------------------------------------------------ files that are not files
def _tiny_copy(folder: Path) -> Path:
    for p in CLI_DATA.iterdir():
        if p.suffix in (".csv", ".geojson"):
            shutil.copy(p, folder / p.name)
    text = (CLI_DATA / "tiny.yaml").read_text()
    population = "  population: {path: population.csv}\n"
    text = text.replace(population, population + "  current: baseline.csv\n")
    text = text.replace("rules:\n", "rules:\n  stability: {max_change_per_ward: 50}\n")
    text = text.replace("workforce:\n", "workforce:\n  per_borough: caps.csv\n")
    (folder / "baseline.csv").write_text(
        "ward_code,constables,pcsos\nE05999991,5,2\nE05999992,5,2\nE05999993,5,2\nE05999994,5,2\n"
    )
    (folder / "caps.csv").write_text("borough_code,constable\nE09999991,100\nE09999992,100\n")
    (folder / "s.yaml").write_text(text)
    return folder / "s.yaml"


def test_the_tiny_copy_solves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["solve", str(_tiny_copy(tmp_path)), "--out", str(tmp_path / "out")], capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    "name",
    ["wards.geojson", "crime.csv", "population.csv", "weights.csv", "bcu.csv", "baseline.csv", "caps.csv", "s.yaml"],
)
@pytest.mark.parametrize("command", ["solve", "validate"])
def test_a_pipe_instead_of_a_file_is_refused_not_waited_on(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _tiny_copy(tmp_path)
    target = tmp_path / name
    target.unlink()
    os.mkfifo(target)  # no writer: any read would block for ever
    out = tmp_path / "out"
    args = [command, str(scenario)] + (["--out", str(out)] if command == "solve" else [])
    code, err = run(args, capsys, seconds=30)
    assert code == 2, err
    assert f"{target}" in err and "is a pipe (FIFO), not an ordinary file" in err
    assert not out.exists()


def test_a_device_or_folder_instead_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _tiny_copy(tmp_path)
    (tmp_path / "crime.csv").unlink()
    os.symlink("/dev/zero", tmp_path / "crime.csv")  # endless bytes
    code, err = run(["validate", str(scenario)], capsys, seconds=30)
    assert code == 2 and "is a device, not an ordinary file" in err
    (tmp_path / "crime.csv").unlink()
    (tmp_path / "crime.csv").mkdir()
    code, err = run(["validate", str(scenario)], capsys, seconds=30)
    assert code == 2 and "is a folder, not an ordinary file" in err


def test_team_map_pipe_is_refused(tmp_path: Path) -> None:
    from planner.errors import InputError
    from planner.teams.current import read_current_map

    os.mkfifo(tmp_path / "teams.csv")
    with deadline(10), pytest.raises(InputError, match="is a pipe"):
        read_current_map(tmp_path / "teams.csv", None, ())  # type: ignore[arg-type]


# ------------------------------------------------------------------ failures that are not the user's
def test_a_solver_failure_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.api

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the master LP did not solve: In constraint #44: coefficient(49)=-inf is invalid\x1b[2J")

    monkeypatch.setattr(planner.api, "solve_allocation", broken)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n")
    code, err = run(["solve", str(CLI_DATA / "tiny.yaml"), "--out", str(out)], capsys)
    assert code == 1
    assert "internal error: RuntimeError: the master LP did not solve" in err
    assert "please report this" in err
    assert_clean(err)
    assert snapshot(out) == {"keep.txt": b"mine\n"}


def test_memory_error_is_caught_too(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.api

    def broken(*_a: object, **_k: object) -> None:
        raise MemoryError()

    monkeypatch.setattr(planner.api, "solve_allocation", broken)
    code, err = run(["solve", str(CLI_DATA / "tiny.yaml"), "--out", "/nonexistent-planner-test/out"], capsys)
    assert code in (1, 2)  # 2 when /nonexistent is refused first; never a traceback
    assert_clean(err)


# ------------------------------------------------------------------ --out checked before any work
@pytest.mark.parametrize("command", ["solve", "teams"])
def test_bad_out_is_reported_before_solving(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.inputs.loader

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("inputs were loaded although --out is unusable")

    monkeypatch.setattr(planner.inputs.loader, "load_geography", never)
    a_file = tmp_path / "out.txt"
    a_file.write_text("not a folder\n")
    code, err = run([command, str(CLI_DATA / "tiny.yaml"), "--out", str(a_file)], capsys)
    assert code == 2 and f"--out {a_file} is a file, not a folder" in err
    assert a_file.read_text() == "not a folder\n"
    code, err = run([command, str(CLI_DATA / "tiny.yaml"), "--out", str(a_file / "sub")], capsys)
    assert code == 2 and "is a file, so the folder cannot be created there" in err
    monkeypatch.chdir(tmp_path)
    code, err = run([command, str(CLI_DATA / "tiny.yaml"), "--out", "."], capsys)
    assert code == 2 and "--out . is the current folder or contains it" in err


@pytest.mark.parametrize("command", ["solve", "teams", "cost", "phase"])
@pytest.mark.parametrize(
    ("option", "value"), [("--time-limit", "inf"), ("--time-limit", "nan"), ("--time-limit", "1e308"), ("--seed", "-1")]
)
def test_command_line_numbers_are_bounded_like_the_scenario(
    command: str, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, str(CLI_DATA / "tiny.yaml"), option, value])
    assert exit_.value.code == 2
    assert f"argument {option}: {value!r} is not" in capsys.readouterr().err


@pytest.mark.parametrize("reader", ["survey", "fast table"])
def test_the_survey_and_fast_table_readers_refuse_a_pipe(reader: str, tmp_path: Path) -> None:
    """The equity, confidence and priorities inputs (main's newer readers) check the file as the others do."""
    from planner.errors import DataError
    from planner.inputs.confidence import read_survey
    from planner.inputs.tables import read_csv_fast

    fifo = tmp_path / "input.csv"
    os.mkfifo(fifo)  # no writer: any read would block for ever
    read: Callable[[], object]
    if reader == "survey":
        read = partial(read_survey, fifo)
    else:
        read = partial(read_csv_fast, fifo, "lookup file", ["a"], "data.lsoa_lookup")
    with deadline(10), pytest.raises(DataError, match=r"is a pipe \(FIFO\), not an ordinary file"):
        read()
