"""The app's session: cached data, the solved plans kept, and solving.

Caching lives here and only here (the engine caches nothing): the data of a
scenario (wards, crime, harm, population) is read once per ``data`` block and
data folder with ``st.cache_resource`` and handed to ``planner.solve`` as
``inputs=``, so a re-solve after a slider change costs about the solver time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

import planner
from geo.webmap import BaseMap, base_map
from planner.app.controls import ScenarioFile, harm_unit, list_scenarios
from planner.app.exports import write_baseline_csv
from planner.app.layers import Context, PlanView
from planner.app.metrics import same_wards
from planner.app.today import current_view
from planner.errors import InfeasibleError, PlannerError
from planner.inputs.loader import Inputs
from planner.report.result import Plan
from planner.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = Path(os.environ.get("PLANNER_SCENARIO_DIR", "") or ROOT / "scenarios")
ss = st.session_state


# --------------------------------------------------------------------------- entries
@dataclass(eq=False)
class Entry:
    """A solved plan kept in the session, with what is needed to draw and export it."""

    label: str
    plan: Plan
    inputs: Inputs
    seconds: float
    data_dir: str | None
    scenario_dir: str | None

    @property
    def scenario(self) -> Scenario:
        """The scenario the entry's plan was solved from."""
        return self.plan.scenario

    @property
    def deployment(self) -> PlanView:
        """The entry's plan as the pages compare it, under the entry's label."""
        return PlanView.of(self.plan, self.label)


@dataclass
class Failure:
    """Why the last solve gave no plan."""

    kind: str  # "infeasible" or "input"
    messages: list[str]
    scenario: Scenario | None = None
    seconds: float = 0.0


@dataclass
class Timing:
    """How long one step of the session took (a solve, by its label), in seconds."""

    what: str
    seconds: float


@dataclass
class Session:
    """Everything the session remembers (one object in ``st.session_state``)."""

    data_dir: str | None
    start: str
    workdir: str
    current: Entry | None = None
    failure: Failure | None = None
    kept: dict[str, Entry] = field(default_factory=dict)
    extra: dict[str, tuple[Scenario, str | None]] = field(default_factory=dict)
    solved_key: str | None = None
    timings: list[Timing] = field(default_factory=list)
    selected_ward: str | None = None
    inputs: Inputs | None = None
    reference: str | None = None
    by_key: dict[str, Entry] = field(default_factory=dict)
    stale: bool = False
    area_key: str = "all"
    priorities: Any = None
    """Community priorities edited in this session (a ``ward_code, priority, weight`` table), or None."""


def env_data_dir() -> str | None:
    """The data folder from ``PLANNER_DATA_DIR``, if it is a folder."""
    value = os.environ.get("PLANNER_DATA_DIR", "").strip()
    return value if value and Path(value).is_dir() else None


def default_start(data_dir: str | None) -> str:
    """The scenario file to open with: ``PLANNER_SCENARIO``, else London with data, else the demo."""
    chosen = os.environ.get("PLANNER_SCENARIO", "").strip()
    if chosen and (SCENARIO_DIR / chosen).is_file():
        return str(SCENARIO_DIR / chosen)
    london = SCENARIO_DIR / "london-2022.yaml"
    if data_dir and london.is_file():
        return str(london)
    return str(SCENARIO_DIR / "demo.yaml")


def session() -> Session:
    """The session object, created on first use."""
    if "planner" not in ss:
        data_dir = env_data_dir()
        ss["planner"] = Session(
            data_dir=data_dir,
            start=default_start(data_dir),
            workdir=tempfile.mkdtemp(prefix="planner-app-"),
        )
    return ss["planner"]


# --------------------------------------------------------------------------- scenarios
@st.cache_data(ttl=30, show_spinner=False)
def scenario_files() -> list[ScenarioFile]:
    """The scenario files offered (top-level files of scenarios/)."""
    return list_scenarios(SCENARIO_DIR)


def start_options() -> dict[str, str]:
    """Menu label -> key of every starting point (scenario files and session scenarios)."""
    out = {f.label: str(f.path) for f in scenario_files()}
    for name in session().extra:
        out[f"{name} (this session)"] = f"session:{name}"
    return out


def start_scenario(key: str) -> tuple[Scenario, str | None]:
    """The scenario and its folder (for relative paths) of a starting point key.

    Raises
    ------
    planner.errors.PlannerError
        If the file is broken.
    """
    if key.startswith("session:"):
        return session().extra[key.removeprefix("session:")]
    sc = planner.load_scenario(key)
    return sc, str(Path(key).parent)


