"""Issue 11's phasing targets on real London, today's behaviour beside the new rules.

``phasing_targets(data_dir)`` solves ``scenarios/finance/london-phasing-2023-25.yaml`` twice:
*before*, with continuity, additionality and the terminal condition switched off
(``finance.phasing.continuity: {max_move_share: null, borough_move_share: null}``,
``additionality: {base_floor: null}``, ``terminal: {hold: null}``), which is the phasing model
as it was; and *after*, with the scenario's (default) rules. Each target is measured the same
way on both (moves between boroughs as defined in :mod:`planner.finance.phasing_rules`: a
borough's loss below what it was expected to keep after its share of the quarter's leavers,
less people stood down for want of supervisors).

``bench_stability.py`` calls :func:`phasing_targets` and prints its rows; run alone::

    python benchmarks/stability_phasing.py [--data-dir DIR] [--time-limit S]

Timings are wall-clock on whatever machine runs it (noisy on a shared 2-core box).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCENARIO = REPO / "scenarios" / "finance" / "london-phasing-2023-25.yaml"
RULES_OFF: dict[str, Any] = {
    "finance.phasing.continuity": {"max_move_share": None, "borough_move_share": None},
    "finance.phasing.additionality": {"base_floor": None},
    "finance.phasing.terminal": {"hold": None},
}
"""The scenario changes that switch the three rules off (today's behaviour)."""


def _streams(final: dict[str, int]) -> str:
    """``mayor 500, turnaround 1,100``: each stream's strength at the end."""
    return ", ".join(f"{name} {n:,}" for name, n in final.items())


def _measures(res: Any) -> dict[str, Any]:
    """Every figure the targets need, from one phasing result."""
    from planner.finance.phasing_rules import moved

    pb, f, d = res.problem, res.flows, res.deploy
    mv = moved(pb, f, d, res.stood_down)
    before = d.sum(axis=1)
    share = np.zeros(mv.shape, dtype=float)
    share[:, 1:] = mv[:, 1:] / np.maximum(before[:, :-1], 1)
    fall = np.maximum(0, d[:, :, :-1] - d[:, :, 1:])  # plain fall of a borough's strength, leavers included
    worst = np.unravel_index(int(np.argmax(fall[0])), fall[0].shape)
    base = next(j for j, p in enumerate(pb.pools) if not p.is_stream and p.rank == 1)
    streams_on_time = all(
        bool((f.stock[j, p.by :] >= p.target).all()) for j, p in enumerate(pb.pools) if p.is_stream and p.by is not None
    )
    rank_trainees = [int(f.trainees[[j for j, p in enumerate(pb.pools) if p.rank == k], -1].sum()) for k in range(4)]
    return {
        "moved_constables": [int(x) for x in mv[0, 1:]],
        "moved_pcsos": [int(x) for x in mv[1, 1:]],
        "worst_share_constables": float(share[0].max()),
        "worst_share_pcsos": float(share[1].max()),
        "fall_constables": [int(x) for x in fall[0].sum(axis=0)],
        "worst_borough_fall": (
            pb.borough_names[worst[0]],
            pb.labels[worst[1]],
            int(d[0, worst[0], worst[1]]),
            int(d[0, worst[0], worst[1] + 1]),
        ),
        "base_pcso": [int(x) for x in f.stock[base]],
        "base_pcso_low": float(f.stock[base].min() / f.stock[base, 0] - 1),
        "trainees_last": rank_trainees,
        "streams_on_time": streams_on_time,
        "streams_final": {p.name: int(f.stock[j, -1]) for j, p in enumerate(pb.pools) if p.is_stream},
        "stood_down": int(res.stood_down.sum()),
        "cash": int(res.cost_pence.sum()) / 100,
        "objective": res.objective,
        "gap": res.gap,
        "seconds": res.seconds,
    }


def _solve(data_dir: str | Path, changes: dict[str, Any], time_limit: float) -> tuple[dict[str, Any], float]:
    import planner
    from planner.finance.phasing import plan_phasing
    from planner.finance.phasing_result import check_phasing

    sc = planner.load_scenario(SCENARIO).with_changes(changes)
    inputs = planner.load_inputs(sc, data_dir, scenario_dir=SCENARIO.parent)
    t0 = time.perf_counter()
    res = plan_phasing(sc, inputs.wards, time_limit=time_limit, seed=0)
    wall = time.perf_counter() - t0
    violations = check_phasing(res)
    out = _measures(res)
    out["violations"] = violations
    return out, wall


def phasing_targets(data_dir: str | Path, *, time_limit: float = 120.0) -> list[dict[str, Any]]:
    """Issue 11's phasing targets, measured before (rules off) and after (rules on) on real London.

    Parameters
    ----------
    data_dir : str or Path
        The public London data folder (``/work/shared/data``; see its SOURCES.md).
    time_limit : float
        Seconds per phasing solve (both runs).

    Returns
    -------
    list of dict
        One row per target: ``target``, ``goal``, ``before``, ``after`` (display strings),
        ``met_before`` and ``met`` (bool or None for figures without a goal), ``unit``.
    """
    old, old_wall = _solve(data_dir, RULES_OFF, time_limit)
    new, new_wall = _solve(data_dir, {}, time_limit)

    def pct(x: float) -> str:
        return f"{100 * x:.2f} %"

    def row(target: str, goal: str, before: str, after: str, met_before: Any, met: Any, unit: str) -> dict:
        return {
            "target": target,
            "goal": goal,
            "before": before,
            "after": after,
            "met_before": met_before,
            "met": met,
            "unit": unit,
        }

    return [
        row(
            "constables moved between boroughs, worst quarter",
            "<= 2 % of constables every quarter",
            f"{max(old['moved_constables'])} ({pct(old['worst_share_constables'])})",
            f"{max(new['moved_constables'])} ({pct(new['worst_share_constables'])})",
            old["worst_share_constables"] <= 0.02,
            new["worst_share_constables"] <= 0.02,
            "people a quarter (share of those deployed the quarter before)",
        ),
        row(
            "constables moved, each quarter",
            "",
            ", ".join(map(str, old["moved_constables"])),
            ", ".join(map(str, new["moved_constables"])),
            None,
            None,
            "people, 2023Q3 .. 2025Q1",
        ),
        row(
            "PCSOs moved between boroughs, worst quarter",
            "<= 2 % (the rule covers PCSOs too)",
            f"{max(old['moved_pcsos'])} ({pct(old['worst_share_pcsos'])})",
            f"{max(new['moved_pcsos'])} ({pct(new['worst_share_pcsos'])})",
            old["worst_share_pcsos"] <= 0.02,
            new["worst_share_pcsos"] <= 0.02,
            "people a quarter",
        ),
        row(
            "plain fall of boroughs' constables, each quarter (leavers included)",
            "",
            ", ".join(map(str, old["fall_constables"])),
            ", ".join(map(str, new["fall_constables"])),
            None,
            None,
            "people (the issue's measure)",
        ),
        row(
            "largest one-quarter fall of a borough's constables",
            "",
            "{} {}: {} -> {}".format(*old["worst_borough_fall"]),
            "{} {}: {} -> {}".format(*new["worst_borough_fall"]),
            None,
            None,
            "constables deployed",
        ),
        row(
            "base PCSO pool, lowest against its first quarter",
            ">= -2 %",
            f"{pct(old['base_pcso_low'])} ({min(old['base_pcso'])} of {old['base_pcso'][0]})",
            f"{pct(new['base_pcso_low'])} ({min(new['base_pcso'])} of {new['base_pcso'][0]})",
            old["base_pcso_low"] >= -0.02,
            new["base_pcso_low"] >= -0.02,
            "people in post",
        ),
        row(
            "trainees in the last quarter, constables",
            "> 0",
            str(old["trainees_last"][0]),
            str(new["trainees_last"][0]),
            old["trainees_last"][0] > 0,
            new["trainees_last"][0] > 0,
            "people in training",
        ),
        row(
            "trainees in the last quarter, PCSOs",
            "> 0",
            str(old["trainees_last"][1]),
            str(new["trainees_last"][1]),
            old["trainees_last"][1] > 0,
            new["trainees_last"][1] > 0,
            "people in training",
        ),
        row(
            "both funded streams on time (mayor 500 by 2024Q1, turnaround 1,100 by 2025Q1)",
            "yes",
            f"{'yes' if old['streams_on_time'] else 'no'} ({_streams(old['streams_final'])})",
            f"{'yes' if new['streams_on_time'] else 'no'} ({_streams(new['streams_final'])})",
            old["streams_on_time"],
            new["streams_on_time"],
            "PCSOs in post at the end",
        ),
        row(
            "people stood down for want of supervisors (all quarters)",
            "",
            str(old["stood_down"]),
            str(new["stood_down"]),
            None,
            None,
            "person-quarters",
        ),
        row(
            "cost over the plan (cash)",
            "",
            f"£{old['cash']:,.0f}",
            f"£{new['cash']:,.0f}",
            None,
            None,
            "pounds, 2023Q2-2025Q1",
        ),
        row(
            "need served (objective) and gap to bound",
            "",
            f"{old['objective']:,.3f} ({pct(old['gap'])})",
            f"{new['objective']:,.3f} ({pct(new['gap'])})",
            None,
            None,
            "value units",
        ),
        row(
            "phasing solve time",
            "",
            f"{old_wall:.1f} s",
            f"{new_wall:.1f} s",
            None,
            None,
            "seconds wall-clock (shared machine: noisy)",
        ),
        row(
            "rules recomputed from the result (check_phasing)",
            "no violation",
            f"{len(old['violations'])} violations",
            f"{len(new['violations'])} violations",
            not old["violations"],
            not new["violations"],
            "",
        ),
    ]


def format_targets(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain side-by-side table."""

    def mark(x: Any) -> str:
        return "" if x is None else ("met" if x else "MISSED")

    lines = [f"{'target':<72} {'goal':<36} {'today':<44} {'with the rules'}"]
    for r in rows:
        before = f"{r['before']} {mark(r['met_before'])}".strip()
        after = f"{r['after']} {mark(r['met'])}".strip()
        lines.append(f"{r['target']:<72} {r['goal']:<36} {before:<44} {after:<44}".rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("PLANNER_DATA_DIR", str(REPO.parent / "shared" / "data")))
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    if not (Path(args.data_dir) / "london_wards_2022_bng.gpkg").is_file():
        print(f"London data not found in {args.data_dir}: set --data-dir or PLANNER_DATA_DIR", file=sys.stderr)
        return 2
    print(format_targets(phasing_targets(args.data_dir, time_limit=args.time_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
