"""Hostile and broken input to the batch commands: stores that are not stores, batches that cannot start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from planner import cli

BATCH = Path(__file__).parent / "data" / "batch"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_results_on_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 100)
    code, err = run(["results", str(path)], capsys)
    assert code == 2, err
    assert err.strip() == f"error: cannot open results store sqlite:///{path}: file is not a database"


@pytest.mark.parametrize(("url", "package"), [("postgresql+pg8000://u@localhost/db", "pg8000")])
def test_a_store_url_whose_driver_is_not_installed(url: str, package: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        __import__(package)
    except ImportError:
        pass
    else:
        pytest.skip(f"{package} is installed here")
    code, err = run(["results", url], capsys)
    assert code == 2, err
    assert err.strip() == (
        f"error: results store URL {url!r} needs a database driver that is not installed ({package}); "
        "use a SQLite file or postgresql+psycopg://"
    )


def test_a_batch_that_cannot_load_its_data_leaves_no_batch_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "runs.db"
    missing = tmp_path / "absent"
    args = ["batch", str(BATCH / "tiny-sweep.yaml"), "--store", str(store), "--quiet", "--workers", "1"]
    code, err = run([*args, "--data-dir", str(missing)], capsys)
    assert code == 2, err
    assert err.strip() == f"error: cannot load the data of the base scenario: --data-dir {missing} is not a folder"
    if store.exists():  # the store may hold empty tables, never a batch or a run
        with sqlite3.connect(store) as conn:
            tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
            for table in {"batches", "runs"} & tables:
                assert conn.execute(f"select count(*) from {table}").fetchone() == (0,)
