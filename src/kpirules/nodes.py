"""The syntax tree of a rule file: frozen, slotted attrs classes, each with the place it came from.

Positions (:class:`Span`) are left out of equality, so two trees are equal exactly when they say the
same thing, however they were laid out. That is what ``parse(format(t)) == parse(t)`` compares.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs

__all__ = [
    "BinaryOp",
    "BoolOp",
    "Compare",
    "Done",
    "Example",
    "ExampleValue",
    "Expr",
    "Field",
    "IndicatorNode",
    "Let",
    "Level",
    "Measure",
    "Name",
    "Negate",
    "Not",
    "Number",
    "RuleFile",
    "Span",
    "Statement",
]

Kind = Literal["number", "count", "flag"]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
Policy = Literal["ordered", "highest"]


@attrs.frozen(slots=True)
class Span:
    """Where a node starts and ends in its file (1-based lines and columns)."""

    line: int
    column: int
    end_line: int
    end_column: int


NOWHERE = Span(0, 0, 0, 0)


def _span() -> Span:
    return attrs.field(default=NOWHERE, eq=False, repr=False)


@attrs.frozen(slots=True)
class Number:
    """A decimal literal, kept with the text it was written as (``1_000``, ``55.50``)."""

    value: Decimal
    text: str = attrs.field(eq=False)
    span: Span = _span()


@attrs.frozen(slots=True)
class Name:
    """A reference to a measure or a ``let``."""

    name: str
    span: Span = _span()


@attrs.frozen(slots=True)
class Negate:
    """Unary minus."""

    operand: Expr
    span: Span = _span()


@attrs.frozen(slots=True)
class BinaryOp:
    """``+ - * /`` between two numbers."""

    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen(slots=True)
class Compare:
    """A comparison, possibly chained: ``40 <= x < 55`` has operands (40, x, 55) and ops (<=, <)."""

    operands: tuple[Expr, ...]
    ops: tuple[CompareOp, ...]
    span: Span = _span()


@attrs.frozen(slots=True)
class BoolOp:
    """``and`` / ``or`` over two or more conditions."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen(slots=True)
class Not:
    """``not`` a condition."""

    operand: Expr
    span: Span = _span()


@attrs.frozen(slots=True)
class Done:
    """Milestone ``level`` reported done. Never written in rule text: the scoring core makes it for
    a milestone level, so that every engine sees a milestone as one more condition."""

    level: int
    span: Span = _span()


Expr = Number | Name | Negate | BinaryOp | Compare | BoolOp | Not | Done


@attrs.frozen(slots=True)
class Measure:
    """An input of an indicator: what a record must supply.

    ``kind`` is ``"number"`` (any finite decimal), ``"count"`` (a whole number >= 0) or ``"flag"``
    (true/false); ``low`` and ``high`` bound the accepted values (``None`` when open); ``implicit``
    is true for a name used in a condition without a ``measure`` declaration.
    """

    name: str
    description: str | None = None
    kind: Kind = "number"
    low: Decimal | None = None
    high: Decimal | None = None
    unit: str | None = None
    implicit: bool = False
    kind_written: bool = attrs.field(default=False, repr=False)
    low_text: str | None = attrs.field(default=None, eq=False, repr=False)
    high_text: str | None = attrs.field(default=None, eq=False, repr=False)
    has_range: bool = attrs.field(default=False, repr=False)
    span: Span = _span()
    # Where the name itself is written (for an implicit measure: its first use), for editors.
    name_span: Span = _span()


@attrs.frozen(slots=True)
class Let:
    """``let NAME = EXPR``: a value derived from measures and earlier lets."""

    name: str
    expr: Expr
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen(slots=True)
class Level:
    """One level of an indicator: met when ``condition`` holds, or, for a milestone, when the record
    reports the milestone done. ``description`` is the criterion in the source's words."""

    number: int
    condition: Expr | None = None
    description: str | None = None
    is_milestone: bool = False
    description_on_next_line: bool = attrs.field(default=False, repr=False)
    span: Span = _span()


@attrs.frozen(slots=True)
class Field:
    """A metadata statement (``weight 20``, ``strategy "…"``, ``policy highest``) as written, kept
    in file order so that the formatter can print the file back the way it was laid out."""

    keyword: str
    value: str
    span: Span = _span()


ExampleValue = Decimal | bool | str | tuple[int, ...]
"""A value in an example: a number, a flag, a text (as a record may carry one), or the milestones
reported done."""

MILESTONES = "milestones"


@attrs.frozen(slots=True)
class Example:
    """``example level 3: a = 400, b = 230``: a record and what scoring it must give, written in
    the rule file beside the rule it illustrates (see the language reference, "Examples").

    Exactly one of ``level``, ``score`` and ``rejected`` says what is expected: the level, the
    score, or that the record is refused with an :class:`~kpirules.EvaluationError`.
    ``values`` are the record's entries in the order written; the milestones reported done are the
    entry ``milestones``. :attr:`record` is the record itself, ready for ``Indicator.evaluate``.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n  level 1 if x >= 5\\n  example level 1: x = 5\\n')
    >>> example, = rules["1"].examples
    >>> example.record, example.level, example.score, example.rejected, example.line
    ({'x': Decimal('5')}, 1, None, False, 3)
    """

    values: tuple[tuple[str, ExampleValue], ...] = ()
    level: int | None = None
    score: Decimal | None = None
    rejected: bool = False
    score_text: str | None = attrs.field(default=None, eq=False, repr=False)
    texts: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
    value_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)
    span: Span = _span()

    @property
    def record(self) -> dict[str, object]:
        """The record as ``Indicator.evaluate`` takes it (a new dict each time): numbers as
        ``Decimal``, flags as ``bool``, milestones as a list of level numbers."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in self.values}

    @property
    def line(self) -> int:
        """The line of the ``example`` statement."""
        return self.span.line


Statement = Field | Measure | Let | Level | Example


@attrs.frozen(slots=True)
class IndicatorNode:
    """One ``indicator`` block as written."""

    id: str
    title: str
    strategy: str | None = None
    team: str | None = None
    weight: Decimal | None = None
    year: int | None = None
    round: int | None = None
    measures: tuple[Measure, ...] = ()
    lets: tuple[Let, ...] = ()
    levels: tuple[Level, ...] = ()
    examples: tuple[Example, ...] = ()
    policy: Policy = "ordered"
    interpolate: bool = False
    id_text: str = attrs.field(default="", eq=False, repr=False)
    weight_text: str | None = attrs.field(default=None, eq=False, repr=False)
    statements: tuple[Statement, ...] = attrs.field(default=(), eq=False, repr=False)
    span: Span = _span()


@attrs.frozen(slots=True)
class RuleFile:
    """A whole rule file: the optional catalogue header and the indicators in file order."""

    id: str | None = None
    title: str | None = None
    position: str | None = None
    year: int | None = None
    round: int | None = None
    indicators: tuple[IndicatorNode, ...] = ()
    source: str = attrs.field(default="<string>", eq=False)
    header: tuple[Field, ...] = attrs.field(default=(), eq=False, repr=False)
