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
- a flag cell may be ``bool``, the words a flag accepts (true/false, yes/no, 1/0, ใช่/ไม่ใช่) or
  the number 1 or 0 (a typed column's); a milestone cell, read the same way, is true when the
  milestone is done, and false or empty when it is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kpirules._columns import FLAG as _FLAG
from kpirules._columns import SUBJECT, wide_columns
from kpirules._columns import VALUE as _VALUE
from kpirules._messages import message
from kpirules._scoring import MILESTONES
from kpirules._values import describe_value, flag_value, is_missing
from kpirules.errors import EvaluationError
from kpirules.model import RuleSet

__all__ = ["SUBJECT", "WideLayout"]

class WideLayout:
    """How the columns of one wide table map to the records of a rule set."""

    def __init__(self, rules: RuleSet, columns: Sequence[str]) -> None:
        self.rules = rules
        found = wide_columns([indicator.node for indicator in rules], columns)
        self.subject = found.subject
        self.slots = [(slot.index, slot.indicator, slot.key, slot.kind, slot.level)
                      for slot in found.slots]
        self.indicators = list(found.indicators)
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
                # A word, or a number 1/0 as a typed column holds it (as a milestone cell is
                # read); anything else is left for the evaluator to refuse.
                flag = None if is_missing(value) else flag_value(value)
                record[key] = value if flag is None else flag
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
