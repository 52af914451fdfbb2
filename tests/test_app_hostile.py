"""Hostile uploads to the app: zip bombs, aliased and duplicate-key YAML, names with markup."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from app_testing import assert_ok, goto, start_app, texts

from planner.app.uploads import MAX_ZIP_MEMBERS, MAX_ZIP_UNPACKED_BYTES, check_boundaries, check_zip

HOSTILE = Path(__file__).parent / "data" / "hostile"


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_by_its_unpacked_size(tmp_path: Path) -> None:
    bomb = zipped({"wards.shp": b"\0" * (MAX_ZIP_UNPACKED_BYTES + 1)})
    assert len(bomb) < 1 << 20  # a few hundred kB on the wire, under the 50 MB upload limit
    check = check_boundaries("wards.zip", bomb, tmp_path)
    assert not check.ok and check.path is None
    assert check.problems == (f"wards.zip: unpacks to {(MAX_ZIP_UNPACKED_BYTES + 1) / (1 << 20):,.0f} MB, over the "
                              f"{MAX_ZIP_UNPACKED_BYTES >> 20} MB limit",)  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # never saved, never opened by GDAL


def test_a_zip_that_understates_its_size_is_measured_by_unpacking() -> None:
    data = bytearray(zipped({"wards.shp": b"\0" * (MAX_ZIP_UNPACKED_BYTES + 10)}))
    # rewrite the sizes the archive claims (local header and central directory) to 1 kB
    true_size = (MAX_ZIP_UNPACKED_BYTES + 10).to_bytes(4, "little")
    data = bytearray(bytes(data).replace(true_size, (1024).to_bytes(4, "little")))
    problem = check_zip("w.zip", bytes(data))
    assert problem is not None and "w.zip" in problem  # a broken CRC or the size: refused either way


def test_too_many_members_and_nested_archives() -> None:
    many = zipped({f"f{k}.txt": b"x" for k in range(MAX_ZIP_MEMBERS + 1)})
    expected = f"m.zip: holds {MAX_ZIP_MEMBERS + 1:,} files, over the limit of {MAX_ZIP_MEMBERS}"
    assert check_zip("m.zip", many) == expected
    nested = zipped({"inner.zip": zipped({"a.shp": b"x"})})
    assert "holds another archive (inner.zip)" in (check_zip("n.zip", nested) or "")
    assert check_zip("bad.zip", b"PK\x03\x04 not really") is not None
    assert check_zip("ok.zip", zipped({"a.shp": b"x" * 100, "a.dbf": b"y"})) is None


@pytest.fixture
def at(monkeypatch):
    app = start_app(monkeypatch)
    goto(app, "data").run()
    assert_ok(app)
    return app


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("alias_bomb.yaml", "expands to more than 200,000 values"),
        ("duplicate_keys.yaml", "line 9: key 'pcso' repeats the key of line 8"),
        ("span_inf.yaml", "rules.supervision.sergeant_span: must be a finite number"),
    ],
)
def test_hostile_scenario_uploads_are_refused_with_the_reason(at, name: str, message: str) -> None:
    data = (HOSTILE / name).read_bytes()
    at.file_uploader(key="d_yaml").set_value((name, data, "application/x-yaml")).run(timeout=30)
    assert_ok(at)
    assert message in texts(at)
    assert "read; it is now in the sidebar" not in texts(at)


def test_markup_in_a_scenario_error_is_shown_as_text(at) -> None:
    text = "name: x\nworkforce: {'![t](http://example.invalid/t.png)': 1}\n"
    at.file_uploader(key="d_yaml").set_value(("m.yaml", text.encode(), "application/x-yaml")).run()
    assert_ok(at)
    shown = [e.value for e in at.error]
    assert any("\\!\\[t\\]\\(http" in v for v in shown)  # escaped: Markdown shows it, never loads the image
    assert not any("![t](http" in v for v in shown)
