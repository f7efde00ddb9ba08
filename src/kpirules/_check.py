"""The static checker: the mistakes in a rule file that can be found before any result goes out.

:func:`check` reports (see the documentation page "Checker codes"):

``non-monotone`` (error)
    Two records that differ in one compared quantity, where the better one gets the lower level.
``unreachable-level`` (error)
    A level that no record can get.
``weights-total`` (error)
    Weights that do not total 100, or an indicator without a weight among indicators with one.
``implicit-measure`` (warning)
    A name used without a ``measure`` declaration.
``unused-measure`` (warning)
    A declared measure or ``let`` that no level uses.

The levels come from the scoring core (:func:`kpirules._scoring.ladder`): each level's effective
condition, a milestone being one more condition, and whether they combine cumulatively
(``policy ordered``) or not (``policy highest``). This module decides nothing about scoring itself;
the records it builds are scored by the real evaluator.

How the level checks reason. A *quantity* is what a condition compares with a number: a measure, a
``let``, any expression (``a > b`` compares ``a - b`` with 0), a flag (false < true), or a milestone
(not done < done). A comparison of a quantity with a threshold has one truth between neighbouring
thresholds, so each quantity's values split into finitely many cells (:mod:`kpirules._intervals`),
the level is constant on every combination of cells, and each condition is a region: a union of
boxes of cells, with ``not`` as the complement. Quantities are taken as independent, which
can only add combinations that no record has: so a level that no combination gives is *proved*
unreachable, and a quantity whose comparisons all reward one direction is *proved* monotone (every
condition, and so the level, can only rise as the quantity moves that way). A quantity compared both
ways (``x >= 40 and x < 55``) is judged by the levels it yields: it is a finding only when the
level drops somewhere as it rises **and** somewhere as it falls (bands that only ever rise are
fine), and only once both drops are shown by real records: the checker builds them (solving
``let`` formulas for a measure where it has to, or searching a grid of measure values), scores
them with the real evaluator, and quotes both in the message. What it cannot show with records it
does not report.

Every message is an entry of the message catalogue (its code starts with ``check-``), so a finding
can be read in English or in Thai (the documentation page "Messages in two languages").

>>> import kpirules
>>> rules = kpirules.parse('''
... indicator 1 "Households developed"
...   measure percent in 0..100
...   level 1 if percent >= 25
...   level 2 if percent >= 40
...   level 3 if percent >= 55 and percent < 70
... ''', source="rules.kpi")
>>> for diagnostic in kpirules.check(rules):
...     print(format_diagnostic(diagnostic, rules.source))
rules.kpi:6:32: error[non-monotone]: raising percent from 69 to 70 lowers the level from 3 to 2, and lowering percent from 55 to 54 lowers the level from 3 to 2; `percent` is compared both ways and the level can drop whichever way it moves, so neither direction is the better one: look at `percent < 70` in level 3
"""  # noqa: E501 - a doctest's expected line cannot be wrapped

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Union

import attrs

from kpirules import nodes
from kpirules._intervals import (
    Interval,
    Region,
    TooComplex,
    bounds,
    cells,
    pick,
    pick_near_high,
    pick_near_low,
)
from kpirules._messages import Message, check_language, message
from kpirules._numbers import CONTEXT, tidy
from kpirules._scoring import COMPARE, FLIPPED, MILESTONES, compare, evaluate, ladder, milestone_levels
from kpirules._semantics import Code, close_names, describe_expr
from kpirules._semantics import walk as _walk
from kpirules.errors import EvaluationError
from kpirules.limits import OutOfTime, budget, out_of_time

if TYPE_CHECKING:
    from kpirules.model import Indicator, RuleSet

__all__ = ["Counterexample", "Diagnostic", "check", "counterexamples", "format_diagnostic"]

Severity = Literal["error", "warning"]


@attrs.frozen
class Diagnostic:
    """One finding of :func:`check`: how bad it is, its code (one of the checker codes), a
    message for the person who wrote the rules, the indicator it is about (None for the file as a
    whole) and where.

    ``message`` is in :attr:`language`; ``problem`` is the message before it was put into words
    (its code in the message catalogue and its parts), so :meth:`in_language` can say the same
    finding in the other language.
    """

    severity: Severity
    code: str
    message: str
    indicator: str | None
    line: int
    column: int
    problem: Message | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    language: str = attrs.field(default="en", eq=False, repr=False, kw_only=True)

    @classmethod
    def of(cls, severity: Severity, code: str, problem: Message, indicator: str | None,
           line: int, column: int, language: str = "en") -> Diagnostic:
        """The finding ``problem``, its message put into words in ``language``."""
        return cls(severity, code, problem.render(language), indicator, line, column,
                   problem=problem, language=language)

    @property
    def parts(self) -> dict[str, Any]:
        """The parts the message was made from (names, values, nested messages), for programs."""
        return dict(self.problem.parts) if self.problem is not None else {}

    def in_language(self, language: str) -> Diagnostic:
        """This finding with its message in ``language`` ("en" or "th")."""
        language = check_language(language)
        if self.problem is None:
            return self
        return attrs.evolve(self, message=self.problem.render(language), language=language)


def format_diagnostic(diagnostic: Diagnostic, source: str) -> str:
    """``diagnostic`` as the command line prints it: ``FILE:LINE:COL: severity[code]: message``.

    >>> format_diagnostic(Diagnostic("warning", "unused-measure", "…", "1", 3, 3), "a.kpi")
    'a.kpi:3:3: warning[unused-measure]: …'
    """
    return (f"{source}:{diagnostic.line}:{diagnostic.column}: "
            f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}")


