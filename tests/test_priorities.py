"""Community priorities: the file's checks, the documented rule on known counts, and need built with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tinycity import CODES, write_city

from planner.api import load_inputs, load_scenario
from planner.errors import DataError
from planner.inputs.crime import crime_from_frame
from planner.inputs.priorities import (
    MAX_FACTOR,
    MAX_RELATIVE,
    THEMES,
    apply_priorities,
    priorities_from_frame,
    priority_effect,
    read_priorities,
)
from planner.scenario import CrimeSpec


def crime(counts: dict[str, tuple[int, int, int]]):
    """A one-month crime window: per ward (theft, violence with injury, residential burglary)."""
    rows = []
    for ward, (theft, violence, burglary) in counts.items():
        for major, minor, n in (
            ("THEFT", "OTHER THEFT", theft),
            ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", violence),
            ("BURGLARY", "RES BURGLARY OF A HOME", burglary),
        ):
            rows.append([major, minor, ward, ward, "B", n])
    frame = pd.DataFrame(
        rows, columns=["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName", "202401"]
    )
    return crime_from_frame(frame, CrimeSpec(path="x", drop_partial=False), "test crime")


WINDOW = crime({"A": (30, 10, 0), "B": (90, 10, 0), "C": (0, 0, 0), "D": (10, 0, 10)})


def table(*rows: tuple[str, str, float]):
    return priorities_from_frame(pd.DataFrame(rows, columns=["ward_code", "priority", "weight"]), "test priorities")


def test_the_rule_on_known_counts():
    # London: 160 offences. Violence: A's share 10/40, London's 20/160; theft: B's 90/100, London's 130/160
    effect = priority_effect(
        ["A", "B", "C", "D"], WINDOW, table(("A", "VIOLENCE WITH INJURY", 0.4), ("B", "theft", 0.5))
    )
    r_a, r_b = (10 / 40) / (20 / 160), (90 / 100) / (130 / 160)
    np.testing.assert_allclose(effect.relative["relative"], [r_a, r_b])
    np.testing.assert_allclose(effect.factor, [1 + 0.4 * r_a, 1 + 0.5 * r_b, 1.0, 1.0])


def test_groups_are_matched_by_either_name_and_themes_by_their_offences():
    codes = ["A", "B", "C", "D"]
    by_major = priority_effect(codes, WINDOW, table(("A", "violence against the person", 0.4)))
    by_minor = priority_effect(codes, WINDOW, table(("A", "Violence  With Injury", 0.4)))
    theme = priority_effect(codes, WINDOW, table(("A", "violence", 0.4)))
    np.testing.assert_allclose(by_major.factor, by_minor.factor)
    np.testing.assert_allclose(by_major.factor, theme.factor)
    # neighbourhood crime covers residential burglary: D's share 10/20 against London's 10/160
    hood = priority_effect(codes, WINDOW, table(("D", "neighbourhood crime", 0.1)))
    assert hood.relative["relative"].iloc[0] == MAX_RELATIVE  # 8, capped
    assert "neighbourhood crime" in THEMES


def test_a_ward_with_no_offences_and_the_cap():
    codes = ["A", "B", "C", "D"]
    none = priority_effect(codes, WINDOW, table(("C", "THEFT", 1.0)))
    assert none.factor.tolist() == [1.0, 1.0, 1.0, 1.0]  # no offences: r = 0
    capped = priority_effect(codes, WINDOW, table(("D", "BURGLARY", 1.0), ("D", "THEFT", 0.5)))
    assert capped.factor[3] == MAX_FACTOR and any("cap" in n for n in capped.notes)


def test_need_keeps_its_mean():
    need = np.array([0.5, 1.5, 1.0, 1.0])
    effect = priority_effect(["A", "B", "C", "D"], WINDOW, table(("A", "VIOLENCE WITH INJURY", 0.4)))
    out = apply_priorities(need, effect)
    assert out.mean() == pytest.approx(1.0)
    assert out[0] / out[1] == pytest.approx(need[0] * effect.factor[0] / need[1])


@given(
    counts=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=8),
    weights=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=3),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_factors_stay_bounded_and_unprioritised_wards_keep_their_ratios(counts, weights, data):
    codes = [f"W{k}" for k in range(len(counts))]
    window = crime(dict(zip(codes, counts, strict=True)))
    ward = data.draw(st.sampled_from(codes))
    names = ["THEFT", "violence", "BURGLARY"][: len(weights)]
    effect = priority_effect(codes, window, table(*[(ward, n, w) for n, w in zip(names, weights, strict=True)]))
    assert ((effect.factor >= 1.0) & (effect.factor <= MAX_FACTOR)).all()
    need = np.linspace(0.5, 1.5, len(codes))
    out = apply_priorities(need, effect)
    assert out.mean() == pytest.approx(need.mean())
    others = [k for k, c in enumerate(codes) if c != ward]
    np.testing.assert_allclose(out[others] / need[others], out[others[0]] / need[others[0]])


def test_every_bad_row_is_named_at_once(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        read_priorities(test_data_dir / "priorities" / "bad.csv")
    text = str(err.value)
    expected = [
        "line 2: weight 0 is outside",
        "line 3: weight 1.5 is outside",
        "line 4 ('x')",
        "line 5: ward_code is empty",
        "line 7: ward X05000003 repeats priority 'THEFT' (line 6)",
        "lines 8, 9, 10, 11: ward X05000004 has 4",
    ]
    for part in expected:
        assert part in text, part


def test_unknown_priorities_and_wards_name_the_line(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        priority_effect(CODES, WINDOW, read_priorities(test_data_dir / "priorities" / "unknown.csv"))
    text = str(err.value)
    assert "line 2: priority 'PARKING' is not an offence group" in text and "anti-social behaviour" in text
    assert "line 3: ward X05000099 is not a ward of the plan" in text


def test_priorities_raise_need_where_they_are_set(tmp_path: Path):
    path = write_city(tmp_path, equity=False)
    (tmp_path / "priorities.csv").write_text("ward_code,priority,weight\nX05000001,violence,0.5\n", encoding="utf-8")
    base_sc = load_scenario(path)
    base = load_inputs(base_sc, scenario_dir=tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["priorities"] = {"path": "priorities.csv"}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with_p = load_inputs(load_scenario(path), scenario_dir=tmp_path, reuse=base)
    assert with_p.geography is base.geography  # priorities do not reload the data files
    k = list(base.wards.codes).index("X05000001")
    ratio = with_p.wards.need / base.wards.need
    # every ward has violence at London's share (r = 1): W1's need x 1.5, then all rescaled to mean 1
    assert with_p.wards.need.mean() == pytest.approx(1.0)
    assert ratio[k] / np.delete(ratio, k)[0] == pytest.approx(1.5)
    assert with_p.wards.priorities is not None
    assert with_p.wards.priorities.factor[k] == pytest.approx(1.5)
    assert with_p.digest != base.digest and any(n.startswith("priorities:") for n in with_p.wards.notes)
