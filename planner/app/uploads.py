"""Uploaded boundary and crime files: size limits, validation, and a scenario that uses them.

An upload is saved under a fixed name in a private folder, then read with
the engine's own checked readers (:func:`geo.boundaries.read_wards`,
:func:`planner.inputs.crime.read_crime`), so an uploaded file meets exactly the
checks a file named in a scenario does. Every failure becomes an
:class:`UploadCheck` with the problems listed; nothing raises to the page.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import PlannerError
from planner.scenario import CrimeSpec, Scenario

MB = 1 << 20
#: Largest boundary file accepted (London's 2022 wards are under 1 MB as GeoPackage, 5 MB as GeoJSON).
MAX_BOUNDARY_BYTES = 50 * MB
#: Largest crime file accepted (the MPS 24-month ward file is 2.4 MB).
MAX_CRIME_BYTES = 50 * MB
#: Most bytes a zipped upload may unpack to (checked by unpacking, not by the sizes the archive claims).
MAX_ZIP_UNPACKED_BYTES = 200 * MB
#: Most files a zipped upload may hold (a shapefile is 4 to 8 files).
MAX_ZIP_MEMBERS = 64
BOUNDARY_TYPES = ("geojson", "json", "gpkg", "zip")
CRIME_TYPES = ("csv",)


@dataclass(frozen=True)
class UploadCheck:
    """The result of checking one uploaded file.

    Attributes
    ----------
    ok : bool
    kind : str
        "boundaries" or "crime".
    path : Path or None
        Where the file was saved (None if it was refused before saving).
    problems : tuple of str
        What is wrong, each naming the row or column at fault.
    notes : tuple of str
        What the reader did that a user should know.
    summary : str
        One line on what the file holds.
    codes : tuple of str
        Ward codes found.
    """

    ok: bool
    kind: str
    path: Path | None
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    summary: str = ""
    codes: tuple[str, ...] = field(default=(), repr=False)


def _refuse(kind: str, problem: str, path: Path | None = None) -> UploadCheck:
    return UploadCheck(False, kind, path, (problem,))


def _problems(exc: Exception, path: Path, name: str) -> tuple[str, ...]:
    """The problems of a reader's error, naming the uploaded file rather than where it was saved."""
    if isinstance(exc, PlannerError):
        items = getattr(exc, "problems", None) or getattr(exc, "reasons", None) or (str(exc),)
    else:
        items = (f"could not be read ({type(exc).__name__}: {exc})",)
    return tuple(str(p).replace(str(path), name) for p in items)