def check(rules: RuleSet, language: str | None = None) -> list[Diagnostic]:
    """Every problem :mod:`kpirules` can prove about ``rules``, in file order, with messages in
    ``language`` ("en" or "th"; None: the rule file's own, :attr:`RuleSet.language`).

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "Online sales"
    ...   weight 60
    ...   measure growth
    ...   level 1 if growht >= 11
    ... indicator 2 "Plan"
    ...   weight 30
    ...   level 1 milestone "a plan"
    ... ''')
    >>> for diagnostic in kpirules.check(rules):
    ...     print(diagnostic.line, diagnostic.severity, diagnostic.code)
    3 error weights-total
    4 warning unused-measure
    5 warning implicit-measure
    >>> print(kpirules.check(rules, language="th")[2].message)
    มีการใช้ `growht` โดยไม่ได้ประกาศไว้ หมายถึง `growth` หรือไม่
    """
    language = check_language(rules.language if language is None else language)
    findings = file_findings(rules)
    statements = sum(len(indicator.node.statements) + 1 for indicator in rules)
    with budget(statements):
        for indicator in rules:
            findings += indicator_findings(indicator)
    findings.sort(key=lambda finding: (finding[4], finding[5]))
    return [Diagnostic.of(*finding, language=language) for finding in findings]


# A finding before it is put into words: the fields of Diagnostic.of.
_Finding = tuple[Severity, str, Message, Union[str, None], int, int]  # noqa: UP007 - runtime alias


@attrs.frozen
class _Joined:
    """Parts of a message shown one after another, ``", "`` between them in either language."""

    items: tuple[Any, ...]

    def render(self, language: str) -> str:
        return ", ".join(_say(item, language) for item in self.items)

    def __str__(self) -> str:
        return self.render("en")


def _say(part: Any, language: str) -> str:
    if isinstance(part, bool):
        return message("word-true" if part else "word-false").render(language)
    render = getattr(part, "render", None)
    return str(render(language)) if render is not None else str(part)


def _exact(value: Decimal) -> str:
    """A value of a counterexample with every digit it has (``39.999999999`` is not 40)."""
    text = f"{tidy(value):f}"
    return "0" if text == "-0" else text


def file_findings(rules: RuleSet) -> list[_Finding]:
    """The findings about the file as a whole (the weights), not yet put into words;
    :func:`check` adds each indicator's."""
    return _weights(rules)


def indicator_findings(indicator: Indicator) -> list[_Finding]:
    """The findings about one indicator, not yet put into words. They depend on its statements
    alone, so an editor that re-checks a file on each keystroke can keep those of the indicators
    that did not change."""
    from kpirules._example_runs import example_findings  # failing `example` statements

    return _names(indicator) + _levels(indicator) + example_findings(indicator)


# Weights


def _weights(rules: RuleSet) -> list[_Finding]:
    weighted = [indicator for indicator in rules if indicator.weight is not None]
    if not weighted:
        return []
    missing = [indicator for indicator in rules if indicator.weight is None]
    if missing:
        return [
            ("error", "weights-total", message("check-weight-missing", indicator=indicator.id),
             indicator.id, indicator.node.span.line, indicator.node.span.column)
            for indicator in missing
        ]
    weights = [indicator.weight for indicator in weighted if indicator.weight is not None]
    total = sum(weights, Decimal(0))
    if total == 100:
        return []
    first = _weight_span(weighted[0])
    parts = _Joined(tuple(message("check-weight-of", indicator=indicator.id,
                                  weight=indicator.weight) for indicator in weighted))
    code = "check-weights-below" if total < 100 else "check-weights-above"
    return [("error", "weights-total", message(code, total=total, weights=parts),
             None, first.line, first.column)]


def _weight_span(indicator: Indicator) -> nodes.Span:
    for statement in indicator.node.statements:
        if isinstance(statement, nodes.Field) and statement.keyword == "weight":
            return statement.span
    return indicator.node.span


# Names


def _names(indicator: Indicator) -> list[_Finding]:
    node = indicator.node
    declared = [m.name for m in node.measures if not m.implicit] + [let.name for let in node.lets]
    found: list[_Finding] = []
    for measure in node.measures:
        if not measure.implicit:
            continue
        guess = close_names(measure.name, declared)
        hint = (message("hint-did-you-mean", name=guess[0]) if guess else
                message("check-hint-declare", name=measure.name))
        found.append(("warning", "implicit-measure",
                      message("check-implicit-measure", name=measure.name, hint=hint),
                      node.id, measure.span.line, measure.span.column))
    used = _used_names(node)
    for measure in node.measures:
        if not measure.implicit and measure.name not in used:
            found.append(("warning", "unused-measure",
                          message("check-unused-measure", name=measure.name),
                          node.id, measure.span.line, measure.span.column))
    for let in node.lets:
        if let.name not in used:
            found.append(("warning", "unused-measure",
                          message("check-unused-let", name=let.name),
                          node.id, let.span.line, let.span.column))
    return found


def _used_names(node: nodes.IndicatorNode) -> set[str]:
    """The measures and lets some level reads, directly or through lets."""
    lets = {let.name: let.expr for let in node.lets}
    used: set[str] = set()
    pending = [level.condition for level in node.levels if level.condition is not None]
    while pending:
        for part in _walk(pending.pop()):
            if isinstance(part, nodes.Name) and part.name not in used:
                used.add(part.name)
                if part.name in lets:
                    pending.append(lets[part.name])
    return used


# Levels: quantities, atoms and conditions

QuantityKind = Literal["number", "flag", "milestone"]

# How many abstract counterexamples are tried before the grid search.
_ATTEMPTS = 40
_GRID_LIMIT = 4_000

class _Unsupported(Exception):
    """The conditions use something the checker does not reason about (a constant division by
    zero): the indicator's levels are left unchecked rather than checked wrongly."""


@attrs.define
class _Quantity:
    label: str
    kind: QuantityKind
    expr: nodes.Expr | None = None  # the compared expression with every let written out
    measure: nodes.Measure | None = None  # when the quantity is one measure
    milestone: int | None = None
    measures: frozenset[str] = frozenset()
    domain: Interval = attrs.Factory(Interval)
    integer: bool = False
    thresholds: set[Decimal] = attrs.Factory(set)
    cells: list[Interval] = attrs.Factory(list)
    samples: list[Decimal] = attrs.Factory(list)

    @property
    def size(self) -> int:
        return len(self.cells) if self.kind == "number" else 2


