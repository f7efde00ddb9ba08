"""What scoring gives back: a :class:`Result` per indicator and a :class:`Scorecard` per subject."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kpirules import nodes
from kpirules._compile import CONTEXT, tidy
from kpirules._semantics import describe_expr
from kpirules._values import show

if TYPE_CHECKING:
    from kpirules.model import Indicator

__all__ = ["Result", "Scorecard"]


class Result:
    """The outcome of scoring one record against one indicator.

    ``level`` is 0..N, ``score`` the level (or the interpolated score) as a Decimal, ``values`` every
    measure and ``let`` (Decimal, flags as bool), ``milestones`` the milestone levels reported done,
    ``points`` the indicator's share of a scorecard total (``weight × score / N``).

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "Households developed"
    ...   weight 20
    ...   measure target count
    ...   measure developed count
    ...   let percent = developed / target * 100
    ...   level 1 if percent >= 25
    ...   level 2 if percent >= 40
    ... ''')
    >>> result = rules["1"].evaluate({"target": 400, "developed": 130})
    >>> result.level, result.score, result.points, result.values["percent"]
    (1, Decimal('1'), Decimal('10'), Decimal('32.5'))
    """

    __slots__ = ("_values", "indicator", "level", "milestones", "score")

    def __init__(
        self,
        indicator: Indicator,
        level: int,
        score: Decimal,
        values: tuple[Any, ...],
        milestones: frozenset[int],
    ) -> None:
        self.indicator = indicator
        self.level = level
        self.score = score
        self._values = values
        self.milestones = milestones

    @property
    def values(self) -> dict[str, Decimal | bool]:
        """Every measure and ``let`` by name, in declaration order, without trailing zeros
        (``130 / 400 * 100`` is ``Decimal('32.5')``, not ``Decimal('32.500')``)."""
        return {name: tidy(value) if type(value) is Decimal else value
                for name, value in zip(self.indicator.value_names, self._values)}

    @property
    def points(self) -> Decimal | None:
        """``weight × score / N`` (None when the indicator has no weight)."""
        indicator = self.indicator
        table = indicator.points_by_level
        if table is not None:
            return table[self.level]
        weight = indicator.weight
        if weight is None:
            return None
        return tidy(CONTEXT.divide(CONTEXT.multiply(weight, self.score), indicator.top))

    def __repr__(self) -> str:
        return (f"Result(indicator={self.indicator.id!r}, level={self.level}, "
                f"score={self.score!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (self.indicator.id, self.level, self.score, self._values, self.milestones) == (
            other.indicator.id, other.level, other.score, other._values, other.milestones)

    __hash__ = None  # type: ignore[assignment]

    def explain(self) -> str:
        """Which conditions held, with the numbers, and what the next level needs.

        >>> import kpirules
        >>> rules = kpirules.parse('''
        ... indicator 1 "Households developed"
        ...   measure target count
        ...   measure developed count
        ...   let percent = developed / target * 100
        ...   level 1 if percent >= 25
        ...   level 2 if percent >= 40
        ... ''')
        >>> print(rules["1"].evaluate({"target": 400, "developed": 130}).explain())
        indicator 1 "Households developed": level 1 of 2, score 1
          values: target = 400, developed = 130, percent = 32.5
          level 1 met: percent >= 25 (percent = 32.5)
          level 2 not met: percent >= 40: now 32.5, 7.5 short
          level 2 needs percent >= 40: now 32.5, 7.5 short
        """
        indicator = self.indicator
        values = self.values
        lines = [f'indicator {indicator.id} "{indicator.title}": level {self.level} of '
                 f"{indicator.top}, score {show(self.score)}"]
        if values:
            shown = ", ".join(f"{name} = {show(value)}" for name, value in values.items())
            lines.append(f"  values: {shown}")
        needs: str | None = None
        met_so_far = True
        for level in indicator.levels:
            holds, reasons = _explain_level(level, values, self.milestones, indicator)
            status = "met" if holds else "not met"
            if holds and not met_so_far and indicator.policy == "ordered":
                status = "holds, but does not count until every level below it is met"
            lines.append(f"  level {level.number} {status}: {reasons}")
            met_so_far = met_so_far and holds
            if needs is None and level.number > self.level and not holds:
                needs = f"  level {level.number} needs {_unmet(level, values, self.milestones)}"
        if needs is not None:
            lines.append(needs)
        elif self.level < indicator.top:
            lines.append(f"  level {self.level + 1} needs every level below it to be met")
        return "\n".join(lines)


def value_of(expr: nodes.Expr, values: dict[str, Any]) -> Any:
    """``expr`` evaluated over ``values`` by walking the tree (for explanations only)."""
    if isinstance(expr, nodes.Number):
        return expr.value
    if isinstance(expr, nodes.Name):
        return values[expr.name]
    if isinstance(expr, nodes.Negate):
        return CONTEXT.minus(value_of(expr.operand, values))
    if isinstance(expr, nodes.Not):
        return not value_of(expr.operand, values)
    if isinstance(expr, nodes.BinaryOp):
        left, right = value_of(expr.left, values), value_of(expr.right, values)
        operation = {"+": CONTEXT.add, "-": CONTEXT.subtract, "*": CONTEXT.multiply,
                     "/": CONTEXT.divide}[expr.op]
        return operation(left, right)
    if isinstance(expr, nodes.Compare):
        return all(_compare(value_of(a, values), op, value_of(b, values))
                   for a, op, b in zip(expr.operands, expr.ops, expr.operands[1:]))
    results = [value_of(operand, values) for operand in expr.operands]
    return all(results) if expr.op == "and" else any(results)


def _compare(left: Decimal, op: str, right: Decimal) -> bool:
    return {
        "<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
        "==": left == right, "!=": left != right,
    }[op]


def _comparisons(expr: nodes.Expr) -> Iterator[tuple[nodes.Expr, str, nodes.Expr] | nodes.Name]:
    if isinstance(expr, nodes.Compare):
        yield from zip(expr.operands, expr.ops, expr.operands[1:])
    elif isinstance(expr, nodes.Name):
        yield expr
    elif isinstance(expr, nodes.Not):
        yield from _comparisons(expr.operand)
    elif isinstance(expr, nodes.BoolOp):
        for operand in expr.operands:
            yield from _comparisons(operand)


def _gap(left: Decimal, op: str, right: Decimal) -> str:
    now = f"now {show(left)}"
    if op == ">=":
        return f"{now}, {show(CONTEXT.subtract(right, left))} short"
    if op == ">":
        return f"{now}, needs more than {show(right)}"
    if op == "<=":
        return f"{now}, {show(CONTEXT.subtract(left, right))} too high"
    if op == "<":
        return f"{now}, needs less than {show(right)}"
    if op == "==":
        return f"{now}, needs exactly {show(right)}"
    return f"{now}, needs anything but {show(right)}"


def _atom_text(atom: tuple[nodes.Expr, str, nodes.Expr] | nodes.Name, values: dict[str, Any],
               explain_gap: bool) -> tuple[bool, str]:
    if isinstance(atom, nodes.Name):
        value = bool(values[atom.name])
        return value, f"{atom.name} is {show(value)}"
    left_expr, op, right_expr = atom
    left, right = value_of(left_expr, values), value_of(right_expr, values)
    holds = _compare(left, op, right)
    text = f"{describe_expr(left_expr)} {op} {describe_expr(right_expr)}"
    if not holds and explain_gap:
        return holds, f"{text}: {_gap(left, op, right)}"
    if isinstance(left_expr, nodes.Name):
        return holds, f"{text} ({left_expr.name} = {show(left)})"
    return holds, f"{text} (now {show(left)})"


def _explain_level(level: nodes.Level, values: dict[str, Any], done: frozenset[int],
                   indicator: Indicator) -> tuple[bool, str]:
    if level.condition is None:
        needed = [level.number]
        if indicator.policy == "highest":
            needed = [m.number for m in indicator.levels if m.is_milestone and m.number <= level.number]
        missing = [n for n in needed if n not in done]
        if not missing:
            return True, f"milestone {level.number} reported done"
        return False, f"milestone {', '.join(map(str, missing))} not reported done"
    holds = bool(value_of(level.condition, values))
    parts = [_atom_text(atom, values, explain_gap=True)[1] for atom in _comparisons(level.condition)]
    return holds, "; ".join(parts)


def _unmet(level: nodes.Level, values: dict[str, Any], done: frozenset[int]) -> str:
    if level.condition is None:
        return f"milestone {level.number} reported done"
    failing = [text for holds, text in (_atom_text(atom, values, True)
                                        for atom in _comparisons(level.condition)) if not holds]
    if not failing or not isinstance(level.condition, (nodes.Compare, nodes.BoolOp)):
        return describe_expr(level.condition)
    if isinstance(level.condition, nodes.BoolOp) and level.condition.op == "or":
        return "one of: " + "; ".join(failing)
    return "; ".join(failing)


class Scorecard:
    """The results of one subject over a whole rule set, and the weighted ``total``.

    ``total = Σ weight × score / N``, so the top level everywhere, with weights totalling 100,
    gives 100.
    """

    __slots__ = ("_by_id", "_total", "results")

    def __init__(self, results: tuple[Result, ...]) -> None:
        self.results = results
        self._total: Decimal | None = None
        self._by_id: dict[str, Result] | None = None  # built on first lookup, not per subject

    def __getitem__(self, indicator_id: str | int) -> Result:
        if self._by_id is None:
            self._by_id = {result.indicator.id: result for result in self.results}
        try:
            return self._by_id[str(indicator_id)]
        except KeyError:
            raise KeyError(indicator_id) from None

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def total(self) -> Decimal:
        """The weighted total (exact; 100 when every indicator is at its top level)."""
        if self._total is None:
            total = Decimal(0)
            for result in self.results:
                points = result.points
                if points is not None:
                    total = CONTEXT.add(total, points)
            self._total = tidy(total)
        return self._total

    def explain(self) -> str:
        """Every indicator's explanation, then the total."""
        parts = [result.explain() for result in self.results]
        parts.append(f"total {show(self.total)}")
        return "\n".join(parts)

    def __repr__(self) -> str:
        levels = ", ".join(f"{r.indicator.id}: {r.level}" for r in self.results)
        return f"Scorecard({{{levels}}}, total={self.total!r})"
