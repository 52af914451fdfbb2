"""The result of a team design: per-team arrays, tables and metrics.

:class:`TeamDesign` is immutable and self-checking: :meth:`TeamDesign.build`
recomputes contiguity from the adjacency edges, the sergeant span of every
team and the inspector span of every inspector, and refuses to build a design
that breaks any of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.inputs.data import WardData
from planner.scenario import Supervision
from planner.scenario.teams import TeamsSpec
from planner.teams import metrics as M
from planner.teams.graph import split_groups
from planner.teams.spans import assign_inspectors, inspector_capacity, inspector_loads, team_sergeants

if TYPE_CHECKING:
    from planner.teams.design import Workload
    from planner.teams.solve import BoroughJob, BoroughResult


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def ward_list(wards: WardData, idx: Sequence[int] | np.ndarray, limit: int = 8) -> str:
    """``Name (code), ...`` for a message, at most ``limit`` wards then a count."""
    idx = [int(i) for i in idx]
    shown = ", ".join(f"{wards.names[i]} ({wards.codes[i]})" for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def verify_contiguity(wards: WardData, team_of: np.ndarray, team_ids: tuple[str, ...]) -> None:
    """Fail loudly if a team is not one connected piece of the adjacency graph."""
    broken = split_groups(team_of, wards.edges)
    if broken:
        lines = [
            f"team {team_ids[t]} falls apart into {len(p)} pieces: "
            + "; ".join(f"[{ward_list(wards, piece)}]" for piece in p)
            for t, p in broken.items()
        ]
        raise RuntimeError("internal error, teams not contiguous:\n" + "\n".join(lines))
    if (team_of < 0).any():
        raise RuntimeError(f"internal error, wards without a team: {ward_list(wards, np.flatnonzero(team_of < 0))}")


@dataclass(frozen=True)
class BoroughReport:
    """How one borough's teams were found, and what was proven."""

    borough: int
    name: str
    free_wards: int
    locked_teams: int
    teams: int
    sizing_rule: str
    sized_teams: int
    method: str
    seconds: float
    balance_status: str | None = None
    balance_bound: float | None = None
    cut_status: str | None = None
    cut_border_m: float | None = None
    cut_bound_m: float | None = None
    sergeants: int | None = None
    sergeants_bound: int | None = None
    wall_limit_hit: bool = False
    attempts: tuple[str, ...] = field(default=())

    @classmethod
    def from_result(cls, job: BoroughJob, res: BoroughResult, rule: str, sized: int) -> BoroughReport:
        """Summarise a solved job."""
        ex = res.exact
        tried = tuple(
            f"{a.k + job.locked_teams} teams: {a.outcome}"
            + (f" (CP-SAT balance {a.exact.balance_status}, compactness {a.exact.cut_status})" if a.exact else "")
            for a in res.attempts
        )
        return cls(
            borough=job.borough,
            name=job.name,
            free_wards=len(job.load),
            locked_teams=job.locked_teams,
            teams=res.k + job.locked_teams,
            sizing_rule=rule,
            sized_teams=sized,
            method=res.method,
            seconds=res.seconds,
            balance_status=ex.balance_status if ex else None,
            balance_bound=ex.balance_bound if ex else None,
            cut_status=ex.cut_status if ex else None,
            cut_border_m=ex.cut if ex else None,
            cut_bound_m=ex.cut_bound if ex else None,
            sergeants=ex.sergeants if ex else None,
            sergeants_bound=ex.sergeants_bound if ex else None,
            wall_limit_hit=any(a.exact is not None and a.exact.hit_wall_limit for a in res.attempts),
            attempts=tried,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "borough": self.name,
            "teams": self.teams,
            "locked_teams": self.locked_teams,
            "free_wards": self.free_wards,
            "sizing": f"{self.sizing_rule} -> {self.sized_teams}",
            "method": self.method,
            "seconds": _r(self.seconds, 3),
            "cp_sat_balance": self.balance_status,
            "cp_sat_sergeants": self.sergeants,
            "cp_sat_sergeants_bound": self.sergeants_bound,
            "cp_sat_balance_bound": _r(self.balance_bound),
            "cp_sat_compactness": self.cut_status,
            "cp_sat_cut_border_m": _r(self.cut_border_m, 1),
            "cp_sat_cut_border_bound_m": _r(self.cut_bound_m, 1),
            "cp_sat_wall_limit_hit": self.wall_limit_hit,
            "attempts": list(self.attempts),
        }


