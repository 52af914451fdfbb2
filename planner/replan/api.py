"""Re-plan on later crime from an earlier plan, and count who moves (see :mod:`planner.replan`)."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.api import solve
from planner.errors import ScenarioError
from planner.inputs.loader import Inputs, load_inputs
from planner.problem import people_moved
from planner.report.outputs import commit_files, plan_writers, write_json
from planner.report.result import Plan
from planner.scenario import Scenario
from planner.textsafe import safe_frame

DEFAULT_THRESHOLD = 0.1
"""``rules.stability.move_threshold`` used for the stable re-plan when the scenario sets no stability rule."""

COLUMNS = (
    "shift_months", "earlier_window", "later_window", "constables", "pcsos",
    "constables_moved_free", "pcsos_moved_free", "constables_moved_stable", "pcsos_moved_stable",
    "moved_stable_pct", "value_kept_pct",
)  # fmt: skip


def _month_index(month: int) -> int:
    return (month // 100) * 12 + (month % 100) - 1


def _month_of(index: int) -> int:
    return (index // 12) * 100 + index % 12 + 1


@dataclass(frozen=True)
class ShiftResult:
    """One shift: the windows, and the people each re-plan moves from the earlier plan."""

    shift: int
    earlier: tuple[int, int]
    later: tuple[int, int]
    constables: int
    pcsos: int
    moved_free: tuple[int, int]
    moved_stable: tuple[int, int]
    value_kept: float
    """The stable re-plan's value as a share of the free re-plan's (both without move costs)."""

    def row(self) -> dict[str, object]:
        """One row of stability.csv."""
        moved = sum(self.moved_stable)
        return {
            "shift_months": self.shift,
            "earlier_window": f"{self.earlier[0]}-{self.earlier[1]}",
            "later_window": f"{self.later[0]}-{self.later[1]}",
            "constables": self.constables,
            "pcsos": self.pcsos,
            "constables_moved_free": self.moved_free[0],
            "pcsos_moved_free": self.moved_free[1],
            "constables_moved_stable": self.moved_stable[0],
            "pcsos_moved_stable": self.moved_stable[1],
            "moved_stable_pct": round(100.0 * moved / max(self.constables + self.pcsos, 1), 2),
            "value_kept_pct": round(100.0 * self.value_kept, 4),
        }


def _value(plan: Plan) -> float:
    """The plan's value without move costs (what it is worth, not what it cost to get there)."""
    prob = dataclasses.replace(plan.problem, move_cost=0.0)
    return prob.objective(plan.constables, plan.pcsos, plan.sergeants, plan.inspectors)


def _windowed(scenario: Scenario, lo: int, hi: int) -> Scenario:
    return scenario.with_changes({"data.crime.months": {"start": lo, "end": hi}})


def window_stability(
    scenario: Scenario,
    data_dir: str | Path | None,
    *,
    scenario_dir: str | Path | None = None,
    shifts: Sequence[int] = (1, 3, 12),
    months: int = 12,
    progress: Callable[[str], None] | None = None,
) -> list[ShiftResult]:
    """Plan on an earlier window and re-plan on the latest, for each shift ``k``.

    The plan is on the ``months`` months ending ``k`` months before the data's last month; the re-plan on the last
    ``months`` months, from scratch and from that plan (see :mod:`planner.replan`).

    Raises
    ------
    ScenarioError
        If the scenario has no crime file, or the data cannot hold both windows of a shift.
    """
    if scenario.data.source != "files" or scenario.data.crime is None:
        raise ScenarioError("planner stability needs a crime file (data.source: files)", source=scenario.name)
    stable = scenario
    spec = scenario.rules.stability
    if spec.move_threshold == 0 and spec.max_total_moves is None and spec.max_moves_share is None:
        stable = scenario.with_changes({"rules.stability.move_threshold": DEFAULT_THRESHOLD})
    inputs: Inputs = load_inputs(scenario.with_changes({"data.current": None}), data_dir, scenario_dir=scenario_dir)
    available = inputs.geography.crime.months
    last = _month_index(max(available))
    first = _month_index(min(available))
    later = (_month_of(last - months + 1), _month_of(last))
    out: list[ShiftResult] = []
    free_cache: dict[tuple[int, int], Plan] = {}
    with tempfile.TemporaryDirectory(prefix="planner-stability-") as tmp:
        for k in shifts:
            if last - k - months + 1 < first:
                raise ScenarioError(
                    f"the crime data has {len(available)} months ({min(available)}-{max(available)}): too few for "
                    f"a {months}-month window shifted by {k} months"
                )
            earlier = (_month_of(last - k - months + 1), _month_of(last - k))
            if progress:
                progress(f"shift {k} month(s): planning {earlier[0]}-{earlier[1]}")
            base = solve(_windowed(scenario, *earlier).with_changes({"data.current": None}), data_dir,
                         inputs=inputs, scenario_dir=scenario_dir)  # fmt: skip
            folder = Path(tmp) / f"shift{k}"
            commit_files(folder, plan_writers(base, None))
            if later not in free_cache:
                free_cache[later] = solve(_windowed(scenario, *later).with_changes({"data.current": None}), data_dir,
                                          inputs=inputs, scenario_dir=scenario_dir)  # fmt: skip
            free = free_cache[later]
            current = {"path": str(folder / "allocation.csv"), "boroughs": str(folder / "boroughs.csv")}
            if progress:
                progress(f"shift {k} month(s): re-planning {later[0]}-{later[1]} from it")
            again = solve(_windowed(stable, *later).with_changes({"data.current": current}), data_dir,
                          inputs=inputs, scenario_dir=scenario_dir)  # fmt: skip
            out.append(
                ShiftResult(
                    shift=k,
                    earlier=earlier,
                    later=later,
                    constables=int(base.constables.sum()),
                    pcsos=int(base.pcsos.sum()),
                    moved_free=(people_moved(base.constables, free.constables), people_moved(base.pcsos, free.pcsos)),
                    moved_stable=(
                        people_moved(base.constables, again.constables),
                        people_moved(base.pcsos, again.pcsos),
                    ),
                    value_kept=_value(again) / _value(free),
                )
            )
    return out


def stability_table(results: Sequence[ShiftResult]) -> pd.DataFrame:
    """stability.csv as a table."""
    return pd.DataFrame([r.row() for r in results], columns=list(COLUMNS))


def write_stability(results: Sequence[ShiftResult], out_dir: str | Path) -> list[Path]:
    """Write stability.csv and stability.json (all or nothing)."""
    table = stability_table(results)

    def csv(path: Path) -> None:
        safe_frame(table).to_csv(path, index=False)

    def summary(path: Path) -> None:
        write_json(path, {"shifts": table.to_dict(orient="records")})

    return commit_files(out_dir, {"stability.csv": csv, "stability.json": summary})


def describe(results: Sequence[ShiftResult]) -> str:
    """The table in plain words, one line per shift."""
    lines = []
    for r in results:
        pct = 100.0 * sum(r.moved_stable) / max(r.constables + r.pcsos, 1)
        lines.append(
            f"window {r.later[0]}-{r.later[1]} vs {r.shift} month(s) earlier: from scratch "
            f"{r.moved_free[0]:,} constables and {r.moved_free[1]:,} PCSOs change ward; from the earlier plan "
            f"{r.moved_stable[0]:,} and {r.moved_stable[1]:,} ({pct:.1f} %), keeping "
            f"{100 * r.value_kept:.2f} % of the value"
        )
    return "\n".join(lines)


__all__ = ["COLUMNS", "ShiftResult", "describe", "stability_table", "window_stability", "write_stability"]