@attrs.frozen
class _Atom:
    """One comparison (or flag, or milestone) as it occurs in one level's condition."""

    quantity: int
    op: str
    threshold: Decimal | None
    polarity: bool  # False under an odd number of `not`
    level: int
    quoted: Code  # how the comparison is quoted in a message
    line: int
    column: int


@attrs.frozen
class _Leaf:
    atom: int


@attrs.frozen
class _Const:
    value: bool


@attrs.frozen
class _Negation:
    operand: Formula


@attrs.frozen
class _Junction:
    any: bool
    operands: tuple[Formula, ...]


Formula = Union[_Leaf, _Const, _Negation, _Junction]  # noqa: UP007 - a runtime alias
Combo = tuple[int, ...]
Value = Union[Decimal, bool]  # noqa: UP007 - a runtime alias


class _Model:
    """An indicator's levels as conditions over quantities and their cells: the effective
    conditions of the scoring core's :func:`~kpirules._scoring.ladder`, a milestone being one
    more quantity (not done < done)."""

    def __init__(self, node: nodes.IndicatorNode, relax: str | None = None,
                 relax_kind: bool = False) -> None:
        # `relax` drops the declared range of that measure (and, with `relax_kind`, its being a
        # count), to tell which declaration makes a condition impossible.
        self.node = node
        self.relax = relax
        self.relax_kind = relax_kind
        self.measures = {m.name: m for m in node.measures}
        self.lets = {let.name: let.expr for let in node.lets}
        self.expanded: dict[str, nodes.Expr] = {}
        for let in node.lets:
            self.expanded[let.name] = self.expand(let.expr)
        self.quantities: list[_Quantity] = []
        self.keys: dict[object, int] = {}
        self.atoms: list[_Atom] = []
        self.conditions: list[Formula] = []
        rules = ladder(node)
        self.cumulative = rules.cumulative
        # A level is quoted by its own condition, or for a milestone level by its milestone.
        self.checklist = [_own_milestone(number, condition)
                          for number, condition in enumerate(rules.conditions, 1)]
        self.written = [Code(nodes.Done(number) if milestone else condition)
                        for number, (milestone, condition)
                        in enumerate(zip(self.checklist, rules.conditions), 1)]
        self.spans = [level.span for level in node.levels]
        for number, condition in enumerate(rules.conditions, 1):
            self.conditions.append(self.formula(condition, True, number))
        for quantity in self.quantities:
            if quantity.kind == "number":
                quantity.cells = cells(quantity.domain, quantity.thresholds, quantity.integer)
                # Every comparison of the quantity has one truth on a cell: one value tells it.
                quantity.samples = [_sample(cell) for cell in quantity.cells]
        self.truth = [self.atom_truth(atom) for atom in self.atoms]
        self.sizes = tuple(quantity.size for quantity in self.quantities)
        self.regions = [self.region(condition) for condition in self.conditions]
        self.reached: dict[int, Region] = {}

    # building

    def expand(self, expr: nodes.Expr) -> nodes.Expr:
        """``expr`` with every let name replaced by its formula."""
        if isinstance(expr, nodes.Name):
            return self.expanded.get(expr.name, expr)
        if isinstance(expr, nodes.Negate):
            return nodes.Negate(self.expand(expr.operand), expr.span)
        if isinstance(expr, nodes.BinaryOp):
            return nodes.BinaryOp(expr.op, self.expand(expr.left), self.expand(expr.right),
                                  expr.span)
        return expr

    def domain_of(self, measure: nodes.Measure) -> tuple[Interval, bool]:
        count = measure.kind == "count" and not (self.relax_kind and measure.name == self.relax)
        domain = Interval.at_least(Decimal(0)) if count else Interval()
        if measure.name != self.relax:
            domain = domain.intersect(Interval.closed(measure.low, measure.high))
        return domain, count

    def quantity(self, key: object, make: Callable[[], _Quantity]) -> int:
        index = self.keys.get(key)
        if index is None:
            index = self.keys[key] = len(self.quantities)
            self.quantities.append(make())
        return index

    def number_quantity(self, expr: nodes.Expr) -> int:
        def make() -> _Quantity:
            expanded = self.expand(expr)
            names = frozenset(n.name for n in _walk(expanded) if isinstance(n, nodes.Name))
            measure = self.measures.get(expr.name) if isinstance(expr, nodes.Name) else None
            if measure is not None:
                domain, integer = self.domain_of(measure)
            else:
                domains = {name: self.domain_of(self.measures[name])[0] for name in names}
                domain, integer = bounds(expanded, domains), False
            return _Quantity(describe_expr(expr), "number", expr=expanded, measure=measure,
                             measures=names, domain=domain, integer=integer)

        # Keyed by the formula with lets written out, so that a let and the same formula written
        # inline are one quantity.
        return self.quantity(("number", self.expand(expr)), make)

    def milestone_leaf(self, done: nodes.Done, level: int) -> _Leaf:
        number = done.level
        index = self.quantity(("milestone", number), lambda: _Quantity(
            f"milestone {number}", "milestone", milestone=number))
        span = self.spans[level - 1]
        return self.leaf(_Atom(index, "done", None, True, level, Code(done), span.line,
                               span.column))

    def leaf(self, atom: _Atom) -> _Leaf:
        self.atoms.append(atom)
        return _Leaf(len(self.atoms) - 1)

    def formula(self, expr: nodes.Expr, polarity: bool, level: int) -> Formula:
        if isinstance(expr, nodes.Done):
            return self.milestone_leaf(expr, level)
        if isinstance(expr, nodes.BoolOp):
            return _Junction(expr.op == "or",
                             tuple(self.formula(e, polarity, level) for e in expr.operands))
        if isinstance(expr, nodes.Not):
            if isinstance(expr.operand, nodes.Name) and expr.operand.name in self.measures:
                # `not flag` is quoted whole in a message, and pointed at from its `not`.
                return _Negation(self.flag(expr.operand, not polarity, level, expr.span))
            return _Negation(self.formula(expr.operand, not polarity, level))
        if isinstance(expr, nodes.Name):
            if expr.name in self.lets:  # a let that is itself a condition
                return self.formula(self.lets[expr.name], polarity, level)
            return self.flag(expr, polarity, level, expr.span)
        if isinstance(expr, nodes.Compare):
            pairs = zip(expr.operands, expr.ops, expr.operands[1:])
            parts = tuple(self.comparison(left, op, right, polarity, level)
                          for left, op, right in pairs)
            return parts[0] if len(parts) == 1 else _Junction(False, parts)
        raise _Unsupported(describe_expr(expr))  # pragma: no cover - not a condition

    def flag(self, name: nodes.Name, polarity: bool, level: int, span: nodes.Span) -> Formula:
        measure = self.measures[name.name]
        index = self.quantity(("flag", name.name), lambda: _Quantity(
            name.name, "flag", measure=measure, measures=frozenset({name.name})))
        quoted = Code(name, negated=not polarity)
        return self.leaf(_Atom(index, "is", None, polarity, level, quoted, span.line,
                               span.column))

    def comparison(self, left: nodes.Expr, op: nodes.CompareOp, right: nodes.Expr, polarity: bool,
                   level: int) -> Formula:
        written = op
        left_value, right_value = self.constant(left), self.constant(right)
        if left_value is not None and right_value is not None:
            return _Const(compare(left_value, op, right_value))
        if right_value is not None:
            compared, threshold = left, right_value
        elif left_value is not None:
            compared, op, threshold = right, FLIPPED[op], left_value
        else:
            # `a > b` compares the difference with 0: the sign of a correctly rounded difference
            # is the sign of the exact one, so the truth is the same.
            compared, threshold = nodes.BinaryOp("-", left, right, left.span), Decimal(0)
        index = self.number_quantity(compared)
        self.quantities[index].thresholds.add(threshold)
        # A comparison that counts negated is quoted with its `not`.
        quoted = Code(nodes.Compare((left, right), (written,)), negated=not polarity)
        return self.leaf(_Atom(index, op, threshold, polarity, level, quoted,
                               left.span.line, left.span.column))

    def constant(self, expr: nodes.Expr) -> Decimal | None:
        expanded = self.expand(expr)
        if any(isinstance(part, nodes.Name) for part in _walk(expanded)):
            return None
        value = _value(expanded, {})
        if value is None:
            raise _Unsupported(describe_expr(expr))
        assert isinstance(value, Decimal)
        return value

    def atom_truth(self, atom: _Atom) -> tuple[bool, ...]:
        quantity = self.quantities[atom.quantity]
        if quantity.kind != "number":
            return (False, True)
        assert atom.threshold is not None
        holds = COMPARE[atom.op]
        return tuple(holds(sample, atom.threshold) for sample in quantity.samples)

    def region(self, formula: Formula) -> Region:
        """The combinations of cells where ``formula`` holds."""
        if isinstance(formula, _Leaf):
            atom = self.atoms[formula.atom]
            allowed = [c for c, holds in enumerate(self.truth[formula.atom]) if holds]
            return Region.where(self.sizes, atom.quantity, allowed)
        if isinstance(formula, _Const):
            everything = Region.everything(self.sizes)
            return everything if formula.value else Region.nothing(self.sizes)
        if isinstance(formula, _Negation):
            return ~self.region(formula.operand)
        parts = [self.region(operand) for operand in formula.operands]
        result = parts[0]
        for part in parts[1:]:
            result = (result | part) if formula.any else (result & part)
        return result

    def at_least(self, number: int) -> Region:
        """The combinations whose level is ``number`` or more."""
        known = self.reached.get(number)
        if known is not None:
            return known
        if number > len(self.regions):
            result = Region.nothing(self.sizes)
        elif not self.cumulative:
            result = self.regions[number - 1] | self.at_least(number + 1)
        elif number == 1:
            result = self.regions[0]
        else:
            result = self.at_least(number - 1) & self.regions[number - 1]
        self.reached[number] = result
        return result

    def exactly(self, number: int) -> Region:
        """The combinations whose level is ``number``."""
        return self.at_least(number) & ~self.at_least(number + 1)

    def quantities_of(self, formula: Formula) -> set[int]:
        if isinstance(formula, _Leaf):
            return {self.atoms[formula.atom].quantity}
        if isinstance(formula, _Const):
            return set()
        if isinstance(formula, _Negation):
            return self.quantities_of(formula.operand)
        return set().union(*(self.quantities_of(part) for part in formula.operands))

    def directions(self, index: int) -> tuple[int, int]:
        """How many of the quantity's comparisons reward a higher value, and how many a lower
        one. A comparison that holds on a middle stretch (``== 5``) counts for both; one that is
        always or never true within the domain (``<= 100`` in ``0..100``) for neither."""
        up = down = 0
        for atom, truth in zip(self.atoms, self.truth):
            if atom.quantity != index:
                continue
            seen = truth if atom.polarity else tuple(not t for t in truth)
            rises = any(a < b for a, b in itertools.pairwise(seen))
            falls = any(a > b for a, b in itertools.pairwise(seen))
            up += rises
            down += falls
        return up, down