# --------------------------------------------------------------------------- caches
@st.cache_resource(show_spinner="Reading the wards and crime data…", max_entries=6)
def _inputs(data_json: str, data_dir: str | None, scenario_dir: str | None, _scenario: Scenario) -> Inputs:
    # the parsed files are also kept on disk (planner.inputs.cache), so a restarted server reads them in a blink
    return planner.load_inputs(_scenario, data_dir, scenario_dir=scenario_dir, cache=True)


def cached_inputs(scenario: Scenario, data_dir: str | None, scenario_dir: str | None) -> Inputs:
    """Inputs of ``scenario``, read once per data block and folder (shared by all sessions)."""
    data_json = scenario.data.model_dump_json()
    inputs = _inputs(data_json, data_dir, scenario_dir, scenario)
    return planner.load_inputs(scenario, data_dir, scenario_dir=scenario_dir, reuse=inputs)


#: Bump when the map's geometry or properties change: maps saved before are then built afresh.
MAP_VERSION = "webmap-1"
_MAPS: dict[str, Future[BaseMap]] = {}
_MAPS_LOCK = threading.Lock()
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The one background thread that builds maps (started on first use, never at import)."""
    global _POOL
    with _MAPS_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-basemap")
        return _POOL


def _saved_base_map(inputs: Inputs) -> BaseMap:
    """The base map of ``inputs``' wards, from the disk cache when this data set's map was built before."""
    from planner.inputs import cache

    geo = inputs.geography
    name = "basemap-" + hashlib.sha256(f"{geo.digest}|{geo.data_key}|{MAP_VERSION}".encode()).hexdigest()[:32]
    found = cache.read_object(name)
    if isinstance(found, BaseMap):
        return found
    built = base_map(inputs.layer)
    cache.write_object(name, built)
    return built


def start_base_map(inputs: Inputs) -> Future[BaseMap]:
    """Start building the map of ``inputs``' wards in the background (once per data set, shared by sessions).

    The app starts it as soon as the data is read, so the map is built while the solver runs.
    """
    key = inputs.geography.digest + inputs.geography.data_key
    pool = _pool()
    with _MAPS_LOCK:
        fut = _MAPS.get(key)
        if fut is None or (fut.done() and fut.exception() is not None):
            fut = pool.submit(_saved_base_map, inputs)
            _MAPS[key] = fut
            while len(_MAPS) > 6:
                _MAPS.pop(next(iter(_MAPS)))
    return fut


def cached_base_map(inputs: Inputs) -> BaseMap:
    """Light GeoJSON and outlines of the wards of ``inputs`` (built once per data set)."""
    return start_base_map(inputs).result()


def context(scenario: Scenario, inputs: Inputs) -> Context:
    """Units of the crime and harm figures."""
    return Context(months=len(inputs.geography.crime.months) or 12, harm_unit=harm_unit(scenario))


# --------------------------------------------------------------------------- solving
def needs_data_message(scenario: Scenario) -> str | None:
    """Why a scenario cannot run without a data folder (None if it can)."""
    if scenario.data.source == "files" and session().data_dir is None:
        paths = [p for p in (scenario.data.wards, scenario.data.crime) if p is not None]
        if all(Path(p.path).is_absolute() for p in paths):
            return None
        return (
            f"scenario {scenario.name!r} reads the real London data files; give the data folder on the Data page "
            "(or start the app with PLANNER_DATA_DIR=/path/to/data)"
        )
    return None


def solve_key(scenario: Scenario) -> str:
    """What decides whether a solve is needed: the scenario content and the data folder."""
    return f"{scenario.digest()}|{session().data_dir}"


def _attempt(scenario: Scenario, scenario_dir: str | None, label: str) -> tuple[Entry | None, Failure | None]:
    """Solve ``scenario`` with the cached data: the plan, or why there is none."""
    s = session()
    t0 = time.perf_counter()
    try:
        missing = needs_data_message(scenario)
        if missing:
            raise planner.ScenarioError(missing)
        inputs = cached_inputs(scenario, s.data_dir, scenario_dir)
        s.inputs = inputs
        start_base_map(inputs)
        plan = planner.solve(scenario, s.data_dir, inputs=inputs, scenario_dir=scenario_dir)
    except InfeasibleError as exc:
        return None, Failure("infeasible", list(exc.reasons), scenario, time.perf_counter() - t0)
    except PlannerError as exc:
        problems = list(getattr(exc, "problems", ()) or [str(exc)])
        src = getattr(exc, "source", None)
        msgs = [f"{src}: {p}" if src else p for p in problems]
        return None, Failure("input", msgs, scenario, time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    entry = Entry(label, plan, inputs, seconds, s.data_dir, scenario_dir)
    s.by_key[solve_key(scenario)] = entry
    while len(s.by_key) > 30:
        s.by_key.pop(next(iter(s.by_key)))
    s.timings.append(Timing(f"solve {label}", seconds))
    del s.timings[:-50]
    return entry, None


def solve(scenario: Scenario, scenario_dir: str | None, label: str) -> Entry | None:
    """Solve ``scenario`` with the cached data; keep the result (or the failure) as current."""
    s = session()
    s.solved_key = solve_key(scenario)
    entry, failure = _attempt(scenario, scenario_dir, label)
    s.current, s.failure = entry, failure
    return entry


def solve_aside(scenario: Scenario, scenario_dir: str | None, label: str) -> tuple[Entry | None, Failure | None]:
    """Solve a what-if (e.g. other community priorities) without making it the current plan.

    Reuses a plan of the same scenario solved before in the session.
    """
    found = session().by_key.get(solve_key(scenario))
    if found is not None:
        return found, None
    return _attempt(scenario, scenario_dir, label)


def keep(entry: Entry, label: str | None = None) -> str:
    """Keep ``entry`` for comparison under a unique label; returns the label."""
    s = session()
    name = (label or entry.label).strip() or entry.label
    base, k = name, 2
    while name in s.kept and s.kept[name] is not entry:
        name = f"{base} ({k})"
        k += 1
    entry.label = name
    s.kept[name] = entry
    return name


def entries() -> dict[str, Entry]:
    """The current plan (first) and every kept plan, by label."""
    s = session()
    out: dict[str, Entry] = {}
    if s.current is not None:
        out[f"Current: {s.current.label}"] = s.current
    for name, e in s.kept.items():
        if e is not s.current:
            out[name] = e
    return out


def baseline_path() -> str | None:
    """A baseline CSV (for stability limits) from the starting scenario's own plan, once solved."""
    s = session()
    ref = s.kept.get(s.reference or "")
    if ref is None:
        return None
    path = Path(s.workdir) / f"baseline-{ref.plan.input_hash[:16]}.csv"
    if not path.exists():
        write_baseline_csv(ref.plan.wards.codes, ref.plan.constables, ref.plan.pcsos, path)
    return str(path)


