"""How ``planner cost``'s conclusion moves when a value assumption moves: a band, not one number.

``planner cost`` concludes, per option, whether the constables that the last 100 PCSOs' pay
buys would serve more need than those PCSOs. That rests on how the objective values a PCSO
against a constable, and no published figure gives that (``objective.pcso_effectiveness`` is
an assumption). So each assumption in a list (default: ``objective.pcso_effectiveness`` from
0.3 to 0.9) is varied one at a time; at each value the option is re-solved three times through
``planner.solve`` (as it is, with 100 fewer PCSOs, and with the constables instead) and
reports:

* the **constable-equivalent** of the last 100 PCSOs: how many constables serve the need they
  serve, interpolated on the line between the fewer-PCSOs and constables-instead plans::

      equivalent = extra * (value(option) - value(fewer)) / (value(instead) - value(fewer))

  (``extra``: the constables their pay buys; the value is concave, so this is approximate);
* the **conclusion**: constables instead serve more (``value(instead) > value(option)``);
* where the conclusion **flips**, interpolated linearly between the two grid values where
  ``value(instead) - value(option)`` changes sign.

Values are the planner's own value without its cost tie-breaker or move penalties
(:func:`planner.finance.compare.value_served`), so the band follows whichever value model
the scenario's ``objective`` block sets; any dotted scenario path can be varied. Under the
substitution model (``objective.pcso_model: substitution``) a PCSO is a fraction of a constable
and the equivalent says how many constables serve the same need. With a PCSO role of its own
(the default) PCSOs serve a need of their own (residents, daytime load, volume crime), so no
count of constables serves *the same* need: the equivalent is then how many constables add as
much to the plan's value, and ``objective.pcso_effectiveness`` is the exchange rate between the
two needs (a PCSO in a ward of average PCSO need against a constable in a ward of average need).
The band is what keeps that honest: it shows the answer at every rate from 0.3 to 0.9.

:func:`assumptions` lists every effectiveness figure a scenario uses with its source, or
labels it an assumption.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.errors import InfeasibleError, ScenarioError
from planner.scenario import RANKS, Scenario

NO_GAIN = 1e-4
"""Relative difference in value (against the option's) below which the constables instead add nothing
over the 100-fewer-PCSOs plan (they cannot be deployed): the solver's default certified gap, so a smaller
difference is within the plans' own tolerance and the constable-equivalent is undefined."""

_MAX_POINTS = 41
"""Most values one band may try (each costs three solves)."""


@dataclass(frozen=True)
class BandSpec:
    """One assumption to vary: a dotted scenario path and the values to try."""

    path: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> BandSpec:
        """``PATH=LO:HI:STEP`` (``STEP`` default 0.1) or ``PATH=V1,V2,...``.

        Raises
        ------
        ScenarioError
            If the text is malformed, a value is not finite, or there are too many values.
        """
        path, sep, spec = text.partition("=")
        where = f"--band {text!r}"
        if not sep or not path.strip() or not spec.strip():
            raise ScenarioError(f"{where}: expected PATH=LO:HI[:STEP] or PATH=V1,V2,...")
        try:
            if ":" in spec:
                parts = [float(x) for x in spec.split(":")]
                if len(parts) not in (2, 3):
                    raise ValueError
                lo, hi = parts[0], parts[1]
                step = parts[2] if len(parts) == 3 else 0.1
                if not all(math.isfinite(x) for x in parts) or step <= 0 or hi < lo:
                    raise ValueError
                n = math.floor((hi - lo) / step + 1e-9) + 1
                values = tuple(round(lo + i * step, 10) for i in range(min(n, _MAX_POINTS + 1)))
            else:
                values = tuple(float(x) for x in spec.split(","))
                if not all(math.isfinite(x) for x in values):
                    raise ValueError
        except (ValueError, OverflowError):  # OverflowError: a range of more steps than a float counts
            raise ScenarioError(f"{where}: expected finite numbers as PATH=LO:HI[:STEP] or PATH=V1,V2,...") from None
        if len(values) > _MAX_POINTS:
            raise ScenarioError(
                f"{where}: more than {_MAX_POINTS} values; at most {_MAX_POINTS} (each is three solves)"
            )
        return cls(path.strip(), values)


DEFAULT_BANDS: tuple[BandSpec, ...] = (BandSpec("objective.pcso_effectiveness", (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)),)
"""Varied by default: the value of a PCSO against a constable, over 0.3-0.9."""


# ------------------------------------------------------------- sources

_SOURCES: dict[str, str] = {
    "objective.pcso_effectiveness": (
        "assumption: no published source measures what a PCSO adds against a constable; "
        "planner cost shows how its conclusions move with it (the band below)"
    ),
    "objective.pcso_saturation": (
        "assumption: the PCSOs' scale of diminishing returns on their own need (default: saturation)"
    ),
    "objective.saturation": (
        "assumption: the model's scale of diminishing returns (effective officers at which a ward's value "
        "has grown by log 2 of its need)"
    ),
    "objective.cost_weight": "assumption: a tie-breaker per £m a year, not an effectiveness figure",
}
_AVAILABILITY = (
    "assumption: illustrative share of time left after abstraction (training, leave, sickness, court, aid); "
    "not MPS data (docs/model.md)"
)
_UNSOURCED = "assumption: no source recorded"


def _get(raw: Any, path: str) -> Any:
    node = raw
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def has_path(scenario: Scenario, path: str) -> bool:
    """Whether the scenario has a numeric field at the dotted ``path``."""
    value = _get(scenario.to_dict(), path)
    return isinstance(value, int | float) and not isinstance(value, bool)


def assumptions(scenario: Scenario) -> list[dict[str, Any]]:
    """Every effectiveness figure the scenario's value model uses, with its source or labelled an assumption.

    The numeric keys of the ``objective`` block (whatever value model it sets) and each rank's
    availability. Returns ``[{"path", "value", "status"}]``.
    """
    raw = scenario.to_dict()
    out = []
    for key, value in (raw.get("objective") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            path = f"objective.{key}"
            out.append({"path": path, "value": value, "status": _SOURCES.get(path, _UNSOURCED)})
    for rank in RANKS:
        path = f"workforce.{rank}.availability"
        value = _get(raw, path)
        if value is not None:
            out.append({"path": path, "value": value, "status": _SOURCES.get(path, _AVAILABILITY)})
    return out


# ---------------------------------------------------------------- band


@dataclass
class BandPoint:
    """One value of the assumption: the three plans' values and what follows from them."""

    value: float
    option: float | None = None
    fewer: float | None = None
    instead: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the option and both variants were solved at this value."""
        return self.error is None and None not in (self.option, self.fewer, self.instead)

    def equivalent(self, extra: int) -> float | None:
        """Constables that serve what the last 100 PCSOs serve (interpolated), or None."""
        if not self.ok:
            return None
        assert self.option is not None
        assert self.fewer is not None
        assert self.instead is not None
        if self.constables_add_nothing:
            return None
        return extra * (self.option - self.fewer) / (self.instead - self.fewer)

    @property
    def constables_add_nothing(self) -> bool:
        """Whether the constables instead add no value over the fewer-PCSOs plan (they cannot be deployed)."""
        if not self.ok:
            return False
        assert self.option is not None
        assert self.fewer is not None
        assert self.instead is not None
        return self.instead - self.fewer <= NO_GAIN * max(1.0, abs(self.option))

    @property
    def constables_better(self) -> bool | None:
        """Whether spending on constables instead beats the option (None when a solve is missing)."""
        if not self.ok:
            return None
        assert self.instead is not None
        assert self.option is not None
        return self.instead > self.option


@dataclass
class Band:
    """How the conclusion moves as one assumption moves."""

    path: str
    scenario_value: float | None
    extra_constables: int
    points: list[BandPoint] = field(default_factory=list)
    status: str = _UNSOURCED
    own_role: bool = False
    """Whether PCSOs have a role of their own (valued on their own need), else a fraction of a constable."""

    @property
    def flip(self) -> float | None:
        """The value at which the conclusion flips, or None.

        By linear interpolation of value(instead) - value(option) between the first two neighbouring grid values where
        its sign changes.
        """
        good = [p for p in self.points if p.ok]
        for a, b in itertools.pairwise(good):
            assert a.instead is not None
            assert a.option is not None
            assert b.instead is not None
            assert b.option is not None
            da, db = a.instead - a.option, b.instead - b.option
            if (da > 0) != (db > 0):
                return a.value + (b.value - a.value) * da / (da - db) if da != db else a.value
        return None

    def table(self) -> pd.DataFrame:
        """One row per value: the three values served, the constable-equivalent and the conclusion."""
        rows = []
        for p in self.points:
            eq = p.equivalent(self.extra_constables)
            rows.append(
                {
                    "assumption": self.path,
                    "value": p.value,
                    "pcso_model": "own_role" if self.own_role else "substitution",
                    "value_served_option": p.option,
                    "value_served_100_fewer_pcsos": p.fewer,
                    f"value_served_{self.extra_constables}_constables_instead": p.instead,
                    "constable_equivalent_of_last_100_pcsos": eq,
                    "constables_instead_serve_more": p.constables_better,
                    "note": p.error or "",
                }
            )
        return pd.DataFrame(rows)

    def row_fields(self) -> dict[str, Any]:
        """Summary-row fields: the constable-equivalent band and the flip value."""
        eqs = [e for e in (p.equivalent(self.extra_constables) for p in self.points) if e is not None]
        key = f"band[{self.path}]"
        return {
            f"{key}_values": f"{self.points[0].value:g}-{self.points[-1].value:g}" if self.points else "",
            f"{key}_equivalent_low": min(eqs) if eqs else math.nan,
            f"{key}_equivalent_high": max(eqs) if eqs else math.nan,
            f"{key}_flips_at": self.flip if self.flip is not None else math.nan,
        }

    def lines(self, *, with_status: bool = True) -> list[str]:
        """Plain lines for the terminal (``with_status``: first say whether the figure is sourced)."""
        eqs = [(p.value, p.equivalent(self.extra_constables), p.constables_better) for p in self.points]

        def shown(e: float | None) -> str:
            return "-" if e is None else f"{max(e, 0.0):,.0f}"

        marks = ", ".join(
            f"{v:g}: {shown(e)}{'' if better is None else (' (C)' if better else ' (P)')}" for v, e, better in eqs
        )
        values = [max(e, 0.0) for _, e, _ in eqs if e is not None]
        out = []
        if with_status:
            value = "" if self.scenario_value is None else f" = {self.scenario_value:g}"
            out.append(f"  {self.path}{value}: {self.status}")
        span = f"{self.path} from {self.points[0].value:g} to {self.points[-1].value:g}" if self.points else ""
        good = [p for p in self.points if p.ok]
        if good and all(p.constables_add_nothing for p in good):
            out.append(
                f"  the {self.extra_constables} constables that the last 100 PCSOs' pay buys add no value at any "
                f"{span}: the plan cannot deploy more constables (too few supervisors; see those in post, not "
                "deployed), so no constable-equivalent is defined"
            )
        elif values and max(values) < 0.5:
            out.append(f"  the last 100 PCSOs add no value at any {span}: they are in post but not deployed")
        elif values and self.own_role:
            out.append(
                f"  the last 100 PCSOs add as much value as {min(values):,.0f} to {max(values):,.0f} constables "
                f"with {span} (PCSOs valued on their own need, constables on need, the two weighed by "
                f"objective.pcso_effectiveness; their pay buys {self.extra_constables} constables): {marks}  "
                "[C: constables instead add more; P: PCSOs do]"
            )
        elif values:
            out.append(
                f"  the last 100 PCSOs serve what {min(values):,.0f} to {max(values):,.0f} constables serve with "
                f"{span} (a PCSO counted as that fraction of a constable; their pay buys "
                f"{self.extra_constables}): {marks}  [C: constables instead serve more; P: PCSOs do]"
            )
        flip = self.flip
        if flip is not None:
            out.append(f"  the conclusion flips at {self.path} = {flip:.3g} (interpolated between grid values)")
        elif any(p.ok for p in self.points):
            better = next(p.constables_better for p in self.points if p.ok)
            who = f"the {self.extra_constables} constables instead" if better else "the last 100 PCSOs"
            what = "add more value" if self.own_role else "serve more need"
            out.append(f"  the conclusion does not flip over this range: {who} {what} throughout")
        errors = [p for p in self.points if p.error]
        if errors:
            out.append(f"  not computed at {', '.join(f'{p.value:g}' for p in errors)}: {errors[0].error}")
        return out


def assumption_band(scenario: Scenario, spec: BandSpec, extra: int, solve: Callable[..., Any], **kw: Any) -> Band:
    """Re-solve the option at each value of ``spec`` (as it is, 100 fewer PCSOs, ``extra`` constables instead).

    A value that makes the scenario invalid or a plan infeasible is recorded as an error at that
    point; a path the scenario does not have is one error for the whole band.
    """
    from planner.finance.compare import marginal_changes, own_role, value_served

    current = _get(scenario.to_dict(), spec.path)
    status = _SOURCES.get(spec.path, _AVAILABILITY if spec.path.endswith(".availability") else _UNSOURCED)
    band = Band(spec.path, current if isinstance(current, int | float) else None, extra, status=status)
    if not has_path(scenario, spec.path):
        band.points = [BandPoint(v, error=f"the scenario has no number at {spec.path}") for v in spec.values]
        return band
    for v in spec.values:
        point = BandPoint(v)
        try:
            varied = scenario.with_changes({spec.path: v})
            plan = solve(varied, **kw)
            fewer, instead = marginal_changes(varied, plan)
            instead = {k: x for k, x in instead.items() if not k.startswith("_")}
            band.own_role = band.own_role or own_role(plan)
            point.option = value_served(plan)
            point.fewer = value_served(solve(varied.with_changes(fewer), **kw))
            point.instead = value_served(solve(varied.with_changes(instead), **kw))
        except (ScenarioError, InfeasibleError) as exc:
            point.error = "; ".join(getattr(exc, "reasons", [str(exc)]))
        band.points.append(point)
    return band


def bands_table(bands: Sequence[Band]) -> pd.DataFrame:
    """Every band's rows in one table."""
    frames = [b.table() for b in bands]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