# Levels: the diagnostics


def _sample(cell: Interval) -> Decimal:
    value = pick(cell)
    assert value is not None  # a cell is never empty
    return value


def _own_milestone(number: int, condition: nodes.Expr) -> bool:
    """Whether level ``number`` is a milestone level: its effective condition is its milestone,
    or (under ``policy highest``) its milestone and the ones below."""
    parts = condition.operands if isinstance(condition, nodes.BoolOp) else (condition,)
    return any(isinstance(part, nodes.Done) and part.level == number for part in parts)


def _levels(indicator: Indicator) -> list[_Finding]:
    try:
        model = _Model(indicator.node)
        if any(q.size == 0 for q in model.quantities):
            return []  # a measure no value can satisfy: every record is refused already
        found = _unreachable(indicator, model)
        found += [_non_monotone_finding(indicator, example)
                  for example in _counterexamples(indicator, model)]
    except OutOfTime as stop:
        # The file's time budget ran out: say which proofs were given up rather than run on.
        seconds = f"{stop.seconds:g}"
        return [("warning", "check-incomplete",
                 message("check-incomplete", indicator=indicator.id, seconds=seconds),
                 indicator.id, indicator.node.span.line, indicator.node.span.column)]
    except (_Unsupported, TooComplex, RecursionError):
        # Conditions too tangled to reason about in bounded time: the levels are left unchecked,
        # not misjudged.
        return []
    return found


