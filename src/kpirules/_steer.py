"""Records aimed at a level: the measures solved so that each comparison lands at, just below or
just above its threshold (docs/testing.rst, "Records that reach every level").

Random values rarely land between two thresholds of a ratio (``deaths / population * 100000 <=
26``): nearly every random record is level 0 or the top. So a record is *steered*: to reach level L
under ``policy ordered``, the conditions of levels 1..L are made true and that of level L + 1 false,
one comparison at a time. A comparison ``E op t`` is made true or false by choosing one measure that
``E`` rises or falls with and searching its values (whole numbers for a count, steps of 0.01
otherwise, within the measure's declared range) for the first one where ``E`` reaches ``t``; the
value chosen is that one or a neighbour, whichever gives the truth wanted while every goal reached so
far still holds. The search is a bisection, so a population of a billion takes some thirty
evaluations, and it needs no algebra: any formula monotone in the measure will do.

This module knows nothing of Hypothesis: the caller passes ``choose``, which picks one of a list of
options (Hypothesis's ``draw(sampled_from(...))`` in :mod:`kpirules.testing`), so that Hypothesis
can replay and shrink every choice.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypeVar

import attrs

from kpirules import nodes
from kpirules._numbers import CONTEXT
from kpirules._scoring import FLIPPED, ladder
from kpirules._scoring import evaluate as evaluate_expr

__all__ = ["Goal", "Steering", "sign"]

T = TypeVar("T")
Choose = Callable[[Sequence[T]], T]

# How far an unbounded measure may be moved to reach a threshold: far beyond the values drawn at
# random (±1000), since a rate per 100,000 needs a population in the hundreds of thousands.
_WIDE = Decimal(10) ** 9
_CENT = Decimal("0.01")


@attrs.frozen
class Goal:
    """A condition and the truth it should have (``level`` is the level it belongs to)."""

    condition: nodes.Expr
    truth: bool
    level: int


Sign = int | None  # +1 rises with the measure, -1 falls, 0 does not depend on it, None unknown


def sign(expr: nodes.Expr, name: str, measures: dict[str, nodes.Measure],
         lets: dict[str, nodes.Expr]) -> Sign:
    """How ``expr`` moves as measure ``name`` rises: +1, -1, 0 (not at all) or None (cannot tell)."""
    if isinstance(expr, nodes.Number):
        return 0
    if isinstance(expr, nodes.Name):
        if expr.name in lets:
            return sign(lets[expr.name], name, measures, lets)
        return 1 if expr.name == name else 0
    if isinstance(expr, nodes.Negate):
        return _flip(sign(expr.operand, name, measures, lets))
    if not isinstance(expr, nodes.BinaryOp):
        return None
    left = sign(expr.left, name, measures, lets)
    right = sign(expr.right, name, measures, lets)
    if expr.op == "+":
        return _join(left, right)
    if expr.op == "-":
        return _join(left, _flip(right))
    if right == 0 and left == 0:
        return 0
    if expr.op == "*":
        for here, other, other_expr in ((left, right, expr.right), (right, left, expr.left)):
            if other == 0 and _nonnegative(other_expr, measures):
                return here
        return None
    if right == 0 and _nonnegative(expr.right, measures):
        return left
    if left == 0 and _nonnegative(expr.left, measures):
        return _flip(right)
    return None


def _flip(value: Sign) -> Sign:
    return None if value is None else -value


def _join(a: Sign, b: Sign) -> Sign:
    if a is None or b is None:
        return None
    if a == 0 or b == 0 or a == b:
        return a or b
    return None


def _nonnegative(expr: nodes.Expr, measures: dict[str, nodes.Measure]) -> bool:
    if isinstance(expr, nodes.Number):
        return expr.value >= 0
    if isinstance(expr, nodes.Name):
        measure = measures.get(expr.name)
        return measure is not None and (
            measure.kind == "count" or (measure.low is not None and measure.low >= 0))
    return False


class Steering:
    """Steers records of one indicator towards a chosen level."""

    def __init__(self, indicator: nodes.IndicatorNode) -> None:
        self.indicator = indicator
        self.ladder = ladder(indicator)
        self.measures = {measure.name: measure for measure in indicator.measures}
        self.lets = {let.name: let.expr for let in indicator.lets}
        self.order = tuple(indicator.lets)

    @property
    def top(self) -> int:
        return self.ladder.top

    # values

    def values(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Every measure and ``let`` of ``record`` (None when a ``let`` cannot be computed)."""
        values: dict[str, Any] = {}
        for name, measure in self.measures.items():
            value = record.get(name)
            if value is None:
                return None
            values[name] = value if measure.kind == "flag" else Decimal(value)
        try:
            for let in self.order:
                values[let.name] = evaluate_expr(let.expr, values)
        except (ArithmeticError, decimal.DecimalException):
            return None
        return values

    def holds(self, goal: Goal, record: dict[str, Any]) -> bool:
        values = self.values(record)
        if values is None:
            return False
        done = frozenset(record.get("milestones", ()))
        try:
            return bool(evaluate_expr(goal.condition, values, done)) == goal.truth
        except (ArithmeticError, decimal.DecimalException):
            return False

    # steering

    def goals(self, level: int) -> list[Goal]:
        """The conditions that put a record at ``level``, with the truth each needs."""
        conditions = self.ladder.conditions
        if self.ladder.cumulative:
            wanted = [Goal(conditions[k - 1], True, k) for k in range(1, level + 1)]
            if level < self.top:
                wanted.append(Goal(conditions[level], False, level + 1))
            return wanted
        wanted = [Goal(conditions[level - 1], True, level)] if level else []
        wanted += [Goal(conditions[k - 1], False, k) for k in range(level + 1, self.top + 1)]
        return wanted

    def steer(self, record: dict[str, Any], level: int, choose: Choose[Any]) -> Goal | None:
        """Move ``record`` (in place) towards ``level``; the first goal it could not reach, or None
        when every goal was reached.

        The goals are tried in order (the lower levels first), then from the highest down: a goal
        met by chance (no deaths at all meets ``rate <= 30``) can leave no room for the next one
        (``rate <= 28`` false), where working down from the false goal finds a way."""
        goals = self.goals(level)
        first_miss: Goal | None = None
        for order in (goals, goals[::-1]):
            trial = dict(record)
            miss = self._reach(order, trial, choose)
            if miss is None:
                record.update(trial)
                return None
            first_miss = first_miss or miss
        return first_miss

    def _reach(self, goals: list[Goal], record: dict[str, Any], choose: Choose[Any]) -> Goal | None:
        reached: list[Goal] = []
        for goal in goals:
            if not self.make(goal.condition, goal.truth, goal.level, record, reached, choose):
                return goal
            reached.append(goal)
        return None

    def make(self, condition: nodes.Expr, truth: bool, level: int, record: dict[str, Any],
             reached: list[Goal], choose: Choose[Any]) -> bool:
        """Try to give ``condition`` the truth ``truth`` without undoing ``reached``."""
        if self.holds(Goal(condition, truth, level), record):
            return True
        if isinstance(condition, nodes.Not):
            return self.make(condition.operand, not truth, level, record, reached, choose)
        if isinstance(condition, nodes.BoolOp):
            every = truth == (condition.op == "and")
            return self._combine(condition.operands, truth, every, level, record, reached, choose)
        if isinstance(condition, nodes.Compare):
            atoms = [nodes.Compare((a, b), (op,)) for a, op, b in
                     zip(condition.operands, condition.ops, condition.operands[1:])]
            if len(atoms) > 1:
                return self._combine(atoms, truth, truth, level, record, reached, choose)
            return self._compare(atoms[0], truth, level, record, reached, choose)
        if isinstance(condition, nodes.Done):
            done = set(record.get("milestones", ()))
            done = done | {condition.level} if truth else done - {condition.level}
            record["milestones"] = sorted(done)
            return self._keeps(reached, record)
        if isinstance(condition, nodes.Name) and condition.name in self.measures:
            record[condition.name] = truth
            return self._keeps(reached, record)
        return False

    def _combine(self, operands: Sequence[nodes.Expr], truth: bool, every: bool, level: int,
                 record: dict[str, Any], reached: list[Goal], choose: Choose[Any]) -> bool:
        """Make every operand have ``truth`` (``every``), or one of them, chosen by ``choose``."""
        if every:
            mine = list(reached)
            for operand in operands:
                if not self.make(operand, truth, level, record, mine, choose):
                    return False
                mine.append(Goal(operand, truth, level))
            return True
        order = list(operands)
        first = choose(range(len(order)))
        for operand in order[first:] + order[:first]:
            if self.make(operand, truth, level, record, reached, choose):
                return True
        return False

    def _keeps(self, reached: list[Goal], record: dict[str, Any]) -> bool:
        return all(self.holds(goal, record) for goal in reached)

    def _compare(self, atom: nodes.Compare, truth: bool, level: int, record: dict[str, Any],
                 reached: list[Goal], choose: Choose[Any]) -> bool:
        left, right = atom.operands
        op = atom.ops[0]
        if isinstance(right, nodes.Number):
            expr, target = left, right.value
        elif isinstance(left, nodes.Number):
            expr, target, op = right, left.value, FLIPPED[op]
        else:
            expr, target = nodes.BinaryOp("-", left, right), Decimal(0)
        goal = Goal(atom, truth, level)
        candidates = []
        for name, measure in self.measures.items():
            if measure.kind == "flag":
                continue
            direction = sign(expr, name, self.measures, self.lets)
            if direction is None:
                direction = self._trend(expr, name, record)
            if direction in (1, -1):
                candidates.append((name, direction))
        if not candidates:
            return False
        first = choose(range(len(candidates)))
        for name, direction in candidates[first:] + candidates[:first]:
            saved = record[name]
            value = self._solve(name, direction, expr, target, goal, record, reached, choose)
            if value is not None:
                record[name] = value
                return True
            record[name] = saved
        return False

    def _trend(self, expr: nodes.Expr, name: str, record: dict[str, Any]) -> Sign:
        """Which way ``expr`` moves with measure ``name`` near the record, where the formula alone
        cannot tell (``(baseline - debt) / baseline`` rises with ``baseline`` only while the debt
        is positive): +1 or -1 when five values from the record's upward agree, else None."""
        measure = self.measures[name]
        step = Decimal(1) if measure.kind == "count" else _CENT
        start = Decimal(record[name])
        seen: list[Decimal] = []
        for k in (0, 1, 10, 100, 1000):
            value = start + k * step
            if measure.high is not None and value > measure.high:
                break
            trial = dict(record)
            trial[name] = int(value) if measure.kind == "count" else value
            values = self.values(trial)
            if values is None:
                continue
            try:
                seen.append(evaluate_expr(expr, values))
            except (ArithmeticError, decimal.DecimalException):
                continue
        steps = {(b > a) - (b < a) for a, b in pairwise(seen)}
        return steps.pop() if len(steps) == 1 and 0 not in steps and len(seen) >= 3 else None

    def _solve(self, name: str, direction: int, expr: nodes.Expr, target: Decimal, goal: Goal,
               record: dict[str, Any], reached: list[Goal], choose: Choose[Any]) -> Any:
        """A value of measure ``name`` near where ``expr`` crosses ``target`` that gives ``goal``
        its truth and keeps ``reached``; None when there is none near the crossing."""
        measure = self.measures[name]
        step = Decimal(1) if measure.kind == "count" else _CENT
        low = measure.low if measure.low is not None else (
            Decimal(0) if measure.kind == "count" else -_WIDE)
        if measure.kind == "count":
            low = max(low, Decimal(0)).to_integral_value(rounding=decimal.ROUND_CEILING)
        high = measure.high if measure.high is not None else max(low, Decimal(0)) + _WIDE
        last = int(CONTEXT.divide_int(high - low, step))
        if last < 0:
            return None

        def value_at(index: int) -> Any:
            value = low + index * step
            return int(value) if measure.kind == "count" else value

        def past(index: int) -> bool:
            # Has `expr` reached `target` (moving the way it rises with the measure)?
            trial = dict(record)
            trial[name] = value_at(index)
            values = self.values(trial)
            if values is None:
                return False
            try:
                difference = evaluate_expr(expr, values) - target
            except (ArithmeticError, decimal.DecimalException):
                return False
            return bool(difference * direction >= 0)

        lo, hi = 0, last
        if past(lo):
            crossing = lo
        elif not past(hi):
            crossing = hi
        else:
            while hi - lo > 1:
                middle = (lo + hi) // 2
                lo, hi = (lo, middle) if past(middle) else (middle, hi)
            crossing = hi
        fits = []
        for index in range(max(crossing - 2, 0), min(crossing + 2, last) + 1):
            trial = dict(record)
            trial[name] = value_at(index)
            if self.holds(goal, trial) and self._keeps(reached, trial):
                fits.append(index)
        if not fits:
            return None
        # The two nearest the crossing: at (or just past) the threshold, or one step short of it.
        fits.sort(key=lambda index: (abs(index - crossing), index))
        return value_at(choose(fits[:2]))
