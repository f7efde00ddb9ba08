"""What an editor asks about a rule file, answered from the syntax tree: the indicator and the name
at a place, where a name is declared and used, what a hover shows, what completion offers, which
"did you mean" fixes a message suggests.

Places here are kpirules' own: 1-based lines and columns counted in characters, as in
:class:`~kpirules.nodes.Span`. :mod:`kpirules.lsp` turns them into the protocol's units through
:mod:`kpirules._positions`. Nothing here parses text again: it reads the tree that
:func:`kpirules.parse` built (``RuleSet.node``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from kpirules import nodes
from kpirules._check import Diagnostic
from kpirules._format import _Printer
from kpirules._keywords import THAI, spelling
from kpirules._messages import Keyword, Message, check_language, text
from kpirules._semantics import walk
from kpirules.errors import EvaluationError
from kpirules.model import Indicator, RuleSet

__all__ = [
    "CheckMemo",
    "Symbol",
    "declaration",
    "declared",
    "fix_of",
    "hover_text",
    "indicator_at",
    "keyword",
    "keyword_items",
    "name_items",
    "references",
    "replace_spans",
    "statement_at",
    "symbol_at",
    "word_end",
]


@attrs.frozen
class Symbol:
    """A measure or ``let`` name at a place, with the indicator it belongs to."""

    indicator: nodes.IndicatorNode
    name: str
    span: nodes.Span


def _contains(span: nodes.Span, line: int, column: int, inclusive_end: bool = False) -> bool:
    """Whether ``span`` covers (line, column); with ``inclusive_end`` the place just after its last
    character counts too (an editor's cursor after a name it just typed)."""
    if span.line == 0:
        return False
    end = (span.end_line, span.end_column + (1 if inclusive_end else 0))
    return (span.line, span.column) <= (line, column) < end


def indicator_at(tree: nodes.RuleFile, line: int) -> nodes.IndicatorNode | None:
    """The indicator whose block holds ``line``: the last one that starts on or before it (a blank
    line under an indicator still belongs to it, for completion)."""
    found = None
    for indicator in tree.indicators:
        if indicator.span.line > line:
            break
        found = indicator
    return found


def _uses(indicator: nodes.IndicatorNode) -> Iterator[tuple[str, nodes.Span]]:
    """Every place ``indicator`` reads a name, in file order: the names in its expressions, then
    the names its example records give values to (read through ``getattr``, for a kpirules with
    examples in rule files)."""
    exprs = [let.expr for let in indicator.lets]
    exprs += [level.condition for level in indicator.levels if level.condition is not None]
    for expr in exprs:
        for part in walk(expr):
            if isinstance(part, nodes.Name):
                yield part.name, part.span
    for example in getattr(indicator, "examples", ()) or ():
        values = getattr(example, "values", ())
        for (name, _), span in zip(values, getattr(example, "value_spans", ())):
            yield name, span


def _items(indicator: nodes.IndicatorNode) -> list[nodes.Measure | nodes.Let]:
    """The measures (implicit ones too) and ``let`` statements of ``indicator``."""
    return [*indicator.measures, *indicator.lets]


def declared(indicator: nodes.IndicatorNode) -> list[nodes.Measure | nodes.Let]:
    """The measures and ``let`` statements written in ``indicator`` (not implicit measures), in
    file order."""
    items = [item for item in _items(indicator)
             if not (isinstance(item, nodes.Measure) and item.implicit)]
    return sorted(items, key=lambda item: (item.span.line, item.span.column))


def declaration(indicator: nodes.IndicatorNode, name: str) -> nodes.Measure | nodes.Let | None:
    """The measure or ``let`` called ``name`` in ``indicator`` (an implicit measure too)."""
    for item in _items(indicator):
        if item.name == name:
            return item
    return None


def symbol_at(tree: nodes.RuleFile, line: int, column: int) -> Symbol | None:
    """The measure or ``let`` name at (line, column): where it is declared or used."""
    indicator = indicator_at(tree, line)
    if indicator is None:
        return None
    for item in declared(indicator):
        if _contains(item.name_span, line, column, inclusive_end=True):
            return Symbol(indicator, item.name, item.name_span)
    for name, span in _uses(indicator):
        if _contains(span, line, column, inclusive_end=True):
            return Symbol(indicator, name, span)
    return None


def references(symbol: Symbol, include_declaration: bool = True) -> list[nodes.Span]:
    """Where ``symbol``'s name is declared and used in its indicator, in file order."""
    spans = [span for name, span in _uses(symbol.indicator) if name == symbol.name]
    item = declaration(symbol.indicator, symbol.name)
    if include_declaration and item is not None and item.name_span not in spans:
        spans.append(item.name_span)
    return sorted(set(spans), key=lambda span: (span.line, span.column))


def statement_at(tree: nodes.RuleFile, line: int, column: int) -> nodes.Statement | None:
    """The statement of the indicator at ``line`` that covers (line, column)."""
    indicator = indicator_at(tree, line)
    if indicator is None:
        return None
    for statement in indicator.statements:
        if _contains(statement.span, line, column, inclusive_end=True):
            return statement
    return None


# Hover


def _code(text: str) -> str:
    return f"```kpi\n{text}\n```"


def _plain(words: str) -> str:
    r"""``words`` (a description or a unit from the rule file) as Markdown that shows them as
    written: every ASCII punctuation mark that Markdown could read as formatting is escaped.

    >>> print(_plain("ร้อยละ *ของ* weight_total [GVH] <5>"))
    ร้อยละ \*ของ\* weight\_total \[GVH\] \<5\>
    """
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~])", r"\\\1", words)