def _unreachable(indicator: Indicator, model: _Model) -> list[_Finding]:
    node = indicator.node
    found: list[_Finding] = []
    for number, span in enumerate(model.spans, 1):
        if not model.exactly(number).is_empty():
            continue
        reason = _unreachable_reason(model, number)
        found.append(("error", "unreachable-level",
                      message("check-unreachable", level=number, reason=reason),
                      node.id, span.line, span.column))
    return found


def _unreachable_reason(model: _Model, number: int) -> Message:
    regions = model.regions
    own = regions[number - 1]

    def mine(holds: bool = True) -> Message:
        """Level ``number``'s own condition (or milestone) in a sentence, holding or not."""
        if model.checklist[number - 1]:
            return message("check-its-milestone-done" if holds else "check-its-milestone")
        return message("check-its-condition-holds" if holds else "check-its-condition",
                       condition=model.written[number - 1])

    def theirs(level: int, holds: bool = True) -> Message:
        """Another level's condition (or milestone), holding too or not."""
        if model.checklist[level - 1]:
            code = "check-level-milestone-done-too" if holds else "check-level-milestone"
            return message(code, level=level)
        code = "check-level-condition-holds-too" if holds else "check-level-condition"
        return message(code, level=level, condition=model.written[level - 1])

    if own.is_empty():
        return message("check-never-holds", condition=mine(holds=False),
                       because=_impossible_because(model, number))
    top = len(regions)
    if not model.cumulative:
        for higher in range(number + 1, top + 1):
            if (own & ~regions[higher - 1]).is_empty():
                return message("check-shadowed", mine=mine(), theirs=theirs(higher))
        return message("check-shadowed-by-several", mine=mine())
    if model.at_least(number).is_empty():
        for lower in range(1, number):
            if (own & regions[lower - 1]).is_empty():
                return message("check-never-together", mine=mine(holds=False),
                               theirs=theirs(lower, holds=False))
        return message("check-never-all-together", level=number)
    if (own & ~regions[number]).is_empty():
        checklist = model.checklist[number - 1] or model.checklist[number]
        question = "" if checklist else message("check-thresholds-in-order")
        return message("check-goes-on", mine=mine(), following=theirs(number + 1),
                       level=number, next=number + 1, question=question)
    return message("check-goes-on-together", following=theirs(number + 1), level=number,
                   next=number + 1)


def _impossible_because(model: _Model, number: int) -> Message | str:
    """Which declaration makes level ``number``'s condition impossible, if one does."""
    involved = model.quantities_of(model.conditions[number - 1])
    for index in sorted(involved):
        measure = model.quantities[index].measure
        if measure is None or measure.kind == "flag":
            continue
        if measure.low is not None or measure.high is not None:
            relaxed = _Model(model.node, relax=measure.name)
            if not relaxed.regions[number - 1].is_empty():
                return message("check-because-range", measure=measure.name,
                               low="" if measure.low is None else _exact(measure.low),
                               high="" if measure.high is None else _exact(measure.high))
        if measure.kind == "count":
            relaxed = _Model(model.node, relax=measure.name, relax_kind=True)
            if not relaxed.regions[number - 1].is_empty():
                return message("check-because-count", measure=measure.name)
    return ""


# Counterexamples


@attrs.frozen
class Counterexample:
    """Two records, scored by the real evaluator, that differ in one compared quantity
    (``quantity``: ``before`` → ``after``) and where the change lowers the level.

    ``raising`` tells whether the quantity rose. ``first`` and ``second`` are the records (measure
    values and ``"milestones"``), ``levels`` their levels; ``others`` the other compared quantities,
    the same in both (milestones are in the records); ``line`` and ``column`` point at the
    comparison that stops holding, quoted as ``comparison`` in level ``comparison_level``.
    ``opposite`` is the counterexample the other way (the quantity moving in the opposite
    direction and the level dropping too), which a finding needs: see :func:`counterexamples`.
    """

    quantity: str
    kind: QuantityKind
    raising: bool
    before: Value
    after: Value
    first: Mapping[str, Any]
    second: Mapping[str, Any]
    levels: tuple[int, int]
    others: tuple[tuple[str, Value], ...]
    measures_shown: bool
    comparison: Code
    comparison_level: int
    line: int
    column: int
    opposite: Counterexample | None = None


def counterexamples(indicator: Indicator) -> list[Counterexample]:
    """The ``non-monotone`` findings of :func:`check` for one indicator, with their records.

    A quantity compared both ways is a finding only when the level drops somewhere as it rises
    and somewhere as it falls (the documentation page "Checker codes"), so each finding is a
    pair: the drop in the direction its comparisons reward more often, and its ``opposite``.

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "t"
    ...   measure x count
    ...   level 1 if x >= 1
    ...   level 2 if x == 2
    ... ''')
    >>> example, = counterexamples(rules["1"])
    >>> example.first, example.second, example.levels
    ({'x': Decimal('2')}, {'x': Decimal('3')}, (2, 1))
    >>> example.opposite.first, example.opposite.second, example.opposite.levels
    ({'x': Decimal('2')}, {'x': Decimal('1')}, (2, 1))
    """
    try:
        model = _Model(indicator.node)
        if any(q.size == 0 for q in model.quantities):
            return []
        return _counterexamples(indicator, model)
    except (_Unsupported, TooComplex, RecursionError):
        return []


Step = tuple[Combo, Combo]