def references(entry: Entry | None) -> dict[str, PlanView]:
    """Deployments a plan can be compared with on the map: baseline file, kept plans."""
    out: dict[str, PlanView] = {}
    if entry is None:
        return out
    own = current_view(entry.plan)
    if own is not None:
        out[own.label] = own
    for name, e in session().kept.items():
        if e is not entry and same_wards(e.plan, entry.plan):
            out[name] = e.deployment
    return out


def comparable_plans(entry: Entry | None) -> list[Plan]:
    """The current plan and every kept plan on the same wards.

    Their values fix the map's colour classes, so one colour means the same number in every plan compared.
    """
    if entry is None:
        return []
    out = [entry.plan]
    for e in session().kept.values():
        if e is not entry and same_wards(e.plan, entry.plan):
            out.append(e.plan)
    return out


def data_label() -> str:
    """Where the data comes from, in a few words."""
    s = session()
    return f"data folder {s.data_dir}" if s.data_dir else "embedded demo city (no data folder)"


def update(choice: Any) -> None:
    """Solve what the sidebar describes if it changed (or Solve was pressed); keep the scenario's own plan.

    A scenario solved before in this session is not solved again: its plan is reused.
    """
    s = session()
    s.stale = False
    if choice.scenario is None:
        if choice.problems:
            s.current, s.failure = None, Failure("input", list(choice.problems), None)
        return
    key = solve_key(choice.scenario)
    auto = bool(st.session_state.get("w_auto", True))
    if not (choice.solve_now or (auto and key != s.solved_key)):
        s.stale = key != s.solved_key
        return
    if key in s.by_key and not choice.solve_now:
        entry: Entry | None = s.by_key[key]
        s.current, s.failure, s.solved_key = entry, None, key
    else:
        with st.spinner("Solving…"):
            entry = solve(choice.scenario, choice.scenario_dir, choice.label)
    if entry is not None and choice.unchanged:
        ref = s.kept.get(s.reference or "")
        if ref is None or ref.plan.scenario.digest() != entry.plan.scenario.digest():
            s.reference = keep(entry)
