"""Exact numbers: the one decimal context every engine computes in, and numbers written for people.

These sit below everything else (messages show numbers with :func:`show`), so this module imports
nothing of kpirules.
"""

from __future__ import annotations

import decimal
from decimal import Context, Decimal

__all__ = ["CONTEXT", "exact", "plain", "show", "tidy"]

# Exact enough for any KPI: 28 significant digits, the decimal module's own default, but fixed here
# so that a caller's decimal context cannot change a level. Underflow is trapped too, so that a value
# too small to hold is an error instead of a silent 0.
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Underflow],
)


def tidy(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent (``3.5000`` → ``3.5``, 10 → 10).

    >>> tidy(Decimal("3.5000")), tidy(Decimal("1E+1"))
    (Decimal('3.5'), Decimal('10'))
    """
    if value == value.to_integral_value():
        if value.adjusted() < CONTEXT.prec:
            return value.quantize(Decimal(1), context=CONTEXT)
        return value
    return value.normalize(CONTEXT)


def plain(value: Decimal) -> str:
    """``value`` with all its exact digits, no exponent and no trailing fractional zeros: the form
    JSON, CSV and SQL output write numbers in.

    >>> plain(Decimal("1E+2")), plain(Decimal("2.50")), plain(Decimal("-0"))
    ('100', '2.5', '0')
    """
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def show(value: Decimal | bool | None) -> str:
    """A value as a person reads it: no exponent, no trailing zeros, at most 6 decimals.

    >>> show(Decimal("32.500")), show(Decimal("0.1234567")), show(True)
    ('32.5', '0.123457', 'true')
    """
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


def exact(value: Decimal) -> str:
    """``value`` with every digit it has, where :func:`show` would round it to 6 places (a count of
    12.00000000000000000000000000001 is not 12); a value of more than 40 digits is shown.

    >>> exact(Decimal("12.00000000000000000000000000001")), exact(Decimal("2.50"))
    ('12.00000000000000000000000000001', '2.50')
    """
    if value.is_finite() and len(value.as_tuple().digits) <= 40 and -40 < value.adjusted() < 40:
        return f"{value:f}"
    return show(value)
