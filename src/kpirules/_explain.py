"""Explanations of a result: which conditions held, with the numbers, and what the next level needs.

The levels' effective conditions and how they combine come from the scoring core (a milestone level
is a :class:`~kpirules.nodes.Done` condition there), so this module decides nothing about scoring:
it only puts the core's verdicts into words, in English or in Thai.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from kpirules import nodes
from kpirules._keywords import spelling
from kpirules._messages import text
from kpirules._numbers import CONTEXT, show
from kpirules._scoring import evaluate, ladder
from kpirules._semantics import describe_expr

__all__ = ["explain"]

Atom = tuple[nodes.Expr, nodes.CompareOp, nodes.Expr] | nodes.Name | nodes.Done


def explain(
    node: nodes.IndicatorNode,
    level: int,
    score: Decimal,
    values: Mapping[str, Any],
    done: frozenset[int],
    language: str,
) -> str:
    """The explanation of a result of ``node`` (see :meth:`kpirules.Result.explain`)."""
    words = _Words(language)
    rules = ladder(node)
    lines = [words("explain-head", indicator=node.id, title=node.title, level=level,
                   top=rules.top, score=show(score))]
    if len(values) < len(node.measures) + len(node.lets):
        # A result read back from an engine that keeps levels and scores only (SQL).
        lines.append("  " + words("explain-without-values"))
        return "\n".join(lines)
    if values:
        shown = ", ".join(f"{name} = {words.value(value)}" for name, value in values.items())
        lines.append("  " + words("explain-values", values=shown))
    needs: str | None = None
    met_so_far = True
    for number, condition in enumerate(rules.conditions, 1):
        holds = bool(evaluate(condition, values, done))
        reasons = _reasons(number, condition, holds, values, done, words)
        code = "explain-met" if holds else "explain-not-met"
        if holds and not met_so_far and rules.cumulative:
            code = "explain-held-not-counted"
        lines.append("  " + words(code, level=number, reasons=reasons))
        met_so_far = met_so_far and holds
        if needs is None and number > level and not holds:
            needs = "  " + words("explain-needs", level=number,
                                 what=_unmet(condition, values, done, words))
    if needs is not None:
        lines.append(needs)
    elif level < rules.top:
        lines.append("  " + words("explain-needs-below", level=level + 1))
    return "\n".join(lines)


class _Words:
    """The messages of one explanation, in one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, code: str, **parts: Any) -> str:
        return text(code, self.language, **parts)

    def code(self, expr: nodes.Expr) -> str:
        return describe_expr(expr, lambda keyword: spelling(keyword, self.language))

    def value(self, value: Any) -> str:
        if isinstance(value, bool):
            return self("word-true" if value else "word-false")
        return show(value)

    def atom(self, atom: Atom, values: Mapping[str, Any], done: frozenset[int]) -> tuple[bool, str]:
        if isinstance(atom, nodes.Done):
            held = atom.level in done
            return held, self("milestone-done" if held else "milestone-not-done", levels=atom.level)
        if isinstance(atom, nodes.Name):
            value = bool(values[atom.name])
            return value, self("explain-flag", name=atom.name, value=self.value(value))
        left_expr, op, right_expr = atom
        left, right = evaluate(left_expr, values, done), evaluate(right_expr, values, done)
        holds = bool(evaluate(nodes.Compare((left_expr, right_expr), (op,)), values, done))
        written = f"{self.code(left_expr)} {op} {self.code(right_expr)}"
        if not holds:
            return holds, f"{written}: {self.gap(left, op, right)}"
        if isinstance(left_expr, nodes.Name):
            return holds, f"{written} ({left_expr.name} = {show(left)})"
        return holds, self("explain-now", written=written, now=show(left))

    def gap(self, left: Decimal, op: str, right: Decimal) -> str:
        if op == ">=":
            return self("gap-short", now=show(left), gap=show(CONTEXT.subtract(right, left)))
        if op == "<=":
            return self("gap-too-high", now=show(left), gap=show(CONTEXT.subtract(left, right)))
        code = {">": "gap-more-than", "<": "gap-less-than", "==": "gap-exactly"}.get(op, "gap-not")
        return self(code, now=show(left), value=show(right))


def _atoms(expr: nodes.Expr) -> Iterator[Atom]:
    if isinstance(expr, nodes.Compare):
        yield from zip(expr.operands, expr.ops, expr.operands[1:])
    elif isinstance(expr, (nodes.Name, nodes.Done)):
        yield expr
    elif isinstance(expr, nodes.Not):
        yield from _atoms(expr.operand)
    elif isinstance(expr, nodes.BoolOp):
        for operand in expr.operands:
            yield from _atoms(operand)


def _milestones(condition: nodes.Expr) -> list[int] | None:
    """The milestone levels a condition of milestones only needs (None for any other)."""
    atoms = list(_atoms(condition))
    if atoms and all(isinstance(atom, nodes.Done) for atom in atoms):
        return [atom.level for atom in atoms if isinstance(atom, nodes.Done)]
    return None


def _reasons(number: int, condition: nodes.Expr, holds: bool, values: Mapping[str, Any],
             done: frozenset[int], words: _Words) -> str:
    needed = _milestones(condition)
    if needed is None:
        return "; ".join(words.atom(atom, values, done)[1] for atom in _atoms(condition))
    if holds:
        return words("milestone-done", levels=number)
    missing = ", ".join(str(level) for level in needed if level not in done)
    return words("milestone-not-done", levels=missing)


def _unmet(condition: nodes.Expr, values: Mapping[str, Any], done: frozenset[int],
           words: _Words) -> str:
    atoms = list(_atoms(condition))
    needed = _milestones(condition)
    if needed is not None:
        return words("milestone-done", levels=needed[-1])
    failing = [said for held, said in (words.atom(atom, values, done) for atom in atoms) if not held]
    if not failing or not isinstance(condition, (nodes.Compare, nodes.BoolOp)):
        return words.code(condition)
    if isinstance(condition, nodes.BoolOp) and condition.op == "or":
        return words("needs-one-of", items="; ".join(failing))
    return "; ".join(failing)
