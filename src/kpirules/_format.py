"""The canonical formatter: one layout for every rule file, comments kept.

The layout: header statements at the left margin; a blank line before every ``indicator``; the
statements of an indicator indented two spaces, one per line, in the order written; a description
that was on the line after its level stays there, indented four spaces; single spaces around
operators and no parentheses beyond those the expression needs; numbers exactly as written; strings
with the canonical escapes. Blank lines between statements are kept (several become one). Every
comment is kept: a comment on a line of its own stays before the statement that followed it, a
comment after a statement stays at the end of that statement's line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from kpirules import nodes
from kpirules._keywords import BY_SPELLING, THAI
from kpirules._messages import message
from kpirules._parser import iter_comments, one_reading, parse_tree, source_line
from kpirules._semantics import describe_expr
from kpirules.errors import UsageError

__all__ = ["format", "quote"]

Language = Literal["en", "th"]


def quote(text: str) -> str:
    """``text`` as a rule-file string literal.

    >>> print(quote('say "hi"\\tnow'))
    "say \\"hi\\"\\tnow"
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t") + '"'


def format(text: str, keywords: Language | None = None, source: str = "<string>") -> str:
    """``text`` in the canonical layout; ``keywords="th"`` or ``"en"`` also rewrites every keyword
    in that language (by default a file keeps its own). ``source`` names the text in errors, which
    are in Thai for a file written with Thai keywords.

    ``format(format(t)) == format(t)``, and ``parse(format(t))`` is equal to ``parse(t)``.
    A file that does not parse raises :class:`~kpirules.ParseError`.

    >>> import kpirules
    >>> print(kpirules.format('indicator 1 "t" weight 20 # the weight\\nlevel 1 if (x>=25)'), end="")
    indicator 1 "t"
      weight 20  # the weight
      level 1 if x >= 25
    >>> print(kpirules.format('indicator 1 "t"\\n  level 1 if x >= 25 and not y < 2', keywords="th"), end="")
    ตัวชี้วัด 1 "t"
      ระดับ 1 ถ้า x >= 25 และ ไม่ y < 2
    """
    if keywords not in (None, "en", "th"):
        raise UsageError(message("bad-language", what="keywords", value=repr(keywords)))
    if text.startswith("\ufeff"):
        text = text[1:]
    text = one_reading(text)
    from kpirules._load import checked_tree

    checked_tree(text, source)  # a file that would not load is not formatted
    raw = parse_tree(text, source)
    language: Language = keywords or _language_of(text, raw)
    return _Printer(text, language).file(raw)


def _language_of(text: str, raw: nodes.RuleFile) -> Language:
    """The language of the file's first keyword (English when it has none)."""
    first: list[nodes.Span] = [field.span for field in raw.header[:1]]
    first += [indicator.span for indicator in raw.indicators[:1]]
    if not first:
        return "en"
    span = min(first, key=lambda s: (s.line, s.column))
    line = source_line(text, span.line) or ""
    word = line[span.column - 1 :].split(maxsplit=1)[0] if line.strip() else ""
    return "th" if word in BY_SPELLING and word not in THAI else "en"


