"""kpirules.testing: the strategies make what they promise, and assert_monotone finds drops."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kpirules
from kpirules import catalogue
from kpirules.testing import assert_monotone, better_pairs, directions, records

RELAXED = settings(max_examples=100, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_the_shipped_catalogue_is_monotone() -> None:
    assert_monotone(catalogue.load("cdd-2565-r1"), max_examples=150)


def test_an_upper_bound_in_a_ladder_is_caught() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure p number in 0..100\n'
                           "  level 1 if p >= 25\n  level 2 if p >= 40 and p < 55\n")
    with pytest.raises(AssertionError) as caught:
        assert_monotone(rules)
    message = str(caught.value)
    assert "indicator 1 is not monotone" in message
    assert re.search(r"scores level \d, below level \d", message)


def test_a_lower_is_better_measure_is_moved_down() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure debt number in 0..\n'
                           "  level 1 if debt <= 100\n  level 2 if debt <= 50\n")
    assert directions(rules["1"]) == {"debt": -1}
    assert_monotone(rules)


def test_directions_through_lets() -> None:
    rules = catalogue.load("cdd-2565-r1")
    assert directions(rules["1"]) == {"target_households": -1, "developed_households": 1}
    # (baseline - overdue) / baseline: baseline on both sides of the division, effect not told.
    assert directions(rules["4"]) == {"overdue_debt": -1}
    assert directions(rules["3"]) == {"bpm_recorded_percent": 1, "gvh_reported_percent": 1}


@RELAXED
@given(records(catalogue.load("cdd-2565-r1")["4"]))
def test_records_are_valid(record: dict[str, Any]) -> None:
    indicator = catalogue.load("cdd-2565-r1")["4"]
    assert set(record) <= {"baseline_overdue_debt", "overdue_debt", "milestones"}
    assert record["baseline_overdue_debt"] >= 0 and record["overdue_debt"] >= 0
    assert record["baseline_overdue_debt"] != 0  # the let divides by it
    assert 0 <= indicator.evaluate(record).level <= 5


@RELAXED
@given(better_pairs(catalogue.load("cdd-2565-r1")["1"]))
def test_better_pairs_differ_in_one_measure_in_its_better_direction(
        pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    worse, better = pair
    changed = [name for name in worse if worse[name] != better[name]]
    assert len(changed) <= 1
    for name in changed:
        step = Decimal(better[name]) - Decimal(worse[name])
        assert step * {"target_households": -1, "developed_households": 1}[name] > 0
