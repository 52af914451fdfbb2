"""Helpers of the app tests: start the app in Streamlit's AppTest on the demo city, read what it shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
APP_DATA = Path(__file__).resolve().parent / "data" / "app"


def start_app(monkeypatch: Any, *, data_dir: str | None = None, scenario: str = "demo.yaml") -> AppTest:
    """Run the app once on ``scenario`` (the demo by default), with or without a data folder."""
    if data_dir is None:
        monkeypatch.delenv("PLANNER_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("PLANNER_DATA_DIR", data_dir)
    monkeypatch.setenv("PLANNER_SCENARIO", scenario)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert_ok(at)
    return at


def goto(at: AppTest, path: str) -> AppTest:
    """Switch to the page at URL ``path`` (a route of :mod:`planner.app.routes`); call ``.run()`` after.

    The pages are functions, not files, so ``AppTest.switch_page`` (which takes a file) cannot reach
    them: this picks the page Streamlit registered under that URL path (the one private access of the tests).
    """
    pages = at._registered_pages  # noqa: SLF001 (pages that are functions have no public switch)
    for page_hash, info in pages.items():
        if info.get("url_pathname") == path:
            at._page_hash = page_hash  # noqa: SLF001 (as above)
            return at
    raise AssertionError(f"no page {path!r}; have {[i.get('url_pathname') for i in pages.values()]}")


def assert_ok(at: AppTest) -> None:
    """No exception reached the page."""
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label_start: str) -> Any:
    """The first metric whose label starts with ``label_start``."""
    for m in at.metric:
        if m.label.startswith(label_start):
            return m
    raise AssertionError(f"no metric {label_start!r}; have {[m.label for m in at.metric]}")


def plan_id(at: AppTest) -> str:
    """The 'plan xxxxxxxx' id of the page caption."""
    for c in at.caption:
        if " · plan " in c.value:
            return str(c.value.split(" · plan ")[1].split(" ")[0])
    raise AssertionError("no plan id in the captions")


def ward_map(at: AppTest) -> dict[str, Any]:
    """What the (first) ward map on the page was sent: outlines, colours, tooltips, area, chosen ward."""
    maps = [e for e in at.get("bidi_component") if e.proto.component_name == "planner_ward_map"]
    assert maps, "no map on the page"
    return dict(json.loads(maps[0].proto.json))


def ward_fills(at: AppTest) -> list[list[int]]:
    """Fill colour (RGBA) of every ward on the map."""
    raw = bytes.fromhex(ward_map(at)["fill"])
    return [list(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def texts(at: AppTest) -> str:
    """Every markdown, caption, info, warning and error text of the page, joined, as the reader sees it.

    Data text is shown escaped (``planner.textsafe.markdown_text``); the backslash escapes are removed
    here, as the Markdown renderer removes them.
    """
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.error]
    parts += [e.value for e in at.success]
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(p) for p in parts))
