"""Scenario files and the sidebar settings: what a commander can change, and what it changes.

:class:`Settings` holds every figure the app's sidebar offers (headcount per
rank, ward floors, spans, budget, need weights, harm scheme, stability
limits). :func:`settings_of` reads them from a scenario; :func:`apply_settings`
writes them back as a new, validated scenario through
:meth:`Scenario.with_changes`, touching only the fields that differ, and
:func:`describe_changes` says what changed in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from planner.errors import PlannerError
from planner.scenario import RANKS, HarmSpec, Scenario, load_scenario

#: The Turnaround Plan uplift: 1,600 more PCSOs.
UPLIFT_PCSOS = 1600

RANK_LABELS = {"constable": "Constables", "pcso": "PCSOs", "sergeant": "Sergeants", "inspector": "Inspectors"}


# --------------------------------------------------------------------------- scenario files
@dataclass(frozen=True)
class ScenarioFile:
    """One scenario file offered as a starting point.

    Attributes
    ----------
    path : Path
    name, description : str
    needs_data : bool
        Whether it reads data files (needs a data folder).
    scenario : Scenario or None
        The validated scenario, or None when the file is broken.
    error : str or None
        Why it could not be read.
    """

    path: Path
    name: str
    description: str
    needs_data: bool
    scenario: Scenario | None
    error: str | None = None

    @property
    def label(self) -> str:
        """Menu label: the file name, with a hint when it needs the data folder."""
        return self.path.name + (" (London data)" if self.needs_data else "")


def list_scenarios(folder: str | Path) -> list[ScenarioFile]:
    """Scenario files directly in ``folder`` (not sweeps or sub-folders), the demo first.

    A file that fails validation is listed with its error rather than dropped.
    """
    out = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            sc = load_scenario(path)
        except PlannerError as exc:
            out.append(ScenarioFile(path, path.stem, "", False, None, str(exc)))
            continue
        out.append(ScenarioFile(path, sc.name, sc.description.strip(), sc.data.source == "files", sc))
    out.sort(key=lambda f: (f.path.stem != "demo", f.needs_data, f.path.name))
    return out


# --------------------------------------------------------------------------- harm schemes
def harm_unit(scenario: Scenario) -> str:
    """What one unit of the scenario's harm figure is."""
    harm = scenario.data.harm
    if scenario.data.source == "synthetic":
        return "illustrative harm days"
    if harm.weights is None:
        return "offences (no harm weights)"
    if "cchi" in f"{harm.weights} {harm.value}".lower():
        return "CCHI days"
    return f"harm units ({harm.value})"