def _counterexamples(indicator: Indicator, model: _Model) -> list[Counterexample]:
    found = []
    finder = _Finder(indicator, model)
    for index, quantity in enumerate(model.quantities):
        if quantity.kind == "milestone":
            continue
        up, down = model.directions(index)
        if not (up and down):
            continue  # every comparison rewards one direction: the level cannot fall along it
        # Compared both ways, the quantity is judged by the levels it yields: a finding only
        # when the level drops somewhere as it rises and somewhere as it falls, each shown by
        # real records. The drop against the direction most of its comparisons reward comes
        # first: that is the surprising one.
        falls, rises = _steps(model, index)
        if not (falls and rises):
            continue
        raising_first = up >= down
        first = finder.find(index, falls if raising_first else rises, raising_first)
        if first is None:
            continue
        second = finder.find(index, rises if raising_first else falls, not raising_first)
        if second is None:
            continue
        found.append(attrs.evolve(first, opposite=second))
    return found


def _steps(model: _Model, index: int) -> tuple[list[Step], list[Step]]:
    """Pairs of combinations one cell apart in quantity ``index`` (lower first) where the level
    falls as the quantity rises, and where it rises with it: for each cell boundary and level L,
    the other quantities' combinations that reach L on one side of it and not on the other."""
    falls: list[Step] = []
    rises: list[Step] = []
    size = model.quantities[index].size
    for number in range(len(model.regions), 0, -1):
        reached = model.at_least(number)
        for cell in range(size - 1):
            out_of_time()
            below, above = reached.fix(index, cell), reached.fix(index, cell + 1)
            for found, region in ((falls, below & ~above), (rises, above & ~below)):
                for corner in itertools.islice(region.corners(), 2 * _ATTEMPTS):
                    lower = (*corner[:index], cell, *corner[index + 1:])
                    upper = (*corner[:index], cell + 1, *corner[index + 1:])
                    if (lower, upper) not in found:
                        found.append((lower, upper))
    return falls, rises


def _non_monotone_finding(indicator: Indicator, example: Counterexample) -> _Finding:
    assert example.opposite is not None
    said = message("check-non-monotone", first=_move(example), second=_move(example.opposite),
                   quantity=example.quantity, comparison=example.comparison,
                   level=example.comparison_level)
    return ("error", "non-monotone", said, indicator.id, example.line, example.column)


def _move(example: Counterexample) -> Message:
    """One counterexample in words: the move, the levels, and what stays fixed."""
    if example.kind == "flag":
        code = "check-setting"
    else:
        code = "check-raising" if example.raising else "check-lowering"
    fixed: list[Message] = [message("check-value", name=name, value=_value_part(value))
                            for name, value in example.others]
    if MILESTONES in example.first:
        done = example.first[MILESTONES]
        fixed.append(message("check-milestones-done", levels=_Joined(tuple(done))) if done
                     else message("check-milestones-none"))
    notes = [message("check-others-fixed", values=_Joined(tuple(fixed)))] if fixed else []
    if example.measures_shown:
        changes = []
        for name, value in example.first.items():
            if name == MILESTONES:
                continue
            after = example.second[name]
            if after == value:
                changes.append(message("check-value", name=name, value=_value_part(value)))
            else:
                changes.append(message("check-value-change", name=name,
                                       before=_value_part(value), after=_value_part(after)))
        notes.append(message("check-records", values=_Joined(tuple(changes))))
    shown: Message | str = ""
    if len(notes) == 1:
        shown = message("check-notes", notes=notes[0])
    elif notes:
        shown = message("check-notes-two", first=notes[0], second=notes[1])
    first, second = example.levels
    return message(code, quantity=example.quantity, before=_value_part(example.before),
                   after=_value_part(example.after), high=first, low=second, notes=shown)


def _value_part(value: Value) -> str | bool:
    """A value in a counterexample as a message part: flags as true/false in the reader's
    language, numbers with every digit they have."""
    return value if isinstance(value, bool) else _exact(value)


