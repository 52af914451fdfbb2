"""How much the harm and crime choices of a scenario move need: what ``planner validate`` prints.

Three choices decide which crime counts in need and how heavily:

* the harm **statistic**: ``data.harm.value`` (e.g. the median CCHI of each
  offence subgroup) against ``data.harm.alternative_value`` (e.g. the mean);
* the **offence filter**: ``need.offences`` (``all`` or ``neighbourhood``);
* **domestic and sexual offences**: ``need.domestic_sexual`` (``include`` or
  ``exclude``);

and, when a ward's own crime is excluded, ``need.excluded_crime``. A choice
is measured when the scenario's data allow it (an alternative weight column;
a mapping file that marks the offences).
:func:`harm_choices` measures each on the scenario's own data: the share of
offences and of harm of every offence category under each statistic, and for
each choice flipped on its own, the share of need that moves between wards
(half the sum over wards of ``|need_now - need_flipped|`` divided by the
number of wards: 0 = no change, 1 = every unit of need moves) and the wards
that gain and lose most. Community priorities are left out of both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import PlannerError
from planner.inputs.harm import HarmWeights, read_harm_weights
from planner.inputs.loader import Inputs
from planner.inputs.need import compute_need
from planner.scenario import NeedSpec, Scenario

_SHOWN_SHARE = 0.005


@dataclass(frozen=True, eq=False)
class HarmChoices:
    """The offence shares and need moves of a scenario's harm choices.

    Attributes
    ----------
    offences : pd.DataFrame
        One row per offence category recorded in the wards planned (own crime
        of excluded wards left out): ``offence``, ``offences`` (count),
        ``offence_share``, ``harm_share`` (with ``data.harm.value``),
        ``harm_share_alternative`` (with ``data.harm.alternative_value``; NaN
        without one), ``neighbourhood`` and ``domestic_sexual`` (bool, NaN
        when the mapping does not say). Sorted by ``harm_share``, largest first.
    moves : pd.DataFrame
        One row per choice flipped: ``choice``, ``now``, ``flipped``,
        ``need_moved`` (share, 0..1), ``gains``, ``loses`` (the ward that
        gains / loses most need, with its need before and after), or
        ``error`` when the flipped choice cannot be computed.
    value, alternative : str or None
        The weight columns compared.
    """

    offences: pd.DataFrame
    moves: pd.DataFrame
    value: str | None
    alternative: str | None

    def lines(self) -> list[str]:
        """The report as lines of text (percentages of the wards planned)."""
        out = []
        alt = self.alternative
        head = f"harm choices: share of offences and of harm ({self.value or 'plain counts'}"
        out.append(head + (f" | {alt}" if alt else "") + ") by offence category, of the wards planned")
        shown = self.offences[
            (self.offences["harm_share"] >= _SHOWN_SHARE)
            | (self.offences["harm_share_alternative"].fillna(0) >= _SHOWN_SHARE)
            | (self.offences["offence_share"] >= _SHOWN_SHARE)
        ]
        for row in shown.itertuples(index=False):
            marks = ",".join(
                tag
                for tag, on in (("neighbourhood", row.neighbourhood), ("domestic/sexual", row.domestic_sexual))
                if isinstance(on, bool | np.bool_) and bool(on)
            )
            harm = f"{row.harm_share:6.1%}" + (f" | {row.harm_share_alternative:6.1%}" if alt else "")
            out.append(f"  {str(row.offence)[:44]:<44} offences {row.offence_share:6.1%}  harm {harm}  {marks}")
        rest = len(self.offences) - len(shown)
        if rest:
            out.append(f"  ... and {rest} more categories, each under {_SHOWN_SHARE:.1%} of offences and of harm")
        for row in self.moves.itertuples(index=False):
            if row.error:
                out.append(f"  {row.choice!s}: {row.now!s} -> {row.flipped!s}: cannot be computed ({row.error!s})")
            else:
                out.append(
                    f"  {row.choice!s}: {row.now!s} -> {row.flipped!s} moves {row.need_moved:.1%} of need between "
                    f"wards; gains most: {row.gains!s}; loses most: {row.loses!s}"
                )
        return out


def harm_choices(inputs: Inputs, scenario: Scenario, resolve: Callable[[str], Path]) -> HarmChoices:
    """Measure the harm and crime choices of ``scenario`` on its loaded ``inputs``.

    Parameters
    ----------
    inputs : Inputs
        From :func:`planner.inputs.loader.load_inputs` for ``scenario``.
    scenario : Scenario
    resolve : Callable[[str], Path]
        Finds the files of the scenario (for the alternative weight column).

    Returns
    -------
    HarmChoices
    """
    geo = inputs.geography
    spec = scenario.data.harm
    alternative = None
    if spec.weights is not None and spec.alternative_value is not None:
        alternative = read_harm_weights(spec.model_copy(update={"value": spec.alternative_value}), resolve)
    offences = _offence_table(inputs, geo.harm, alternative)
    moves = _moves(inputs, scenario, alternative)
    label = spec.value if spec.weights is not None else ("harm weights" if geo.harm is not None else None)
    return HarmChoices(offences, moves, label, spec.alternative_value if alternative is not None else None)


def _offence_table(inputs: Inputs, harm: HarmWeights | None, alternative: HarmWeights | None) -> pd.DataFrame:
    geo = inputs.geography
    codes = set(geo.table["ward_code"])
    excluded = inputs.wards.crime_excluded
    own = set() if excluded is None else set(np.asarray(inputs.wards.codes)[excluded])
    counts = geo.crime.counts
    counts = counts[counts["ward_code"].isin(codes - own)]
    level = harm.level if harm is not None else "minor"
    per = counts.groupby(level, sort=False)["count"].sum()
    per = per[per > 0]
    table = pd.DataFrame({"offence": per.index.astype(str), "offences": per.to_numpy(dtype=np.int64)})
    table["offence_share"] = table["offences"] / max(int(table["offences"].sum()), 1)
    table["harm_share"] = _harm_share(table, harm)
    table["harm_share_alternative"] = _harm_share(table, alternative) if alternative is not None else np.nan
    for name in ("neighbourhood", "domestic_sexual"):
        marks = {} if harm is None else harm.classes.get(name, {})
        table[name] = [marks.get(" ".join(o.split()).casefold(), np.nan) for o in table["offence"]]
    return table.sort_values(["harm_share", "offences"], ascending=False, kind="stable").reset_index(drop=True)


def _harm_share(table: pd.DataFrame, harm: HarmWeights | None) -> np.ndarray:
    if harm is None:
        weight = np.ones(len(table))
    else:
        resolved = harm.resolve(table["offence"])
        weight = np.array([resolved.weight.get(o, 0.0) for o in table["offence"]])
    total = table["offences"].to_numpy(dtype=float) * weight
    return total / total.sum() if total.sum() > 0 else np.zeros(len(table))


def _moves(inputs: Inputs, scenario: Scenario, alternative: HarmWeights | None) -> pd.DataFrame:
    need = scenario.need
    geo = inputs.geography
    flips: list[tuple[str, str, str, HarmWeights | None, NeedSpec]] = []
    if alternative is not None:
        hs = scenario.data.harm
        flips.append(("harm statistic", str(hs.value), str(hs.alternative_value), alternative, need))
    classes = {} if geo.harm is None else geo.harm.classes
    toggles = {}
    if "neighbourhood" in classes:
        toggles["offences"] = {"all": "neighbourhood", "neighbourhood": "all"}
    if "domestic_sexual" in classes:
        toggles["domestic_sexual"] = {"include": "exclude", "exclude": "include"}
    if inputs.wards.crime_excluded is not None:
        toggles["excluded_crime"] = {"borough_rate": "zero", "zero": "borough_rate"}
    for key, other in toggles.items():
        current = str(getattr(need, key))
        flipped = other[current]
        flips.append((f"need.{key}", current, flipped, geo.harm, need.model_copy(update={key: flipped})))
    now = _need(inputs, geo.harm, need)
    names = np.asarray(inputs.wards.names)
    rows = []
    for choice, current, flipped, harm, spec in flips:
        try:
            after = _need(inputs, harm, spec)
        except PlannerError as exc:
            rows.append({"choice": choice, "now": current, "flipped": flipped, "need_moved": np.nan,
                         "gains": "", "loses": "", "error": str(exc).splitlines()[0]})  # fmt: skip
            continue
        diff = after - now
        up, down = int(np.argmax(diff)), int(np.argmin(diff))
        rows.append(
            {
                "choice": choice,
                "now": current,
                "flipped": flipped,
                "need_moved": float(0.5 * np.abs(diff).sum() / len(now)),
                "gains": f"{names[up]} {now[up]:.2f} -> {after[up]:.2f}",
                "loses": f"{names[down]} {now[down]:.2f} -> {after[down]:.2f}",
                "error": "",
            }
        )
    return pd.DataFrame(rows, columns=["choice", "now", "flipped", "need_moved", "gains", "loses", "error"])


def _need(inputs: Inputs, harm: HarmWeights | None, spec: NeedSpec) -> np.ndarray:
    geo = inputs.geography
    wards = inputs.wards
    table = compute_need(
        list(geo.table["ward_code"]),
        geo.crime,
        harm,
        geo.population,
        spec,
        visitors=wards.visitors,
        exclude=None if wards.overrides is None else wards.overrides.exclude_need,
        borough=wards.borough,
    )
    return table.array("need")
