"""What the transition says, in numbers and in plain sentences.

Everything is recomputed from the transition's tables: how many 2018 teams
the new boundaries split, which 2022 wards inherit no ward officer or no PCSO,
whether totals were kept, and what the 2022 ward floor (2 + 1 by default)
needs beyond the old model, London-wide and borough by borough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.transition.api import Transition

MATERIAL_SHARE = 0.10
"""A 2018 team is split materially when a second 2022 ward gets at least this share of it."""
_LISTED = 8  # wards named in the printed summary (summary.json lists them all)


def _wards(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {"ward_code": c, "ward_name": n, "borough": b}
        for c, n, b in frame[["ward_code", "ward_name", "borough"]].itertuples(index=False)
    ]


def _splits(t: Transition) -> dict[str, Any]:
    cw = t.crosswalk
    pieces = cw.groupby("ward_2018")["ward_2022"].size()
    second = cw.sort_values(["ward_2018", "share"], ascending=[True, False]).groupby("ward_2018")["share"].nth(1)
    counts = pieces.value_counts().sort_index()
    return {
        "teams": len(t.wards_2018),
        "split": int(np.count_nonzero(pieces.to_numpy() > 1)),
        "split_materially": int(np.count_nonzero(second.to_numpy() >= MATERIAL_SHARE)),
        "material_share": MATERIAL_SHARE,
        "by_number_of_2022_wards": {str(k): int(v) for k, v in counts.items()},
        "most_2022_wards": int(pieces.max()) if len(pieces) else 0,
    }


def _boroughs(t: Transition, floor_x: int, floor_p: int) -> list[dict[str, Any]]:
    new = t.wards_2022.assign(
        top_x=np.maximum(floor_x - t.wards_2022["constables"], 0), top_p=np.maximum(floor_p - t.wards_2022["pcsos"], 0)
    )
    old = t.wards_2018.groupby("borough_code").agg(wards_2018=("ward_code", "size"))
    per = new.groupby(["borough_code", "borough"], sort=True).agg(
        wards_2022=("ward_code", "size"),
        constables=("constables", "sum"),
        pcsos=("pcsos", "sum"),
        top_up_constables=("top_x", "sum"),
        top_up_pcsos=("top_p", "sum"),
    )
    per = per.reset_index().merge(old, left_on="borough_code", right_index=True, how="left")
    per["wards_2018"] = per["wards_2018"].fillna(0).astype(int)
    per["floor_constables"] = per["wards_2022"] * floor_x
    per["floor_pcsos"] = per["wards_2022"] * floor_p
    columns = ["borough_code", "borough", "wards_2018", "wards_2022", "constables", "pcsos"]
    columns += ["floor_constables", "floor_pcsos", "top_up_constables", "top_up_pcsos"]
    return [
        {str(k): (v if isinstance(v, str) else int(v)) for k, v in row.items()}
        for row in per[columns].to_dict("records")
    ]


def summarise(t: Transition) -> dict[str, Any]:
    """The summary of a transition as plain data (the content of summary.json)."""
    old, new = t.wards_2018, t.wards_2022
    floor_x, floor_p = t.model.floor.constables, t.model.floor.pcsos
    old_x, old_p = int(old["constables"].sum()), int(old["pcsos"].sum())
    new_x, new_p = int(new["constables"].sum()), int(new["pcsos"].sum())
    borough_of = pd.concat([old, new]).drop_duplicates("ward_code").set_index("ward_code")["borough_code"]
    crossing = (
        borough_of.reindex(t.crosswalk["ward_2018"]).to_numpy()
        != borough_of.reindex(t.crosswalk["ward_2022"]).to_numpy()
    )
    codes = sorted(set(old["borough_code"]) | set(new["borough_code"]))
    per_old = old.groupby("borough_code")[["constables", "pcsos"]].sum().reindex(codes, fill_value=0)
    per_new = new.groupby("borough_code")[["constables", "pcsos"]].sum().reindex(codes, fill_value=0)
    kept_by_borough = np.array_equal(per_old.to_numpy(), per_new.to_numpy())
    rounding = np.abs(
        np.concatenate([new["constables"] - new["constables_unrounded"], new["pcsos"] - new["pcsos_unrounded"]])
    )
    below = (new["constables"] < floor_x) | (new["pcsos"] < floor_p)
    return {
        "weights": t.weights,
        "model_2018": {
            "wards": len(old),
            "defaults": t.model.defaults.model_dump(),
            "wards_changed": len(t.model.wards),
            "constables": old_x,
            "pcsos": old_p,
        },
        "carried_to_2022": {
            "wards": len(new),
            "constables": new_x,
            "pcsos": new_p,
            "totals_kept": old_x == new_x and old_p == new_p,
            "borough_totals_kept": bool(kept_by_borough),
            "largest_rounding": float(rounding.max()) if len(rounding) else 0.0,
            "shares_crossing_a_borough_boundary": int(crossing.sum()),
        },
        "split_teams": _splits(t),
        "no_ward_officer": _wards(new[new["constables"] == 0]),
        "no_pcso": _wards(new[new["pcsos"] == 0]),
        "no_share_of_any_2018_team": _wards(new[~new["ward_code"].isin(t.crosswalk["ward_2022"])]),
        "floor": {
            "constables": floor_x,
            "pcsos": floor_p,
            "needs": {"constables": floor_x * len(new), "pcsos": floor_p * len(new)},
            "beyond_old_model": {"constables": floor_x * len(new) - old_x, "pcsos": floor_p * len(new) - old_p},
            "wards_below": int(below.sum()),
            "top_up_without_moves": {
                "constables": int(np.maximum(floor_x - new["constables"], 0).sum()),
                "pcsos": int(np.maximum(floor_p - new["pcsos"], 0).sum()),
            },
        },
        "boroughs": _boroughs(t, floor_x, floor_p),
        "notes": list(t.notes),
    }


def _named(wards: list[dict[str, str]]) -> str:
    shown = ", ".join(f"{w['ward_name']} ({w['borough']})" for w in wards[:_LISTED])
    return shown + (f" and {len(wards) - _LISTED} more" if len(wards) > _LISTED else "")


def _people(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def summary_text(s: dict[str, Any]) -> str:
    """A few plain sentences from :func:`summarise`'s output."""
    m, c, sp, f = s["model_2018"], s["carried_to_2022"], s["split_teams"], s["floor"]
    d = m["defaults"]
    changed = f", {m['wards_changed']:,} wards changed by the model file" if m["wards_changed"] else ""
    officers = _people(d["constables"], "dedicated ward officer", "dedicated ward officers")
    pcsos = _people(d["pcsos"], "PCSO", "PCSOs")
    lines = [
        f"2018 model: {m['wards']:,} wards with {officers} and {pcsos} each{changed}: "
        f"{m['constables']:,} constables and {m['pcsos']:,} PCSOs.",
        f"Carried to the {c['wards']:,} wards of 2022 by {s['weights']} shares: {c['constables']:,} constables and "
        f"{c['pcsos']:,} PCSOs in whole people (totals kept: {'yes' if c['totals_kept'] else 'NO'}; borough "
        f"totals kept: {'yes' if c['borough_totals_kept'] else 'no'}; each ward within "
        f"{c['largest_rounding']:.2f} people of its exact share).",
        f"{sp['split']:,} of the {sp['teams']:,} 2018 teams are split across several 2022 wards "
        f"({sp['split_materially']:,} with at least {sp['material_share']:.0%} in a second ward; "
        f"up to {sp['most_2022_wards']} wards).",
        f"{len(s['no_ward_officer']):,} of the {c['wards']:,} 2022 wards "
        f"{'inherits' if len(s['no_ward_officer']) == 1 else 'inherit'} no ward officer"
        + (f": {_named(s['no_ward_officer'])}" if s["no_ward_officer"] else "")
        + f"; {len(s['no_pcso']):,} {'inherits' if len(s['no_pcso']) == 1 else 'inherit'} no PCSO.",
        f"The {f['constables']} + {f['pcsos']} floor on {c['wards']:,} wards needs {f['needs']['constables']:,} "
        f"constables and {f['needs']['pcsos']:,} PCSOs: {f['beyond_old_model']['constables']:+,} constables and "
        f"{f['beyond_old_model']['pcsos']:+,} PCSOs against the old model. Without moving anyone, topping up the "
        f"{f['wards_below']:,} wards below it needs {f['top_up_without_moves']['constables']:,} constables and "
        f"{f['top_up_without_moves']['pcsos']:,} PCSOs.",
    ]
    if s["no_share_of_any_2018_team"]:
        lines.append(
            f"{len(s['no_share_of_any_2018_team']):,} 2022 wards overlap no 2018 ward: "
            + _named(s["no_share_of_any_2018_team"])
        )
    return "\n".join(lines)
