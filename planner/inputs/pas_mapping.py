"""Which Public Attitude Survey neighbourhood each ward is in: the mapping shipped in ``scenarios/pas/``.

MOPAC reports the Public Attitude Survey (PAS) for 112 "neighbourhoods" named
"Borough - Area" ("Ealing - Southall", "Bromley - North-East"); no boundary
or ward lookup of them is published with the data. The mapping is therefore
derived, reproducibly, from a small hand-written table of **anchors**
(``scenarios/pas/neighbourhood_anchors.csv``):

* a *named* area ("Southall") is anchored on the wards whose names place them
  there (Southall Broadway, Southall Green, ...), given by ward code;
* a *compass* area ("North-East", "Central") is anchored on a point: the
  borough's centre (the mean of its ward centroids), or that centre moved in
  the compass direction by the wards' mean distance from it.

Every other ward of the borough goes to the area of its nearest anchor
(centroid to centroid, British National Grid). That is scheme ``main``, one
area per ward. Two boroughs also report areas of a second, overlapping scheme
(Hounslow's Central/East/North/West beside its place names; Westminster's
Oxford-Regent-Bond streets "ORB" inside its West End): those anchors
(scheme ``overlay``) map exactly the wards listed, so such a ward has two
areas and takes the mean of those that have data.

The result is an approximation of MOPAC's own areas, good enough to carry a
borough-part's survey figures to its wards; the ``basis`` column says how
each row was made. Regenerate it with::

    python -m planner.inputs.pas_mapping --data-dir ../shared/data

(it rewrites ``scenarios/pas/ward_to_pas_neighbourhood.csv`` from the anchors
and the ward boundaries of ``scenarios/london-2022.yaml``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import read_csv_table, require_columns

COMPASS: dict[str, tuple[float, float]] = {
    "central": (0.0, 0.0),
    "north": (0.0, 1.0),
    "south": (0.0, -1.0),
    "east": (1.0, 0.0),
    "west": (-1.0, 0.0),
    "north-east": (np.sqrt(0.5), np.sqrt(0.5)),
    "north-west": (-np.sqrt(0.5), np.sqrt(0.5)),
    "south-east": (np.sqrt(0.5), -np.sqrt(0.5)),
    "south-west": (-np.sqrt(0.5), -np.sqrt(0.5)),
}
"""Compass anchors: unit direction from the borough's centre (central: the centre itself)."""

SCHEMES = ("main", "overlay")
MAPPING_COLUMNS = ["ward_code", "ward_name", "borough_code", "neighbourhood", "scheme", "basis"]
REPO = Path(__file__).resolve().parents[2]
ANCHORS = REPO / "scenarios" / "pas" / "neighbourhood_anchors.csv"
MAPPING = REPO / "scenarios" / "pas" / "ward_to_pas_neighbourhood.csv"


def read_anchors(path: str | Path) -> pd.DataFrame:
    """Read the anchors table: ``neighbourhood, borough_code, scheme, anchor`` (+ ``ward_name``).

    ``anchor`` is a ward code or ``compass:<direction>``. Raises
    :class:`DataError` naming every bad line.
    """
    table = read_csv_table(path, "PAS anchors file")
    require_columns(table, ("neighbourhood", "borough_code", "scheme", "anchor"), "the anchors file's header")
    found = Problems(table.source, DataError)
    frame = table.frame.copy()
    frame["line"] = table.lines
    for _, row in frame.iterrows():
        line = row["line"]
        for col in ("neighbourhood", "borough_code", "scheme", "anchor"):
            if not row[col]:
                found.add(f"line {line}: column {col!r} is empty")
        if row["scheme"] and row["scheme"] not in SCHEMES:
            found.add(f"line {line}: scheme {row['scheme']!r} is not one of {', '.join(SCHEMES)}")
        anchor = str(row["anchor"])
        if anchor.startswith("compass:"):
            if anchor.split(":", 1)[1] not in COMPASS:
                found.add(f"line {line}: {anchor!r} is not a compass anchor ({', '.join(COMPASS)})")
            elif row["scheme"] == "overlay":
                found.add(f"line {line}: an overlay scheme lists wards, not compass points")
    dup = frame.duplicated(["borough_code", "scheme", "anchor"], keep="first") & ~frame["anchor"].str.startswith(
        "compass:"
    )
    for line in frame.loc[dup, "line"]:
        found.add(f"line {line}: this ward anchors two areas of the same scheme")
    found.raise_if_any()
    return frame


