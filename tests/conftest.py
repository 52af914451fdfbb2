"""Shared fixtures: where the real London data is, and small helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The same examples on every run by default, so that what passed in CI passes again and a failure is
# reproducible; HYPOTHESIS_PROFILE=explore draws new examples each run (and prints a blob to replay).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the real London data is marked ``london`` (deselect with ``-m "not london"``)."""
    for item in items:
        if "london_data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.london)


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return TEST_DATA


@pytest.fixture(autouse=True, scope="session")
def _private_input_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The parsed-input cache of the app and the command line goes to a folder of this test session, not ~/.cache."""
    old = os.environ.get("PLANNER_CACHE_DIR")
    os.environ["PLANNER_CACHE_DIR"] = str(tmp_path_factory.mktemp("planner-cache"))
    yield
    if old is None:
        os.environ.pop("PLANNER_CACHE_DIR", None)
    else:
        os.environ["PLANNER_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Put ``sys.modules['__main__']`` back after each test.

    Streamlit's AppTest runs app.py as ``__main__`` and leaves it there; worker
    processes started later by the fork server or spawn would then re-run the
    app on import and die. Restoring the module keeps tests independent.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
