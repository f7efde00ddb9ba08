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
from kpirules._scoring import FALSE_WORDS, THAI_DIGITS, TRUE_WORDS
from kpirules.errors import EvaluationError
from kpirules.limits import MAX_CELL_CHARS

__all__ = [
    "NUMERIC_TEXT",
    "THAI_DIGITS",
    "describe_value",
    "flag_value",
    "is_missing",
    "plain",
    "show",
    "to_number",
]

# Plain decimals, optionally signed, with an exponent, `_` between digits, or commas grouping
# thousands as spreadsheets print them ("1,234.50"); nothing else (no "NaN", no "Infinity").
NUMERIC_TEXT = re.compile(
    r"[+-]?(?:\d+(?:_\d+)*|\d{1,3}(?:,\d{3})+)(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?"
    r"|[+-]?\.\d+(?:[eE][+-]?\d+)?"
)


def plain(value: Any) -> Any:
    """A NumPy scalar or 0-d array as the Python ``int``/``float``/``bool`` it stands for; any other
    value as it is (see the documentation page "Data in and out").

    NumPy is optional, so it is recognised by its module, never imported.

    >>> plain(7), plain("7")
    (7, '7')
    """
    kind = type(value)
    if kind.__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    if isinstance(value, float) and kind is not float:
        return float(value)  # np.float64 is a float whose repr is "np.float64(12.5)"
    return value


def is_missing(value: Any) -> bool:
    """Whether ``value`` is how Python, NumPy or pandas write "no value": ``None``, a float NaN
    (NumPy's too), ``pandas.NA`` or ``NaT``.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("")
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    kind = type(value)
    if kind.__name__ in ("NAType", "NaTType") and kind.__module__.startswith("pandas"):
        return True
    if kind.__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        # np.float32 is no float subclass; np.datetime64("NaT") is NumPy's own missing time.
        return bool(value != value)
    return False


def describe_value(value: object) -> str:
    """A value as a message quotes it: its repr, cut to 60 characters (a whole number too long
    for Python to write out, as ``10**10000``, in scientific notation)."""
    if type(value) is int and value.bit_length() > 1000:
        return f"{Decimal(value):.6E}"
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

    value = plain(value)
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
        if len(value) > MAX_CELL_CHARS:
            raise fail("limit-cell", length=len(value), limit=MAX_CELL_CHARS)
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


_TRUE = frozenset(TRUE_WORDS)
_FALSE = frozenset(FALSE_WORDS)


def flag_value(value: Any) -> bool | None:
    """A spreadsheet cell as a flag, or None when it is not one.

    >>> flag_value(" Yes "), flag_value("ไม่ใช่"), flag_value(1), flag_value("maybe")
    (True, False, True, None)
    """
    value = plain(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        text = value.strip().casefold().translate(THAI_DIGITS)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None
