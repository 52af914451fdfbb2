"""Write the small upload files of the app tests (run once; the outputs are committed).

Six 1 km square wards in two boroughs (British National Grid), an MPS-format
crime file for them, and broken variants.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent


def wards() -> dict:
    feats = []
    for k in range(6):
        x0, y0 = 530000 + 1000 * (k % 3), 180000 + 1000 * (k // 3)
        ring = [[x0, y0], [x0 + 1000, y0], [x0 + 1000, y0 + 1000], [x0, y0 + 1000], [x0, y0]]
        borough = ("E09999991", "Westshire") if k % 3 < 2 else ("E09999992", "Eastshire")
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "WD22CD": f"E0599990{k + 1}",
                    "WD22NM": f"Upload Ward {k + 1}",
                    "LAD22CD": borough[0],
                    "LAD22NM": borough[1],
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": feats,
    }


def crime() -> str:
    lines = ["MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202401,202402,202403"]
    for k in range(6):
        code, name = f"E0599990{k + 1}", f"Upload Ward {k + 1}"
        lines.append(f"THEFT,SHOPLIFTING,{name},{code},Westshire,{10 + k},{12 + k},{11 + k}")
        lines.append(f"VIOLENCE AGAINST THE PERSON,VIOLENCE WITH INJURY,{name},{code},Westshire,{k},{k + 1},{k}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (HERE / "wards_small.geojson").write_text(json.dumps(wards(), indent=1) + "\n")
    (HERE / "crime_small.csv").write_text(crime())
    (HERE / "wards_not_json.geojson").write_text("this is not GeoJSON\n")
    broken = wards()
    broken["features"][1]["properties"]["WD22CD"] = broken["features"][0]["properties"]["WD22CD"]
    (HERE / "wards_duplicate_code.geojson").write_text(json.dumps(broken, indent=1) + "\n")
    (HERE / "crime_bad_month.csv").write_text(crime().replace("202402", "2024-02", 1))
    (HERE / "crime_other_wards.csv").write_text(crime().replace("E059999", "E051111"))
    (HERE / "scenario_bad.yaml").write_text("name: broken\nworkforce:\n  pcso: {headcount: -5}\nrules: [1, 2\n")
    (HERE / "scenario_unknown_key.yaml").write_text("name: odd\nworkforce:\n  pcsos: {headcount: 5}\n")