def check_zip(name: str, data: bytes) -> str | None:
    """Why a zipped upload is refused (None if it is fine).

    A broken archive, too many files, nested archives, or more than :data:`MAX_ZIP_UNPACKED_BYTES` once unpacked.

    The unpacked size is measured by unpacking each member in chunks and
    stopping at the limit, so an archive that understates its sizes (a zip
    bomb) is caught too.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return f"{name}: holds {len(members):,} files, over the limit of {MAX_ZIP_MEMBERS}"
            nested = [m.filename for m in members if m.filename.lower().endswith((".zip", ".gz", ".7z", ".tar"))]
            if nested:
                return f"{name}: holds another archive ({nested[0]}); zip the shapefile's own files only"
            claimed = sum(m.file_size for m in members)
            if claimed > MAX_ZIP_UNPACKED_BYTES:
                return f"{name}: unpacks to {claimed / MB:,.0f} MB, over the {MAX_ZIP_UNPACKED_BYTES // MB} MB limit"
            total = 0
            for member in members:
                with zf.open(member) as fh:
                    while chunk := fh.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_ZIP_UNPACKED_BYTES:
                            return f"{name}: unpacks to over the {MAX_ZIP_UNPACKED_BYTES // MB} MB limit"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, ValueError) as exc:
        return f"{name}: not a readable zip archive ({exc})"
    return None


def save_upload(name: str, data: bytes, folder: str | Path, kind: str) -> tuple[Path | None, str | None]:
    """Save an upload under a fixed name, or say why it is refused.

    Empty, too large or wrongly typed files are refused, and zips that unpack to too much (:func:`check_zip`).

    Returns
    -------
    (path, None) when saved, (None, problem) when refused.
    """
    limit, types = (MAX_BOUNDARY_BYTES, BOUNDARY_TYPES) if kind == "boundaries" else (MAX_CRIME_BYTES, CRIME_TYPES)
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in types:
        return None, f"{name}: a {kind} file must be one of .{', .'.join(types)} (got .{ext or 'nothing'})"
    if len(data) == 0:
        return None, f"{name}: the file is empty (0 bytes)"
    if len(data) > limit:
        return None, f"{name}: {len(data) / MB:,.1f} MB is over the {limit // MB} MB limit for {kind} files"
    if ext == "zip":
        refused = check_zip(name, data)
        if refused is not None:
            return None, refused
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.{ext}"
    for old in folder.glob(f"{kind}.*"):
        old.unlink()
    path.write_bytes(data)
    return path, None


@dataclass(frozen=True)
class BoundaryColumns:
    """Which columns of an uploaded boundary file hold what (defaults: ONS 2022 wards)."""

    ward_code: str = "WD22CD"
    ward_name: str = "WD22NM"
    borough_code: str = "LAD22CD"
    borough_name: str = "LAD22NM"
    layer: str | None = None


def check_boundaries(
    name: str,
    data: bytes,
    folder: str | Path,
    columns: BoundaryColumns = BoundaryColumns(),
    borough_bcu: str | Path | None = None,
) -> UploadCheck:
    """Save and read an uploaded ward boundary file (GeoJSON, GeoPackage or zipped shapefile).

    Parameters
    ----------
    name, data : str, bytes
        The uploaded file's name and content.
    folder : str or Path
        Private folder to save it in.
    columns : BoundaryColumns
    borough_bcu : path, optional
        Borough -> BCU table (CSV with borough_code, bcu_name) to label the wards' BCUs.
    """
    path, refused = save_upload(name, data, folder, "boundaries")
    if path is None:
        return _refuse("boundaries", refused or "refused")
    try:
        from geo.boundaries import read_borough_bcu, read_wards

        table = read_borough_bcu(borough_bcu) if borough_bcu is not None else None
        layer = read_wards(
            path,
            layer=columns.layer or None,
            ward_code=columns.ward_code,
            ward_name=columns.ward_name or None,
            borough_code=columns.borough_code,
            borough_name=columns.borough_name or None,
            borough_bcu=table,
        )
    except Exception as exc:  # any reader failure is reported, never raised to the page
        return UploadCheck(False, "boundaries", path, _problems(exc, path, name))
    frame = layer.frame
    summary = f"{len(frame):,} wards in {frame['borough_code'].nunique():,} boroughs" + (
        f" and {frame['bcu'].nunique():,} BCUs" if (frame["bcu"] != "").all() else ""
    )
    return UploadCheck(True, "boundaries", path, (), layer.notes, summary, tuple(frame["ward_code"].astype(str)))


def check_crime(name: str, data: bytes, folder: str | Path) -> UploadCheck:
    """Save and read an uploaded MPS-format ward crime CSV."""
    path, refused = save_upload(name, data, folder, "crime")
    if path is None:
        return _refuse("crime", refused or "refused")
    try:
        from planner.inputs.crime import read_crime

        window = read_crime(path, CrimeSpec(path=str(path)))
    except Exception as exc:  # any reader failure is reported, never raised to the page
        return UploadCheck(False, "crime", path, _problems(exc, path, name))
    codes = tuple(str(c) for c in window.ward_codes)
    months = window.months
    summary = (
        f"{int(window.counts['count'].sum()):,} offences in {len(codes):,} wards over {len(months)} months "
        f"({months[0]}..{months[-1]})"
        if months
        else "no months"
    )
    return UploadCheck(True, "crime", path, (), window.notes, summary, codes)


def check_match(boundaries: UploadCheck, crime: UploadCheck) -> tuple[list[str], list[str]]:
    """Whether the crime file's ward codes fit the boundary file's: (problems, notes)."""
    wards, crimes = set(boundaries.codes), set(crime.codes)
    common = wards & crimes
    if not common:
        ex_w = ", ".join(sorted(wards)[:3])
        ex_c = ", ".join(sorted(crimes)[:3])
        return [
            f"no ward code is in both files (boundaries: {ex_w}, ...; crime: {ex_c}, ...): "
            "are they from the same ward boundaries (e.g. both May 2022)?"
        ], []
    notes = []
    if wards - crimes:
        notes.append(f"{len(wards - crimes):,} wards have no recorded crime in the crime file (their demand is 0)")
    if crimes - wards:
        notes.append(f"{len(crimes - wards):,} ward codes of the crime file are not in the boundaries (left out)")
    return [], notes


def uploaded_scenario(
    base: Scenario,
    boundaries: UploadCheck,
    crime: UploadCheck,
    columns: BoundaryColumns = BoundaryColumns(),
    borough_bcu: str | Path | None = None,
    base_wards: int | None = None,
) -> Scenario:
    """A scenario that plans on the uploaded files, with ``base``'s rules.

    Harm is plain offence counts (no weights table was uploaded) and need has
    no population part (no population file). Headcounts are scaled to the
    uploaded wards' share of ``base_wards`` when given (a single borough
    gets a borough-sized workforce), never below what the ward floors need.
    """
    if not (boundaries.ok and crime.ok and boundaries.path and crime.path):
        raise ValueError("both uploads must pass their checks first")
    w = base.need.weights
    changes: dict[str, object] = {
        "name": "uploaded",
        "description": f"Uploaded boundaries ({boundaries.summary}) and crime ({crime.summary}), rules of {base.name}.",
        "data": {
            "source": "files",
            "wards": {
                "path": str(boundaries.path.resolve()),
                "layer": columns.layer or None,
                "ward_code": columns.ward_code,
                "ward_name": columns.ward_name,
                "borough_code": columns.borough_code,
                "borough_name": columns.borough_name,
            },
            "crime": {"path": str(crime.path.resolve())},
            "borough_bcu": None if borough_bcu is None else {"path": str(Path(borough_bcu).resolve())},
        },
        "need.weights.population": 0.0,
        "need.weights.demand": w.demand if (w.demand + w.harm) > 0 else 1.0,
        "need.demand_weighted": False,
    }
    n = len(boundaries.codes)
    if base_wards and n < base_wards:
        share = n / base_wards
        floors = {"constable": base.rules.ward_floor.constable * n, "pcso": base.rules.ward_floor.pcso * n}
        for rank in ("constable", "pcso", "sergeant", "inspector"):
            head = base.workforce.rank(rank).headcount
            changes[f"workforce.{rank}.headcount"] = max(math.ceil(head * share), floors.get(rank, 1))
    return base.with_changes(changes)