def derive_mapping(anchors: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame:
    """Assign every ward to its PAS neighbourhood(s) from the anchors.

    Parameters
    ----------
    anchors : pd.DataFrame
        From :func:`read_anchors`.
    wards : pd.DataFrame
        ``ward_code, ward_name, borough_code, x, y`` (centroids, metres).

    Returns
    -------
    pd.DataFrame
        :data:`MAPPING_COLUMNS`, sorted by ward code then scheme.

    Raises
    ------
    DataError
        An anchor ward that is not a ward of its borough; a borough of the
        wards with no main-scheme anchor.
    """
    found = Problems("PAS anchors", DataError)
    rows: list[tuple[str, ...]] = []
    wards = wards.reset_index(drop=True)
    for borough, grp in wards.groupby("borough_code", sort=True):
        mine = anchors[anchors["borough_code"] == borough]
        if not (mine["scheme"] == "main").any():
            found.add(f"borough {borough} has wards but no main-scheme anchor")
            continue
        xy = grp[["x", "y"]].to_numpy(dtype=float)
        centre = xy.mean(axis=0)
        reach = float(np.linalg.norm(xy - centre, axis=1).mean())
        pos = {code: xy[k] for k, code in enumerate(grp["ward_code"])}
        name = dict(zip(grp["ward_code"], grp["ward_name"], strict=True))
        for scheme, sub in mine.groupby("scheme", sort=True):
            points, hoods, what = [], [], []
            for _, a in sub.iterrows():
                anchor = str(a["anchor"])
                if anchor.startswith("compass:"):
                    direction = anchor.split(":", 1)[1]
                    points.append(centre + reach * np.asarray(COMPASS[direction]))
                    what.append(f"compass {direction}")
                elif anchor in pos:
                    points.append(pos[anchor])
                    what.append(name[anchor])
                else:
                    found.add(f"line {a['line']}: anchor {anchor} is not a ward of borough {borough}")
                    continue
                hoods.append(str(a["neighbourhood"]))
            if not points:
                continue
            named = {str(a["anchor"]): str(a["neighbourhood"]) for _, a in sub.iterrows()}
            pts = np.asarray(points)
            for code in map(str, grp["ward_code"]):
                here = (code, str(name[code]), str(borough))
                if code in named:
                    rows.append((*here, named[code], str(scheme), "named: the ward anchors the area"))
                elif scheme == "main":
                    k = int(np.argmin(np.linalg.norm(pts - pos[code], axis=1)))
                    rows.append((*here, hoods[k], str(scheme), f"nearest anchor: {what[k]}"))
    found.raise_if_any()
    out = pd.DataFrame(rows, columns=MAPPING_COLUMNS)
    return out.sort_values(["ward_code", "scheme"], kind="stable").reset_index(drop=True)


def _ward_frame(scenario_path: Path, data_dir: Path | None) -> pd.DataFrame:
    from planner.inputs.loader import load_geography, make_resolver
    from planner.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    data = scenario.data.model_copy(update={"confidence": None, "priorities": None})
    geo = load_geography(data, make_resolver(data_dir, scenario_path.parent))
    t = geo.table
    return pd.DataFrame(
        {
            "ward_code": t["ward_code"].to_numpy(),
            "ward_name": t["ward_name"].to_numpy(),
            "borough_code": t["borough_code"].to_numpy(),
            "x": geo.x,
            "y": geo.y,
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Regenerate the shipped mapping from the anchors and the London ward boundaries."""
    p = argparse.ArgumentParser(prog="python -m planner.inputs.pas_mapping", description=main.__doc__)
    p.add_argument("--data-dir", type=Path, default=None, help="folder of the London data")
    p.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "london-2022.yaml")
    p.add_argument("--anchors", type=Path, default=ANCHORS)
    p.add_argument("--out", type=Path, default=MAPPING)
    args = p.parse_args(argv)
    mapping = derive_mapping(read_anchors(args.anchors), _ward_frame(args.scenario, args.data_dir))
    tmp = args.out.with_suffix(".tmp")
    mapping.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(args.out)
    print(f"wrote {args.out}: {len(mapping)} rows, {mapping['ward_code'].nunique()} wards, "
          f"{mapping['neighbourhood'].nunique()} neighbourhoods")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