def _measure_hover(measure: nodes.Measure, language: str) -> str:
    if measure.implicit:
        return f"{_code(measure.name)}\n\n{text('lsp-implicit', language)}"
    parts = [_code(_Printer("", language).measure(measure))]  # type: ignore[arg-type]
    if measure.description is not None:
        parts.append(_plain(measure.description))
    if measure.has_range:
        shown = f"{measure.low_text or ''}..{measure.high_text or ''}"
    else:
        shown = text("lsp-any-value", language)
    facts = [f"{text('lsp-kind', language)}: `{spelling(measure.kind, language)}`",
             f"{text('lsp-range', language)}: {shown}"]
    if measure.unit is not None:
        facts.append(f"{text('lsp-unit', language)}: {_plain(measure.unit)}")
    parts.append(" · ".join(facts))
    return "\n\n".join(parts)


def _let_hover(let: nodes.Let, indicator: Indicator | None, language: str) -> str:
    printer = _Printer("", language)  # type: ignore[arg-type]
    parts = [_code(f"{printer.kw('let')} {let.name} = {printer.expr(let.expr)}")]
    values = list(_example_values(let.name, indicator, language)) if indicator is not None else []
    if values:
        parts.append(f"{text('lsp-examples', language)}:\n\n" + "\n".join(values))
    return "\n\n".join(parts)


def _example_values(name: str, indicator: Indicator, language: str) -> Iterator[str]:
    """``name``'s value for each example record of ``indicator``, one Markdown list line each.

    Examples are read through ``getattr``: a rule file without them (or a kpirules without
    ``Indicator.examples``) simply shows none.
    """
    for example in getattr(indicator, "examples", ()) or ():
        record = getattr(example, "record", None)
        where = getattr(example, "line", None)
        head = f"- {text('lsp-example-line', language, line=where)}: " if where else "- "
        if record is None:
            continue
        try:
            value: Any = indicator.evaluate(record, strict=False).values.get(name)
        except EvaluationError:
            yield f"{head}{text('lsp-rejected', language)}"
            continue
        if value is not None:
            yield f"{head}`{value}`"


def _level_hover(level: nodes.Level, language: str) -> str:
    printer = _Printer("", language)  # type: ignore[arg-type]
    parts = [_code(printer.level(attrs.evolve(level, description=None))[0])]
    if level.description is not None:
        parts.append(_plain(level.description))
    if level.is_milestone:
        parts.append(text("lsp-milestone", language))
    return "\n\n".join(parts)


def hover_text(rules: RuleSet, line: int, column: int, language: str
               ) -> tuple[str, nodes.Span] | None:
    """Markdown for a hover at (line, column) and the span it is about, or None: a measure's
    declaration, description, kind, range and unit; a ``let``'s expression and its value for each
    example record; a level's condition and description."""
    tree = rules.node
    language = language if language == "th" else "en"
    node = indicator_at(tree, line)
    indicator = rules[node.id] if node is not None and node.id in rules else None
    symbol = symbol_at(tree, line, column)
    if symbol is not None:
        item = declaration(symbol.indicator, symbol.name)
        if isinstance(item, nodes.Measure):
            return _measure_hover(item, language), symbol.span
        if isinstance(item, nodes.Let):
            return _let_hover(item, indicator, language), symbol.span
        return None
    statement = statement_at(tree, line, column)
    if isinstance(statement, nodes.Level):
        return _level_hover(statement, language), statement.span
    if isinstance(statement, nodes.Measure):
        return _measure_hover(statement, language), statement.span
    if isinstance(statement, nodes.Let):
        return _let_hover(statement, indicator, language), statement.span
    return None


def replace_spans(text: str, spans: list[nodes.Span], new: str) -> str:
    r"""``text`` with each one-line span replaced by ``new`` (the spans do not overlap).

    >>> replace_spans("let a = a1 + a\nlevel 1 if a > 0", [nodes.Span(1, 5, 1, 6),
    ...     nodes.Span(1, 14, 1, 15), nodes.Span(2, 12, 2, 13)], "ค่า")
    'let ค่า = a1 + ค่า\nlevel 1 if ค่า > 0'
    """
    lines = text.split("\n")
    for span in sorted(spans, key=lambda s: (s.line, s.column), reverse=True):
        line = lines[span.line - 1]
        lines[span.line - 1] = line[: span.column - 1] + new + line[span.end_column - 1 :]
    return "\n".join(lines)


