"""Output folders all or nothing: staging beside --out, stale staging removed, one atomic swap."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.report import staging
from planner.report.outputs import commit_files
from planner.report.staging import check_out_dir, commit_folder, remove_stale_staging

REPO = Path(__file__).resolve().parents[1]


def files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def text_writer(text: str):
    return lambda path: path.write_text(text)


def test_staging_is_beside_the_output_folder_never_inside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[Path] = []

    def spy(path: Path) -> None:
        seen.append(path.parent)
        assert not out.exists()  # nothing appears in --out while writing
        path.write_text("new\n")

    commit_files(out, {"a.csv": spy})
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".out.planner-staging-")
    assert files(out) == {"a.csv": "new\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the staging folder is gone


def test_swap_replaces_written_files_and_keeps_the_others(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o750)
    (out / "allocation.csv").write_text("old\n")
    (out / "notes.txt").write_text("mine\n")
    (out / "sub").mkdir()
    (out / "sub" / "deep.txt").write_text("deep\n")
    commit_files(out, {"allocation.csv": text_writer("new\n"), "boroughs.csv": text_writer("b\n")})
    assert files(out) == {"allocation.csv": "new\n", "boroughs.csv": "b\n", "notes.txt": "mine\n"}
    assert (out / "sub" / "deep.txt").read_text() == "deep\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750  # the folder keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_new_folder_gets_the_usual_permissions(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    commit_files(out, {"x.csv": text_writer("x\n")})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # not a private 0700 temporary folder


def test_failure_while_writing_leaves_everything_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("old\n")

    def broken(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        commit_files(out, {"allocation.csv": text_writer("new\n"), "allocation.gpkg": broken})
    assert files(out) == {"allocation.csv": "old\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_failure_between_the_renames_is_rolled_back(
    exchange: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old way moved file by file: a failure after the first left new CSVs beside an old GeoPackage."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("old csv\n")
    (out / "allocation.gpkg").write_text("old gpkg\n")
    if not exchange:
        monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("the disk went away")
        real_rename(src, dst)

    monkeypatch.setattr(staging.os, "rename", flaky)
    if exchange:
        monkeypatch.setattr(staging, "_exchange", lambda a, b: (_ for _ in ()).throw(OSError("the disk went away")))
    with pytest.raises(OSError, match="the disk went away"):
        commit_files(out, {"allocation.csv": text_writer("new csv\n"), "allocation.gpkg": text_writer("new gpkg\n")})
    assert files(out) == {"allocation.csv": "old csv\n", "allocation.gpkg": "old gpkg\n"}


def test_the_exchange_is_atomic_when_the_system_offers_it(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("a")
    (b / "f").write_text("b")
    if not staging._exchange(a, b):  # noqa: SLF001 (the atomic exchange itself, on this system)
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here (the two-rename path is used)")
    assert (a / "f").read_text() == "b" and (b / "f").read_text() == "a"


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from planner.report.outputs import commit_files

    def first(path):
        path.write_text("new allocation\\n")

    def dies(path):
        path.write_text("half a geopackage")
        os.kill(os.getpid(), signal.SIGKILL)

    commit_files({out!r}, {{"allocation.csv": first, "allocation.gpkg": dies}})
    """
)


def test_a_process_killed_while_writing_leaves_the_folder_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("old\n")
    script = KILLER.format(repo=str(REPO), out=str(out))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert files(out) == {"allocation.csv": "old\n"}  # nothing partial inside --out
    stale = [p for p in tmp_path.iterdir() if p.name.startswith(".out.planner-staging-")]
    assert len(stale) == 1 and (stale[0] / "allocation.gpkg").read_text() == "half a geopackage"
    commit_files(out, {"allocation.csv": text_writer("new\n")})
    assert files(out) == {"allocation.csv": "new\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the stale staging folder was removed


def test_a_folder_moved_aside_by_a_killed_process_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = tmp_path / ".out.planner-old-999999999-abc"  # no such process
    old.mkdir()
    (old / "allocation.csv").write_text("old\n")
    assert remove_stale_staging(out) == [old]
    assert files(out) == {"allocation.csv": "old\n"}


def test_staging_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    busy = tmp_path / f".out.planner-staging-{os.getppid()}-abc"
    busy.mkdir()
    assert remove_stale_staging(tmp_path / "out") == []
    assert busy.exists()


def test_a_symlinked_output_folder_is_swapped_at_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "allocation.csv").write_text("old\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    written = commit_files(link, {"allocation.csv": text_writer("new\n")})
    assert written == [link / "allocation.csv"]
    assert link.is_symlink() and files(real) == {"allocation.csv": "new\n"}


def test_commit_folder_takes_plain_names_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain file names"):
        commit_folder(tmp_path / "out", lambda folder: ["../escape.csv"])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: (t / "f").write_text("x") and t / "f", "is a file, not a folder"),
        (lambda t: t / "f" / "sub" if (t / "f").write_text("x") else None, "is a file, so the folder cannot be"),
        (lambda t: Path("/"), "is the root of the file system"),
        (lambda t: Path.cwd(), "is the current folder or contains it"),
        (lambda t: Path.cwd().parent, "is the current folder or contains it"),
        (lambda t: "", "no folder given"),
    ],
)
def test_check_out_dir_refuses(make, message: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=message):
        check_out_dir(make(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_out_dir_refuses_a_read_only_parent(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot write in"):
            check_out_dir(ro / "out")
    finally:
        ro.chmod(0o755)


def test_partial_files_left_inside_by_earlier_versions_are_dropped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".planner-tmp-abc").mkdir(parents=True)
    (out / ".planner-tmp-abc" / "allocation.gpkg").write_text("half")
    (out / ".finance-xyz").mkdir()
    (out / "mine.txt").write_text("mine\n")
    commit_files(out, {"a.csv": text_writer("a\n")})
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "mine.txt"]
