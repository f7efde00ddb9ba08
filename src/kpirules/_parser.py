"""Rule text → syntax tree. The only module that knows Lark exists.

Lark (LALR, contextual lexer) turns the text into a parse tree; :class:`_Builder` turns that into
:mod:`kpirules.nodes` without recursion, so deeply nested input cannot exhaust the Python stack; and
:func:`_syntax_error` turns Lark's exceptions into a :class:`ParseError` that says, in words, what was
expected, at the line and column of the offending token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from kpirules import nodes
from kpirules._keywords import BY_SPELLING, NAME_END, THAI
from kpirules._messages import Items, Keyword, Message, message
from kpirules._resources import grammar_text
from kpirules._scoring import THAI_DIGITS
from kpirules.errors import ParseError
from kpirules.limits import MAX_DEPTH, MAX_DIGITS, MAX_LEVELS, MAX_RULE_CHARS, digits_in, first_line_past

if TYPE_CHECKING:
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

__all__ = ["KEYWORDS", "MAX_DEPTH", "one_reading", "parse_tree", "source_line",
           "thai_digits_to_ascii"]

KEYWORDS = frozenset(BY_SPELLING)

# Keywords whose spelling the tree keeps (the kind of a measure, the policy, `interpolate`); the
# others only mark where a statement or operator is and are dropped from the parse tree.
_VALUED = {"KIND": ("number", "count", "flag"), "POLICY_KIND": ("ordered", "highest"),
           "INTERPOLATE": ("interpolate",), "BOOL": ("true", "false")}

# Later stages walk expressions recursively; MAX_DEPTH (kpirules.limits), far above anything a
# person writes, keeps them clear of Python's recursion limit.

_lock = threading.Lock()
_lark: Lark | None = None
_plain_lark: Lark | None = None
# The builder of the parse under way in this thread: the inline callbacks (_Inline) hand it the
# children of each rule as the parser reduces it.
_current = threading.local()


def thai_digits_to_ascii(text: str) -> str:
    """``text`` with Thai digits ๐–๙ replaced by 0–9."""
    return text.translate(THAI_DIGITS)


def _parser() -> Lark:
    """The parser that builds nodes as it goes: no parse tree is made, and since an LALR parser
    reduces with its own stack, deep nesting needs no recursion."""
    global _lark
    if _lark is None:
        with _lock:
            if _lark is None:
                _lark = _make_lark(_Inline())
    return _lark


def _plain_parser() -> Lark:
    """The same grammar without callbacks, to replay a failed parse token by token."""
    global _plain_lark
    if _plain_lark is None:
        with _lock:
            if _plain_lark is None:
                _plain_lark = _make_lark(None)
    return _plain_lark


def _make_lark(transformer: Any) -> Lark:
    from lark import Lark

    return Lark(
        grammar_text() + _keyword_terminals(),
        parser="lalr",
        lexer="contextual",
        # Positions come from the tokens (see _Builder.reduce): cheaper than Lark's
        # propagate_positions, which costs a third of the parse.
        propagate_positions=False,
        maybe_placeholders=True,
        transformer=transformer,
    )


def _keyword_terminals() -> str:
    """The Lark definitions of the keyword terminals, from the keyword table.

    Priority 2 puts a keyword before NAME where both could match, and the look-ahead makes a keyword
    end where a name could not go on, so that `integer` is a name and not `in` + `teger`.
    """

    def terminal(name: str, words: tuple[str, ...]) -> str:
        spellings = sorted({w for word in words for w in (word, THAI[word])}, key=len, reverse=True)
        alternatives = "|".join(spellings)
        return f"{name}.2: /(?:{alternatives})(?![^{NAME_END}])/\n"

    valued = {word for words in _VALUED.values() for word in words}
    lines = [terminal(name, words) for name, words in _VALUED.items()]
    lines += [terminal(f"KW_{word.upper()}", (word,)) for word in THAI if word not in valued]
    return "\n" + "".join(lines)


def source_line(text: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``text``, or None past its end."""
    if line < 1:
        return None
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def keyword_language(text: str) -> str:
    """"th" when the first keyword of ``text`` is spelt in Thai, else "en" (comments, strings and a
    byte-order mark are skipped)."""
    for line in text.split("\n"):
        code = line.split("#", 1)[0].strip().lstrip("\ufeff")
        if code:
            word = code.split(maxsplit=1)[0]
            return "th" if word in BY_SPELLING and word not in THAI else "en"
    return "en"


