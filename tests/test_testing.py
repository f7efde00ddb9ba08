"""kpirules.testing: the strategies make what they promise, and assert_monotone finds drops."""

from __future__ import annotations

import collections
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kpirules
from kpirules import catalogue
from kpirules.testing import (
    assert_monotone,
    assert_reachable,
    better_pairs,
    directions,
    records,
)

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


# --- records that reach every level ---------------------------------------------------------------

RATE = """indicator 1 "Road deaths per 100,000 population"
  measure deaths count
  measure population count
  let rate = deaths / population * 100000
  level 1 if rate <= 30
  level 2 if rate <= 28
  level 3 if rate <= 26
  level 4 if rate <= 24
  level 5 if rate <= 22
"""


def _level_shares(indicator: kpirules.Indicator, draws: int) -> dict[int, float]:
    counts = collections.Counter()

    @settings(max_examples=draws, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(records(indicator))
    def score(record: dict[str, Any]) -> None:
        counts[indicator.evaluate(record).level] += 1

    score()
    total = sum(counts.values())
    return {level: counts[level] / total for level in range(indicator.top + 1)}


@pytest.mark.parametrize("which", ["rate", "1", *(pytest.param(ident, marks=pytest.mark.slow)
                                                  for ident in "234567")])
def test_every_level_is_drawn_at_least_one_time_in_ten(which: str) -> None:
    rules = kpirules.parse(RATE) if which == "rate" else catalogue.load("cdd-2565-r1")
    indicator = rules["1" if which == "rate" else which]
    shares = _level_shares(indicator, 500)
    assert min(shares.values()) >= 0.10, shares


@RELAXED
@given(records(kpirules.parse(RATE)["1"]))
def test_rate_records_are_valid_counts(record: dict[str, Any]) -> None:
    indicator = kpirules.parse(RATE)["1"]
    result = indicator.evaluate(record)
    assert isinstance(record["deaths"], int) and isinstance(record["population"], int)
    assert record["deaths"] >= 0 and record["population"] > 0
    assert result.values["rate"] == Decimal(record["deaths"]) * 100000 / record["population"]


def test_a_steered_record_lands_at_or_just_below_a_ratio_threshold() -> None:
    from kpirules._steer import Steering

    indicator = catalogue.load("cdd-2565-r1")["1"]
    steering = Steering(indicator.node)
    # Level 3 is 55 % <= developed / target * 100 < 70 %. Whichever measure is moved, the record
    # lands at the 55 % threshold (or one household past it) or one or two households short of
    # 70 %: worked out from the thresholds, not from the code.
    for pick in range(4):
        record = {"target_households": 400, "developed_households": 0}

        def choose(options: Any, pick: int = pick) -> Any:
            return options[pick % len(options)]

        assert steering.steer(record, 3, choose) is None
        target, developed = record["target_households"], record["developed_households"]
        assert indicator.evaluate(record).level == 3
        at_55 = -(-55 * target // 100)  # the fewest developed households that make 55 %
        at_70 = -(-70 * target // 100)
        assert developed in (at_55, at_55 + 1, at_70 - 1, at_70 - 2), record


def test_swapped_thresholds_are_found_unreachable_naming_the_level() -> None:
    swapped = RATE.replace("rate <= 26", "rate <= 2X").replace("rate <= 24", "rate <= 26")
    rules = kpirules.parse(swapped.replace("rate <= 2X", "rate <= 24"))
    with pytest.raises(AssertionError) as caught:
        assert_reachable(rules)
    assert str(caught.value) == (
        "indicator 1: level 3 (`rate <= 24`) is never the result of 300 records aimed at every "
        "level: whenever level 3's condition holds, level 4's `rate <= 26` holds too")
    assert_reachable(kpirules.parse(RATE))
    assert_reachable(catalogue.load("cdd-2565-r1"), max_examples=100)


def test_a_monotone_counterexample_names_the_level_the_comparison_and_the_values() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure target count\n  measure done count\n'
                           "  let percent = done / target * 100\n  level 1 if percent >= 25\n"
                           "  level 2 if percent >= 40 and percent < 55\n"
                           "  level 3 if percent >= 40 and done >= 1\n")
    with pytest.raises(AssertionError) as caught:
        assert_monotone(rules)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("indicator 1 is not monotone: moving ")
    assert re.search(r"scores level \d, below level \d$", lines[0])
    assert re.fullmatch(r"level \d \(`.*`\) held before and fails after, at `.*`", lines[1])
    assert lines[2].startswith("values: target = ") and "percent = " in lines[2]
    assert lines[3].startswith("records: {")


# --- every mistake in tests/check is caught, naming the level at fault ---------------------------

CHECK_FILES = sorted((Path(__file__).parent / "check").glob("*.kpi"))
MISTAKES = [path for path in CHECK_FILES
            if "non-monotone" in path.with_suffix(".expected").read_text(encoding="utf-8")
            or "unreachable-level" in path.with_suffix(".expected").read_text(encoding="utf-8")]


def _property_findings(rules: kpirules.RuleSet) -> list[str]:
    found = []
    for assertion in (assert_reachable, assert_monotone):
        try:
            assertion(rules, max_examples=150)
        except AssertionError as error:
            found.append(str(error))
    return found


# A level named in either language: a Thai file's findings are in Thai.
LEVEL = re.compile(r"(?:\blevel|ระดับ) \d")


@pytest.mark.parametrize("path", MISTAKES, ids=lambda path: path.stem)
def test_every_checker_mistake_is_reported_by_the_checker_naming_the_level(path: Path) -> None:
    rules = kpirules.load(path)
    by_check = [d.message for d in kpirules.check(rules) if d.severity == "error"]
    assert any(LEVEL.search(message) for message in by_check), by_check


@pytest.mark.slow
@pytest.mark.parametrize("path", MISTAKES, ids=lambda path: path.stem)
def test_every_checker_mistake_is_caught_by_the_property_tests_naming_the_level(path: Path) -> None:
    by_properties = _property_findings(kpirules.load(path))
    assert any(LEVEL.search(message) for message in by_properties), path.stem


CLEAN_FILES = [path for path in CHECK_FILES if path.stem.startswith("clean_")]


@pytest.mark.slow
@pytest.mark.parametrize("path", CLEAN_FILES, ids=lambda path: path.stem)
def test_files_the_checker_passes_pass_the_property_tests(path: Path) -> None:
    assert _property_findings(kpirules.load(path)) == []
