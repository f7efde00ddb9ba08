"""Load-time checks: what a rule file must mean before anything is evaluated.

Level numbering, duplicate ids and names, `let` order, keyword and type errors (a number where a
condition is needed and the reverse) and the shape `score interpolate` needs. Each failure is a
:class:`ParseError` at the line and column of the statement or expression at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Literal

import attrs

from kpirules import nodes
from kpirules._examples import check_examples
from kpirules._keywords import spelling
from kpirules._messages import Keyword, Message, message
from kpirules._parser import source_line
from kpirules._scoring import MILESTONES, interpolation
from kpirules.errors import ParseError
from kpirules.limits import MAX_INDICATORS, MAX_LETS, MAX_TERMS

__all__ = ["Code", "analyse", "describe_expr", "walk"]

Type = Literal["number", "condition"]


def walk(expr: nodes.Expr) -> Iterator[nodes.Expr]:
    """``expr`` and every expression inside it, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, nodes.BinaryOp):
            stack += [node.right, node.left]
        elif isinstance(node, (nodes.Compare, nodes.BoolOp)):
            stack += reversed(node.operands)
        elif isinstance(node, (nodes.Negate, nodes.Not)):
            stack.append(node.operand)


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def _precedence(expr: nodes.Expr) -> int:
    if isinstance(expr, nodes.BoolOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, nodes.Not):
        return _PRECEDENCE["not"]
    if isinstance(expr, nodes.Compare):
        return _PRECEDENCE["compare"]
    if isinstance(expr, nodes.BinaryOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, nodes.Negate):
        return _PRECEDENCE["neg"]
    return 8


def _english(keyword: str) -> str:
    return keyword


def describe_expr(expr: nodes.Expr, spell: Callable[[str], str] = _english) -> str:
    """``expr`` written back as rule text, with the parentheses its structure needs and no more;
    ``spell`` gives the spelling of the keywords ``and``, ``or`` and ``not`` (the formatter passes
    the Thai ones for a Thai file)."""

    def wrap(child: nodes.Expr, needed: bool) -> str:
        text = describe_expr(child, spell)
        return f"({text})" if needed else text

    if isinstance(expr, nodes.Number):
        return expr.text
    if isinstance(expr, nodes.Name):
        return expr.name
    mine = _precedence(expr)
    if isinstance(expr, nodes.Negate):
        return "-" + wrap(expr.operand, _precedence(expr.operand) < mine)
    if isinstance(expr, nodes.Not):
        return f"{spell('not')} " + wrap(expr.operand, _precedence(expr.operand) < mine)
    if isinstance(expr, nodes.BinaryOp):
        left = wrap(expr.left, _precedence(expr.left) < mine)
        right = wrap(expr.right, _precedence(expr.right) <= mine)
        return f"{left} {expr.op} {right}"
    if isinstance(expr, nodes.Compare):
        parts = [wrap(expr.operands[0], _precedence(expr.operands[0]) <= mine)]
        for op, operand in zip(expr.ops, expr.operands[1:]):
            parts += [op, wrap(operand, _precedence(operand) <= mine)]
        return " ".join(parts)
    if isinstance(expr, nodes.Done):
        return f"{spell('milestone')} {expr.level}"
    return f" {spell(expr.op)} ".join(
        wrap(operand, _precedence(operand) <= mine) for operand in expr.operands
    )


