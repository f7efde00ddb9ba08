"""Thai fiscal years and appraisal rounds as calendar dates.

The Thai government's fiscal year is named in the Buddhist Era (BE = CE + 543) after the calendar
year in which it *ends*: fiscal year 2565 runs from 1 October 2021 (2564 BE) to 30 September 2022.
Officers are appraised twice a year: round 1 covers October – March, round 2 April – September.

>>> from kpirules.fiscal import appraisal_period
>>> first, last = appraisal_period(2565, 1)
>>> print(first, last)
2021-10-01 2022-03-31
"""

from __future__ import annotations

from datetime import date

from kpirules._messages import message
from kpirules.errors import UsageError

__all__ = ["BE_OFFSET", "appraisal_period", "fiscal_year"]

BE_OFFSET = 543
"""Buddhist Era year minus Common Era year."""

# Buddhist Era years this far back are centuries before any rule file; a year below it is almost
# certainly a CE year (2022) or a short form (65) written by mistake, and would silently give dates
# 543 years early.
_EARLIEST_BE = 2400


def _check_year(year_be: int) -> None:
    if isinstance(year_be, bool) or not isinstance(year_be, int):
        raise UsageError(message("fiscal-year-type", year=repr(year_be)))
    if year_be < _EARLIEST_BE:
        raise UsageError(
            message("fiscal-year-ce", year=str(year_be), offset=BE_OFFSET,
                    be=str(year_be + BE_OFFSET))
            if year_be > 1800
            else message("fiscal-year-short", year=str(year_be)))


def fiscal_year(year_be: int) -> tuple[date, date]:
    """The first and last day of Thai fiscal year ``year_be`` (Buddhist Era).

    >>> print(*fiscal_year(2565))
    2021-10-01 2022-09-30

    A year that cannot be a Buddhist Era year raises :class:`~kpirules.errors.UsageError`:

    >>> fiscal_year(2022)
    Traceback (most recent call last):
    ...
    kpirules.errors.UsageError: 2022 is not a Buddhist Era year; fiscal years are named in the Buddhist Era (CE + 543): write 2565 for 2022 CE
    """  # noqa: E501 - a doctest's expected line cannot be wrapped
    _check_year(year_be)
    ends = year_be - BE_OFFSET
    return date(ends - 1, 10, 1), date(ends, 9, 30)


def appraisal_period(year_be: int, round: int) -> tuple[date, date]:
    """The first and last day of appraisal ``round`` (1 or 2) of fiscal year ``year_be``.

    >>> print(*appraisal_period(2565, 1))
    2021-10-01 2022-03-31
    >>> print(*appraisal_period(2565, 2))
    2022-04-01 2022-09-30
    >>> appraisal_period(2565, 3)
    Traceback (most recent call last):
    ...
    kpirules.errors.UsageError: there is no appraisal round 3; the rounds are 1 and 2
    """
    _check_year(year_be)
    if isinstance(round, bool) or round not in (1, 2):
        raise UsageError(message("fiscal-round", round=repr(round)))
    first, last = fiscal_year(year_be)
    if round == 1:
        return first, date(last.year, 3, 31)
    return date(last.year, 4, 1), last
