"""The documentation: the site builds with every link and anchor checked, and the front page's commands exist.

External links cannot be checked here (CI has no network); every link inside the repository is: the
README's and each page's relative links must reach a file, and a ``#fragment`` a heading of that file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor mkdocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[-\s]+", "-", text).strip("-")


def anchors(path: Path) -> set[str]:
    body = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", body, flags=re.M)}


def links(path: Path) -> list[str]:
    body = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    body = re.sub(r"`[^`]*`", "", body)
    return LINK.findall(body)


def broken_links(path: Path) -> list[str]:
    """Relative links of ``path`` whose file or heading does not exist."""
    out = []
    for target in links(path):
        if re.match(r"^[a-z]+:", target) or target.startswith("//"):
            continue  # external: not checked offline
        file, _, fragment = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            out.append(f"{path.name}: {target} (no file {dest})")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            out.append(f"{path.name}: {target} (no heading #{fragment} in {dest.name})")
    return out


def test_slug_matches_mkdocs():
    assert slug("Putting it behind sign-in") == "putting-it-behind-sign-in"
    assert slug("`planner solve`: what it prints") == "planner-solve-what-it-prints"


@pytest.mark.parametrize("page", [REPO / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_every_relative_link_reaches_its_file_and_heading(page: Path):
    assert not broken_links(page)


def test_the_checker_catches_a_broken_link(tmp_path: Path):
    (tmp_path / "a.md").write_text("# Title\n\n[ok](#title) [gone](b.md) [bad anchor](a.md#nowhere)\n")
    assert [b.split(" ")[1] for b in broken_links(tmp_path / "a.md")] == ["b.md", "a.md#nowhere"]


def test_every_page_is_in_the_site_navigation():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert [p.name for p in sorted(DOCS.glob("*.md")) if p.name not in nav] == []


def test_readme_commands_are_the_ones_that_work():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert f"\n{ci[-1]}\n" in readme  # the test command, letter for letter what CI runs
    assert "python3 -m venv .venv" in readme  # a stock Debian Python refuses a global pip install
    for path in re.findall(r"\b(scenarios/[\w./-]+\.yaml)\b", readme):
        assert (REPO / path).is_file(), path
    assert (REPO / "app.py").is_file() and "planner app" in readme and "streamlit run app.py" in readme


@pytest.mark.slow
def test_site_builds_strict(tmp_path: Path):
    """``mkdocs build --strict``: a broken link, anchor or page left out of the navigation fails the build."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[dev]')")
    run = subprocess.run(
        [mkdocs, "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "app" / "index.html").is_file()