def keyword(english: str, language: str) -> str:
    """``english`` as the file's language spells it."""
    return spelling(english, language)


# Completion


def keyword_items(language: str) -> list[tuple[str, str]]:
    """Every keyword as (spelling in ``language``, the English keyword), in the reference's order."""
    return [(spelling(keyword, language), keyword) for keyword in THAI]


def name_items(indicator: nodes.IndicatorNode) -> list[tuple[str, nodes.Measure | nodes.Let]]:
    """The measure and ``let`` names of ``indicator`` (implicit measures included), with what
    declares them."""
    return [(item.name, item) for item in _items(indicator)]


# Checking on each keystroke


class CheckMemo:
    """:func:`kpirules.check` for one document edited over and over, keeping each indicator's
    findings while its text does not change.

    An indicator's findings depend on its own statements alone
    (:func:`kpirules._check.indicator_findings`), and its statements on its lines of text: the
    same lines give the same findings, moved by as many lines as the indicator moved. So a
    keystroke re-checks the indicator it is in and the weights of the file, and reuses the rest.
    Findings are kept before they are put into words, so the memo serves either language.
    """

    def __init__(self) -> None:
        # (the indicator's lines, the column it starts at) → (its first line then, its findings)
        self.known: dict[tuple[str, int], tuple[int, list[Any]]] = {}

    def findings(self, rules: RuleSet, lines: list[str], language: str | None = None
                 ) -> list[Diagnostic]:
        """``check(rules, language)`` for ``rules`` parsed from ``lines``, in the same order."""
        from kpirules._check import file_findings, indicator_findings
        from kpirules.limits import budget

        found = file_findings(rules)
        known: dict[tuple[str, int], tuple[int, list[Any]]] = {}
        # The same time budget as `check`, so that a hostile file cannot hold the editor up.
        with budget(sum(len(indicator.node.statements) + 1 for indicator in rules)):
            for indicator in rules:
                span = indicator.node.span
                key = ("\n".join(lines[span.line - 1 : span.end_line]), span.column)
                entry = self.known.get(key) or (span.line, indicator_findings(indicator))
                known[key] = entry
                start, findings = entry
                shift = span.line - start
                found += ([(*f[:4], f[4] + shift, f[5]) for f in findings] if shift
                          else findings)
        self.known = known
        found.sort(key=lambda finding: (finding[4], finding[5]))
        chosen = check_language(rules.language if language is None else language)
        return [Diagnostic.of(*finding, language=chosen) for finding in found]


# Fixes

def fix_of(problem: object, language: str) -> str | None:
    """The word a message suggests in place of the one it points at, read from its parts: the
    keyword a misspelt statement meant (spelt in ``language``), a Thai keyword with the space it
    needs before the name that follows it, or the name a "did you mean" hint offers (a name used
    without a declaration).

    >>> from kpirules._messages import message
    >>> fix_of(message("misspelt-keyword", value="ระดบ", keyword=Keyword("level")), "th")
    'ระดับ'
    >>> hint = message("hint-did-you-mean", name="growth")
    >>> fix_of(message("check-implicit-measure", name="growht", hint=hint), "en")
    'growth'
    >>> fix_of(message("check-hint-declare", name="x"), "en") is None
    True
    """
    if not isinstance(problem, Message):
        return None
    parts = dict(problem.parts)
    if problem.code == "misspelt-keyword":
        keyword = parts.get("keyword")
        if isinstance(keyword, Keyword):
            return spelling(keyword.name, language)
        render = getattr(keyword, "render", None)  # the parser's guess, spelt for the reader
        return str(render(language)) if callable(render) else None
    if problem.code == "keyword-needs-space" and isinstance(parts.get("example"), str):
        return str(parts["example"])
    if problem.code == "hint-did-you-mean" and isinstance(parts.get("name"), str):
        return str(parts["name"])
    return next((fix for part in parts.values() if (fix := fix_of(part, language)) is not None),
                None)


def word_end(line: str, column: int) -> int:
    """The column just after the word that starts at ``column`` on ``line`` (a name, a keyword or
    a number, Thai vowels and tone marks included), or after the one character there when it is
    not a word; ``column`` itself past the end of the line.

    >>> word_end("  level 1 if ร้อยละ >= 5", 14)  # ร้อยละ: six characters from column 14
    20
    >>> word_end("  level 1 if x => 5", 16)
    17
    """
    index = column - 1
    if index >= len(line):
        return column
    end = index
    while end < len(line) and ("a" + line[index : end + 1]).isidentifier():
        end += 1
    return max(end, index + 1) + 1