@dataclass(frozen=True, eq=False)
class TeamDesign:
    """Teams of every borough with their workload, supervisors and shape.

    Team-level arrays have shape (T,), in the order of ``team_ids`` (borough
    by borough). ``team_of`` (W,) gives each ward's team index.
    """

    wards: WardData
    spec: TeamsSpec
    supervision: Supervision
    team_of: np.ndarray
    team_ids: tuple[str, ...]
    team_borough: np.ndarray
    team_locked: np.ndarray
    need: np.ndarray
    load: np.ndarray
    mean: np.ndarray
    supervisees: np.ndarray
    constables: np.ndarray | None
    pcsos: np.ndarray | None
    sergeants: np.ndarray
    inspectors: tuple[tuple[str, ...], ...]
    area_m2: np.ndarray | None
    perimeter_m: np.ndarray | None
    boroughs: tuple[BoroughReport, ...]
    balance_on: str
    notes: tuple[str, ...] = field(default=())
    seconds: float = 0.0
    ratio_sergeants: np.ndarray | None = None
    ratio_inspectors: np.ndarray | None = None
    rank_costs: Mapping[str, float] | None = None
    headcount: Mapping[str, int] | None = None

    # ------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        *,
        wards: WardData,
        work: Workload,
        spec: TeamsSpec,
        supervision: Supervision,
        shapes: Mapping[str, np.ndarray] | None,
        team_of: np.ndarray,
        team_ids: tuple[str, ...],
        team_borough: np.ndarray,
        team_locked: np.ndarray,
        boroughs: tuple[BoroughReport, ...],
        notes: tuple[str, ...],
        seconds: float,
    ) -> TeamDesign:
        """Compute every team figure from the assignment and check all rules."""
        verify_contiguity(wards, team_of, team_ids)
        n = len(team_ids)
        if (wards.borough != team_borough[team_of]).any():
            raise RuntimeError("internal error: a team spans two boroughs")

        def per_team(values: np.ndarray) -> np.ndarray:
            return np.bincount(team_of, weights=np.asarray(values, dtype=float), minlength=n)

        load = per_team(work.load)
        borough_total = np.bincount(team_borough, weights=load, minlength=wards.n_boroughs)
        borough_teams = np.bincount(team_borough, minlength=wards.n_boroughs)
        mean = (borough_total / np.maximum(borough_teams, 1))[team_borough]
        sup = per_team(work.supervisees)
        sergeants = team_sergeants(sup, supervision.sergeant_span)
        adjacent: list[set[int]] = [set() for _ in range(n)]
        for i, j in wards.edges.tolist():
            a, b = int(team_of[i]), int(team_of[j])
            if a != b:
                adjacent[a].add(b)
                adjacent[b].add(a)
        inspectors = assign_inspectors(
            sergeants, team_borough, adjacent, supervision.inspector_span, wards.borough_codes.tolist()
        )
        area = perim = None
        if shapes is not None:
            area, perim = M.team_area_perimeter(
                team_of, n, wards.edges, shapes["area_m2"], shapes["perimeter_m"], shapes["shared_m"]
            )
        design = cls(
            wards=wards,
            spec=spec,
            supervision=supervision,
            team_of=team_of,
            team_ids=team_ids,
            team_borough=team_borough,
            team_locked=team_locked,
            need=per_team(work.need),
            load=load,
            mean=mean,
            supervisees=sup,
            constables=None if work.constables is None else per_team(work.constables),
            pcsos=None if work.pcsos is None else per_team(work.pcsos),
            sergeants=sergeants,
            inspectors=tuple(inspectors),
            area_m2=area,
            perimeter_m=perim,
            boroughs=boroughs,
            balance_on=work.balance_on,
            notes=notes,
            seconds=seconds,
        )
        design.check()
        return design

    def check(self) -> None:
        """Recheck contiguity and both spans from scratch; raise RuntimeError if broken."""
        broken = split_groups(self.team_of, self.wards.edges)
        if broken:
            raise RuntimeError(f"internal error: teams {[self.team_ids[t] for t in broken]} are not contiguous")
        span = self.supervision.sergeant_span
        over = self.supervisees > self.sergeants * span + 1e-6
        if over.any():
            raise RuntimeError(f"internal error: sergeant span broken in {np.array(self.team_ids)[over]}")
        cap = inspector_capacity(self.supervision.inspector_span)
        for ident, led in inspector_loads(self.inspectors, self.sergeants).items():
            if led > cap + 1e-9:
                raise RuntimeError(f"internal error: inspector {ident} leads {led} sergeants (span {cap})")

    # -------------------------------------------------------------- views
    @property
    def n_teams(self) -> int:
        """Number of teams T."""
        return len(self.team_ids)

    @property
    def deviation(self) -> np.ndarray:
        """Relative deviation of each team's workload from its borough mean, shape (T,)."""
        return M.deviation(self.load, self.mean)

    @property
    def polsby_popper(self) -> np.ndarray | None:
        """Polsby-Popper of each team (None without ward shapes)."""
        if self.area_m2 is None or self.perimeter_m is None:
            return None
        return M.polsby_popper(self.area_m2, self.perimeter_m)

    def cut_mask(self) -> np.ndarray:
        """Edges inside a borough between two teams."""
        return M.cut_edges(self.team_of, self.wards.edges, self.wards.borough)

    def team_wards(self, t: int) -> np.ndarray:
        """Ward indices of team ``t``."""
        return np.flatnonzero(self.team_of == t)

    def table(self) -> pd.DataFrame:
        """``teams.csv``: one row per team."""
        w = self.wards
        codes = [";".join(w.codes[self.team_wards(t)]) for t in range(self.n_teams)]
        names = [";".join(w.names[self.team_wards(t)]) for t in range(self.n_teams)]

        def ints(values: np.ndarray | None) -> pd.arrays.IntegerArray:
            if values is None:
                return pd.array([pd.NA] * self.n_teams, dtype="Int64")
            return pd.array(np.rint(values).astype(np.int64), dtype="Int64")

        return pd.DataFrame(
            {
                "team_id": list(self.team_ids),
                "borough": w.borough_names[self.team_borough],
                "bcu": w.borough_bcu[self.team_borough],
                "ward_codes": codes,
                "wards": names,
                "need": np.round(self.need, 4),
                "constables": ints(self.constables),
                "pcsos": ints(self.pcsos),
                "sergeants": self.sergeants,
                "inspector_id": [";".join(ids) for ids in self.inspectors],
            }
        )

    def detail_table(self) -> pd.DataFrame:
        """teams.csv plus workload, deviation, shape and lock columns (for the app and checks)."""
        frame = self.table()
        frame["wards_count"] = np.bincount(self.team_of, minlength=self.n_teams)
        frame["supervisees"] = np.round(self.supervisees, 2)
        frame["workload"] = np.round(self.load, 4)
        frame["deviation"] = np.round(self.deviation, 4)
        pp = self.polsby_popper
        frame["polsby_popper"] = np.round(pp, 4) if pp is not None else np.nan
        frame["locked"] = self.team_locked
        return frame

    def ward_table(self) -> pd.DataFrame:
        """``team_wards.csv``: ward_code, team_id (usable as next round's ``teams.current``)."""
        return pd.DataFrame(
            {
                "ward_code": self.wards.codes,
                "ward_name": self.wards.names,
                "borough": self.wards.borough_names[self.wards.borough],
                "team_id": np.array(self.team_ids, dtype=object)[self.team_of],
            }
        )

    def supervisor_table(self) -> pd.DataFrame:
        """Per borough: sergeants and inspectors the teams need, beside the borough-ratio figures."""
        w = self.wards
        nb = w.n_boroughs
        sgt = np.bincount(self.team_borough, weights=self.sergeants, minlength=nb).astype(int)
        insp = np.zeros(nb, dtype=int)
        for b in range(nb):
            ids = {i for t in np.flatnonzero(self.team_borough == b) for i in self.inspectors[t]}
            insp[b] = len(ids)
        frame = pd.DataFrame(
            {
                "borough": w.borough_names,
                "bcu": w.borough_bcu,
                "teams": np.bincount(self.team_borough, minlength=nb),
                "supervisees": np.round(np.bincount(self.team_borough, weights=self.supervisees, minlength=nb), 1),
                "sergeants_teams": sgt,
                "inspectors_teams": insp,
            }
        )
        if self.ratio_sergeants is not None and self.ratio_inspectors is not None:
            frame["sergeants_ratio"] = np.asarray(self.ratio_sergeants, dtype=int)
            frame["inspectors_ratio"] = np.asarray(self.ratio_inspectors, dtype=int)
            frame["sergeants_change"] = frame["sergeants_teams"] - frame["sergeants_ratio"]
            frame["inspectors_change"] = frame["inspectors_teams"] - frame["inspectors_ratio"]
        present = np.bincount(w.borough, minlength=nb) > 0
        return frame[present].reset_index(drop=True)

    # ------------------------------------------------------------ metrics
    def metrics(self) -> dict[str, Any]:
        """Metrics for ``summary.json`` (key ``teams``), JSON-ready."""
        dev = np.abs(self.deviation)
        free = ~self.team_locked
        pp = self.polsby_popper
        cut = self.cut_mask()
        cap = inspector_capacity(self.supervision.inspector_span)
        led = inspector_loads(self.inspectors, self.sergeants)
        per_sgt = self.supervisees / self.sergeants
        sup = self.supervisor_table()
        out: dict[str, Any] = {
            "teams": self.n_teams,
            "locked_teams": int(self.team_locked.sum()),
            "balance_on": self.balance_on,
            "tolerance": self.spec.tolerance,
            "balance_target": self.spec.balance_target,
            "max_abs_deviation": _r(dev[free].max() if free.any() else 0.0),
            "mean_abs_deviation": _r(dev[free].mean() if free.any() else 0.0),
            "max_abs_deviation_incl_locked": _r(dev.max() if len(dev) else 0.0),
            "teams_within_tolerance": int((dev <= self.spec.tolerance + 1e-9).sum()),
            "all_contiguous": not split_groups(self.team_of, self.wards.edges),
            "cut_edges": int(cut.sum()),
            "polsby_popper": M.summary_stats(pp) if pp is not None else None,
            "wards_per_team": M.summary_stats(np.bincount(self.team_of, minlength=self.n_teams)),
            "spans": {
                "sergeant_span": self.supervision.sergeant_span,
                "inspector_span": self.supervision.inspector_span,
                "max_supervisees_per_sergeant": _r(per_sgt.max(), 2),
                "mean_supervisees_per_sergeant": _r(per_sgt.mean(), 2),
                "max_sergeants_per_inspector": _r(max(led.values()), 2),
                "mean_sergeants_per_inspector": _r(float(np.mean(list(led.values()))), 2),
                "inspector_capacity": cap,
            },
            "supervisors": self._supervisor_metrics(sup),
            "boroughs": [b.to_dict() for b in self.boroughs],
            "cp_sat": {
                "boroughs_run": sum(b.balance_status is not None for b in self.boroughs),
                "balance_proven_optimal": sum(b.balance_status == "optimal" for b in self.boroughs),
                "compactness_proven_optimal": sum(b.cut_status == "optimal" for b in self.boroughs),
            },
            "methods": {
                m: sum(b.method == m for b in self.boroughs) for m in sorted({b.method for b in self.boroughs})
            },
            "seconds": _r(self.seconds, 2),
            "notes": list(self.notes),
        }
        if self.constables is not None:
            total = self.supervisees
            ratio = np.divide(self.need, total, out=np.zeros_like(total), where=total > 0)
            nb = self.wards.n_boroughs
            b_need = np.bincount(self.team_borough, weights=self.need, minlength=nb)
            b_sup = np.bincount(self.team_borough, weights=total, minlength=nb)
            b_ratio = np.divide(b_need, b_sup, out=np.zeros_like(b_need), where=b_sup > 0)[self.team_borough]
            npo = np.abs(M.deviation(ratio, b_ratio))
            out["need_per_officer_max_abs_deviation"] = _r(npo.max())
        return out

    def _supervisor_metrics(self, sup: pd.DataFrame) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sergeants_teams": int(sup["sergeants_teams"].sum()),
            "inspectors_teams": int(sup["inspectors_teams"].sum()),
        }
        if "sergeants_ratio" in sup:
            out["sergeants_ratio"] = int(sup["sergeants_ratio"].sum())
            out["inspectors_ratio"] = int(sup["inspectors_ratio"].sum())
            ds = out["sergeants_teams"] - out["sergeants_ratio"]
            di = out["inspectors_teams"] - out["inspectors_ratio"]
            out["sergeants_change"], out["inspectors_change"] = ds, di
            if self.rank_costs:
                out["annual_cost_change"] = round(
                    ds * self.rank_costs.get("sergeant", 0.0) + di * self.rank_costs.get("inspector", 0.0), 2
                )
        if self.headcount:
            out["sergeant_headcount"] = self.headcount.get("sergeant")
            out["inspector_headcount"] = self.headcount.get("inspector")
            out["within_headcount"] = bool(
                out["sergeants_teams"] <= self.headcount.get("sergeant", 10**9)
                and out["inspectors_teams"] <= self.headcount.get("inspector", 10**9)
            )
        out["by_borough"] = sup.to_dict(orient="records")
        return out