def one_reading(text: str) -> str:
    """``text`` with every line end (CR LF, a lone CR) made LF, as Python reads a file, so that
    ``parse(text)`` and ``load(path)`` see the same lines (see the page "Limits")."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_tree(text: str, source: str) -> nodes.RuleFile:
    """Parse ``text`` into a :class:`nodes.RuleFile` (not yet checked for meaning)."""
    from lark.exceptions import UnexpectedInput

    if len(text) > MAX_RULE_CHARS:
        line, column = first_line_past(text, MAX_RULE_CHARS)
        raise ParseError(message("limit-rule-size", limit=MAX_RULE_CHARS), source, line, column)
    if "\x00" in text:
        # No rule needs one, and databases refuse a query holding one (SQLite: "null character").
        line, column = first_line_past(text, text.index("\x00"))
        raise ParseError(message("nul-character"), source, line, column, source_line(text, line))

    _current.builder = _Builder(text, source)
    try:
        result: nodes.RuleFile = _parser().parse(text)  # type: ignore[assignment]
    except UnexpectedInput as error:
        raise _syntax_error(text, source, error) from None
    finally:
        _current.builder = None
    return result


class _Inline:
    """Lark's inline transformer: one method per rule, each passing the children to the current
    thread's :class:`_Builder`."""

    def __getattr__(self, rule: str) -> Callable[[list[Any]], Any]:
        if rule not in _RULES:
            raise AttributeError(rule)

        def reduce(children: list[Any]) -> Any:
            return _current.builder.reduce(rule, children)

        reduce.__name__ = rule
        object.__setattr__(self, rule, reduce)
        return reduce


# --- parse tree → nodes ---------------------------------------------------------------------------

# Every rule of the grammar that builds a node (the `?` rules pass their one child through).
_RULES = frozenset(
    """start catalogue_stmt title_stmt position_stmt year_stmt round_stmt indicator indicator_id
    strategy_stmt team_stmt weight_stmt policy_stmt score_stmt measure_stmt measure_range
    measure_unit let_stmt level_if level_milestone signed_number or_expr and_expr not_expr
    comparison sum product negate number name example_stmt expect_level expect_score
    expect_rejected example_number example_flag example_text example_milestones example_list""".split()
)

_Item = tuple[Any, int]  # a converted child and its expression depth


