"""A six-ward city written as real input files, small enough to know every answer by hand.

Wards are 1 km squares in a 3 x 2 grid (British National Grid), the left
column pair in borough A, the rest in borough B::

    W1 W2 W3        borough A: W1, W4
    W4 W5 W6        borough B: W2, W3, W5, W6

Each ward has two LSOAs (``L<ward>a``, ``L<ward>b``) with chosen IMD scores,
residents and ethnic counts; two crime files (an "earlier" and a "later"
window) with two offences; a harm table (theft 1, violence 10).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import yaml

CODES = [f"X0500000{k}" for k in range(1, 7)]
BOROUGH = ["XA", "XB", "XB", "XA", "XB", "XB"]
POPULATION = [1000, 2000, 3000, 4000, 5000, 6000]

# (theft, violence) per ward per month, earlier and later windows
EARLIER = [(10, 1), (10, 1), (40, 4), (10, 1), (20, 2), (10, 1)]
LATER = [(10, 1), (40, 4), (10, 1), (10, 1), (20, 2), (10, 1)]

# per LSOA: (ward index, residents, IMD score, national decile, asian, black, white); residents = the
# three groups' sum. Ward IMD scores (residents-weighted): 46, 25, 10.8, 25, 5.75, 15.5; deciles from
# the LSOA file's boundaries (45, 35, 25.5, 22, 18, 13.5, 11, 8.5, 6): 1, 4, 8, 4, 10, 6
LSOAS = [
    (0, 600, 50.0, 1, 100, 300, 200), (0, 400, 40.0, 2, 50, 150, 200),
    (1, 1000, 30.0, 3, 100, 100, 800), (1, 1000, 20.0, 5, 200, 100, 700),
    (2, 1500, 10.0, 8, 150, 150, 1200), (2, 1000, 12.0, 7, 100, 100, 800),
    (3, 2000, 24.0, 4, 1000, 200, 800), (3, 1000, 27.0, 3, 500, 100, 400),
    (4, 2500, 5.0, 10, 100, 100, 2300), (4, 1500, 7.0, 9, 60, 60, 1380),
    (5, 3000, 15.0, 6, 300, 600, 2100), (5, 3000, 16.0, 6, 300, 600, 2100),
]  # fmt: skip
GROUPS = ["Asian, Asian British or Asian Welsh", "Black, Black British, Black Welsh, Caribbean or African", "White"]


def _crime(counts: list[tuple[int, int]], months: list[str]) -> pd.DataFrame:
    rows = []
    for k, (theft, violence) in enumerate(counts):
        for major, minor, n in (
            ("THEFT", "OTHER THEFT", theft),
            ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", violence),
        ):
            rows.append({"MajorText": major, "MinorText": minor, "WardName": f"Ward {k + 1}", "WardCode": CODES[k],
                         "LookUp_BoroughName": BOROUGH[k], **{m: n for m in months}})  # fmt: skip
    return pd.DataFrame(rows)


def write_city(folder: Path, *, backtest: bool = True, equity: bool = True) -> Path:
    """Write every file of the tiny city into ``folder``; return the scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    boxes = [shapely.box(500_000 + 1000 * (k % 3), 180_000 - 1000 * (k // 3), 501_000 + 1000 * (k % 3),
                         181_000 - 1000 * (k // 3)) for k in range(6)]  # fmt: skip
    layer = gpd.GeoDataFrame(
        {"WD22CD": CODES, "WD22NM": [f"Ward {k + 1}" for k in range(6)], "LAD22CD": BOROUGH,
         "LAD22NM": [f"Borough {b[-1]}" for b in BOROUGH]},
        geometry=boxes, crs="EPSG:27700",
    )  # fmt: skip
    layer.to_file(folder / "wards.gpkg", layer="wards", driver="GPKG")
    _crime(EARLIER, ["202301", "202302"]).to_csv(folder / "crime_early.csv", index=False)
    _crime(LATER, ["202401", "202402"]).to_csv(folder / "crime_late.csv", index=False)
    pd.DataFrame({"offence": ["OTHER THEFT", "VIOLENCE WITH INJURY"], "weight": [1.0, 10.0]}).to_csv(
        folder / "harm.csv", index=False
    )
    pd.DataFrame({"WD22CD": CODES, "pop_total": POPULATION}).to_csv(folder / "population.csv", index=False)
    lsoa = [f"L{k // 2 + 1}{'ab'[k % 2]}" for k in range(len(LSOAS))]
    pd.DataFrame({"LSOA21CD": lsoa, "WD25CD": [CODES[r[0]] for r in LSOAS]}).to_csv(folder / "lookup.csv", index=False)
    pd.DataFrame(
        {"lsoa21_code": lsoa, "IMD_decile": [float(r[3]) for r in LSOAS], "IMD_score": [r[2] for r in LSOAS]}
    ).to_csv(folder / "imd.csv", index=False)
    eth = []
    for code, r in zip(lsoa, LSOAS, strict=True):
        for g, n in zip(GROUPS, r[4:], strict=True):
            eth.append({"lsoa21_code": code, "total_residents": sum(r[4:]), "ethnic_group": g, "n": n})
    pd.DataFrame(eth).to_csv(folder / "ethnicity.csv", index=False)
    scenario: dict[str, Any] = {
        "name": "tiny",
        "data": {
            "source": "files",
            "wards": {"path": "wards.gpkg", "layer": "wards"},
            "crime": {"path": "crime_late.csv"},
            "harm": {"weights": "harm.csv"},
            "population": {"path": "population.csv"},
            "exclude_boroughs": [],
        },
        "need": {"weights": {"demand": 0.0, "harm": 1.0, "population": 0.0}},
        "workforce": {
            "constable": {"headcount": 18, "availability": 1.0, "annual_cost": 1.0},
            "pcso": {"headcount": 6, "availability": 1.0, "annual_cost": 1.0},
            "sergeant": {"headcount": 10, "availability": 1.0, "annual_cost": 1.0},
            "inspector": {"headcount": 4, "availability": 1.0, "annual_cost": 1.0},
        },
        "rules": {"ward_floor": {"constable": 2, "pcso": 1}, "supervision": {"sergeant_span": 8, "inspector_span": 6}},
        "objective": {
            "kind": "value",
            "pcso_model": "substitution",
            "pcso_effectiveness": 0.5,
            "saturation": 1.0,
            "cost_weight": 0.0,
        },
        "solver": {"time_limit": 10, "seed": 0, "gap": 0.0, "workers": 1},
    }
    if equity:
        scenario["data"].update(
            {
                "lsoa_lookup": {"path": "lookup.csv"},
                "deprivation": {"path": "imd.csv"},
                "ethnicity": {"path": "ethnicity.csv"},
            }
        )
    if backtest:
        scenario["backtest"] = {"earlier": {"crime": {"path": "crime_early.csv"}}}
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path
