"""The rules of scoring, stated once: every engine translates what is written here.

The Python compiler, the SQL writer, the checker and the explanations all read this module rather
than working the rules out for themselves (see the documentation page "How scores are computed"):

- :func:`ladder` gives each level's **effective condition**, with milestones and the policy folded
  in (a milestone level is the expression :class:`~kpirules.nodes.Done`; under ``policy highest`` it
  also needs the milestones below it), and says how the conditions **combine**
  (``cumulative``: level K needs conditions 1..K; otherwise the highest K whose condition holds).
  :func:`level_of` is that rule for a list of truths.
- :data:`COMPARE`, :data:`NEGATED` and :data:`FLIPPED` are the comparison tables.
- :func:`evaluate` is the one walker of an expression over Decimal values.
- :func:`interpolation` finds the shape ``score interpolate`` needs, :func:`interpolated_score` the
  score (rounded half up to :data:`SCORE_PLACES` places, its integer part always the level), and
  :func:`points` an indicator's share of a total.
- The record vocabulary: :data:`MILESTONES`, :data:`TRUE_WORDS`, :data:`FALSE_WORDS`,
  :data:`THAI_DIGITS`; and :func:`measure_problem`, what is wrong with a number for a measure.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import attrs

from kpirules import nodes
from kpirules._messages import Message, message
from kpirules._numbers import CONTEXT, exact, tidy

__all__ = [
    "ARITHMETIC",
    "COMPARE",
    "FALSE_WORDS",
    "FLIPPED",
    "LONG_COLUMNS",
    "MAX_SCORE_FRACTION",
    "MILESTONES",
    "NEGATED",
    "SCORE_PLACES",
    "THAI_DIGITS",
    "THAI_DIGIT_CHARACTERS",
    "TRUE_WORDS",
    "Interpolation",
    "Ladder",
    "compare",
    "evaluate",
    "interpolated_score",
    "interpolation",
    "ladder",
    "level_of",
    "measure_problem",
    "milestone_levels",
    "points",
    "threshold_of",
]

# --- comparisons -------------------------------------------------------------------------------

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
"""Each comparison operator of the language as a Python function."""

NEGATED: dict[str, nodes.CompareOp] = {
    ">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "==",
}
"""Each comparison with the opposite truth: ``not (a >= b)`` is ``a < b``."""

FLIPPED: dict[str, nodes.CompareOp] = {
    ">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!=",
}
"""Each comparison with its sides swapped: ``a < b`` is ``b > a``."""

RISING = frozenset({">=", ">"})
"""The comparisons that reward a higher value (``<=`` and ``<`` reward a lower one)."""

ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": CONTEXT.add, "-": CONTEXT.subtract, "*": CONTEXT.multiply, "/": CONTEXT.divide,
}
"""``+ - * /`` in the exact context."""


def compare(left: Any, op: nodes.CompareOp, right: Any) -> bool:
    """``left op right`` for one of the language's comparison operators."""
    return COMPARE[op](left, right)


# --- levels ------------------------------------------------------------------------------------


@attrs.frozen
class Ladder:
    """How an indicator's levels are decided.

    ``conditions[K - 1]`` is level K's effective condition (milestones are :class:`nodes.Done`).
    With ``cumulative`` (``policy ordered``) the level is the highest K whose conditions 1..K all
    hold; without it (``policy highest``) the highest K whose own condition holds. 0 when none.
    """

    conditions: tuple[nodes.Expr, ...]
    cumulative: bool

    @property
    def top(self) -> int:
        return len(self.conditions)


def milestone_levels(indicator: nodes.IndicatorNode) -> tuple[int, ...]:
    """The numbers of the levels that are milestones, in order."""
    return tuple(level.number for level in indicator.levels if level.is_milestone)