class _Printer:
    def __init__(self, text: str, language: Language) -> None:
        self.text = text
        self.language = language
        lines = text.split("\n")
        self.blank = {number for number, line in enumerate(lines, start=1) if not line.strip()}
        self.own_line: list[tuple[int, str]] = []
        self.trailing: dict[int, list[str]] = {}
        for line, column, comment in iter_comments(text):
            if lines[line - 1][: column - 1].strip():
                self.trailing.setdefault(line, []).append(comment)
            else:
                self.own_line.append((line, comment))
        self.out: list[str] = []
        self.last_line = 0  # the last source line already printed
        self.last_start: dict[int, tuple[int, int]] = {}  # line → where its last statement starts

    def kw(self, word: str) -> str:
        return THAI[word] if self.language == "th" else word

    # layout

    def gap_before(self, line: int) -> None:
        if self.out and any(n in self.blank for n in range(self.last_line + 1, line)):
            self.blank_line()

    def blank_line(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def comments_before(self, line: int, indent: str) -> None:
        while self.own_line and self.own_line[0][0] < line:
            number, comment = self.own_line.pop(0)
            self.gap_before(number)
            self.out.append(indent + comment)
            self.last_line = number

    def emit(self, span: nodes.Span, indent: str, lines: list[str], split_at: int | None = None,
             claim: bool = True) -> None:
        """Print a statement of one or two lines, with the comments that belong to it."""
        self.comments_before(span.line, indent)
        self.gap_before(span.line)
        if not claim:
            self.out.extend(indent + line for line in lines)
            self.last_line = span.line - 1
            return
        here = (span.line, span.column)

        def claim_line(number: int) -> list[str]:
            # A comment at the end of a line belongs to the last statement that starts on it.
            if self.last_start.get(number, here) > here:
                return []
            return self.trailing.pop(number, [])

        first_comments = claim_line(span.line) if split_at is not None else []
        end = max(span.end_line, span.line)
        # Any comment left behind code on a line not yet printed (a title on a line of its own,
        # say) travels with the next statement.
        first = min(span.line, self.last_line + 1)
        rest = [c for n in range(first, end + 1) for c in claim_line(n)]
        if split_at is not None and len(lines) > 1:
            lines[0] = _with_comments(lines[0], first_comments)
        else:
            rest = first_comments + rest
        lines[-1] = _with_comments(lines[-1], rest)
        self.out.extend(indent + line if i == 0 else line for i, line in enumerate(lines))
        self.last_line = end

    # the file

    def file(self, raw: nodes.RuleFile) -> str:
        spans = [field.span for field in raw.header]
        for indicator in raw.indicators:
            spans.append(indicator.span)
            spans += [statement.span for statement in indicator.statements]
        for span in spans:
            here = (span.line, span.column)
            self.last_start[span.line] = max(self.last_start.get(span.line, here), here)
        for field in raw.header:
            self.emit(field.span, "", [self.field(field)])
        for indicator in raw.indicators:
            self.indicator(indicator)
        self.comments_before(10**12, "")
        leftover = [c for n in sorted(self.trailing) for c in self.trailing[n]]
        self.out.extend(leftover)
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def indicator(self, indicator: nodes.IndicatorNode) -> None:
        # Comments on their own lines just above an indicator belong to it: print them after the
        # blank line that separates indicators, at the left margin.
        if self.out:
            self.blank_line()
        self.comments_before(indicator.span.line, "")
        line = indicator.span.line
        head_span = nodes.Span(line, indicator.span.column, line, 0)
        # A comment after `indicator 1 "t" weight 20` belongs to the statement it follows.
        shared = any(s.span.line == line for s in indicator.statements)
        self.emit(head_span, "", [f"{self.kw('indicator')} {indicator.id_text} "
                                  f"{quote(indicator.title)}"], claim=not shared)
        for statement in indicator.statements:
            self.statement(statement)

    def statement(self, statement: nodes.Statement) -> None:
        indent = "  "
        if isinstance(statement, nodes.Field):
            self.emit(statement.span, indent, [self.field(statement)])
        elif isinstance(statement, nodes.Measure):
            self.emit(statement.span, indent, [self.measure(statement)])
        elif isinstance(statement, nodes.Let):
            line = f"{self.kw('let')} {statement.name} = {self.expr(statement.expr)}"
            self.emit(statement.span, indent, [line])
        elif isinstance(statement, nodes.Example):
            self.emit(statement.span, indent, [self.example(statement)])
        else:
            self.emit(statement.span, indent, self.level(statement), split_at=1)

    def field(self, field: nodes.Field) -> str:
        keyword = field.keyword
        if keyword in ("catalogue", "title", "position", "strategy", "team"):
            return f"{self.kw(keyword)} {quote(field.value)}"
        if keyword in ("policy", "score"):
            return f"{self.kw(keyword)} {self.kw(field.value)}"
        return f"{self.kw(keyword)} {field.value}"

    def measure(self, measure: nodes.Measure) -> str:
        parts = [self.kw("measure"), measure.name]
        if measure.description is not None:
            parts.append(quote(measure.description))
        if measure.kind_written:
            parts.append(self.kw(measure.kind))
        if measure.has_range:
            parts.append(f"{self.kw('in')} {measure.low_text or ''}..{measure.high_text or ''}")
        if measure.unit is not None:
            parts += [self.kw("unit"), quote(measure.unit)]
        return " ".join(parts)

    def level(self, level: nodes.Level) -> list[str]:
        if level.is_milestone:
            head = f"{self.kw('level')} {level.number} {self.kw('milestone')}"
        else:
            assert level.condition is not None
            head = f"{self.kw('level')} {level.number} {self.kw('if')} {self.expr(level.condition)}"
        if level.description is None:
            return [head]
        if level.description_on_next_line:
            return [head, "    " + quote(level.description)]
        return [f"{head} {quote(level.description)}"]

    def example(self, example: nodes.Example) -> str:
        if example.rejected:
            head = f"{self.kw('example')} {self.kw('rejected')}:"
        elif example.score is not None:
            head = f"{self.kw('example')} {self.kw('score')} {example.score_text}:"
        else:
            head = f"{self.kw('example')} {self.kw('level')} {example.level}:"
        parts = []
        for (name, value), text in zip(example.values, example.texts):
            if name == nodes.MILESTONES:
                # `milestones` in English; in Thai the keyword `ขั้นสำเร็จ` names them.
                name = self.kw("milestone") if self.language == "th" else nodes.MILESTONES
            if isinstance(value, bool):
                text = self.kw("true" if value else "false")
            elif isinstance(value, str):
                text = quote(value)
            parts.append(f"{name} = {text}")
        return " ".join([head, ", ".join(parts)]) if parts else head

    def expr(self, expr: nodes.Expr) -> str:
        return describe_expr(expr, self.kw)


def _with_comments(line: str, comments: Iterable[str]) -> str:
    comments = list(comments)
    return f"{line}  {' '.join(comments)}" if comments else line
