"""The exceptions kpirules raises on purpose.

Every one of them derives from :class:`KpiRulesError`, so a caller can catch the whole family with one
``except``. They carry the fields a program needs (a position, an indicator, a measure) beside the
message a person reads, and they survive pickling, so a process pool can hand them back.

>>> import kpirules
>>> try:
...     kpirules.parse('indicator 1 "t"\\n  level 1 if x => 5\\n', source="rules.kpi")
... except kpirules.ParseError as error:
...     print(error.line, error.column)
...     print(str(error).splitlines()[0])
2 16
rules.kpi:2:16: `=>` is not an operator: write `>=` for "at least"
"""

from __future__ import annotations

from typing import Any

from kpirules._width import display_width

__all__ = ["EvaluationError", "KpiRulesError", "ParseError"]


class KpiRulesError(Exception):
    """Base of every error the library raises on purpose."""


class ParseError(KpiRulesError):
    """A rule file that cannot be read: a syntax error or a load-time check that failed.

    ``source``, ``line`` and ``column`` (1-based, counted in characters) say where; ``message`` says
    what is wrong and what to write instead; ``text`` is the offending line, shown under the message
    with a caret that lines up even when the line holds Thai combining vowels and tone marks.
    """

    def __init__(
        self, message: str, source: str, line: int, column: int, text: str | None = None
    ) -> None:
        super().__init__(message, source, line, column, text)
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.text = text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.source, self.line, self.column, self.text))

    def __str__(self) -> str:
        head = f"{self.source}:{self.line}:{self.column}: {self.message}"
        if self.text is None:
            return head
        shown = self.text.rstrip("\r\n").expandtabs(1)
        caret = " " * display_width(shown[: self.column - 1]) + "^"
        return f"{head}\n    {shown}\n    {caret}"


class EvaluationError(KpiRulesError):
    """A record that cannot be scored.

    ``indicator`` is the id of the indicator being scored (or ``None``), ``measure`` the measure the
    problem is about (``None`` when it is not about one measure, as for a division by zero).
    """

    def __init__(self, message: str, indicator: str | None = None, measure: str | None = None):
        super().__init__(message, indicator, measure)
        self.message = message
        self.indicator = indicator
        self.measure = measure

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.indicator, self.measure))

    def __str__(self) -> str:
        return self.message