class _Checker:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source

    def error(self, problem: Message, span: nodes.Span) -> ParseError:
        line = max(span.line, 1)
        return ParseError(problem, self.source, line, max(span.column, 1),
                          source_line(self.text, line))

    def file(self, raw: nodes.RuleFile) -> nodes.RuleFile:
        header = self.fields(raw.header, None)
        seen: dict[str, nodes.IndicatorNode] = {}
        indicators = []
        if len(raw.indicators) > MAX_INDICATORS:
            raise self.error(message("limit-indicators", limit=MAX_INDICATORS),
                             raw.indicators[MAX_INDICATORS].span)
        for indicator in raw.indicators:
            if indicator.id in seen:
                first = seen[indicator.id].span.line
                raise self.error(message("duplicate-indicator", indicator=indicator.id, line=first),
                                 indicator.span)
            seen[indicator.id] = indicator
            indicators.append(self.indicator(indicator))
        return attrs.evolve(
            raw,
            id=header.get("catalogue"),
            title=header.get("title"),
            position=header.get("position"),
            year=_int(header.get("year")),
            round=_int(header.get("round")),
            indicators=tuple(indicators),
        )

    def fields(self, statements: tuple[object, ...], indicator: str | None) -> dict[str, str]:
        values: dict[str, str] = {}
        lines: dict[str, int] = {}
        for statement in statements:
            if not isinstance(statement, nodes.Field):
                continue
            if statement.keyword in values:
                where = (message("where-indicator", indicator=indicator) if indicator
                         else message("where-header"))
                raise self.error(message("duplicate-field", keyword=Keyword(statement.keyword),
                                         where=where, line=lines[statement.keyword]),
                                 statement.span)
            values[statement.keyword] = statement.value
            lines[statement.keyword] = statement.span.line
        return values

    def indicator(self, raw: nodes.IndicatorNode) -> nodes.IndicatorNode:
        fields = self.fields(raw.statements, raw.id)
        statements = raw.statements
        declared = [s for s in statements if isinstance(s, nodes.Measure)]
        lets = [s for s in statements if isinstance(s, nodes.Let)]
        levels = [s for s in statements if isinstance(s, nodes.Level)]
        types = self.names(raw, declared, lets)
        implicit: dict[str, nodes.Measure] = {}

        def type_of(expr: nodes.Expr, defined: set[str]) -> Type:
            self.terms(expr)
            return self.type_of(expr, types, defined, implicit, raw)

        if len(lets) > MAX_LETS:
            raise self.error(message("limit-lets", indicator=raw.id, limit=MAX_LETS),
                             lets[MAX_LETS].span)
        defined = {m.name for m in declared}
        for let in lets:
            types[let.name] = type_of(let.expr, defined)
            defined.add(let.name)
        for level in levels:
            if level.condition is not None and type_of(level.condition, defined) != "condition":
                raise self.not_a_condition(level.condition)
        for measure in (*declared, *implicit.values()):
            if measure.name == MILESTONES:
                raise self.error(message("reserved-measure-name", name=measure.name),
                                 measure.span)
        self.numbering(raw, levels)
        policy: Literal["ordered", "highest"] = (
            "highest" if fields.get("policy") == "highest" else "ordered")
        interpolate = "score" in fields
        checked = attrs.evolve(
            raw,
            strategy=fields.get("strategy"),
            team=fields.get("team"),
            weight=None if "weight" not in fields else _decimal(fields["weight"]),
            weight_text=fields.get("weight"),
            year=_int(fields.get("year")),
            round=_int(fields.get("round")),
            measures=(*declared, *implicit.values()),
            lets=tuple(lets),
            levels=tuple(sorted(levels, key=lambda level: level.number)),
            examples=tuple(s for s in statements if isinstance(s, nodes.Example)),
            policy=policy,
            interpolate=interpolate,
        )
        if interpolate and interpolation(checked) is None:
            score = next(s for s in statements if isinstance(s, nodes.Field) and s.keyword == "score")
            raise self.error(message("interpolate-shape"), score.span)
        check_examples(checked, self.source, self.text, close_names)
        return checked

    def terms(self, expr: nodes.Expr) -> None:
        count = 0
        for node in walk(expr):
            if isinstance(node, (nodes.Name, nodes.Number)):
                count += 1
                if count > MAX_TERMS:
                    raise self.error(message("limit-terms", limit=MAX_TERMS), node.span)

    def names(
        self, raw: nodes.IndicatorNode, declared: list[nodes.Measure], lets: list[nodes.Let]
    ) -> dict[str, Type]:
        types: dict[str, Type] = {}
        where: dict[str, int] = {}
        items: list[nodes.Measure | nodes.Let] = [*declared, *lets]
        for item in items:
            if item.name in types:
                raise self.error(message("duplicate-name", name=item.name, indicator=raw.id,
                                         line=where[item.name]), item.span)
            kind = item.kind if isinstance(item, nodes.Measure) else "number"
            types[item.name] = "condition" if kind == "flag" else "number"
            where[item.name] = item.span.line
        return types

    def type_of(
        self,
        expr: nodes.Expr,
        types: dict[str, Type],
        defined: set[str],
        implicit: dict[str, nodes.Measure],
        raw: nodes.IndicatorNode,
    ) -> Type:
        # Names first, in file order, so the first problem reported is the first one written.
        for node in walk(expr):
            if not isinstance(node, nodes.Name) or node.name in defined:
                continue
            if node.name in types:
                raise self.error(message("let-before-definition", name=node.name), node.span)
            implicit[node.name] = nodes.Measure(node.name, implicit=True, span=node.span,
                                                 name_span=node.span)
            types[node.name] = "number"
            defined.add(node.name)
        return self.infer(expr, types)

    def infer(self, expr: nodes.Expr, types: dict[str, Type]) -> Type:
        if isinstance(expr, nodes.Number):
            return "number"
        if isinstance(expr, nodes.Name):
            return types[expr.name]
        if isinstance(expr, (nodes.Negate, nodes.BinaryOp)):
            for operand in (expr.operand,) if isinstance(expr, nodes.Negate) else (expr.left, expr.right):
                if self.infer(operand, types) != "number":
                    raise self.not_a_number(operand)
            return "number"
        if isinstance(expr, nodes.Compare):
            for operand in expr.operands:
                if self.infer(operand, types) != "number":
                    raise self.not_a_number(operand)
            return "condition"
        if isinstance(expr, nodes.Done):
            return "condition"
        for operand in (expr.operand,) if isinstance(expr, nodes.Not) else expr.operands:
            if self.infer(operand, types) != "condition":
                raise self.not_a_condition(operand)
        return "condition"

    def not_a_condition(self, expr: nodes.Expr) -> ParseError:
        return self.error(message("number-not-condition", code=Code(expr)), expr.span)

    def not_a_number(self, expr: nodes.Expr) -> ParseError:
        code = "flag-not-number" if isinstance(expr, nodes.Name) else "condition-not-number"
        return self.error(message(code, code=Code(expr)), expr.span)

    def numbering(self, raw: nodes.IndicatorNode, levels: list[nodes.Level]) -> None:
        if not levels:
            raise self.error(message("no-levels", indicator=raw.id), raw.span)
        seen: dict[int, nodes.Level] = {}
        for level in levels:
            if level.number in seen:
                raise self.error(message("duplicate-level", level=level.number, indicator=raw.id,
                                         line=seen[level.number].span.line), level.span)
            seen[level.number] = level
        top = max(seen)
        missing = [number for number in range(1, top + 1) if number not in seen]
        if missing:
            after = next(level for level in levels if level.number > missing[0])
            names = ", ".join(str(number) for number in missing)
            raise self.error(message("level-gap", indicator=raw.id, missing=names, top=top),
                             after.span)


@attrs.frozen
class Code:
    """An expression quoted in a message, its ``and``/``or``/``not`` spelt in the reader's
    language; ``negated`` quotes it under a ``not`` (``not (x < 5)``, ``not flag``)."""

    expr: nodes.Expr
    negated: bool = False

    def render(self, language: str) -> str:
        def spell(keyword: str) -> str:
            return spelling(keyword, language)

        written = describe_expr(self.expr, spell)
        if not self.negated:
            return written
        if isinstance(self.expr, nodes.Compare):
            written = f"({written})"
        return f"{spell('not')} {written}"

    def __str__(self) -> str:
        return self.render("en")


def _int(value: str | None) -> int | None:
    return None if value is None else int(_decimal(value))


def _decimal(text: str) -> Decimal:
    from kpirules._parser import thai_digits_to_ascii

    return Decimal(thai_digits_to_ascii(text).replace("_", ""))


def close_names(name: str, candidates: list[str]) -> list[str]:
    """The candidates that look like a misspelling of ``name``."""
    import difflib

    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)


def analyse(raw: nodes.RuleFile, text: str) -> nodes.RuleFile:
    """Check ``raw`` (from the parser) and fill in what the statements mean."""
    return _Checker(text, raw.source).file(raw)