def ladder(indicator: nodes.IndicatorNode) -> Ladder:
    """The effective condition of every level of ``indicator`` and how they combine.

    >>> from kpirules import parse
    >>> rules = parse('indicator 1 "t"\\n policy highest\\n level 1 milestone "a"\\n'
    ...               ' level 2 milestone "b"\\n level 3 if x >= 5')
    >>> rules = ladder(rules["1"].node)
    >>> rules.cumulative, rules.conditions[:2]
    (False, (Done(level=1), BoolOp(op='and', operands=(Done(level=1), Done(level=2)))))
    """
    cumulative = indicator.policy != "highest"
    done_so_far: list[nodes.Expr] = []
    conditions: list[nodes.Expr] = []
    for level in indicator.levels:
        if not level.is_milestone:
            assert level.condition is not None
            conditions.append(level.condition)
            continue
        done = nodes.Done(level.number)
        done_so_far.append(done)
        if cumulative or len(done_so_far) == 1:
            # Under `ordered` the levels below are already needed by the ladder itself.
            conditions.append(done)
        else:
            conditions.append(nodes.BoolOp("and", tuple(done_so_far)))
    return Ladder(tuple(conditions), cumulative)


def level_of(holds: Sequence[bool], cumulative: bool) -> int:
    """The level given which effective conditions hold (``holds[K - 1]`` for level K).

    >>> level_of([True, True, False, True], cumulative=True)
    2
    >>> level_of([True, True, False, True], cumulative=False)
    4
    """
    if cumulative:
        for number, held in enumerate(holds):
            if not held:
                return number
        return len(holds)
    for number in range(len(holds), 0, -1):
        if holds[number - 1]:
            return number
    return 0


# --- expressions -------------------------------------------------------------------------------


def evaluate(expr: nodes.Expr, values: Mapping[str, Any], done: frozenset[int] = frozenset()) -> Any:
    """``expr`` over ``values`` (Decimal numbers, bool flags) and the milestones ``done``: a Decimal
    for arithmetic, a bool for a condition. Arithmetic errors (division by zero) propagate."""
    if isinstance(expr, nodes.Number):
        return expr.value
    if isinstance(expr, nodes.Name):
        return values[expr.name]
    if isinstance(expr, nodes.Done):
        return expr.level in done
    if isinstance(expr, nodes.Negate):
        return CONTEXT.minus(evaluate(expr.operand, values, done))
    if isinstance(expr, nodes.Not):
        return not evaluate(expr.operand, values, done)
    if isinstance(expr, nodes.BinaryOp):
        left = evaluate(expr.left, values, done)
        return ARITHMETIC[expr.op](left, evaluate(expr.right, values, done))
    if isinstance(expr, nodes.Compare):
        operands = [evaluate(operand, values, done) for operand in expr.operands]
        return all(COMPARE[op](a, b) for a, op, b in zip(operands, expr.ops, operands[1:]))
    results = [evaluate(operand, values, done) for operand in expr.operands]
    return all(results) if expr.op == "and" else any(results)


# --- scores ------------------------------------------------------------------------------------

SCORE_PLACES = 4
"""Interpolated scores are rounded half up to this many decimal places."""

_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)

MAX_SCORE_FRACTION = 1 - _QUANTUM
"""The largest fraction a score adds to its level (0.9999): the integer part is always the level."""


@attrs.frozen
class Interpolation:
    """What ``score interpolate`` needs: the shared expression, its thresholds, the direction."""

    expr: nodes.Expr
    thresholds: tuple[Decimal, ...]
    rising: bool
    ops: tuple[nodes.CompareOp, ...] = ()
    """Each level's comparison of ``expr`` with its threshold (``>`` and ``>=`` may mix)."""


def _constant(expr: nodes.Expr) -> Decimal | None:
    if isinstance(expr, nodes.Number):
        return expr.value
    if isinstance(expr, nodes.Negate) and isinstance(expr.operand, nodes.Number):
        return -expr.operand.value
    return None


def threshold_of(
    condition: nodes.Expr | None,
) -> tuple[nodes.Expr, nodes.CompareOp, Decimal] | None:
    """``(E, op, t)`` when ``condition`` is one comparison of an expression with a constant,
    normalised so that the constant is on the right (``t <= E`` becomes ``E >= t``)."""
    if not isinstance(condition, nodes.Compare) or len(condition.ops) != 1:
        return None
    op = condition.ops[0]
    if op in ("==", "!="):
        return None
    left, right = condition.operands
    right_value = _constant(right)
    if right_value is not None and _constant(left) is None:
        return left, op, right_value
    left_value = _constant(left)
    if left_value is not None and right_value is None:
        return right, FLIPPED[op], left_value
    return None


