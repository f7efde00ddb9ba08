"""Thai fiscal years (1 October – 30 September, named in the Buddhist Era) and appraisal rounds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import kpirules
from kpirules.fiscal import appraisal_period, fiscal_year


def test_fiscal_year_2565() -> None:
    # 2565 BE ends in 2565 - 543 = 2022 CE and starts the October before
    assert fiscal_year(2565) == (date(2021, 10, 1), date(2022, 9, 30))


def test_round_1_of_2565() -> None:
    assert appraisal_period(2565, 1) == (date(2021, 10, 1), date(2022, 3, 31))


def test_round_2_of_2565() -> None:
    assert appraisal_period(2565, 2) == (date(2022, 4, 1), date(2022, 9, 30))


@pytest.mark.parametrize("year_be", [2400, 2543, 2564, 2565, 2566, 2567, 2600])
def test_the_rounds_split_the_year_without_gap_or_overlap(year_be: int) -> None:
    first, last = fiscal_year(year_be)
    round_1, round_2 = appraisal_period(year_be, 1), appraisal_period(year_be, 2)
    assert round_1[0] == first and round_2[1] == last
    assert round_1[1] + timedelta(days=1) == round_2[0]
    assert (first.month, first.day, last.month, last.day) == (10, 1, 9, 30)
    assert last.year == year_be - 543 and first.year == last.year - 1


def test_a_leap_year_round_2_still_starts_in_april() -> None:
    # 2567 BE ends in 2024, a leap year: round 1 ends on 31 March, not 29 February
    assert appraisal_period(2567, 1) == (date(2023, 10, 1), date(2024, 3, 31))


@pytest.mark.parametrize("round_", [0, 3, -1, True])
def test_there_are_two_rounds(round_: int) -> None:
    with pytest.raises(kpirules.KpiRulesError, match="rounds are 1 and 2"):
        appraisal_period(2565, round_)


def test_a_common_era_year_is_refused_with_its_buddhist_era_name() -> None:
    with pytest.raises(kpirules.KpiRulesError, match="write 2565 for 2022 CE"):
        fiscal_year(2022)
    with pytest.raises(kpirules.KpiRulesError, match="not a Buddhist Era year"):
        appraisal_period(2022, 1)


@pytest.mark.parametrize("year", [65, 0, -2565, 2399])
def test_years_that_are_not_buddhist_era(year: int) -> None:
    with pytest.raises(kpirules.KpiRulesError, match="not a Buddhist Era year"):
        fiscal_year(year)


def test_the_rule_set_period() -> None:
    rules = kpirules.parse('year 2565\nround 2\nindicator 1 "t"\n  level 1 milestone "m"\n')
    assert rules.period == (date(2022, 4, 1), date(2022, 9, 30))
    assert kpirules.parse('year 2565\nindicator 1 "t"\n  level 1 milestone "m"\n').period is None


def test_the_catalogue_period() -> None:
    assert kpirules.catalogue.load("cdd-2565-r1").period == (date(2021, 10, 1), date(2022, 3, 31))
