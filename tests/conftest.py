"""Shared fixtures: where the real London data is, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
TEST_DATA = Path(__file__).resolve().parent / "data"


def _shared_data() -> Path:
    env = os.environ.get("PLANNER_DATA_DIR")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def london_data_dir() -> Path:
    """The real public London data folder (``../shared/data``), or skip.

    Set ``PLANNER_DATA_DIR`` to use another folder.
    """
    path = _shared_data()
    if not (path / "london_wards_2022_bng.gpkg").is_file():
        pytest.skip(f"real London data not found at {path} (set PLANNER_DATA_DIR or place ../shared/data)")
    return path


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return TEST_DATA