def interpolation(indicator: nodes.IndicatorNode) -> Interpolation | None:
    """The interpolation shape of ``indicator``, or None when it does not have one: every level one
    comparison of the same expression with a constant, ``>=``/``>`` with strictly rising thresholds
    or ``<=``/``<`` with strictly falling ones."""
    parts = [threshold_of(level.condition) for level in indicator.levels]
    if not parts or any(part is None for part in parts):
        return None
    exprs = {part[0] for part in parts if part is not None}
    if len(exprs) != 1:
        return None
    ops = {part[1] for part in parts if part is not None}
    thresholds = tuple(part[2] for part in parts if part is not None)
    if ops <= RISING:
        rising = True
    elif ops <= {"<=", "<"}:
        rising = False
    else:
        return None
    if not all((a < b) if rising else (a > b) for a, b in pairwise(thresholds)):
        return None
    ops_in_order = tuple(part[1] for part in parts if part is not None)
    return Interpolation(next(iter(exprs)), thresholds, rising, ops_in_order)


def interpolated_score(x: Decimal, level: int, thresholds: tuple[Decimal, ...]) -> Decimal:
    """The score of ``x`` at ``level`` (which the level conditions gave) between ``thresholds``:
    ``K + (x − t_K) / (t_{K+1} − t_K)`` rounded half up to 4 places, never reaching K + 1 (so
    K + 0.9999 where rounding or a strict ``>`` at t_{K+1} would give K + 1); N at the top, 0 below
    level 1.

    >>> interpolated_score(Decimal("47.5"), 2, (Decimal(25), Decimal(40), Decimal(55)))
    Decimal('2.5')
    >>> interpolated_score(Decimal(55), 2, (Decimal(25), Decimal(40), Decimal(55)))
    Decimal('2.9999')
    """
    top = len(thresholds)
    if level <= 0 or level >= top:
        return Decimal(max(min(level, top), 0))
    low, high = thresholds[level - 1], thresholds[level]
    fraction = CONTEXT.divide(CONTEXT.subtract(x, low), CONTEXT.subtract(high, low))
    fraction = fraction.quantize(_QUANTUM, rounding=ROUND_HALF_UP, context=CONTEXT)
    return tidy(CONTEXT.add(Decimal(level), min(fraction, MAX_SCORE_FRACTION)))


def points(weight: Decimal, score: Decimal, top: int) -> Decimal:
    """An indicator's share of a scorecard total: ``weight × score / N``, exact.

    >>> points(Decimal(20), Decimal(3), 5)
    Decimal('12')
    """
    return tidy(CONTEXT.divide(CONTEXT.multiply(weight, score), top))


# --- records -----------------------------------------------------------------------------------

MILESTONES = "milestones"
"""The record key (and the long layout's measure name) for the milestone levels reported done."""

LONG_COLUMNS = ("subject", "indicator", "measure", "value")
"""The header of the long layout of records: one row per value (a done milestone is a row with
measure ``milestones`` and the level as its value)."""

TRUE_WORDS = ("true", "yes", "1", "ใช่")
"""What a flag cell may say for true (any case, surrounding spaces allowed, Thai digits read)."""

FALSE_WORDS = ("false", "no", "0", "ไม่ใช่")
"""What a flag cell may say for false."""

THAI_DIGIT_CHARACTERS = "๐๑๒๓๔๕๖๗๘๙"
THAI_DIGITS = str.maketrans(THAI_DIGIT_CHARACTERS, "0123456789")
"""Thai digits ๐–๙ → 0–9: every reader of numbers (rule text, records, files) uses this table."""


def measure_problem(indicator: str, measure: nodes.Measure, number: Decimal) -> Message | None:
    """What is wrong with ``number`` as the value of ``measure`` (a count that is negative or not
    whole, a value outside the declared range), or None when it is acceptable."""
    if measure.kind == "count" and number < 0:
        return message("count-negative", indicator=indicator, measure=measure.name, value=number)
    if measure.kind == "count" and number != number.to_integral_value():
        return message("count-fractional", indicator=indicator, measure=measure.name,
                       value=exact(number))
    if (measure.low is not None and number < measure.low) or (
            measure.high is not None and number > measure.high):
        return message("out-of-range", indicator=indicator, measure=measure.name, value=number,
                       low="" if measure.low is None else measure.low,
                       high="" if measure.high is None else measure.high)
    return None
