"""Exact numbers without DECIMAL division: integers with a constant factor kept apart
(:class:`_Int`) and fractions of two of them (:class:`_Ratio`), with the bounds the typed fast path
uses to prove that 64 bits suffice. See "Exact arithmetic" in the documentation page on SQL."""

from __future__ import annotations

import attrs


def _is_simple(sql: str) -> bool:
    return sql.startswith('"') and sql.endswith('"') and " " not in sql


@attrs.frozen
class _Int:
    """An integer-valued expression ``coef × sql`` (just ``coef`` when ``sql`` is None).

    Keeping the constant factor apart lets a comparison cancel it: ``100 × a >= 25 × b`` is
    written ``4 * a >= b``."""

    coef: int
    sql: str | None = None
    depth: int = -1
    nonnegative: bool = False  # sql is known to be >= 0
    bound: int | None = None  # |sql| <= bound (only with typed input), None when unknown

    @property
    def static(self) -> bool:
        return self.sql is None

    @property
    def known_nonnegative(self) -> bool:
        return self.coef >= 0 if self.sql is None else (self.nonnegative and self.coef >= 0)


def _magnitude(value: _Int) -> int | None:
    """A bound on ``|value|`` and on every integer computed on the way to it, or None."""
    if value.sql is None:
        return abs(value.coef)
    if value.bound is None:
        return None
    return max(1, abs(value.coef)) * max(1, value.bound)


def _times(a: _Int, b: _Int) -> _Int:
    coef = a.coef * b.coef
    if coef == 0:
        return _Int(0)
    if a.sql is None:
        return _Int(coef, b.sql, b.depth, b.nonnegative, b.bound)
    if b.sql is None:
        return _Int(coef, a.sql, a.depth, a.nonnegative, a.bound)
    bound = None if a.bound is None or b.bound is None else max(1, a.bound) * max(1, b.bound)
    return _Int(coef, f"({a.sql} * {b.sql})", max(a.depth, b.depth),
                a.nonnegative and b.nonnegative, bound)


def _scale(a: _Int, factor: int) -> _Int:
    return _times(a, _Int(factor))


@attrs.frozen
class _Ratio:
    """An exact number ``num / den`` with ``den > 0``."""

    num: _Int
    den: _Int

    @property
    def depth(self) -> int:
        return max(self.num.depth, self.den.depth)



def _plain(value: _Int) -> bool:
    """Whether ``value`` is a constant or a column as it is, with no arithmetic."""
    return value.sql is None or (value.coef == 1 and _is_simple(value.sql))


def _scale_down(value: _Int, factor: int) -> _Int:
    return attrs.evolve(value, coef=value.coef // factor)
