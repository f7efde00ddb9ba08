"""The wide layout: one row per subject, a ``subject`` column and one column per measure
(``ID.MEASURE``) and per milestone level (``ID.milestones.K``), the columns the SQL wide form
names (:func:`kpirules.sql.column_name`, :func:`kpirules.sql.milestone_column`).

Read by :func:`kpirules.frames.score`; see the documentation page "Data in and out" for the rules:

- the ``subject`` column is found ignoring case and surrounding spaces; other columns are found by
  their exact names; a column that names no indicator of the rules (``note``, ``province``) is
  ignored;
- a column ``ID.NAME`` of a known indicator that is neither a measure nor a milestone level goes
  into the record as ``NAME``, so that ``strict=True`` rejects it with a "did you mean";
- an indicator none of whose columns is in the table has no record: every subject is rejected
  with "no record for indicator ID", as :meth:`kpirules.RuleSet.evaluate` rejects such a subject;
- a flag cell may be ``bool`` or the words a flag accepts (true/false, yes/no, 1/0, ใช่/ไม่ใช่); a
  milestone cell is true when the milestone is done, and false or empty when it is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kpirules._messages import message
from kpirules._scoring import MILESTONES
from kpirules._values import describe_value, flag_value, is_missing
from kpirules.errors import EvaluationError
from kpirules.model import RuleSet

__all__ = ["SUBJECT", "WideLayout"]

SUBJECT = "subject"

# What a column holds: a measure's value, a flag, or whether a milestone level is done.
_VALUE, _FLAG, _MILESTONE = 0, 1, 2


class WideLayout:
    """How the columns of one wide table map to the records of a rule set."""

    def __init__(self, rules: RuleSet, columns: Sequence[str]) -> None:
        self.rules = rules
        from kpirules.sql import column_name, milestone_column

        expected: dict[str, tuple[str, str, int, int]] = {}
        for indicator in rules:
            for measure in indicator.measures:
                kind = _FLAG if measure.kind == "flag" else _VALUE
                expected[column_name(indicator.id, measure.name)] = (
                    indicator.id, measure.name, kind, 0)
            for level in indicator.levels:
                if level.is_milestone:
                    expected[milestone_column(indicator.id, level.number)] = (
                        indicator.id, MILESTONES, _MILESTONE, level.number)
        # Longest ids first, so that a column of indicator "1.1" is not taken for indicator 1's.
        ids = sorted(rules.ids(), key=len, reverse=True)
        self.subject: int | None = None
        self.slots: list[tuple[int, str, str, int, int]] = []
        self.indicators: list[str] = []
        for index, raw in enumerate(columns):
            name = str(raw)
            if self.subject is None and name.strip().lstrip("\ufeff").casefold() == SUBJECT:
                self.subject = index
                continue
            slot = expected.get(name)
            if slot is None:
                owner = next((ident for ident in ids if name.startswith(ident + ".")), None)
                if owner is None:
                    continue
                slot = (owner, name[len(owner) + 1:], _VALUE, 0)
            self.slots.append((index, *slot))
            if slot[0] not in self.indicators:
                self.indicators.append(slot[0])
        self.indicators.sort(key=rules.ids().index)
        self.milestone_only = {ind.id for ind in rules if not ind.measures}

    def records(self, cells: Sequence[Any]) -> tuple[dict[str, dict[str, Any]], list[Any]]:
        """One row's records by indicator (only the indicators the table has columns for), and
        the problems its milestone cells have (messages, as :func:`kpirules._messages.message`
        makes them)."""
        records: dict[str, dict[str, Any]] = {ident: {} for ident in self.indicators}
        problems = []
        for index, ident, key, kind, level in self.slots:
            value = cells[index]
            record = records[ident]
            if kind == _VALUE:
                record[key] = value
            elif kind == _FLAG:
                if type(value) is str:
                    flag = flag_value(value)
                    record[key] = value if flag is None else flag
                else:
                    record[key] = value
            else:
                done = record.setdefault(MILESTONES, [])
                if is_missing(value):
                    continue
                flag = flag_value(value)
                if flag is None:
                    problems.append(message(
                        "wide-milestone-not-flag", indicator=ident, column=f"{ident}.{key}.{level}",
                        level=level, value=describe_value(value)))
                elif flag:
                    done.append(level)
        return records, problems

    def score(self, rows: Iterable[Sequence[Any]], strict: bool) -> Iterable[Any]:
        """Each row's scorecard, or the :class:`EvaluationError` that rejected it."""
        evaluate = self.rules.evaluate
        language = self.rules.language
        for cells in rows:
            records, problems = self.records(cells)
            if problems:
                first = problems[0]
                yield EvaluationError(first, dict(first.parts)["indicator"], MILESTONES, language)
                continue
            try:
                yield evaluate(records, strict)
            except EvaluationError as error:
                yield error
