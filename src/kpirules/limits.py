"""The limits on rule text and records, each enforced early and named in its error.

Rule text and records may come from people kpirules cannot trust (a browser, an editor, a file
mailed in), so every input has a size beyond which it is refused before it can take the machine's
memory or time. The limits are far above anything a KPI needs (the shipped 2565 catalogue is 18 KB
with 5 levels per indicator and expressions of a handful of terms); the documentation page "Limits"
lists them with the reason for each.

>>> import kpirules
>>> try:
...     kpirules.parse('indicator 1 "t"\\n  level 99999999999 if x >= 1\\n')
... except kpirules.ParseError as error:
...     print(error.code, error.line, error.column)
limit-level-number 2 9
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

import attrs

__all__ = [
    "CHECK_SECONDS",
    "CHECK_SECONDS_PER_STATEMENT",
    "MAX_CELL_CHARS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_INDICATORS",
    "MAX_LETS",
    "MAX_LEVELS",
    "MAX_MILESTONES_REPORTED",
    "MAX_RULE_CHARS",
    "MAX_SHOWN_CHARS",
    "MAX_TERMS",
    "Deadline",
    "OutOfTime",
    "budget",
    "check_seconds",
    "digits_in",
    "first_line_past",
    "out_of_time",
    "shortened",
]

MAX_RULE_CHARS = 10_000_000
"""Characters in one rule text or ``.kpi`` file (500 times the shipped catalogue)."""

MAX_INDICATORS = 20_000
"""Indicators in one rule file."""

MAX_LEVELS = 100
"""Levels in one indicator, and so the highest level number (levels are numbered 1 to N without
gaps). A level number above it is refused as soon as it is read, before any list of levels is
made."""

MAX_LETS = 100
"""``let`` steps in one indicator."""

MAX_TERMS = 1_000
"""Names and numbers in one expression (a `let` or a level's condition)."""

MAX_DEPTH = 150
"""How deeply one expression may nest: each operator applied to the result of another adds one
(``a + b + c`` is two deep, as it is ``(a + b) + c``)."""

MAX_DIGITS = 40
"""Digits in one number of rule text (a threshold, a range bound, a weight); the evaluator
computes with 28 significant digits."""

MAX_CELL_CHARS = 1_000
"""Characters in one record value: a JSON value, a CSV or XLSX cell, a value passed to
``evaluate``. Longer text is refused for that subject only; the rest of the batch is scored."""

MAX_MILESTONES_REPORTED = MAX_LEVELS
"""Items in one record's ``milestones`` list (an endless iterator is refused, not read forever)."""

MAX_SHOWN_CHARS = 200
"""Characters of one name, value or line of text quoted in a message; the rest is cut at "…", so
that a 10 MB value cannot make a 10 MB message."""

CHECK_SECONDS = 10.0
"""The time :func:`kpirules.check` spends on proofs for a file, at least …"""

CHECK_SECONDS_PER_STATEMENT = 0.05
"""… plus this much per statement of the file, so that the budget grows linearly with the file.
Proofs not finished in time are reported as one ``check-incomplete`` warning."""


def check_seconds(statements: int) -> float:
    """The checker's time budget, in seconds, for a file of ``statements`` statements."""
    return CHECK_SECONDS + CHECK_SECONDS_PER_STATEMENT * statements


def digits_in(text: str) -> int:
    """How many digits a number written as ``text`` has (signs, points, ``_`` and exponents
    aside).

    >>> digits_in("1_000.250"), digits_in("๑๒")
    (7, 2)
    """
    return sum(1 for char in text if char.isdecimal())


def first_line_past(text: str, limit: int) -> tuple[int, int]:
    """The line and column (1-based) of character ``limit`` of ``text``, where it passes a limit
    of ``limit`` characters."""
    line = text.count("\n", 0, limit) + 1
    start = text.rfind("\n", 0, limit) + 1
    return line, limit - start + 1


class OutOfTime(Exception):
    """The checker's time budget of ``seconds`` ran out (see :func:`budget`); the proof under way
    is given up."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "kpirules_deadline", default=None)


@contextlib.contextmanager
def budget(statements: int) -> Iterator[Deadline]:
    """Within the block, :func:`out_of_time` raises once the checker's budget for a file of
    ``statements`` statements has run out."""
    deadline = Deadline.for_statements(statements)
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def out_of_time() -> None:
    """Raise :class:`OutOfTime` when the budget of the enclosing :func:`budget` has run out;
    the search loops of the checker call it often (it costs one clock reading)."""
    deadline = _CURRENT.get()
    if deadline is not None and deadline.expired():
        raise OutOfTime(deadline.seconds)


@attrs.define
class Deadline:
    """A point in time after which a long search gives up; ``expired()`` is cheap to call often.

    >>> Deadline.after(60).expired(), Deadline.after(-1).expired()
    (False, True)
    """

    at: float
    seconds: float
    missed: bool = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    @classmethod
    def for_statements(cls, statements: int) -> Deadline:
        """The checker's budget for a file of ``statements`` statements."""
        return cls.after(check_seconds(statements))

    def expired(self) -> bool:
        if not self.missed and time.monotonic() > self.at:
            self.missed = True
        return self.missed


def shortened(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was cut.

    >>> shortened("x" * 300)[-3:], len(shortened("x" * 300))
    ('xx…', 200)
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"
