"""``planner cost``'s band: the conclusion about the last 100 PCSOs re-solved as an assumption moves,
recomputed independently; where it flips; every effectiveness figure sourced or labelled an
assumption; bad band specifications reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_finance_support import simple_solve

from planner.errors import ScenarioError
from planner.finance.band import DEFAULT_BANDS, BandSpec, assumptions
from planner.finance.compare import compare_options, harm_served, need_served, own_role, value_served
from planner.finance.costing import unit_costs
from planner.scenario import RANKS, Scenario, load_scenario

DATA = Path(__file__).resolve().parent / "data" / "finance"
GRID = BandSpec("objective.pcso_effectiveness", (0.3, 0.45, 0.6, 0.75, 0.9))


def _option(paid: bool) -> Scenario:
    sc = Scenario(name="paid" if paid else "plain", finance={"pay": {}} if paid else None)
    return sc.with_changes({"workforce.constable.headcount": 60, "workforce.pcso.headcount": 130})


@pytest.mark.parametrize("paid", [False, True])
def test_band_recomputed_point_by_point(paid: bool) -> None:
    sc = _option(paid)
    opt = compare_options([sc], solve=simple_solve, bands=[GRID]).options[0]
    (band,) = opt.band
    rates = unit_costs(sc)
    extra = int(100 * rates["pcso"] // rates["constable"])  # what the last 100 PCSOs' pay buys
    assert band.extra_constables == extra == opt.row()["constables_instead"]
    diffs = []
    for point, alpha in zip(band.points, GRID.values):
        varied = sc.with_changes({"objective.pcso_effectiveness": alpha})
        base = need_served(simple_solve(varied))
        fewer = need_served(simple_solve(varied.with_changes({"workforce.pcso.headcount": 30})))
        instead = need_served(
            simple_solve(
                varied.with_changes({"workforce.pcso.headcount": 30, "workforce.constable.headcount": 60 + extra})
            )
        )
        assert (point.value, point.option, point.fewer, point.instead) == pytest.approx((alpha, base, fewer, instead))
        assert point.equivalent(extra) == pytest.approx(extra * (base - fewer) / (instead - fewer))
        assert point.constables_better == (instead > base)
        diffs.append(instead - base)
    # the conclusion flips inside the range, where the interpolated difference is zero
    assert diffs[0] > 0 > diffs[-1]
    i = next(i for i in range(len(diffs) - 1) if (diffs[i] > 0) != (diffs[i + 1] > 0))
    a, b = GRID.values[i], GRID.values[i + 1]
    assert band.flip == pytest.approx(a + (b - a) * diffs[i] / (diffs[i] - diffs[i + 1]))
    # the equivalent grows with the assumption and crosses what the money buys near the flip
    eqs = [p.equivalent(extra) for p in band.points]
    assert all(x is not None for x in eqs) and eqs == sorted(eqs)
    row = opt.row()
    assert row["band[objective.pcso_effectiveness]_flips_at"] == pytest.approx(band.flip)
    assert row["band[objective.pcso_effectiveness]_equivalent_low"] == pytest.approx(min(eqs))
    assert "flips at objective.pcso_effectiveness" in "\n".join(band.lines())


def test_a_path_the_scenario_lacks_is_reported_not_guessed() -> None:
    opt = compare_options(
        [_option(False)], solve=simple_solve, bands=[BandSpec("objective.pcso_visibility_weight", (1.0, 2.0))]
    ).options[0]
    (band,) = opt.band
    assert all(p.error == "the scenario has no number at objective.pcso_visibility_weight" for p in band.points)
    assert band.flip is None and "not computed at 1, 2" in "\n".join(band.lines())


def test_a_value_the_schema_rejects_is_reported_at_its_point() -> None:
    spec = BandSpec("objective.pcso_effectiveness", (0.5, 1.5))  # at most 1
    (band,) = compare_options([_option(False)], solve=simple_solve, bands=[spec]).options[0].band
    assert band.points[0].ok and not band.points[1].ok
    assert "objective.pcso_effectiveness" in (band.points[1].error or "")


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("objective.pcso_effectiveness=0.3:0.9:0.1", (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)),
        ("objective.pcso_effectiveness=0.3:0.9", (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)),
        ("workforce.pcso.availability=0.7,0.85", (0.7, 0.85)),
    ],
)
def test_band_specs(text: str, values: tuple[float, ...]) -> None:
    spec = BandSpec.parse(text)
    assert spec.values == pytest.approx(values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("objective.pcso_effectiveness", "expected PATH=LO:HI"),
        ("objective.pcso_effectiveness=nan:1", "expected finite numbers"),
        ("objective.pcso_effectiveness=0.9:0.3", "expected finite numbers"),
        ("objective.pcso_effectiveness=0:1:0", "expected finite numbers"),
        ("objective.pcso_effectiveness=0:1:0.001", "more than 41 values"),
        ("objective.pcso_effectiveness=a,b", "expected finite numbers"),
    ],
)
def test_bad_band_specs(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        BandSpec.parse(text)


def test_every_effectiveness_figure_is_sourced_or_labelled_an_assumption() -> None:
    sc = load_scenario(DATA / "small-option.yaml")
    items = {a["path"]: a for a in assumptions(sc)}
    objective = {
        k for k, v in sc.to_dict()["objective"].items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    assert {f"objective.{k}" for k in objective} | {f"workforce.{r}.availability" for r in RANKS} == set(items)
    assert all(a["status"].startswith(("assumption", "source")) for a in items.values())
    assert items["objective.pcso_effectiveness"]["status"].startswith("assumption: no published source")
    assert DEFAULT_BANDS[0].path == "objective.pcso_effectiveness"
    assert DEFAULT_BANDS[0].values == pytest.approx((0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9))


planner = pytest.importorskip("planner")


@pytest.mark.parametrize("model", ["substitution", "own_role"])
def test_value_served_is_the_planners_value_recomputed_from_the_plan(model: str) -> None:
    """value_served is every ward's value recomputed by hand from the deployment and the wards' needs, for
    either PCSO model; harm served counts PCSOs only when they are a fraction of a constable."""
    sc = load_scenario(DATA / "small-option.yaml").with_changes({"objective.pcso_model": model})
    plan = planner.solve(sc, time_limit=20)
    obj, wf = sc.objective, sc.workforce
    x, p = plan.constables.astype(float), plan.pcsos.astype(float)
    need, a_c, a_p = plan.wards.need, wf.constable.availability, wf.pcso.availability
    harm = plan.wards.harm / plan.wards.harm.mean()
    if model == "substitution":
        assert not own_role(plan)
        eff = a_c * x + obj.pcso_effectiveness * a_p * p
        by_hand = float(np.sum(need * np.log1p(eff / obj.saturation)))
        harm_by_hand = float(np.sum(harm * np.log1p(eff / obj.saturation)))
    else:
        assert own_role(plan) and plan.wards.need_pcso is not None
        need_p = obj.pcso_effectiveness * need.mean() * plan.wards.need_pcso
        kappa_p = obj.pcso_saturation or obj.saturation
        by_hand = float(np.sum(need * np.log1p(a_c * x / obj.saturation) + need_p * np.log1p(a_p * p / kappa_p)))
        harm_by_hand = float(np.sum(harm * np.log1p(a_c * x / obj.saturation)))
    assert value_served(plan) == pytest.approx(by_hand, rel=1e-9)
    assert need_served(plan) == pytest.approx(by_hand, rel=1e-9)
    assert harm_served(plan) == pytest.approx(harm_by_hand, rel=1e-9)
    # without stability the solver's objective is this value less the cost tie-breaker
    cost = plan.problem.annual_cost(plan.constables, plan.pcsos, plan.sergeants, plan.inspectors)
    assert value_served(plan) == pytest.approx(plan.objective + plan.problem.cost_weight * cost, rel=1e-9)


@pytest.mark.parametrize("model", ["substitution", "own_role"])
def test_the_band_says_which_pcso_model_it_weighs(model: str) -> None:
    """Under a PCSO role of its own the band speaks of value added, not of the same need served."""
    sc = load_scenario(DATA / "small-option.yaml").with_changes({"objective.pcso_model": model})
    spec = BandSpec("objective.pcso_effectiveness", (0.3, 0.9))
    opt = compare_options([sc], scenario_dirs=[DATA], time_limit=20, bands=[spec]).options[0]
    (band,) = opt.band
    assert band.own_role == (model == "own_role") == (opt.row()["pcso_model"] == "own_role")
    assert set(band.table()["pcso_model"]) == {model}
    text = "\n".join(band.lines())
    if model == "own_role":
        assert "add as much value as" in text and "on their own need" in text
    else:
        assert "serve what" in text and "fraction of a constable" in text
    assert all(p.ok for p in band.points)
    low, high = (p.equivalent(band.extra_constables) for p in band.points)
    assert low is not None and high is not None and low < high


def test_constables_that_cannot_be_deployed_give_no_equivalent_and_say_why() -> None:
    """When the constables instead add nothing (no supervisors for them), the equivalent is undefined, not
    a huge number from a near-zero denominator, and the band says why."""
    from planner.finance.band import Band, BandPoint

    points = [BandPoint(v, option=100.0 + 10 * v, fewer=100.0, instead=100.0 + 1e-3) for v in (0.3, 0.9)]
    band = Band("objective.pcso_effectiveness", 0.6, 86, points=points)
    assert all(p.constables_add_nothing and p.equivalent(86) is None for p in points)
    assert all(p.constables_better is False for p in points)
    text = "\n".join(band.lines())
    assert "the 86 constables that the last 100 PCSOs' pay buys add no value" in text
    assert "566" not in text and "does not flip" in text
    # a real gain is still an equivalent
    assert BandPoint(0.6, option=106.0, fewer=100.0, instead=112.0).equivalent(86) == pytest.approx(43.0)