def harm_schemes(base: Scenario) -> dict[str, tuple[str, HarmSpec]]:
    """Harm weightings the app offers for ``base``: key -> (label, data.harm block).

    The synthetic city has its own illustrative weights only. With real data:
    the scenario's own weights (e.g. the Cambridge Crime Harm Index) and plain
    offence counts.
    """
    harm = base.data.harm
    if base.data.source == "synthetic":
        return {"scenario": ("Illustrative weights (synthetic city)", harm)}
    out: dict[str, tuple[str, HarmSpec]] = {}
    if harm.weights is not None:
        name = (
            "Cambridge Crime Harm Index (days of imprisonment)"
            if "cchi" in f"{harm.weights} {harm.value}".lower()
            else f"Weights from {Path(harm.weights).name}"
        )
        out["scenario"] = (name, harm)
    out["counts"] = ("Offence counts (every offence weighs 1)", HarmSpec(offence_level=harm.offence_level))
    return out


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Every figure of the sidebar.

    Attributes
    ----------
    constable, pcso, sergeant, inspector : int
        Headcount available London-wide.
    floor_constable, floor_pcso : int
        Fewest per ward.
    sergeant_span, inspector_span : float
        Constables plus PCSOs per sergeant, sergeants per inspector, at most.
    budget_m : float or None
        Annual pay budget, millions of pounds (None: no budget rule).
    w_demand, w_harm, w_population : float
        Need weights.
    harm_scheme : str
        Key of :func:`harm_schemes`.
    demand_weighted : bool
        Count offences by the square root of their harm weight in demand.
    max_total_moves, max_change_per_ward : int or None
        Stability limits against the baseline (None: no limit).
    """

    constable: int
    pcso: int
    sergeant: int
    inspector: int
    floor_constable: int
    floor_pcso: int
    sergeant_span: float
    inspector_span: float
    budget_m: float | None
    w_demand: float
    w_harm: float
    w_population: float
    harm_scheme: str = "scenario"
    demand_weighted: bool = False
    max_total_moves: int | None = None
    max_change_per_ward: int | None = None

    def headcount(self, rank: str) -> int:
        """Headcount of ``rank``."""
        return int(getattr(self, rank))


def settings_of(scenario: Scenario) -> Settings:
    """The sidebar settings a scenario starts from."""
    rules = scenario.rules
    w = scenario.need.weights
    budget = rules.budget
    return Settings(
        constable=scenario.workforce.constable.headcount,
        pcso=scenario.workforce.pcso.headcount,
        sergeant=scenario.workforce.sergeant.headcount,
        inspector=scenario.workforce.inspector.headcount,
        floor_constable=rules.ward_floor.constable,
        floor_pcso=rules.ward_floor.pcso,
        sergeant_span=float(rules.supervision.sergeant_span),
        inspector_span=float(rules.supervision.inspector_span),
        budget_m=None if budget is None else budget / 1e6,
        w_demand=float(w.demand),
        w_harm=float(w.harm),
        w_population=float(w.population),
        harm_scheme="scenario" if (scenario.data.source == "synthetic" or scenario.data.harm.weights) else "counts",
        demand_weighted=scenario.need.demand_weighted,
        max_total_moves=rules.stability.max_total_moves,
        max_change_per_ward=rules.stability.max_change_per_ward,
    )


def with_uplift(settings: Settings, pcsos: int = UPLIFT_PCSOS) -> Settings:
    """The settings with ``pcsos`` more PCSOs (the 1,600 uplift by default)."""
    return replace(settings, pcso=settings.pcso + pcsos)


def supervisors_needed(settings: Settings, n_boroughs: int) -> tuple[int, int]:
    """Sergeants and inspectors enough to supervise the whole headcount at the spans.

    Each borough rounds up on its own, so this allows one more of each per
    borough than the London-wide division (an upper bound, never too few).
    """
    heads = settings.constable + settings.pcso
    sergeants = math.ceil(heads / settings.sergeant_span) + n_boroughs
    inspectors = math.ceil(sergeants / settings.inspector_span) + n_boroughs
    return sergeants, inspectors


def _changes(base: Scenario, s: Settings, harm: HarmSpec | None, baseline: str | None) -> dict[str, Any]:
    old = settings_of(base)
    out: dict[str, Any] = {}
    for rank in RANKS:
        if s.headcount(rank) != old.headcount(rank):
            out[f"workforce.{rank}.headcount"] = s.headcount(rank)
    simple = {
        "floor_constable": "rules.ward_floor.constable",
        "floor_pcso": "rules.ward_floor.pcso",
        "sergeant_span": "rules.supervision.sergeant_span",
        "inspector_span": "rules.supervision.inspector_span",
        "w_demand": "need.weights.demand",
        "w_harm": "need.weights.harm",
        "w_population": "need.weights.population",
        "demand_weighted": "need.demand_weighted",
        "max_total_moves": "rules.stability.max_total_moves",
        "max_change_per_ward": "rules.stability.max_change_per_ward",
    }
    for attr, dotted in simple.items():
        if getattr(s, attr) != getattr(old, attr):
            out[dotted] = getattr(s, attr)
    if s.budget_m != old.budget_m:
        out["rules.budget"] = None if s.budget_m is None else float(s.budget_m) * 1e6
    if harm is not None and harm != base.data.harm:
        out["data.harm"] = harm.model_dump(mode="json")
    limits = s.max_total_moves is not None or s.max_change_per_ward is not None
    if limits and base.data.current is None and baseline is not None:
        out["data.current"] = baseline
    return out


def apply_settings(
    base: Scenario, settings: Settings, *, harm: HarmSpec | None = None, baseline: str | None = None
) -> Scenario:
    """A new scenario: ``base`` with the sidebar settings applied (validated again).

    Parameters
    ----------
    base : Scenario
        The scenario the settings started from.
    settings : Settings
    harm : HarmSpec, optional
        The ``data.harm`` block of the chosen harm scheme.
    baseline : str, optional
        Current-deployment CSV (``data.current``) for the stability limits when ``base`` has none.

    Raises
    ------
    planner.errors.ScenarioError
        If a setting breaks the scenario schema (e.g. all need weights 0).
    """
    changes = _changes(base, settings, harm, baseline)
    if not changes:
        return base
    return base.with_changes(changes)


def _money(v: float | None) -> str:
    return "no budget" if v is None else f"£{v:,.1f}m"


def describe_changes(base: Scenario, settings: Settings, harm_label: str | None = None) -> list[str]:
    """What the settings change against ``base``, in plain words (empty if nothing)."""
    old = settings_of(base)
    out = []
    for rank in RANKS:
        a, b = old.headcount(rank), settings.headcount(rank)
        if a != b:
            out.append(f"{RANK_LABELS[rank]} {a:,} → {b:,} ({b - a:+,})")
    pairs = [
        ("floor_constable", "Ward floor, constables", "{:d}"),
        ("floor_pcso", "Ward floor, PCSOs", "{:d}"),
        ("sergeant_span", "Sergeant span", "{:g}"),
        ("inspector_span", "Inspector span", "{:g}"),
        ("w_demand", "Demand weight", "{:g}"),
        ("w_harm", "Harm weight", "{:g}"),
        ("w_population", "Population weight", "{:g}"),
    ]
    for attr, label, fmt in pairs:
        a, b = getattr(old, attr), getattr(settings, attr)
        if a != b:
            out.append(f"{label} {fmt.format(a)} → {fmt.format(b)}")
    if old.budget_m != settings.budget_m:
        out.append(f"Budget {_money(old.budget_m)} → {_money(settings.budget_m)}")
    if old.harm_scheme != settings.harm_scheme:
        out.append(f"Harm: {harm_label or settings.harm_scheme}")
    if old.demand_weighted != settings.demand_weighted:
        out.append("Demand weighted by harm" if settings.demand_weighted else "Demand as plain counts")
    for attr, label in (("max_total_moves", "Moves limit"), ("max_change_per_ward", "Change per ward limit")):
        a, b = getattr(old, attr), getattr(settings, attr)
        if a != b:
            out.append(f"{label} {'none' if a is None else f'{a:,}'} → {'none' if b is None else f'{b:,}'}")
    return out


def plan_label(base: Scenario, settings: Settings, harm_label: str | None = None, limit: int = 120) -> str:
    """A short name for a plan: the scenario name and what changed."""
    changes = describe_changes(base, settings, harm_label)
    if not changes:
        return f"{base.name} (as filed)"
    text = f"{base.name}: " + "; ".join(changes)
    return text if len(text) <= limit else text[: limit - 1] + "…"
