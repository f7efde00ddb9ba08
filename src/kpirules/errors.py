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

import copy
from typing import Any, TypeVar

from kpirules._messages import Message
from kpirules._width import display_width
from kpirules.limits import MAX_SHOWN_CHARS, shortened

__all__ = ["EvaluationError", "KpiRulesError", "ParseError", "RecordsError", "UsageError"]

E = TypeVar("E", bound="KpiRulesError")


class KpiRulesError(Exception):
    """Base of every error the library raises on purpose.

    ``code`` is a stable kebab-case name of the problem (``missing-measure``, ``expected-comparison``)
    that never depends on the language; ``message`` is the text for a person in ``language``
    (``"en"`` or ``"th"``), and :meth:`in_language` gives the same error in the other one.
    """

    def __init__(self, message: str | Message, language: str = "en") -> None:
        super().__init__(message)
        self._message = message
        self.language = language

    @property
    def message(self) -> str:
        """What is wrong and what to do, in :attr:`language`."""
        if isinstance(self._message, Message):
            return _bounded(self._message).render(self.language)
        return shortened(self._message, _LINE_WINDOW)

    @property
    def code(self) -> str:
        """The stable code of the problem (the same in every language)."""
        return self._message.code if isinstance(self._message, Message) else "error"

    @property
    def problem(self) -> Message | str:
        """The message before it is put into words (its code and parts), to render later in
        either language."""
        return self._message

    @property
    def parts(self) -> dict[str, Any]:
        """The parts the message was made from (names, values), for programs."""
        if isinstance(self._message, Message):
            return dict(self._message.parts)
        return {}

    def in_language(self: E, language: str) -> E:
        """This error with its message in ``language`` ("en" or "th")."""
        other = copy.copy(self)
        other.language = language
        return other

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message, self.language))

    def __str__(self) -> str:
        return self.message


# The most of a source line a ParseError shows (a window around the column beyond it).
_LINE_WINDOW = 4 * MAX_SHOWN_CHARS


def _bounded(problem: Message) -> Message:
    """``problem`` with every text part cut to MAX_SHOWN_CHARS (kpirules.limits), so that a 10 MB
    value cannot make a 10 MB message."""
    return Message(problem.code, tuple((name, _bounded_part(value))
                                       for name, value in problem.parts))


def _bounded_part(value: Any) -> Any:
    if isinstance(value, str):
        return shortened(value)
    if isinstance(value, Message):
        return _bounded(value)
    if hasattr(value, "render"):
        return _Shortened(value)
    return value


class _Shortened:
    """A part that says itself in each language (an expression), cut to MAX_SHOWN_CHARS."""

    __slots__ = ("part",)

    def __init__(self, part: Any) -> None:
        self.part = part

    def render(self, language: str) -> str:
        return shortened(str(self.part.render(language)))


class ParseError(KpiRulesError):
    """A rule file that cannot be read: a syntax error or a load-time check that failed.

    ``source``, ``line`` and ``column`` (1-based, counted in characters) say where; ``message`` says
    what is wrong and what to write instead; ``text`` is the offending line, shown under the message
    with a caret that lines up even when the line holds Thai combining vowels and tone marks.
    """

    def __init__(
        self,
        message: str | Message,
        source: str,
        line: int,
        column: int,
        text: str | None = None,
        language: str = "en",
    ) -> None:
        super().__init__(message, language)
        self.source = source
        self.line = line
        self.column = column
        self.text = text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message, self.source, self.line, self.column, self.text,
                             self.language))

    def __str__(self) -> str:
        head = f"{self.source}:{self.line}:{self.column}: {self.message}"
        if self.text is None:
            return head
        shown = self.text.rstrip("\r\n").expandtabs(1)
        column = self.column
        if len(shown) > _LINE_WINDOW:
            # A window of the line around the column, so a 10 MB line is not printed whole.
            start = max(0, min(column - 1 - _LINE_WINDOW // 2, len(shown) - _LINE_WINDOW))
            shown = ("…" if start else "") + shortened(shown[start:], _LINE_WINDOW)
            column -= start - (1 if start else 0)
        caret = " " * display_width(shown[: column - 1]) + "^"
        return f"{head}\n    {shown}\n    {caret}"


class EvaluationError(KpiRulesError):
    """A record that cannot be scored.

    ``indicator`` is the id of the indicator being scored (or ``None``), ``measure`` the measure the
    problem is about (``None`` when it is not about one measure, as for a division by zero).
    """

    def __init__(
        self,
        message: str | Message,
        indicator: str | None = None,
        measure: str | None = None,
        language: str = "en",
    ) -> None:
        super().__init__(message, language)
        self.indicator = indicator
        self.measure = measure

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message, self.indicator, self.measure, self.language))


class RecordsError(KpiRulesError):
    """A records file (JSON, CSV, XLSX) that cannot be used at all: missing, unreadable, in an
    unknown encoding or without the header it needs. ``path`` names the file, ``row`` the row when
    the problem is in one (1-based, as a spreadsheet numbers them), else None."""

    def __init__(
        self,
        message: str | Message,
        path: str | None = None,
        row: int | None = None,
        language: str = "en",
    ) -> None:
        super().__init__(message, language)
        self.path = path
        self.row = row

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message, self.path, self.row, self.language))


class UsageError(KpiRulesError):
    """A call the library cannot act on: an argument of the wrong type or value (a language that is
    not "en" or "th", rule text that is not ``str``), or a file or catalogue that does not exist."""