class _Finder:
    """Turns abstract counterexamples (pairs of cell combinations) into real records: values for
    each quantity's measures, solved from its formula or searched for, then scored by the real
    evaluator."""

    def __init__(self, indicator: Indicator, model: _Model) -> None:
        self.indicator = indicator
        self.model = model
        self.milestones = milestone_levels(model.node)
        self.grid: list[tuple[dict[str, Any], int, tuple[Value | None, ...]]] | None = None
        # Quantities that share a measure belong together: their values cannot be chosen one by
        # one.
        quantities = model.quantities
        groups: list[list[int]] = []
        for index, quantity in enumerate(quantities):
            joined = [g for g in groups if any(quantities[o].measures & quantity.measures
                                                 for o in g)]
            groups = [g for g in groups if g not in joined]
            groups.append(sorted([index, *itertools.chain.from_iterable(joined)]))
        self.groups = {index: group for group in groups for index in group}
        self.candidates = {m.name: self.measure_candidates(m) for m in indicator.measures}

    def group(self, index: int) -> list[int]:
        return self.groups[index]

    # candidate values

    def measure_candidates(self, measure: nodes.Measure) -> list[Value]:
        if measure.kind == "flag":
            return [False, True]
        values: list[Decimal | None] = []
        for quantity in self.model.quantities:
            if quantity.measure is measure:
                values += [pick(cell, quantity.integer) for cell in quantity.cells]
        values += [Decimal(v) for v in ("100", "1000", "10", "1", "200", "50", "20", "2", "5",
                                         "1000000", "3", "7", "0.5", "0")]
        values += [v for v in (measure.low, measure.high) if v is not None]
        unique: list[Value] = []
        for value in values:
            if value is not None and _valid(measure, value) and value not in unique:
                unique.append(value)
        return unique

    def default(self, measure: nodes.Measure) -> Value:
        candidates = self.candidates[measure.name]
        return candidates[0] if candidates else Decimal(0)

    # the search

    def find(self, index: int, steps: list[Step],
             raising: bool) -> Counterexample | None:
        for lower, upper in steps[:_ATTEMPTS]:
            out_of_time()
            pair = self.realise(index, lower, upper)
            if pair is None:
                continue
            example = self.verify(index, pair[0], pair[1], raising)
            if example is not None:
                return example
        return self.grid_search(index, raising)

    def realise(self, index: int, lower: Combo,
                upper: Combo) -> tuple[dict[str, Any], dict[str, Any]] | None:
        quantity = self.model.quantities[index]
        if quantity.kind == "flag":
            low_value: Value | None = False
            high_value: Value | None = True
        else:
            low_value = pick_near_high(quantity.cells[lower[index]], quantity.integer)
            high_value = pick_near_low(quantity.cells[upper[index]], quantity.integer)
        if low_value is None or high_value is None:
            return None
        shared: dict[str, Value] = {}
        done = frozenset(q.milestone for q, cell in zip(self.model.quantities, lower)
                         if q.kind == "milestone" and cell == 1 and q.milestone is not None)
        handled = {index}
        for other in range(len(lower)):
            if other in handled or self.model.quantities[other].kind == "milestone":
                continue
            group = self.group(other)
            handled.update(group)
            if index in group:
                continue
            values = self.place(group, lower)
            if values is None:
                return None
            shared.update(values)
        moved = self.move(index, lower, low_value, high_value)
        if moved is None:
            return None
        first = self.record({**shared, **moved[0]}, done)
        second = self.record({**shared, **moved[1]}, done)
        return first, second

    def record(self, values: Mapping[str, Value], done: frozenset[int]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for measure in self.indicator.measures:
            record[measure.name] = values.get(measure.name, self.default(measure))
        if self.milestones:
            record[MILESTONES] = sorted(done)
        return record

    def in_cells(self, group: Sequence[int], combo: Combo, values: Mapping[str, Value]) -> bool:
        for member in group:
            quantity = self.model.quantities[member]
            value = self.value(member, values)
            if quantity.kind == "flag":
                if value is not (combo[member] == 1):
                    return False
            elif not isinstance(value, Decimal) or value not in quantity.cells[combo[member]]:
                return False
        return True

    def place(self, group: Sequence[int], combo: Combo) -> dict[str, Value] | None:
        """Measure values that put every quantity of ``group`` in its cell of ``combo``."""
        if len(group) == 1:
            quantity = self.model.quantities[group[0]]
            if quantity.kind == "flag":
                assert quantity.measure is not None
                return {quantity.measure.name: combo[group[0]] == 1}
            cell = quantity.cells[combo[group[0]]]
            tries = [pick(cell, quantity.integer), pick_near_low(cell, quantity.integer),
                     pick_near_high(cell, quantity.integer)]
            for target in tries:
                if target is not None:
                    solved = self.solve(group[0], target)
                    if solved:
                        return solved[0][0]
        names = sorted(set().union(*(self.model.quantities[g].measures for g in group)))
        for values in self.assignments(names):
            if self.in_cells(group, combo, values):
                return values
        return None

    def assignments(self, names: Sequence[str]) -> Iterator[dict[str, Value]]:
        lists = [self.candidates[name] for name in names]
        total = _product([len(values) for values in lists])
        if total <= _GRID_LIMIT:
            for choice in itertools.product(*lists):
                yield dict(zip(names, choice))
            return
        chooser = random.Random(0)
        for _ in range(_GRID_LIMIT):
            yield {name: chooser.choice(values) for name, values in zip(names, lists)}

    def move(self, index: int, combo: Combo, low: Value,
             high: Value) -> tuple[dict[str, Value], dict[str, Value]] | None:
        """Values of the measures of ``index``'s group that give the quantity ``low`` and then
        ``high``, the group's other quantities staying in their cells of ``combo``."""
        quantity = self.model.quantities[index]
        group = self.group(index)
        others = [g for g in group if g != index]
        other_names = set().union(*(self.model.quantities[g].measures for g in others))
        if quantity.measure is not None:
            name = quantity.measure.name
            if name in other_names:
                return None
            base = self.place(others, combo) if others else {}
            if base is None:
                return None
            return {**base, name: low}, {**base, name: high}
        assert isinstance(low, Decimal) and isinstance(high, Decimal)
        for solved in self.solve(index, low, also=high, avoid=other_names):
            first, second = solved
            if not others or self.in_cells(others, combo, first):
                return first, second
        return None

    def solve(self, index: int, target: Decimal, also: Decimal | None = None,
              avoid: set[str] | frozenset[str] = frozenset()) -> list[tuple[dict[str, Value], ...]]:
        """Assignments of the quantity's measures giving it ``target`` (and ``also``, changing one
        measure only), found by solving its formula for a measure it reads once."""
        quantity = self.model.quantities[index]
        assert quantity.expr is not None
        names = sorted(quantity.measures)
        occurrences = {name: sum(isinstance(n, nodes.Name) and n.name == name
                                 for n in _walk(quantity.expr)) for name in names}
        found: list[tuple[dict[str, Value], ...]] = []
        for unknown in names:
            if occurrences[unknown] != 1 or unknown in avoid:
                continue
            rest = [name for name in names if name != unknown]
            for values in itertools.islice(self.assignments(rest), 400):
                results = []
                for wanted in (target,) if also is None else (target, also):
                    solution = self.solve_one(quantity, unknown, wanted, values)
                    if solution is None:
                        break
                    results.append({**values, unknown: solution})
                else:
                    found.append(tuple(results))
                    if len(found) >= 20:
                        return found
        return found

    def solve_one(self, quantity: _Quantity, unknown: str, target: Decimal,
                  values: Mapping[str, Value]) -> Decimal | None:
        assert quantity.expr is not None
        solution = _invert(quantity.expr, target, unknown, values)
        if solution is None or not _valid(self.model.measures[unknown], solution):
            return None
        if _value(quantity.expr, {**values, unknown: solution}) != target:
            return None  # rounding: the formula does not give exactly the value wanted
        return solution

    def value(self, index: int, values: Mapping[str, Any]) -> Value | None:
        quantity = self.model.quantities[index]
        if quantity.kind == "milestone":
            return quantity.milestone in values.get("milestones", ())
        if quantity.kind == "flag":
            assert quantity.measure is not None
            flag = values.get(quantity.measure.name)
            return flag if isinstance(flag, bool) else None
        assert quantity.expr is not None
        return _value(quantity.expr, values)

    def level(self, record: Mapping[str, Any]) -> int | None:
        try:
            return self.indicator.evaluate(record).level
        except EvaluationError:
            return None

    def verify(self, index: int, first: dict[str, Any], second: dict[str, Any],
               raising: bool) -> Counterexample | None:
        """The counterexample the two records make, when they really make one."""
        first_level, second_level = self.level(first), self.level(second)
        if first_level is None or second_level is None:
            return None
        levels = first_level, second_level
        values = [(self.value(q, first), self.value(q, second))
                  for q in range(len(self.model.quantities))]
        low, high = values[index]
        if low is None or high is None or not low < high:
            return None
        for other, (a, b) in enumerate(values):
            if other != index and (a is None or a != b):
                return None
        if (levels[0] <= levels[1]) if raising else (levels[1] <= levels[0]):
            return None
        if not raising:
            first, second, low, high = second, first, high, low
            levels = levels[1], levels[0]
        quantity = self.model.quantities[index]
        others = tuple((self.model.quantities[q].label, a) for q, (a, _) in enumerate(values)
                       if q != index and a is not None
                       and self.model.quantities[q].kind != "milestone")
        atom = self.culprit(index, first, second, levels)
        return Counterexample(
            quantity=quantity.label, kind=quantity.kind, raising=raising, before=low,
            after=high, first=first, second=second, levels=(levels[0], levels[1]),
            others=others, measures_shown=quantity.measure is None or any(
                first[name] != second[name] for name in first
                if name not in ("milestones", quantity.measure.name)),
            comparison=atom.quoted, comparison_level=atom.level, line=atom.line,
            column=atom.column)

    def culprit(self, index: int, first: Mapping[str, Any], second: Mapping[str, Any],
                levels: tuple[int, int]) -> _Atom:
        """The comparison of the quantity that stops holding between the records, in the level
        that is lost."""
        model = self.model
        lost = levels[1] + 1 if model.cumulative else levels[0]
        before, after = self.value(index, first), self.value(index, second)
        for atom in model.atoms:
            if atom.quantity != index or atom.level != lost:
                continue
            if atom.op == "is":
                held = [before, after]
            else:
                held = [COMPARE[atom.op](v, atom.threshold) for v in (before, after)]
            if not atom.polarity:
                held = [not h for h in held]
            if held[0] and not held[1]:
                return atom
        span = model.spans[lost - 1]
        return _Atom(index, "", None, True, lost, model.written[lost - 1], span.line,
                     span.column)

    def grid_search(self, index: int, raising: bool) -> Counterexample | None:
        """Records from a grid of measure values, grouped by every other quantity's value; a
        pair in one group where the quantity rises and the level falls is a counterexample."""
        groups: dict[tuple[Value, ...], list[tuple[Value, int, dict[str, Any]]]] = {}
        for record, level, values in self.scored_grid():
            out_of_time()
            mine = values[index]
            key = values[:index] + values[index + 1:]
            if mine is not None and None not in key:
                groups.setdefault(key, []).append((mine, level, record))  # type: ignore[arg-type]
        for members in groups.values():
            members.sort(key=lambda member: member[0])
            for (a, level_a, first), (b, level_b, second) in itertools.pairwise(members):
                if a != b and (level_a > level_b if raising else level_b > level_a):
                    example = self.verify(index, first, second, raising)
                    if example is not None:
                        return example
        return None

    def scored_grid(self) -> list[tuple[dict[str, Any], int, tuple[Value | None, ...]]]:
        """The grid's records with their levels and quantity values, scored once for every
        quantity and direction searched."""
        if self.grid is not None:
            return self.grid
        names = [m.name for m in self.indicator.measures]
        milestones = sorted(self.milestones)
        done_sets = [frozenset(milestones[:k]) for k in range(len(milestones) + 1)]
        self.grid = []
        for values in self.assignments(names):
            for done in done_sets:
                record = self.record(values, done)
                level = self.level(record)
                if level is not None:
                    quantities = tuple(self.value(q, record)
                                       for q in range(len(self.model.quantities)))
                    self.grid.append((record, level, quantities))
        return self.grid


def _product(sizes: Sequence[int]) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total


def _valid(measure: nodes.Measure, value: Value) -> bool:
    if measure.kind == "flag":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if measure.kind == "count" and (value < 0 or value != value.to_integral_value()):
        return False
    if measure.low is not None and value < measure.low:
        return False
    return measure.high is None or value <= measure.high


def _value(expr: nodes.Expr, values: Mapping[str, Any]) -> Decimal | None:
    """What the evaluator computes for the number ``expr`` (lets written out) from ``values``;
    None when it would refuse the record (a division by zero, a missing value)."""
    try:
        value = evaluate(expr, values)
    except (ArithmeticError, KeyError, TypeError):
        return None
    return value if isinstance(value, Decimal) else None


def _mentions(expr: nodes.Expr, name: str) -> bool:
    return any(isinstance(part, nodes.Name) and part.name == name for part in _walk(expr))


def _invert(expr: nodes.Expr, target: Decimal, unknown: str,
            values: Mapping[str, Any]) -> Decimal | None:
    """The value of ``unknown`` (read once in ``expr``) for which ``expr`` is ``target``, by
    undoing each operation on the way down to it; the caller checks the answer forwards."""
    try:
        while not isinstance(expr, nodes.Name):
            if isinstance(expr, nodes.Negate):
                target, expr = CONTEXT.minus(target), expr.operand
                continue
            if not isinstance(expr, nodes.BinaryOp):
                return None
            on_left = _mentions(expr.left, unknown)
            other = _value(expr.right if on_left else expr.left, values)
            if not isinstance(other, Decimal):
                return None
            if expr.op == "+":
                target = CONTEXT.subtract(target, other)
            elif expr.op == "-":
                target = CONTEXT.add(target, other) if on_left else CONTEXT.subtract(other, target)
            elif expr.op == "*":
                if not other:
                    return None
                target = CONTEXT.divide(target, other)
            elif on_left:
                target = CONTEXT.multiply(target, other)
            else:
                if not target:
                    return None
                target = CONTEXT.divide(other, target)
            expr = expr.left if on_left else expr.right
    except ArithmeticError:
        return None
    return target if expr.name == unknown else None
