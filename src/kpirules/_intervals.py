"""Intervals of decimals: the values a compared quantity can take, cut up by its thresholds.

The checker reasons about a quantity (a measure, a ``let``, any expression compared against
numbers) through the thresholds it is compared with. Between two neighbouring thresholds every
comparison of the quantity has the same truth, so its domain splits into finitely many
*cells* — the thresholds themselves and the open gaps between them — and a level, which depends on
the quantity only through those comparisons, is constant on each cell. :func:`cells` makes that
split; :func:`pick`, :func:`pick_near_low` and :func:`pick_near_high` choose the round values a
person can read in a counterexample; :func:`bounds` over-approximates the values an expression can
take, from the ranges of the measures it reads; :class:`Region` is a set of combinations of cells,
one cell per quantity, as a union of boxes: what a condition allows.

>>> from decimal import Decimal as D
>>> percent = Interval.closed(D(0), D(100))
>>> [str(cell) for cell in cells(percent, [D(40), D(55)])]
['[0, 40)', '[40]', '(40, 55)', '[55]', '(55, 100]']
>>> pick_near_high(Interval.open(D(40), D(55)))
Decimal('54')
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import attrs

from kpirules import nodes
from kpirules._numbers import CONTEXT
from kpirules.limits import out_of_time

__all__ = [
    "Interval",
    "Region",
    "TooComplex",
    "bounds",
    "cells",
    "pick",
    "pick_near_high",
    "pick_near_low",
]

# Enough digits that the helpers below never round a threshold the evaluator compares exactly.
_EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN, traps=[])
_INFINITY = Decimal("Infinity")

# The steps a representative value is rounded to, roundest first.
_STEPS = tuple(Decimal(1).scaleb(exponent) for exponent in range(3, -10, -1))
_WHOLE_STEPS = tuple(step for step in _STEPS if step >= 1)


@attrs.frozen(slots=True)
class Interval:
    """The decimals between ``low`` and ``high`` (``None`` for an end that is unbounded), each end
    included when its ``*_closed`` flag is set.

    >>> from decimal import Decimal as D
    >>> D(100) in Interval.closed(D(0), D(100)), D(100) in Interval.open(D(0), D(100))
    (True, False)
    >>> str(Interval.at_least(D(0))), str(Interval()), Interval.open(D(1), D(1)).is_empty()
    ('[0, ∞)', '(-∞, ∞)', True)
    """

    low: Decimal | None = None
    high: Decimal | None = None
    low_closed: bool = False
    high_closed: bool = False

    @classmethod
    def point(cls, value: Decimal) -> Interval:
        """The one value ``value``."""
        return cls(value, value, True, True)

    @classmethod
    def closed(cls, low: Decimal | None, high: Decimal | None) -> Interval:
        """``[low, high]``, with either end possibly unbounded."""
        return cls(low, high, low is not None, high is not None)

    @classmethod
    def open(cls, low: Decimal | None, high: Decimal | None) -> Interval:
        """``(low, high)``."""
        return cls(low, high, False, False)

    @classmethod
    def at_least(cls, low: Decimal) -> Interval:
        """``[low, ∞)``."""
        return cls(low, None, True, False)

    def is_point(self) -> bool:
        """True when the interval holds exactly one value."""
        return self.low is not None and self.low == self.high and self.low_closed and self.high_closed

    def is_empty(self) -> bool:
        """True when no decimal lies in the interval."""
        if self.low is None or self.high is None:
            return False
        if self.low == self.high:
            return not (self.low_closed and self.high_closed)
        return self.low > self.high

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, Decimal):
            return False
        if self.low is not None and (value < self.low or (value == self.low and not self.low_closed)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_closed)

    def intersect(self, other: Interval) -> Interval:
        """The values in both intervals.

        >>> from decimal import Decimal as D
        >>> str(Interval.at_least(D(0)).intersect(Interval.open(None, D(5))))
        '[0, 5)'
        """
        low, low_closed = _tighter(self.low, self.low_closed, other.low, other.low_closed, max)
        high, high_closed = _tighter(self.high, self.high_closed, other.high, other.high_closed, min)
        return Interval(low, high, low_closed, high_closed)

    def has_integer(self) -> bool:
        """True when some whole number lies in the interval."""
        if self.is_empty():
            return False
        if self.low is None or self.high is None:
            return True
        first = _ceiling(self.low, Decimal(1))
        if first == self.low and not self.low_closed:
            first += 1
        return first in self

    def __str__(self) -> str:
        if self.is_point():
            return f"[{_text(self.low)}]"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        low = "-∞" if self.low is None else _text(self.low)
        high = "∞" if self.high is None else _text(self.high)
        return f"{left}{low}, {high}{right}"


def _tighter(
    a: Decimal | None,
    a_closed: bool,
    b: Decimal | None,
    b_closed: bool,
    choose: Callable[[Decimal, Decimal], Decimal],
) -> tuple[Decimal | None, bool]:
    if a is None:
        return b, b_closed
    if b is None or (a != b and choose(a, b) == a):
        return a, a_closed
    if a != b:
        return b, b_closed
    return a, a_closed and b_closed


def _text(value: Decimal | None) -> str:
    assert value is not None
    text = f"{value.normalize(_EXACT):f}"
    return "0" if text == "-0" else text


def _floor(value: Decimal, step: Decimal) -> Decimal:
    exponent = step.adjusted()
    return value.scaleb(-exponent, _EXACT).to_integral_value(ROUND_FLOOR).scaleb(exponent, _EXACT)


def _ceiling(value: Decimal, step: Decimal) -> Decimal:
    exponent = step.adjusted()
    return value.scaleb(-exponent, _EXACT).to_integral_value(ROUND_CEILING).scaleb(exponent, _EXACT)


def cells(domain: Interval, thresholds: Iterable[Decimal], integer: bool = False) -> list[Interval]:
    """``domain`` split at ``thresholds``, in order: each threshold inside it as a one-value cell,
    and the open stretches between them. A comparison of a quantity with any of the thresholds has
    one truth throughout each cell. With ``integer`` (a count) cells without a whole number are
    left out.

    >>> from decimal import Decimal as D
    >>> [str(c) for c in cells(Interval.at_least(D(0)), [D("2.5"), D(4)], integer=True)]
    ['[0, 2.5)', '(2.5, 4)', '[4]', '(4, ∞)']
    """
    points = sorted({t for t in thresholds if t in domain})
    result: list[Interval] = []
    low, low_closed = domain.low, domain.low_closed

    def add(cell: Interval) -> None:
        if not cell.is_empty() and (not integer or cell.has_integer()):
            result.append(cell)

    for point in points:
        add(Interval(low, point, low_closed, False))
        add(Interval.point(point))
        low, low_closed = point, False
    add(Interval(low, domain.high, low_closed, domain.high_closed))
    return result


def pick(cell: Interval, integer: bool = False) -> Decimal | None:
    """A round value inside ``cell``, near its middle (None when it holds no suitable value).

    >>> from decimal import Decimal as D
    >>> pick(Interval.open(D(70), D(75))), pick(Interval.open(D(0), D(70))), pick(Interval())
    (Decimal('72'), Decimal('30'), Decimal('0'))
    >>> pick(Interval.open(D("0.1"), D("0.2"))), pick(Interval.open(D(85), None))
    (Decimal('0.15'), Decimal('86'))
    """
    if cell.is_empty():
        return None
    if cell.is_point():
        assert cell.low is not None
        return cell.low if not integer or _is_integer(cell.low) else None
    if cell.low is None and cell.high is None:
        return Decimal(0)
    if cell.low is None:
        return pick_near_high(cell, integer)
    if cell.high is None:
        return pick_near_low(cell, integer)
    middle = _EXACT.divide(_EXACT.add(cell.low, cell.high), Decimal(2))
    for step in _WHOLE_STEPS if integer else _STEPS:
        below = _floor(middle, step)
        for candidate in (below, _EXACT.add(below, step)):
            if candidate in cell:
                return _plain(candidate)
    return None if integer else _plain(middle)


def pick_near_low(cell: Interval, integer: bool = False) -> Decimal | None:
    """A round value inside ``cell`` as close to its low end as rounding allows: the value just
    above a threshold, for a counterexample that crosses it.

    >>> from decimal import Decimal as D
    >>> pick_near_low(Interval.open(D(40), D(55))), pick_near_low(Interval.open(D(40), D("40.5")))
    (Decimal('41'), Decimal('40.1'))
    """
    if cell.low is None or cell.is_point():
        return pick(cell, integer)
    if cell.low_closed and (not integer or _is_integer(cell.low)):
        return cell.low
    for step in _WHOLE_STEPS[-1:] if integer else _STEPS[3:]:
        candidate = _ceiling(cell.low, step)
        if candidate == cell.low:
            candidate = _EXACT.add(candidate, step)
        if candidate in cell:
            return _plain(candidate)
    return pick(cell, integer) if cell.high is not None else None


def pick_near_high(cell: Interval, integer: bool = False) -> Decimal | None:
    """A round value inside ``cell`` as close to its high end as rounding allows.

    >>> from decimal import Decimal as D
    >>> pick_near_high(Interval.open(D(25), D(40))), pick_near_high(Interval.open(None, D(0)))
    (Decimal('39'), Decimal('-1'))
    """
    if cell.high is None or cell.is_point():
        return pick(cell, integer)
    if cell.high_closed and (not integer or _is_integer(cell.high)):
        return cell.high
    for step in _WHOLE_STEPS[-1:] if integer else _STEPS[3:]:
        candidate = _floor(cell.high, step)
        if candidate == cell.high:
            candidate = _EXACT.subtract(candidate, step)
        if candidate in cell:
            return _plain(candidate)
    return pick(cell, integer) if cell.low is not None else None


def _is_integer(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _plain(value: Decimal) -> Decimal:
    """``value`` without an exponent or trailing zeros (``4E+1`` → ``40``)."""
    if _is_integer(value):
        return value.quantize(Decimal(1), context=_EXACT)
    return value.normalize(_EXACT)


# Interval arithmetic. The evaluator rounds every operation to CONTEXT's 28 digits; a correctly
# rounded operation is monotone in each operand, so applying the same rounded operation to the
# ends of the operands' intervals bounds the values the evaluator can compute.

_Ends = tuple[Decimal, Decimal]
_ANYTHING: _Ends = (-_INFINITY, _INFINITY)


def bounds(expr: nodes.Expr, domains: Mapping[str, Interval]) -> Interval:
    """A closed interval holding every value ``expr`` can take when each name in it ranges over
    its interval in ``domains`` (names that are not there range over all numbers). The interval can
    be wider than the true range — ``x - x`` gives ``(-∞, ∞)`` — but never narrower.

    >>> import kpirules
    >>> from decimal import Decimal as D
    >>> rules = kpirules.parse('indicator 1 "t"\\n let p = a / b * 100\\n level 1 if p >= 25')
    >>> counts = {"a": Interval.at_least(D(0)), "b": Interval.at_least(D(0))}
    >>> str(bounds(rules["1"].lets[0].expr, counts))
    '[0, ∞)'
    """
    low, high = _bounds(expr, domains)
    return Interval(
        None if low.is_infinite() else low,
        None if high.is_infinite() else high,
        not low.is_infinite(),
        not high.is_infinite(),
    )


def _bounds(expr: nodes.Expr, domains: Mapping[str, Interval]) -> _Ends:
    if isinstance(expr, nodes.Number):
        return expr.value, expr.value
    if isinstance(expr, nodes.Name):
        domain = domains.get(expr.name, Interval())
        low = -_INFINITY if domain.low is None else domain.low
        high = _INFINITY if domain.high is None else domain.high
        return low, high
    if isinstance(expr, nodes.Negate):
        low, high = _bounds(expr.operand, domains)
        return high.copy_negate(), low.copy_negate()
    if isinstance(expr, nodes.BinaryOp):
        left = _bounds(expr.left, domains)
        right = _bounds(expr.right, domains)
        if expr.op == "+":
            return CONTEXT.add(left[0], right[0]), CONTEXT.add(left[1], right[1])
        if expr.op == "-":
            return CONTEXT.subtract(left[0], right[1]), CONTEXT.subtract(left[1], right[0])
        if expr.op == "*":
            return _hull([_product(a, b) for a in left for b in right])
        return _quotient(left, right)
    return _ANYTHING  # a condition is not a number; never reached for a checked rule file


def _hull(values: list[Decimal]) -> _Ends:
    return min(values), max(values)


def _product(a: Decimal, b: Decimal) -> Decimal:
    # 0 × ∞ stands for a product of 0 with ever larger numbers: 0, not undefined.
    if not a or not b:
        return Decimal(0)
    if a.is_infinite() or b.is_infinite():
        return _INFINITY if (a > 0) == (b > 0) else -_INFINITY
    return CONTEXT.multiply(a, b)


def _quotient(left: _Ends, right: _Ends) -> _Ends:
    low, high = right
    if low > 0 or high < 0:
        values = []
        for a in left:
            for b in right:
                if a.is_infinite() and b.is_infinite():
                    return _ANYTHING
                if b.is_infinite():
                    values.append(Decimal(0))
                elif a.is_infinite():
                    values.append(_INFINITY if (a > 0) == (b > 0) else -_INFINITY)
                else:
                    values.append(CONTEXT.divide(a, b))
        return _hull(values)
    # A divisor that can be 0 raises, so a divisor interval ending at 0 is a one-signed one: the
    # quotient keeps a sign when the dividend does, and is otherwise unbounded.
    if (low == 0 and high > 0) or (high == 0 and low < 0):
        sign = 1 if low == 0 else -1
        if left[0] >= 0:
            return (Decimal(0), _INFINITY) if sign > 0 else (-_INFINITY, Decimal(0))
        if left[1] <= 0:
            return (-_INFINITY, Decimal(0)) if sign > 0 else (Decimal(0), _INFINITY)
    return _ANYTHING


# Regions: sets of combinations of cells.


class TooComplex(Exception):
    """A region grew past :data:`BOX_LIMIT` boxes; the question it was built for is left open."""


BOX_LIMIT = 20_000

Box = tuple[int, ...]


@attrs.frozen(slots=True)
class Region:
    """A set of combinations of cells — one cell of each quantity, quantity ``q`` having
    ``sizes[q]`` cells — kept as a union of boxes. A box allows, for each quantity, a set of its
    cells, written as a bit mask (bit ``c`` for cell ``c``); it holds every combination that picks
    an allowed cell for each quantity. A comparison of one quantity is a box; ``&``, ``|`` and ``~``
    give ``and``, ``or`` and ``not``.

    >>> sizes = (3, 2)                        # quantity 0 has cells 0, 1, 2; quantity 1 has 0, 1
    >>> high = Region.where(sizes, 0, [2])    # quantity 0 in its top cell
    >>> flag = Region.where(sizes, 1, [1])
    >>> both = high & flag
    >>> sorted(both.points()), (2, 1) in both, (2, 0) in both
    ([(2, 1)], True, False)
    >>> len(list((~both).points())), (~both & both).is_empty()
    (5, True)
    """

    sizes: tuple[int, ...]
    boxes: tuple[Box, ...]

    @classmethod
    def everything(cls, sizes: tuple[int, ...]) -> Region:
        """Every combination."""
        return cls(sizes, (_full(sizes),))

    @classmethod
    def nothing(cls, sizes: tuple[int, ...]) -> Region:
        """No combination."""
        return cls(sizes, ())

    @classmethod
    def where(cls, sizes: tuple[int, ...], quantity: int, allowed: Iterable[int]) -> Region:
        """The combinations whose cell of ``quantity`` is one of ``allowed``."""
        mask = 0
        for cell in allowed:
            mask |= 1 << cell
        box = list(_full(sizes))
        box[quantity] = mask
        return cls(sizes, (tuple(box),) if mask else ())

    def is_empty(self) -> bool:
        """True when the region holds no combination."""
        return not self.boxes

    def __contains__(self, combo: object) -> bool:
        if not isinstance(combo, tuple):
            return False
        return any(all(mask >> cell & 1 for mask, cell in zip(box, combo)) for box in self.boxes)

    def __and__(self, other: Region) -> Region:
        boxes = []
        for a in self.boxes:
            out_of_time()  # the checker's time budget (kpirules.limits) bounds every proof
            for b in other.boxes:
                box = tuple(x & y for x, y in zip(a, b))
                if all(box):
                    boxes.append(box)
            if len(boxes) > BOX_LIMIT:
                raise TooComplex
        return Region(self.sizes, _simplified(boxes))

    def __or__(self, other: Region) -> Region:
        boxes = [*self.boxes, *other.boxes]
        if len(boxes) > BOX_LIMIT:
            raise TooComplex
        return Region(self.sizes, _simplified(boxes))

    def __invert__(self) -> Region:
        full = _full(self.sizes)
        result = Region.everything(self.sizes)
        for box in self.boxes:
            # Outside one box means outside it in at least one quantity.
            outside = []
            for quantity, (mask, whole) in enumerate(zip(box, full)):
                if mask != whole:
                    outside.append(tuple(whole & ~mask if q == quantity else f
                                         for q, f in enumerate(full)))
            result = result & Region(self.sizes, tuple(outside))
            if result.is_empty():
                break
        return result

    def fix(self, quantity: int, cell: int) -> Region:
        """The combinations of the other quantities that are in the region when ``quantity`` is
        at ``cell`` (``quantity`` itself left free).

        >>> sizes = (3, 2)
        >>> region = Region.where(sizes, 0, [1, 2]) & Region.where(sizes, 1, [0])
        >>> sorted(region.fix(0, 2).points()), region.fix(0, 0).is_empty()
        ([(0, 0), (1, 0), (2, 0)], True)
        """
        whole = (1 << self.sizes[quantity]) - 1
        boxes = [(*box[:quantity], whole, *box[quantity + 1:])
                 for box in self.boxes if box[quantity] >> cell & 1]
        return Region(self.sizes, _simplified(boxes))

    def points(self) -> Iterator[tuple[int, ...]]:
        """Every combination in the region, once each (for small regions and tests)."""
        seen: set[tuple[int, ...]] = set()
        for box in self.boxes:
            choices = [[c for c in range(size) if mask >> c & 1]
                       for mask, size in zip(box, self.sizes)]
            for combo in itertools.product(*choices):
                if combo not in seen:
                    seen.add(combo)
                    yield combo

    def corners(self) -> Iterator[tuple[int, ...]]:
        """A few combinations of each box: its lowest and its highest cells, a cheap sample of a
        region too large to list."""
        for box in self.boxes:
            yield tuple((mask & -mask).bit_length() - 1 for mask in box)
            yield tuple(mask.bit_length() - 1 for mask in box)


def _full(sizes: tuple[int, ...]) -> Box:
    return tuple((1 << size) - 1 for size in sizes)


def _simplified(boxes: list[Box]) -> tuple[Box, ...]:
    """The boxes without repeats and without boxes inside another one."""
    unique = list(dict.fromkeys(boxes))
    if len(unique) > 400:
        return tuple(unique)  # the quadratic clean-up would cost more than it saves
    kept: list[Box] = []
    for box in sorted(unique, key=lambda b: -sum(bin(m).count("1") for m in b)):
        out_of_time()
        if not any(all(m & ~k == 0 for m, k in zip(box, bigger)) for bigger in kept):
            kept.append(box)
    return tuple(kept)
