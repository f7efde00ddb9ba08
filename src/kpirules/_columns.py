"""The wide layout's columns (one row per subject, a column per measure and per milestone level):
which layout a header is, and what each column holds. Stated once, for the Python records reader
(:mod:`kpirules._wide`) and the DuckDB engine of ``eval`` (:mod:`kpirules.sql.engine`); see the
documentation page "Data in and out" for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kpirules import nodes
from kpirules._scoring import LONG_COLUMNS, MILESTONES, milestone_levels
from kpirules.sql._text import column_name, milestone_column

__all__ = ["FLAG", "MILESTONE", "SUBJECT", "VALUE", "Slot", "WideColumns", "is_wide",
           "wide_columns"]

SUBJECT = "subject"

# What a column holds: a measure's value, a flag, or whether a milestone level is done.
VALUE, FLAG, MILESTONE = 0, 1, 2


def is_wide(names: Sequence[str], ids: Sequence[str]) -> bool:
    """Whether a header (its cells as text, without surrounding space) is the wide layout's: it
    lacks a column of the long layout and names a column after an indicator
    (``1.target_households``)."""
    folded = {name.casefold() for name in names}
    return not all(column in folded for column in LONG_COLUMNS) and any(
        name.startswith(ident + ".") for name in names for ident in ids)


@attrs.frozen
class Slot:
    """A column of the table that feeds a record: its position, the indicator, the record key
    (a measure, an unknown name, or ``milestones``), what it holds and, for a milestone, the
    level."""

    index: int
    indicator: str
    key: str
    kind: int
    level: int = 0


@attrs.frozen
class WideColumns:
    """What each column of a wide header holds."""

    subject: int | None
    """The position of the ``subject`` column (found ignoring case and surrounding spaces)."""
    slots: tuple[Slot, ...]
    indicators: tuple[str, ...]
    """The indicators with at least one column, in the rules' order."""
    unknown: tuple[Slot, ...]
    """The columns ``ID.NAME`` of a known indicator that are neither a measure nor a milestone
    level (the record gets ``NAME``, which a strict evaluation rejects)."""


def wide_columns(indicators: Sequence[nodes.IndicatorNode], names: Sequence[object]
                 ) -> WideColumns:
    """The columns of a wide header ``names`` for ``indicators``: other columns are found by
    their exact names, and a column that names no indicator (``note``) is ignored."""
    expected: dict[str, tuple[str, str, int, int]] = {}
    for indicator in indicators:
        for measure in indicator.measures:
            kind = FLAG if measure.kind == "flag" else VALUE
            expected[column_name(indicator.id, measure.name)] = (indicator.id, measure.name,
                                                                 kind, 0)
        for level in milestone_levels(indicator):
            expected[milestone_column(indicator.id, level)] = (indicator.id, MILESTONES,
                                                               MILESTONE, level)
    order = [indicator.id for indicator in indicators]
    # Longest ids first, so that a column of indicator "1.1" is not taken for indicator 1's.
    ids = sorted(order, key=len, reverse=True)
    subject: int | None = None
    slots: list[Slot] = []
    unknown: list[Slot] = []
    present: set[str] = set()
    for index, raw in enumerate(names):
        name = str(raw)
        if subject is None and name.strip().lstrip("\ufeff").casefold() == SUBJECT:
            subject = index
            continue
        found = expected.get(name)
        if found is None:
            owner = next((ident for ident in ids if name.startswith(ident + ".")), None)
            if owner is None:
                continue
            slot = Slot(index, owner, name[len(owner) + 1:], VALUE)
            unknown.append(slot)
        else:
            slot = Slot(index, *found)
        slots.append(slot)
        present.add(slot.indicator)
    return WideColumns(subject, tuple(slots), tuple(i for i in order if i in present),
                       tuple(unknown))
