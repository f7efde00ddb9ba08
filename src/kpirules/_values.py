"""Record values → ``Decimal`` / ``bool``, with the reason when a value is refused.

The compiled evaluator handles the common cases (``int`` and finite ``Decimal``) inline and calls
:func:`to_number` for everything else, so the rules for odd input live in one place.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from kpirules.errors import EvaluationError

__all__ = ["NUMERIC_TEXT", "THAI_DIGITS", "show", "to_number"]

# Thai digits ๐–๙ → 0–9: every reader of numbers (rule text, records, CSV) uses this one table.
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# Plain decimals, optionally signed, with an exponent, `_` between digits, or commas grouping
# thousands as spreadsheets print them ("1,234.50"); nothing else (no "NaN", no "Infinity").
NUMERIC_TEXT = re.compile(
    r"[+-]?(?:\d+(?:_\d+)*|\d{1,3}(?:,\d{3})+)(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?"
    r"|[+-]?\.\d+(?:[eE][+-]?\d+)?"
)


def _fail(message: str, indicator: str, measure: str) -> EvaluationError:
    return EvaluationError(f"indicator {indicator}: {message}", indicator, measure)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_number(value: Any, indicator: str, measure: str, kind: str) -> Decimal:
    """``value`` as a finite Decimal, or an :class:`EvaluationError` saying why it is not one.

    >>> to_number(" ๑๒.๕ ", "1", "x", "number")
    Decimal('12.5')
    >>> to_number(0.1, "1", "x", "number")
    Decimal('0.1')
    """
    if isinstance(value, bool):
        raise _fail(f"`{measure}` must be a {kind}, not {value} (true/false is not a number)",
                    indicator, measure)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _fail(f"`{measure}` must be a finite {kind}, not {value}", indicator, measure)
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().translate(THAI_DIGITS)
        if not NUMERIC_TEXT.fullmatch(text):
            raise _fail(f"`{measure}` must be a {kind}, not the text {_describe(value)}",
                        indicator, measure)
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise _fail(f"`{measure}` must be a {kind}, not {_describe(value)}",
                        indicator, measure) from None
    else:
        raise _fail(f"`{measure}` must be a {kind}, not {type(value).__name__} "
                    f"{_describe(value)}", indicator, measure)
    if not number.is_finite():
        raise _fail(f"`{measure}` must be a finite {kind}, not {number}", indicator, measure)
    return number


def show(value: Decimal | bool | None) -> str:
    """A value as a person reads it: no exponent, no trailing zeros, at most 6 decimals."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if not value.is_finite() or not -7 < value.adjusted() < 30:
        return str(value)  # 1E+999999 stays short rather than a million digits
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        # Rounding to 6 places needs room for every digit before the point too.
        room = Context(prec=max(value.adjusted(), 0) + 8)
        value = value.quantize(Decimal("0.000001"), context=room)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