class _Builder:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.handlers: dict[str, Callable[[Any, list[_Item]], _Item]] = {
            "number": self._number,
            "name": self._name,
            "negate": self._negate,
            "product": self._binary,
            "sum": self._binary,
            "comparison": self._comparison,
            "and_expr": self._bool_op("and"),
            "or_expr": self._bool_op("or"),
            "not_expr": self._not,
            "signed_number": self._signed_number,
            "indicator_id": self._indicator_id,
            "measure_range": self._keep,
            "measure_unit": self._keep,
            "measure_stmt": self._measure,
            "let_stmt": self._let,
            "level_if": self._level_if,
            "level_milestone": self._level_milestone,
            "indicator": self._indicator,
            "expect_level": self._expect("level"),
            "expect_score": self._expect("score"),
            "expect_rejected": self._expect("rejected"),
            "example_number": self._example_value,
            "example_flag": self._example_value,
            "example_text": self._example_value,
            "example_milestones": self._example_value,
            "example_list": self._keep,
            "example_stmt": self._example,
        }
        for keyword in ("catalogue", "title", "position", "strategy", "team"):
            self.handlers[f"{keyword}_stmt"] = self._text_field(keyword)
        for keyword in ("year", "round", "weight"):
            self.handlers[f"{keyword}_stmt"] = self._number_field(keyword)
        self.handlers["policy_stmt"] = self._token_field("policy")
        self.handlers["score_stmt"] = self._token_field("score")

    def error(self, problem: Message, line: int, column: int) -> ParseError:
        return ParseError(problem, self.source, line, column, source_line(self.text, line))

    def reduce(self, rule: str, children: list[Any]) -> Any:
        """The node for ``rule`` from its children (tokens, None for an absent optional part,
        or what earlier reductions gave). Every result is (value, depth, first, last): first and
        last are the tokens or spans its text starts and ends with. Keyword tokens (KW_…) are kept
        by the grammar only to mark where a statement starts, and dropped here."""
        from lark import Token

        items = [(c, 0, c, c) if type(c) is Token else (c, 0, None, None) if c is None else c
                 for c in children]
        first = next((item[2] for item in items if item[2] is not None), None)
        last = next((item[3] for item in reversed(items) if item[3] is not None), None)
        span_class = nodes.Span
        if first is None or last is None:
            whole = nodes.NOWHERE
        else:
            whole = span_class(first.line or 0, first.column or 0, last.end_line or 0,
                               last.end_column or 0)
        kept = [(item[0], item[1]) for item in items
                if not (type(item[0]) is Token and item[0].type.startswith("KW_"))]
        if rule == "start":
            return self._file([value for value, _ in kept])
        value, depth = self.handlers[rule](whole, kept)
        return value, depth, whole, whole

    # positions

    @staticmethod
    def _token_span(token: Token) -> nodes.Span:
        return nodes.Span(token.line or 0, token.column or 0, token.end_line or 0,
                          token.end_column or 0)

    def _expr(self, node: Any, depth: int, span: nodes.Span) -> _Item:
        if depth > MAX_DEPTH and any(_is_chain(part) for part in _with_operands(node)):
            # A long run of `+` or `*` is deep as a tree but nothing in it is nested: say so.
            raise self.error(message("limit-chain", limit=MAX_DEPTH), span.line, span.column)
        if depth > MAX_DEPTH:
            raise self.error(message("too-deep", depth=MAX_DEPTH), span.line, span.column)
        return node, depth

    # tokens

    def _string(self, token: Token) -> str:
        raw = str(token)[1:-1]
        if "\\" not in raw:
            return raw
        out: list[str] = []
        chars = iter(enumerate(raw))
        for index, char in chars:
            if char != "\\":
                out.append(char)
                continue
            _, escaped = next(chars)
            replacement = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}.get(escaped)
            if replacement is None:
                raise self.error(message("bad-escape", char=escaped),
                                 token.line or 0, (token.column or 0) + 1 + index)
            out.append(replacement)
        return "".join(out)

    def _name_token(self, token: Token) -> str:
        name = str(token)
        line, column = token.line or 0, token.column or 0
        if name in KEYWORDS:
            # A Thai keyword reads better as "the value of …" in Thai (ค่าระดับ) than with `_value`.
            suggestion = f"ค่า{name}" if _has_thai(name) else f"{name}_value"
            raise self.error(message("keyword-as-name", name=name, suggestion=suggestion),
                             line, column)
        if not name.isidentifier():
            bad = next(
                (c for i, c in enumerate(name) if not ("a" + name[: i + 1]).isidentifier()), name[0]
            )
            raise self.error(message("invalid-name", name=name, char=bad), line, column)
        return name

    def _decimal(self, token: Token) -> tuple[Decimal, str]:
        text = str(token)
        if digits_in(text) > MAX_DIGITS:
            raise self.error(message("limit-digits", limit=MAX_DIGITS, digits=digits_in(text)),
                             token.line or 0, token.column or 0)
        return Decimal(thai_digits_to_ascii(text).replace("_", "")), text

    # expressions

    def _number(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        value, text = self._decimal(token)
        return nodes.Number(value, text, self._token_span(token)), 1

    def _name(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        return nodes.Name(self._name_token(token), self._token_span(token)), 1

    def _negate(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operand, depth = children[1]
        return self._expr(nodes.Negate(operand, span), depth + 1, span)

    def _binary(self, span: nodes.Span, children: list[_Item]) -> _Item:
        left, depth = children[0]
        start = span
        for index in range(1, len(children), 2):
            op = str(children[index][0])
            right, right_depth = children[index + 1]
            end = _end_of(right) or start
            span = nodes.Span(start.line, start.column, end.end_line, end.end_column)
            depth = max(depth, right_depth) + 1
            left, depth = self._expr(nodes.BinaryOp(op, left, right, span), depth, span)  # type: ignore[arg-type]
        return left, depth

    def _comparison(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operands = tuple(child for child, _ in children[0::2])
        ops = cast("tuple[nodes.CompareOp, ...]", tuple(str(op) for op, _ in children[1::2]))
        depth = max(d for _, d in children[0::2]) + 1
        return self._expr(nodes.Compare(operands, ops, span), depth, span)

    def _bool_op(self, op: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            operands = tuple(child for child, _ in children)
            depth = max(d for _, d in children) + 1
            return self._expr(nodes.BoolOp(op, operands, span), depth, span)  # type: ignore[arg-type]

        return build

    def _not(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operand, depth = children[0]
        return self._expr(nodes.Not(operand, span), depth + 1, span)

    # statements

    @staticmethod
    def _keep(span: nodes.Span, children: list[_Item]) -> _Item:
        return [child for child, _ in children], 0

    def _signed_number(self, span: nodes.Span, children: list[_Item]) -> _Item:
        minus, token = children[0][0], children[1][0]
        value, text = self._decimal(token)
        if minus is not None:
            value, text = -value, "-" + text
        return (value, text, span), 0

    def _indicator_id(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        if token.type == "STRING":
            value = self._string(token)
            if not value.strip():
                raise self.error(message("empty-id"), token.line, token.column)
            return (value, str(token)), 0
        if token.type == "NAME":
            return (self._name_token(token), str(token)), 0
        return (thai_digits_to_ascii(str(token)), str(token)), 0

    def _text_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value = self._string(children[0][0])
            return nodes.Field(keyword, value, span), 0

        return build

    def _number_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value, text, at = children[0][0]
            if keyword != "weight" and value != value.to_integral_value():
                raise self.error(message("whole-number-needed", keyword=Keyword(keyword), text=text),
                                 at.line, at.column)
            if keyword == "weight" and value < 0:
                raise self.error(message("negative-weight", text=text), at.line, at.column)
            return nodes.Field(keyword, text, span), 0

        return build

    def _token_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value = BY_SPELLING[str(children[0][0])]
            return nodes.Field(keyword, value, span), 0

        return build

    def _measure(self, span: nodes.Span, children: list[_Item]) -> _Item:
        name_token, description, kind, bounds, unit = (child for child, _ in children)
        low = high = low_text = high_text = None
        if bounds is not None:
            if bounds[0] is not None:
                low, low_text, _ = bounds[0]
            if bounds[2] is not None:
                high, high_text, _ = bounds[2]
            if low is not None and high is not None and low > high:
                dots = bounds[1]
                raise self.error(message("empty-range", low=low_text, high=high_text),
                                 dots.line, dots.column)
        measure = nodes.Measure(
            name=self._name_token(name_token),
            description=None if description is None else self._string(description),
            kind=BY_SPELLING[str(kind)] if kind is not None else "number",  # type: ignore[arg-type]
            low=low,
            high=high,
            unit=None if unit is None else self._string(unit[0]),
            kind_written=kind is not None,
            low_text=low_text,
            high_text=high_text,
            has_range=bounds is not None,
            span=span,
            name_span=self._token_span(name_token),
        )
        return measure, 0

    def _let(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        return nodes.Let(self._name_token(token), children[1][0], span, self._token_span(token)), 0

    def _level_number(self, token: Token) -> int:
        value, text = self._decimal(token)
        if value > MAX_LEVELS and value == value.to_integral_value():
            raise self.error(message("limit-level-number", number=text, limit=MAX_LEVELS),
                             token.line or 0, token.column or 0)
        if value != value.to_integral_value() or value < 1:
            raise self.error(message("bad-level-number", text=text),
                             token.line or 0, token.column or 0)
        return int(value)

    def _level_if(self, span: nodes.Span, children: list[_Item]) -> _Item:
        number_token, condition, description = (child for child, _ in children)
        on_next_line = description is not None and description.line != _last_line(condition)
        level = nodes.Level(
            number=self._level_number(number_token),
            condition=condition,
            description=None if description is None else self._string(description),
            description_on_next_line=on_next_line,
            span=span,
        )
        return level, 0

    def _level_milestone(self, span: nodes.Span, children: list[_Item]) -> _Item:
        number_token, description = (child for child, _ in children)
        level = nodes.Level(
            number=self._level_number(number_token),
            description=self._string(description),
            is_milestone=True,
            description_on_next_line=description.line != number_token.line,
            span=span,
        )
        return level, 0

    # examples (docs/language.rst, "Examples")

    def _expect(self, what: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            token = children[0][0] if children else None
            return (what, token), 0

        return build

    def _example_value(self, span: nodes.Span, children: list[_Item]) -> _Item:
        """One ``NAME = value`` of an example as (name, value, text, span of the name)."""
        from lark import Token

        key, value = children[0][0], children[-1][0]
        name_span = self._token_span(key) if type(key) is Token else span
        if type(key) is not Token:  # `milestone = [...]`: the keyword was dropped
            name = nodes.MILESTONES
        elif str(key) == nodes.MILESTONES:
            name = nodes.MILESTONES
        else:
            name = self._name_token(key)
        if isinstance(value, list):  # the milestones' numbers
            tokens = [token for token in value if token is not None]
            if name != nodes.MILESTONES:
                raise self.error(message("example-list-not-milestones", name=name),
                                 name_span.line, name_span.column)
            numbers = tuple(self._level_number(token) for token in tokens)
            text = "[" + ", ".join(str(token) for token in tokens) + "]"
            return (name, numbers, text, name_span), 0
        if type(value) is Token and value.type == "BOOL":
            return (name, BY_SPELLING[str(value)] == "true", str(value), name_span), 0
        if type(value) is Token and value.type == "STRING":
            return (name, self._string(value), str(value), name_span), 0
        number, text = self._decimal(value)
        if children[1][0] is not None:
            number, text = -number, "-" + text
        return (name, number, text, name_span), 0

    def _example(self, span: nodes.Span, children: list[_Item]) -> _Item:
        (what, token), values = children[0][0], [c for c, _ in children[1:] if c is not None]
        level = score = score_text = None
        if what == "level":
            level = self._example_level(token)
        elif what == "score":
            score, score_text = self._decimal(token)
        example = nodes.Example(
            values=tuple((name, value) for name, value, _, _ in values),
            level=level,
            score=score,
            rejected=what == "rejected",
            score_text=score_text,
            texts=tuple(text for _, _, text, _ in values),
            value_spans=tuple(name_span for _, _, _, name_span in values),
            span=span,
        )
        return example, 0

    def _example_level(self, token: Token) -> int:
        value, text = self._decimal(token)
        if value != value.to_integral_value():
            raise self.error(message("example-level-fraction", text=text),
                             token.line or 0, token.column or 0)
        return int(value)

    def _indicator(self, span: nodes.Span, children: list[_Item]) -> _Item:
        (id_value, id_text), title_token = children[0][0], children[1][0]
        statements = tuple(child for child, _ in children[2:])
        indicator = nodes.IndicatorNode(
            id=id_value,
            title=self._string(title_token),
            id_text=id_text,
            statements=statements,
            span=span,
        )
        return indicator, 0

    def _file(self, items: list[Any]) -> nodes.RuleFile:
        header = tuple(item for item in items if isinstance(item, nodes.Field))
        indicators = tuple(item for item in items if isinstance(item, nodes.IndicatorNode))
        return nodes.RuleFile(source=self.source, indicators=indicators, header=header)


def _with_operands(node: nodes.Expr) -> list[nodes.Expr]:
    if isinstance(node, (nodes.Compare, nodes.BoolOp)):
        return [node, *node.operands]
    if isinstance(node, (nodes.Not, nodes.Negate)):
        return [node, node.operand]
    return [node]


def _is_chain(node: nodes.Expr) -> bool:
    """Whether ``node`` is a run of operators of one precedence over plain operands
    (``a + b - c + …``), nested only because each operator takes the one before as its left side."""
    if not isinstance(node, nodes.BinaryOp):
        return False
    group = ("+", "-") if node.op in ("+", "-") else ("*", "/")
    current: nodes.Expr = node
    while isinstance(current, nodes.BinaryOp) and current.op in group:
        if isinstance(current.right, (nodes.BinaryOp, nodes.Compare, nodes.BoolOp, nodes.Not)):
            return False
        current = current.left
    return not isinstance(current, (nodes.BinaryOp, nodes.Compare, nodes.BoolOp, nodes.Not))


def _end_of(node: Any) -> nodes.Span | None:
    span = getattr(node, "span", None)
    return span if isinstance(span, nodes.Span) and span.line else None


def _last_line(node: Any) -> int:
    span = _end_of(node)
    return span.end_line if span else 0


# --- Lark's exceptions → messages for people --------------------------------------------------------

def _keyword_items(*words: str) -> Items:
    """Keywords a message lists as expected, each in backticks, spelt in the reader's language."""
    return Items(tuple(message("item-code", code=Keyword(word)) for word in words))


_WORDS: dict[str, Message | Items] = {
    "NAME": message("item-name"),
    "NUMBER": message("item-number"),
    "STRING": message("item-text"),
    "COMPARE": message("item-comparison"),
    "LPAR": message("item-code", code="("),
    "RPAR": message("item-code", code=")"),
    "MINUS": message("item-code", code="-"),
    "PLUS": message("item-code", code="+"),
    "TIMES": message("item-code", code="*"),
    "DIVIDE": message("item-code", code="/"),
    "EQUAL": message("item-code", code="="),
    "RANGE": message("item-code", code=".."),
    "KIND": _keyword_items("number", "count", "flag"),
    "POLICY_KIND": _keyword_items("ordered", "highest"),
    "INTERPOLATE": _keyword_items("interpolate"),
    "BOOL": _keyword_items("true", "false"),
    "COLON": message("item-code", code=":"),
    "COMMA": message("item-code", code=","),
    "LSQB": message("item-code", code="["),
    "RSQB": message("item-code", code="]"),
    "$END": message("item-end"),
}

_STATEMENTS = {f"KW_{word.upper()}" for word in (
    "indicator", "level", "measure", "let", "weight", "strategy", "team", "policy", "score",
    "catalogue", "title", "position", "year", "round", "example")}
_HEADER_ONLY = {"KW_CATALOGUE", "KW_TITLE", "KW_POSITION"}
_INDICATOR_ONLY = {"KW_LEVEL", "KW_MEASURE", "KW_LET", "KW_WEIGHT", "KW_STRATEGY", "KW_TEAM",
                   "KW_POLICY", "KW_SCORE", "KW_EXAMPLE"}
_OPERANDS = {"NUMBER", "NAME", "LPAR"}

# Characters people type for operators kpirules spells differently.
_CHARACTER_HINTS = {
    "=>": message("operator-ge-reversed"),
    "=<": message("operator-le-reversed"),
    "≥": message("operator-ge-symbol"),
    "≤": message("operator-le-symbol"),
    "≠": message("operator-ne-symbol"),
    "&&": message("operator-and-symbol", symbol="&&"),
    "||": message("operator-or-symbol", symbol="||"),
    "&": message("operator-and-symbol", symbol="&"),
    "|": message("operator-or-symbol", symbol="|"),
    "×": message("operator-times-symbol"),
    "÷": message("operator-divide-symbol"),
    "%": message("percent-sign"),
    "“": message("curly-quotes"),
    "”": message("curly-quotes"),
    "'": message("single-quotes"),
    "!": message("operator-not-symbol"),
    ",": message("thousands-separator"),
}


def _keyword(terminal: str) -> str | None:
    word = terminal[3:].lower()
    return word if terminal.startswith("KW_") and word in THAI else None


def _describe(terminal: str) -> Message | Items | str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    keyword = _keyword(terminal)
    return message("item-code", code=Keyword(keyword)) if keyword else terminal


def _expected_words(expected: set[str]) -> Items:
    if expected & set(_STATEMENTS) and len(expected & set(_STATEMENTS)) > 3:
        others = sorted((t for t in expected if t not in _STATEMENTS), key=_sort_key)
        words = [_describe(t) for t in others] + [message("item-statement")]
    else:
        words = [_describe(t) for t in sorted(expected, key=_sort_key)]
    return Items(tuple(dict.fromkeys(words)))


def _sort_key(terminal: str) -> tuple[int, bool, str]:
    order = ["COMPARE", "NUMBER", "NAME", "STRING", "LPAR", "RPAR"]
    rank = order.index(terminal) if terminal in order else len(order)
    return (rank, terminal.startswith("KW_"), terminal)


def _quoted(token: Token) -> str:
    text = str(token)
    return f"`{text if len(text) <= 40 else text[:37] + '…'}`"


def _shown(token: Token | None) -> Message:
    """Where the parser was, for "after …" in a message."""
    if token is None:
        return message("place-start")
    if token.type == "$END":
        return message("place-end")
    return message("place-token", token=_quoted(token))


def _found(token: Token) -> Message:
    """What the parser found instead, for "found …" in a message."""
    if token.type == "$END":
        return message("found-end")
    return message("found-token", token=f"`{token}`")


class _Guess:
    """A keyword offered for a misspelt one: in Thai, its Thai spelling; in English, the spelling
    closest to what was written (a misspelt Thai keyword is offered in Thai)."""

    __slots__ = ("spelling",)

    def __init__(self, spelling: str) -> None:
        self.spelling = spelling

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Guess) and other.spelling == self.spelling

    def __hash__(self) -> int:
        return hash(self.spelling)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Guess, (self.spelling,))

    def render(self, language: str) -> str:
        return THAI[BY_SPELLING[self.spelling]] if language == "th" else self.spelling


def _has_thai(text: str) -> bool:
    return any("\u0e00" <= char <= "\u0e7f" for char in text)


def _tokens_before(text: str, line: int, column: int) -> Token | None:
    """The last token the parser accepted before ``line:column`` (for "after `x`" in messages)."""
    from lark.exceptions import UnexpectedInput

    previous: Token | None = None
    try:
        interactive = _plain_parser().parse_interactive(text)
        for token in interactive.iter_parse():
            if (token.line or 0, token.column or 0) >= (line, column):
                break
            previous = token
    except UnexpectedInput:
        pass
    return previous


def _syntax_error(text: str, source: str, error: UnexpectedInput) -> ParseError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    line, column = error.line, error.column
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        line, column = _end_position(text)
    message, line, column = _message(text, error, line, column)
    if isinstance(error, UnexpectedCharacters) or line < 1:
        line, column = max(line, 1), max(column, 1)
    return ParseError(message, source, line, column, source_line(text, line))


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


def _message(text: str, error: UnexpectedInput, line: int, column: int
             ) -> tuple[Message, int, int]:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    at = source_line(text, line) or ""
    rest = at[column - 1 :]
    for mistake, hint in _CHARACTER_HINTS.items():
        if rest.startswith(mistake):
            return hint, line, column
    if isinstance(error, UnexpectedCharacters):
        if rest.startswith('"'):
            return message("unclosed-text"), line, column
        if rest.startswith("="):
            return message("single-equals"), line, column
        expected = set(error.allowed or ())
        char = rest[:1] or "?"
        return message("unexpected-character", char=char, words=_expected_words(expected)), \
            line, column
    assert isinstance(error, UnexpectedToken)
    token: Token = error.token
    history = getattr(error, "token_history", None)
    previous = history[-1] if history else _tokens_before(text, line, column)
    if previous is not None and previous.type == "NAME" and str(previous) in KEYWORDS:
        # Where a name may stand, the contextual lexer reads a keyword as a name, so
        # `level 1 if x >=` followed by `level 2 …` fails one token late: report the keyword.
        before = _tokens_before(text, previous.line or 0, previous.column or 0)
        code = "missing-threshold-keyword" if before is not None and before.type == "COMPARE" \
            else "keyword-as-operand"
        return message(code, before=_shown(before), token=str(previous)), previous.line or 0, \
            previous.column or 0
    return _token_message(token, previous, set(error.expected or ())), line, column


def _terminal_of(spelling: str) -> str:
    word = BY_SPELLING[spelling]
    for terminal, words in _VALUED.items():
        if word in words:
            return terminal
    return f"KW_{word.upper()}"


def _token_message(token: Token, previous: Token | None, expected: set[str]) -> Message:
    kind = token.type
    value = str(token)
    after = _shown(previous)
    found = _found(token)
    prev_kind = previous.type if previous is not None else None
    statement_expected = bool(expected & _STATEMENTS)

    if kind == "EQUAL" and "COMPARE" in expected:
        return message("single-equals")
    if kind == "NAME" and "NAME" not in expected:
        thai_keyword = next(
            (th for th in sorted(THAI.values(), key=len, reverse=True)
             if value.startswith(th) and _terminal_of(th) in expected),
            None,
        )
        import difflib

        guess = difflib.get_close_matches(value.lower(), sorted(KEYWORDS), n=1, cutoff=0.75)
        if thai_keyword is not None:
            return message("keyword-needs-space", value=value, keyword=thai_keyword,
                           example=f"{thai_keyword} {value[len(thai_keyword):]}")
        if guess and statement_expected:
            return message("misspelt-keyword", value=value, keyword=_Guess(guess[0]))
        if _has_thai(value) and "STRING" in expected:
            return message("thai-text-unquoted", value=value)
        if "KIND" in expected:
            return message("unknown-kind", value=value)
        if "STRING" in expected and prev_kind in ("NUMBER", "NAME", "RPAR"):
            return message("unquoted-description", value=value, after=after)
        if statement_expected:
            return message("unknown-statement", value=value)
    if kind in _HEADER_ONLY and prev_kind is not None and kind not in expected:
        return message("header-only-statement", value=value)
    if kind in _INDICATOR_ONLY and "KW_INDICATOR" in expected and "KW_LEVEL" not in expected:
        return message("outside-indicator", value=value)
    if prev_kind == "KW_LEVEL" and expected == {"NUMBER"}:
        return message("missing-level-number", token=str(previous), found=found)
    if prev_kind == "NUMBER" and expected == {"KW_IF", "KW_MILESTONE"}:
        return message("missing-if-or-milestone", token=str(previous), found=found)
    if prev_kind == "KW_INDICATOR":
        return message("missing-indicator-id", found=found)
    if expected == {"STRING"} and kind != "STRING":
        return message("expected-text", after=after, found=found)
    if prev_kind == "COMPARE" and expected & _OPERANDS:
        return message("missing-threshold", after=after, found=found)
    if "COMPARE" in expected and prev_kind in ("NAME", "NUMBER", "RPAR"):
        return message("expected-comparison", after=after, found=found)
    if kind == "$END":
        return message("unexpected-end", words=_expected_words(expected), after=after)
    return message("unexpected-token", words=_expected_words(expected), after=after, found=found)


def iter_comments(text: str) -> Iterator[tuple[int, int, str]]:
    """Every ``#`` comment of ``text`` as (line, column, text), skipping ``#`` inside strings.

    Strings cannot span lines, so each line can be scanned on its own.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" not in line:
            continue
        in_string = False
        escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                yield number, index + 1, line[index:].rstrip("\r")
                break
