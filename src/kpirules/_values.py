"""Record values → ``Decimal`` / ``bool``, with the reason when a value is refused.

The compiled evaluator handles the common cases (``int`` and finite ``Decimal``) inline and calls
:func:`to_number` for everything else, so the rules for odd input live in one place.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kpirules import nodes
from kpirules._messages import Keyword, message
from kpirules._numbers import show
from kpirules._scoring import THAI_DIGITS
from kpirules.errors import EvaluationError

__all__ = ["NUMERIC_TEXT", "THAI_DIGITS", "describe_value", "show", "to_number"]

# Plain decimals, optionally signed, with an exponent, `_` between digits, or commas grouping
# thousands as spreadsheets print them ("1,234.50"); nothing else (no "NaN", no "Infinity").
NUMERIC_TEXT = re.compile(
    r"[+-]?(?:\d+(?:_\d+)*|\d{1,3}(?:,\d{3})+)(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?"
    r"|[+-]?\.\d+(?:[eE][+-]?\d+)?"
)


def describe_value(value: object) -> str:
    """A value as a message quotes it: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_number(value: Any, indicator: str, measure: nodes.Measure, language: str = "en") -> Decimal:
    """``value`` as a finite Decimal, or an :class:`EvaluationError` saying why it is not one.

    >>> x = nodes.Measure("x")
    >>> to_number(" ๑๒.๕ ", "1", x)
    Decimal('12.5')
    >>> to_number(0.1, "1", x)
    Decimal('0.1')
    """

    def fail(code: str, **parts: Any) -> EvaluationError:
        problem = message(code, indicator=indicator, measure=measure.name,
                          kind=Keyword(measure.kind), **parts)
        return EvaluationError(problem, indicator, measure.name, language)

    if isinstance(value, bool):
        raise fail("bool-not-number", value=message("word-true" if value else "word-false"))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise fail("not-finite", value=str(value))
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().translate(THAI_DIGITS)
        if not NUMERIC_TEXT.fullmatch(text):
            raise fail("text-not-number", value=describe_value(value))
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise fail("text-not-number", value=describe_value(value)) from None
    else:
        raise fail("wrong-type", type=type(value).__name__, value=describe_value(value))
    if not number.is_finite():
        raise fail("not-finite", value=str(number))
    return number
